package sso

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// The JWKS is read from the provider at most once a minute, however many unknown key ids
// tokens name; other requests pass through.
func TestJWKSReadAtMostOnceAMinute(t *testing.T) {
	var reads, others atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/keys" {
			reads.Add(1)
			w.Write([]byte(`{"keys":[]}`))
			return
		}
		others.Add(1)
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	now := time.Unix(1_000_000, 0)
	c := &jwksCache{base: http.DefaultTransport, now: func() time.Time { return now }}
	c.setTarget(srv.URL + "/keys")
	client := &http.Client{Transport: c}
	get := func(path string) string {
		t.Helper()
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, err)
		}
		return string(b)
	}
	for range 5 {
		if body := get("/keys"); body != `{"keys":[]}` {
			t.Fatalf("cached body %q", body)
		}
		get("/userinfo")
	}
	if reads.Load() != 1 || others.Load() != 5 {
		t.Fatalf("%d JWKS reads and %d other requests, want 1 and 5", reads.Load(), others.Load())
	}
	now = now.Add(59 * time.Second)
	get("/keys")
	now = now.Add(2 * time.Second)
	get("/keys")
	if reads.Load() != 2 {
		t.Fatalf("%d JWKS reads after a minute, want 2", reads.Load())
	}
}

func TestGroupsClaim(t *testing.T) {
	for raw, want := range map[string][]string{
		`["a","b",3]`: {"a", "b"},
		`"admins"`:    {"admins"},
		`null`:        nil,
		``:            nil,
		`{"x":1}`:     nil,
		`[]`:          {},
	} {
		got := groupsOf(json.RawMessage(raw))
		if !slices.Equal(got, want) || (want == nil) != (got == nil) {
			t.Errorf("groupsOf(%s) = %#v, want %#v", raw, got, want)
		}
	}
	p := &Provider{}
	p.cfg.AdminGroups = []string{"studio-admins"}
	if !p.IsAdmin([]string{"x", "studio-admins"}) || p.IsAdmin([]string{"Studio-Admins"}) || p.IsAdmin(nil) {
		t.Fatal("admin groups match exactly")
	}
}

// Every flow has fresh values: 256-bit state and nonce, a verifier of 43–128 characters.
func TestNewFlow(t *testing.T) {
	a, b := NewFlow(), NewFlow()
	if a.State == b.State || a.Nonce == b.Nonce || a.Verifier == b.Verifier || a.State == a.Nonce || len(a.State) != 43 || len(a.Verifier) < 43 || len(a.Verifier) > 128 {
		t.Fatalf("flows %+v %+v", a, b)
	}
	if h1, h2 := HashFlowID(a.State), HashFlowID(a.State); h1 == a.State || h1 != h2 || len(h1) != 43 {
		t.Fatal("flow ids are stored hashed")
	}
}
