package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/falstudio/falstudio/internal/model"
)

// The cover is the chosen asset, else the newest asset in the collection. Assets in the trash
// are out of the library: neither counted nor a cover (SPEC §13.1).
const collectionSelect = `SELECT c.id, c.user_id, c.name, c.created_at, c.updated_at,
	(SELECT count(*) FROM collection_assets n JOIN assets na ON na.id = n.asset_id WHERE n.collection_id = c.id AND na.trashed_at IS NULL),
	coalesce((SELECT ca.id FROM assets ca WHERE ca.id = c.cover_asset_id AND ca.trashed_at IS NULL),
		(SELECT f.asset_id FROM collection_assets f JOIN assets fa ON fa.id = f.asset_id WHERE f.collection_id = c.id AND fa.trashed_at IS NULL
		ORDER BY f.asset_created_at DESC, f.asset_id DESC LIMIT 1), '')
	FROM collections c`

func scanCollection(row interface{ Scan(...any) error }) (*model.Collection, error) {
	var c model.Collection
	var created, updated int64
	err := row.Scan(&c.ID, &c.UserID, &c.Name, &created, &updated, &c.Count, &c.CoverAssetID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = msToTime(created), msToTime(updated)
	return &c, nil
}

func nameKey(name string) string { return strings.ToLower(name) }

// InsertCollection creates a collection; ErrConflict when the user already has one of that name.
func (s *Store) InsertCollection(ctx context.Context, userID int64, id, name string) (*model.Collection, error) {
	now := s.nowMs()
	_, err := s.w.ExecContext(ctx, `INSERT INTO collections (id, user_id, name, name_key, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, userID, name, nameKey(name), now, now)
	if isUnique(err) {
		return nil, ErrConflict
	}
	if err != nil {
		return nil, fmt.Errorf("store: insert collection: %w", err)
	}
	return s.Collection(ctx, userID, id)
}

// Collection returns one of the user's collections; another user's answers ErrNotFound.
func (s *Store) Collection(ctx context.Context, userID int64, id string) (*model.Collection, error) {
	c, err := scanCollection(s.r.QueryRowContext(ctx, collectionSelect+` WHERE c.id = $1 AND c.user_id = $2`, id, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: collection: %w", err)
	}
	return c, err
}

// Collections lists the user's collections by name.
func (s *Store) Collections(ctx context.Context, userID int64) ([]*model.Collection, error) {
	rows, err := s.r.QueryContext(ctx, collectionSelect+` WHERE c.user_id = $1 ORDER BY c.name_key, c.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: collections: %w", err)
	}
	defer rows.Close()
	var out []*model.Collection
	for rows.Next() {
		c, err := scanCollection(rows)
		if err != nil {
			return nil, fmt.Errorf("store: collections: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: collections: %w", err)
	}
	return out, nil
}

// CountCollections counts the user's collections (a per-user cap).
func (s *Store) CountCollections(ctx context.Context, userID int64) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM collections WHERE user_id = $1`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count collections: %w", err)
	}
	return n, nil
}

// RenameCollection renames a collection; ErrConflict when the name is taken.
func (s *Store) RenameCollection(ctx context.Context, userID int64, id, name string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE collections SET name = $1, name_key = $2, updated_at = $3 WHERE id = $4 AND user_id = $5`,
		name, nameKey(name), s.nowMs(), id, userID)
	if isUnique(err) {
		return ErrConflict
	}
	return affectedOne(res, err, "rename collection")
}

// SetCollectionCover chooses the cover; assetID must be in the collection ("" resets to newest).
func (s *Store) SetCollectionCover(ctx context.Context, userID int64, id, assetID string) error {
	var res sql.Result
	var err error
	if assetID == "" {
		res, err = s.w.ExecContext(ctx, `UPDATE collections SET cover_asset_id = NULL, updated_at = $1 WHERE id = $2 AND user_id = $3`,
			s.nowMs(), id, userID)
	} else {
		res, err = s.w.ExecContext(ctx, `UPDATE collections SET cover_asset_id = $1, updated_at = $2 WHERE id = $3 AND user_id = $4
			AND EXISTS (SELECT 1 FROM collection_assets ca JOIN assets a ON a.id = ca.asset_id WHERE ca.collection_id = $5 AND ca.asset_id = $6
				AND a.trashed_at IS NULL)`,
			assetID, s.nowMs(), id, userID, id, assetID)
	}
	return affectedOne(res, err, "collection cover")
}

// DeleteCollection removes a collection (its assets stay).
func (s *Store) DeleteCollection(ctx context.Context, userID int64, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM collections WHERE id = $1 AND user_id = $2`, id, userID)
	return affectedOne(res, err, "delete collection")
}

func affectedOne(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// AddToCollection adds those of assetIDs that are the user's assets (others are ignored) and
// returns how many were added; ErrNotFound when the collection is not the user's.
func (s *Store) AddToCollection(ctx context.Context, userID int64, id string, assetIDs []string) (int64, error) {
	var added int64
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		now := s.nowMs()
		res, err := tx.ExecContext(ctx, `UPDATE collections SET updated_at = $1 WHERE id = $2 AND user_id = $3`, now, id, userID)
		if err := affectedOne(res, err, "add to collection"); err != nil {
			return err
		}
		if len(assetIDs) == 0 {
			return nil
		}
		res, err = tx.ExecContext(ctx, `INSERT INTO collection_assets (collection_id, asset_id, asset_created_at, added_at)
			SELECT $1, id, created_at, $2 FROM assets WHERE user_id = $3 AND trashed_at IS NULL AND id IN (`+placeholders(4, len(assetIDs))+`)
			ON CONFLICT (collection_id, asset_id) DO NOTHING`, append([]any{id, now, userID}, stringArgs(assetIDs)...)...)
		if err != nil {
			return fmt.Errorf("store: add to collection: %w", err)
		}
		added, err = res.RowsAffected()
		return err
	})
	return added, err
}

// RemoveFromCollection removes assets from a user's collection; ErrNotFound when it is not theirs.
func (s *Store) RemoveFromCollection(ctx context.Context, userID int64, id string, assetIDs []string) (int64, error) {
	var removed int64
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE collections SET updated_at = $1 WHERE id = $2 AND user_id = $3`, s.nowMs(), id, userID)
		if err := affectedOne(res, err, "remove from collection"); err != nil {
			return err
		}
		if len(assetIDs) == 0 {
			return nil
		}
		res, err = tx.ExecContext(ctx, `DELETE FROM collection_assets WHERE collection_id = $1 AND asset_id IN (`+placeholders(2, len(assetIDs))+`)`,
			append([]any{id}, stringArgs(assetIDs)...)...)
		if err != nil {
			return fmt.Errorf("store: remove from collection: %w", err)
		}
		removed, err = res.RowsAffected()
		if err != nil {
			return err
		}
		// A removed cover falls back to the newest asset.
		_, err = tx.ExecContext(ctx, `UPDATE collections SET cover_asset_id = NULL WHERE id = $1 AND cover_asset_id IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM collection_assets ca WHERE ca.collection_id = $2 AND ca.asset_id = collections.cover_asset_id)`, id, id)
		return err
	})
	return removed, err
}
