package fal_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/falsim"
)

// noSleep makes retries instant and counts them.
func client(t *testing.T, urls falsim.URLs, sleeps *int32) *fal.Client {
	return fal.New(fal.Config{QueueURL: urls.QueueURL, RunURL: urls.RunURL, RestURL: urls.RestURL, APIURL: urls.APIURL, CDNURL: urls.CDNURL,
		Sleep: func(ctx context.Context, d time.Duration) error {
			if sleeps != nil {
				atomic.AddInt32(sleeps, 1)
			}
			if d <= 0 || d > 15*time.Second {
				t.Errorf("backoff %v out of range", d)
			}
			return ctx.Err()
		}})
}

func TestQueueLifecycle(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{QueuePolls: 2, RunPolls: 2})
	c := client(t, sim.URLs(), nil)
	ctx := context.Background()
	sub, err := c.Submit(ctx, "sim-key", "fal-ai/flux/dev", map[string]any{"prompt": "a cat", "num_images": 2})
	if err != nil || sub.RequestID == "" || sub.Status != fal.StateQueued {
		t.Fatalf("submit: %+v %v", sub, err)
	}
	var states []string
	for range 10 {
		st, err := c.Status(ctx, "sim-key", "fal-ai/flux/dev", sub.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, st.State)
		if st.State == fal.StateQueued && st.QueuePosition == nil {
			t.Fatal("queued without a position")
		}
		if st.State == fal.StateInProgress && len(st.Logs) == 0 {
			t.Fatal("in progress without logs")
		}
		if st.State == fal.StateCompleted {
			break
		}
	}
	if strings.Join(states, ",") != "IN_QUEUE,IN_QUEUE,IN_PROGRESS,IN_PROGRESS,COMPLETED" {
		t.Fatalf("states %v", states)
	}
	res, err := c.Result(ctx, "sim-key", "fal-ai/flux/dev", sub.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	outs := fal.ExtractOutputs(res)
	if len(outs) != 2 || outs[0].Kind != "image" || !strings.HasPrefix(outs[0].URL, sim.URLs().CDNURL) {
		t.Fatalf("outputs %+v", outs)
	}
	resp, err := http.Get(outs[0].URL)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("cdn: %v", err)
	}
	resp.Body.Close()
	if out, err := c.Cancel(ctx, "sim-key", "fal-ai/flux/dev", sub.RequestID); err != nil || out != fal.CancelAlreadyCompleted {
		t.Fatalf("cancel completed: %v %v", out, err)
	}
	q, _ := c.Submit(ctx, "sim-key", "fal-ai/flux/dev", map[string]any{"prompt": "queued"})
	if out, err := c.Cancel(ctx, "sim-key", "fal-ai/flux/dev", q.RequestID); err != nil || out != fal.CancelRemoved {
		t.Fatalf("cancel queued: %v %v", out, err)
	}
	if out, err := c.Cancel(ctx, "sim-key", "fal-ai/flux/dev", "no-such-id"); err != nil || out != fal.CancelNotFound {
		t.Fatalf("cancel unknown: %v %v", out, err)
	}
}

func TestUploadModelsPricing(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	c := client(t, sim.URLs(), nil)
	ctx := context.Background()
	u, err := c.Upload(ctx, "sim-key", "image/png", "ref.png", strings.NewReader("\x89PNG fake"), 9)
	if err != nil || !strings.HasPrefix(u, sim.URLs().CDNURL+"/files/") {
		t.Fatalf("upload: %s %v", u, err)
	}
	page, err := c.Models(ctx, "sim-key", fal.ModelQuery{Q: "flux", Limit: 2})
	if err != nil || len(page.Models) != 2 || page.NextCursor == nil {
		t.Fatalf("models: %+v %v", page, err)
	}
	page2, err := c.Models(ctx, "sim-key", fal.ModelQuery{Q: "flux", Limit: 2, Cursor: *page.NextCursor})
	if err != nil || len(page2.Models) != 1 || page2.HasMore {
		t.Fatalf("models page 2: %+v %v", page2, err)
	}
	if p, err := c.Models(ctx, "", fal.ModelQuery{Category: "text-to-video"}); err != nil || len(p.Models) != 1 {
		t.Fatalf("category: %v", err)
	}
	schema, err := c.Schema(ctx, "sim-key", "fal-ai/flux/dev")
	if err != nil || !strings.Contains(string(schema), `"openapi":"3.0.4"`) {
		t.Fatalf("schema: %v", err)
	}
	prices, err := c.Pricing(ctx, "sim-key", []string{"fal-ai/flux/dev"})
	if err != nil || len(prices) != 1 || prices[0].UnitPrice <= 0 {
		t.Fatalf("pricing: %v", err)
	}
}

