package store

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"
)

func TestRateLimitWindows(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	a, b := sha256.Sum256([]byte("a")), sha256.Sum256([]byte("b"))
	hit := func() []RateCount {
		t.Helper()
		c, err := s.HitRateLimits(ctx, []RateHit{{KeyHash: a[:], Window: time.Minute}, {KeyHash: b[:], Window: time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for i := range 3 {
		c := hit()
		if c[0].Hits != int64(i+1) || c[1].Hits != int64(i+1) || !c[0].ResetAt.Equal(now.Add(time.Minute)) {
			t.Fatalf("hit %d: %+v", i, c)
		}
	}
	now = now.Add(61 * time.Second) // a's window ended, b's has not
	c := hit()
	if c[0].Hits != 1 || c[1].Hits != 4 || !c[0].ResetAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("after a's window: %+v", c)
	}
	now = now.Add(2 * time.Hour)
	n, err := s.SweepRateLimits(ctx)
	if err != nil || n != 2 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	var left int64
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM rate_limits`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("rows left %d %v", left, err)
	}
}
