package account

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// SSO audit actions (SPEC §12.1).
const (
	ActionSSOSignup      = "sso.signup"
	ActionSSOLogin       = "sso.login"
	ActionSSOLoginFailed = "sso.login_failed"
	ActionSSOLink        = "sso.link"
	ActionSSOUnlink      = "sso.unlink"
	ActionSSORole        = "sso.role"
)

// SSOSignIn is a verified sign-in from the identity provider.
type SSOSignIn struct {
	Issuer, Subject string
	Email           string // from the provider, lower-cased; "" when it gave none
	// Admin is the role the groups claim decides (OIDC_ADMIN_GROUPS); nil when roles are the
	// studio's own.
	Admin        *bool
	Invite       string // the invite the start came with, "" for none
	AutoRegister bool   // OIDC_AUTO_REGISTER
}

func ssoErr(code, msg string) error { return model.Errf(code, "%s", msg) }

// SignInSSO signs in (or, when allowed, creates) the account linked to a verified identity and
// starts its session, exactly like a password login's. Refusals are *model.Error with the
// callback's ssoError codes; each is audited as sso.login_failed.
func (s *Service) SignInSSO(ctx context.Context, ip string, in SSOSignIn) (*model.User, string, error) {
	u, created, err := s.ssoAccount(ctx, ip, in)
	if err != nil {
		var me *model.Error
		if errors.As(err, &me) {
			e := audit.Entry{Action: ActionSSOLoginFailed, IP: ip, Detail: map[string]any{"reason": me.Code}}
			if u != nil {
				e.Target = audit.User(u.ID)
			} else if in.Email != "" {
				e.Detail["email"] = in.Email
			}
			s.audit.Record(ctx, e)
		}
		return nil, "", err
	}
	if in.Admin != nil {
		s.ssoRole(ctx, ip, u, *in.Admin)
	}
	tok, err := s.newSession(ctx, u.ID)
	if err != nil {
		return nil, "", err
	}
	if err := s.st.TouchUser(ctx, u.ID, s.now()); err != nil {
		s.log.Warn("touch user failed", "err", err)
	}
	if !created {
		s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: ActionSSOLogin, Target: audit.User(u.ID), IP: ip})
	}
	return u, tok, nil
}

// ssoAccount finds or creates the account; on a refusal about a known account it returns it too.
func (s *Service) ssoAccount(ctx context.Context, ip string, in SSOSignIn) (*model.User, bool, error) {
	u, err := s.st.UserByIdentity(ctx, in.Issuer, in.Subject)
	if err == nil {
		if u.Disabled() {
			return u, false, errAccountDisabled
		}
		return u, false, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, false, err
	}
	if in.Email == "" {
		return nil, false, ssoErr(model.CodeSSOEmailMissing, "The identity provider did not share an email address.")
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return nil, false, ssoErr(model.CodeSSOEmailMissing, "The identity provider shared no usable email address.")
	}
	if other, err := s.st.UserByEmail(ctx, email); err == nil {
		return other, false, ssoErr(model.CodeAccountExists, "An account with this email already exists. Sign in with your password, then link single sign-on in Account.")
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, false, err
	}
	invite := strings.TrimSpace(in.Invite)
	var inv *store.Invite
	firstOnly := false
	if invite != "" {
		if inv, err = s.usableInvite(ctx, invite, email); err != nil {
			return nil, false, err
		}
	} else {
		mode, err := s.EffectiveSignupMode(ctx)
		if err != nil {
			return nil, false, err
		}
		if err := signupRefusal(mode); err != nil {
			return nil, false, err
		}
		has, err := s.st.HasUsers(ctx)
		if err != nil {
			return nil, false, err
		}
		// The first account of an empty instance comes in whatever the settings.
		if has && !in.AutoRegister {
			return nil, false, ssoErr(model.CodeSSONotRegistered, "Single sign-on does not create accounts on this studio. Ask its owner for an account.")
		}
		firstOnly = s.signupMode != signupOpen || !in.AutoRegister
	}
	var inviteHash []byte
	if inv != nil {
		inviteHash = tokenHash(invite)
	}
	nu, err := s.st.CreateSSOUser(ctx, store.NewUser{Email: email, InviteHash: inviteHash, FirstOnly: firstOnly}, in.Issuer, in.Subject)
	switch {
	case errors.Is(err, store.ErrNotFirst):
		if !in.AutoRegister && s.signupMode == signupOpen {
			return nil, false, ssoErr(model.CodeSSONotRegistered, "Single sign-on does not create accounts on this studio. Ask its owner for an account.")
		}
		return nil, false, signupRefusal(s.signupMode)
	case errors.Is(err, store.ErrConflict):
		return nil, false, ssoErr(model.CodeAccountExists, "An account with this email already exists. Sign in with your password, then link single sign-on in Account.")
	case errors.Is(err, store.ErrIdentityTaken), errors.Is(err, store.ErrAccountLinked):
		return nil, false, ssoErr(model.CodeSSOAlreadyLinked, "This single sign-on identity is already linked to an account.")
	case errors.Is(err, store.ErrInviteUnusable):
		return nil, false, errInviteInvalid
	case err != nil:
		return nil, false, err
	}
	s.log.Info("account created by single sign-on", "user_id", nu.ID, "role", nu.Role)
	detail := map[string]any{"role": nu.Role}
	if inv != nil {
		detail["invite"] = inv.ID
		s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(nu), Action: audit.ActionInviteUse, Target: inviteTarget(inv.ID), IP: ip})
	}
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(nu), Action: ActionSSOSignup, Target: audit.User(nu.ID), IP: ip, Detail: detail})
	return nu, true, nil
}