func TestRetries(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	var sleeps int32
	c := client(t, sim.URLs(), &sleeps)
	ctx := context.Background()
	sub, _ := c.Submit(ctx, "sim-key", "fal-ai/flux/dev", map[string]any{"prompt": "x"})
	sim.SetOptions(falsim.Options{FailStatus: 3})
	st, err := c.Status(ctx, "sim-key", "fal-ai/flux/dev", sub.RequestID)
	if err != nil || st.State != fal.StateCompleted || sleeps != 3 {
		t.Fatalf("flaky status: %v %v after %d retries", st, err, sleeps)
	}
	// A submit the queue answered 503 (it carries an x-fal-request-id) is never repeated: it may
	// have been queued and billed.
	before := sim.Count("submit")
	_, err = c.Submit(ctx, "sim-key", "fal-ai/flux/dev", map[string]any{"prompt": "submit5xx"})
	var fe *fal.Error
	if !errors.As(err, &fe) || fe.Code != fal.CodeUnavailable || sim.Count("submit") != before+1 {
		t.Fatalf("submit 503: %v, %d submits", err, sim.Count("submit")-before)
	}
	// A 502 from fal's edge (no x-fal-request-id) never reached the queue: it is sent again, and
	// the job exists once.
	before, jobs := sim.Count("submit"), len(sim.Jobs())
	sub2, err := c.Submit(ctx, "sim-key", "fal-ai/flux/dev", map[string]any{"prompt": "ingress5xx"})
	if err != nil || sub2.RequestID == "" || sim.Count("submit") != before+2 || len(sim.Jobs()) != jobs+1 {
		t.Fatalf("ingress 502: %v, %d submits, %d jobs", err, sim.Count("submit")-before, len(sim.Jobs())-jobs)
	}
	// A user start-timeout 504 is final; an infrastructure 504 is retried.
	var calls int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		atomic.AddInt32(&calls, 1)
		if r.URL.Query().Get("user") == "1" || strings.Contains(r.URL.Path, "usertimeout") {
			w.Header().Set("X-Fal-Request-Timeout-Type", "user")
		}
		w.WriteHeader(http.StatusGatewayTimeout)
		w.Write([]byte(`{"detail":"Request timed out","error_type":"request_timeout"}`))
	}))
	defer srv.Close()
	c2 := fal.New(fal.Config{QueueURL: srv.URL, MaxRetries: 2, Sleep: func(context.Context, time.Duration) error { return nil }})
	if _, err := c2.Status(ctx, "k:s", "owner/usertimeout", "id"); err == nil || calls != 1 {
		t.Fatalf("user timeout retried: %d calls", calls)
	}
	calls = 0
	if _, err := c2.Status(ctx, "k:s", "owner/app", "id"); err == nil || calls != 3 {
		t.Fatalf("infra timeout: %d calls", calls)
	}
}

func TestCredits(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{Balance: 12.75})
	c := client(t, sim.URLs(), nil)
	cr, err := c.Credits(context.Background(), "admin-key")
	if err != nil || cr.Balance != 12.75 || cr.Currency != "USD" {
		t.Fatalf("credits: %+v %v", cr, err)
	}
	for key, code := range map[string]string{"sim-key": fal.CodeAdminKeyRequired, "bad-key": fal.CodeKeyInvalid} {
		_, err := c.Credits(context.Background(), key)
		var fe *fal.Error
		if !errors.As(err, &fe) || fe.Code != code {
			t.Errorf("%s: %v", key, err)
		}
		if strings.Contains(err.Error(), key) {
			t.Errorf("the key appears in the error: %v", err)
		}
	}
}

