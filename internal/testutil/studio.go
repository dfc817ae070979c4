// Package testutil starts real components for tests: the studio on a temporary data directory
// and a loopback port, with its log captured, and an HTTP client with a cookie jar.
package testutil

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/account"
	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/config"
	"github.com/falstudio/falstudio/internal/dbtest"
)

// SyncBuffer is a goroutine-safe log sink.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Studio is a running studio.
type Studio struct {
	URL     string
	App     *app.App
	Config  *config.Config
	DataDir string
	Logs    *SyncBuffer
	stop    func()
}

// StudioOptions adjust a test studio.
type StudioOptions struct {
	Env     map[string]string // configuration variables, as the environment would give them
	DataDir string            // reuse a data directory (restart tests)
	App     app.Options
	// Listener, when set, is where the studio serves (a test that must know the address before
	// the studio starts, for PUBLIC_URL, opens it first).
	Listener net.Listener
	// PublicURLSelf sets PUBLIC_URL to the studio's own address (fal webhooks reach it).
	PublicURLSelf bool
}

// NewStudio starts a studio on 127.0.0.1 with a fresh data directory (unless one is given).
// Password hashing runs at bcrypt's minimum cost and rate limits are generous unless set.
func NewStudio(t testing.TB, o StudioOptions) *Studio {
	t.Helper()
	dir := o.DataDir
	if dir == "" {
		dir = t.TempDir()
	}
	env := map[string]string{"DATA_DIR": dir, "ADDR": "127.0.0.1:0"}
	if dbtest.Postgres() {
		env["DATABASE_URL"] = DatabaseFor(t, dir)
	}
	for k, v := range o.Env {
		env[k] = v
	}
	ln := o.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatalf("listen: %v", err)
		}
	}
	if o.PublicURLSelf {
		env["PUBLIC_URL"] = "http://" + ln.Addr().String()
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		_ = ln.Close()
		t.Fatalf("config: %v", err)
	}
	cfg.ShutdownGrace = 5 * time.Second
	logs := &SyncBuffer{}
	ao := o.App
	ao.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if ao.BcryptCost == 0 {
		ao.BcryptCost = 4
	}
	if ao.PerIP.Burst == 0 {
		ao.PerIP = account.Limit{Every: time.Millisecond, Burst: 1000}
	}
	if ao.PerEmail.Burst == 0 {
		ao.PerEmail = account.Limit{Every: time.Millisecond, Burst: 1000}
	}
	if ao.PerEmailAnyIP.Burst == 0 {
		ao.PerEmailAnyIP = account.Limit{Every: time.Millisecond, Burst: 1000}
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, ao)
	if err != nil {
		cancel()
		_ = ln.Close()
		t.Fatalf("app: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	s := &Studio{URL: "http://" + ln.Addr().String(), App: a, Config: cfg, DataDir: dir, Logs: logs}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Errorf("studio did not stop within 30s")
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

// DatabaseFor gives a data directory its own PostgreSQL database, remembered in the directory so
// that a studio restarted on the same directory finds its data again.
func DatabaseFor(t testing.TB, dir string) string {
	t.Helper()
	p := filepath.Join(dir, ".test-database-url")
	if b, err := os.ReadFile(p); err == nil {
		return string(b)
	}
	u := dbtest.URL(t)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(u), 0o600); err != nil {
		t.Fatal(err)
	}
	return u
}

// Stop shuts the studio down gracefully (idempotent).
func (s *Studio) Stop() { s.stop() }

// Client is an HTTP client with its own cookie jar, like one browser.
type Client struct {
	t    testing.TB
	Base string
	HTTP *http.Client
	// Header is sent with every request (e.g. Origin).
	Header http.Header
}

// NewClient returns a client for the studio.
func (s *Studio) NewClient(t testing.TB) *Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Client{t: t, Base: s.URL, HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, Header: http.Header{}}
}

// Response is a finished request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	t      testing.TB
}

// JSON decodes the body into a generic map; a body that is not JSON fails the test, so that a
// broken answer never reads as an empty one. It marks the failure and goes on (a nil map)
// rather than stopping: the client's t may be a parent of the subtest that calls it.
func (r *Response) JSON() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		r.t.Errorf("answer %d is not JSON (%v): %.200s", r.Status, err, r.Body)
	}
	return m
}

// ErrorCode is the SPEC error code of the body, or "" (also for an answer without a body).
func (r *Response) ErrorCode() string {
	if len(r.Body) == 0 {
		return ""
	}
	r.t.Helper()
	if e, ok := r.JSON()["error"].(map[string]any); ok {
		c, _ := e["code"].(string)
		return c
	}
	return ""
}

// Do sends a request; a non-nil, non-reader body is sent as JSON.
func (c *Client) Do(method, path string, body any, hdr ...string) *Response {
	c.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case io.Reader:
		rd = b
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("request body: %v", err)
		}
		rd, ctype = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		c.t.Fatalf("request: %v", err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return ReadResponse(c.t, resp)
}

// ReadResponse reads and closes an answer; a body cut short fails the test.
func ReadResponse(t testing.TB, resp *http.Response) *Response {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", resp.Request.Method, resp.Request.URL.Path, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b, t: t}
}

// SignUp creates a user and keeps its cookie.
func (c *Client) SignUp(email, password string) *Response {
	c.t.Helper()
	r := c.Do("POST", "/api/auth/signup", map[string]string{"email": email, "password": password})
	if r.Status != http.StatusCreated {
		c.t.Fatalf("signup %s: %d %s", email, r.Status, r.Body)
	}
	return r
}

// SessionCookie returns the current session cookie value.
func (c *Client) SessionCookie() string {
	u, err := url.Parse(c.Base + "/")
	if err != nil {
		c.t.Fatal(err)
	}
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if strings.HasSuffix(ck.Name, "falstudio_session") {
			return ck.Value
		}
	}
	return ""
}

// OpenDB opens a studio's database directly (its SQLite file, or its PostgreSQL test database),
// to forge what a crash leaves behind or to check what was stored.
func OpenDB(t testing.TB, dataDir string) *sql.DB {
	t.Helper()
	if b, err := os.ReadFile(filepath.Join(dataDir, ".test-database-url")); err == nil {
		return OpenURL(t, string(b))
	}
	return OpenURL(t, filepath.Join(dataDir, "falstudio.db"))
}

// OpenURL opens a DATABASE_URL directly: a postgres:// URL or a SQLite file path.
func OpenURL(t testing.TB, databaseURL string) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+databaseURL+"?_pragma=busy_timeout(5000)"
	if strings.HasPrefix(databaseURL, "postgres") {
		driver, dsn = "pgx", databaseURL
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
