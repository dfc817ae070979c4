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

// Open streams: a job's end is judged as of the moment it ended — a stream open then counts,
// even if it closed since; one opened later or closed before does not; a dead replica's stream
// stops counting once stale; another person's never counts.
func TestOpenStreams(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	u, err := s.InsertUser(ctx, "streams@example.com", "x")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Truncate(time.Millisecond)
	clock := t0
	s.SetClock(func() time.Time { return clock })
	had := func(at time.Time, want bool) {
		t.Helper()
		got, err := s.HadOpenStream(ctx, u.ID, at, 45*time.Second)
		if err != nil || got != want {
			t.Fatalf("open stream at %v: %v (%v), want %v", at.Sub(t0), got, err, want)
		}
	}
	had(t0, false)
	if err := s.OpenStream(ctx, "a", u.ID, "replica-1"); err != nil {
		t.Fatal(err)
	}
	had(t0, true)
	had(t0.Add(-time.Second), false) // before it opened
	clock = t0.Add(10 * time.Second)
	if err := s.CloseStream(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	had(t0.Add(5*time.Second), true) // the job ended while it was open: closed since, still counts
	had(t0.Add(11*time.Second), false)
	// A stream on a replica that dies: counts while fresh, then no more.
	clock = t0.Add(20 * time.Second)
	if err := s.OpenStream(ctx, "b", u.ID, "replica-2"); err != nil {
		t.Fatal(err)
	}
	had(t0.Add(30*time.Second), true)
	had(t0.Add(2*time.Minute), false)
	// replica-1 refreshes its own (none open) and prunes what is older than the keep time.
	clock = t0.Add(2 * time.Hour)
	if err := s.TouchStreams(ctx, "replica-1", clock.Add(-time.Hour)); err != nil {
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
	had(clock, false)
}
