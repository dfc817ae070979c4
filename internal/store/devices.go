package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AddLoginDevice records a browser that signed in to userID (the SHA-256 of its device token)
// and forgets that account's devices beyond the keep most recently used, and those unused since
// before staleBefore, so the rows stay bounded.
func (s *Store) AddLoginDevice(ctx context.Context, userID int64, tokenHash []byte, keep int, staleBefore time.Time) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		now := s.nowMs()
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_devices (token_hash, user_id, created_at, last_used_at) VALUES ($1, $2, $3, $3)`,
			tokenHash, userID, now); err != nil {
			return fmt.Errorf("store: add login device: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_devices WHERE user_id = $1 AND (last_used_at < $2 OR token_hash NOT IN (
			SELECT token_hash FROM login_devices WHERE user_id = $1 ORDER BY last_used_at DESC, token_hash LIMIT $3))`,
			userID, staleBefore.UnixMilli(), keep); err != nil {
			return fmt.Errorf("store: trim login devices: %w", err)
		}
		return nil
	})
}

// LoginDeviceOf reports whether tokenHash is a device of the account with this (normalised)
// email, used since usedSince.
func (s *Store) LoginDeviceOf(ctx context.Context, tokenHash []byte, email string, usedSince time.Time) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM login_devices d JOIN users u ON u.id = d.user_id
		WHERE d.token_hash = $1 AND u.email = $2 AND d.last_used_at >= $3`, tokenHash, email, usedSince.UnixMilli()).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: login device: %w", err)
	}
	return true, nil
}

// TouchLoginDevice marks a device as used now (a successful login from it).
func (s *Store) TouchLoginDevice(ctx context.Context, tokenHash []byte) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE login_devices SET last_used_at = $1 WHERE token_hash = $2`, s.nowMs(), tokenHash); err != nil {
		return fmt.Errorf("store: touch login device: %w", err)
	}
	return nil
}
