package httpapi_test

import (
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/falsim"
)

// Derive (SPEC §14): upscale and remove background make a new generation from one of the
// person's assets — its original uploaded to fal storage with their key and sent as image_url,
// no prompt sent — whose outputs name the source as their parent; another person's asset, a
// video with an image model, a model of another task or no key refuse before anything is sent.
func TestDerive(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "derive@example.com", "sim-key-derive")
	other := g.user(t, "derive-other@example.com", "sim-key-other")
	src, _ := makeAsset(t, c, "fal-ai/flux/schnell", "a red fox", nil)
	video, _ := makeAsset(t, c, "fal-ai/veo3", "a running fox", nil)

	models := c.Do("GET", "/api/models", nil)
	for _, want := range []string{`"id":"fal-ai/recraft/upscale/crisp"`, `"task":"upscale"`, `"task":"remove-background"`, `"promptGuide":"`} {
		if !strings.Contains(string(models.Body), want) {
			t.Fatalf("catalogue lacks %s", want)
		}
	}

	derive := func(id string, body map[string]any) generationJSON {
		t.Helper()
		r := c.Do("POST", "/api/assets/"+id+"/derive", body)
		if r.Status != 202 {
			t.Fatalf("derive %v: %d %s", body, r.Status, r.Body)
		}
		return decodeGen(t, r)
	}
	cases := []struct {
		action, model string
		cost          float64
		uploads       int // the same key reuses its upload of the same original (within an hour)
	}{{"upscale", "fal-ai/recraft/upscale/crisp", 0.004, 2}, {"remove-background", "fal-ai/bria/background/remove", 0.018, 0}}
	var derived string
	for _, tc := range cases {
		ups := g.uploads()
		gen := derive(src.ID, map[string]any{"action": tc.action})
		r := c.Do("GET", "/api/generations/"+gen.ID, nil)
		body := r.JSON()["generation"].(map[string]any)
		if body["model"] != tc.model || body["prompt"] != "a red fox" || body["costUsd"] != tc.cost || body["relation"] != tc.action {
			t.Fatalf("%s generation: %s", tc.action, r.Body)
		}
		inputs, endpoints, keys := lastJobs(g, 1)
		u, _ := inputs[0]["image_url"].(string)
		if endpoints[0] != tc.model || keys[0] != "sim-key-derive" || inputs[0]["prompt"] != nil || g.sim.UploadKey(u) != "sim-key-derive" || g.uploads()-ups != tc.uploads {
			t.Fatalf("%s: fal received %s %v with %s (uploaded with %q)", tc.action, endpoints[0], inputs[0], keys[0], g.sim.UploadKey(u))
		}
		ev := waitDone(t, c, gen.ID)
		last := ev[len(ev)-1]
		if last.Status != "succeeded" || len(last.Assets) != 1 {
			t.Fatalf("%s: %+v", tc.action, last)
		}
		a := assetOf(t, c, last.Assets[0].ID)
		if a.Parent == nil || a.Parent.AssetID != src.ID || a.Parent.Relation != tc.action || a.Kind != "image" {
			t.Fatalf("%s output: %+v", tc.action, a)
		}
		derived = a.ID
	}
	// A derived asset can be derived again: each link names its own parent.
	gen := derive(derived, map[string]any{"action": "upscale", "params": map[string]any{"enable_safety_checker": false}})
	if in, _, _ := lastJobs(g, 1); in[0]["enable_safety_checker"] != false {
		t.Fatalf("params reach fal: %v", in[0])
	}
	ev := waitDone(t, c, gen.ID)
	if a := assetOf(t, c, ev[len(ev)-1].Assets[0].ID); a.Parent == nil || a.Parent.AssetID != derived {
		t.Fatalf("derived again: %+v", a.Parent)
	}
	if again := assetOf(t, c, src.ID); again.Parent != nil {
		t.Fatalf("the source changed: %+v", again.Parent)
	}

	// Refusals send nothing.
	subs, ups := g.sim.Count("submit"), g.uploads()
	refusals := []struct {
		name, id string
		body     map[string]any
		status   int
		code     string
	}{
		{"missing action", src.ID, map[string]any{}, 400, "invalid_input"},
		{"unknown action", src.ID, map[string]any{"action": "colorize"}, 400, "invalid_input"},
		{"a model of another task", src.ID, map[string]any{"action": "upscale", "model": "fal-ai/bria/background/remove"}, 400, "invalid_input"},
		{"a model outside the catalogue", src.ID, map[string]any{"action": "upscale", "model": "fal-ai/flux/dev"}, 400, "invalid_input"},
		{"bad params", src.ID, map[string]any{"action": "upscale", "params": map[string]any{"enable_safety_checker": "no"}}, 400, "invalid_input"},
		{"a video", video.ID, map[string]any{"action": "upscale"}, 400, "unsupported_input"},
		{"an unknown asset", "nosuchasset", map[string]any{"action": "upscale"}, 404, "not_found"},
	}
	for _, tc := range refusals {
		r := c.Do("POST", "/api/assets/"+tc.id+"/derive", tc.body)
		if r.Status != tc.status || r.ErrorCode() != tc.code {
			t.Fatalf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	if r := other.Do("POST", "/api/assets/"+src.ID+"/derive", map[string]any{"action": "upscale"}); r.Status != 404 || r.ErrorCode() != "not_found" {
		t.Fatalf("another's asset: %d %s", r.Status, r.Body)
	}
	if r := c.Do("POST", "/api/assets/"+video.ID+"/derive", map[string]any{"action": "upscale"}); !strings.Contains(string(r.Body), "image") {
		t.Fatalf("the message names the kind the model takes: %s", r.Body)
	}
	if g.sim.Count("submit") != subs || g.uploads() != ups {
		t.Fatal("a refused derive reached fal")
	}
	// Over budget: refused before anything is uploaded.
	if r := c.Do("PUT", "/api/me/budget", map[string]any{"monthlyBudgetUsd": 0.001}); r.Status != 200 {
		t.Fatalf("budget: %d %s", r.Status, r.Body)
	}
	if r := c.Do("POST", "/api/assets/"+src.ID+"/derive", map[string]any{"action": "upscale"}); r.Status != 409 || r.ErrorCode() != "budget_exceeded" {
		t.Fatalf("over budget: %d %s", r.Status, r.Body)
	}
	// No key.
	if r := c.Do("DELETE", "/api/me/fal-key", nil); r.Status/100 != 2 {
		t.Fatalf("remove key: %d %s", r.Status, r.Body)
	}
	if r := c.Do("POST", "/api/assets/"+src.ID+"/derive", map[string]any{"action": "upscale"}); r.Status != 409 || r.ErrorCode() != "fal_key_missing" {
		t.Fatalf("no key: %d %s", r.Status, r.Body)
	}
	if g.sim.Count("submit") != subs || g.uploads() != ups {
		t.Fatal("a refused derive reached fal")
	}
}
