package model

import (
	"slices"
	"strings"
	"time"
)

// The scopes of a personal access token (SPEC §11), in the order answers list them.
const (
	ScopeGenerate     = "generate"
	ScopeLibraryRead  = "library:read"
	ScopeLibraryWrite = "library:write"
	ScopeShare        = "share"
)

// Scopes are every scope, in the contract's order.
var Scopes = []string{ScopeGenerate, ScopeLibraryRead, ScopeLibraryWrite, ScopeShare}

// Error codes of SPEC §11 (model_not_allowed, shared with §12's policies, is in model.go).
const (
	CodeInsufficientScope = "insufficient_scope"
	CodeTooManyTokens     = "too_many_tokens"
)

// AccessToken is a personal access token. Only the SHA-256 of its secret is kept (SecretHash);
// the secret itself exists once, in the answer that created it.
type AccessToken struct {
	ID            string
	UserID        int64
	Name          string
	SecretHash    []byte
	Prefix        string // the secret's first 12 characters, to recognise it in a list
	Scopes        []string
	Models        []string // nil: any model the person may run
	MonthlyCapUSD *float64 // nil: no cap of its own
	CreatedAt     time.Time
	ExpiresAt     *time.Time
	LastUsedAt    *time.Time
	RevokedAt     *time.Time
}

// Has reports whether the token carries scope.
func (t *AccessToken) Has(scope string) bool { return slices.Contains(t.Scopes, scope) }

// Via is the token a submit came through: who made it, and the limits it runs under.
type Via struct {
	TokenID string
	Name    string
	CapUSD  *float64
	Models  []string
	// SubmitsPerMinute bounds the generations it may start in any 60 seconds (0: no limit).
	SubmitsPerMinute int
}

// Allows refuses a model outside the token's list with model_not_allowed (nil: any model).
func (v *Via) Allows(modelID string) error {
	if v == nil || v.Models == nil || slices.Contains(v.Models, strings.TrimSpace(modelID)) {
		return nil
	}
	return Errf(CodeModelNotAllowed, "This token may only run %s.", strings.Join(v.Models, ", "))
}
