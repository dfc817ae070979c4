package generation

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

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

// record journals that one of the user's generations changed. It runs before the hub is told,
// so a woken stream always finds the row. A failed write is logged: the stream then misses
// that wake-up, but the next change of the generation carries its whole current state.
func (s *Service) record(userID int64, generationID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.st.AppendGenerationEvent(ctx, userID, generationID); err != nil {
		s.log.Warn("generation: journal change failed", "generation_id", generationID, "err", err)
		return
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
