package httpapi_test

import (
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/account"
	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/testutil"
)

// DELETE /api/me and PUT /api/me/password count password checks like login: per account (and
// per address), 429 rate_limited with Retry-After once spent, even for the right password.
func TestOwnPasswordChecksAreThrottled(t *testing.T) {
	limits := app.Options{PerEmail: account.Limit{Every: time.Hour, Burst: 3}}
	s := testutil.NewStudio(t, testutil.StudioOptions{App: limits})
	s.NewClient(t).SignUp("admin@example.com", goodPassword)
	cases := []struct {
		email, method, path string
		body                func(pw string) map[string]string
	}{
		{"del@example.com", "DELETE", "/api/me", func(pw string) map[string]string { return map[string]string{"password": pw} }},
		{"chg@example.com", "PUT", "/api/me/password", func(pw string) map[string]string {
			return map[string]string{"currentPassword": pw, "newPassword": "another fine passphrase"}
		}},
	}
	for _, tc := range cases {
		c := s.NewClient(t)
		c.SignUp(tc.email, goodPassword)
		for i := range 3 {
			if r := c.Do(tc.method, tc.path, tc.body("wrong password "+string(rune('a'+i)))); r.Status != 401 || r.ErrorCode() != "invalid_credentials" {
				t.Fatalf("%s %s wrong password %d: %d %s", tc.method, tc.path, i, r.Status, r.Body)
			}
		}
		r := c.Do(tc.method, tc.path, tc.body(goodPassword))
		if r.Status != 429 || r.ErrorCode() != "rate_limited" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("%s %s after 3 wrong passwords: %d %s %v", tc.method, tc.path, r.Status, r.Body, r.Header)
		}
		// Nothing happened: the account is there and its password unchanged.
		if r := c.Do("GET", "/api/me", nil); r.Status != 200 {
			t.Fatalf("%s: the account is gone or signed out: %d", tc.email, r.Status)
		}
		if r := s.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": tc.email, "password": goodPassword}); r.Status != 200 {
			t.Fatalf("%s: login with the unchanged password: %d %s", tc.email, r.Status, r.Body)
		}
	}
	// The budget is the account's: another person from the same address still checks theirs.
	c := s.NewClient(t)
	c.SignUp("other@example.com", goodPassword)
	if r := c.Do("DELETE", "/api/me", map[string]string{"password": "wrong password!"}); r.Status != 401 {
		t.Fatalf("another account's check: %d %s", r.Status, r.Body)
	}
}
