package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

const userCols = `id, email, password_hash, fal_key, created_at, role, disabled_at, policy_id`

func scanUser(row interface{ Scan(...any) error }) (*model.User, error) {
	var u model.User
	var created int64
	var disabled sql.NullInt64
	var policy sql.NullString
	if err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.FalKey, &created, &u.Role, &disabled, &policy); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	u.CreatedAt = msToTime(created)
	u.DisabledAt = nullMsToTime(disabled)
	u.PolicyID = policy.String
	return &u, nil
}

// InsertUser creates a user without an invite; ErrConflict when the email is taken.
func (s *Store) InsertUser(ctx context.Context, email, passwordHash string) (*model.User, error) {
	return s.CreateUser(ctx, NewUser{Email: email, PasswordHash: passwordHash})
}

// ErrInviteUnusable is returned by CreateUser when the invite is used, revoked, expired, unknown
// or bound to another email by the time the account is written.
var ErrInviteUnusable = errors.New("store: invite unusable")

// ErrNotFirst is returned by CreateUser with FirstOnly when the studio already has its admin.
var ErrNotFirst = errors.New("store: not the first account")

// NewUser is an account to create.
type NewUser struct {
	Email, PasswordHash string
	InviteHash          []byte    // consumed with the account when set
	FirstOnly           bool      // only the first account of the instance may be created
	identity            *Identity // linked with the account (CreateSSOUser)
}

// CreateUser creates an account in one transaction. The first account on an empty instance
// claims the admin role (a meta row only one transaction can insert, so two sign-ups racing on
// an empty instance never both become admin). An invite, when given, is consumed in the same
// transaction: an invite can never admit two accounts.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (*model.User, error) {
	email, passwordHash, inviteHash := nu.Email, nu.PasswordHash, nu.InviteHash
	var u *model.User
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		now := s.nowMs()
		res, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('first_admin_claimed', '1') ON CONFLICT (key) DO NOTHING`)
		if err != nil {
			return fmt.Errorf("store: claim first admin: %w", err)
		}
		role := model.RoleMember
		if n, _ := res.RowsAffected(); n == 1 {
			role = model.RoleAdmin
		} else if nu.FirstOnly {
			return ErrNotFirst
		}
		id := newUserIDChoice(s.d.name)
		u, err = scanUser(tx.QueryRowContext(ctx, `INSERT INTO users (`+id.col+`email, password_hash, role, created_at, updated_at, last_seen_at)
			VALUES (`+id.val+`$1, $2, $3, $4, $4, $4) RETURNING `+userCols, email, passwordHash, role, now))
		if isUnique(err) {
			return ErrConflict
		}
		if err != nil {
			return fmt.Errorf("store: insert user: %w", err)
		}
		if nu.identity != nil {
			if err := linkIdentity(ctx, tx, u.ID, nu.identity.Issuer, nu.identity.Subject, now); err != nil {
				return err
			}
		}
		if inviteHash == nil {
			return nil
		}
		res, err = tx.ExecContext(ctx, `UPDATE invites SET used_at = $1, used_by = $2, used_email = $3
			WHERE token_hash = $4 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1 AND (email = '' OR email = $3)`,
			now, u.ID, email, inviteHash)
		if err != nil {
			return fmt.Errorf("store: use invite: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrInviteUnusable
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// userIDChoice is how CreateUser picks a new account's id: on PostgreSQL the identity column
// (it never reuses a value); on SQLite, which would give a deleted newest account's id again,
// above the highest id ever given (meta 'users_id_high', kept by a trigger) and every current
// one. SQLite has one writer, so two sign-ups never pick the same.
type userIDChoice struct{ col, val string }

func newUserIDChoice(dialect string) userIDChoice {
	if dialect != "sqlite" {
		return userIDChoice{}
	}
	return userIDChoice{col: "id, ", val: `(SELECT max(coalesce((SELECT max(id) FROM users), 0),
		coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'users_id_high'), 0)) + 1), `}
}

// HasUsers reports whether any account exists.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM users LIMIT 1) AS one`).Scan(&n); err != nil {
		return false, fmt.Errorf("store: has users: %w", err)
	}
	return n > 0, nil
}

// TouchUser records that the user was seen (a login, or a session in use).
func (s *Store) TouchUser(ctx context.Context, userID int64, seen time.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE users SET last_seen_at = $1 WHERE id = $2`, seen.UnixMilli(), userID); err != nil {
		return fmt.Errorf("store: touch user: %w", err)
	}
	return nil
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

// UpdatePassword sets a new hash, ends every session of the user except keepSessionID and voids
// the user's outstanding reset links (one issued before the change must not undo it).
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
		if _, err := tx.ExecContext(ctx, `DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL`, userID); err != nil {
			return fmt.Errorf("store: void reset links: %w", err)
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
