// Package backoff is the one retry delay the studio uses: exponential growth with jitter.
package backoff

import (
	"crypto/rand"
	"math/big"
	"time"
)

// Delay is the wait before retry n (0 for the first): base·2ⁿ, capped at limit, then a random
// point between half of it and all of it, so retries that failed together spread out.
func Delay(n int, base, limit time.Duration) time.Duration {
	d := base << min(max(n, 0), 30)
	if d <= 0 || d > limit {
		d = limit
	}
	j, err := rand.Int(rand.Reader, big.NewInt(int64(d/2)+1))
	if err != nil { // crypto/rand does not fail on supported platforms; no jitter then
		return d
	}
	return d/2 + time.Duration(j.Int64())
}

// Around is the wait before retry n when a peer documents its schedule (Web Push: about 1 s,
// 2 s, 4 s, 8 s): base·2ⁿ capped at limit, then spread by ±frac (0.2 is ±20 %).
func Around(n int, base, limit time.Duration, frac float64) time.Duration {
	d := base << min(max(n, 0), 30)
	if d <= 0 || d > limit {
		d = limit
	}
	span := int64(float64(d) * frac * 2)
	if span <= 0 {
		return d
	}
	j, err := rand.Int(rand.Reader, big.NewInt(span+1))
	if err != nil {
		return d
	}
	return d - time.Duration(span/2) + time.Duration(j.Int64())
}
