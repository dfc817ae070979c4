package events

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/dbtest"
)

// Two replicas on one PostgreSQL database: a change published on one wakes the other's streams.
// On SQLite there is nothing to relay (one process), so this needs the PostgreSQL run.
func TestPGRelayAcrossReplicas(t *testing.T) {
	if !dbtest.Postgres() {
		// The in-process hub is tested above; the relay exists only for PostgreSQL. This is the
		// SQLite run of the suite, which has no server to relay through.
		return
	}
	url := dbtest.URL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	a, b := NewHub(), NewHub()
	ra, err := NewPGRelay(ctx, url, "replica-a", a, log)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := NewPGRelay(ctx, url, "replica-b", b, log)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	for _, r := range []*PGRelay{ra, rb} {
		go func() { r.Run(ctx); done <- struct{}{} }()
		select {
		case <-r.Ready():
		case <-time.After(10 * time.Second):
			t.Fatal("relay did not start listening")
		}
	}
	a.SetRelay(ra)
	b.SetRelay(rb)
	onB, cancelB := b.SubscribeUser(42)
	defer cancelB()
	onA, cancelA := a.SubscribeUser(42)
	defer cancelA()

	a.Publish(Change{UserID: 42, GenerationID: "g"})
	select {
	case <-onB:
	case <-time.After(10 * time.Second):
		t.Fatal("replica b never heard of a change made on replica a")
	}
	if !woken(onA) {
		t.Fatal("the local subscriber was not woken")
	}
	// A's own notification comes back to A's listener and is ignored (no second wake-up). Send
	// one more change from b; once a has it, a's own echo would have arrived before it.
	b.Publish(Change{UserID: 42, GenerationID: "h"})
	select {
	case <-onA:
	case <-time.After(10 * time.Second):
		t.Fatal("replica a never heard of b's change")
	}
	if woken(onA) {
		t.Fatal("a replica was woken by its own change coming back")
	}
	cancel()
	for range 2 {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("relay did not stop with its context")
		}
	}
}
