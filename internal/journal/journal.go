// Package journal names every change of a generation with a sequence number shared by all
// replicas (a database row), so the per-person event stream can resume after a dropped
// connection wherever the browser reconnects. The submission pipeline and the runner record
// changes here; the journal writes them in batches off the job's path and then wakes the
// streams (events.Hub, which relays to other replicas on PostgreSQL).
package journal

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/falstudio/falstudio/internal/events"
	"github.com/falstudio/falstudio/internal/store"
)

// Rows are kept Keep (SPEC: at least 5 minutes).
const (
	Keep       = 10 * time.Minute
	pruneEvery = time.Minute
	// Batch is how many journal rows one read of ChangesAfter takes.
	Batch    = 256
	queueLen = 4096
	maxBatch = 256
	// linger gathers the changes of a busy moment into one transaction; an event reaches its
	// streams at most this much later.
	linger = 20 * time.Millisecond
)

// Journal records changes and answers resumes.
type Journal struct {
	st  *store.Store
	hub *events.Hub
	log *slog.Logger
	now func() time.Time

	mu       sync.RWMutex // held while sending, so stopping never strands a queued change
	running  bool
	in       chan events.Change
	prunedAt atomic.Int64 // epoch ms of the last prune
	// listen hears every change this replica records (push notifications); nil: nobody.
	listen func([]events.Change)
}

// Listen sets fn to hear every change this replica records, after it is written, once per
// batch (it must not block). Set it before Run and before any change.
func (j *Journal) Listen(fn func([]events.Change)) { j.listen = fn }

// New builds a journal over st that wakes hub; log and now may be nil.
func New(st *store.Store, hub *events.Hub, log *slog.Logger, now func() time.Time) *Journal {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Journal{st: st, hub: hub, log: log, now: now, in: make(chan events.Change, queueLen)}
}

// Changed records that a person's generation changed, then wakes the event streams on every
// replica. While Run runs it does both in batches; otherwise (or when the queue is full) it
// writes inline.
func (j *Journal) Changed(userID int64, generationID string) {
	c := events.Change{UserID: userID, GenerationID: generationID}
	j.mu.RLock()
	if j.running {
		select {
		case j.in <- c:
			j.mu.RUnlock()
			return
		default: // full: write this one inline
		}
	}
	j.mu.RUnlock()
	j.write([]events.Change{c})
}

// Run writes queued changes in batches until ctx ends, then writes what is left.
func (j *Journal) Run(ctx context.Context) {
	j.mu.Lock()
	j.running = true
	j.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			j.mu.Lock()
			j.running = false // later changes are written inline
			j.mu.Unlock()
			var rest []events.Change
			for len(j.in) > 0 {
				rest = append(rest, <-j.in)
			}
			if len(rest) > 0 {
				j.write(rest)
			}
			return
		case c := <-j.in:
			batch := []events.Change{c}
			t := time.NewTimer(linger)
		gather:
			for len(batch) < maxBatch {
				select {
				case c := <-j.in:
					batch = append(batch, c)
				case <-t.C:
					break gather
				case <-ctx.Done():
					break gather
				}
			}
			t.Stop()
			j.write(batch)
		}
	}
}

// write records a batch, prunes now and then, and tells the hub of each change once. A failed
// write is logged: the streams then miss those wake-ups, but a generation's next change carries
// its whole current state.
func (j *Journal) write(batch []events.Change) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	entries := make([]store.JournalEntry, len(batch))
	for i, c := range batch {
		entries[i] = store.JournalEntry{UserID: c.UserID, GenerationID: c.GenerationID}
	}
	if err := j.st.AppendGenerationEvents(ctx, entries); err != nil {
		j.log.Warn("journal: changes not recorded", "changes", len(batch), "err", err)
	}
	seen := make(map[events.Change]bool, len(batch))
	once := make([]events.Change, 0, len(batch))
	for _, c := range batch {
		if !seen[c] {
			seen[c] = true
			once = append(once, c)
			j.hub.Publish(c)
		}
	}
	if j.listen != nil {
		j.listen(once)
	}
	now := j.now()
	last := j.prunedAt.Load()
	if now.UnixMilli()-last < pruneEvery.Milliseconds() || !j.prunedAt.CompareAndSwap(last, now.UnixMilli()) {
		return
	}
	if _, err := j.st.PruneGenerationEvents(ctx, now.Add(-Keep)); err != nil {
		j.log.Warn("journal: prune failed", "err", err)
	}
}

// Resume interprets a person's Last-Event-ID (ids count that person's own changes): it returns
// the cursor to read changes after and whether the id is still covered by the journal. An
// unknown, malformed or pruned id (or none) is not resumable: the cursor is then the person's
// newest change, and the stream starts from current state.
func (j *Journal) Resume(ctx context.Context, userID int64, lastEventID string) (cursor int64, resumable bool, err error) {
	oldest, newest, err := j.st.GenerationEventBounds(ctx, userID)
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

// Latest is a generation's newest journaled change.
type Latest struct {
	Seq          int64
	GenerationID string
}

// After returns the person's generations that changed after cursor, each once with its newest
// seq, ordered by that seq; next is the cursor to continue from, and more says a further batch
// is waiting.
func (j *Journal) After(ctx context.Context, userID, cursor int64) (latest []Latest, next int64, more bool, err error) {
	evs, err := j.st.GenerationEventsAfter(ctx, userID, cursor, Batch)
	if err != nil {
		return nil, cursor, false, err
	}
	next = cursor
	seq := map[string]int64{}
	for _, e := range evs {
		seq[e.GenerationID] = e.Seq // rows come in seq order: the last one wins
		next = e.Seq
	}
	for id, n := range seq {
		latest = append(latest, Latest{Seq: n, GenerationID: id})
	}
	slices.SortFunc(latest, func(a, b Latest) int { return cmp.Compare(a.Seq, b.Seq) })
	return latest, next, len(evs) == Batch, nil
}
