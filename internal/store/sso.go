package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

// Identity is an account's single sign-on link: the provider's (issuer, subject).
type Identity struct {
	UserID          int64
	Issuer, Subject string
	LinkedAt        time.Time
}

// ErrIdentityTaken is returned by LinkIdentity when the identity is linked to another account.
var ErrIdentityTaken = errors.New("store: identity linked to another account")

// ErrAccountLinked is returned by LinkIdentity when the account already has an identity.
var ErrAccountLinked = errors.New("store: account already linked")

// UserByIdentity returns the account linked to (issuer, subject); ErrNotFound when none is.
func (s *Store) UserByIdentity(ctx context.Context, issuer, subject string) (*model.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id =
		(SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2)`, issuer, subject))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: user by identity: %w", err)
	}
	return u, err
}

// IdentityOf returns the account's link; ErrNotFound when it has none.
func (s *Store) IdentityOf(ctx context.Context, userID int64) (*Identity, error) {
	var id Identity
	var linked int64
	err := s.r.QueryRowContext(ctx, `SELECT user_id, issuer, subject, linked_at FROM user_identities WHERE user_id = $1`, userID).
		Scan(&id.UserID, &id.Issuer, &id.Subject, &linked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: identity of: %w", err)
	}
	id.LinkedAt = msToTime(linked)
	return &id, nil
}

// LinkIdentity links (issuer, subject) to the account. One identity links to at most one
// account and one account to at most one identity: ErrIdentityTaken, ErrAccountLinked.
func (s *Store) LinkIdentity(ctx context.Context, userID int64, issuer, subject string) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		return linkIdentity(ctx, tx, userID, issuer, subject, s.nowMs())
	})
}

func linkIdentity(ctx context.Context, tx *sql.Tx, userID int64, issuer, subject string, now int64) error {
	var owner int64
	err := tx.QueryRowContext(ctx, `SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2`, issuer, subject).Scan(&owner)
	switch {
	case err == nil && owner == userID:
		return ErrAccountLinked
	case err == nil:
		return ErrIdentityTaken
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: link identity: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO user_identities (user_id, issuer, subject, linked_at) VALUES ($1, $2, $3, $4)`, userID, issuer, subject, now)
	if isUnique(err) {
		return ErrAccountLinked
	}
	if err != nil {
		return fmt.Errorf("store: link identity: %w", err)
	}
	return nil
}

// CreateSSOUser creates an account without a password, linked to (issuer, subject), in one
// transaction (CreateUser's rules: the first account is the admin, an invite is consumed).
func (s *Store) CreateSSOUser(ctx context.Context, nu NewUser, issuer, subject string) (*model.User, error) {
	nu.PasswordHash = ""
	nu.identity = &Identity{Issuer: issuer, Subject: subject}
	return s.CreateUser(ctx, nu)
}

// UnlinkIdentity removes the account's link; ErrNotFound when it has none.
func (s *Store) UnlinkIdentity(ctx context.Context, userID int64) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM user_identities WHERE user_id = $1`, userID)
	if err != nil {
		return fmt.Errorf("store: unlink identity: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// OIDCFlow is a sign-in or link in progress (the browser holds the key to it in a cookie).
type OIDCFlow struct {
	State, Nonce, Verifier, Invite string
	UserID                         int64 // the account a link started from; 0 for a sign-in
	ExpiresAt                      time.Time
}

// InsertOIDCFlow records a flow under the hash of the cookie's value, and drops expired ones.
func (s *Store) InsertOIDCFlow(ctx context.Context, idHash string, f OIDCFlow) error {
	var uid any
	if f.UserID != 0 {
		uid = f.UserID
	}
	return s.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_flows WHERE expires_at < $1`, s.nowMs()); err != nil {
			return fmt.Errorf("store: prune oidc flows: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO oidc_flows (id_hash, state, nonce, verifier, invite, user_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			idHash, f.State, f.Nonce, f.Verifier, f.Invite, uid, f.ExpiresAt.UnixMilli()); err != nil {
			return fmt.Errorf("store: insert oidc flow: %w", err)
		}
		return nil
	})
}

// TakeOIDCFlow deletes and returns an unexpired flow: a flow is used at most once, also when two
// callbacks race. ErrNotFound when there is none (unknown, used or expired).
func (s *Store) TakeOIDCFlow(ctx context.Context, idHash string) (*OIDCFlow, error) {
	var f OIDCFlow
	var uid sql.NullInt64
	var exp int64
	err := s.w.QueryRowContext(ctx, `DELETE FROM oidc_flows WHERE id_hash = $1 RETURNING state, nonce, verifier, invite, user_id, expires_at`, idHash).
		Scan(&f.State, &f.Nonce, &f.Verifier, &f.Invite, &uid, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: take oidc flow: %w", err)
	}
	if exp <= s.nowMs() {
		return nil, ErrNotFound
	}
	f.UserID, f.ExpiresAt = uid.Int64, msToTime(exp)
	return &f, nil
}
