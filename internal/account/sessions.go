package account

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Session lifetimes: a session ends after IdleTimeout without use or AbsoluteTimeout after login.
const (
	IdleTimeout     = 7 * 24 * time.Hour
	AbsoluteTimeout = 30 * 24 * time.Hour
	touchEvery      = time.Hour // last-seen is written at most this often
)

// Login checks the credentials and starts a new session (never reusing one: no fixation).
func (s *Service) Login(ctx context.Context, ip, rawEmail, password string) (*model.User, string, error) {
	u, tok, _, err := s.LoginFrom(ctx, ip, "", rawEmail, password)
	return u, tok, err
}

// LoginFrom is Login from a browser that may hold a device token (device, "" for none). It also
// answers the device token the browser should keep: its own, or a new one after this first
// successful login from it.
func (s *Service) LoginFrom(ctx context.Context, ip, device, rawEmail, password string) (*model.User, string, string, error) {
	email, emailErr := NormalizeEmail(rawEmail)
	var known []byte
	if emailErr == nil && device != "" {
		var err error
		if known, err = s.knownDevice(ctx, device, email); err != nil {
			return nil, "", "", err
		}
	}
	if known != nil {
		if err := s.throttleDevice(ip, known); err != nil {
			return nil, "", "", err
		}
	} else if err := s.throttle(ip, email); err != nil {
		return nil, "", "", err
	}
	u, err := (*model.User)(nil), error(nil)
	if emailErr == nil {
		u, err = s.st.UserByEmail(ctx, email)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, "", "", err
		}
	}
	hash := s.dummyHash
	if u != nil {
		hash = []byte(u.PasswordHash)
	}
	// Always pay for one bcrypt comparison so unknown emails and wrong passwords look alike.
	ok, err := s.compare(ctx, hash, password)
	if err != nil {
		return nil, "", "", err
	}
	// bcrypt compares only the first 72 bytes: refuse longer passwords instead of truncating.
	if u == nil || !ok || checkPasswordShape(password) != nil {
		fail := audit.Entry{Action: audit.ActionLoginFailed, IP: ip, Detail: map[string]any{"reason": "invalid_credentials"}}
		// Only a well-formed address is kept: people do type a password into the email field.
		if emailErr == nil {
			fail.Detail["email"] = email
		}
		if u != nil {
			fail.Target = audit.User(u.ID)
		}
		s.audit.Record(ctx, fail)
		return nil, "", "", errInvalidCredentials
	}
	// Told only to whoever knows the password, so it discloses nothing to a guesser.
	if u.Disabled() {
		s.audit.Record(ctx, audit.Entry{Action: audit.ActionLoginFailed, Target: audit.User(u.ID), IP: ip, Detail: map[string]any{"reason": "account_disabled", "email": email}})
		return nil, "", "", errAccountDisabled
	}
	if ok, err := s.passwordLoginAllowed(ctx, u); err != nil {
		return nil, "", "", err
	} else if !ok {
		s.audit.Record(ctx, audit.Entry{Action: audit.ActionLoginFailed, Target: audit.User(u.ID), IP: ip, Detail: map[string]any{"reason": model.CodePasswordLoginDisabled, "email": email}})
		return nil, "", "", errPasswordLoginDisabled
	}
	tok, err := s.newSession(ctx, u.ID)
	if err != nil {
		return nil, "", "", err
	}
	if err := s.st.TouchUser(ctx, u.ID, s.now()); err != nil {
		s.log.Warn("touch user failed", "err", err)
	}
	// The session stands without it: the browser is then simply not known next time.
	dev, err := s.rememberDevice(ctx, u.ID, known, device)
	if err != nil {
		s.log.Warn("remember login device failed", "err", err)
	}
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: audit.ActionLogin, Target: audit.User(u.ID), IP: ip})
	return u, tok, dev, nil
}

// token layout: sessionID "." secret; only HMAC(SESSION_SECRET, secret) is stored, so neither a
// database copy nor a log of it can be replayed as a cookie.
func (s *Service) newSession(ctx context.Context, userID int64) (string, error) {
	id, sec := rand.Text(), rand.Text()
	now := s.now()
	ss := &model.Session{ID: id, UserID: userID, SecretHash: s.mac(sec), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(IdleTimeout)}
	if err := s.st.InsertSession(ctx, ss); err != nil {
		return "", err
	}
	return id + "." + sec, nil
}

func (s *Service) mac(sec string) []byte {
	m := hmac.New(sha256.New, s.sessionKey)
	m.Write([]byte(sec))
	return m.Sum(nil)
}

// ErrNoSession means the token is missing, malformed, expired or revoked.
var ErrNoSession = model.Errf(model.CodeUnauthenticated, "Log in to continue.")

// Authenticate resolves a session token to its user.
func (s *Service) Authenticate(ctx context.Context, token string) (*model.User, *model.Session, error) {
	id, sec, ok := strings.Cut(token, ".")
	if !ok || len(id) == 0 || len(id) > 64 || len(sec) == 0 || len(sec) > 64 {
		return nil, nil, ErrNoSession
	}
	// One read for the session and its user: this runs on every request.
	ss, u, err := s.st.SessionWithUser(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	if !hmac.Equal(ss.SecretHash, s.mac(sec)) {
		return nil, nil, ErrNoSession
	}
	now := s.now()
	if now.After(ss.ExpiresAt) || now.After(ss.CreatedAt.Add(AbsoluteTimeout)) {
		_ = s.st.DeleteSession(ctx, ss.ID)
		return nil, nil, ErrNoSession
	}
	// Disabling ends every session at once; one that slipped in concurrently is refused here.
	if u.Disabled() {
		_ = s.st.DeleteSession(ctx, ss.ID)
		return nil, nil, errAccountDisabled
	}
	// The only write here, at most once per touchEvery per session: a request is a read.
	if now.Sub(ss.LastSeenAt) >= touchEvery {
		exp := now.Add(IdleTimeout)
		if abs := ss.CreatedAt.Add(AbsoluteTimeout); exp.After(abs) {
			exp = abs
		}
		if err := s.st.TouchSession(ctx, ss.ID, now, exp); err != nil {
			s.log.Warn("touch session failed", "err", err)
		}
		if err := s.st.TouchUser(ctx, u.ID, now); err != nil {
			s.log.Warn("touch user failed", "err", err)
		}
	}
	return u, ss, nil
}

// Logout ends one session on the server.
func (s *Service) Logout(ctx context.Context, sessionID string) error {
	ss, err := s.st.SessionByID(ctx, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.st.DeleteSession(ctx, sessionID); err != nil {
		return err
	}
	if u, err := s.st.UserByID(ctx, ss.UserID); err == nil {
		s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: audit.ActionLogout, Target: audit.User(u.ID)})
	}
	return nil
}

// SweepSessions deletes expired sessions.
func (s *Service) SweepSessions(ctx context.Context) (int64, error) {
	return s.st.DeleteExpiredSessions(ctx)
}
