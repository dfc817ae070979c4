package fal_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/falsim"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock(t time.Time) *clock    { return &clock{t: t} }
func verifier(sim *falsim.Server, now func() time.Time) *fal.Verifier {
	return fal.NewVerifier(fal.VerifierConfig{JWKSURL: sim.URLs().JWKSURL, Now: now})
}

const body = `{"request_id":"req-1","gateway_request_id":"req-1","status":"OK","payload":{"images":[]}}`

// The signature is Ed25519 over "{request id}\n{user id}\n{timestamp}\n{hex(sha256(body))}"
// with a key of fal's JWKS; anything else is refused without a change of state.
func TestWebhookSignature(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	now := time.Now()
	clk := newClock(now)
	v := verifier(sim, clk.Now)
	ctx := context.Background()
	good := sim.SignWebhook("req-1", "user-1", now, []byte(body))

	w, err := v.Verify(ctx, good, []byte(body))
	if err != nil || w.RequestID != "req-1" || w.Status != "OK" {
		t.Fatalf("a genuine delivery: %+v %v", w, err)
	}
	// Replayed as is within the window it still verifies (the studio makes it a no-op).
	if _, err := v.Verify(ctx, good, []byte(body)); err != nil {
		t.Fatalf("replay within the window: %v", err)
	}

	// A key that is not fal's.
	other := falsim.NewTest(t, falsim.Options{})
	forged := other.SignWebhook("req-1", "user-1", now, []byte(body))
	changed := good.Clone()
	changed.Set(fal.HeaderWebhookUserID, "user-2")
	otherID := sim.SignWebhook("req-2", "user-1", now, []byte(body)) // body names req-1
	stale := sim.SignWebhook("req-1", "user-1", now.Add(-301*time.Second), []byte(body))
	future := sim.SignWebhook("req-1", "user-1", now.Add(301*time.Second), []byte(body))
	noSig := good.Clone()
	noSig.Del(fal.HeaderWebhookSignature)
	shortSig := good.Clone()
	shortSig.Set(fal.HeaderWebhookSignature, "abcd")
	badTS := good.Clone()
	badTS.Set(fal.HeaderWebhookTimestamp, "yesterday")
	array := `[{"request_id":"req-1"}]`
	arrayHdr := sim.SignWebhook("req-1", "user-1", now, []byte(array))

	for _, tc := range []struct {
		name string
		h    http.Header
		body string
	}{
		{"forged with another key", forged, body},
		{"body changed", good, body[:len(body)-1] + ` }`},
		{"header changed", changed, body},
		{"request id not the body's", otherID, body},
		{"stale", stale, body},
		{"from the future", future, body},
		{"no signature", noSig, body},
		{"short signature", shortSig, body},
		{"timestamp not a number", badTS, body},
		{"not an object", arrayHdr, array},
	} {
		if _, err := v.Verify(ctx, tc.h, []byte(tc.body)); !errors.Is(err, fal.ErrWebhookInvalid) {
			t.Errorf("%s: %v, want ErrWebhookInvalid", tc.name, err)
		}
	}
	// Within the skew either way it verifies.
	for _, d := range []time.Duration{-299 * time.Second, 299 * time.Second} {
		h := sim.SignWebhook("req-1", "user-1", now.Add(d), []byte(body))
		if _, err := v.Verify(ctx, h, []byte(body)); err != nil {
			t.Errorf("skew %s: %v", d, err)
		}
	}
	// Replayed after the window: refused.
	clk.Add(6 * time.Minute)
	if _, err := v.Verify(ctx, good, []byte(body)); !errors.Is(err, fal.ErrWebhookInvalid) {
		t.Errorf("replay after 6 minutes: %v", err)
	}
}