// The credit body shapes fal (and its older/other deployments) use.
func TestCreditShapesAndDrift(t *testing.T) {
	bodies := map[string]float64{
		`{"username":"u","credits":{"current_balance":24.5,"currency":"USD"}}`: 24.5,
		`{"credits":{"balance":3}}`:                                         3,
		`{"billing":{"credits":{"current_balance":7.25,"currency":"USD"}}}`: 7.25,
		`{"billing":{"balance":1.5}}`:                                       1.5,
		`{"current_balance":0}`:                                             0,
	}
	for body, want := range bodies {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) }))
		c := fal.New(fal.Config{APIURL: srv.URL})
		cr, err := c.Credits(context.Background(), "k:s")
		srv.Close()
		if err != nil || cr.Balance != want {
			t.Errorf("%s: %+v %v", body, cr, err)
		}
	}
	// Only the documented route is asked: a 200 without a balance says so, and no undocumented
	// route is tried after it (one of them 404s, which read as "the billing API has moved").
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path+"?"+r.URL.RawQuery)
		if r.URL.Path == "/v1/account/billing" {
			w.Write([]byte(`{"username":"team"}`))
			return
		}
		http.NotFound(w, r)
	}))
	_, err := fal.New(fal.Config{APIURL: srv.URL}).Credits(context.Background(), "k:s")
	srv.Close()
	var fe *fal.Error
	if !errors.As(err, &fe) || fe.Code != fal.CodeUnavailable || !strings.Contains(fe.Message, "did not return a balance") ||
		strings.Join(paths, " ") != "/v1/account/billing?expand=credits" {
		t.Fatalf("200 without a balance: %v, asked %v", err, paths)
	}
	// 404 everywhere is endpoint drift, not a bad key.
	srv = httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err = fal.New(fal.Config{APIURL: srv.URL}).Credits(context.Background(), "k:s")
	if !errors.As(err, &fe) || fe.Code != fal.CodeUnavailable || !strings.Contains(fe.Message, "not found") {
		t.Fatalf("drift: %v", err)
	}
}

