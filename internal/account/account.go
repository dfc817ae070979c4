// Package account owns users, passwords, sessions, rate limits and each user's sealed fal key.
// It knows nothing of HTTP: the caller passes the client IP and carries the token in a cookie.
package account

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/secret"
	"github.com/falstudio/falstudio/internal/store"
)

// Session lifetimes: a session ends after IdleTimeout without use or AbsoluteTimeout after login.
const (
	IdleTimeout     = 7 * 24 * time.Hour
	AbsoluteTimeout = 30 * 24 * time.Hour
	touchEvery      = time.Hour // last-seen is written at most this often
)

// purposeFalKey is bound into the fal key's associated data.
const purposeFalKey = "fal_key"

// Options tune the service; zero values take production defaults.
type Options struct {
	AllowSignup bool
	// SignupMode is "open", "invite" or "closed" (config.Signup*); "" follows AllowSignup.
	SignupMode string
	// Audit records security and admin events; nil records nothing.
	Audit *audit.Log
	// Storage deletes a deleted account's stored objects; nil keeps them (tests without media).
	Storage    *media.Storage
	BcryptCost int // default 12
	// Rate limits for login and sign-up: per client IP, per (email, client IP) — the tight one —
	// and per email from anywhere — a loose cap (see throttler).
	PerIP, PerEmail, PerEmailAnyIP Limit
	Now                            func() time.Time
	Logger                         *slog.Logger
}

// The defaults throttle without locking anyone out for long: tokens refill. DefaultPerEmail is
// per (email, client IP); DefaultPerEmailAnyIP caps one email over every IP, loosely, so that
// an attacker elsewhere cannot spend the owner's budget.
var (
	DefaultPerIP         = Limit{Every: 6 * time.Second, Burst: 20}
	DefaultPerEmail      = Limit{Every: 30 * time.Second, Burst: 8}
	DefaultPerEmailAnyIP = Limit{Every: 3 * time.Second, Burst: 100}
)

// Service is the account service.
type Service struct {
	st         *store.Store
	box        *secret.Box
	sessionKey []byte
	signupMode string
	audit      *audit.Log
	storage    *media.Storage
	budgets    Budgets // the costs service (SPEC §7); nil until the app wires it
	cost       int
	now        func() time.Time
	log        *slog.Logger
	hashSem    chan struct{} // bounds concurrent bcrypt work so a login flood cannot starve the server
	dummyHash  []byte
	limits     *throttler
}

