package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/account"
	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/testutil"
)

const goodPassword = "correct horse battery"

func TestSignupLoginScenarios(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{})
	c := s.NewClient(t)
	r := c.SignUp("  Alice@Example.COM ", goodPassword)
	if got := string(r.Body); !strings.Contains(got, `"email":"alice@example.com"`) {
		t.Fatalf("email not normalised: %s", got)
	}
	u := r.JSON()["user"].(map[string]any)
	if len(u) != 4 || u["hasFalKey"] != false || u["id"] == nil || u["role"] != "admin" {
		t.Fatalf("user object must be exactly {id,email,hasFalKey,role} (the first account is admin): %v", u)
	}
	ck := r.Header.Get("Set-Cookie")
	for _, want := range []string{"falstudio_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(ck, want) {
			t.Errorf("cookie %q lacks %q", ck, want)
		}
	}
	if strings.Contains(ck, "Secure") || strings.Contains(ck, "__Host-") {
		t.Errorf("cookie must not be Secure without an https PUBLIC_URL: %q", ck)
	}

	emoji72 := strings.Repeat("🙂", 18) // 72 bytes
	cases := []struct {
		name       string
		path       string
		body       any
		status     int
		code       string
		notContain string
	}{
		{"bad email", "/api/auth/signup", map[string]string{"email": "not-an-email", "password": goodPassword}, 400, "invalid_input", ""},
		{"short password", "/api/auth/signup", map[string]string{"email": "b@example.com", "password": "short"}, 400, "invalid_input", ""},
		{"73-byte password", "/api/auth/signup", map[string]string{"email": "b@example.com", "password": strings.Repeat("x", 73)}, 400, "invalid_input", ""},
		{"common password", "/api/auth/signup", map[string]string{"email": "b@example.com", "password": "password1"}, 400, "weak_password", ""},
		{"common digits", "/api/auth/signup", map[string]string{"email": "b@example.com", "password": "12345678"}, 400, "weak_password", ""},
		{"email taken", "/api/auth/signup", map[string]string{"email": "ALICE@example.com", "password": goodPassword}, 409, "email_taken", ""},
		{"72-byte multibyte password", "/api/auth/signup", map[string]string{"email": "emoji@example.com", "password": emoji72}, 201, "", "password"},
		{"login ok", "/api/auth/login", map[string]string{"email": "alice@example.com", "password": goodPassword}, 200, "", "hash"},
		{"login wrong password", "/api/auth/login", map[string]string{"email": "alice@example.com", "password": "wrong password!"}, 401, "invalid_credentials", ""},
		{"login unknown email", "/api/auth/login", map[string]string{"email": "nobody@example.com", "password": "wrong password!"}, 401, "invalid_credentials", ""},
		{"login truncated-equal password", "/api/auth/login", map[string]string{"email": "emoji@example.com", "password": emoji72 + "x"}, 401, "invalid_credentials", ""},
		{"bad json", "/api/auth/login", `{"email":`, 400, "invalid_input", ""},
		{"two objects", "/api/auth/login", `{} {}`, 400, "invalid_input", ""},
		{"huge body", "/api/auth/login", `{"email":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "too_large", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.NewClient(t).Do("POST", tc.path, tc.body)
			if r.Status != tc.status || r.ErrorCode() != tc.code {
				t.Fatalf("got %d %s, want %d %q", r.Status, r.Body, tc.status, tc.code)
			}
			if tc.notContain != "" && strings.Contains(strings.ToLower(string(r.Body)), tc.notContain) {
				t.Fatalf("body contains %q: %s", tc.notContain, r.Body)
			}
		})
	}

	// Wrong password and unknown email answer alike, body for body.
	a := s.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": "alice@example.com", "password": "wrong password!"})
	b := s.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": "nobody@example.com", "password": "wrong password!"})
	if string(a.Body) != string(b.Body) || a.Status != b.Status {
		t.Fatalf("wrong password and unknown email differ: %s vs %s", a.Body, b.Body)
	}
}

func TestJSONRoutesRefuseOtherContentTypes(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{})
	r := s.NewClient(t).Do("POST", "/api/auth/login", strings.NewReader(`{"email":"a@b.co","password":"x"}`), "Content-Type", "text/plain")
	if r.Status != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain login: %d %s", r.Status, r.Body)
	}
}

func TestLogoutRevokesTheCookie(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{})
	c := s.NewClient(t)
	c.SignUp("bob@example.com", goodPassword)
	old := c.SessionCookie()
	if r := c.Do("GET", "/api/me", nil); r.Status != 200 {
		t.Fatalf("me: %d", r.Status)
	}
	if r := c.Do("GET", "/api/auth/logout", nil); r.Status < 400 {
		t.Fatalf("GET logout must not succeed: %d", r.Status)
	}
	if r := c.Do("GET", "/api/me", nil); r.Status != 200 {
		t.Fatalf("GET logout ended the session: %d", r.Status)
	}
	r := c.Do("POST", "/api/auth/logout", nil)
	if r.Status != http.StatusNoContent || !strings.Contains(r.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %v", r.Status, r.Header)
	}
	replay := s.NewClient(t)
	r = replay.Do("GET", "/api/me", nil, "Cookie", "falstudio_session="+old)
	if r.Status != 401 || r.ErrorCode() != "unauthenticated" {
		t.Fatalf("replayed cookie after logout: %d %s", r.Status, r.Body)
	}
	for _, bogus := range []string{"attacker", "a.b", old + "x", strings.Repeat("A", 200) + "." + "b"} {
		if r := replay.Do("GET", "/api/me", nil, "Cookie", "falstudio_session="+bogus); r.Status != 401 {
			t.Fatalf("bogus cookie %q: %d", bogus, r.Status)
		}
	}
}

func TestLoginIssuesAFreshSession(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{})
	c := s.NewClient(t)
	c.SignUp("fix@example.com", goodPassword)
	r := c.Do("POST", "/api/auth/login", map[string]string{"email": "fix@example.com", "password": goodPassword}, "Cookie", "falstudio_session=attacker")
	if r.Status != 200 || strings.Contains(r.Header.Get("Set-Cookie"), "=attacker") {
		t.Fatalf("login must set a new cookie: %d %s", r.Status, r.Header.Get("Set-Cookie"))
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{})
	a, b := s.NewClient(t), s.NewClient(t)
	a.SignUp("carol@example.com", goodPassword)
	if r := b.Do("POST", "/api/auth/login", map[string]string{"email": "carol@example.com", "password": goodPassword}); r.Status != 200 {
		t.Fatalf("login b: %d", r.Status)
	}
	oldA := a.SessionCookie()
	if r := a.Do("PUT", "/api/me/password", map[string]string{"currentPassword": "not the password", "newPassword": "another good one"}); r.Status == 204 {
		t.Fatal("a wrong current password changed the password")
	}
	if r := a.Do("PUT", "/api/me/password", map[string]string{"currentPassword": goodPassword, "newPassword": "password1"}); r.ErrorCode() != "weak_password" {
		t.Fatalf("weak new password: %d %s", r.Status, r.Body)
	}
	r := a.Do("PUT", "/api/me/password", map[string]string{"currentPassword": goodPassword, "newPassword": "another good one"})
	if r.Status != 204 || r.Header.Get("Set-Cookie") == "" {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	if a.SessionCookie() == oldA {
		t.Fatal("the session was not rotated")
	}
	if r := a.Do("GET", "/api/me", nil); r.Status != 200 {
		t.Fatalf("new cookie: %d", r.Status)
	}
	if r := b.Do("GET", "/api/me", nil); r.Status != 401 {
		t.Fatalf("other session after password change: %d", r.Status)
	}
	if r := s.NewClient(t).Do("GET", "/api/me", nil, "Cookie", "falstudio_session="+oldA); r.Status != 401 {
		t.Fatalf("pre-change cookie: %d", r.Status)
	}
	if r := s.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": "carol@example.com", "password": "another good one"}); r.Status != 200 {
		t.Fatalf("login with the new password: %d", r.Status)
	}
}

func TestCrossOriginStateChangesAreRefused(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{Env: map[string]string{"PUBLIC_URL": "https://studio.example.com"}})
	routes := []struct{ method, path string }{
		{"POST", "/api/auth/signup"}, {"POST", "/api/auth/login"}, {"POST", "/api/auth/logout"},
		{"PUT", "/api/me/password"}, {"PUT", "/api/me/fal-key"}, {"DELETE", "/api/me/fal-key"},
		{"POST", "/api/generations"}, {"POST", "/api/generations/x/cancel"}, {"POST", "/api/uploads"}, {"DELETE", "/api/assets/x"},
	}
	headers := []struct {
		name    string
		hdr     []string
		refused bool
	}{
		{"cross-site", []string{"Sec-Fetch-Site", "cross-site"}, true},
		{"same-site", []string{"Sec-Fetch-Site", "same-site"}, true},
		{"evil origin", []string{"Origin", "https://evil.example"}, true},
		{"null origin", []string{"Origin", "null"}, true},
		{"same-origin", []string{"Sec-Fetch-Site", "same-origin"}, false},
		{"trusted public origin", []string{"Origin", "https://studio.example.com"}, false},
		{"no browser headers", nil, false},
	}
	for _, rt := range routes {
		for _, h := range headers {
			r := s.NewClient(t).Do(rt.method, rt.path, map[string]string{}, h.hdr...)
			if refused := r.Status == 403 && r.ErrorCode() == "cross_origin"; refused != h.refused {
				t.Errorf("%s %s with %s: %d %s", rt.method, rt.path, h.name, r.Status, r.Body)
			}
			if r.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("CORS header sent on %s", rt.path)
			}
		}
	}
}

func TestSecureCookieWithHTTPSPublicURL(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{Env: map[string]string{"PUBLIC_URL": "https://studio.example.com"}})
	r := s.NewClient(t).Do("POST", "/api/auth/signup", map[string]string{"email": "sec@example.com", "password": goodPassword})
	ck := r.Header.Get("Set-Cookie")
	for _, want := range []string{"__Host-falstudio_session=", "Secure", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(ck, want) {
			t.Errorf("cookie %q lacks %q", ck, want)
		}
	}
	if strings.Contains(ck, "Domain") {
		t.Errorf("cookie must not set Domain: %q", ck)
	}
	if r.Header.Get("Strict-Transport-Security") == "" {
		t.Error("HSTS missing with an https PUBLIC_URL")
	}
}

func TestSignupClosed(t *testing.T) {
	dir := t.TempDir()
	s := testutil.NewStudio(t, testutil.StudioOptions{DataDir: dir})
	s.NewClient(t).SignUp("first@example.com", goodPassword)
	s.Stop()
	s = testutil.NewStudio(t, testutil.StudioOptions{DataDir: dir, Env: map[string]string{"ALLOW_SIGNUP": "false"}})
	r := s.NewClient(t).Do("POST", "/api/auth/signup", map[string]string{"email": "second@example.com", "password": goodPassword})
	if r.Status != 403 || r.ErrorCode() != "signup_closed" {
		t.Fatalf("closed sign-up: %d %s", r.Status, r.Body)
	}
	if r := s.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": "first@example.com", "password": goodPassword}); r.Status != 200 {
		t.Fatalf("existing users still log in: %d", r.Status)
	}
}

func TestRateLimits(t *testing.T) {
	limits := app.Options{PerIP: account.Limit{Every: time.Hour, Burst: 6}, PerEmail: account.Limit{Every: time.Hour, Burst: 3},
		PerEmailAnyIP: account.Limit{Every: time.Hour, Burst: 12}}
	s := testutil.NewStudio(t, testutil.StudioOptions{App: limits, Env: map[string]string{"TRUSTED_PROXIES": "127.0.0.1"}})
	s.NewClient(t).SignUp("victim@example.com", goodPassword)
	login := func(email, password, ip string) *testutil.Response {
		return s.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": email, "password": password}, "X-Forwarded-For", ip)
	}
	// Per (email, IP): the attacker's 4th attempt from one address is refused…
	for i := range 3 {
		if r := login("victim@example.com", "wrong password!", "203.0.113.7"); r.Status != 401 {
			t.Fatalf("attempt %d: %d", i, r.Status)
		}
	}
	r := login("victim@example.com", "wrong password!", "203.0.113.7")
	if r.Status != 429 || r.ErrorCode() != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("per-email-and-IP limit: %d %s %v", r.Status, r.Body, r.Header)
	}
	// …while the owner, from their own address, still logs in: no lockout.
	if r := login("victim@example.com", goodPassword, "198.51.100.20"); r.Status != 200 {
		t.Fatalf("the owner was locked out: %d %s", r.Status, r.Body)
	}
	// IPv6 clients are counted per /64: hopping addresses inside one /64 does not help.
	for i := range 3 {
		if r := login("victim@example.com", "wrong password!", fmt.Sprintf("2001:db8:1:2::%x", i+1)); r.Status != 401 {
			t.Fatalf("v6 attempt %d: %d", i, r.Status)
		}
	}
	if r := login("victim@example.com", "wrong password!", "2001:db8:1:2:ffff::9"); r.Status != 429 {
		t.Fatalf("another address in the same /64: %d", r.Status)
	}
	// The loose per-email cap (12, of which 8 are spent) still stops a botnet spread over many IPs.
	var last int
	for i := range 5 {
		last = login("victim@example.com", "wrong password!", fmt.Sprintf("10.0.%d.1", i)).Status
	}
	if last != 429 {
		t.Fatalf("the per-email cap did not hold over many IPs: %d", last)
	}
	// Per IP: one address trying many emails is refused after its burst.
	for i := range 6 {
		if r := login(fmt.Sprintf("u%d@example.com", i), "wrong password!", "10.1.1.1"); r.Status != 401 {
			t.Fatalf("ip attempt %d: %d", i, r.Status)
		}
	}
	if r := login("other@example.com", "wrong password!", "10.1.1.1"); r.Status != 429 {
		t.Fatalf("per-IP limit: %d", r.Status)
	}
	// Sign-up shares the per-IP budget.
	r = s.NewClient(t).Do("POST", "/api/auth/signup", map[string]string{"email": "new@example.com", "password": goodPassword}, "X-Forwarded-For", "10.1.1.1")
	if r.Status != 429 {
		t.Fatalf("sign-up from a limited IP: %d", r.Status)
	}
}

// Two studios on one database (replicas): the limit holds over both, not once per process.
func TestRateLimitsHoldAcrossReplicas(t *testing.T) {
	limits := app.Options{PerIP: account.Limit{Every: time.Hour, Burst: 4}}
	a := testutil.NewStudio(t, testutil.StudioOptions{App: limits})
	b := testutil.NewStudio(t, testutil.StudioOptions{App: limits, DataDir: a.DataDir})
	var got []int
	for i := range 6 {
		s := a
		if i%2 == 1 {
			s = b
		}
		got = append(got, s.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": fmt.Sprintf("r%d@example.com", i), "password": "wrong password!"}).Status)
	}
	// Each process alone would allow 4 (3 each here); together only 4 pass.
	if fmt.Sprint(got) != "[401 401 401 401 429 429]" {
		t.Fatalf("statuses over two replicas: %v", got)
	}
	// The shared rows hold keys as SHA-256 hashes, never an email or an IP in the clear.
	rows, err := testutil.OpenDB(t, a.DataDir).Query(`SELECT key_hash FROM rate_limits`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n, ipKey := 0, sha256.Sum256([]byte("falstudio/ratelimit/ip:127.0.0.1"))
	found := false
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		if len(h) != sha256.Size {
			t.Fatalf("rate-limit key stored as %q", h)
		}
		found = found || bytes.Equal(h, ipKey[:])
		n++
	}
	if !found {
		t.Fatal("the client IP's counter is not stored as its SHA-256")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 1+6*2 { // one IP, and per attempt a pair and an email
		t.Fatalf("%d shared counters", n)
	}
}

func TestForwardedForIgnoredWithoutTrustedProxy(t *testing.T) {
	limits := app.Options{PerIP: account.Limit{Every: time.Hour, Burst: 3}}
	s := testutil.NewStudio(t, testutil.StudioOptions{App: limits})
	var last int
	for i := range 4 {
		r := s.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": fmt.Sprintf("x%d@example.com", i), "password": "wrong password!"}, "X-Forwarded-For", fmt.Sprintf("10.9.9.%d", i))
		last = r.Status
	}
	if last != 429 {
		t.Fatalf("rotating X-Forwarded-For bypassed the limit: %d", last)
	}
}

func TestStatusAndHeaders(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{})
	r := s.NewClient(t).Do("GET", "/api/status", nil)
	m := r.JSON()
	wantDB := map[bool]string{false: "sqlite", true: "postgres"}[dbtest.Postgres()]
	if r.Status != 200 || m["ok"] != true || m["database"] != wantDB || m["storage"] != "local" || m["version"] == "" {
		t.Fatalf("status: %d %s", r.Status, r.Body)
	}
	for _, p := range []string{"/api/status", "/api/me", "/api/nope"} {
		r := s.NewClient(t).Do("GET", p, nil)
		if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s headers: %v", p, r.Header)
		}
	}
	if r := s.NewClient(t).Do("GET", "/api/nope", nil); r.Status != 404 || r.ErrorCode() != "not_found" {
		t.Errorf("unknown API route: %d %s", r.Status, r.Body)
	}
}

func TestGeneratedSecretsArePrivate(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{})
	for _, f := range []string{"session_secret", "encryption_key"} {
		st, err := os.Stat(filepath.Join(s.DataDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %o, want 600", f, st.Mode().Perm())
		}
	}
	a, _ := os.ReadFile(filepath.Join(s.DataDir, "session_secret"))
	b, _ := os.ReadFile(filepath.Join(s.DataDir, "encryption_key"))
	if string(a) == string(b) {
		t.Error("session secret and encryption key must differ")
	}
}
