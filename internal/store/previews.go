package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/falstudio/falstudio/internal/model"
)

// SetThumb records an asset's preview: its size when stored, or -1 when none can be made. The
// assets trigger bumps the owner's asset version, so the gallery's ETag changes with it.
func (s *Store) SetThumb(ctx context.Context, assetID string, bytes int64) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE assets SET thumb_bytes = $1 WHERE id = $2`, bytes, assetID); err != nil {
		return fmt.Errorf("store: set thumb: %w", err)
	}
	return nil
}

// SetThumbIf records a stored preview only while the asset is still in the given backend; it
// reports false when the asset moved (a re-sync) or is gone.
func (s *Store) SetThumbIf(ctx context.Context, assetID, storage string, bytes int64) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE assets SET thumb_bytes = $1 WHERE id = $2 AND storage = $3`, bytes, assetID, storage)
	if err != nil {
		return false, fmt.Errorf("store: set thumb: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: set thumb: %w", err)
	}
	return n > 0, nil
}

// ThumbCursor is where the thumbnail backfill stopped: the (created_at, id) of the last asset it
// handled. The zero value starts from the oldest asset.
type ThumbCursor struct {
	CreatedMs int64
	ID        string
}

// String encodes the cursor for the meta table.
func (c ThumbCursor) String() string { return strconv.FormatInt(c.CreatedMs, 10) + "|" + c.ID }

// ParseThumbCursor decodes ThumbCursor.String; anything else is the zero cursor (start over).
func ParseThumbCursor(v string) ThumbCursor {
	ts, id, ok := strings.Cut(v, "|")
	n, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil {
		return ThumbCursor{}
	}
	return ThumbCursor{CreatedMs: n, ID: id}
}

// ThumbsToDo lists assets of the given kinds still waiting for a preview, oldest first, after
// the cursor. The partial index assets_thumb_todo holds exactly these rows.
func (s *Store) ThumbsToDo(ctx context.Context, kinds []string, after ThumbCursor, limit int) ([]*model.Asset, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	args := []any{after.CreatedMs, after.ID}
	ph := make([]string, len(kinds))
	for i, k := range kinds {
		args = append(args, k)
		ph[i] = "$" + strconv.Itoa(len(args))
	}
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, `SELECT `+assetCols+` FROM assets
		WHERE thumb_bytes = 0 AND (created_at > $1 OR (created_at = $1 AND id > $2)) AND result_kind IN (`+strings.Join(ph, ", ")+`)
		ORDER BY created_at, id LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("store: thumbs to do: %w", err)
	}
	defer rows.Close()
	var out []*model.Asset
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, fmt.Errorf("store: thumbs to do: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: thumbs to do: %w", err)
	}
	return out, nil
}

// AssetVersion is the user's asset version: it changes whenever any of the user's assets is
// inserted, changed or deleted (0 before the first asset). The gallery's ETag is built on it.
func (s *Store) AssetVersion(ctx context.Context, userID int64) (int64, error) {
	var v int64
	err := s.queryRow(ctx, `SELECT version FROM asset_versions WHERE user_id = $1`, userID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: asset version: %w", err)
	}
	return v, nil
}
