package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/testutil"
)

// libEnv is a studio with two people, each owning a few stored assets (real rows, real files on
// local disk), and a clock the test can move forward.
type libEnv struct {
	studio *testutil.Studio
	offset *atomic.Int64 // added to the wall clock (ns)
	a, b   *testutil.Client
	aID    int64
	bID    int64
	files  map[string][]byte // asset id → stored bytes
}

func newLibEnv(t *testing.T) *libEnv { return newLibEnvWith(t, nil) }

// newLibEnvWith is newLibEnv with more environment (TRASH_DAYS=0: deletes are immediate).
func newLibEnvWith(t *testing.T, env map[string]string) *libEnv {
	t.Helper()
	off := &atomic.Int64{}
	now := func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: env, App: app.Options{Generation: generation.Options{Now: now}}})
	e := &libEnv{studio: st, offset: off, files: map[string][]byte{}}
	e.a, e.aID = libUser(t, st, "lib-a@example.com")
	e.b, e.bID = libUser(t, st, "lib-b@example.com")
	return e
}

func libUser(t *testing.T, st *testutil.Studio, email string) (*testutil.Client, int64) {
	c := st.NewClient(t)
	r := c.SignUp(email, goodPassword)
	var out struct {
		User struct{ ID int64 } `json:"user"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil || out.User.ID == 0 {
		t.Fatalf("signup body %s: %v", r.Body, err)
	}
	return c, out.User.ID
}

// seed stores an asset of size bytes (random content) for a user, created at the given time.
func (e *libEnv) seed(t *testing.T, userID int64, prompt, modelID, kind string, created time.Time, size int) string {
	t.Helper()
	ctx := context.Background()
	id := strings.ToLower(rand.Text())
	ctype := map[string]string{model.KindImage: "image/png", model.KindVideo: "video/mp4", model.KindAudio: "audio/mpeg"}[kind]
	body := make([]byte, size)
	if _, err := rand.Read(body); err != nil {
		t.Fatal(err)
	}
	key := media.ObjectKey(userID, kind, prompt, id, ctype, created)
	saved, err := e.studio.App.Library().Storage().Save(ctx, key, bytes.NewReader(body), int64(size), ctype)
	if err != nil {
		t.Fatalf("save: %v", err)
	}
	a := &model.Asset{ID: id, UserID: userID, GenerationID: "", Model: modelID, Prompt: prompt, Kind: kind, StorageKey: key,
		Storage: saved.Storage, ContentType: ctype, Bytes: saved.Bytes, Width: 64, Height: 48,
		Params: json.RawMessage(`{"seed":42,"image_size":"square"}`), CreatedAt: created}
	if ok, err := e.studio.App.Store().InsertAsset(ctx, a); err != nil || !ok {
		t.Fatalf("insert asset: %v %v", ok, err)
	}
	e.files[id] = body
	return id
}

func (e *libEnv) objectPath(t *testing.T, userID int64, id string) string {
	t.Helper()
	a, err := e.studio.App.Store().Asset(context.Background(), userID, id)
	if err != nil {
		t.Fatalf("asset %s: %v", id, err)
	}
	return filepath.Join(e.studio.DataDir, "media", filepath.FromSlash(a.StorageKey))
}

func mustJSON(t *testing.T, r *testutil.Response, status int, dst any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if dst != nil {
		if err := json.Unmarshal(r.Body, dst); err != nil {
			t.Fatalf("decode %s: %v", r.Body, err)
		}
	}
}

type assetPageJSON struct {
	Assets []struct {
		ID            string   `json:"id"`
		Favorite      bool     `json:"favorite"`
		CollectionIDs []string `json:"collectionIds"`
		Model         string   `json:"model"`
	} `json:"assets"`
	NextCursor *string `json:"nextCursor"`
}

func (p assetPageJSON) ids() []string {
	out := []string{}
	for _, a := range p.Assets {
		out = append(out, a.ID)
	}
	return out
}

type collectionJSON struct {
	Collection struct {
		ID       string  `json:"id"`
		Name     string  `json:"name"`
		Count    int     `json:"count"`
		CoverURL *string `json:"coverUrl"`
	} `json:"collection"`
}

func createCollection(t *testing.T, c *testutil.Client, name string) string {
	t.Helper()
	var out collectionJSON
	mustJSON(t, c.Do("POST", "/api/collections", map[string]string{"name": name}), 201, &out)
	return out.Collection.ID
}

type libStep struct {
	name    string
	as      *testutil.Client
	method  string
	path    string
	body    any
	status  int
	code    string   // expected error code, if any
	want    []string // substrings the body must hold
	notWant []string // substrings it must not hold
}

func runSteps(t *testing.T, steps []libStep) {
	t.Helper()
	for _, s := range steps {
		r := s.as.Do(s.method, s.path, s.body)
		if r.Status != s.status {
			t.Fatalf("%s: %s %s → %d, want %d: %s", s.name, s.method, s.path, r.Status, s.status, r.Body)
		}
		if s.code != "" && r.ErrorCode() != s.code {
			t.Fatalf("%s: code %q, want %q", s.name, r.ErrorCode(), s.code)
		}
		for _, w := range s.want {
			if !bytes.Contains(r.Body, []byte(w)) {
				t.Fatalf("%s: body lacks %q: %s", s.name, w, r.Body)
			}
		}
		for _, w := range s.notWant {
			if bytes.Contains(r.Body, []byte(w)) {
				t.Fatalf("%s: body holds %q: %s", s.name, w, r.Body)
			}
		}
	}
}

// TestLibraryScenarios walks every library route as the owner, as another person (404, never
// listed) and without a session (401).
func TestLibraryScenarios(t *testing.T) {
	e := newLibEnv(t)
	day1 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	day2 := time.Date(2026, 11, 2, 23, 59, 59, 0, time.UTC)
	day3 := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	a1 := e.seed(t, e.aID, "a red fox", "fal-ai/flux/dev", model.KindImage, day1, 1000)
	a2 := e.seed(t, e.aID, "a blue whale", "fal-ai/flux/schnell", model.KindImage, day2, 1000)
	a3 := e.seed(t, e.aID, "a red car video", "fal-ai/kling", model.KindVideo, day3, 1000)
	b1 := e.seed(t, e.bID, "b secret fox", "fal-ai/flux/dev", model.KindImage, day1, 1000)
	cA := createCollection(t, e.a, "Foxes")
	cB := createCollection(t, e.b, "B's board")
	var bShare struct {
		Share struct{ ID string } `json:"share"`
	}
	mustJSON(t, e.b.Do("POST", "/api/shares", map[string]string{"assetId": b1}), 201, &bShare)
	anon := e.studio.NewClient(t)
	A, B := e.a, e.b

	runSteps(t, []libStep{
		// Favourites.
		{"favourite own", A, "PUT", "/api/assets/" + a1 + "/favorite", nil, 200, "", []string{`"favorite":true`, a1}, nil},
		{"favourite another's", A, "PUT", "/api/assets/" + b1 + "/favorite", nil, 404, "not_found", nil, []string{b1, "secret"}},
		{"unfavourite another's", A, "DELETE", "/api/assets/" + b1 + "/favorite", nil, 404, "not_found", nil, nil},
		{"favourites only", A, "GET", "/api/assets?favorite=1", nil, 200, "", []string{a1}, []string{a2, a3, b1}},
		{"favourite is per person", B, "GET", "/api/assets?favorite=1", nil, 200, "", nil, []string{b1, a1}},
		{"unfavourite", A, "DELETE", "/api/assets/" + a1 + "/favorite", nil, 200, "", []string{`"favorite":false`}, nil},
		{"re-favourite", A, "PUT", "/api/assets/" + a1 + "/favorite", nil, 200, "", nil, nil},
		// Filters, combined with kind, q and each other.
		{"model", A, "GET", "/api/assets?model=fal-ai/flux/dev", nil, 200, "", []string{a1}, []string{a2, a3, b1}},
		{"from (inclusive)", A, "GET", "/api/assets?from=2026-11-02", nil, 200, "", []string{a2, a3}, []string{a1, b1}},
		{"to (inclusive, whole day)", A, "GET", "/api/assets?to=2026-11-02", nil, 200, "", []string{a1, a2}, []string{a3, b1}},
		{"one day", A, "GET", "/api/assets?from=2026-11-02&to=2026-11-02", nil, 200, "", []string{a2}, []string{a1, a3}},
		{"kind and q", A, "GET", "/api/assets?kind=video&q=red", nil, 200, "", []string{a3}, []string{a1, a2}},
		{"q and favourite", A, "GET", "/api/assets?q=red&favorite=1", nil, 200, "", []string{a1}, []string{a2, a3}},
		{"favourite and other model", A, "GET", "/api/assets?favorite=1&model=fal-ai/kling", nil, 200, "", []string{`"assets":[]`}, nil},
		{"bad date", A, "GET", "/api/assets?from=yesterday", nil, 400, "invalid_input", nil, nil},
		{"from after to", A, "GET", "/api/assets?from=2026-11-03&to=2026-11-01", nil, 400, "invalid_input", nil, nil},
		{"bad kind", A, "GET", "/api/assets?kind=pdf", nil, 400, "invalid_input", nil, nil},
		// Collections.
		{"list collections", A, "GET", "/api/collections", nil, 200, "", []string{cA, "Foxes"}, []string{cB, "B's board"}},
		{"empty name", A, "POST", "/api/collections", map[string]string{"name": "  "}, 400, "invalid_input", nil, nil},
		{"name too long", A, "POST", "/api/collections", map[string]string{"name": strings.Repeat("x", 101)}, 400, "invalid_input", nil, nil},
		{"name of 100", A, "POST", "/api/collections", map[string]string{"name": strings.Repeat("é", 100)}, 201, "", nil, nil},
		{"name taken, any case", A, "POST", "/api/collections", map[string]string{"name": "foxes"}, 409, "name_taken", nil, nil},
		{"same name as another person's", A, "POST", "/api/collections", map[string]string{"name": "B's board"}, 201, "", nil, []string{cB}},
		{"add own and foreign", A, "POST", "/api/collections/" + cA + "/assets", map[string]any{"assetIds": []string{a1, a3, b1}}, 200, "", []string{`"count":2`}, nil},
		{"membership shows on assets", A, "GET", "/api/assets/" + a1, nil, 200, "", []string{`"collectionIds":["` + cA + `"]`}, nil},
		{"collection filter", A, "GET", "/api/assets?collection=" + cA, nil, 200, "", []string{a1, a3}, []string{a2, b1}},
		{"collection and kind", A, "GET", "/api/assets?collection=" + cA + "&kind=image", nil, 200, "", []string{a1}, []string{a3}},
		{"collection and favourite and q", A, "GET", "/api/assets?collection=" + cA + "&favorite=1&q=fox", nil, 200, "", []string{a1}, []string{a3}},
		{"another's collection filter", A, "GET", "/api/assets?collection=" + cB, nil, 404, "not_found", nil, nil},
		{"cover defaults to newest", A, "GET", "/api/collections", nil, 200, "", []string{`"coverUrl":"/media/` + a3 + `"`}, nil},
		{"choose cover", A, "PATCH", "/api/collections/" + cA, map[string]string{"coverAssetId": a1}, 200, "", []string{`"coverUrl":"/media/` + a1 + `"`}, nil},
		{"cover not in it", A, "PATCH", "/api/collections/" + cA, map[string]string{"coverAssetId": a2}, 400, "invalid_input", nil, nil},
		{"rename", A, "PATCH", "/api/collections/" + cA, map[string]string{"name": "Red things"}, 200, "", []string{`"name":"Red things"`}, nil},
		{"rename to a taken name", A, "PATCH", "/api/collections/" + cA, map[string]string{"name": "b's BOARD"}, 409, "name_taken", nil, nil},
		{"rename another's", A, "PATCH", "/api/collections/" + cB, map[string]string{"name": "mine"}, 404, "not_found", nil, nil},
		{"add to another's", A, "POST", "/api/collections/" + cB + "/assets", map[string]any{"assetIds": []string{a1}}, 404, "not_found", nil, nil},
		{"remove from another's", A, "DELETE", "/api/collections/" + cB + "/assets", map[string]any{"assetIds": []string{b1}}, 404, "not_found", nil, nil},
		{"delete another's", A, "DELETE", "/api/collections/" + cB, nil, 404, "not_found", nil, nil},
		{"B's collection intact", B, "GET", "/api/collections", nil, 200, "", []string{cB}, []string{cA}},
		{"remove the cover", A, "DELETE", "/api/collections/" + cA + "/assets", map[string]any{"assetIds": []string{a1}}, 200, "", []string{`"count":1`, `"coverUrl":"/media/` + a3 + `"`}, nil},
		{"too many ids", A, "POST", "/api/collections/" + cA + "/assets", map[string]any{"assetIds": manyIDs(501)}, 400, "invalid_input", nil, nil},
		// Export and shares of another person's things.
		{"export another's ids", A, "GET", "/api/export.zip?ids=" + b1, nil, 404, "not_found", nil, nil},
		{"export another's collection", A, "GET", "/api/export.zip?collection=" + cB, nil, 404, "not_found", nil, nil},
		{"export too many", A, "GET", "/api/export.zip?ids=" + strings.Join(manyIDs(501), ","), nil, 400, "invalid_input", nil, nil},
		{"export nothing", A, "GET", "/api/export.zip", nil, 400, "invalid_input", nil, nil},
		{"share another's asset", A, "POST", "/api/shares", map[string]string{"assetId": b1}, 404, "not_found", nil, nil},
		{"share another's collection", A, "POST", "/api/shares", map[string]string{"collectionId": cB}, 404, "not_found", nil, nil},
		{"share both", A, "POST", "/api/shares", map[string]string{"assetId": a1, "collectionId": cA}, 400, "invalid_input", nil, nil},
		{"share past expiry", A, "POST", "/api/shares", map[string]string{"assetId": a1, "expiresAt": "2000-01-01T00:00:00Z"}, 400, "invalid_input", nil, nil},
		{"list shares", A, "GET", "/api/shares", nil, 200, "", []string{`"shares":[]`}, []string{bShare.Share.ID}},
		{"revoke another's share", A, "DELETE", "/api/shares/" + bShare.Share.ID, nil, 404, "not_found", nil, nil},
		{"B's share intact", B, "GET", "/api/shares", nil, 200, "", []string{bShare.Share.ID}, nil},
		// Bulk.
		{"bulk favourite with foreign", A, "POST", "/api/assets/bulk-favorite", map[string]any{"assetIds": []string{a2, b1}, "favorite": true}, 200, "", []string{`"updated":1`}, nil},
		{"B's asset not favourited", B, "GET", "/api/assets/" + b1, nil, 200, "", []string{`"favorite":false`}, nil},
		{"bulk delete only foreign", A, "POST", "/api/assets/bulk-delete", map[string]any{"assetIds": []string{b1}}, 200, "", []string{`"deleted":0`}, nil},
		{"bulk delete none", A, "POST", "/api/assets/bulk-delete", map[string]any{"assetIds": []string{}}, 400, "invalid_input", nil, nil},
		{"bulk delete too many", A, "POST", "/api/assets/bulk-delete", map[string]any{"assetIds": manyIDs(501)}, 400, "invalid_input", nil, nil},
		{"B's asset survives", B, "GET", "/api/assets/" + b1, nil, 200, "", []string{b1}, nil},
		{"never listed", A, "GET", "/api/assets?limit=100", nil, 200, "", []string{a1, a2, a3}, []string{b1}},
		// History.
		{"history paged", A, "GET", "/api/generations?limit=5", nil, 200, "", []string{`"generations":[]`, `"nextCursor":null`}, nil},
		{"history bad status", A, "GET", "/api/generations?status=exploded", nil, 400, "invalid_input", nil, nil},
		{"history bad cursor", A, "GET", "/api/generations?cursor=zzz", nil, 400, "invalid_input", nil, nil},
		{"active still works", A, "GET", "/api/generations?active=1", nil, 200, "", []string{`"generations":[]`}, nil},
		// Delete a collection: its assets stay.
		{"delete collection", A, "DELETE", "/api/collections/" + cA, nil, 204, "", nil, nil},
		{"its assets stay", A, "GET", "/api/assets/" + a3, nil, 200, "", []string{`"collectionIds":[]`}, nil},
	})

	// Without a session, every library route is 401 (the public share routes aside).
	for _, rt := range [][2]string{
		{"GET", "/api/assets?favorite=1"}, {"PUT", "/api/assets/" + a1 + "/favorite"}, {"DELETE", "/api/assets/" + a1 + "/favorite"},
		{"POST", "/api/assets/bulk-delete"}, {"POST", "/api/assets/bulk-favorite"}, {"GET", "/api/collections"},
		{"POST", "/api/collections"}, {"PATCH", "/api/collections/" + cB}, {"DELETE", "/api/collections/" + cB},
		{"POST", "/api/collections/" + cB + "/assets"}, {"DELETE", "/api/collections/" + cB + "/assets"},
		{"GET", "/api/export.zip?ids=" + a1}, {"GET", "/api/shares"}, {"POST", "/api/shares"}, {"DELETE", "/api/shares/" + bShare.Share.ID},
		{"GET", "/api/generations?status=failed"},
	} {
		var body any
		if rt[0] == "POST" || rt[0] == "PATCH" || (rt[0] == "DELETE" && strings.HasSuffix(rt[1], "/assets")) {
			body = map[string]any{}
		}
		if r := anon.Do(rt[0], rt[1], body); r.Status != 401 {
			t.Fatalf("anonymous %s %s → %d %s", rt[0], rt[1], r.Status, r.Body)
		}
	}
}

func manyIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("id%04d", i)
	}
	return out
}

// TestAssetsFilterPaging pages a filtered gallery with the keyset cursor: every match once, in
// order, none of another person's.
func TestAssetsFilterPaging(t *testing.T) {
	e := newLibEnv(t)
	base := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var favs []string
	for i := range 23 {
		id := e.seed(t, e.aID, fmt.Sprintf("lantern %d", i), "fal-ai/flux/dev", model.KindImage, base.Add(time.Duration(i)*time.Hour), 10)
		if i%2 == 0 {
			favs = append([]string{id}, favs...) // newest first
		}
		e.seed(t, e.bID, fmt.Sprintf("lantern %d", i), "fal-ai/flux/dev", model.KindImage, base.Add(time.Duration(i)*time.Hour), 10)
	}
	var n struct{ Updated int }
	mustJSON(t, e.a.Do("POST", "/api/assets/bulk-favorite", map[string]any{"assetIds": favs}), 200, &n)
	if n.Updated != len(favs) {
		t.Fatalf("updated %d", n.Updated)
	}
	var got []string
	cursor := ""
	for range 10 {
		var p assetPageJSON
		mustJSON(t, e.a.Do("GET", "/api/assets?favorite=1&q=lantern&limit=5&cursor="+cursor, nil), 200, &p)
		got = append(got, p.ids()...)
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	if strings.Join(got, ",") != strings.Join(favs, ",") {
		t.Fatalf("paged favourites\n got %v\nwant %v", got, favs)
	}
}

// TestBulkDeleteRemovesObjects deletes a mix of own, foreign and unknown ids with the trash off:
// only the caller's go, rows and files, and the count says so (the trash: trash_test.go).
func TestBulkDeleteRemovesObjects(t *testing.T) {
	e := newLibEnvWith(t, map[string]string{"TRASH_DAYS": "0"})
	now := time.Now().UTC()
	a1 := e.seed(t, e.aID, "one", "fal-ai/flux/dev", model.KindImage, now, 100)
	a2 := e.seed(t, e.aID, "two", "fal-ai/flux/dev", model.KindImage, now.Add(time.Second), 100)
	keep := e.seed(t, e.aID, "keep", "fal-ai/flux/dev", model.KindImage, now.Add(2*time.Second), 100)
	b1 := e.seed(t, e.bID, "theirs", "fal-ai/flux/dev", model.KindImage, now, 100)
	paths := map[string]string{a1: e.objectPath(t, e.aID, a1), a2: e.objectPath(t, e.aID, a2), b1: e.objectPath(t, e.bID, b1)}
	var out struct{ Deleted, Trashed int }
	mustJSON(t, e.a.Do("POST", "/api/assets/bulk-delete", map[string]any{"assetIds": []string{a1, b1, a2, "nope", a1}}), 200, &out)
	if out.Deleted != 2 || out.Trashed != 0 {
		t.Fatalf("deleted %d trashed %d, want 2 and 0", out.Deleted, out.Trashed)
	}
	for _, id := range []string{a1, a2} {
		if _, err := os.Stat(paths[id]); !os.IsNotExist(err) {
			t.Fatalf("object of %s still there: %v", id, err)
		}
		if r := e.a.Do("GET", "/api/assets/"+id, nil); r.Status != 404 {
			t.Fatalf("deleted asset answers %d", r.Status)
		}
	}
	if _, err := os.Stat(paths[b1]); err != nil {
		t.Fatalf("another person's object was touched: %v", err)
	}
	if r := e.b.Do("GET", "/media/"+b1, nil); r.Status != 200 || !bytes.Equal(r.Body, e.files[b1]) {
		t.Fatalf("another person's media: %d", r.Status)
	}
	if r := e.a.Do("GET", "/media/"+keep, nil); r.Status != 200 {
		t.Fatalf("kept asset: %d", r.Status)
	}
}

// TestSubmitToCollectionAndHistory submits into a collection (outputs land there), refuses
// another person's collection, and pages the history by status, failed ones with their error.
func TestSubmitToCollectionAndHistory(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	a := g.user(t, "hist-a@example.com", "sim-key-a")
	b := g.user(t, "hist-b@example.com", "sim-key-b")
	ca := createCollection(t, a, "Saved here")
	cb := createCollection(t, b, "Theirs")

	r := a.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "to the board", "collectionId": cb,
		"params": map[string]any{"num_images": 1}})
	if r.Status != 404 || r.ErrorCode() != "not_found" {
		t.Fatalf("submit into another's collection: %d %s", r.Status, r.Body)
	}
	r = a.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "to the board", "collectionId": ca,
		"params": map[string]any{"num_images": 2}})
	if r.Status != 202 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	gen := decodeGen(t, r)
	if last := waitDone(t, a, gen.ID); last[len(last)-1].Status != "succeeded" {
		t.Fatalf("generation: %+v", last[len(last)-1])
	}
	var page assetPageJSON
	mustJSON(t, a.Do("GET", "/api/assets?collection="+ca, nil), 200, &page)
	if len(page.Assets) != 2 || len(page.Assets[0].CollectionIDs) != 1 || page.Assets[0].CollectionIDs[0] != ca {
		t.Fatalf("collection after submit: %+v", page)
	}
	var coll struct {
		Collections []struct {
			ID    string
			Count int
		}
	}
	mustJSON(t, b.Do("GET", "/api/collections", nil), 200, &coll)
	if len(coll.Collections) != 1 || coll.Collections[0].Count != 0 {
		t.Fatalf("B's collection changed: %+v", coll)
	}

	blocked := submit(t, a, "fal-ai/flux/schnell", "a "+falsim.PromptBlocked+" picture", nil)
	waitDone(t, a, blocked.ID)
	third := submit(t, a, "fal-ai/flux/schnell", "third", nil)
	waitDone(t, a, third.ID)

	type histJSON struct {
		Generations []generationJSON `json:"generations"`
		NextCursor  *string          `json:"nextCursor"`
	}
	var h histJSON
	mustJSON(t, a.Do("GET", "/api/generations?status=failed", nil), 200, &h)
	if len(h.Generations) != 1 || h.Generations[0].ID != blocked.ID || h.Generations[0].Error == nil || h.Generations[0].Error.Code != "content_blocked" {
		t.Fatalf("failed history: %+v", h)
	}
	var seen []string
	cursor := ""
	for range 5 {
		mustJSON(t, a.Do("GET", "/api/generations?limit=2&cursor="+cursor, nil), 200, &h)
		for _, g := range h.Generations {
			seen = append(seen, g.ID)
		}
		if h.NextCursor == nil {
			break
		}
		cursor = *h.NextCursor
	}
	if strings.Join(seen, ",") != strings.Join([]string{third.ID, blocked.ID, gen.ID}, ",") {
		t.Fatalf("history pages: %v", seen)
	}
	mustJSON(t, b.Do("GET", "/api/generations", nil), 200, &h)
	if len(h.Generations) != 0 {
		t.Fatalf("B sees A's history: %+v", h)
	}
}
