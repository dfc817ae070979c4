package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/falstudio/falstudio/internal/model"
)

const shareCols = `id, user_id, token_hash, kind, coalesce(asset_id, collection_id, ''), created_at, expires_at`

func scanShare(row interface{ Scan(...any) error }) (*model.Share, error) {
	var sh model.Share
	var created int64
	var expires sql.NullInt64
	err := row.Scan(&sh.ID, &sh.UserID, &sh.TokenHash, &sh.Kind, &sh.TargetID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	sh.CreatedAt, sh.ExpiresAt = msToTime(created), nullMsToTime(expires)
	return &sh, nil
}

// InsertShare stores a share link of one of the user's assets or collections; ErrNotFound when
// the target is not the user's.
func (s *Store) InsertShare(ctx context.Context, sh *model.Share) error {
	var expires sql.NullInt64
	if sh.ExpiresAt != nil {
		expires = sql.NullInt64{Int64: sh.ExpiresAt.UnixMilli(), Valid: true}
	}
	now := s.nowMs()
	var q string
	var asset, coll sql.NullString
	switch sh.Kind {
	case model.ShareAsset:
		q = `SELECT 1 FROM assets WHERE id = $1 AND user_id = $2 AND trashed_at IS NULL`
		asset = sql.NullString{String: sh.TargetID, Valid: true}
	case model.ShareCollection:
		q = `SELECT 1 FROM collections WHERE id = $1 AND user_id = $2`
		coll = sql.NullString{String: sh.TargetID, Valid: true}
	default:
		return fmt.Errorf("store: insert share: kind %q", sh.Kind)
	}
	return s.InTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, q, sh.TargetID, sh.UserID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("store: insert share: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO shares (id, user_id, token_hash, kind, asset_id, collection_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, sh.ID, sh.UserID, sh.TokenHash, sh.Kind, asset, coll, now, expires)
		if err != nil {
			return fmt.Errorf("store: insert share: %w", err)
		}
		sh.CreatedAt = msToTime(now)
		return nil
	})
}

// Shares lists the user's share links, newest first, expired ones included (the UI says so).
func (s *Store) Shares(ctx context.Context, userID int64) ([]*model.Share, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+shareCols+` FROM shares WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: shares: %w", err)
	}
	defer rows.Close()
	var out []*model.Share
	for rows.Next() {
		sh, err := scanShare(rows)
		if err != nil {
			return nil, fmt.Errorf("store: shares: %w", err)
		}
		out = append(out, sh)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: shares: %w", err)
	}
	return out, nil
}

// LiveShares lists a user's links that still serve by their expiry (an admin's view: what to
// take down), newest first; ErrNotFound when there is no such user.
func (s *Store) LiveShares(ctx context.Context, userID int64) ([]*model.Share, error) {
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = $1`, userID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("store: live shares: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+shareCols+` FROM shares WHERE user_id = $1 AND (expires_at IS NULL OR expires_at > $2)
		ORDER BY created_at DESC, id DESC`, userID, s.nowMs())
	if err != nil {
		return nil, fmt.Errorf("store: live shares: %w", err)
	}
	defer rows.Close()
	out := []*model.Share{}
	for rows.Next() {
		sh, err := scanShare(rows)
		if err != nil {
			return nil, fmt.Errorf("store: live shares: %w", err)
		}
		out = append(out, sh)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: live shares: %w", err)
	}
	return out, nil
}

// DeleteShareByID revokes any person's share link (an admin's take-down) and returns it;
// ErrNotFound when it is unknown or already revoked.
func (s *Store) DeleteShareByID(ctx context.Context, id string) (*model.Share, error) {
	sh, err := scanShare(s.w.QueryRowContext(ctx, `DELETE FROM shares WHERE id = $1 RETURNING `+shareCols, id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: delete share: %w", err)
	}
	return sh, err
}

// DeleteShare revokes a user's share link at once.
func (s *Store) DeleteShare(ctx context.Context, userID int64, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM shares WHERE id = $1 AND user_id = $2`, id, userID)
	return affectedOne(res, err, "delete share")
}

// ShareByToken finds a live share by its token's hash; an expired, revoked or unknown one answers
// ErrNotFound, and so does one whose owner is disabled: the link is suspended, not revoked, and
// serves again once the account is enabled. Nothing is cached, so a revoke or a disable holds
// from the very next request.
func (s *Store) ShareByToken(ctx context.Context, tokenHash []byte) (*model.Share, error) {
	sh, err := scanShare(s.r.QueryRowContext(ctx, `SELECT `+shareCols+` FROM shares WHERE token_hash = $1
		AND (expires_at IS NULL OR expires_at > $2)
		AND EXISTS (SELECT 1 FROM users u WHERE u.id = shares.user_id AND u.disabled_at IS NULL)`, tokenHash, s.nowMs()))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: share: %w", err)
	}
	return sh, err
}
