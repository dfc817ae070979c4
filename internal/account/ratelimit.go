package account

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limit is a token bucket: Burst attempts at once, refilled at one per Every.
type Limit struct {
	Every time.Duration
	Burst int
}

// limiter keeps one bucket per key (an IP or an email) with bounded memory: when it holds too
// many keys, buckets that have refilled completely (indistinguishable from new ones) are dropped.
type limiter struct {
	mu      sync.Mutex
	limit   Limit
	buckets map[string]*rate.Limiter
	max     int
}

func newLimiter(l Limit, maxKeys int) *limiter {
	return &limiter{limit: l, buckets: map[string]*rate.Limiter{}, max: maxKeys}
}

// take spends one token for key; when none is left it reports how long until one is.
func (l *limiter) take(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.sweep(now)
		}
		b = rate.NewLimiter(rate.Every(l.limit.Every), l.limit.Burst)
		l.buckets[key] = b
	}
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.limit.Burst) {
			delete(l.buckets, k)
		}
	}
	// Still full of active buckets: start over rather than grow without bound.
	if len(l.buckets) >= l.max {
		clear(l.buckets)
	}
}

func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
