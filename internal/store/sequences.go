package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// EnsureSequence gives one of the user's assets a sequence id (SPEC §15.6) unless it has one,
// and returns the id it holds: two extends of the same fresh clip at once agree on the winner's.
func (s *Store) EnsureSequence(ctx context.Context, userID int64, assetID, fresh string) (string, error) {
	if _, err := s.w.ExecContext(ctx, `UPDATE assets SET sequence_id = $1 WHERE id = $2 AND user_id = $3 AND sequence_id = ''`,
		fresh, assetID, userID); err != nil {
		return "", fmt.Errorf("store: set sequence: %w", err)
	}
	var seq string
	err := s.w.QueryRowContext(ctx, `SELECT sequence_id FROM assets WHERE id = $1 AND user_id = $2`, assetID, userID).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: read sequence: %w", err)
	}
	return seq, nil
}

// SequenceOf is the sequence id of one of the user's assets ("" for none, or a purged asset).
func (s *Store) SequenceOf(ctx context.Context, userID int64, assetID string) (string, error) {
	var seq string
	err := s.r.QueryRowContext(ctx, `SELECT sequence_id FROM assets WHERE id = $1 AND user_id = $2`, assetID, userID).Scan(&seq)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: sequence of: %w", err)
	}
	return seq, nil
}
