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