// New builds the service. sessionKey keys the stored session hashes (SESSION_SECRET).
func New(st *store.Store, box *secret.Box, sessionKey []byte, o Options) (*Service, error) {
	if o.BcryptCost == 0 {
		o.BcryptCost = 12
	}
	if o.PerIP.Burst == 0 {
		o.PerIP = DefaultPerIP
	}
	if o.PerEmail.Burst == 0 {
		o.PerEmail = DefaultPerEmail
	}
	if o.PerEmailAnyIP.Burst == 0 {
		o.PerEmailAnyIP = DefaultPerEmailAnyIP
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SignupMode == "" {
		o.SignupMode = signupOpen
		if !o.AllowSignup {
			o.SignupMode = signupClosed
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	// An unknown email is checked against this hash so it costs what a wrong password costs.
	dummy, err := bcrypt.GenerateFromPassword([]byte("not a real password, only for timing"), o.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("account: %w", err)
	}
	return &Service{
		st: st, box: box, sessionKey: sessionKey, signupMode: o.SignupMode, audit: o.Audit, storage: o.Storage, cost: o.BcryptCost,
		now: o.Now, log: o.Logger, hashSem: make(chan struct{}, runtime.GOMAXPROCS(0)), dummyHash: dummy,
		limits: newThrottler(st, o.Now, o.PerIP, o.PerEmail, o.PerEmailAnyIP),
	}, nil
}

var errInvalidCredentials = model.Errf(model.CodeInvalidCredentials, "The email or password is incorrect.")

func (s *Service) hash(ctx context.Context, password string) (string, error) {
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer func() { <-s.hashSem }()
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return "", fmt.Errorf("account: hash: %w", err)
	}
	return string(h), nil
}

func (s *Service) compare(ctx context.Context, hash []byte, password string) (bool, error) {
	if err := s.acquire(ctx); err != nil {
		return false, err
	}
	defer func() { <-s.hashSem }()
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil, nil
}

func (s *Service) acquire(ctx context.Context) error {
	select {
	case s.hashSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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

// Login checks the credentials and starts a new session (never reusing one: no fixation).
func (s *Service) Login(ctx context.Context, ip, rawEmail, password string) (*model.User, string, error) {
	email, emailErr := NormalizeEmail(rawEmail)
	if err := s.throttle(ip, email); err != nil {
		return nil, "", err
	}
	u, err := (*model.User)(nil), error(nil)
	if emailErr == nil {
		u, err = s.st.UserByEmail(ctx, email)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, "", err
		}
	}
	hash := s.dummyHash
	if u != nil {
		hash = []byte(u.PasswordHash)
	}
	// Always pay for one bcrypt comparison so unknown emails and wrong passwords look alike.
	ok, err := s.compare(ctx, hash, password)
	if err != nil {
		return nil, "", err
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
		return nil, "", errInvalidCredentials
	}
	// Told only to whoever knows the password, so it discloses nothing to a guesser.
	if u.Disabled() {
		s.audit.Record(ctx, audit.Entry{Action: audit.ActionLoginFailed, Target: audit.User(u.ID), IP: ip, Detail: map[string]any{"reason": "account_disabled", "email": email}})
		return nil, "", errAccountDisabled
	}
	tok, err := s.newSession(ctx, u.ID)
	if err != nil {
		return nil, "", err
	}
	if err := s.st.TouchUser(ctx, u.ID, s.now()); err != nil {
		s.log.Warn("touch user failed", "err", err)
	}
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: audit.ActionLogin, Target: audit.User(u.ID), IP: ip})
	return u, tok, nil
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

// ChangePassword checks the current password, stores the new one, ends every other session and
// replaces the current one; it returns the new session token.
func (s *Service) ChangePassword(ctx context.Context, u *model.User, sessionID, current, next string) (string, error) {
	ok, err := s.compare(ctx, []byte(u.PasswordHash), current)
	if err != nil {
		return "", err
	}
	if !ok || checkPasswordShape(current) != nil {
		return "", model.Errf(model.CodeInvalidCredentials, "The current password is incorrect.")
	}
	if err := CheckNewPassword(next); err != nil {
		return "", err
	}
	h, err := s.hash(ctx, next)
	if err != nil {
		return "", err
	}
	// Ends all other sessions; then this one is rotated too.
	if err := s.st.UpdatePassword(ctx, u.ID, h, sessionID); err != nil {
		return "", err
	}
	tok, err := s.newSession(ctx, u.ID)
	if err != nil {
		return "", err
	}
	if err := s.st.DeleteSession(ctx, sessionID); err != nil {
		return "", err
	}
	s.log.Info("password changed", "user_id", u.ID)
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: audit.ActionPasswordChange, Target: audit.User(u.ID)})
	return tok, nil
}

// MaxFalKeyBytes bounds a fal key (real ones are about 70 characters).
const MaxFalKeyBytes = 512

// SetFalKey seals and stores the user's fal key.
func (s *Service) SetFalKey(ctx context.Context, userID int64, key string) (*model.User, error) {
	key = strings.TrimSpace(key)
	if key == "" || len(key) > MaxFalKeyBytes {
		return nil, model.Errf(model.CodeInvalidInput, "Paste your fal API key (from fal.ai → Account → Keys).")
	}
	for _, r := range key {
		if r <= ' ' || r > '~' {
			return nil, model.Errf(model.CodeInvalidInput, "The fal API key contains characters a key never has.")
		}
	}
	sealed, err := s.box.Seal(purposeFalKey, userID, key)
	if err != nil {
		return nil, err
	}
	if err := s.st.SetFalKey(ctx, userID, sealed); err != nil {
		return nil, err
	}
	s.log.Info("fal key saved", "user_id", userID)
	u, err := s.st.UserByID(ctx, userID)
	if err == nil {
		s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: audit.ActionFalKeySave, Target: audit.User(u.ID)})
	}
	return u, err
}

