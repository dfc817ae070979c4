// Package events tells event streams that a generation changed. A Hub delivers changes to
// subscribers in this process; with several replicas a Relay (PostgreSQL LISTEN/NOTIFY) carries
// each change to the other replicas' hubs. Subscribers re-read the rows they follow, so a missed
// or merged wake-up only delays an event, never loses one.
package events

import "sync"

// Change says that one generation of one user changed.
type Change struct {
	UserID       int64  `json:"u"`
	GenerationID string `json:"g"`
}

// Relay sends a change to the other replicas. It must not block for long.
type Relay interface {
	Send(Change)
}

// Hub fans changes out to subscribers by generation and by user.
type Hub struct {
	mu     sync.Mutex
	byGen  map[string]map[chan struct{}]struct{}
	byUser map[int64]map[chan struct{}]struct{}
	relay  Relay
}

// NewHub returns an empty hub that delivers in-process only.
func NewHub() *Hub {
	return &Hub{byGen: map[string]map[chan struct{}]struct{}{}, byUser: map[int64]map[chan struct{}]struct{}{}}
}

// SetRelay makes Publish also send every change to the other replicas.
func (h *Hub) SetRelay(r Relay) {
	h.mu.Lock()
	h.relay = r
	h.mu.Unlock()
}

// Publish delivers c here and, with a relay, to every other replica.
func (h *Hub) Publish(c Change) {
	h.Deliver(c)
	h.mu.Lock()
	r := h.relay
	h.mu.Unlock()
	if r != nil {
		r.Send(c)
	}
}

// Deliver wakes this process's subscribers of c without blocking (a relay calls it for changes
// made on other replicas).
func (h *Hub) Deliver(c Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.byGen[c.GenerationID] {
		wake(ch)
	}
	for ch := range h.byUser[c.UserID] {
		wake(ch)
	}
}

// DeliverAll wakes every subscriber (after a relay reconnects and may have missed changes).
func (h *Hub) DeliverAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, subs := range h.byGen {
		for ch := range subs {
			wake(ch)
		}
	}
	for _, subs := range h.byUser {
		for ch := range subs {
			wake(ch)
		}
	}
}

func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// SubscribeGeneration returns a channel woken when generation id changes, and a cancel func.
func (h *Hub) SubscribeGeneration(id string) (<-chan struct{}, func()) {
	return subscribe(h, h.byGen, id)
}

// SubscribeUser returns a channel woken when any of the user's generations changes.
func (h *Hub) SubscribeUser(userID int64) (<-chan struct{}, func()) {
	return subscribe(h, h.byUser, userID)
}

func subscribe[K comparable](h *Hub, m map[K]map[chan struct{}]struct{}, k K) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if m[k] == nil {
		m[k] = map[chan struct{}]struct{}{}
	}
	m[k][ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(m[k], ch)
			if len(m[k]) == 0 {
				delete(m, k)
			}
			h.mu.Unlock()
		})
	}
}
