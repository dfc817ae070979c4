package httpapi_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

func TestHealthAndReadiness(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{})
	c := s.NewClient(t)
	if r := c.Do("GET", "/healthz", nil); r.Status != 200 || r.JSON()["ok"] != true {
		t.Fatalf("healthz: %d %s", r.Status, r.Body)
	}
	r := c.Do("GET", "/readyz", nil)
	checks, _ := r.JSON()["checks"].(map[string]any)
	if r.Status != 200 || checks["database"] != "ok" || checks["media"] != "ok" {
		t.Fatalf("readyz: %d %s", r.Status, r.Body)
	}
	if r := c.Do("POST", "/readyz", `{}`); r.Status != 405 || r.ErrorCode() != "method_not_allowed" {
		t.Fatalf("POST /readyz: %d %s", r.Status, r.Body)
	}
	// The database goes away: 503 naming it; liveness still answers.
	if err := s.App.Store().Close(); err != nil {
		t.Fatal(err)
	}
	r = c.Do("GET", "/readyz", nil)
	if r.Status != 503 || !strings.Contains(string(r.Body), `"failing":["database"]`) || r.ErrorCode() != "not_ready" {
		t.Fatalf("readyz without a database: %d %s", r.Status, r.Body)
	}
	if r := c.Do("GET", "/healthz", nil); r.Status != 200 {
		t.Fatalf("healthz: %d", r.Status)
	}
}

func TestReadinessNamesUnreachableS3WithoutSecrets(t *testing.T) {
	const secretKey = "s3-secret-value-never-shown"
	s := testutil.NewStudio(t, testutil.StudioOptions{Env: map[string]string{
		"S3_ENDPOINT": "http://127.0.0.1:1", "S3_BUCKET": "ready-bucket", "S3_ACCESS_KEY_ID": "ak",
		"S3_SECRET_ACCESS_KEY": secretKey, "S3_FORCE_PATH_STYLE": "true",
	}})
	r := s.NewClient(t).Do("GET", "/readyz", nil)
	if r.Status != 503 || !strings.Contains(string(r.Body), `"failing":["media"]`) {
		t.Fatalf("readyz with S3 down: %d %s", r.Status, r.Body)
	}
	for _, leak := range []string{secretKey, "ready-bucket", "127.0.0.1:1"} {
		if strings.Contains(string(r.Body), leak) {
			t.Fatalf("readyz body holds %q: %s", leak, r.Body)
		}
	}
}

func TestStrictJSONAndMethods(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{})
	c := s.NewClient(t)
	c.SignUp("strict@example.com", goodPassword)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code, inMessage    string
	}{
		{"unknown field", "POST", "/api/auth/login", `{"email":"strict@example.com","password":"` + goodPassword + `","admin":true}`, 400, "invalid_input", "admin"},
		{"duplicate key", "POST", "/api/auth/login", `{"email":"strict@example.com","email":"other@example.com","password":"x"}`, 400, "invalid_input", "twice"},
		{"duplicate nested key", "POST", "/api/generations", `{"model":"fal-ai/flux/schnell","prompt":"p","params":{"seed":1,"seed":2}}`, 400, "invalid_input", "seed"},
		{"password change without current", "PUT", "/api/me/password", `{"newPassword":"another good passphrase"}`, 400, "invalid_input", "currentPassword"},
		{"password change with null current", "PUT", "/api/me/password", `{"currentPassword":null,"newPassword":"another good passphrase"}`, 400, "invalid_input", "currentPassword"},
		{"login without password", "POST", "/api/auth/login", `{"email":"strict@example.com"}`, 400, "invalid_input", "password"},
		{"wrong type", "PUT", "/api/me/fal-key", `{"falKey":42}`, 400, "invalid_input", "falKey"},
		{"array body", "POST", "/api/auth/login", `[]`, 400, "invalid_input", ""},
		{"same key at two depths is fine", "POST", "/api/generations", `{"model":"fal-ai/flux/schnell","prompt":"p","params":{"model":1}}`, 409, "fal_key_missing", ""},
		{"wrong method on an API route", "DELETE", "/api/me/password", nil, 405, "method_not_allowed", "PUT"},
		{"wrong method on a parametrised route", "PUT", "/api/generations/abc/cancel", nil, 405, "method_not_allowed", "POST"},
		{"wrong method on media", "POST", "/media/abc", nil, 405, "method_not_allowed", "GET"},
		{"unknown API route stays 404", "GET", "/api/nothing-here", nil, 404, "not_found", ""},
		{"wrong password still 401", "PUT", "/api/me/password", `{"currentPassword":"not the password","newPassword":"another good passphrase"}`, 401, "invalid_credentials", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Do(tc.method, tc.path, tc.body)
			if r.Status != tc.status || r.ErrorCode() != tc.code {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			if !strings.Contains(string(r.Body), tc.inMessage) {
				t.Fatalf("message lacks %q: %s", tc.inMessage, r.Body)
			}
			if tc.status == 405 && r.Header.Get("Allow") == "" {
				t.Fatal("405 without Allow")
			}
		})
	}
}

