package generation

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/falstudio/falstudio/internal/events"
	"github.com/falstudio/falstudio/internal/store"
)

// The journal names every change of a generation with a sequence number shared by all
// replicas (a database row), so the per-person event stream can resume after a dropped
// connection wherever the browser reconnects. Rows are kept journalKeep (SPEC: ≥ 5 minutes).
const (
	journalKeep       = 10 * time.Minute
	journalPruneEvery = time.Minute
	journalBatch      = 256
)

// journalQueue hands changes to the journal writer, which writes them in batches off the
// job's path (a job never waits for the journal) and then tells the hub.
type journalQueue struct {
	mu      sync.RWMutex // held while sending, so stopping never strands a queued change
	running bool
	in      chan events.Change
}

const (
	journalQueueLen = 4096
	journalMaxBatch = 256
	// journalLinger gathers the changes of a busy moment into one transaction; an event
	// reaches its streams at most this much later.
	journalLinger = 20 * time.Millisecond
)

// publish journals c, then wakes the event streams on every replica. While the journal writer
// runs (Run) it does both in batches; otherwise (or when its queue is full) it writes c inline.
func (s *Service) publish(c events.Change) {
	s.journal.mu.RLock()
	if s.journal.running {
		select {
		case s.journal.in <- c:
			s.journal.mu.RUnlock()
			return
		default: // full: write this one inline
		}
	}
	s.journal.mu.RUnlock()
	s.writeJournal([]events.Change{c})
}

// runJournal writes queued changes in batches until ctx ends, then writes what is left.
func (s *Service) runJournal(ctx context.Context) {
	s.startJournal()
	s.journalLoop(ctx)
}

// startJournal makes publish queue changes for journalLoop.
func (s *Service) startJournal() {
	s.journal.mu.Lock()
	defer s.journal.mu.Unlock()
	if s.journal.in == nil {
		s.journal.in = make(chan events.Change, journalQueueLen)
	}
	s.journal.running = true
}

func (s *Service) journalLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			s.journal.mu.Lock()
			s.journal.running = false // later changes are written inline
			s.journal.mu.Unlock()
			var rest []events.Change
			for len(s.journal.in) > 0 {
				rest = append(rest, <-s.journal.in)
			}
			if len(rest) > 0 {
				s.writeJournal(rest)
			}
			return
		case c := <-s.journal.in:
			batch := []events.Change{c}
			linger := time.NewTimer(journalLinger)
		gather:
			for len(batch) < journalMaxBatch {
				select {
				case c := <-s.journal.in:
					batch = append(batch, c)
				case <-linger.C:
					break gather
				case <-ctx.Done():
					break gather
				}
			}
			linger.Stop()
			s.writeJournal(batch)
		}
	}
}

// writeJournal records a batch, prunes now and then, and tells the hub of each change once. A
// failed write is logged: the streams then miss those wake-ups, but a generation's next change
// carries its whole current state.
func (s *Service) writeJournal(batch []events.Change) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	entries := make([]store.JournalEntry, len(batch))
	for i, c := range batch {
		entries[i] = store.JournalEntry{UserID: c.UserID, GenerationID: c.GenerationID}
	}
	if err := s.st.AppendGenerationEvents(ctx, entries); err != nil {
		s.log.Warn("generation: journal changes failed", "changes", len(batch), "err", err)
	}
	seen := make(map[events.Change]bool, len(batch))
	for _, c := range batch {
		if !seen[c] {
			seen[c] = true
			s.events.Publish(c)
		}
	}
	now := s.now()
	last := s.journalPrunedAt.Load()
	if now.UnixMilli()-last < journalPruneEvery.Milliseconds() || !s.journalPrunedAt.CompareAndSwap(last, now.UnixMilli()) {
		return
	}
	if _, err := s.st.PruneGenerationEvents(ctx, now.Add(-journalKeep)); err != nil {
		s.log.Warn("generation: prune journal failed", "err", err)
	}
}

// Resume interprets a Last-Event-ID: it returns the cursor to read changes after and whether
// the id is still covered by the journal. An unknown, malformed or pruned id (or none) is not
// resumable: the cursor is then the newest change, and the stream starts from current state.
func (s *Service) Resume(ctx context.Context, lastEventID string) (cursor int64, resumable bool, err error) {
	oldest, newest, err := s.st.GenerationEventBounds(ctx)
	if err != nil {
		return 0, false, err
	}
	if lastEventID != "" {
		id, perr := strconv.ParseInt(lastEventID, 10, 64)
		// Every change after id must still be journaled: id+1 ≥ the oldest kept row.
		if perr == nil && id >= 0 && id <= newest && oldest > 0 && id+1 >= oldest {
			return id, true, nil
		}
	}
	return newest, false, nil
}

// Change is one event of the per-person stream: the journal seq and the generation now.
type Change struct {
	Seq        int64
	Generation *GenerationView
}

// ChangesAfter returns the user's generations that changed after cursor, each once, as they
// are now, ordered by their latest change; next is the cursor to continue from, and more says
// a further batch is waiting.
func (s *Service) ChangesAfter(ctx context.Context, userID, cursor int64) (changes []Change, next int64, more bool, err error) {
	evs, err := s.st.GenerationEventsAfter(ctx, userID, cursor, journalBatch)
	if err != nil {
		return nil, cursor, false, err
	}
	next = cursor
	latest := map[string]int64{}
	var order []string
	for _, e := range evs {
		if _, ok := latest[e.GenerationID]; !ok {
			order = append(order, e.GenerationID)
		}
		latest[e.GenerationID] = e.Seq
		next = e.Seq
	}
	for _, id := range order {
		v, err := s.Get(ctx, userID, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since
		}
		if err != nil {
			return nil, cursor, false, err
		}
		changes = append(changes, Change{Seq: latest[id], Generation: v})
	}
	slices.SortFunc(changes, func(a, b Change) int { return cmp.Compare(a.Seq, b.Seq) })
	return changes, next, len(evs) == journalBatch, nil
}
