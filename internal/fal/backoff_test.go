package fal_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/falstudio/falstudio/internal/fal"
)

// flaky answers 503 to the first n requests, then a completed status. It runs in-process (no
// socket), so the whole exchange lives inside the synctest bubble.
type flaky struct {
	n, calls atomic.Int32
}

func (f *flaky) RoundTrip(r *http.Request) (*http.Response, error) {
	body, code := `{"status":"COMPLETED"}`, http.StatusOK
	if f.calls.Add(1) <= f.n.Load() {
		body, code = `{"detail":"runner disconnected"}`, http.StatusServiceUnavailable
	}
	return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

// The real retry timers, on synctest's fake clock: retries wait an exponential, capped back-off
// (each step between half and the whole of base·2^(n-1)), and a cancelled context ends a wait
// at once. No wall-clock time passes.
func TestRetryBackoffOnFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := &flaky{}
		rt.n.Store(4)
		c := fal.New(fal.Config{QueueURL: "http://fal.invalid", HTTPClient: &http.Client{Transport: rt},
			BackoffBase: time.Second, BackoffMax: 4 * time.Second, MaxRetries: 5})
		start := time.Now()
		st, err := c.Status(context.Background(), "k:s", "fal-ai/flux/dev", "req-1")
		if err != nil || st.State != fal.StateCompleted || rt.calls.Load() != 5 {
			t.Fatalf("status %v %v after %d calls", st, err, rt.calls.Load())
		}
		// Steps 1s, 2s, 4s, 4s (capped): at least half of each, at most the whole.
		if took := time.Since(start); took < (1+2+4+4)*time.Second/2 || took > (1+2+4+4)*time.Second {
			t.Fatalf("four retries took %v of fake time", took)
		}

		// Cancelled mid-wait: the call returns when the context ends, not when the timer fires.
		rt.calls.Store(0)
		rt.n.Store(100)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		start = time.Now()
		go func() {
			_, err := c.Status(ctx, "k:s", "fal-ai/flux/dev", "req-2")
			done <- err
		}()
		time.Sleep(1500 * time.Millisecond) // fake time: inside the second back-off at most
		cancel()
		synctest.Wait()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "canceled") {
				t.Fatalf("cancelled call: %v", err)
			}
		default:
			t.Fatal("a cancelled call kept waiting for its back-off")
		}
		if took := time.Since(start); took != 1500*time.Millisecond {
			t.Fatalf("returned after %v", took)
		}
	})
}
