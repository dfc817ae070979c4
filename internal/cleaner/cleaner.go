// Package cleaner owns the life of stored objects after their rows: deleting an object now or
// queueing the delete for a retry, retrying failed deletes, sweeping objects that no asset owns
// (a save cut between upload and insert), and moving files kept on local disk during an S3
// outage to S3. The composition root runs Tidy periodically.
package cleaner

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/falstudio/falstudio/internal/backoff"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Options tune the cleaner; zero values take defaults.
type Options struct {
	// Instance is this process's id: it re-syncs only the local files on its own disk.
	Instance string
	// RetryAfter is when a failed delete is first retried (default 5 s), growing to 6 hours.
	RetryAfter time.Duration
	// OrphanAge is how long after a job finished its unowned objects are swept (default 10 min).
	OrphanAge time.Duration
	Now       func() time.Time
	Logger    *slog.Logger
}

// Cleaner deletes and moves stored objects.
type Cleaner struct {
	st      *store.Store
	storage *media.Storage
	o       Options
	log     *slog.Logger
}

// New builds the cleaner.
func New(st *store.Store, storage *media.Storage, o Options) *Cleaner {
	if o.RetryAfter <= 0 {
		o.RetryAfter = 5 * time.Second
	}
	if o.OrphanAge <= 0 {
		o.OrphanAge = 10 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Cleaner{st: st, storage: storage, o: o, log: o.Logger}
}

// Remove deletes the object of a row that is already gone, queueing a retry (pending_deletes)
// when the store fails: the object must not be left behind. Only a failure to queue is returned.
func (c *Cleaner) Remove(ctx context.Context, storage, key string) error {
	if err := c.storage.Delete(ctx, storage, key); err != nil {
		c.log.Warn("object delete failed; will retry", "storage", storage, "key", key, "err", err)
		return c.st.AddPendingDelete(context.WithoutCancel(ctx), storage, key, c.o.Now().Add(c.o.RetryAfter))
	}
	return nil
}

// S3Configured reports whether objects may live in S3 (a delete must then try both backends).
func (c *Cleaner) S3Configured() bool { return c.storage != nil && c.storage.S3Configured() }

// queuedBudget bounds how long a request spends removing queued objects; whatever is left is
// finished by the delete retries.
const queuedBudget = 30 * time.Second

// RemoveQueued deletes objects already queued in pending_deletes (a deleted account's), a few at
// a time, and (forget) clears the queue entries that worked; failures stay queued for the
// retries. It returns how many are gone.
func (c *Cleaner) RemoveQueued(ctx context.Context, objs []store.PendingDelete, forget bool) int {
	if c.storage == nil || len(objs) == 0 {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, queuedBudget)
	defer cancel()
	var mu sync.Mutex
	done := 0
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, o := range objs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := c.storage.Delete(ctx, o.Storage, o.Key); err != nil {
				c.log.Warn("object delete failed; will retry", "storage", o.Storage, "err", err)
				return
			}
			if forget {
				if err := c.st.DonePendingDelete(ctx, o.Storage, o.Key); err != nil {
					c.log.Warn("finished delete not recorded; it will be tried again", "key", o.Key, "err", err)
					return
				}
			}
			mu.Lock()
			done++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return done
}

// Tidy runs each housekeeping pass once: delete retries, the orphan sweep, and, with S3
// configured, the local-to-S3 re-sync. Large uploads may happen here, so it runs beside the
// job runner, never on a job's path.
func (c *Cleaner) Tidy(ctx context.Context) {
	c.RetryDeletes(ctx)
	c.SweepOrphans(ctx, c.o.Now().Add(-c.o.OrphanAge))
	if c.storage.S3Configured() {
		c.ResyncLocal(ctx)
	}
}

// RetryDeletes retries object deletes that failed, with growing intervals; it returns how many
// objects are now gone.
func (c *Cleaner) RetryDeletes(ctx context.Context) int {
	dels, err := c.st.DuePendingDeletes(ctx, 100)
	if err != nil {
		c.log.Warn("delete retries not read", "err", err)
		return 0
	}
	done := 0
	for _, d := range dels {
		if err := c.storage.Delete(ctx, d.Storage, d.Key); err != nil {
			next := c.o.Now().Add(backoff.Delay(d.Attempts+1, c.o.RetryAfter, 6*time.Hour))
			if err := c.st.AddPendingDelete(ctx, d.Storage, d.Key, next); err != nil {
				c.log.Warn("delete retry not rescheduled", "key", d.Key, "err", err)
			}
			continue
		}
		if err := c.st.DonePendingDelete(ctx, d.Storage, d.Key); err != nil {
			c.log.Warn("finished delete not recorded; it will be tried again", "key", d.Key, "err", err)
			continue
		}
		done++
	}
	return done
}

// SweepOrphans deletes objects of outputs that no asset owns, for jobs finished before cutoff;
// it returns how many it removed.
func (c *Cleaner) SweepOrphans(ctx context.Context, cutoff time.Time) int {
	orphans, err := c.st.OrphanOutputs(ctx, cutoff, 100)
	if err != nil {
		c.log.Warn("orphan sweep failed", "err", err)
		return 0
	}
	n := 0
	for _, o := range orphans {
		backends := []string{o.Storage}
		if o.Storage == "" { // the upload may have been cut before its backend was recorded
			backends = []string{model.StorageLocal, model.StorageS3}
		}
		ok := true
		for _, b := range backends {
			if b == model.StorageS3 && !c.storage.S3Configured() {
				continue
			}
			if err := c.storage.Delete(ctx, b, o.StorageKey); err != nil {
				ok = false
			}
		}
		if !ok {
			continue
		}
		if err := c.st.ClearOutputKey(ctx, o.GenerationID, o.Index); err != nil {
			c.log.Warn("swept object not recorded; it will be swept again", "key", o.StorageKey, "err", err)
			continue
		}
		n++
	}
	return n
}

// ResyncLocal moves assets kept on this instance's local disk (after an S3 outage) to S3:
// upload, verify the size, update the row, then delete the local file — in that order, so a
// crash loses nothing. It returns how many moved.
func (c *Cleaner) ResyncLocal(ctx context.Context) int {
	assets, err := c.st.LocalAssets(ctx, c.o.Instance, 50)
	if err != nil {
		c.log.Warn("local files to re-sync not read", "err", err)
		return 0
	}
	moved := 0
	for _, a := range assets {
		err := c.storage.MoveToS3(ctx, a.StorageKey, a.ContentType, a.Bytes, func() error {
			return c.st.MoveAsset(ctx, a.ID, model.StorageS3)
		})
		if err != nil {
			c.log.Info("re-sync to S3 postponed", "asset_id", a.ID, "err", err)
			return moved // S3 is likely still down; try again later
		}
		moved++
	}
	if moved > 0 {
		c.log.Info("local files moved to S3", "count", moved)
	}
	return moved
}
