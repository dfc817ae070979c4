package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/testutil"
)

func TestPresetScenarios(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{})
	alice := s.NewClient(t)
	alice.SignUp("alice@example.com", goodPassword)
	bob := s.NewClient(t)
	bob.SignUp("bob@example.com", goodPassword)

	create := func(c *testutil.Client, name string) string {
		t.Helper()
		r := c.Do("POST", "/api/presets", map[string]any{"name": name, "model": "fal-ai/flux/dev", "params": map[string]any{"num_images": 2, "image_size": "square_hd"}})
		if r.Status != 201 {
			t.Fatalf("create %q: %d %s", name, r.Status, r.Body)
		}
		p := r.JSON()["preset"].(map[string]any)
		for _, k := range []string{"id", "name", "model", "params", "createdAt", "updatedAt"} {
			if _, ok := p[k]; !ok {
				t.Fatalf("preset lacks %q: %s", k, r.Body)
			}
		}
		return p["id"].(string)
	}
	mine := create(alice, "Square drafts")
	other := create(alice, "Wide")
	bobs := create(bob, "Bob's")

	cases := []struct {
		name    string
		c       *testutil.Client
		method  string
		path    string
		body    any
		status  int
		code    string
		contain string
		absent  string
	}{
		{"list is mine only", alice, "GET", "/api/presets", nil, 200, "", `"Square drafts"`, "Bob's"},
		{"list another user", bob, "GET", "/api/presets", nil, 200, "", `"Bob's"`, "Square drafts"},
		{"anonymous", s.NewClient(t), "GET", "/api/presets", nil, 401, "unauthenticated", "", ""},
		{"name taken", alice, "POST", "/api/presets", map[string]any{"name": "Square drafts", "model": "fal-ai/flux/dev"}, 409, "name_taken", "", ""},
		{"name taken whatever the case", alice, "POST", "/api/presets", map[string]any{"name": "  square DRAFTS ", "model": "fal-ai/flux/dev"}, 409, "name_taken", "", ""},
		{"same name, other user", bob, "POST", "/api/presets", map[string]any{"name": "Square drafts", "model": "fal-ai/flux/dev"}, 201, "", `"Square drafts"`, ""},
		{"empty name", alice, "POST", "/api/presets", map[string]any{"name": "  ", "model": "fal-ai/flux/dev"}, 400, "invalid_input", "", ""},
		{"long name", alice, "POST", "/api/presets", map[string]any{"name": strings.Repeat("n", 101), "model": "fal-ai/flux/dev"}, 400, "invalid_input", "", ""},
		{"control in name", alice, "POST", "/api/presets", map[string]any{"name": "a\x00b", "model": "fal-ai/flux/dev"}, 400, "invalid_input", "", ""},
		{"bad model", alice, "POST", "/api/presets", map[string]any{"name": "x", "model": "../etc"}, 400, "invalid_input", "", ""},
		{"params not an object", alice, "POST", "/api/presets", map[string]any{"name": "x", "model": "fal-ai/flux/dev", "params": []int{1}}, 400, "invalid_input", "", ""},
		{"params too large", alice, "POST", "/api/presets", map[string]any{"name": "x", "model": "fal-ai/flux/dev", "params": map[string]string{"negative_prompt": strings.Repeat("z", 70<<10)}}, 400, "invalid_input", "", ""},
		{"no params is an empty object", alice, "POST", "/api/presets", map[string]any{"name": "Bare", "model": "fal-ai/flux/schnell"}, 201, "", `"params":{}`, ""},
		{"rename", alice, "PATCH", "/api/presets/" + mine, map[string]any{"name": "Square finals"}, 200, "", `"Square finals"`, ""},
		{"rename onto another", alice, "PATCH", "/api/presets/" + mine, map[string]any{"name": "wide"}, 409, "name_taken", "", ""},
		{"rename to own name in another case", alice, "PATCH", "/api/presets/" + other, map[string]any{"name": "WIDE"}, 200, "", `"WIDE"`, ""},
		{"replace params", alice, "PATCH", "/api/presets/" + mine, map[string]any{"params": map[string]any{"seed": 7}}, 200, "", `"params":{"seed":7}`, "num_images"},
		{"patch bad params", alice, "PATCH", "/api/presets/" + mine, map[string]any{"params": "x"}, 400, "invalid_input", "", ""},
		{"patch another user's", alice, "PATCH", "/api/presets/" + bobs, map[string]any{"name": "mine now"}, 404, "not_found", "", ""},
		{"delete another user's", alice, "DELETE", "/api/presets/" + bobs, nil, 404, "not_found", "", ""},
		{"patch missing", alice, "PATCH", "/api/presets/nope", map[string]any{"name": "x"}, 404, "not_found", "", ""},
		{"form body refused", alice, "POST", "/api/presets", strings.NewReader("name=x"), 415, "", "", ""},
		{"delete", alice, "DELETE", "/api/presets/" + other, nil, 204, "", "", ""},
		{"deleted is gone", alice, "PATCH", "/api/presets/" + other, map[string]any{"name": "x"}, 404, "not_found", "", ""},
		{"bob's untouched", bob, "GET", "/api/presets", nil, 200, "", `"Bob's"`, "mine now"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.c.Do(tc.method, tc.path, tc.body)
			if r.Status != tc.status || (tc.code != "" && r.ErrorCode() != tc.code) {
				t.Fatalf("got %d %s, want %d %q", r.Status, r.Body, tc.status, tc.code)
			}
			if tc.contain != "" && !strings.Contains(string(r.Body), tc.contain) {
				t.Fatalf("body lacks %s: %s", tc.contain, r.Body)
			}
			if tc.absent != "" && strings.Contains(string(r.Body), tc.absent) {
				t.Fatalf("body has %s: %s", tc.absent, r.Body)
			}
		})
	}

	// The list is sorted by name, case-insensitively.
	var list struct {
		Presets []struct{ Name string } `json:"presets"`
	}
	r := alice.Do("GET", "/api/presets", nil)
	if err := json.Unmarshal(r.Body, &list); err != nil {
		t.Fatalf("list: %v", err)
	}
	var names []string
	for _, p := range list.Presets {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "Bare,Square finals" {
		t.Fatalf("names %v", names)
	}
}
