package httpapi_test

import (
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/enhance"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/generation"
)

// The prompt enhancer (SPEC §14): fal's openrouter/router rewrites the prompt with the person's
// key, the system prompt carrying the target model's guide verbatim; the answer is trimmed and
// its usage.cost is spend (in the month and in usage under openrouter/router); refusals send
// nothing; an LLM error or an empty answer is 502 fal_unavailable.
func TestEnhancePrompt(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, map[string]string{"ENHANCE_LLM_MODEL": "openai/gpt-4o-mini"}, "")
	c := g.user(t, "enhance@example.com", "sim-key-enhance")
	nokey := g.user(t, "enhance-nokey@example.com", "")

	runs := g.sim.Count("run")
	r := c.Do("POST", "/api/prompts/enhance", map[string]any{"prompt": "  a fox in the snow ", "model": "fal-ai/flux/dev"})
	if r.Status != 200 {
		t.Fatalf("enhance: %d %s", r.Status, r.Body)
	}
	body := r.JSON()
	want := "a fox in the snow, " + falsim.LLMSuffix + "."
	cost, ok := body["costUsd"].(float64)
	if body["prompt"] != want || !ok || cost <= 0 {
		t.Fatalf("answer: %s", r.Body)
	}
	in := g.sim.LastInput()
	system, _ := in["system_prompt"].(string)
	if g.sim.Count("run")-runs != 1 || g.sim.LastKey() != "sim-key-enhance" || in["model"] != "openai/gpt-4o-mini" || in["prompt"] != "a fox in the snow" ||
		!strings.Contains(system, generation.PromptGuide("fal-ai/flux/dev")) || system != enhance.SystemPrompt("fal-ai/flux/dev") {
		t.Fatalf("fal received %v with %s", in, g.sim.LastKey())
	}
	// Another task's guide; a model outside the catalogue gets the generic one.
	c.Do("POST", "/api/prompts/enhance", map[string]any{"prompt": "make the sky red", "model": "fal-ai/flux-pro/kontext"})
	if s, _ := g.sim.LastInput()["system_prompt"].(string); !strings.Contains(s, generation.PromptGuide("fal-ai/flux-pro/kontext")) || strings.Contains(s, generation.PromptGuide("fal-ai/flux/dev")) {
		t.Fatalf("edit guide: %s", s)
	}
	if r := c.Do("POST", "/api/prompts/enhance", map[string]any{"prompt": "a boat", "model": "acme/custom-app"}); r.Status != 200 {
		t.Fatalf("custom model: %d %s", r.Status, r.Body)
	}
	if s, _ := g.sim.LastInput()["system_prompt"].(string); !strings.Contains(s, generation.GenericPromptGuide) {
		t.Fatalf("generic guide: %s", s)
	}

	// Refusals send nothing.
	runs = g.sim.Count("run")
	refusals := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"empty prompt", map[string]any{"prompt": "", "model": "fal-ai/flux/dev"}, 400, "invalid_input"},
		{"blank prompt", map[string]any{"prompt": " \n ", "model": "fal-ai/flux/dev"}, 400, "invalid_input"},
		{"too long", map[string]any{"prompt": strings.Repeat("a", 10_001), "model": "fal-ai/flux/dev"}, 400, "invalid_input"},
		{"no model", map[string]any{"prompt": "a fox"}, 400, "invalid_input"},
		{"malformed model", map[string]any{"prompt": "a fox", "model": "../etc"}, 400, "invalid_input"},
		{"a NUL byte", map[string]any{"prompt": "a\x00fox", "model": "fal-ai/flux/dev"}, 400, "invalid_input"},
	}
	for _, tc := range refusals {
		if r := c.Do("POST", "/api/prompts/enhance", tc.body); r.Status != tc.status || r.ErrorCode() != tc.code {
			t.Fatalf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	if r := nokey.Do("POST", "/api/prompts/enhance", map[string]any{"prompt": "a fox", "model": "fal-ai/flux/dev"}); r.Status != 409 || r.ErrorCode() != "fal_key_missing" {
		t.Fatalf("no key: %d %s", r.Status, r.Body)
	}
	if g.sim.Count("run") != runs {
		t.Fatal("a refused enhance reached fal")
	}
	// The LLM's error or an empty answer.
	for _, p := range []string{falsim.PromptLLMError, falsim.PromptLLMEmpty} {
		if r := c.Do("POST", "/api/prompts/enhance", map[string]any{"prompt": "a fox " + p, "model": "fal-ai/flux/dev"}); r.Status != 502 || r.ErrorCode() != "fal_unavailable" {
			t.Fatalf("%s: %d %s", p, r.Status, r.Body)
		}
	}

	// Spend: not a generation, but counted in the month and in usage under openrouter/router.
	if n := genCount(t, c); n != 0 {
		t.Fatalf("an enhance is not a generation: %d in history", n)
	}
	u := c.Do("GET", "/api/me/usage?groupBy=model", nil)
	var bucket map[string]any
	for _, b := range u.JSON()["buckets"].([]any) {
		if m := b.(map[string]any); m["key"] == enhance.Endpoint {
			bucket = m
		}
	}
	spent, _ := u.JSON()["spentThisMonthUsd"].(float64)
	if bucket == nil || bucket["count"] != float64(5) || spent < cost || u.JSON()["totalUsd"].(float64) < cost {
		t.Fatalf("usage: %s", u.Body)
	}
	// Under a budget an enhance needs ENHANCE_RESERVE_USD of room, checked before fal.
	if r := c.Do("PUT", "/api/me/budget", map[string]any{"monthlyBudgetUsd": spent + 0.005}); r.Status != 200 {
		t.Fatalf("budget: %d %s", r.Status, r.Body)
	}
	runs = g.sim.Count("run")
	if r := c.Do("POST", "/api/prompts/enhance", map[string]any{"prompt": "a fox", "model": "fal-ai/flux/dev"}); r.Status != 409 || r.ErrorCode() != "budget_exceeded" || !strings.Contains(string(r.Body), "budget") {
		t.Fatalf("over budget: %d %s", r.Status, r.Body)
	}
	if g.sim.Count("run") != runs {
		t.Fatal("an enhance over budget reached fal")
	}
	if r := c.Do("PUT", "/api/me/budget", map[string]any{"monthlyBudgetUsd": spent + 0.02}); r.Status != 200 {
		t.Fatalf("budget: %d %s", r.Status, r.Body)
	}
	if r := c.Do("POST", "/api/prompts/enhance", map[string]any{"prompt": "a fox", "model": "fal-ai/flux/dev"}); r.Status != 200 {
		t.Fatalf("within budget: %d %s", r.Status, r.Body)
	}
}
