package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

// assetJSON is the part of the SPEC Asset the §13 tests read.
type assetJSON struct {
	ID     string `json:"id"`
	URL    string `json:"url"`
	Kind   string `json:"kind"`
	Parent *struct {
		AssetID  string `json:"assetId"`
		Relation string `json:"relation"`
		Missing  *bool  `json:"missing"`
	} `json:"parent"`
	TrashedAt          *string `json:"trashedAt"`
	PurgeAt            *string `json:"purgeAt"`
	Favorite           bool    `json:"favorite"`
	CollectionIDs      []string
	ContentCredentials *struct {
		Present bool `json:"present"`
	} `json:"contentCredentials"`
}

// makeAsset generates one output with model and waits for it.
func makeAsset(t *testing.T, c *testutil.Client, model, prompt string, body map[string]any) (assetJSON, map[string]any) {
	t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	body["model"], body["prompt"] = model, prompt
	r := c.Do("POST", "/api/generations", body)
	if r.Status != 202 {
		t.Fatalf("submit %s: %d %s", model, r.Status, r.Body)
	}
	gen := r.JSON()["generation"].(map[string]any)
	ev := waitDone(t, c, gen["id"].(string))
	if last := ev[len(ev)-1]; last.Status != "succeeded" || len(last.Assets) == 0 {
		t.Fatalf("%s: %+v", model, last)
	}
	return assetOf(t, c, ev[len(ev)-1].Assets[0].ID), gen
}

func assetOf(t *testing.T, c *testutil.Client, id string) assetJSON {
	t.Helper()
	r := c.Do("GET", "/api/assets/"+id, nil)
	if r.Status != 200 {
		t.Fatalf("asset %s: %d %s", id, r.Status, r.Body)
	}
	var out struct{ Asset assetJSON }
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Asset
}

func lineageOf(t *testing.T, c *testutil.Client, id string) (ancestors, children []assetJSON) {
	t.Helper()
	r := c.Do("GET", "/api/assets/"+id+"/lineage", nil)
	if r.Status != 200 {
		t.Fatalf("lineage %s: %d %s", id, r.Status, r.Body)
	}
	var out struct{ Ancestors, Children []assetJSON }
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Ancestors, out.Children
}

func ids(list []assetJSON) []string {
	out := []string{}
	for _, a := range list {
		out = append(out, a.ID)
	}
	return out
}

func (g *genEnv) uploads() int { return g.sim.Count("upload") + g.sim.Count("put") }

