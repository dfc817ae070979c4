package cost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/falstudio/falstudio/internal/fal"
)

// price is what fal said about one endpoint for one account.
type price struct {
	known     bool
	unit      string
	unitPrice float64
	fetched   time.Time
	// perCall is fal's historical average cost of one call, fetched only for units a request's
	// input does not measure (GPU seconds, tokens); nil until asked.
	perCall *float64
}

// pricer is fal's pricing behind a bounded cache. Prices are cached per fal account and model:
// fal may apply account-specific discounts, so one person's price is never shown to another.
// Entries live at most ttl (an hour by default), unknown prices a shorter time, and a failed
// fetch 30 seconds; concurrent misses for one entry share a single fetch.
type pricer struct {
	fal        *fal.Client
	now        func() time.Time
	ttl        time.Duration
	unknownTTL time.Duration
	max        int
	timeout    time.Duration

	mu       sync.Mutex
	entries  map[string]*price
	inflight map[string]*flight
	// failed remembers briefly that fal's pricing did not answer for an entry, so while it is
	// down each submit does not wait for it again.
	failed map[string]failure
}

type failure struct {
	until time.Time
	err   error
}

// failTTL is how long a failed price fetch is remembered.
const failTTL = 30 * time.Second

type flight struct {
	done chan struct{}
	p    *price
	err  error
}

func newPricer(fc *fal.Client, now func() time.Time, ttl time.Duration, max int) *pricer {
	return &pricer{fal: fc, now: now, ttl: ttl, unknownTTL: min(ttl, 10*time.Minute), max: max, timeout: 5 * time.Second,
		entries: map[string]*price{}, inflight: map[string]*flight{}, failed: map[string]failure{}}
}

// cacheKey names an account without keeping its key: a changed key starts a fresh entry.
func cacheKey(falKey, endpointID string) string {
	h := sha256.Sum256([]byte(falKey))
	return hex.EncodeToString(h[:12]) + "|" + endpointID
}

func (p *pricer) fresh(e *price) bool {
	ttl := p.ttl
	if !e.known {
		ttl = p.unknownTTL
	}
	return p.now().Sub(e.fetched) < ttl
}

// get returns the endpoint's price (known=false when fal has none).
func (p *pricer) get(ctx context.Context, falKey, endpointID string) (*price, error) {
	k := cacheKey(falKey, endpointID)
	p.mu.Lock()
	if e, ok := p.entries[k]; ok && p.fresh(e) {
		p.mu.Unlock()
		return e, nil
	}
	if f, ok := p.failed[k]; ok && p.now().Before(f.until) {
		p.mu.Unlock()
		return nil, f.err
	}
	if f, ok := p.inflight[k]; ok {
		p.mu.Unlock()
		select {
		case <-f.done:
			return f.p, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	p.inflight[k] = f
	p.mu.Unlock()

	f.p, f.err = p.fetch(ctx, falKey, endpointID)
	p.mu.Lock()
	delete(p.inflight, k)
	if f.err == nil {
		delete(p.failed, k)
		p.store(k, f.p)
	} else if ctx.Err() == nil {
		if len(p.failed) >= p.max {
			clear(p.failed) // a burst of failures must not grow without bound
		}
		p.failed[k] = failure{until: p.now().Add(failTTL), err: f.err}
	}
	p.mu.Unlock()
	close(f.done)
	return f.p, f.err
}

func (p *pricer) fetch(ctx context.Context, falKey, endpointID string) (*price, error) {
	// Bounded: an estimate sits in front of every submit, so a slow fal must not hold it long.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.timeout)
	defer cancel()
	list, err := p.fal.Pricing(fctx, falKey, []string{endpointID})
	if err != nil {
		return nil, err
	}
	e := &price{fetched: p.now()}
	for _, x := range list {
		if x.EndpointID == endpointID && (x.Currency == "" || x.Currency == "USD") && x.UnitPrice >= 0 {
			e.known, e.unit, e.unitPrice = true, x.Unit, x.UnitPrice
			break
		}
	}
	return e, nil
}

// store adds an entry, making room first: expired entries go, then the oldest.
func (p *pricer) store(k string, e *price) {
	if _, ok := p.entries[k]; !ok && len(p.entries) >= p.max {
		for key, x := range p.entries {
			if !p.fresh(x) {
				delete(p.entries, key)
			}
		}
		for len(p.entries) >= p.max {
			oldest := ""
			for key, x := range p.entries {
				if oldest == "" || x.fetched.Before(p.entries[oldest].fetched) {
					oldest = key
				}
			}
			delete(p.entries, oldest)
		}
	}
	p.entries[k] = e
}

// perCall returns fal's historical cost of one call of the endpoint, cached with the price.
func (p *pricer) perCall(ctx context.Context, falKey, endpointID string, e *price) (float64, error) {
	p.mu.Lock()
	if e.perCall != nil {
		v := *e.perCall
		p.mu.Unlock()
		return v, nil
	}
	p.mu.Unlock()
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.timeout)
	defer cancel()
	v, err := p.fal.EstimateCost(fctx, falKey, fal.EstimateHistorical, endpointID, 1)
	if err != nil {
		return 0, err
	}
	if v <= 0 {
		return 0, errors.New("cost: fal has no history for this endpoint")
	}
	p.mu.Lock()
	e.perCall = &v
	p.mu.Unlock()
	return v, nil
}

// size is the number of cached entries (tests).
func (p *pricer) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.entries)
}
