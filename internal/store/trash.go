package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

// The trash (SPEC §13.1). A trashed asset keeps its row whole (favourite, collection
// memberships, shares, lineage): every read of the library leaves out rows whose trashed_at is
// set, so a restore only clears trashed_at and purge_at.

// TrashAssets moves those of ids that are the user's assets in the library to the trash at
// now, to be purged at purgeAt, and says how many moved. Assets already in the trash keep their
// times; other users' ids are never touched.
func (s *Store) TrashAssets(ctx context.Context, userID int64, ids []string, now, purgeAt time.Time) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	res, err := s.w.ExecContext(ctx, `UPDATE assets SET trashed_at = $1, purge_at = $2 WHERE user_id = $3 AND trashed_at IS NULL AND id IN (`+
		placeholders(4, len(ids))+`)`, append([]any{now.UnixMilli(), purgeAt.UnixMilli(), userID}, stringArgs(ids)...)...)
	if err != nil {
		return 0, fmt.Errorf("store: trash assets: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: trash assets: %w", err)
	}
	return n, nil
}

// RestoreAssets brings those of ids that are in the user's trash back to the library and says
// how many came back.
func (s *Store) RestoreAssets(ctx context.Context, userID int64, ids []string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	res, err := s.w.ExecContext(ctx, `UPDATE assets SET trashed_at = NULL, purge_at = NULL WHERE user_id = $1 AND trashed_at IS NOT NULL AND id IN (`+
		placeholders(2, len(ids))+`)`, append([]any{userID}, stringArgs(ids)...)...)
	if err != nil {
		return 0, fmt.Errorf("store: restore assets: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: restore assets: %w", err)
	}
	return n, nil
}

// Trash returns one page of the user's trash, newest trashed first (ties by id), and the
// cursor of the next page ("" at the end).
func (s *Store) Trash(ctx context.Context, userID int64, limit int, cursor string) ([]*model.Asset, string, error) {
	where := []string{"user_id = $1", "trashed_at IS NOT NULL"}
	args := []any{userID}
	if cursor != "" {
		ts, id, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		args = append(args, ts, id)
		where = append(where, fmt.Sprintf("(trashed_at, id) < ($%d, $%d)", len(args)-1, len(args)))
	}
	args = append(args, limit+1)
	rows, err := s.r.QueryContext(ctx, `SELECT `+assetCols+` FROM assets WHERE `+strings.Join(where, " AND ")+
		` ORDER BY trashed_at DESC, id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: trash: %w", err)
	}
	out, err := s.collectAssets(ctx, rows, "trash")
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[len(out)-1]
		next = encodeCursor(last.TrashedAt.UnixMilli(), last.ID)
	}
	return out, next, nil
}

// PurgeQuery selects trashed assets to purge: the user's (UserID 0: everyone's, for the
// retention sweep), of IDs (nil: all), whose purge time is at or before DueBy (zero: any),
// at most Limit (0: no bound).
type PurgeQuery struct {
	UserID int64
	IDs    []string
	DueBy  time.Time
	Limit  int
}

// PurgeTrash deletes trashed assets for good. In one transaction it queues every stored object
// of theirs in pending_deletes (due now) and removes the rows (their favourite, collection
// memberships and shares go with them through ON DELETE CASCADE), so a crash or a store outage
// right after only delays the object deletes: the caller deletes them at once and the delete
// retries finish whatever is left. It returns the objects and how many assets went.
func (s *Store) PurgeTrash(ctx context.Context, q PurgeQuery) ([]PendingDelete, int, error) {
	if q.IDs != nil && len(q.IDs) == 0 {
		return nil, 0, nil
	}
	where := []string{"trashed_at IS NOT NULL"}
	var args []any
	add := func(frag string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(frag, "$?", "$"+strconv.Itoa(len(args))))
	}
	if q.UserID != 0 {
		add("user_id = $?", q.UserID)
	}
	if !q.DueBy.IsZero() {
		add("purge_at <= $?", q.DueBy.UnixMilli())
	}
	if q.IDs != nil {
		where = append(where, "id IN ("+placeholders(len(args)+1, len(q.IDs))+")")
		args = append(args, stringArgs(q.IDs)...)
	}
	sel := `SELECT id, storage, storage_key FROM assets WHERE ` + strings.Join(where, " AND ") + ` ORDER BY purge_at, id`
	if q.Limit > 0 {
		sel += ` LIMIT ` + strconv.Itoa(q.Limit)
	}
	var objs []PendingDelete
	n := 0
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		objs, n = nil, 0
		rows, err := tx.QueryContext(ctx, sel+s.d.forUpdate, args...)
		if err != nil {
			return fmt.Errorf("store: purge trash: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			var o PendingDelete
			if err := rows.Scan(&id, &o.Storage, &o.Key); err != nil {
				rows.Close()
				return fmt.Errorf("store: purge trash: %w", err)
			}
			ids = append(ids, id)
			objs = append(objs, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: purge trash: %w", err)
		}
		now := s.nowMs()
		for _, o := range objs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO pending_deletes (storage, storage_key, next_at) VALUES ($1, $2, $3)
				ON CONFLICT (storage, storage_key) DO NOTHING`, o.Storage, o.Key, now); err != nil {
				return fmt.Errorf("store: purge trash: queue object: %w", err)
			}
		}
		for len(ids) > 0 {
			batch := ids[:min(len(ids), 500)]
			ids = ids[len(batch):]
			// trashed_at is checked again: a restore that committed in between wins.
			res, err := tx.ExecContext(ctx, `DELETE FROM assets WHERE trashed_at IS NOT NULL AND id IN (`+placeholders(1, len(batch))+`)`, stringArgs(batch)...)
			if err != nil {
				return fmt.Errorf("store: purge trash: %w", err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("store: purge trash: %w", err)
			}
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return objs, n, nil
}
