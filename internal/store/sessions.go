package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

// InsertSession stores a new session.
func (s *Store) InsertSession(ctx context.Context, ss *model.Session) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (id, user_id, secret_hash, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		ss.ID, ss.UserID, ss.SecretHash, ss.CreatedAt.UnixMilli(), ss.LastSeenAt.UnixMilli(), ss.ExpiresAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: insert session: %w", err)
	}
	return nil
}

// SessionByID returns a session.
func (s *Store) SessionByID(ctx context.Context, id string) (*model.Session, error) {
	var ss model.Session
	var created, seen, exp int64
	err := s.r.QueryRowContext(ctx, `SELECT id, user_id, secret_hash, created_at, last_seen_at, expires_at FROM sessions WHERE id = $1`, id).
		Scan(&ss.ID, &ss.UserID, &ss.SecretHash, &created, &seen, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: session: %w", err)
	}
	ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = msToTime(created), msToTime(seen), msToTime(exp)
	return &ss, nil
}

// TouchSession records activity and slides the expiry.
func (s *Store) TouchSession(ctx context.Context, id string, seen, expires time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3`, seen.UnixMilli(), expires.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions past their expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < $1`, s.nowMs())
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}
