package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/falstudio/falstudio/internal/model"
)

// ExportSelection is what a ZIP export holds: either some of the user's assets by id, or one of
// their collections as it stood when the export began (assets added after AddedUntilMs are left
// out, so the two passes of an export read the same rows).
type ExportSelection struct {
	UserID       int64
	IDs          []string // ≤ the bulk maximum; others' ids simply match nothing
	Collection   string   // the caller checked it is the user's
	AddedUntilMs int64
	// NoFlagged leaves out outputs fal flagged (an owner under a hideFlagged policy).
	NoFlagged bool
}

// ExportCursor is the last row of the previous page (oldest first: (created_at, id) ascending).
type ExportCursor struct {
	CreatedMs int64
	ID        string
}

// exportCols are what an export writes: metadata.json's fields and the object to copy; never
// the owner's other columns. params_json is read only when asked for (the metadata pass).
func exportCols(withParams bool) string {
	params := `'{}'`
	if withParams {
		params = `params_json`
	}
	return `assets.id, generation_id, model, prompt, result_kind, storage_key, storage, content_type, bytes, width, height, ` +
		params + `, assets.created_at, favorite, parent_asset_id, c2pa`
}

// exportWhere is the selection as a FROM and WHERE with its arguments, and the ordering columns.
func (sel ExportSelection) exportWhere() (from, where string, args []any, created, id string) {
	flagged := ""
	if sel.NoFlagged {
		flagged = " AND NOT assets.flagged"
	}
	if sel.Collection != "" {
		return "collection_assets CROSS JOIN assets",
			"collection_id = $1 AND assets.id = asset_id AND user_id = $2 AND added_at <= $3 AND trashed_at IS NULL" + flagged,
			[]any{sel.Collection, sel.UserID, sel.AddedUntilMs}, "asset_created_at", "asset_id"
	}
	return "assets", "user_id = $1 AND trashed_at IS NULL AND id IN (" + placeholders(2, len(sel.IDs)) + ")" + flagged,
		append([]any{sel.UserID}, stringArgs(sel.IDs)...), "created_at", "id"
}

// CountExport says how many assets an export selects (up to limit).
func (s *Store) CountExport(ctx context.Context, sel ExportSelection, limit int) (int, error) {
	if sel.Collection == "" && len(sel.IDs) == 0 {
		return 0, nil
	}
	from, where, args, _, _ := sel.exportWhere()
	args = append(args, limit)
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+from+` WHERE `+where+` LIMIT $`+strconv.Itoa(len(args))+`) AS sel`,
		args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count export: %w", err)
	}
	return n, nil
}

