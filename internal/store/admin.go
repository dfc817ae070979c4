package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

// UserUsage is one account as the admin page lists it: the user and what it stores.
type UserUsage struct {
	User        *model.User
	LastSeenAt  *time.Time
	Generations int64
	Assets      int64
	Bytes       int64
	SSOLinked   bool // the account has a single sign-on identity
}

// usageSelect counts with correlated subqueries over the user_id indexes: for each account an
// index range of its own rows only (assets_user_bytes covers the count and the bytes), measured
// faster than one grouped pass over every table (docs/benchmarks.md).
const usageSelect = `SELECT u.id, u.email, u.password_hash, u.fal_key, u.created_at, u.role, u.disabled_at, u.policy_id, u.last_seen_at,
	(SELECT count(*) FROM user_identities i WHERE i.user_id = u.id),
	(SELECT count(*) FROM generations g WHERE g.user_id = u.id),
	(SELECT count(*) FROM assets a WHERE a.user_id = u.id),
	(SELECT CAST(coalesce(sum(a.bytes), 0) AS BIGINT) FROM assets a WHERE a.user_id = u.id)
	FROM users u`

func scanUsage(row interface{ Scan(...any) error }) (*UserUsage, error) {
	var u model.User
	var uu UserUsage
	var created int64
	var disabled, seen sql.NullInt64
	var policy sql.NullString
	var linked int64
	err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.FalKey, &created, &u.Role, &disabled, &policy, &seen, &linked, &uu.Generations, &uu.Assets, &uu.Bytes)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	u.CreatedAt, u.DisabledAt, u.PolicyID = msToTime(created), nullMsToTime(disabled), policy.String
	uu.SSOLinked = linked > 0
	uu.User, uu.LastSeenAt = &u, nullMsToTime(seen)
	return &uu, nil
}

// UsersWithUsage lists every account, oldest first, with its usage.
func (s *Store) UsersWithUsage(ctx context.Context) ([]*UserUsage, error) {
	rows, err := s.r.QueryContext(ctx, usageSelect+` ORDER BY u.id`)
	if err != nil {
		return nil, fmt.Errorf("store: users with usage: %w", err)
	}
	defer rows.Close()
	var out []*UserUsage
	for rows.Next() {
		uu, err := scanUsage(rows)
		if err != nil {
			return nil, fmt.Errorf("store: users with usage: %w", err)
		}
		out = append(out, uu)
	}
	return out, rows.Err()
}

