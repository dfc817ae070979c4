package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/falstudio/falstudio/internal/model"
)

const userCols = `id, email, password_hash, fal_key, created_at`

func scanUser(row interface{ Scan(...any) error }) (*model.User, error) {
	var u model.User
	var created int64
	if err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.FalKey, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	u.CreatedAt = msToTime(created)
	return &u, nil
}

// InsertUser creates a user; ErrConflict when the email is taken.
func (s *Store) InsertUser(ctx context.Context, email, passwordHash string) (*model.User, error) {
	now := s.nowMs()
	row := s.w.QueryRowContext(ctx, `INSERT INTO users (email, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING `+userCols, email, passwordHash, now)
	u, err := scanUser(row)
	if isUnique(err) {
		return nil, ErrConflict
	}
	if err != nil {
		return nil, fmt.Errorf("store: insert user: %w", err)
	}
	return u, nil
}

// UserByID returns a user.
func (s *Store) UserByID(ctx context.Context, id int64) (*model.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: user by id: %w", err)
	}
	return u, err
}

// UserByEmail returns a user by normalised email.
func (s *Store) UserByEmail(ctx context.Context, email string) (*model.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = $1`, email))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: user by email: %w", err)
	}
	return u, err
}

// UpdatePassword sets a new hash and ends every session of the user except keepSessionID.
func (s *Store) UpdatePassword(ctx context.Context, userID int64, hash, keepSessionID string) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3`, hash, s.nowMs(), userID)
		if err != nil {
			return fmt.Errorf("store: update password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, keepSessionID); err != nil {
			return fmt.Errorf("store: end sessions: %w", err)
		}
		return nil
	})
}

// SetFalKey stores a sealed fal key ("" removes it).
func (s *Store) SetFalKey(ctx context.Context, userID int64, sealed string) error {
	now := s.nowMs()
	var upd any = now
	if sealed == "" {
		upd = nil
	}
	res, err := s.w.ExecContext(ctx, `UPDATE users SET fal_key = $1, fal_key_updated_at = $2, updated_at = $3 WHERE id = $4`, sealed, upd, now, userID)
	if err != nil {
		return fmt.Errorf("store: set fal key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// SealedFalKeys lists every stored sealed key (for start-up checks and key rotation).
func (s *Store) SealedFalKeys(ctx context.Context) (map[int64]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, fal_key FROM users WHERE fal_key <> ''`)
	if err != nil {
		return nil, fmt.Errorf("store: sealed keys: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var k string
		if err := rows.Scan(&id, &k); err != nil {
			return nil, fmt.Errorf("store: sealed keys: %w", err)
		}
		out[id] = k
	}
	return out, rows.Err()
}
