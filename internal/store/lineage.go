package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/falstudio/falstudio/internal/model"
)

// Lineage limits (SPEC §13.2).
const (
	MaxAncestors = 50
	MaxChildren  = 100
)

// fillParents sets ParentMissing on those of the user's assets that have a parent: the parent
// is not in the library (trashed, purged, or never the user's).
func (s *Store) fillParents(ctx context.Context, userID int64, assets ...*model.Asset) error {
	var ids []string
	seen := map[string]bool{}
	for _, a := range assets {
		a.ParentMissing = false
		if a.ParentID != "" && !seen[a.ParentID] {
			seen[a.ParentID] = true
			ids = append(ids, a.ParentID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM assets WHERE user_id = $1 AND trashed_at IS NULL AND id IN (`+
		placeholders(2, len(ids))+`)`, append([]any{userID}, stringArgs(ids)...)...)
	if err != nil {
		return fmt.Errorf("store: asset parents: %w", err)
	}
	defer rows.Close()
	live := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("store: asset parents: %w", err)
		}
		live[id] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: asset parents: %w", err)
	}
	for _, a := range assets {
		a.ParentMissing = a.ParentID != "" && !live[a.ParentID]
	}
	return nil
}

// Lineage returns an asset's ancestors (its parent, that one's parent and so on, nearest first,
// at most MaxAncestors, stopping before the first one not in the library) and its children in
// the library (newest first, at most MaxChildren). Only the user's own assets are read; the
// asset itself may be in the trash, another user's or a missing one is ErrNotFound.
func (s *Store) Lineage(ctx context.Context, userID int64, id string) (ancestors, children []*model.Asset, err error) {
	a, err := scanAsset(s.r.QueryRowContext(ctx, `SELECT `+assetCols+` FROM assets WHERE id = $1 AND user_id = $2`, id, userID))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("store: lineage: %w", err)
	}
	// Parents are always older than their children, so the walk cannot loop; the bound holds
	// it anyway. Each step is one primary-key lookup.
	seen := map[string]bool{a.ID: true}
	for next := a.ParentID; next != "" && !seen[next] && len(ancestors) < MaxAncestors; {
		p, err := scanAsset(s.r.QueryRowContext(ctx, `SELECT `+assetCols+` FROM assets WHERE id = $1 AND user_id = $2 AND trashed_at IS NULL`, next, userID))
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("store: lineage: %w", err)
		}
		seen[next] = true
		ancestors = append(ancestors, p)
		next = p.ParentID
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+assetCols+` FROM assets WHERE user_id = $1 AND parent_asset_id = $2 AND trashed_at IS NULL
		ORDER BY created_at DESC, id DESC LIMIT $3`, userID, id, MaxChildren)
	if err != nil {
		return nil, nil, fmt.Errorf("store: lineage children: %w", err)
	}
	children, err = s.collectAssets(ctx, rows, "lineage children")
	if err != nil {
		return nil, nil, err
	}
	if err := s.fillCollections(ctx, ancestors...); err != nil {
		return nil, nil, err
	}
	if err := s.fillParents(ctx, userID, ancestors...); err != nil {
		return nil, nil, err
	}
	return ancestors, children, nil
}

// LiveAssets returns those of ids that are the user's assets in the library (not in the trash),
// keyed by id; others are left out.
func (s *Store) LiveAssets(ctx context.Context, userID int64, ids []string) (map[string]*model.Asset, error) {
	out := map[string]*model.Asset{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+assetCols+` FROM assets WHERE user_id = $1 AND trashed_at IS NULL AND id IN (`+
		placeholders(2, len(ids))+`)`, append([]any{userID}, stringArgs(ids)...)...)
	if err != nil {
		return nil, fmt.Errorf("store: live assets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, fmt.Errorf("store: live assets: %w", err)
		}
		out[a.ID] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: live assets: %w", err)
	}
	return out, nil
}