// UserWithUsage returns one account with its usage.
func (s *Store) UserWithUsage(ctx context.Context, id int64) (*UserUsage, error) {
	uu, err := scanUsage(s.r.QueryRowContext(ctx, usageSelect+` WHERE u.id = $1`, id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: user with usage: %w", err)
	}
	return uu, err
}

// Users lists every account, oldest first (the command line).
func (s *Store) Users(ctx context.Context) ([]*model.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	var out []*model.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// ErrLastAdmin refuses a change that would leave the studio without an enabled admin.
var ErrLastAdmin = errors.New("store: last admin")

// guardLastAdmin refuses (ErrLastAdmin) when userID is an enabled admin and no other enabled
// admin exists. It first writes every admin row: on PostgreSQL that row lock makes two admins
// demoting each other at once take turns (the second then sees the first's change); SQLite
// has one writer, so the transaction is already serialised.
func guardLastAdmin(ctx context.Context, tx *sql.Tx, userID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET role = role WHERE role = 'admin'`); err != nil {
		return fmt.Errorf("store: lock admins: %w", err)
	}
	var target, others int64
	err := tx.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM users WHERE id = $1 AND role = 'admin' AND disabled_at IS NULL),
		(SELECT count(*) FROM users WHERE id <> $1 AND role = 'admin' AND disabled_at IS NULL)`, userID).Scan(&target, &others)
	if err != nil {
		return fmt.Errorf("store: count admins: %w", err)
	}
	if target == 1 && others == 0 {
		return ErrLastAdmin
	}
	return nil
}

// CheckDeletable answers ErrLastAdmin when deleting the account would leave no enabled admin
// (a read-only preview; DeleteUser checks again in its own transaction).
func (s *Store) CheckDeletable(ctx context.Context, userID int64) error {
	var target, others int64
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM users WHERE id = $1 AND role = 'admin' AND disabled_at IS NULL),
		(SELECT count(*) FROM users WHERE id <> $1 AND role = 'admin' AND disabled_at IS NULL)`, userID).Scan(&target, &others)
	if err != nil {
		return fmt.Errorf("store: check deletable: %w", err)
	}
	if target == 1 && others == 0 {
		return ErrLastAdmin
	}
	return nil
}

// SetRole changes a user's role; the last enabled admin cannot be demoted (ErrLastAdmin).
// It returns the role the user had before.
func (s *Store) SetRole(ctx context.Context, userID int64, role string) (string, error) {
	var before string
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = $1`, userID).Scan(&before); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return fmt.Errorf("store: set role: %w", err)
		}
		if before == role {
			return nil
		}
		if role != model.RoleAdmin {
			if err := guardLastAdmin(ctx, tx, userID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $1, updated_at = $2 WHERE id = $3`, role, s.nowMs(), userID); err != nil {
			return fmt.Errorf("store: set role: %w", err)
		}
		return nil
	})
	return before, err
}

// SetDisabled disables (ending every session in the same transaction) or enables an account.
// The last enabled admin cannot be disabled (ErrLastAdmin). changed is false when the account
// already was in that state.
func (s *Store) SetDisabled(ctx context.Context, userID int64, disabled bool) (changed bool, err error) {
	err = s.InTx(ctx, func(tx *sql.Tx) error {
		var was sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT disabled_at FROM users WHERE id = $1`, userID).Scan(&was); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return fmt.Errorf("store: set disabled: %w", err)
		}
		now := s.nowMs()
		if !disabled {
			changed = was.Valid
			_, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = NULL, updated_at = $1 WHERE id = $2`, now, userID)
			return err
		}
		if err := guardLastAdmin(ctx, tx, userID); err != nil {
			return err
		}
		changed = !was.Valid
		if changed {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = $1, updated_at = $1 WHERE id = $2`, now, userID); err != nil {
				return fmt.Errorf("store: disable: %w", err)
			}
		}
		// Sessions end even when it was already disabled: a session that slipped in is cut too.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("store: end sessions: %w", err)
		}
		return nil
	})
	return changed, err
}

// DeleteUser removes an account and, through ON DELETE CASCADE, its sessions, generations,
// outputs, assets and reset links. Every stored object the account owned is queued in
// pending_deletes in the same transaction, so none outlives its row even if the studio stops
// right after; the caller then deletes them at once and clears the queue entries that worked.
// Objects of jobs still saving are queued for later (inFlightAt): their upload may still land.
// s3 says whether S3 is configured (an output whose backend was never recorded may be in
// either). It returns the objects to delete now and those queued for later (their queue entries
// must stay). The last enabled admin cannot be deleted (ErrLastAdmin).
func (s *Store) DeleteUser(ctx context.Context, userID int64, s3 bool, inFlightAt time.Time) (now, later []PendingDelete, err error) {
	// The delete locks the account and then every admin row (guardLastAdmin); a job of the
	// account finishing at that moment can make PostgreSQL abort it as a deadlock. The
	// transaction was rolled back whole, so it runs again (a few times at most).
	for attempt := 1; ; attempt++ {
		now, later, err = s.deleteUser(ctx, userID, s3, inFlightAt)
		if attempt == 3 || !isDeadlock(err) {
			return now, later, err
		}
	}
}

