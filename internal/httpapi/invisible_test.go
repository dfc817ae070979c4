package httpapi_test

import (
	"testing"

	"github.com/falstudio/falstudio/internal/testutil"
)

// Emails, collection names and preset names refuse invisible and direction-changing characters
// (a lookalike "admin@…", a reversed "exe.png"); names keep the joiners emoji need.
func TestInvisibleCharactersRefused(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{})
	c := s.NewClient(t)
	c.SignUp("admin@example.com", goodPassword)
	preset := func(name string) map[string]any {
		return map[string]any{"name": name, "model": "fal-ai/flux/dev", "params": map[string]any{"num_images": 1}}
	}
	for _, tc := range []struct {
		path   string
		body   any
		status int
	}{
		{"/api/auth/signup", map[string]string{"email": "ad\u200bmin@example.com", "password": goodPassword}, 400},
		{"/api/auth/signup", map[string]string{"email": "admin\ufeff@example.com", "password": goodPassword}, 400},
		{"/api/collections", map[string]string{"name": "\u202egnp.exe"}, 400},
		{"/api/collections", map[string]string{"name": "bob board\u200b"}, 400},
		{"/api/collections", map[string]string{"name": "left \u2066isolate"}, 400},
		{"/api/collections", map[string]string{"name": "team 👩\u200d💻 board"}, 201},
		{"/api/presets", preset("draft\u202e"), 400},
		{"/api/presets", preset("draft\u2060"), 400},
		{"/api/presets", preset("draft 👩\u200d💻"), 201},
	} {
		cl := c
		if tc.path == "/api/auth/signup" {
			cl = s.NewClient(t)
		}
		r := cl.Do("POST", tc.path, tc.body)
		if r.Status != tc.status || (tc.status == 400 && r.ErrorCode() != "invalid_input") {
			t.Errorf("POST %s %q: %d %s", tc.path, tc.body, r.Status, r.Body)
		}
	}
}
