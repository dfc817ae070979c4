package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

type compareJSON struct {
	Group       string `json:"group"`
	Prompt      string `json:"prompt"`
	Generations []struct {
		ID                string   `json:"id"`
		Model             string   `json:"model"`
		Prompt            string   `json:"prompt"`
		Status            string   `json:"status"`
		Group             *string  `json:"group"`
		Cast              []string `json:"cast"`
		ReferenceAssetIDs []string `json:"referenceAssetIds"`
		CostUSD           *float64 `json:"costUsd"`
	} `json:"generations"`
}

func decodeCompare(t *testing.T, r *testutil.Response) compareJSON {
	t.Helper()
	var out compareJSON
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("compare answer: %v %s", err, r.Body)
	}
	return out
}

// genCount is how many generations a person has in their history.
func genCount(t *testing.T, c *testutil.Client) int {
	t.Helper()
	r := c.Do("GET", "/api/generations?limit=100", nil)
	if r.Status != 200 {
		t.Fatalf("history: %d %s", r.Status, r.Body)
	}
	return len(r.JSON()["generations"].([]any))
}

// lastJobs are the inputs, endpoints and keys of the last n jobs fal received, oldest first.
func lastJobs(g *genEnv, n int) (inputs []map[string]any, endpoints, keys []string) {
	jobs := g.sim.Jobs()
	for _, id := range jobs[len(jobs)-n:] {
		inputs = append(inputs, g.sim.Input(id))
		endpoints = append(endpoints, g.sim.Endpoint(id))
		keys = append(keys, g.sim.JobKey(id))
	}
	return inputs, endpoints, keys
}

