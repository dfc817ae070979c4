package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/testutil"
)

// Reset and invite links are never built from the Host header: PUBLIC_URL, else the origin of
// the admin's own page (Origin), else a path on the studio.
func TestLinksIgnoreTheHostHeader(t *testing.T) {
	tm := newTeam(t, nil)
	reset := fmt.Sprintf("/api/admin/users/%d/password-reset", tm.memberID)
	for _, tc := range []struct {
		name     string
		host     string
		origin   string
		wantBase string
	}{
		{"a forged Host", "evil.example", "", ""},
		{"the admin's page", "", tm.s.URL, tm.s.URL},
		{"no Origin", "", "", ""},
	} {
		for _, path := range []string{reset, "/api/admin/invites"} {
			req, err := http.NewRequest("POST", tm.s.URL+path, strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			// Sent by hand: a cookie jar chooses cookies by host, and this request forges it.
			req.AddCookie(&http.Cookie{Name: "falstudio_session", Value: tm.admin.SessionCookie()})
			if tc.host != "" {
				req.Host = tc.host
			}
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r := testutil.ReadResponse(t, resp)
			if r.Status != 201 {
				t.Fatalf("%s %s: %d %s", tc.name, path, r.Status, r.Body)
			}
			u := r.JSON()["url"].(string)
			rest, ok := strings.CutPrefix(u, tc.wantBase)
			if !ok || !(strings.HasPrefix(rest, "/reset#token=") || strings.HasPrefix(rest, "/#invite=")) || strings.Contains(u, "evil") {
				t.Fatalf("%s %s: url %q, want it on %q", tc.name, path, u, tc.wantBase)
			}
		}
	}
}