// ssoRole sets the role the groups decided; the last admin is never demoted (the sign-in goes
// on and the audit log says why).
func (s *Service) ssoRole(ctx context.Context, ip string, u *model.User, admin bool) {
	role := model.RoleMember
	if admin {
		role = model.RoleAdmin
	}
	if u.Role == role {
		return
	}
	before, err := s.st.SetRole(ctx, u.ID, role)
	if errors.Is(err, store.ErrLastAdmin) {
		s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: ActionSSORole, Target: audit.User(u.ID), IP: ip,
			Detail: map[string]any{"role": u.Role, "kept": true, "reason": model.CodeLastAdmin}})
		return
	}
	if err != nil {
		s.log.Error("sso: set role from groups failed", "user_id", u.ID, "err", err)
		return
	}
	u.Role = role
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: ActionSSORole, Target: audit.User(u.ID), IP: ip,
		Detail: map[string]any{"from": before, "role": role}})
}

// CheckLinkable is what POST /api/me/oidc/link checks before a flow starts: not linked already,
// and the password when the account has one.
func (s *Service) CheckLinkable(ctx context.Context, ip string, u *model.User, password string, given bool) error {
	if _, err := s.st.IdentityOf(ctx, u.ID); err == nil {
		return ssoErr(model.CodeSSOAlreadyLinked, "This account is already linked to single sign-on.")
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if !u.HasPassword() {
		return nil
	}
	if !given {
		return model.Errf(model.CodeInvalidInput, "Enter your password to link single sign-on.")
	}
	return s.checkOwnPassword(ctx, ip, u, password, "The current password is incorrect.")
}

// LinkSSO links a verified identity to the account that started the link.
func (s *Service) LinkSSO(ctx context.Context, ip string, u *model.User, issuer, subject string) error {
	err := s.st.LinkIdentity(ctx, u.ID, issuer, subject)
	if errors.Is(err, store.ErrIdentityTaken) || errors.Is(err, store.ErrAccountLinked) {
		s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: ActionSSOLoginFailed, Target: audit.User(u.ID), IP: ip,
			Detail: map[string]any{"reason": model.CodeSSOAlreadyLinked}})
		return ssoErr(model.CodeSSOAlreadyLinked, "This single sign-on identity is already linked to an account.")
	}
	if err != nil {
		return err
	}
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: ActionSSOLink, Target: audit.User(u.ID), IP: ip})
	return nil
}

// UnlinkSSO removes the account's link; an account without a password must set one first.
func (s *Service) UnlinkSSO(ctx context.Context, ip string, u *model.User) error {
	if _, err := s.st.IdentityOf(ctx, u.ID); err != nil {
		return err
	}
	if !u.HasPassword() {
		return ssoErr(model.CodePasswordRequired, "Set a password first: without single sign-on it is how you sign in.")
	}
	if err := s.st.UnlinkIdentity(ctx, u.ID); err != nil {
		return err
	}
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: ActionSSOUnlink, Target: audit.User(u.ID), IP: ip})
	return nil
}

// SSOLink is the account's link, nil when it has none.
func (s *Service) SSOLink(ctx context.Context, userID int64) (*store.Identity, error) {
	id, err := s.st.IdentityOf(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return id, err
}

// UserByID is the account as stored now (the callback of a link re-reads the one that started it).
func (s *Service) UserByID(ctx context.Context, id int64) (*model.User, error) {
	return s.st.UserByID(ctx, id)
}

// RecordSSOFailure audits a refusal that happened before an account was known (bad state, a
// provider error, a token that did not verify).
func (s *Service) RecordSSOFailure(ctx context.Context, ip string, actor *model.User, code string) {
	e := audit.Entry{Action: ActionSSOLoginFailed, IP: ip, Detail: map[string]any{"reason": code}}
	if actor != nil {
		e.Actor, e.Target = audit.ActorOf(actor), audit.User(actor.ID)
	}
	s.audit.Record(ctx, e)
}

// SSOFlow is a sign-in or link in progress, kept server-side under the hash of the browser's
// flow cookie (so it works on every replica and is used once).
type SSOFlow struct {
	State, Nonce, Verifier, Invite string
	UserID                         int64 // the account a link started from; 0 for a sign-in
	ExpiresAt                      time.Time
}

// SaveSSOFlow records a flow.
func (s *Service) SaveSSOFlow(ctx context.Context, idHash string, f SSOFlow) error {
	return s.st.InsertOIDCFlow(ctx, idHash, store.OIDCFlow(f))
}

// TakeSSOFlow removes and returns an unexpired flow; model.ErrNotFound (wrapped) when there is none.
func (s *Service) TakeSSOFlow(ctx context.Context, idHash string) (*SSOFlow, error) {
	f, err := s.st.TakeOIDCFlow(ctx, idHash)
	if err != nil {
		return nil, err
	}
	out := SSOFlow(*f)
	return &out, nil
}

// errPasswordLoginDisabled answers a password login while OIDC_PASSWORD_LOGIN=false.
var errPasswordLoginDisabled = model.Errf(model.CodePasswordLoginDisabled, "Password sign-in is turned off on this studio. Use single sign-on.")

// passwordLoginAllowed is the break-glass rule: with password sign-in off, only an admin without
// an SSO link may still use a password.
func (s *Service) passwordLoginAllowed(ctx context.Context, u *model.User) (bool, error) {
	if !s.passwordLoginOff {
		return true, nil
	}
	if !u.IsAdmin() {
		return false, nil
	}
	link, err := s.SSOLink(ctx, u.ID)
	return link == nil, err
}

// PasswordSignupOff reports whether password sign-up is off (OIDC_PASSWORD_LOGIN=false).
func (s *Service) PasswordSignupOff() bool { return s.passwordLoginOff }