// Compare (SPEC §14): one prompt to 2–6 runs, each an ordinary generation with the person's
// key, in the order of the runs; checked, priced and refused as a set; references uploaded once
// and given to every run's reference field; another person's set does not exist.
func TestCompare(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "compare@example.com", "sim-key-compare")
	other := g.user(t, "compare-other@example.com", "sim-key-other")

	runs := []map[string]any{{"model": "fal-ai/flux/schnell"}, {"model": "fal-ai/flux/dev", "params": map[string]any{"num_inference_steps": 10}},
		{"model": "fal-ai/flux/schnell", "params": map[string]any{"num_images": 2}}, {"model": "fal-ai/recraft/v3/text-to-image"}}
	r := c.Do("POST", "/api/compare", map[string]any{"prompt": "  a lighthouse at dusk ", "runs": runs})
	if r.Status != 202 {
		t.Fatalf("compare: %d %s", r.Status, r.Body)
	}
	set := decodeCompare(t, r)
	if set.Group == "" || set.Prompt != "a lighthouse at dusk" || len(set.Generations) != 4 {
		t.Fatalf("set: %+v", set)
	}
	for i, gen := range set.Generations {
		if gen.Model != runs[i]["model"] || gen.Prompt != "a lighthouse at dusk" || gen.Group == nil || *gen.Group != set.Group ||
			gen.Cast == nil || len(gen.Cast) != 0 || gen.Status == "failed" {
			t.Fatalf("run %d: %+v", i, gen)
		}
	}
	// The runs are sent at once, so fal sees them in any order: each with the person's key, the
	// set's prompt and its own settings.
	inputs, endpoints, keys := lastJobs(g, 4)
	seen := map[string]int{}
	for i := range 4 {
		if keys[i] != "sim-key-compare" || inputs[i]["prompt"] != "a lighthouse at dusk" {
			t.Fatalf("fal received job %d: %s %s %v", i, endpoints[i], keys[i], inputs[i])
		}
		seen[endpoints[i]]++
		switch {
		case endpoints[i] == "fal-ai/flux/dev" && inputs[i]["num_inference_steps"] != float64(10):
			t.Fatalf("flux/dev lost its settings: %v", inputs[i])
		case endpoints[i] == "fal-ai/flux/schnell" && inputs[i]["num_images"] == float64(2):
			seen["schnell x2"]++
		}
	}
	if seen["fal-ai/flux/schnell"] != 2 || seen["schnell x2"] != 1 || seen["fal-ai/flux/dev"] != 1 || seen["fal-ai/recraft/v3/text-to-image"] != 1 {
		t.Fatalf("fal received %v", seen)
	}
	for _, gen := range set.Generations {
		if ev := waitDone(t, c, gen.ID); ev[len(ev)-1].Status != "succeeded" {
			t.Fatalf("run %s: %+v", gen.ID, ev[len(ev)-1])
		}
	}
	got := c.Do("GET", "/api/compare/"+set.Group, nil)
	again := decodeCompare(t, got)
	if got.Status != 200 || len(again.Generations) != 4 || again.Prompt != set.Prompt {
		t.Fatalf("reopen: %d %s", got.Status, got.Body)
	}
	for i, gen := range again.Generations {
		if gen.ID != set.Generations[i].ID || gen.Status != "succeeded" {
			t.Fatalf("reopened run %d: %+v", i, gen)
		}
	}
	for _, path := range []string{"/api/compare/" + set.Group, "/api/compare/nosuchgroup"} {
		if r := other.Do("GET", path, nil); r.Status != 404 || r.ErrorCode() != "not_found" {
			t.Fatalf("another's set %s: %d %s", path, r.Status, r.Body)
		}
	}

	// A refused set leaves nothing: no generation, no submit, no upload.
	source, _ := makeAsset(t, c, "fal-ai/flux/schnell", "a lighthouse", nil)
	gens, subs, ups := genCount(t, c), g.sim.Count("submit"), g.uploads()
	refusals := []struct {
		name, code, want string
		body             map[string]any
	}{
		{"one run", "invalid_input", "", map[string]any{"prompt": "x", "runs": runs[:1]}},
		{"seven runs", "invalid_input", "", map[string]any{"prompt": "x", "runs": append(append([]map[string]any{}, runs...), runs[:3]...)}},
		{"no runs", "invalid_input", "", map[string]any{"prompt": "x"}},
		{"runs not a list", "invalid_input", "", map[string]any{"prompt": "x", "runs": "fal-ai/flux/dev"}},
		{"a run without a model", "invalid_input", "runs[1]", map[string]any{"prompt": "x", "runs": []map[string]any{runs[0], {"params": map[string]any{}}}}},
		{"a malformed model", "invalid_input", "runs[0]", map[string]any{"prompt": "x", "runs": []map[string]any{{"model": "../x"}, runs[0]}}},
		{"a model fal does not know", "invalid_input", "runs[1]", map[string]any{"prompt": "x", "runs": []map[string]any{runs[0], {"model": "acme/no-such-app"}}}},
		{"bad params", "invalid_input", "runs[1]", map[string]any{"prompt": "x", "runs": []map[string]any{runs[0], {"model": "fal-ai/flux/dev", "params": map[string]any{"num_images": 99}}}}},
		{"no prompt", "invalid_input", "runs[0]", map[string]any{"prompt": " ", "runs": runs[:2]}},
		{"a run without a reference field", "no_reference_field", "runs[0]", map[string]any{"prompt": "x", "runs": runs[:2], "referenceAssetIds": []string{source.ID}}},
		{"another's reference", "not_found", "", map[string]any{"prompt": "x", "runs": []map[string]any{{"model": "fal-ai/nano-banana/edit"}, {"model": "fal-ai/nano-banana/edit"}}, "referenceAssetIds": []string{"nosuchasset"}}},
	}
	for _, tc := range refusals {
		r := c.Do("POST", "/api/compare", tc.body)
		if r.Status/100 != 4 || r.ErrorCode() != tc.code || !strings.Contains(string(r.Body), tc.want) {
			t.Fatalf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	if genCount(t, c) != gens || g.sim.Count("submit") != subs || g.uploads() != ups {
		t.Fatalf("a refused set left something behind: gens %d→%d submits %d→%d uploads %d→%d",
			gens, genCount(t, c), subs, g.sim.Count("submit"), ups, g.uploads())
	}

	// References: uploaded once with the person's key, and every run's field gets them.
	r = c.Do("POST", "/api/compare", map[string]any{"prompt": "make it night", "referenceAssetIds": []string{source.ID},
		"runs": []map[string]any{{"model": "fal-ai/nano-banana/edit"}, {"model": "fal-ai/flux-pro/kontext"}}})
	if r.Status != 202 {
		t.Fatalf("compare with references: %d %s", r.Status, r.Body)
	}
	refSet := decodeCompare(t, r)
	if g.uploads()-ups != 2 { // one initiate and one PUT
		t.Fatalf("the reference was uploaded %d times", (g.uploads()-ups)/2)
	}
	inputs, _, _ = lastJobs(g, 2)
	var list []any
	var single string
	for _, in := range inputs {
		if l, ok := in["image_urls"].([]any); ok {
			list = l
		}
		if u, ok := in["image_url"].(string); ok {
			single = u
		}
	}
	if len(list) != 1 || list[0] != single || g.sim.UploadKey(single) != "sim-key-compare" {
		t.Fatalf("reference fields: %v / %v (uploaded with %q)", inputs[0]["image_urls"], inputs[1]["image_url"], g.sim.UploadKey(single))
	}
	for _, gen := range refSet.Generations {
		if len(gen.ReferenceAssetIDs) != 1 || gen.ReferenceAssetIDs[0] != source.ID {
			t.Fatalf("run references: %+v", gen)
		}
		ev := waitDone(t, c, gen.ID)
		last := ev[len(ev)-1]
		if last.Status != "succeeded" {
			t.Fatalf("reference run: %+v", last)
		}
		if a := assetOf(t, c, last.Assets[0].ID); a.Parent == nil || a.Parent.AssetID != source.ID || a.Parent.Relation != "reference" {
			t.Fatalf("a run's output names its reference: %+v", a.Parent)
		}
	}

	// Once accepted, a run fal refuses ends failed in place and the others go on.
	g.sim.SetOptions(falsim.Options{FailSubmit: 1})
	r = c.Do("POST", "/api/compare", map[string]any{"prompt": "a harbour", "runs": runs[:2]})
	if r.Status != 202 {
		t.Fatalf("a compare fal partly refuses: %d %s", r.Status, r.Body)
	}
	failed, ok := 0, 0
	for _, gen := range decodeCompare(t, r).Generations {
		last := waitDone(t, c, gen.ID)
		switch s := last[len(last)-1]; {
		case s.Status == "failed" && s.Error != nil && s.Error.Code == "fal_unavailable":
			failed++
		case s.Status == "succeeded":
			ok++
		default:
			t.Fatalf("run %s: %+v", gen.ID, s)
		}
	}
	if failed != 1 || ok != 1 {
		t.Fatalf("failed %d, succeeded %d", failed, ok)
	}
}

// A compare is priced as a set: refused as a whole when the sum of its runs would exceed the
// budget, though each run alone would fit; a run without a price is refused under a budget and
// named.
func TestCompareBudget(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "compare-budget@example.com", "sim-key-cb")
	if r := c.Do("PUT", "/api/me/budget", map[string]any{"monthlyBudgetUsd": 0.03}); r.Status != 200 {
		t.Fatalf("budget: %d %s", r.Status, r.Body)
	}
	gens, subs := genCount(t, c), g.sim.Count("submit")
	two := []map[string]any{{"model": "fal-ai/flux/dev"}, {"model": "fal-ai/flux/dev", "params": map[string]any{"seed": 7}}}
	r := c.Do("POST", "/api/compare", map[string]any{"prompt": "a fox", "runs": two})
	if r.Status != 409 || r.ErrorCode() != "budget_exceeded" || !strings.Contains(string(r.Body), "$0.03") {
		t.Fatalf("over budget as a set: %d %s", r.Status, r.Body)
	}
	r = c.Do("POST", "/api/compare", map[string]any{"prompt": "a fox", "runs": []map[string]any{{"model": "fal-ai/flux/schnell"}, {"model": "acme/custom-app"}}})
	if r.Status != 400 || r.ErrorCode() != "invalid_input" || !strings.Contains(string(r.Body), "runs[1]") {
		t.Fatalf("a model fal does not know: %d %s", r.Status, r.Body)
	}
	if genCount(t, c) != gens || g.sim.Count("submit") != subs {
		t.Fatal("a set refused over budget left something behind")
	}
	// Each alone fits.
	waitDone(t, c, submit(t, c, "fal-ai/flux/dev", "a fox", nil).ID)

	// Two sets at once under one remaining budget: the guard runs in each set's insert
	// transaction, so exactly one of them gets in. Each set is two $0.003 runs.
	d := g.user(t, "compare-race@example.com", "sim-key-race")
	if r := d.Do("PUT", "/api/me/budget", map[string]any{"monthlyBudgetUsd": 0.009}); r.Status != 200 {
		t.Fatalf("budget: %d %s", r.Status, r.Body)
	}
	schnell := []map[string]any{{"model": "fal-ai/flux/schnell"}, {"model": "fal-ai/flux/schnell", "params": map[string]any{"seed": 1}}}
	codes := make(chan int, 2)
	for range 2 {
		go func() {
			codes <- d.Do("POST", "/api/compare", map[string]any{"prompt": "a race", "runs": schnell}).Status
		}()
	}
	got := map[int]int{}
	for range 2 {
		got[<-codes]++
	}
	if got[202] != 1 || got[409] != 1 || genCount(t, d) != 2 {
		t.Fatalf("two sets at once: %v, %d generations", got, genCount(t, d))
	}
}