// scrape reads /metrics with the given Authorization header.
func scrape(t *testing.T, base, auth string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestMetricsTokenAndLabels(t *testing.T) {
	const token = "metrics-token-0123456789abcdef"
	g := newGenEnv(t, falsim.Options{}, map[string]string{"METRICS_TOKEN": token}, "")
	const email, key = "metered.person@example.com", "sim-key-metrics-SENTINEL"
	c := g.user(t, email, key)
	prompt := "a lighthouse PROMPT-SENTINEL-42 at dusk"
	ok := submit(t, c, "fal-ai/flux/schnell", prompt, nil)
	waitDone(t, c, ok.ID)
	custom := submit(t, c, "someone/private-app/v2", prompt, map[string]any{"anything": true})
	waitDone(t, c, custom.ID)
	bad := submit(t, c, "fal-ai/flux/schnell", falsim.PromptInvalid+" "+prompt, nil)
	waitDone(t, c, bad.ID)

	for _, auth := range []string{"", "Bearer wrong-token-0123456789abcdef", "Basic " + token, "Bearer " + token + "x"} {
		if code, _ := scrape(t, g.studio.URL, auth); code != 401 {
			t.Fatalf("auth %q: %d", auth, code)
		}
	}
	code, body := scrape(t, g.studio.URL, "Bearer "+token)
	if code != 200 {
		t.Fatalf("metrics: %d %s", code, body)
	}
	for _, want := range []string{
		`falstudio_http_requests_total{method="POST",route="/api/generations",status="202"} 3`,
		`falstudio_http_request_duration_seconds_bucket{route="/api/me/fal-key"`,
		`falstudio_generations_total{model="fal-ai/flux/schnell",status="succeeded"} 1`,
		`falstudio_generations_total{model="custom",status="succeeded"} 1`,
		`falstudio_generations_total{model="fal-ai/flux/schnell",status="failed"} 1`,
		`falstudio_fal_errors_total{code="fal_invalid_input"} 1`,
		`falstudio_job_phase_duration_seconds_count{phase="total"} 3`,
		`falstudio_job_phase_duration_seconds_count{phase="queued"}`,
		`falstudio_event_streams_open 0`,
		`falstudio_jobs_in_flight 0`,
		`falstudio_s3_fallbacks_total 0`,
		`route="/api/generations/{id}/events"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// No label holds personal data or a secret: the email, the prompt, the fal key, the custom
	// model id, the generation ids, the session cookie, the token itself.
	labels := strings.Join(regexp.MustCompile(`\{[^}]*\}`).FindAllString(body, -1), "\n")
	for _, leak := range []string{email, "metered", "PROMPT-SENTINEL", "lighthouse", key, "private-app", ok.ID, custom.ID, c.SessionCookie(), token} {
		if strings.Contains(labels, leak) || strings.Contains(body, leak) {
			t.Errorf("metrics hold %q", leak)
		}
	}
	if strings.Contains(g.studio.Logs.String(), token) {
		t.Error("the metrics token was logged")
	}
}

func TestMetricsOffWithoutToken(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{})
	if code, body := scrape(t, s.URL, "Bearer anything-at-all-here"); code == 200 && strings.Contains(body, "falstudio_") {
		t.Fatalf("metrics served on the main listener without METRICS_TOKEN: %d", code)
	}
}

// METRICS_ADDR: metrics on their own listener, without a token; not on the main one.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{Env: map[string]string{"METRICS_ADDR": "127.0.0.1:0"}})
	addr := s.App.MetricsAddr()
	if addr == "" {
		t.Fatal("no metrics listener")
	}
	s.NewClient(t).Do("GET", "/api/status", nil)
	code, body := scrape(t, "http://"+addr, "")
	if code != 200 || !strings.Contains(body, `falstudio_http_requests_total{method="GET",route="/api/status",status="200"}`) || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("metrics listener: %d %.300s", code, body)
	}
	if code, body := scrape(t, s.URL, ""); code == 200 && strings.Contains(body, "falstudio_") {
		t.Fatal("metrics also served on the main listener without METRICS_TOKEN")
	}
}