// The key set is fetched once and cached; a signature no cached key verifies fetches it again
// (a rotated key then verifies), at most once a minute however many forgeries arrive.
func TestWebhookKeysRefreshOnUnknownKey(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	clk := newClock(time.Now())
	v := verifier(sim, clk.Now)
	ctx := context.Background()
	sign := func() http.Header { return sim.SignWebhook("req-1", "u", clk.Now(), []byte(body)) }

	for range 3 {
		if _, err := v.Verify(ctx, sign(), []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if n := sim.Count("jwks"); n != 1 {
		t.Fatalf("jwks fetched %d times for 3 deliveries, want 1 (cached)", n)
	}
	// fal rotates its key: the next delivery names a key the cache lacks → one fetch, verified.
	clk.Add(2 * time.Minute)
	sim.RotateKey()
	if _, err := v.Verify(ctx, sign(), []byte(body)); err != nil {
		t.Fatalf("after a rotation: %v", err)
	}
	if n := sim.Count("jwks"); n != 2 {
		t.Fatalf("jwks fetched %d times, want 2", n)
	}
	// A flood of forgeries fetches the set at most once a minute.
	other := falsim.NewTest(t, falsim.Options{})
	clk.Add(2 * time.Minute)
	for range 20 {
		h := other.SignWebhook("req-1", "u", clk.Now(), []byte(body))
		if _, err := v.Verify(ctx, h, []byte(body)); !errors.Is(err, fal.ErrWebhookInvalid) {
			t.Fatalf("forgery: %v", err)
		}
	}
	if n := sim.Count("jwks"); n != 3 {
		t.Fatalf("jwks fetched %d times after 20 forgeries, want 3", n)
	}
	// A rotation within that minute is picked up once the minute has passed.
	sim.RotateKey()
	if _, err := v.Verify(ctx, sign(), []byte(body)); !errors.Is(err, fal.ErrWebhookInvalid) {
		t.Fatalf("new key within the minute: %v", err)
	}
	clk.Add(61 * time.Second)
	if _, err := v.Verify(ctx, sign(), []byte(body)); err != nil {
		t.Fatalf("new key after the minute: %v", err)
	}
	// The cache lasts at most 24 hours.
	clk.Add(25 * time.Hour)
	before := sim.Count("jwks")
	if _, err := v.Verify(ctx, sign(), []byte(body)); err != nil || sim.Count("jwks") != before+1 {
		t.Fatalf("after 25 h: %v, %d fetches (want %d)", err, sim.Count("jwks"), before+1)
	}
}

// Without any key set (fal's JWKS unreachable) nothing verifies: ErrNoWebhookKeys.
func TestWebhookKeysUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	sim := falsim.NewTest(t, falsim.Options{})
	v := fal.NewVerifier(fal.VerifierConfig{JWKSURL: srv.URL})
	h := sim.SignWebhook("req-1", "u", time.Now(), []byte(body))
	if _, err := v.Verify(context.Background(), h, []byte(body)); !errors.Is(err, fal.ErrNoWebhookKeys) {
		t.Fatalf("%v, want ErrNoWebhookKeys", err)
	}
}

// A submit carries fal_webhook when the client has a webhook URL, and none otherwise.
func TestSubmitCarriesWebhook(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.Query().Get("fal_webhook"))
		w.Write([]byte(`{"request_id":"r1","gateway_request_id":"g1","status":"IN_QUEUE"}`))
	}))
	defer srv.Close()
	for _, hook := range []string{"", "https://studio.example.com/api/fal/webhook"} {
		c := fal.New(fal.Config{QueueURL: srv.URL, WebhookURL: hook})
		sub, err := c.Submit(context.Background(), "k:s", "fal-ai/flux/dev", map[string]any{"prompt": "x"})
		if err != nil || sub.RequestID != "r1" {
			t.Fatalf("%+v %v", sub, err)
		}
	}
	if len(got) != 2 || got[0] != "" || got[1] != "https://studio.example.com/api/fal/webhook" {
		t.Fatalf("fal_webhook sent: %q", got)
	}
}
