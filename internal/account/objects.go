package account

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/store"
)

// This file removes a deleted account's stored objects. It needs only the store's delete queue
// and the media storage, so it can move as it is to wherever queued deletes are drained.

// inFlightDelay is how long the objects of jobs still saving wait before their delete is
// retried: the runner may still be uploading them (its asset insert then fails and it removes
// the object itself; this queue entry catches the rest).
const inFlightDelay = 10 * time.Minute

// deleteBudget bounds how long a delete request spends removing objects; whatever is left is
// finished by the pending-delete retries.
const deleteBudget = 30 * time.Second

// removeObjects deletes queued objects from storage a few at a time and (forget) clears the
// queue entries that worked; failures stay queued for the runner's retries. It returns how many
// are gone. A nil storage removes nothing.
func removeObjects(ctx context.Context, st *store.Store, storage *media.Storage, log *slog.Logger, objs []store.PendingDelete, forget bool) int {
	if storage == nil || len(objs) == 0 {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, deleteBudget)
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
			if err := storage.Delete(ctx, o.Storage, o.Key); err != nil {
				log.Warn("object delete failed; will retry", "storage", o.Storage, "err", err)
				return
			}
			if forget {
				if err := st.DonePendingDelete(ctx, o.Storage, o.Key); err != nil {
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
