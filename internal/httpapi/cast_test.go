package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

type castJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Description string `json:"description"`
	Shared      bool   `json:"shared"`
	Owner       struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
	} `json:"owner"`
	Images []struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	} `json:"images"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

func decodeCast(t *testing.T, r *testutil.Response) castJSON {
	t.Helper()
	var out struct{ Cast castJSON }
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("cast answer: %v %s", err, r.Body)
	}
	return out.Cast
}

func castList(t *testing.T, c *testutil.Client) []castJSON {
	t.Helper()
	r := c.Do("GET", "/api/cast", nil)
	var out struct{ Cast []castJSON }
	if r.Status != 200 || json.Unmarshal(r.Body, &out) != nil {
		t.Fatalf("cast list: %d %s", r.Status, r.Body)
	}
	return out.Cast
}

func galleryIDs(t *testing.T, c *testutil.Client, query string) []string {
	t.Helper()
	r := c.Do("GET", "/api/assets?"+query, nil)
	if r.Status != 200 {
		t.Fatalf("gallery %s: %d %s", query, r.Status, r.Body)
	}
	var out struct{ Assets []assetJSON }
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	return ids(out.Assets)
}

// The cast (SPEC §14): members keep their own copies of the pictures; refusals create nothing;
// another person's private member does not exist, a shared one is read-only; mentions and chips
// fill the reference field with pictures uploaded with the caller's own key; the gallery filters
// by member.
func TestCast(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	a := g.user(t, "cast-a@example.com", "sim-key-a")
	b := g.user(t, "cast-b@example.com", "sim-key-b")
	c3 := g.user(t, "cast-c@example.com", "sim-key-c")
	img1, _ := makeAsset(t, a, "fal-ai/flux/schnell", "mia smiling", nil)
	img2, _ := makeAsset(t, a, "fal-ai/flux/schnell", "mia in profile", nil)
	img3, _ := makeAsset(t, a, "fal-ai/flux/schnell", "mia laughing", nil)
	video, _ := makeAsset(t, a, "fal-ai/veo3", "mia running", nil)
	theirs, _ := makeAsset(t, b, "fal-ai/flux/schnell", "a dog", nil)
	orig1 := a.Do("GET", img1.URL, nil).Body

	// Refusals create nothing.
	bad := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"a name with a space", map[string]any{"name": "Mia B", "kind": "person", "assetIds": []string{img1.ID}}, 400, "invalid_input"},
		{"a name starting with _", map[string]any{"name": "_mia", "kind": "person", "assetIds": []string{img1.ID}}, 400, "invalid_input"},
		{"a name too long", map[string]any{"name": strings.Repeat("m", 41), "kind": "person", "assetIds": []string{img1.ID}}, 400, "invalid_input"},
		{"an unknown kind", map[string]any{"name": "Mia", "kind": "robot", "assetIds": []string{img1.ID}}, 400, "invalid_input"},
		{"no pictures", map[string]any{"name": "Mia", "kind": "person", "assetIds": []string{}}, 400, "invalid_input"},
		{"nine pictures", map[string]any{"name": "Mia", "kind": "person", "assetIds": []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}}, 400, "invalid_input"},
		{"a repeated id", map[string]any{"name": "Mia", "kind": "person", "assetIds": []string{img1.ID, img1.ID}}, 400, "invalid_input"},
		{"a video", map[string]any{"name": "Mia", "kind": "person", "assetIds": []string{video.ID}}, 400, "invalid_input"},
		{"another's asset", map[string]any{"name": "Mia", "kind": "person", "assetIds": []string{img1.ID, theirs.ID}}, 404, "not_found"},
		{"a long description", map[string]any{"name": "Mia", "kind": "person", "assetIds": []string{img1.ID}, "description": strings.Repeat("d", 1001)}, 400, "invalid_input"},
	}
	for _, tc := range bad {
		if r := a.Do("POST", "/api/cast", tc.body); r.Status != tc.status || r.ErrorCode() != tc.code {
			t.Fatalf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	if n := len(castList(t, a)); n != 0 {
		t.Fatalf("refusals created %d members", n)
	}

	r := a.Do("POST", "/api/cast", map[string]any{"name": "Mia", "kind": "person", "assetIds": []string{img1.ID, img2.ID},
		"description": "a girl with red hair"})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	mia := decodeCast(t, r)
	if mia.Name != "Mia" || mia.Kind != "person" || mia.Shared || mia.Owner.Email != "cast-a@example.com" || len(mia.Images) != 2 ||
		mia.Images[0].ID == img1.ID || mia.Images[0].URL != "/api/cast/"+mia.ID+"/images/"+mia.Images[0].ID {
		t.Fatalf("member: %+v", mia)
	}
	if r := a.Do("POST", "/api/cast", map[string]any{"name": "mIA", "kind": "pet", "assetIds": []string{img3.ID}}); r.Status != 409 || r.ErrorCode() != "name_taken" {
		t.Fatalf("a name taken whatever its case: %d %s", r.Status, r.Body)
	}
	// The picture is its own copy: the same bytes, served with Range and nosniff, and it stays
	// when the source asset goes.
	pic := a.Do("GET", mia.Images[0].URL, nil)
	if pic.Status != 200 || !bytes.Equal(pic.Body, orig1) || pic.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("picture: %d %v", pic.Status, pic.Header)
	}
	if part := a.Do("GET", mia.Images[0].URL, nil, "Range", "bytes=0-9"); part.Status != 206 || len(part.Body) != 10 {
		t.Fatalf("range: %d %d", part.Status, len(part.Body))
	}
	if r := a.Do("DELETE", "/api/assets/"+img1.ID, nil); r.Status/100 != 2 {
		t.Fatalf("delete source: %d %s", r.Status, r.Body)
	}
	if again := a.Do("GET", mia.Images[0].URL, nil); again.Status != 200 || !bytes.Equal(again.Body, orig1) {
		t.Fatalf("the member lost its picture with the source: %d", again.Status)
	}

	// Another person's private member does not exist for them.
	for _, path := range []string{"/api/cast/" + mia.ID, mia.Images[0].URL} {
		if r := b.Do("GET", path, nil); r.Status != 404 {
			t.Fatalf("private %s: %d", path, r.Status)
		}
	}
	for _, m := range []string{"PATCH", "DELETE"} {
		if r := b.Do(m, "/api/cast/"+mia.ID, map[string]any{"name": "Stolen"}); r.Status != 404 || r.ErrorCode() != "not_found" {
			t.Fatalf("private %s: %d %s", m, r.Status, r.Body)
		}
	}
	subs := g.sim.Count("submit")
	if r := b.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/nano-banana/edit", "prompt": "x", "cast": []string{mia.ID}}); r.Status != 404 {
		t.Fatalf("a submit naming a private member: %d %s", r.Status, r.Body)
	}
	// @Mia is plain text for b (no member of theirs or shared): it runs as written.
	gen := submit(t, b, "fal-ai/flux/schnell", "@Mia at the beach", nil)
	if in, _, _ := lastJobs(g, 1); in[0]["prompt"] != "@Mia at the beach" || g.sim.Count("submit") != subs+1 {
		t.Fatalf("unresolved mention: %v", in[0])
	}
	waitDone(t, b, gen.ID)
	if got := galleryIDs(t, b, "cast="+mia.ID); len(got) != 0 {
		t.Fatalf("b's gallery by a private member: %v", got)
	}

	// Mentions fill the list field: the members' pictures, uploaded with the caller's key; the
	// prompt fal receives drops the "@"; the generation keeps what was written.
	ups := g.uploads()
	r = a.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/nano-banana/edit", "prompt": "(@mia) on a beach, not @Miami or me@mia",
		"params": map[string]any{"image_urls": []string{"https://v3.fal.media/files/own.png"}}})
	if r.Status != 202 {
		t.Fatalf("mention: %d %s", r.Status, r.Body)
	}
	made := r.JSON()["generation"].(map[string]any)
	in, _, keys := lastJobs(g, 1)
	urls, _ := in[0]["image_urls"].([]any)
	if in[0]["prompt"] != "(mia) on a beach, not @Miami or me@mia" || keys[0] != "sim-key-a" || len(urls) != 3 || urls[0] != "https://v3.fal.media/files/own.png" ||
		g.sim.UploadKey(urls[1].(string)) != "sim-key-a" || g.uploads()-ups != 4 {
		t.Fatalf("fal received %v with %s", in[0], keys[0])
	}
	stored, _ := json.Marshal(made["params"])
	if made["prompt"] != "(@mia) on a beach, not @Miami or me@mia" || !strings.Contains(string(stored), "own.png") || strings.Contains(string(stored), "/cdn/files/") ||
		len(made["cast"].([]any)) != 1 || made["cast"].([]any)[0] != mia.ID {
		t.Fatalf("the generation keeps what was written: %v", made)
	}
	ev := waitDone(t, a, made["id"].(string))
	withMia := ids([]assetJSON{{ID: ev[len(ev)-1].Assets[0].ID}})
	if got := galleryIDs(t, a, "cast="+mia.ID); strings.Join(got, ",") != strings.Join(withMia, ",") {
		t.Fatalf("gallery features @Mia: %v, want %v", got, withMia)
	}
	if got := galleryIDs(t, a, "cast=nosuchmember"); len(got) != 0 {
		t.Fatalf("unknown member filter: %v", got)
	}
	// A chip and the description; a single-URL field takes the first picture of the first member.
	r = a.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux-pro/kontext", "prompt": "she waves", "cast": []string{mia.ID}, "useDescription": true})
	if r.Status != 202 {
		t.Fatalf("chip: %d %s", r.Status, r.Body)
	}
	in, _, _ = lastJobs(g, 1)
	if u, ok := in[0]["image_url"].(string); !ok || in[0]["prompt"] != "she waves. a girl with red hair" || g.sim.UploadKey(u) != "sim-key-a" {
		t.Fatalf("chip input: %v", in[0])
	}
	// A model without a reference field: nothing created or sent.
	gens, subs := genCount(t, a), g.sim.Count("submit")
	if r := a.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "@Mia in the rain"}); r.Status != 400 || r.ErrorCode() != "no_reference_field" {
		t.Fatalf("no reference field: %d %s", r.Status, r.Body)
	}
	if r := a.Do("POST", "/api/generations/estimate", map[string]any{"model": "fal-ai/flux/schnell", "cast": []string{mia.ID}, "useDescription": true}); r.Status != 200 {
		t.Fatalf("estimate takes cast: %d %s", r.Status, r.Body)
	}
	if genCount(t, a) != gens || g.sim.Count("submit") != subs {
		t.Fatal("a refused cast submit left something")
	}

	// Sharing: read-only to others, who upload the pictures with their own key.
	r = a.Do("PATCH", "/api/cast/"+mia.ID, map[string]any{"shared": true})
	if r.Status != 200 || !decodeCast(t, r).Shared {
		t.Fatalf("share: %d %s", r.Status, r.Body)
	}
	if list := castList(t, b); len(list) != 1 || list[0].ID != mia.ID {
		t.Fatalf("b sees %+v", list)
	}
	if r := b.Do("GET", mia.Images[1].URL, nil); r.Status != 200 {
		t.Fatalf("a shared picture: %d", r.Status)
	}
	for _, m := range []string{"PATCH", "DELETE"} {
		if r := b.Do(m, "/api/cast/"+mia.ID, map[string]any{"name": "Stolen"}); r.Status != 403 || r.ErrorCode() != "forbidden" {
			t.Fatalf("shared %s by another: %d %s", m, r.Status, r.Body)
		}
	}
	r = b.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/nano-banana/edit", "prompt": "@Mia with a dog"})
	if r.Status != 202 {
		t.Fatalf("b uses the shared member: %d %s", r.Status, r.Body)
	}
	in, _, keys = lastJobs(g, 1)
	urls, _ = in[0]["image_urls"].([]any)
	if keys[0] != "sim-key-b" || len(urls) != 2 || g.sim.UploadKey(urls[0].(string)) != "sim-key-b" || g.sim.UploadKey(urls[1].(string)) != "sim-key-b" {
		t.Fatalf("b's submit: %v with %s", in[0], keys[0])
	}
	// A caller's own member wins; several other people's of one name are ambiguous.
	r = c3.Do("POST", "/api/cast", map[string]any{"name": "mia", "kind": "pet", "assetIds": []string{}})
	if r.Status != 400 {
		t.Fatalf("c without pictures: %d", r.Status)
	}
	cimg, _ := makeAsset(t, c3, "fal-ai/flux/schnell", "a cat", nil)
	r = c3.Do("POST", "/api/cast", map[string]any{"name": "mia", "kind": "pet", "assetIds": []string{cimg.ID}, "shared": true})
	if r.Status != 201 {
		t.Fatalf("c's mia: %d %s", r.Status, r.Body)
	}
	cmia := decodeCast(t, r)
	if list := castList(t, c3); len(list) != 2 || list[0].ID != cmia.ID {
		t.Fatalf("own members first: %+v", list)
	}
	r = c3.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/nano-banana/edit", "prompt": "@MIA, asleep"})
	if r.Status != 202 || r.JSON()["generation"].(map[string]any)["cast"].([]any)[0] != cmia.ID {
		t.Fatalf("own member wins: %d %s", r.Status, r.Body)
	}
	if r := b.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/nano-banana/edit", "prompt": "@Mia again"}); r.Status != 400 || r.ErrorCode() != "cast_ambiguous" {
		t.Fatalf("ambiguous: %d %s", r.Status, r.Body)
	}
	// Unsharing hides it at once; what b made stays b's.
	a.Do("PATCH", "/api/cast/"+mia.ID, map[string]any{"shared": false})
	if r := b.Do("GET", "/api/cast/"+mia.ID, nil); r.Status != 404 {
		t.Fatalf("unshared: %d", r.Status)
	}

	// PATCH: reorder, drop and add pictures; a count outside 1–8 changes nothing.
	dropped := mia.Images[0]
	r = a.Do("PATCH", "/api/cast/"+mia.ID, map[string]any{"imageIds": []string{mia.Images[1].ID}, "addAssetIds": []string{img3.ID}, "description": ""})
	if r.Status != 200 {
		t.Fatalf("patch pictures: %d %s", r.Status, r.Body)
	}
	after := decodeCast(t, r)
	if len(after.Images) != 2 || after.Images[0].ID != mia.Images[1].ID || after.Description != "" {
		t.Fatalf("after patch: %+v", after)
	}
	if r := a.Do("GET", dropped.URL, nil); r.Status != 404 {
		t.Fatalf("a dropped picture: %d", r.Status)
	}
	for _, body := range []map[string]any{{"imageIds": []string{}}, {"imageIds": []string{"nope"}}, {"name": "bad name"}, {"kind": "robot"},
		{"addAssetIds": []string{theirs.ID}}} {
		if r := a.Do("PATCH", "/api/cast/"+mia.ID, body); r.Status/100 != 4 {
			t.Fatalf("patch %v: %d %s", body, r.Status, r.Body)
		}
	}
	if now := decodeCast(t, a.Do("GET", "/api/cast/"+mia.ID, nil)); len(now.Images) != 2 || now.Name != "Mia" {
		t.Fatalf("a refused patch changed the member: %+v", now)
	}
	// DELETE removes the member and its pictures, the stored objects too.
	castFiles := func() int {
		n := 0
		err := filepath.WalkDir(g.studio.DataDir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.Contains(filepath.ToSlash(p), "/cast/") {
				n++
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := castFiles(); n != 3 { // mia's two and c's one
		t.Fatalf("%d cast objects before the delete", n)
	}
	if r := a.Do("DELETE", "/api/cast/"+mia.ID, nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := a.Do("GET", after.Images[0].URL, nil); r.Status != 404 {
		t.Fatalf("a deleted member's picture: %d", r.Status)
	}
	if r := a.Do("GET", "/api/cast/"+mia.ID, nil); r.Status != 404 {
		t.Fatalf("a deleted member: %d", r.Status)
	}
	if n := castFiles(); n != 1 {
		t.Fatalf("%d cast objects after the delete, want c's one", n)
	}
	// Deleting an account deletes its members' pictures with its assets.
	if r := c3.Do("DELETE", "/api/me", map[string]any{"password": goodPassword}); r.Status/100 != 2 {
		t.Fatalf("delete account: %d %s", r.Status, r.Body)
	}
	testutil.WaitFor(t, 10*time.Second, "the deleted account's cast pictures to go", func() bool { return castFiles() == 0 })
	if list := castList(t, b); len(list) != 0 {
		t.Fatalf("a deleted account's shared member is still listed: %+v", list)
	}
}
