package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/falstudio/falstudio/internal/model"
	"time"
)

// Invite is one invitation to sign up. Only the SHA-256 of its token is stored. The type lives
// in model so the HTTP layer can render it without importing the store.
type Invite = model.Invite

const inviteCols = `id, email, coalesce(created_by, 0), created_at, expires_at, used_at, coalesce(used_by, 0), used_email, revoked_at`

func scanInvite(row interface{ Scan(...any) error }) (*Invite, error) {
	var in Invite
	var created, expires int64
	var used, revoked sql.NullInt64
	err := row.Scan(&in.ID, &in.Email, &in.CreatedBy, &created, &expires, &used, &in.UsedBy, &in.UsedEmail, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	in.CreatedAt, in.ExpiresAt = msToTime(created), msToTime(expires)
	in.UsedAt, in.RevokedAt = nullMsToTime(used), nullMsToTime(revoked)
	return &in, nil
}

// InsertInvite stores a new invite under the hash of its token.
func (s *Store) InsertInvite(ctx context.Context, tokenHash []byte, email string, createdBy int64, expires time.Time) (*Invite, error) {
	in, err := scanInvite(s.w.QueryRowContext(ctx, `INSERT INTO invites (token_hash, email, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+inviteCols, tokenHash, email, createdBy, s.nowMs(), expires.UnixMilli()))
	if err != nil {
		return nil, fmt.Errorf("store: insert invite: %w", err)
	}
	return in, nil
}

// InviteByTokenHash finds an invite by the hash of its token (whatever its state).
func (s *Store) InviteByTokenHash(ctx context.Context, tokenHash []byte) (*Invite, error) {
	in, err := scanInvite(s.r.QueryRowContext(ctx, `SELECT `+inviteCols+` FROM invites WHERE token_hash = $1`, tokenHash))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: invite: %w", err)
	}
	return in, err
}

// InviteByID returns one invite.
func (s *Store) InviteByID(ctx context.Context, id int64) (*Invite, error) {
	in, err := scanInvite(s.r.QueryRowContext(ctx, `SELECT `+inviteCols+` FROM invites WHERE id = $1`, id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: invite: %w", err)
	}
	return in, err
}

// Invites lists the newest invites first (at most limit).
func (s *Store) Invites(ctx context.Context, limit int) ([]*Invite, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+inviteCols+` FROM invites ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: invites: %w", err)
	}
	defer rows.Close()
	var out []*Invite
	for rows.Next() {
		in, err := scanInvite(rows)
		if err != nil {
			return nil, fmt.Errorf("store: invites: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// RevokeInvite revokes an unused invite. A revoked one stays revoked (no error); a used one
// answers ErrConflict; an unknown one ErrNotFound. It reports whether this call revoked it.
func (s *Store) RevokeInvite(ctx context.Context, id int64) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE invites SET revoked_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL`, s.nowMs(), id)
	if err != nil {
		return false, fmt.Errorf("store: revoke invite: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	in, err := s.InviteByID(ctx, id)
	if err != nil {
		return false, err
	}
	if in.UsedAt != nil {
		return false, ErrConflict
	}
	return false, nil
}
