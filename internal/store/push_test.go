package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Two replicas seeing the same end claim it at once: exactly one sends.
func TestClaimPushSendOnce(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	var won atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ok, err := s.ClaimPushSend(ctx, "gen-1", time.Now().Add(-time.Hour))
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d claims won", won.Load())
	}
}

// Open streams: counted while fresh, gone when closed, and a dead replica's rows stop counting.
func TestOpenStreams(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	u, err := s.InsertUser(ctx, "streams@example.com", "x")
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	s.SetClock(func() time.Time { return clock })
	has := func(want bool) {
		t.Helper()
		got, err := s.HasOpenStream(ctx, u.ID, clock.Add(-45*time.Second))
		if err != nil || got != want {
			t.Fatalf("open stream: %v (%v), want %v", got, err, want)
		}
	}
	has(false)
	if err := s.OpenStream(ctx, "a", u.ID, "replica-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.OpenStream(ctx, "b", u.ID, "replica-2"); err != nil {
		t.Fatal(err)
	}
	has(true)
	if err := s.CloseStream(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	has(true) // b is still open
	// replica-2 dies: replica-1 keeps refreshing, and after 45 s b counts no more and is pruned.
	clock = clock.Add(time.Minute)
	has(false)
	if err := s.TouchStreams(ctx, "replica-1", clock.Add(-45*time.Second)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM open_streams`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows left: %d (%v)", n, err)
	}
	// Another person's stream never counts for this one.
	other, err := s.InsertUser(ctx, "other-streams@example.com", "x")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.OpenStream(ctx, "c", other.ID, "replica-1"); err != nil {
		t.Fatal(err)
	}
	has(false)
}
