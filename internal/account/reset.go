package account

import (
	"context"
	"errors"
	"time"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// ResetTTL is how long a password-reset link works.
const ResetTTL = time.Hour

var errResetInvalid = model.Errf(model.CodeResetInvalid, "This reset link is not valid: it was used, replaced by a newer one or has expired. Ask the studio's admin for a new link.")

// CreateResetLink makes a one-time password-reset token for an account (an admin, or the
// command line with a nil actor), replacing any earlier unused one. The token is returned only
// here; the store keeps its hash.
func (a *Admin) CreateResetLink(ctx context.Context, actor *audit.Actor, userID int64) (string, time.Time, error) {
	if _, err := a.st.UserByID(ctx, userID); err != nil {
		return "", time.Time{}, err
	}
	tok := newToken()
	exp := a.now().Add(ResetTTL)
	var by int64
	if actor != nil {
		by = actor.ID
	}
	if err := a.st.InsertPasswordReset(ctx, userID, by, tokenHash(tok), exp); err != nil {
		return "", time.Time{}, err
	}
	a.audit.Record(ctx, audit.Entry{Actor: actor, Action: audit.ActionPasswordResetLink, Target: audit.User(userID)})
	return tok, exp, nil
}

// ResetPassword sets a new password with a reset token: the token works once, and every
// session of the account ends.
func (s *Service) ResetPassword(ctx context.Context, ip, token, next string) error {
	if err := s.throttle(ip, ""); err != nil {
		return err
	}
	if token == "" || len(token) > maxTokenLen {
		return errResetInvalid
	}
	// A token that cannot work is refused before the password is judged or hashed.
	ok, err := s.st.PasswordResetValid(ctx, tokenHash(token))
	if err != nil {
		return err
	}
	if !ok {
		return errResetInvalid
	}
	if err := CheckNewPassword(next); err != nil {
		return err
	}
	h, err := s.hash(ctx, next)
	if err != nil {
		return err
	}
	userID, err := s.st.UsePasswordReset(ctx, tokenHash(token), h)
	if errors.Is(err, store.ErrNotFound) {
		return errResetInvalid // used by a concurrent request in the meantime
	}
	if err != nil {
		return err
	}
	s.log.Info("password reset", "user_id", userID)
	var actor *audit.Actor
	if u, err := s.st.UserByID(ctx, userID); err == nil {
		actor = audit.ActorOf(u)
	}
	s.audit.Record(ctx, audit.Entry{Actor: actor, Action: audit.ActionPasswordReset, Target: audit.User(userID), IP: ip})
	return nil
}
