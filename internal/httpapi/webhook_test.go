package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

// newHookEnv is a studio whose PUBLIC_URL is its own address, so the simulator's webhooks
// reach it; the fallback poll is an hour unless env says otherwise.
func newHookEnv(t *testing.T, simOpts falsim.Options, env map[string]string) *genEnv {
	t.Helper()
	sim := falsim.NewTest(t, simOpts)
	e := sim.URLs().Env()
	e["FAL_FALLBACK_POLL"] = "1h"
	for k, v := range env {
		e[k] = v
	}
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: e, App: fastRunner, PublicURLSelf: true})
	return &genEnv{sim: sim, studio: st}
}

// postHook sends a webhook call to the studio as fal would.
func postHook(t *testing.T, url string, h http.Header, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url+"/api/fal/webhook", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
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

func assetCount(t *testing.T, c *testutil.Client) int {
	t.Helper()
	r := c.Do("GET", "/api/assets?limit=100", nil)
	if r.Status != 200 {
		t.Fatalf("assets: %d %s", r.Status, r.Body)
	}
	return len(r.JSON()["assets"].([]any))
}

// fal's call finishes a job at once — with one status and one result request, the fallback
// poll an hour away — and every call that is not fal's, or repeats one, changes nothing.
func TestWebhookFinishesJob(t *testing.T) {
	g := newHookEnv(t, falsim.Options{}, nil)
	c := g.user(t, "hook@example.com", "sim-key-1")
	// The UI says "Waiting for fal…" instead of a stale queue position.
	if st := c.Do("GET", "/api/status", nil).JSON(); st["falWebhooks"] != true {
		t.Fatalf("status falWebhooks %v", st["falWebhooks"])
	}
	job := submit(t, c, "fal-ai/flux/schnell", "a fox", nil)
	evs := waitDone(t, c, job.ID)
	if last := evs[len(evs)-1]; last.Status != "succeeded" || len(last.Assets) != 1 {
		t.Fatalf("job: %+v", last)
	}
	ds := g.sim.Deliveries()
	if len(ds) != 1 || ds[0].Status != 200 {
		t.Fatalf("deliveries: %+v", ds)
	}
	if n := g.sim.Count("status") + g.sim.Count("result") + g.sim.Count("submit"); g.sim.Count("status") > 2 || n > 4 {
		t.Fatalf("fal requests for one job: submit %d, status %d, result %d", g.sim.Count("submit"), g.sim.Count("status"), g.sim.Count("result"))
	}
	t.Logf("fal requests for one webhook job: submit %d, status %d, result %d", g.sim.Count("submit"), g.sim.Count("status"), g.sim.Count("result"))
	requests := func() int { return g.sim.Count("status") + g.sim.Count("result") }
	before := requests()

	// fal retries and may deliver twice: the same call again is answered 200 and changes nothing.
	d := ds[0]
	if code, body := postHook(t, g.studio.URL, d.Header, d.Body); code != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("replay: %d %s", code, body)
	}

	var parsed struct {
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(d.Body, &parsed); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	other := falsim.NewTest(t, falsim.Options{})
	unknown := []byte(strings.Replace(string(d.Body), parsed.RequestID, "00000000-0000-0000-0000-000000000000", 1))
	noSig := d.Header.Clone()
	noSig.Del("X-Fal-Webhook-Signature")
	big := append(bytes.Repeat([]byte(" "), 1<<20), d.Body...)
	for _, tc := range []struct {
		name string
		h    http.Header
		body []byte
		code int
		want string
	}{
		{"forged with another key", other.SignWebhook(parsed.RequestID, "sim-key-1", now, d.Body), d.Body, 401, "webhook_invalid"},
		{"body changed", d.Header, append([]byte(" "), d.Body...), 401, "webhook_invalid"},
		{"stale", g.sim.SignWebhook(parsed.RequestID, "sim-key-1", now.Add(-10*time.Minute), d.Body), d.Body, 401, "webhook_invalid"},
		{"no signature", noSig, d.Body, 401, "webhook_invalid"},
		{"a request id this studio never sent", g.sim.SignWebhook("00000000-0000-0000-0000-000000000000", "sim-key-1", now, unknown), unknown, 401, "webhook_invalid"},
		{"over 1 MiB", g.sim.SignWebhook(parsed.RequestID, "sim-key-1", now, big), big, 413, "too_large"},
	} {
		code, body := postHook(t, g.studio.URL, tc.h, tc.body)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, code, body, tc.code, tc.want)
		}
	}
	if requests() != before {
		t.Fatalf("calls that changed nothing still reached fal: %d status/result requests, want %d", requests(), before)
	}
	if n := assetCount(t, c); n != 1 {
		t.Fatalf("%d assets after replays, want 1", n)
	}
	if logs := g.studio.Logs.String(); !strings.Contains(logs, "fal webhook refused") || strings.Contains(logs, d.Header.Get("X-Fal-Webhook-Signature")) {
		t.Fatal("refusals must be logged with a reason and never with the signature")
	}
}

// status "ERROR" fails the job with the error fal's result gives, as a poll would.
func TestWebhookErrorFailsJob(t *testing.T) {
	g := newHookEnv(t, falsim.Options{}, nil)
	c := g.user(t, "hookerr@example.com", "sim-key-1")
	job := submit(t, c, "fal-ai/flux/schnell", "something blocked", nil)
	evs := waitDone(t, c, job.ID)
	last := evs[len(evs)-1]
	if last.Status != "failed" || last.Error == nil || last.Error.Code != "content_blocked" {
		t.Fatalf("job: %+v", last)
	}
	if ds := g.sim.Deliveries(); len(ds) != 1 || !strings.Contains(string(ds[0].Body), `"status":"ERROR"`) {
		t.Fatalf("deliveries: %+v", ds)
	}
}