// Lineage (SPEC §13.2): referenceAssetIds fill the model's reference field with the stored
// originals uploaded at submit; every output names the first as its parent; a refused submit
// creates and uploads nothing; people never see each other's lineage.
func TestLineageFromReferences(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "lineage@example.com", "sim-key")
	other := g.user(t, "other-lineage@example.com", "sim-key-2")

	parent, _ := makeAsset(t, c, "fal-ai/flux/schnell", "a red fox", nil)
	if parent.Parent != nil || parent.ContentCredentials == nil || parent.TrashedAt != nil || parent.PurgeAt != nil {
		t.Fatalf("a plain output: %+v", parent)
	}
	video, _ := makeAsset(t, c, "fal-ai/veo3", "a running fox", nil)
	theirs, _ := makeAsset(t, other, "fal-ai/flux/schnell", "their fox", nil)
	original := c.Do("GET", parent.URL, nil).Body

	// Every refusal creates nothing: no generation, no upload, nothing submitted.
	countGens := func() int {
		r := c.Do("GET", "/api/generations?limit=100", nil)
		return len(r.JSON()["generations"].([]any))
	}
	gens, ups, subs := countGens(), g.uploads(), g.sim.Count("submit")
	refusals := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"model without a reference field", map[string]any{"model": "fal-ai/flux/schnell", "referenceAssetIds": []string{parent.ID}}, 400, "no_reference_field"},
		{"an id twice", map[string]any{"model": "fal-ai/nano-banana/edit", "referenceAssetIds": []string{parent.ID, parent.ID}}, 400, "invalid_input"},
		{"not an array", map[string]any{"model": "fal-ai/nano-banana/edit", "referenceAssetIds": parent.ID}, 400, "invalid_input"},
		{"not strings", map[string]any{"model": "fal-ai/nano-banana/edit", "referenceAssetIds": []any{1}}, 400, "invalid_input"},
		{"a NUL byte", map[string]any{"model": "fal-ai/nano-banana/edit", "referenceAssetIds": []string{"a\x00b"}}, 400, "invalid_input"},
		{"missing id", map[string]any{"model": "fal-ai/nano-banana/edit", "referenceAssetIds": []string{"nope"}}, 404, "not_found"},
		{"another person's", map[string]any{"model": "fal-ai/nano-banana/edit", "referenceAssetIds": []string{theirs.ID}}, 404, "not_found"},
		{"a video", map[string]any{"model": "fal-ai/nano-banana/edit", "referenceAssetIds": []string{video.ID}}, 400, "invalid_input"},
		{"unknown relation", map[string]any{"model": "fal-ai/nano-banana/edit", "referenceAssetIds": []string{parent.ID}, "relation": "cousin"}, 400, "invalid_input"},
		{"relation without references", map[string]any{"model": "fal-ai/nano-banana/edit", "relation": "edit",
			"params": map[string]any{"image_urls": []string{"https://x.test/1.png"}}}, 400, "invalid_input"},
		{"single field set twice", map[string]any{"model": "fal-ai/flux-pro/kontext", "referenceAssetIds": []string{parent.ID},
			"params": map[string]any{"image_url": "https://x.test/1.png"}}, 400, "invalid_input"},
		{"single field, two references", map[string]any{"model": "fal-ai/flux-pro/kontext", "referenceAssetIds": []string{parent.ID, theirs.ID}}, 404, "not_found"},
		{"list over its max", map[string]any{"model": "fal-ai/nano-banana/edit", "referenceAssetIds": []string{parent.ID},
			"params": map[string]any{"image_urls": []string{"https://x.test/1", "https://x.test/2", "https://x.test/3", "https://x.test/4"}}}, 400, "invalid_input"},
	}
	for _, rf := range refusals {
		for _, path := range []string{"/api/generations", "/api/generations/estimate"} {
			body := map[string]any{"prompt": "x"}
			for k, v := range rf.body {
				body[k] = v
			}
			if r := c.Do("POST", path, body); r.Status != rf.status || r.ErrorCode() != rf.code {
				t.Fatalf("%s at %s: want %d %s, got %d %s", rf.name, path, rf.status, rf.code, r.Status, r.Body)
			}
		}
	}
	// Two of the caller's own images for a single-URL field: invalid, not a lookup failure.
	second, _ := makeAsset(t, c, "fal-ai/flux/schnell", "a blue fox", nil)
	gens, subs = gens+1, subs+1
	if r := c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux-pro/kontext", "prompt": "x",
		"referenceAssetIds": []string{parent.ID, second.ID}}); r.Status != 400 || r.ErrorCode() != "invalid_input" {
		t.Fatalf("two references for one URL: %d %s", r.Status, r.Body)
	}
	if n := countGens(); n != gens || g.uploads() != ups || g.sim.Count("submit") != subs {
		t.Fatalf("a refused submit left something: generations %d→%d, uploads %d→%d, submits %d→%d", gens, n, ups, g.uploads(), subs, g.sim.Count("submit"))
	}

	// The estimate checks without uploading.
	if r := c.Do("POST", "/api/generations/estimate", map[string]any{"model": "fal-ai/nano-banana/edit", "prompt": "x",
		"referenceAssetIds": []string{parent.ID}, "relation": "edit"}); r.Status != 200 || g.uploads() != ups {
		t.Fatalf("estimate with references: %d %s (uploads %d→%d)", r.Status, r.Body, ups, g.uploads())
	}

	// A list field: the URLs params set come first, then the uploaded originals, in order.
	child, gen := makeAsset(t, c, "fal-ai/nano-banana/edit", "make it blue", map[string]any{
		"referenceAssetIds": []string{parent.ID, second.ID}, "relation": "edit",
		"params": map[string]any{"image_urls": []string{"https://example.com/given.png"}}})
	if got := gen["referenceAssetIds"]; len(got.([]any)) != 2 || got.([]any)[0] != parent.ID || gen["relation"] != "edit" {
		t.Fatalf("generation lineage: %v %v", gen["referenceAssetIds"], gen["relation"])
	}
	sent, _ := g.sim.LastInput()["image_urls"].([]any)
	if len(sent) != 3 || sent[0] != "https://example.com/given.png" {
		t.Fatalf("image_urls sent: %v", sent)
	}
	for i, want := range [][]byte{original, c.Do("GET", second.URL, nil).Body} {
		resp, err := http.Get(sent[i+1].(string))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("uploaded reference %d is not the stored original (%d vs %d bytes, %v)", i, len(got), len(want), err)
		}
	}
	if child.Parent == nil || child.Parent.AssetID != parent.ID || child.Parent.Relation != "edit" || child.Parent.Missing != nil {
		t.Fatalf("child parent: %+v", child.Parent)
	}
	// A single-URL field takes the one reference; the relation defaults to reference.
	grand, gen2 := makeAsset(t, c, "fal-ai/flux-pro/kontext", "sharper", map[string]any{"referenceAssetIds": []string{child.ID}})
	if g.sim.LastInput()["image_url"] == nil || gen2["relation"] != "reference" || grand.Parent == nil || grand.Parent.AssetID != child.ID || grand.Parent.Relation != "reference" {
		t.Fatalf("single field: input %v, generation relation %v, parent %+v", g.sim.LastInput()["image_url"], gen2["relation"], grand.Parent)
	}
	// Without references a generation says so.
	if r := c.Do("GET", "/api/generations/"+gen2["id"].(string), nil); r.Status != 200 {
		t.Fatal(r.Status)
	}
	r := c.Do("GET", "/api/generations?limit=100", nil)
	for _, x := range r.JSON()["generations"].([]any) {
		gx := x.(map[string]any)
		if refs, ok := gx["referenceAssetIds"].([]any); !ok || (len(refs) == 0) != (gx["relation"] == nil) {
			t.Fatalf("history entry lineage: %v %v", gx["referenceAssetIds"], gx["relation"])
		}
	}

	// GET /api/assets/{id}/lineage: ancestors nearest first, children newest first.
	anc, kids := lineageOf(t, c, grand.ID)
	if got := ids(anc); len(got) != 2 || got[0] != child.ID || got[1] != parent.ID || len(kids) != 0 {
		t.Fatalf("grandchild lineage: %v %v", got, ids(kids))
	}
	anc, kids = lineageOf(t, c, parent.ID)
	if len(anc) != 0 || len(kids) != 1 || kids[0].ID != child.ID {
		t.Fatalf("parent lineage: %v %v", ids(anc), ids(kids))
	}
	// Another person's asset does not exist for them, nor does a missing one.
	for _, p := range []string{"/api/assets/" + grand.ID + "/lineage", "/api/assets/nope/lineage"} {
		if r := other.Do("GET", p, nil); r.Status != 404 || r.ErrorCode() != "not_found" {
			t.Fatalf("%s for another person: %d %s", p, r.Status, r.Body)
		}
	}
	if _, kids := lineageOf(t, other, theirs.ID); len(kids) != 0 {
		t.Fatalf("their asset has children: %v", ids(kids))
	}
}