// RemoveFalKey deletes the user's fal key.
func (s *Service) RemoveFalKey(ctx context.Context, userID int64) (*model.User, error) {
	if err := s.st.SetFalKey(ctx, userID, ""); err != nil {
		return nil, err
	}
	s.log.Info("fal key removed", "user_id", userID)
	u, err := s.st.UserByID(ctx, userID)
	if err == nil {
		s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: audit.ActionFalKeyRemove, Target: audit.User(u.ID)})
	}
	return u, err
}

// FalKey opens the user's key, only to call fal on their behalf. No key → fal_key_missing.
func (s *Service) FalKey(ctx context.Context, userID int64) (secret.Secret, error) {
	u, err := s.st.UserByID(ctx, userID)
	if err != nil {
		return secret.Secret{}, err
	}
	return s.OpenFalKey(userID, u.FalKey)
}

// OpenFalKey decrypts a user's sealed fal key (as read with the user's row, e.g. by a job claim).
func (s *Service) OpenFalKey(userID int64, sealed string) (secret.Secret, error) {
	if sealed == "" {
		return secret.Secret{}, model.Errf(model.CodeFalKeyMissing, "Save your fal API key in Account first.")
	}
	k, err := s.box.Open(purposeFalKey, userID, sealed)
	if err != nil {
		// A row that does not open (tampering, a copied row) is never used; the user re-saves.
		s.log.Error("stored fal key cannot be decrypted", "user_id", userID)
		return secret.Secret{}, model.Errf(model.CodeFalKeyMissing, "Your saved fal API key cannot be read. Save it again in Account.")
	}
	return k, nil
}

const canaryKey = "encryption_canary"

// CheckEncryptionKey proves ENCRYPTION_KEY is the key the database was sealed with: a canary is
// stored on first start; later it must open, or start-up stops instead of losing every key.
// Values sealed with a previous key are re-sealed with the current one.
func (s *Service) CheckEncryptionKey(ctx context.Context) error {
	c, ok, err := s.st.GetMeta(ctx, canaryKey)
	if err != nil {
		return err
	}
	if !ok {
		keys, err := s.st.SealedFalKeys(ctx)
		if err != nil {
			return err
		}
		for id, k := range keys {
			if _, err := s.box.Open(purposeFalKey, id, k); err != nil {
				return errors.New("config: ENCRYPTION_KEY: does not decrypt the stored fal keys; start with the key this database was created with")
			}
		}
		sealed, err := s.box.Seal("canary", 0, "falstudio")
		if err != nil {
			return err
		}
		return s.st.SetMeta(ctx, canaryKey, sealed)
	}
	if _, err := s.box.Open("canary", 0, c); err != nil {
		return errors.New("config: ENCRYPTION_KEY: does not match the key this database was created with (set ENCRYPTION_KEY_PREVIOUS to rotate keys)")
	}
	if s.box.Current(c) {
		return nil
	}
	keys, err := s.st.SealedFalKeys(ctx)
	if err != nil {
		return err
	}
	for id, k := range keys {
		if s.box.Current(k) {
			continue
		}
		plain, err := s.box.Open(purposeFalKey, id, k)
		if err != nil {
			s.log.Warn("a stored fal key cannot be decrypted; the user must save it again", "user_id", id)
			continue
		}
		sealed, err := s.box.Seal(purposeFalKey, id, plain.Reveal())
		if err != nil {
			return err
		}
		if err := s.st.SetFalKey(ctx, id, sealed); err != nil {
			return err
		}
	}
	sealed, err := s.box.Seal("canary", 0, "falstudio")
	if err != nil {
		return err
	}
	s.log.Info("fal keys re-encrypted with the current ENCRYPTION_KEY", "count", len(keys))
	return s.st.SetMeta(ctx, canaryKey, sealed)
}

// SweepSessions deletes expired sessions.
func (s *Service) SweepSessions(ctx context.Context) (int64, error) {
	return s.st.DeleteExpiredSessions(ctx)
}
