package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

func TestStreamLoopEndsAfterItsLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := httptest.NewRecorder()
		out := &sse{w: rec, rc: http.NewResponseController(rec)}
		wake := make(chan struct{}, 1)
		var steps atomic.Int32
		done := make(chan struct{})
		start := time.Now()
		go func() {
			defer close(done)
			streamLoop{wake: wake, shutdown: make(chan struct{}), lifetime: 30 * time.Minute, keepAlive: 15 * time.Second}.
				run(context.Background(), out, func() (bool, error) { steps.Add(1); return false, nil })
		}()
		synctest.Wait()
		if n := steps.Load(); n != 1 {
			t.Fatalf("%d steps before any wake-up, want 1", n)
		}
		wake <- struct{}{}
		synctest.Wait()
		if n := steps.Load(); n != 2 {
			t.Fatalf("%d steps after one wake-up, want 2", n)
		}
		<-done
		if d := time.Since(start); d != 30*time.Minute {
			t.Fatalf("the stream lasted %v, want 30m", d)
		}
		// A keep-alive every 15 s until the end (the last tick may race the end).
		if n := strings.Count(rec.Body.String(), ": keep-alive\n\n"); n < 119 || n > 120 {
			t.Fatalf("%d keep-alives in 30 minutes", n)
		}
	})
}

func TestStreamLoopEndsAtShutdownAndWhenDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := httptest.NewRecorder()
		out := &sse{w: rec, rc: http.NewResponseController(rec)}
		shutdown := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			streamLoop{wake: make(chan struct{}), shutdown: shutdown, lifetime: time.Hour, keepAlive: time.Minute}.
				run(context.Background(), out, func() (bool, error) { return false, nil })
		}()
		time.Sleep(90 * time.Second) // fake time: one keep-alive
		close(shutdown)
		<-done
		if n := strings.Count(rec.Body.String(), ": keep-alive"); n != 1 {
			t.Fatalf("%d keep-alives", n)
		}

		// A step that reports done or fails ends the loop without waiting.
		for _, step := range []func() (bool, error){
			func() (bool, error) { return true, nil },
			func() (bool, error) { return false, errors.New("db gone") },
		} {
			start := time.Now()
			streamLoop{wake: make(chan struct{}), shutdown: make(chan struct{}), lifetime: time.Hour, keepAlive: time.Minute}.
				run(context.Background(), out, step)
			if time.Since(start) != 0 {
				t.Fatal("the loop waited after its step ended it")
			}
		}
	})
}

func TestStreamLoopEndsWhenTheSessionEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := httptest.NewRecorder()
		out := &sse{w: rec, rc: http.NewResponseController(rec)}
		var asked atomic.Int32
		start := time.Now()
		streamLoop{wake: make(chan struct{}), shutdown: make(chan struct{}), lifetime: time.Hour, keepAlive: 15 * time.Second,
			alive: func() bool { return asked.Add(1) < 3 }}.
			run(context.Background(), out, func() (bool, error) { return false, nil })
		// Alive at 15 s and 30 s, ended (logged out, disabled) at 45 s.
		if d := time.Since(start); d != 45*time.Second || asked.Load() != 3 {
			t.Fatalf("ended after %v, %d checks", d, asked.Load())
		}
		if n := strings.Count(rec.Body.String(), ": keep-alive"); n != 2 {
			t.Fatalf("%d keep-alives", n)
		}
	})
}

func TestStreamLimiterCountsPerUser(t *testing.T) {
	l := newStreamLimiter(2)
	r1, err := l.acquire(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.acquire(1); err != nil {
		t.Fatal(err)
	}
	_, err = l.acquire(1)
	var me *model.Error
	if !errors.As(err, &me) || me.Code != model.CodeTooManyStreams || me.RetryAfter == 0 {
		t.Fatalf("third stream: %v", err)
	}
	if _, err := l.acquire(2); err != nil {
		t.Fatalf("another user: %v", err)
	}
	r1()
	r1() // releasing twice frees one slot only
	if _, err := l.acquire(1); err != nil {
		t.Fatalf("after release: %v", err)
	}
	if _, err := l.acquire(1); err == nil {
		t.Fatal("a double release freed two slots")
	}

	// Everyone's streams together are bounded too.
	all := newStreamLimiter(2)
	all.maxTotal = 3
	for u := int64(10); u < 13; u++ {
		if _, err := all.acquire(u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := all.acquire(20); err == nil {
		t.Fatal("past the total")
	}
}

// A crowd cannot fill the global cap: streams beyond a person's first two stop at three
// quarters of it, so another person's first streams are still admitted.
func TestStreamLimiterKeepsRoomForOthers(t *testing.T) {
	l := newStreamLimiter(16)
	l.maxTotal = 64
	admitted := 0
	for u := int64(1); u <= 4; u++ {
		for range 16 {
			if _, err := l.acquire(u); err == nil {
				admitted++
			}
		}
	}
	// Three accounts fill the shared 48; the fourth gets its first two only.
	if admitted != 50 {
		t.Fatalf("the crowd got %d of 64 streams, want 50", admitted)
	}
	for i := range 2 {
		if _, err := l.acquire(99); err != nil {
			t.Fatalf("bob's stream %d refused while the crowd holds the shared part: %v", i+1, err)
		}
	}
	if _, err := l.acquire(99); err == nil {
		t.Fatal("bob's third stream admitted into the reserved part")
	}
	// The reserved part still ends at the total: first streams of new people fill it, then stop.
	for u := int64(100); u < 112; u++ {
		if _, err := l.acquire(u); err != nil {
			t.Fatalf("first stream of user %d: %v", u, err)
		}
	}
	_, err := l.acquire(200)
	var me *model.Error
	if !errors.As(err, &me) || me.Code != model.CodeTooManyStreams {
		t.Fatalf("a stream past the total: %v", err)
	}
}
