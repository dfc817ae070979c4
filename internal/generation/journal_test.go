package generation

import (
	"context"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/events"
	"github.com/falstudio/falstudio/internal/store"
)

// Every change is journaled before the hub is told, inline without the writer and in batches
// with it; the writer leaves nothing behind when it stops.
func TestJournalWritesEveryChangeBeforePublishing(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u, err := st.InsertUser(ctx, "journal@example.com", "h")
	if err != nil {
		t.Fatal(err)
	}
	s := New(st, nil, nil, nil, nil, Options{})
	wake, cancelSub := s.Events().SubscribeUser(u.ID)
	defer cancelSub()
	journaled := func() int {
		t.Helper()
		evs, err := st.GenerationEventsAfter(ctx, u.ID, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}

	// No writer running: written inline, then published.
	s.publish(events.Change{UserID: u.ID, GenerationID: "g0"})
	select {
	case <-wake:
	default:
		t.Fatal("the hub was not told")
	}
	if n := journaled(); n != 1 {
		t.Fatalf("%d journaled inline", n)
	}

	// With the writer: the wake-up comes after the rows exist.
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	s.startJournal()
	go func() { defer close(done); s.journalLoop(wctx) }()
	for i := range 20 {
		s.publish(events.Change{UserID: u.ID, GenerationID: "g" + string(rune('a'+i))})
	}
	select {
	case <-wake:
		if n := journaled(); n < 2 {
			t.Fatalf("woken with %d rows journaled", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no wake-up from the writer")
	}
	stop()
	<-done
	if n := journaled(); n != 21 {
		t.Fatalf("%d journaled after the writer stopped, want 21", n)
	}
	// Stopped: inline again.
	s.publish(events.Change{UserID: u.ID, GenerationID: "late"})
	if n := journaled(); n != 22 {
		t.Fatalf("%d journaled after a late change", n)
	}
}
