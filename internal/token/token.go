// Package token holds personal access tokens (SPEC §11): creating, listing and revoking them
// from a cookie session, and authenticating a bearer secret on every request. It never
// imports net/http.
package token

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

const (
	// SecretPrefix starts every secret, so a leaked one is recognisable (secret scanners).
	SecretPrefix = "fst_"
	// PrefixLen is how much of the secret is kept to show in the list: "fst_" and 8 more.
	PrefixLen = 12
	// MaxPerPerson is how many unrevoked tokens one person may hold.
	MaxPerPerson = 50
	// MaxModels bounds a token's model list.
	MaxModels = 100
	// MaxNameChars bounds a token's name.
	MaxNameChars = 100
	// MaxCapUSD bounds a token's monthly cap (the same ceiling as a budget).
	MaxCapUSD = 1_000_000
)

// Service creates, lists, revokes and authenticates tokens.
type Service struct {
	st    *store.Store
	audit *audit.Log
	log   *slog.Logger
	now   func() time.Time
}

// New builds the token service; now defaults to time.Now.
func New(st *store.Store, a *audit.Log, logger *slog.Logger, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, audit: a, log: logger, now: now}
}

// CreateInput is a request to create a token, as decoded from JSON (validated by Create).
type CreateInput struct {
	Name          string
	Scopes        []string
	MonthlyCapUSD *float64
	ExpiresAt     *time.Time
	Models        []string // nil: any model; a non-nil empty list is refused
}

// Create validates in and stores a new token for user. budget is the person's monthly budget
// that applies now (nil: none); a cap above it is refused. The secret is returned once, here.
func (s *Service) Create(ctx context.Context, user *model.User, budget *float64, in CreateInput) (*model.AccessToken, string, error) {
	t, err := s.validate(user.ID, budget, in)
	if err != nil {
		return nil, "", err
	}
	secret := NewSecret()
	sum := sha256.Sum256([]byte(secret))
	t.SecretHash, t.Prefix = sum[:], secret[:PrefixLen]
	t.ID = newID()
	if err := s.st.InsertAccessToken(ctx, t, MaxPerPerson); err != nil {
		if errors.Is(err, store.ErrTooMany) {
			return nil, "", model.Errf(model.CodeTooManyTokens, "You already hold %d tokens. Revoke one you no longer use first.", MaxPerPerson)
		}
		return nil, "", err
	}
	s.log.Info("token created", "user_id", user.ID, "token_id", t.ID)
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(user), Action: audit.ActionTokenCreate,
		Target: &audit.Target{Type: audit.TargetToken, ID: t.ID}, Detail: map[string]any{"name": t.Name, "scopes": t.Scopes}})
	return t, secret, nil
}

