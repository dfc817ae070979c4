package httpapi_test

import (
	"testing"

	"github.com/falstudio/falstudio/internal/falsim"
)

// The estimate checks cast ids and @mentions as a submit resolves them (SPEC §14): an unknown
// id or another person's private member does not exist, too many or a malformed id is invalid,
// a shared member is fine; nothing is created or uploaded either way.
func TestEstimateCastIDs(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	a := g.user(t, "est-cast-a@example.com", "sim-key-a")
	b := g.user(t, "est-cast-b@example.com", "sim-key-b")
	imgA, _ := makeAsset(t, a, "fal-ai/flux/schnell", "a cat", nil)
	imgB, _ := makeAsset(t, b, "fal-ai/flux/schnell", "a dog", nil)
	r := a.Do("POST", "/api/cast", map[string]any{"name": "Tom", "kind": "pet", "assetIds": []string{imgA.ID}})
	if r.Status != 201 {
		t.Fatalf("create a's member: %d %s", r.Status, r.Body)
	}
	tom := decodeCast(t, r)
	r = b.Do("POST", "/api/cast", map[string]any{"name": "Rex", "kind": "pet", "assetIds": []string{imgB.ID}})
	if r.Status != 201 {
		t.Fatalf("create b's member: %d %s", r.Status, r.Body)
	}
	rex := decodeCast(t, r)
	gens, uploads, subs := genCount(t, a), g.sim.Count("upload"), g.sim.Count("submit")

	nine := make([]string, 9)
	for i := range nine {
		nine[i] = tom.ID
	}
	cases := []struct {
		name   string
		cast   []string
		status int
		code   string
	}{
		{"own member", []string{tom.ID}, 200, ""},
		{"an unknown id", []string{tom.ID, "c_doesnotexist"}, 404, "not_found"},
		{"another's private member", []string{rex.ID}, 404, "not_found"},
		{"nine ids", nine, 400, "invalid_input"},
		{"an empty id", []string{""}, 400, "invalid_input"},
	}
	for _, tc := range cases {
		body := map[string]any{"model": "fal-ai/flux-pro/kontext", "prompt": "a pet on a sofa", "cast": tc.cast, "useDescription": true}
		r := a.Do("POST", "/api/generations/estimate", body)
		if r.Status != tc.status || (tc.code != "" && r.ErrorCode() != tc.code) {
			t.Fatalf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}

	// Shared, b's member is usable by id; an @mention resolves as a submit's does.
	if r := b.Do("PATCH", "/api/cast/"+rex.ID, map[string]any{"shared": true}); r.Status != 200 {
		t.Fatalf("share: %d %s", r.Status, r.Body)
	}
	if r := a.Do("POST", "/api/generations/estimate", map[string]any{"model": "fal-ai/flux-pro/kontext", "prompt": "@Tom and @Rex", "cast": []string{rex.ID}}); r.Status != 200 {
		t.Fatalf("shared member and mentions: %d %s", r.Status, r.Body)
	}
	if genCount(t, a) != gens || g.sim.Count("upload") != uploads || g.sim.Count("submit") != subs {
		t.Fatal("an estimate created, uploaded or submitted something")
	}
}