// Classification of the real bodies quoted in shared/fal-api.md.
func TestErrorClassification(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		hdr     map[string]string
		body    string
		code    string
		message string
	}{
		{"bad key", 401, nil, `{"detail": "No user found for Key ID and Secret"}`, fal.CodeKeyInvalid, "fal rejected your API key. Check the key saved in Account."},
		{"malformed key", 401, nil, `{"detail":"Invalid Key Authorization header format. Expected '<key_id>:<key_secret>'."}`, fal.CodeKeyInvalid, ""},
		{"locked balance", 403, nil, `{"detail":"User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing."}`, fal.CodeAccountLocked, "Your fal account is locked: Exhausted balance. Top up your balance at fal.ai/dashboard/billing."},
		{"admin lock", 403, nil, `{"detail": "User is locked. Reason: Admin lock. Please contact support@fal.ai"}`, fal.CodeAccountLocked, ""},
		{"platform admin", 403, nil, `{"error":{"type":"authorization_error","message":"Access denied: ADMIN key required"}}`, fal.CodeAdminKeyRequired, "Reading the fal balance needs a key with billing access (ADMIN scope or a billing permission). Your current key can run models but cannot read the balance."},
		{"content policy", 422, map[string]string{"X-Fal-Retryable": "false"}, `{"detail":[{"loc":["body","prompt"],"msg":"The content could not be processed because it contained material flagged by a content checker.","type":"content_policy_violation","url":"https://docs.fal.ai/errors#content_policy_violation"}]}`, fal.CodeContentBlocked, "Blocked by provider safety/content policy: The content could not be processed because it contained material flagged by a content checker."},
		{"moderation words", 403, nil, `{"detail":"Request blocked by moderation: unsafe content"}`, fal.CodeContentBlocked, "Blocked by provider safety/content policy: Request blocked by moderation: unsafe content"},
		{"validation", 422, nil, `{"detail":[{"loc":["body","prompt"],"msg":"field required","type":"value_error.missing"},{"loc":["body","num_images"],"msg":"ensure this value is less than or equal to 4","type":"value_error"}]}`, fal.CodeInvalidInput, "prompt: field required; num_images: ensure this value is less than or equal to 4"},
		{"string detail 422", 422, nil, `{"detail":"Image too small"}`, fal.CodeInvalidInput, "fal refused the input: Image too small"},
		{"image too large", 422, nil, `{"detail":[{"loc":["body","image_url"],"msg":"Image dimensions exceed","type":"image_too_large","ctx":{"max_height":1024,"max_width":1024}}]}`, fal.CodeInvalidInput, "image_url: Image dimensions exceed"},
		{"runner disconnected", 503, map[string]string{"X-Fal-Error-Type": "runner_disconnected"}, `{"detail":"Runner disconnected","error_type":"runner_disconnected"}`, fal.CodeUnavailable, ""},
		{"request timeout", 504, nil, `{"detail": "Request timed out", "error_type": "request_timeout"}`, fal.CodeUnavailable, ""},
		{"nginx", 502, nil, `<html><body>nginx bad gateway</body></html>`, fal.CodeUnavailable, ""},
		{"platform rate limit", 429, nil, `{"error":{"type":"rate_limited","message":"Rate limit exceeded"}}`, fal.CodeUnavailable, ""},
		{"not found", 404, nil, `{"detail":"not found","error_type":"bad_request"}`, fal.CodeUnavailable, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.hdr {
					w.Header().Set(k, v)
				}
				w.Header().Set("X-Fal-Request-Id", "req-1")
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			c := fal.New(fal.Config{QueueURL: srv.URL, APIURL: srv.URL, MaxRetries: 1, Sleep: func(context.Context, time.Duration) error { return nil }})
			var err error
			if tc.name == "platform admin" {
				_, err = c.Credits(context.Background(), "SECRETKEY:xyz")
			} else {
				_, err = c.Submit(context.Background(), "SECRETKEY:xyz", "fal-ai/flux/dev", map[string]any{"prompt": "x"})
			}
			var fe *fal.Error
			if !errors.As(err, &fe) {
				t.Fatalf("not a fal error: %v", err)
			}
			if fe.Code != tc.code || (tc.message != "" && fe.Message != tc.message) {
				t.Fatalf("got %s %q", fe.Code, fe.Message)
			}
			if fe.Status != tc.status || fe.RequestID != "req-1" {
				t.Fatalf("status %d request id %q", fe.Status, fe.RequestID)
			}
			if tc.hdr["X-Fal-Retryable"] == "false" && fe.Retryable {
				t.Fatal("retryable")
			}
			if strings.Contains(err.Error(), "SECRETKEY") || strings.Contains(fe.Message, "SECRETKEY") {
				t.Fatal("key leaked into the error")
			}
		})
	}
}

