// Package ratelimit keeps token buckets per key (a client address, an email) in bounded
// memory. The login throttle (account) and the public share routes (httpapi) use it.
package ratelimit

import (
	"container/list"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limit is a token bucket: Burst attempts at once, refilled at one per Every.
type Limit struct {
	Every time.Duration
	Burst int
}

// Keyed keeps one token bucket per key with bounded memory: past max keys the least recently
// used key is evicted. Dropping the oldest forgets the least active client, where clearing all
// would hand every limited client a fresh budget at once.
type Keyed struct {
	mu    sync.Mutex
	limit Limit
	max   int
	keys  map[string]*list.Element // of *entry
	lru   *list.List               // front: most recently used
}

type entry struct {
	key string
	b   *rate.Limiter
}

// New returns buckets of limit l for at most maxKeys keys.
func New(l Limit, maxKeys int) *Keyed {
	return &Keyed{limit: l, max: max(maxKeys, 1), keys: map[string]*list.Element{}, lru: list.New()}
}

// Take spends one token for key; when none is left it reports how long until one is.
func (l *Keyed) Take(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	el := l.keys[key]
	if el == nil {
		for l.lru.Len() >= l.max {
			old := l.lru.Back()
			l.lru.Remove(old)
			delete(l.keys, old.Value.(*entry).key)
		}
		el = l.lru.PushFront(&entry{key: key, b: rate.NewLimiter(rate.Every(l.limit.Every), l.limit.Burst)})
		l.keys[key] = el
	} else {
		l.lru.MoveToFront(el)
	}
	r := el.Value.(*entry).b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Size is the number of keys held.
func (l *Keyed) Size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// ClientKey is the unit a client address is counted in: an IPv4 address, or an IPv6 /64
// (which one host usually owns whole). Anything that is not an address counts as given.
func ClientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}

// RetryAfter is a wait as a Retry-After value: whole seconds, rounded up, at least one.
func RetryAfter(wait time.Duration) int {
	return max(int((wait+time.Second-1)/time.Second), 1)
}
