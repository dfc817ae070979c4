package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
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
//     bound. Spread over many addresses it could still keep the owner out, so a browser that
//     has signed in before (a device cookie, OWASP's "device cookies") is not counted against
//     it: such a browser spends its own per-device budget instead of the pair and the email.
//
// A signed-in person's own password checks (deleting the account, changing the password) spend
// the client IP and a per-account budget, so a stolen session is no unthrottled oracle.
//
// Each key is checked in memory first (a flood from one address never reaches the database)
// and then in the store, so the limits hold across replicas sharing one database instead of
// being multiplied by their number.
type throttler struct {
	ip, pair, email, device, user bucket
	st                            *store.Store
	now                           func() time.Time

	mu        sync.Mutex
	lastSweep time.Time
}

// bucket is one kind of key: its in-memory limiter and its limit.
type bucket struct {
	mem *ratelimit.Keyed
	lim Limit
}

func newBucket(l Limit) bucket {
	const maxKeys = 100_000 // a few MB at most, whatever the traffic
	return bucket{mem: ratelimit.New(l, maxKeys), lim: l}
}

func newThrottler(st *store.Store, now func() time.Time, perIP, perPair, perEmail Limit) *throttler {
	// A known device and a signed-in account get the tight per-(email, IP) budget: one browser
	// or one session guessing is slowed as quickly as one address.
	return &throttler{ip: newBucket(perIP), pair: newBucket(perPair), email: newBucket(perEmail),
		device: newBucket(perPair), user: newBucket(perPair), st: st, now: now}
}

// hit is one key to spend an attempt on, in its bucket.
type hit struct {
	b   *bucket
	key string
}

// throttle spends one login/sign-up attempt for ip and (when not empty) email; running out of
// any budget answers rate_limited with the wait.
func (s *Service) throttle(ip, email string) error {
	client := ratelimit.ClientKey(ip)
	hits := []hit{{&s.limits.ip, "ip:" + client}}
	if email != "" {
		hits = append(hits, hit{&s.limits.pair, "pair:" + email + "|" + client}, hit{&s.limits.email, "email:" + email})
	}
	return s.spend(hits)
}

// throttleDevice spends a login attempt from a browser known to the account: the client IP and
// the device's own budget, never the email's shared cap (which others' guesses may have spent).
func (s *Service) throttleDevice(ip string, deviceHash []byte) error {
	return s.spend([]hit{{&s.limits.ip, "ip:" + ratelimit.ClientKey(ip)}, {&s.limits.device, "device:" + hex.EncodeToString(deviceHash)}})
}

// throttleUser spends a signed-in person's password check: the client IP and the account.
func (s *Service) throttleUser(ip string, userID int64) error {
	return s.spend([]hit{{&s.limits.ip, "ip:" + ratelimit.ClientKey(ip)}, {&s.limits.user, "user:" + strconv.FormatInt(userID, 10)}})
}

func (s *Service) spend(hits []hit) error {
	// Not the request's context: a client that hangs up must still have paid for its attempt.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.limits.check(ctx, hits)
}

// check spends one attempt on every key.
func (t *throttler) check(ctx context.Context, keys []hit) error {
	now := t.now()
	var wait time.Duration
	for _, k := range keys {
		if ok, d := k.b.mem.Take(k.key, now); !ok {
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
		h := sha256.Sum256([]byte("falstudio/ratelimit/" + k.key)) // emails and IPs never stored as they are
		hits[i] = store.RateHit{KeyHash: h[:], Window: window(k.b.lim)}
	}
	counts, err := t.st.HitRateLimits(ctx, hits)
	if err != nil {
		return fmt.Errorf("account: rate limit: %w", err)
	}
	for i, c := range counts {
		if c.Hits > int64(keys[i].b.lim.Burst) {
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
