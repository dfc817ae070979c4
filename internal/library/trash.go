package library

import (
	"context"
	"errors"
	"time"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// The trash (SPEC §13.1): while the retention is above zero a delete moves an asset to the
// trash, from where it can be restored until it is purged (by hand, by emptying the trash, by
// the retention sweep, or with its account). Purging removes the row and queues its objects in
// the same transaction (store.PurgeTrash), then deletes them through the cleaner.

// Audit actions of the trash.
const (
	ActionTrashPurge = "trash.purge"
	ActionTrashEmpty = "trash.empty"
)

// sweepBatch bounds the assets one sweep transaction purges.
const sweepBatch = 200

// TrashOn reports whether deletes go to the trash.
func (s *Service) TrashOn() bool { return s.retention > 0 }

// Retention is how long an asset stays in the trash (0: the trash is off).
func (s *Service) Retention() time.Duration { return s.retention }

// DeleteAsset deletes one of the user's assets. With the trash on it moves to the trash and is
// returned with its times (an asset already there keeps them); with the trash off the row goes
// at once, then its object, and nil is returned.
func (s *Service) DeleteAsset(ctx context.Context, userID int64, id string) (*model.Asset, error) {
	if !s.TrashOn() {
		return nil, s.deleteNow(ctx, userID, id)
	}
	now := s.now()
	if _, err := s.st.TrashAssets(ctx, userID, []string{id}, now, now.Add(s.retention)); err != nil {
		return nil, err
	}
	a, err := s.st.Asset(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	s.log.Info("asset moved to the trash", "asset_id", a.ID, "user_id", userID)
	return a, nil
}

// deleteNow removes the row, then the object; a failed object delete is queued for a retry.
func (s *Service) deleteNow(ctx context.Context, userID int64, id string) error {
	a, err := s.st.DeleteAsset(ctx, userID, id)
	if err != nil {
		return err
	}
	if err := s.deleteObject(ctx, a); err != nil {
		return err
	}
	s.log.Info("asset deleted", "asset_id", a.ID, "user_id", userID)
	return nil
}

// BulkDelete deletes those of ids that are the user's assets in the library and says how many
// left it (deleted) and how many of them are now in the trash (trashed: 0 with the trash off).
// Another user's ids, missing ones and those already in the trash are counted out.
func (s *Service) BulkDelete(ctx context.Context, userID int64, ids []string) (deleted, trashed int, err error) {
	ids, err = cleanIDs(ids)
	if err != nil {
		return 0, 0, err
	}
	if s.TrashOn() {
		now := s.now()
		n, err := s.st.TrashAssets(ctx, userID, ids, now, now.Add(s.retention))
		if err != nil {
			return 0, 0, err
		}
		s.log.Info("assets moved to the trash", "user_id", userID, "count", n, "asked", len(ids))
		return int(n), int(n), nil
	}
	gone, err := s.st.DeleteAssets(ctx, userID, ids)
	if err != nil {
		return 0, 0, err
	}
	var errs []error
	for _, a := range gone {
		errs = append(errs, s.deleteObject(ctx, a))
	}
	s.log.Info("assets deleted", "user_id", userID, "count", len(gone), "asked", len(ids))
	return len(gone), 0, errors.Join(errs...)
}

// Trash returns a page of the user's trash, newest trashed first.
func (s *Service) Trash(ctx context.Context, userID int64, cursor string, limit int) (*AssetPage, error) {
	if limit <= 0 {
		limit = defaultPageSize
	}
	if limit > maxPageSize {
		return nil, model.Errf(model.CodeInvalidInput, "limit must be at most %d.", maxPageSize)
	}
	list, next, err := s.st.Trash(ctx, userID, limit, cursor)
	if errors.Is(err, store.ErrBadCursor) {
		return nil, model.Errf(model.CodeInvalidInput, "The cursor is not valid; start from the first page.")
	}
	if err != nil {
		return nil, err
	}
	return &AssetPage{Assets: list, NextCursor: next}, nil
}

// Restore brings those of ids that are in the user's trash back, exactly as they were.
func (s *Service) Restore(ctx context.Context, userID int64, ids []string) (int, error) {
	ids, err := cleanIDs(ids)
	if err != nil {
		return 0, err
	}
	n, err := s.st.RestoreAssets(ctx, userID, ids)
	if err != nil {
		return 0, err
	}
	s.log.Info("assets restored from the trash", "user_id", userID, "count", n)
	return int(n), nil
}

// Purge deletes for good those of ids that are in the user's trash (live assets are counted
// out) and records it in the audit log.
func (s *Service) Purge(ctx context.Context, userID int64, ids []string) (int, error) {
	ids, err := cleanIDs(ids)
	if err != nil {
		return 0, err
	}
	n, err := s.purge(ctx, store.PurgeQuery{UserID: userID, IDs: ids})
	if err != nil {
		return 0, err
	}
	s.recordTrash(ctx, userID, ActionTrashPurge, n)
	return n, nil
}

// EmptyTrash deletes everything in the user's trash for good.
func (s *Service) EmptyTrash(ctx context.Context, userID int64) (int, error) {
	n, err := s.purge(ctx, store.PurgeQuery{UserID: userID})
	if err != nil {
		return 0, err
	}
	s.recordTrash(ctx, userID, ActionTrashEmpty, n)
	return n, nil
}

// PurgeDue is the retention sweep: it purges every asset whose purge time has come (with the
// trash off, everything left in it), in batches, and says how many went. Objects whose delete
// fails stay queued for the cleaner's retries.
func (s *Service) PurgeDue(ctx context.Context) (int, error) {
	due := s.now()
	if !s.TrashOn() {
		due = time.Time{} // the trash is off: nothing may stay in it
	}
	total := 0
	for ctx.Err() == nil {
		n, err := s.purge(ctx, store.PurgeQuery{DueBy: due, Limit: sweepBatch})
		total += n
		if err != nil {
			return total, err
		}
		if n < sweepBatch {
			break
		}
	}
	if total > 0 {
		s.log.Info("trash purged after its retention", "count", total)
	}
	return total, nil
}

// SweepEvery is how often the retention sweep must run so that an asset is purged no later
// than a minute after its purge time, ten seconds when the retention is under a minute.
func (s *Service) SweepEvery() time.Duration {
	if s.retention > 0 && s.retention < time.Minute {
		return 5 * time.Second
	}
	return 30 * time.Second
}

func (s *Service) purge(ctx context.Context, q store.PurgeQuery) (int, error) {
	objs, n, err := s.st.PurgeTrash(ctx, q)
	if err != nil {
		return 0, err
	}
	// The rows are gone and their objects queued: delete them now; what fails stays queued.
	s.cleaner.RemoveQueued(context.WithoutCancel(ctx), objs, true)
	return n, nil
}

func (s *Service) recordTrash(ctx context.Context, userID int64, action string, n int) {
	if s.audit == nil {
		return
	}
	u, err := s.st.UserByID(ctx, userID)
	if err != nil {
		s.log.Warn("audit: trash actor not found", "user_id", userID, "err", err)
		return
	}
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: action, Target: audit.User(userID), Detail: map[string]any{"assets": n}})
}