// ExportPage returns the next page of an export's assets, oldest first, after the cursor (nil:
// from the start). An export reads its rows a page at a time, so its memory is a page's rows
// however many assets it holds and however large their prompts and params are.
func (s *Store) ExportPage(ctx context.Context, sel ExportSelection, after *ExportCursor, limit int, withParams bool) ([]*model.Asset, error) {
	if sel.Collection == "" && len(sel.IDs) == 0 {
		return nil, nil
	}
	from, where, args, created, id := sel.exportWhere()
	if after != nil {
		args = append(args, after.CreatedMs, after.ID)
		n := len(args)
		where += fmt.Sprintf(" AND (%s, %s) > ($%d, $%d)", created, id, n-1, n) // a row value: one index range
	}
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, `SELECT `+exportCols(withParams)+` FROM `+from+` WHERE `+where+
		` ORDER BY `+created+`, `+id+` LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("store: export page: %w", err)
	}
	defer rows.Close()
	out := make([]*model.Asset, 0, limit)
	for rows.Next() {
		var a model.Asset
		var params string
		var createdMs, fav, c2pa int64
		if err := rows.Scan(&a.ID, &a.GenerationID, &a.Model, &a.Prompt, &a.Kind, &a.StorageKey, &a.Storage, &a.ContentType,
			&a.Bytes, &a.Width, &a.Height, &params, &createdMs, &fav, &a.ParentID, &c2pa); err != nil {
			return nil, fmt.Errorf("store: export page: %w", err)
		}
		a.C2PA = c2pa != 0
		a.UserID, a.Params, a.CreatedAt, a.Favorite = sel.UserID, json.RawMessage(params), msToTime(createdMs), fav != 0
		out = append(out, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: export page: %w", err)
	}
	return out, nil
}

// publicCols are the columns a share link shows (SPEC §8), plus the object for its media
// route; never params, which a share never shows and which may be 64 KB a row.
const publicCols = `assets.id, model, prompt, result_kind, storage_key, storage, content_type, bytes, width, height, assets.created_at,
	parent_asset_id, c2pa, assets.flagged`

func scanPublicAsset(row interface{ Scan(...any) error }, userID int64) (*model.Asset, error) {
	var a model.Asset
	var created, c2pa int64
	err := row.Scan(&a.ID, &a.Model, &a.Prompt, &a.Kind, &a.StorageKey, &a.Storage, &a.ContentType, &a.Bytes, &a.Width, &a.Height, &created,
		&a.ParentID, &c2pa, &a.Flagged)
	a.C2PA = c2pa != 0
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.UserID, a.CreatedAt = userID, msToTime(created)
	return &a, nil
}

// SharedAsset returns an asset behind a live share, read with the public columns only: the
// shared asset itself, or (collection share) an asset of the shared collection. Anything else
// answers ErrNotFound.
func (s *Store) SharedAsset(ctx context.Context, sh *model.Share, assetID string) (*model.Asset, error) {
	var row *sql.Row
	switch sh.Kind {
	case model.ShareAsset:
		if assetID != sh.TargetID {
			return nil, ErrNotFound
		}
		row = s.r.QueryRowContext(ctx, `SELECT `+publicCols+` FROM assets WHERE id = $1 AND user_id = $2 AND trashed_at IS NULL`, assetID, sh.UserID)
	case model.ShareCollection:
		row = s.r.QueryRowContext(ctx, `SELECT `+publicCols+` FROM assets WHERE id = $1 AND user_id = $2 AND trashed_at IS NULL
			AND EXISTS (SELECT 1 FROM collection_assets ca WHERE ca.collection_id = $3 AND ca.asset_id = assets.id)`,
			assetID, sh.UserID, sh.TargetID)
	default:
		return nil, ErrNotFound
	}
	a, err := scanPublicAsset(row, sh.UserID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: shared asset: %w", err)
	}
	return a, err
}

// SharedCollectionPage returns one page of a shared collection, newest first like the gallery,
// keyset-paged on (created_at, id), with the public columns only; the next cursor is "" at the
// end. A cursor this store did not make answers ErrBadCursor.
func (s *Store) SharedCollectionPage(ctx context.Context, userID int64, collectionID, cursor string, limit int) ([]*model.Asset, string, error) {
	args := []any{collectionID, userID}
	where := `collection_id = $1 AND assets.id = asset_id AND user_id = $2 AND trashed_at IS NULL`
	if cursor != "" {
		ts, id, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		args = append(args, ts, id)
		where += ` AND (asset_created_at, asset_id) < ($3, $4)`
	}
	args = append(args, limit+1)
	rows, err := s.r.QueryContext(ctx, `SELECT `+publicCols+` FROM collection_assets CROSS JOIN assets WHERE `+where+
		` ORDER BY asset_created_at DESC, asset_id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, "", fmt.Errorf("store: shared collection: %w", err)
	}
	defer rows.Close()
	out := make([]*model.Asset, 0, limit+1)
	for rows.Next() {
		a, err := scanPublicAsset(rows, userID)
		if err != nil {
			return nil, "", fmt.Errorf("store: shared collection: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("store: shared collection: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[len(out)-1]
		next = encodeCursor(last.CreatedAt.UnixMilli(), last.ID)
	}
	return out, next, nil
}

// StampExport fixes a collection export to the assets it holds now, by the clock added_at is
// written with; both passes of the export then read the same rows.
func (s *Store) StampExport(sel *ExportSelection) { sel.AddedUntilMs = s.nowMs() }
