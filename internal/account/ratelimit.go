package account

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/ratelimit"
	"github.com/falstudio/falstudio/internal/store"
)

// Limit is a token bucket: Burst attempts at once, refilled at one per Every.
type Limit = ratelimit.Limit

// window is the fixed window the shared (store-backed) counter uses for l: the time the bucket
// takes to refill completely, allowing Burst hits — the same long-run rate as the bucket.
func window(l Limit) time.Duration { return l.Every * time.Duration(l.Burst) }

// Login and sign-up throttling uses three keys:
//
//   - the client IP (IPv6 counted per /64, which one host usually owns whole), so one address
//     cannot try many emails;
//   - the pair (email, client IP) — the tight limit: guessing one account's password from one
//     place is slowed quickly;
//   - the email from anywhere — a loose cap, so a botnet cannot guess one password without
//     bound, while one attacker cannot lock the owner out (the owner's own IP keeps its budget
//     until the loose cap, far higher, is spent).
//
// Each key is checked in memory first (a flood from one address never reaches the database)
// and then in the store, so the limits hold across replicas sharing one database instead of
// being multiplied by their number.
type throttler struct {
	ip, pair, email *ratelimit.Keyed
	lim             [3]Limit
	st              *store.Store
	now             func() time.Time

	mu        sync.Mutex
	lastSweep time.Time
}

func newThrottler(st *store.Store, now func() time.Time, perIP, perPair, perEmail Limit) *throttler {
	const maxKeys = 100_000 // a few MB at most, whatever the traffic
	return &throttler{ip: ratelimit.New(perIP, maxKeys), pair: ratelimit.New(perPair, maxKeys), email: ratelimit.New(perEmail, maxKeys),
		lim: [3]Limit{perIP, perPair, perEmail}, st: st, now: now}
}

// throttle spends one login/sign-up attempt for ip and (when not empty) email; running out of
// any budget answers rate_limited with the wait.
func (s *Service) throttle(ip, email string) error {
	// Not the request's context: a client that hangs up must still have paid for its attempt.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.limits.check(ctx, ip, email)
}

// check spends one attempt for ip (and, when email is not empty, for the pair and the email).
func (t *throttler) check(ctx context.Context, ip, email string) error {
	now := t.now()
	client := ratelimit.ClientKey(ip)
	keys := []string{"ip:" + client}
	lims := []*ratelimit.Keyed{t.ip}
	if email != "" {
		keys = append(keys, "pair:"+email+"|"+client, "email:"+email)
		lims = append(lims, t.pair, t.email)
	}
	var wait time.Duration
	for i, l := range lims {
		if ok, d := l.Take(keys[i], now); !ok {
			wait = max(wait, d)
		}
	}
	if wait > 0 {
		return rateLimited(wait)
	}
	if t.st == nil {
		return nil
	}
	hits := make([]store.RateHit, len(keys))
	for i, k := range keys {
		h := sha256.Sum256([]byte("falstudio/ratelimit/" + k)) // emails and IPs never stored as they are
		hits[i] = store.RateHit{KeyHash: h[:], Window: window(t.lim[i])}
	}
	counts, err := t.st.HitRateLimits(ctx, hits)
	if err != nil {
		return fmt.Errorf("account: rate limit: %w", err)
	}
	for i, c := range counts {
		if c.Hits > int64(t.lim[i].Burst) {
			wait = max(wait, c.ResetAt.Sub(now))
		}
	}
	t.sweep(ctx, now)
	if wait > 0 {
		return rateLimited(wait)
	}
	return nil
}

// sweep deletes expired shared counters now and then.
func (t *throttler) sweep(ctx context.Context, now time.Time) {
	t.mu.Lock()
	due := now.Sub(t.lastSweep) > 10*time.Minute
	if due {
		t.lastSweep = now
	}
	t.mu.Unlock()
	if due {
		_, _ = t.st.SweepRateLimits(ctx)
	}
}

func rateLimited(wait time.Duration) error {
	secs := ratelimit.RetryAfter(wait)
	return &model.Error{Code: model.CodeRateLimited, Message: fmt.Sprintf("Too many attempts. Try again in %d seconds.", secs), RetryAfter: secs}
}
