// Package account owns users, passwords, sessions and rate limits. Service is what a person does
// to their own account (sign up, log in, sessions, password, saving a fal key); Admin is what an
// admin or the command line does to accounts (the list, roles, disabling, deleting, invites and
// reset links). Sealing and opening fal keys is package falkey's. It knows nothing of HTTP: the
// caller passes the client IP and carries the token in a cookie.
package account

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/falkey"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Options tune the service; zero values take production defaults.
type Options struct {
	AllowSignup bool
	// SignupMode is "open", "invite" or "closed" (config.Signup*); "" follows AllowSignup.
	SignupMode string
	// Audit records security events; nil records nothing.
	Audit      *audit.Log
	BcryptCost int // default 12
	// Rate limits for login and sign-up: per client IP, per (email, client IP) — the tight one —
	// and per email from anywhere — a loose cap (see throttler).
	PerIP, PerEmail, PerEmailAnyIP Limit
	Now                            func() time.Time
	Logger                         *slog.Logger
	// PasswordLoginOff turns password sign-in and sign-up off (OIDC_PASSWORD_LOGIN=false),
	// except for admins without an SSO link.
	PasswordLoginOff bool
}

// The defaults throttle without locking anyone out for long: tokens refill. DefaultPerEmail is
// per (email, client IP); DefaultPerEmailAnyIP caps one email over every IP, loosely, so that
// an attacker elsewhere cannot spend the owner's budget.
var (
	DefaultPerIP         = Limit{Every: 6 * time.Second, Burst: 20}
	DefaultPerEmail      = Limit{Every: 30 * time.Second, Burst: 8}
	DefaultPerEmailAnyIP = Limit{Every: 3 * time.Second, Burst: 100}
)

// Service is what a person does with their own account: sign up (with an invite), log in and
// out, sessions, passwords (change, reset by a link) and saving or removing a fal key.
type Service struct {
	st         *store.Store
	keys       *falkey.Keys
	sessionKey []byte
	signupMode string
	audit      *audit.Log
	bcryptCost int
	now        func() time.Time
	log        *slog.Logger
	// hashSem bounds concurrent bcrypt work of sign-in (login, sign-up, reset) so a flood cannot
	// starve the server; ownSem, smaller, bounds signed-in people's own password checks
	// (changing the password, deleting the account), which so never take a slot sign-in needs.
	hashSem, ownSem chan struct{}
	dummyHash       []byte
	limits          *throttler
	// passwordLoginOff: see Options.PasswordLoginOff.
	passwordLoginOff bool
}

// New builds the service. keys seals the fal keys people save; sessionKey keys the stored
// session hashes (SESSION_SECRET).
func New(st *store.Store, keys *falkey.Keys, sessionKey []byte, o Options) (*Service, error) {
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
		st: st, keys: keys, sessionKey: sessionKey, signupMode: o.SignupMode, audit: o.Audit, bcryptCost: o.BcryptCost,
		now: o.Now, log: o.Logger, hashSem: make(chan struct{}, runtime.GOMAXPROCS(0)),
		ownSem: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/4)), dummyHash: dummy,
		limits:           newThrottler(st, o.Now, o.PerIP, o.PerEmail, o.PerEmailAnyIP),
		passwordLoginOff: o.PasswordLoginOff,
	}, nil
}

var (
	errInvalidCredentials = model.Errf(model.CodeInvalidCredentials, "The email or password is incorrect.")
	errAccountDisabled    = model.Errf(model.CodeAccountDisabled, "This account is disabled. Ask the studio's admin to enable it again.")
)

func (s *Service) hash(ctx context.Context, password string) (string, error) {
	return s.hashIn(ctx, s.hashSem, password)
}

func (s *Service) compare(ctx context.Context, hash []byte, password string) (bool, error) {
	return s.compareIn(ctx, s.hashSem, hash, password)
}

// hashIn hashes a password holding a slot of sem.
func (s *Service) hashIn(ctx context.Context, sem chan struct{}, password string) (string, error) {
	if err := acquire(ctx, sem); err != nil {
		return "", err
	}
	defer func() { <-sem }()
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.bcryptCost)
	if err != nil {
		return "", fmt.Errorf("account: hash: %w", err)
	}
	return string(h), nil
}

// compareIn checks a password against its hash holding a slot of sem.
func (s *Service) compareIn(ctx context.Context, sem chan struct{}, hash []byte, password string) (bool, error) {
	if err := acquire(ctx, sem); err != nil {
		return false, err
	}
	defer func() { <-sem }()
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil, nil
}

func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