func (s *Store) deleteUser(ctx context.Context, userID int64, s3 bool, inFlightAt time.Time) (now, later []PendingDelete, err error) {
	err = s.InTx(ctx, func(tx *sql.Tx) error {
		now, later = nil, nil
		// Locking the row holds back any insert that references the account (an asset a job is
		// saving) until the delete commits; that insert then fails and its job removes the object.
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE id = $1`+s.d.forUpdate, userID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: delete user: %w", err)
		}
		if err := guardLastAdmin(ctx, tx, userID); err != nil {
			return err
		}
		type obj struct {
			storage, key string
			later        bool
		}
		var found []obj
		// The account's cast pictures (SPEC §14) and shared uploads (SPEC §16.2) are its own
		// objects too.
		rows, err := tx.QueryContext(ctx, `SELECT storage, storage_key FROM assets WHERE user_id = $1
			UNION ALL SELECT i.storage, i.storage_key FROM cast_images i JOIN cast_members c ON c.id = i.cast_id WHERE c.user_id = $1
			UNION ALL SELECT storage, storage_key FROM shared_uploads WHERE user_id = $1`, userID)
		if err != nil {
			return fmt.Errorf("store: delete user: assets: %w", err)
		}
		for rows.Next() {
			var o obj
			if err := rows.Scan(&o.storage, &o.key); err != nil {
				rows.Close()
				return fmt.Errorf("store: delete user: assets: %w", err)
			}
			found = append(found, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: delete user: assets: %w", err)
		}
		rows, err = tx.QueryContext(ctx, `SELECT o.storage, o.storage_key FROM outputs o JOIN generations g ON g.id = o.generation_id
			WHERE g.user_id = $1 AND o.storage_key <> '' AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.id = o.asset_id)`, userID)
		if err != nil {
			return fmt.Errorf("store: delete user: outputs: %w", err)
		}
		for rows.Next() {
			var storage, key string
			if err := rows.Scan(&storage, &key); err != nil {
				rows.Close()
				return fmt.Errorf("store: delete user: outputs: %w", err)
			}
			switch {
			case storage != "":
				found = append(found, obj{storage, key, true})
			default: // the upload was cut before its backend was recorded
				found = append(found, obj{model.StorageLocal, key, true})
				if s3 {
					found = append(found, obj{model.StorageS3, key, true})
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: delete user: outputs: %w", err)
		}
		nowMs := s.nowMs()
		for _, o := range found {
			next := nowMs
			if o.later {
				next = inFlightAt.UnixMilli()
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO pending_deletes (storage, storage_key, next_at) VALUES ($1, $2, $3)
				ON CONFLICT (storage, storage_key) DO NOTHING`, o.storage, o.key, next); err != nil {
				return fmt.Errorf("store: delete user: queue object: %w", err)
			}
			if o.later {
				later = append(later, PendingDelete{Storage: o.storage, Key: o.key})
			} else {
				now = append(now, PendingDelete{Storage: o.storage, Key: o.key})
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, userID); err != nil {
			return fmt.Errorf("store: delete user: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return now, later, nil
}

// InsertPasswordReset stores a one-time reset link for a user, replacing any unused earlier one:
// only the newest link works.
func (s *Store) InsertPasswordReset(ctx context.Context, userID, createdBy int64, tokenHash []byte, expires time.Time) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL`, userID); err != nil {
			return fmt.Errorf("store: password reset: %w", err)
		}
		var by any
		if createdBy > 0 {
			by = createdBy
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO password_resets (user_id, token_hash, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			userID, tokenHash, by, s.nowMs(), expires.UnixMilli()); err != nil {
			return fmt.Errorf("store: password reset: %w", err)
		}
		return nil
	})
}

// UsePasswordReset consumes a reset link and sets the new password hash in one transaction,
// ending every session of the account. A used, expired or unknown link answers ErrNotFound.
func (s *Store) UsePasswordReset(ctx context.Context, tokenHash []byte, passwordHash string) (int64, error) {
	var userID int64
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		now := s.nowMs()
		err := tx.QueryRowContext(ctx, `UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id`,
			now, tokenHash).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: use password reset: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3`, passwordHash, now, userID); err != nil {
			return fmt.Errorf("store: use password reset: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("store: end sessions: %w", err)
		}
		// Any other outstanding link is void too: the password changed.
		if _, err := tx.ExecContext(ctx, `DELETE FROM password_resets WHERE user_id = $1 AND used_at IS NULL`, userID); err != nil {
			return fmt.Errorf("store: void reset links: %w", err)
		}
		return nil
	})
	return userID, err
}

// PasswordResetValid reports whether a reset token is usable now (without consuming it).
func (s *Store) PasswordResetValid(ctx context.Context, tokenHash []byte) (bool, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`, tokenHash, s.nowMs()).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: password reset: %w", err)
	}
	return n > 0, nil
}