// A lost webhook: the fallback poll still finishes the job, about FAL_FALLBACK_POLL late.
func TestWebhookLostFallbackPoll(t *testing.T) {
	g := newHookEnv(t, falsim.Options{WebhookDrop: true}, map[string]string{"FAL_FALLBACK_POLL": "1s"})
	c := g.user(t, "lost@example.com", "sim-key-1")
	start := time.Now()
	job := submit(t, c, "fal-ai/flux/schnell", "a fox", nil)
	evs := waitDone(t, c, job.ID)
	if last := evs[len(evs)-1]; last.Status != "succeeded" {
		t.Fatalf("job: %+v", last)
	}
	if g.sim.Count("webhook_dropped") != 1 || g.sim.Count("webhook") != 0 {
		t.Fatalf("the webhook was not lost: %d dropped, %d delivered", g.sim.Count("webhook_dropped"), g.sim.Count("webhook"))
	}
	if el := time.Since(start); el < time.Second {
		t.Fatalf("finished after %v: the first status request came before the fallback poll", el)
	}
	if n := g.sim.Count("status"); n != 1 {
		t.Fatalf("%d status requests, want 1 (one fallback poll)", n)
	}
}

// While fal's key set cannot be had, calls are answered 502 (fal retries them) and the fallback
// poll finishes the job.
func TestWebhookKeysUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/.well-known/jwks.json"
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	g := newHookEnv(t, falsim.Options{WebhookRetryBase: time.Hour}, map[string]string{"FAL_JWKS_URL": dead, "FAL_FALLBACK_POLL": "1s"})
	c := g.user(t, "nokeys@example.com", "sim-key-1")
	job := submit(t, c, "fal-ai/flux/schnell", "a fox", nil)
	if evs := waitDone(t, c, job.ID); evs[len(evs)-1].Status != "succeeded" {
		t.Fatalf("job: %+v", evs[len(evs)-1])
	}
	testutil.WaitFor(t, 10*time.Second, "the webhook call", func() bool { return len(g.sim.Deliveries()) > 0 })
	if d := g.sim.Deliveries()[0]; d.Status != 502 {
		t.Fatalf("delivery without keys answered %d, want 502", d.Status)
	}
}

// Without PUBLIC_URL webhooks are off: submits carry no fal_webhook and the route is 404.
func TestWebhooksOff(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "nohook@example.com", "sim-key-1")
	if st := c.Do("GET", "/api/status", nil).JSON(); st["falWebhooks"] != false {
		t.Fatalf("status falWebhooks %v", st["falWebhooks"])
	}
	job := submit(t, c, "fal-ai/flux/schnell", "a fox", nil)
	if evs := waitDone(t, c, job.ID); evs[len(evs)-1].Status != "succeeded" {
		t.Fatalf("job: %+v", evs[len(evs)-1])
	}
	if n := g.sim.Count("webhook") + g.sim.Count("webhook_dropped"); n != 0 {
		t.Fatalf("%d webhooks for a studio without PUBLIC_URL", n)
	}
	h := g.sim.SignWebhook("x", "u", time.Now(), []byte(`{"request_id":"x"}`))
	if code, body := postHook(t, g.studio.URL, h, []byte(`{"request_id":"x"}`)); code != 404 || !strings.Contains(body, "not_found") {
		t.Fatalf("webhook route while off: %d %s", code, body)
	}
}

// With several replicas any one may receive fal's call: it wakes the job in the database and
// whichever replica claims it works it (here the webhook goes to replica b for a job a
// submitted; the fallback poll is an hour away).
func TestWebhookOnAnotherReplica(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	env := sim.URLs().Env()
	env["FAL_FALLBACK_POLL"] = "1h"
	env["DATABASE_URL"] = dbtest.URL(t)
	env["SESSION_SECRET"], env["ENCRYPTION_KEY"] = "replica-secret-replica-secret-0123456789", "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
	b := testutil.NewStudio(t, testutil.StudioOptions{Env: env, App: fastRunner, PublicURLSelf: true})
	envA := maps.Clone(env)
	envA["PUBLIC_URL"] = b.URL
	a := testutil.NewStudio(t, testutil.StudioOptions{Env: envA, App: fastRunner})
	ca := a.NewClient(t)
	ca.SignUp("replicas@example.com", goodPassword)
	if r := ca.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"}); r.Status != 200 {
		t.Fatalf("key: %d", r.Status)
	}
	ev := waitDone(t, ca, submit(t, ca, "fal-ai/flux/schnell", "woken elsewhere", nil).ID)
	if last := ev[len(ev)-1]; last.Status != "succeeded" || len(last.Assets) != 1 {
		t.Fatalf("job: %+v", last)
	}
	ds := sim.Deliveries()
	if len(ds) != 1 || ds[0].Status != 200 || sim.Count("status") > 2 {
		t.Fatalf("deliveries %+v, %d status requests", ds, sim.Count("status"))
	}
	if !strings.Contains(b.Logs.String(), "fal webhook") || strings.Contains(a.Logs.String(), "fal webhook refused") {
		t.Fatal("replica b did not take the call")
	}
}
