package fal_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/falstudio/falstudio/internal/fal"
)

// answer is one scripted reply of a submit: an HTTP answer, or a transport error raised before
// (sent false) or after (sent true) the request was written.
type answer struct {
	code   int
	header map[string]string
	body   string
	err    error
	sent   bool
}

// script replies to successive requests in order, in-process, so it runs inside a synctest
// bubble; the last answer repeats.
type script struct {
	mu      sync.Mutex
	answers []answer
	calls   int
	at      []time.Time
}

func (s *script) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	a := s.answers[min(s.calls, len(s.answers)-1)]
	s.calls++
	s.at = append(s.at, time.Now())
	s.mu.Unlock()
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	if a.err != nil {
		if tr := httptrace.ContextClientTrace(r.Context()); a.sent && tr != nil && tr.WroteRequest != nil {
			tr.WroteRequest(httptrace.WroteRequestInfo{})
		}
		return nil, a.err
	}
	h := http.Header{"Content-Type": {"application/json"}}
	for k, v := range a.header {
		h.Set(k, v)
	}
	return &http.Response{StatusCode: a.code, Header: h, Body: io.NopCloser(strings.NewReader(a.body)), Request: r}, nil
}

var (
	queued   = answer{code: 200, header: map[string]string{"X-Fal-Request-Id": "req-ok"}, body: `{"status":"IN_QUEUE","request_id":"req-ok","queue_position":0}`}
	edge502  = answer{code: 502, header: map[string]string{"Content-Type": "text/html"}, body: "<html><center>nginx</center></html>"}
	queue503 = answer{code: 503, header: map[string]string{"X-Fal-Request-Id": "req-1", "X-Fal-Error-Type": "runner_scheduling_failure"}, body: `{"detail":"Runner scheduling failure","error_type":"runner_scheduling_failure"}`}
)

// A submit is resent only where fal cannot have queued it — 408, 409, 429 (after Retry-After, at
// most a minute), a 502/503/504 from the edge (no x-fal-request-id), a connection that failed
// before the request was written — and at most 3 times in all. Everything else is sent once.
// The waits run on synctest's fake clock.
func TestSubmitResendsOnlyWhatFalCannotHaveQueued(t *testing.T) {
	cases := []struct {
		name    string
		answers []answer
		calls   int
		ok      bool
		minWait time.Duration // fake time the submit took, at least
		maxWait time.Duration // and at most
	}{
		{"429 with Retry-After", []answer{{code: 429, header: map[string]string{"Retry-After": "7"}, body: `{"detail":"Too many requests"}`}, queued}, 2, true, 7 * time.Second, 7 * time.Second},
		{"429 Retry-After capped at a minute", []answer{{code: 429, header: map[string]string{"Retry-After": "3600"}}, queued}, 2, true, time.Minute, time.Minute},
		{"429 Retry-After as a date", []answer{{code: 429, header: map[string]string{"Retry-After": time.Date(2000, 1, 1, 0, 0, 20, 0, time.UTC).Format(http.TimeFormat)}}, queued}, 2, true, 20 * time.Second, 20 * time.Second},
		{"408", []answer{{code: 408, body: `{"detail":"Request timeout"}`}, queued}, 2, true, 250 * time.Millisecond, 500 * time.Millisecond},
		{"409", []answer{{code: 409, body: `{"detail":"Conflict"}`}, queued}, 2, true, 250 * time.Millisecond, 500 * time.Millisecond},
		{"edge 502 twice", []answer{edge502, edge502, queued}, 3, true, 750 * time.Millisecond, 1500 * time.Millisecond},
		{"edge 503 and 504", []answer{{code: 503, body: "<html>nginx</html>"}, {code: 504, body: "<html>nginx</html>"}, queued}, 3, true, 0, 2 * time.Second},
		{"edge 502 three times: at most 3 attempts", []answer{edge502}, 3, false, 0, 2 * time.Second},
		{"dial refused before writing", []answer{{err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}, queued}, 2, true, 0, time.Second},
		{"queue 503 with a request id", []answer{queue503, queued}, 1, false, 0, 0},
		{"queue 502 with a request id", []answer{{code: 502, header: map[string]string{"X-Fal-Request-Id": "req-1"}, body: `{"detail":"Runner incomplete response"}`}, queued}, 1, false, 0, 0},
		{"user start-timeout 504", []answer{{code: 504, header: map[string]string{"X-Fal-Request-Timeout-Type": "user"}, body: `{"detail":"Request timed out"}`}, queued}, 1, false, 0, 0},
		{"500", []answer{{code: 500, body: `{"detail":"Internal error"}`}, queued}, 1, false, 0, 0},
		{"reset after writing", []answer{{err: errors.New("connection reset by peer"), sent: true}, queued}, 1, false, 0, 0},
		{"422", []answer{{code: 422, body: `{"detail":[{"loc":["body","prompt"],"msg":"field required","type":"missing"}]}`}, queued}, 1, false, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rt := &script{answers: tc.answers}
				c := fal.New(fal.Config{QueueURL: "http://fal.invalid", HTTPClient: &http.Client{Transport: rt}})
				start := time.Now()
				sub, err := c.Submit(context.Background(), "k:s", "fal-ai/flux/dev", map[string]any{"prompt": "x"})
				took := time.Since(start)
				if tc.ok != (err == nil) || rt.calls != tc.calls {
					t.Fatalf("submit: %+v %v after %d calls, want ok=%v after %d", sub, err, rt.calls, tc.ok, tc.calls)
				}
				if tc.ok && sub.RequestID != "req-ok" {
					t.Fatalf("request id %q", sub.RequestID)
				}
				if took < tc.minWait || took > tc.maxWait {
					t.Fatalf("took %v of fake time, want %v–%v", took, tc.minWait, tc.maxWait)
				}
			})
		})
	}
}

// A Retry-After longer than the caller's patience ends with the caller's context, not later.
func TestSubmitRetryAfterHonoursTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := &script{answers: []answer{{code: 429, header: map[string]string{"Retry-After": "30"}}, queued}}
		c := fal.New(fal.Config{QueueURL: "http://fal.invalid", HTTPClient: &http.Client{Transport: rt}})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		if _, err := c.Submit(ctx, "k:s", "fal-ai/flux/dev", map[string]any{"prompt": "x"}); err == nil || rt.calls != 1 {
			t.Fatalf("submit: %v after %d calls", err, rt.calls)
		}
		if took := time.Since(start); took != 10*time.Second {
			t.Fatalf("returned after %v", took)
		}
	})
}

// The same rule through a real transport: a refused connection (nothing written) is resent; a
// connection that took the request and then broke is not — fal may have queued it.
func TestSubmitOverTheNetwork(t *testing.T) {
	noWait := func(context.Context, time.Duration) error { return nil }

	// Nothing listens: every dial is refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	var dials atomic.Int32
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}}
	c := fal.New(fal.Config{QueueURL: closed, HTTPClient: hc, Sleep: noWait})
	if _, err := c.Submit(context.Background(), "k:s", "fal-ai/flux/dev", map[string]any{"prompt": "x"}); err == nil || dials.Load() != 3 {
		t.Fatalf("refused dial: %v after %d dials, want 3", err, dials.Load())
	}

	// The server reads the whole request, then drops the connection without answering.
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	c = fal.New(fal.Config{QueueURL: srv.URL, Sleep: noWait})
	if _, err := c.Submit(context.Background(), "k:s", "fal-ai/flux/dev", map[string]any{"prompt": "x"}); err == nil || got.Load() != 1 {
		t.Fatalf("broken after writing: %v after %d requests, want 1", err, got.Load())
	}
}
