package account

import (
	"context"
	"errors"
	"strings"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Sign-up modes, as config spells them.
const (
	signupOpen   = "open"
	signupInvite = "invite"
	signupClosed = "closed"
)

// SignupMode is the configured sign-up mode: "open", "invite" or "closed".
func (s *Service) SignupMode() string { return s.signupMode }

// EffectiveSignupMode is the mode a visitor without an invite meets: "open" while the instance
// has no account yet (its first one becomes the admin), else the configured mode.
func (s *Service) EffectiveSignupMode(ctx context.Context) (string, error) {
	if s.signupMode == signupOpen {
		return signupOpen, nil
	}
	has, err := s.st.HasUsers(ctx)
	if err != nil {
		return "", err
	}
	if !has {
		return signupOpen, nil
	}
	return s.signupMode, nil
}

// signupRefusal is the error for signing up without an invite in mode (nil when open).
func signupRefusal(mode string) error {
	switch mode {
	case signupInvite:
		return model.Errf(model.CodeInviteRequired, "Sign-up on this studio needs an invite. Ask its owner for an invite link.")
	case signupClosed:
		return model.Errf(model.CodeSignupClosed, "Sign-up is closed on this studio. Ask its owner for an account.")
	}
	return nil
}

// SignUp creates an account without an invite and its first session.
func (s *Service) SignUp(ctx context.Context, ip, rawEmail, password string) (*model.User, string, error) {
	return s.SignUpWithInvite(ctx, ip, rawEmail, password, "")
}

// SignUpWithInvite creates an account and its first session. A valid invite admits it in every
// sign-up mode and is consumed with the account; an invalid one is refused in every mode.
func (s *Service) SignUpWithInvite(ctx context.Context, ip, rawEmail, password, invite string) (*model.User, string, error) {
	invite = strings.TrimSpace(invite)
	// An instance without accounts takes its first one (the admin) in every mode: the owner
	// may close sign-up before the first start and still get in.
	firstOnly := false
	if invite == "" && s.signupMode != signupOpen {
		mode, err := s.EffectiveSignupMode(ctx)
		if err != nil {
			return nil, "", err
		}
		if err := signupRefusal(mode); err != nil {
			return nil, "", err
		}
		firstOnly = true
	}
	email, err := NormalizeEmail(rawEmail)
	if err != nil {
		if terr := s.throttle(ip, ""); terr != nil {
			return nil, "", terr
		}
		return nil, "", err
	}
	if err := s.throttle(ip, email); err != nil {
		return nil, "", err
	}
	var inv *store.Invite
	if invite != "" {
		// Checked before the costly hash; consumed atomically with the account below.
		if inv, err = s.usableInvite(ctx, invite, email); err != nil {
			return nil, "", err
		}
	}
	if err := CheckNewPassword(password); err != nil {
		return nil, "", err
	}
	h, err := s.hash(ctx, password)
	if err != nil {
		return nil, "", err
	}
	var inviteHash []byte
	if inv != nil {
		inviteHash = tokenHash(invite)
	}
	u, err := s.st.CreateUser(ctx, store.NewUser{Email: email, PasswordHash: h, InviteHash: inviteHash, FirstOnly: firstOnly})
	if errors.Is(err, store.ErrNotFirst) { // another first account won the race
		return nil, "", signupRefusal(s.signupMode)
	}
	if errors.Is(err, store.ErrConflict) {
		return nil, "", model.Errf(model.CodeEmailTaken, "An account with this email already exists. Log in instead.")
	}
	if errors.Is(err, store.ErrInviteUnusable) {
		return nil, "", errInviteInvalid
	}
	if err != nil {
		return nil, "", err
	}
	tok, err := s.newSession(ctx, u.ID)
	if err != nil {
		return nil, "", err
	}
	s.log.Info("account created", "user_id", u.ID, "role", u.Role)
	detail := map[string]any{"role": u.Role}
	if inv != nil {
		detail["invite"] = inv.ID
		s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: audit.ActionInviteUse, Target: inviteTarget(inv.ID), IP: ip})
	}
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: audit.ActionSignup, Target: audit.User(u.ID), IP: ip, Detail: detail})
	return u, tok, nil
}