func TestExtractOutputs(t *testing.T) {
	cases := map[string][]string{
		`{"images":[{"url":"https://v3.fal.media/files/rabbit/a.png","width":1024,"height":768,"content_type":"image/png"}],"seed":1,"prompt":"x"}`: {"https://v3.fal.media/files/rabbit/a.png"},
		`{"images":[{"url":"https://storage.googleapis.com/falserverless/x.png"}],"description":"Here"}`:                                            {"https://storage.googleapis.com/falserverless/x.png"},
		`{"video":{"url":"https://v3.fal.media/files/penguin/o.mp4"}}`:                                                                              {"https://v3.fal.media/files/penguin/o.mp4"},
		`{"audio_file":{"url":"https://v3.fal.media/a.wav","content_type":"audio/wav"}}`:                                                            {"https://v3.fal.media/a.wav"},
		`{"audio":{"url":"https://v3.fal.media/b.mp3"},"timestamps":[]}`:                                                                            {"https://v3.fal.media/b.mp3"},
		`{"image":{"url":"https://fal.media/i.jpg"},"input":{"image_url":"https://fal.media/ref.png"}}`:                                             {"https://fal.media/i.jpg"},
		`{"video_url":"https://fal.media/v.mp4"}`:                                                                                                   {"https://fal.media/v.mp4"},
		`{"nothing":true}`: nil,
		`not json`:         nil,
	}
	for body, want := range cases {
		got := fal.ExtractOutputs(json.RawMessage(body))
		var urls []string
		for _, o := range got {
			urls = append(urls, o.URL)
		}
		if strings.Join(urls, ",") != strings.Join(want, ",") {
			t.Errorf("%s: %v", body, urls)
		}
	}
	outs := fal.ExtractOutputs(json.RawMessage(`{"video":{"url":"https://v3.fal.media/o.mp4","content_type":"video/mp4"}}`))
	if outs[0].Kind != "video" || outs[0].ContentType != "video/mp4" {
		t.Fatalf("%+v", outs[0])
	}
}

func FuzzExtractOutputs(f *testing.F) {
	f.Add(`{"images":[{"url":"https://a/b.png"}]}`)
	f.Add(`[[[[[[[[[[{"url":"http://x"}]]]]]]]]]]`)
	f.Fuzz(func(t *testing.T, body string) {
		outs := fal.ExtractOutputs(json.RawMessage(body))
		if len(outs) > 32 {
			t.Fatal("unbounded")
		}
		for _, o := range outs {
			if !strings.HasPrefix(o.URL, "http://") && !strings.HasPrefix(o.URL, "https://") && !strings.HasPrefix(o.URL, "data:") {
				t.Fatalf("non-URL %q", o.URL)
			}
		}
	})
}

func TestAppID(t *testing.T) {
	for in, want := range map[string]string{"fal-ai/flux/dev": "fal-ai/flux", "fal-ai/kling-video/v2.1/master/image-to-video": "fal-ai/kling-video",
		"fal-ai/veo3": "fal-ai/veo3", "workflows/me/app/x": "workflows/me/app"} {
		if got := fal.AppID(in); got != want {
			t.Errorf("%s → %s", in, got)
		}
	}
}

// A redirect from a fal route is never followed, so the key cannot travel to another host.
func TestKeyNeverFollowsARedirect(t *testing.T) {
	var canaryHits int32
	canary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		atomic.AddInt32(&canaryHits, 1)
	}))
	defer canary.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, canary.URL+"/steal", http.StatusFound)
	}))
	defer srv.Close()
	c := fal.New(fal.Config{QueueURL: srv.URL, MaxRetries: 1, Sleep: func(context.Context, time.Duration) error { return nil }})
	if _, err := c.Status(context.Background(), "SECRET:key", "fal-ai/flux/dev", "id"); err == nil {
		t.Fatal("a redirect answered like a status")
	}
	if canaryHits != 0 {
		t.Fatal("the client followed a redirect to another host")
	}
}

// An endpoint or request id cannot end the path early or add a query: each is escaped.
func TestIDsAreEscapedInPaths(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery)
		w.Write([]byte(`{"status":"IN_QUEUE","request_id":"r"}`))
	}))
	defer srv.Close()
	c := fal.New(fal.Config{QueueURL: srv.URL, MaxRetries: 1, Sleep: func(context.Context, time.Duration) error { return nil }})
	ctx := context.Background()
	if _, err := c.Submit(ctx, "k:s", "own er/app?x=1#f", map[string]any{"prompt": "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Status(ctx, "k:s", "fal-ai/flux/dev", "id/../../x?y"); err != nil {
		t.Fatal(err)
	}
	want := []string{"POST /own%20er/app%3Fx=1%23f?", "GET /fal-ai/flux/requests/id%2F..%2F..%2Fx%3Fy/status?logs=1"}
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Fatalf("paths %q, want %q", got, want)
	}
}