func (s *Service) validate(userID int64, budget *float64, in CreateInput) (*model.AccessToken, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > MaxNameChars {
		return nil, model.Errf(model.CodeInvalidInput, "Give the token a name of 1 to %d characters.", MaxNameChars)
	}
	if len(in.Scopes) == 0 {
		return nil, model.Errf(model.CodeInvalidInput, "Choose at least one scope: %s.", strings.Join(model.Scopes, ", "))
	}
	for _, sc := range in.Scopes {
		if !slices.Contains(model.Scopes, sc) {
			return nil, model.Errf(model.CodeInvalidInput, "Unknown scope. Scopes are %s.", strings.Join(model.Scopes, ", "))
		}
	}
	var scopes []string // the contract's order, each once
	for _, sc := range model.Scopes {
		if slices.Contains(in.Scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	t := &model.AccessToken{UserID: userID, Name: name, Scopes: scopes}
	if c := in.MonthlyCapUSD; c != nil {
		if math.IsNaN(*c) || math.IsInf(*c, 0) || *c < 0 || *c > MaxCapUSD {
			return nil, model.Errf(model.CodeInvalidInput, "A monthly cap is an amount in USD of 0 or more, or null for none.")
		}
		if budget != nil && *c > *budget+1e-9 {
			return nil, model.Errf(model.CodeInvalidInput, "A token's monthly cap cannot exceed your monthly budget of $%s.", trimUSD(*budget))
		}
		v := math.Round(*c*1e6) / 1e6
		t.MonthlyCapUSD = &v
	}
	if in.Models != nil {
		if len(in.Models) == 0 || len(in.Models) > MaxModels {
			return nil, model.Errf(model.CodeInvalidInput, "List 1 to %d models, or leave the list out for any model.", MaxModels)
		}
		for _, m := range in.Models {
			m = strings.TrimSpace(m)
			if !generation.ValidModelID(m) {
				return nil, model.Errf(model.CodeInvalidInput, "Each model must be a fal model id like fal-ai/flux/dev.")
			}
			if !slices.Contains(t.Models, m) {
				t.Models = append(t.Models, m)
			}
		}
	}
	if in.ExpiresAt != nil {
		if !in.ExpiresAt.After(s.now()) {
			return nil, model.Errf(model.CodeInvalidInput, "expiresAt must be a time in the future.")
		}
		e := in.ExpiresAt.UTC()
		t.ExpiresAt = &e
	}
	return t, nil
}

func trimUSD(v float64) string {
	s := fmt.Sprintf("%.6f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if !strings.Contains(s, ".") {
		return s
	}
	if i := strings.IndexByte(s, '.'); len(s)-i == 2 {
		s += "0"
	}
	return s
}

// Listed is a token with what it has spent this month.
type Listed struct {
	*model.AccessToken
	SpentThisMonthUSD float64
}

// List returns the person's unrevoked tokens, newest first, with this month's spend
// ([monthStart, monthEnd), the budget's calendar month).
func (s *Service) List(ctx context.Context, userID int64, monthStart, monthEnd time.Time) ([]Listed, error) {
	toks, err := s.st.AccessTokens(ctx, userID)
	if err != nil {
		return nil, err
	}
	spent, err := s.st.TokenSpent(ctx, userID, monthStart, monthEnd)
	if err != nil {
		return nil, err
	}
	out := make([]Listed, 0, len(toks))
	for _, t := range toks {
		out = append(out, Listed{AccessToken: t, SpentThisMonthUSD: math.Round(spent[t.ID]*1e6) / 1e6})
	}
	return out, nil
}

// Revoke ends one of the person's tokens at once; another's or a missing one is not found.
func (s *Service) Revoke(ctx context.Context, user *model.User, id string) error {
	t, err := s.st.RevokeAccessToken(ctx, user.ID, id)
	if err != nil {
		return err
	}
	s.log.Info("token revoked", "user_id", user.ID, "token_id", t.ID)
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(user), Action: audit.ActionTokenRevoke,
		Target: &audit.Target{Type: audit.TargetToken, ID: t.ID}, Detail: map[string]any{"name": t.Name}})
	return nil
}

// ErrInvalid is any secret that does not authenticate: malformed, unknown, revoked, expired, or
// of a disabled person. Its message says which case without echoing the secret.
type ErrInvalid struct{ Reason string }

func (e *ErrInvalid) Error() string { return "token: " + e.Reason }

// Authenticate returns the token a bearer secret names and its person. It reads the database
// every time: a revocation or a disabled account holds at once on every replica.
func (s *Service) Authenticate(ctx context.Context, secret string) (*model.AccessToken, *model.User, error) {
	if !WellFormed(secret) {
		return nil, nil, &ErrInvalid{Reason: "The access token is malformed."}
	}
	sum := sha256.Sum256([]byte(secret))
	t, u, err := s.st.AccessTokenBySecretHash(ctx, sum[:])
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, &ErrInvalid{Reason: "The access token is not known."}
	}
	if err != nil {
		return nil, nil, err
	}
	// The lookup is by hash; comparing again in constant time keeps the check independent of
	// how the database compares.
	if subtle.ConstantTimeCompare(t.SecretHash, sum[:]) != 1 {
		return nil, nil, &ErrInvalid{Reason: "The access token is not known."}
	}
	now := s.now()
	switch {
	case t.RevokedAt != nil:
		return nil, nil, &ErrInvalid{Reason: "The access token was revoked."}
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return nil, nil, &ErrInvalid{Reason: "The access token has expired."}
	case u.Disabled():
		return nil, nil, &ErrInvalid{Reason: "The account of this access token is disabled."}
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= time.Minute {
		if err := s.st.TouchAccessToken(ctx, t.ID, now); err != nil {
			s.log.Warn("token use not recorded", "token_id", t.ID, "err", err)
		} else if t.LastUsedAt == nil {
			at := now.UTC()
			t.LastUsedAt = &at
		}
	}
	return t, u, nil
}

// WellFormed reports whether s looks like a secret: the prefix and 43 base64url characters.
func WellFormed(s string) bool {
	if len(s) != len(SecretPrefix)+43 || !strings.HasPrefix(s, SecretPrefix) {
		return false
	}
	for _, c := range s[len(SecretPrefix):] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// NewSecret is "fst_" and the unpadded base64url of 32 random bytes (256 bits).
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b)
}

func newID() string { return "tok_" + rand.Text()[:20] }
