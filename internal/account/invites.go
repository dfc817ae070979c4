package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strconv"
	"time"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Invite lifetimes.
const (
	DefaultInviteTTL = 7 * 24 * time.Hour
	MaxInviteTTL     = 90 * 24 * time.Hour
	maxInvitesListed = 500
	maxTokenLen      = 64 // tokens are 26 characters; anything longer is not ours
)

var errInviteInvalid = model.Errf(model.CodeInviteInvalid, "This invite link is not valid: it was used, revoked or has expired, or it is meant for another email. Ask for a new one.")

// newToken is a random one-time token (130 bits from crypto/rand, base32 text, URL-safe).
func newToken() string { return rand.Text() }

// tokenHash is what is stored of a token: a database copy cannot be replayed as a link.
func tokenHash(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

func inviteTarget(id int64) *audit.Target {
	return &audit.Target{Type: audit.TargetInvite, ID: strconv.FormatInt(id, 10)}
}

// InviteState says whether an invite can still be used.
func InviteState(in *store.Invite, now time.Time) string {
	switch {
	case in.UsedAt != nil:
		return "used"
	case in.RevokedAt != nil:
		return "revoked"
	case !now.Before(in.ExpiresAt):
		return "expired"
	}
	return "pending"
}

// usableInvite finds the invite for a token and checks it can admit email.
func (s *Service) usableInvite(ctx context.Context, token, email string) (*store.Invite, error) {
	if len(token) > maxTokenLen {
		return nil, errInviteInvalid
	}
	in, err := s.st.InviteByTokenHash(ctx, tokenHash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInviteInvalid
	}
	if err != nil {
		return nil, err
	}
	if InviteState(in, s.now()) != "pending" || (email != "" && in.Email != "" && in.Email != email) {
		return nil, errInviteInvalid
	}
	return in, nil
}

// CheckInvite tells the sign-up screen whether an invite link works and which email it is
// bound to. It is rate-limited like sign-up, so it cannot be used to guess tokens.
func (s *Service) CheckInvite(ctx context.Context, ip, token string) (*store.Invite, error) {
	if err := s.throttle(ip, ""); err != nil {
		return nil, err
	}
	return s.usableInvite(ctx, token, "")
}

// CreateInvite makes an invite, optionally bound to one email, valid for ttl (0: 7 days).
// The token is returned only here; the store keeps its hash.
func (a *Admin) CreateInvite(ctx context.Context, admin *model.User, rawEmail string, ttl time.Duration) (*store.Invite, string, error) {
	email := ""
	if rawEmail != "" {
		e, err := NormalizeEmail(rawEmail)
		if err != nil {
			return nil, "", err
		}
		email = e
	}
	if ttl == 0 {
		ttl = DefaultInviteTTL
	}
	if ttl < time.Hour || ttl > MaxInviteTTL {
		return nil, "", model.Errf(model.CodeInvalidInput, "An invite expires after 1 hour to 90 days (expiresInHours from 1 to 2160).")
	}
	tok := newToken()
	in, err := a.st.InsertInvite(ctx, tokenHash(tok), email, admin.ID, a.now().Add(ttl))
	if err != nil {
		return nil, "", err
	}
	detail := map[string]any{"expiresInHours": int64(ttl / time.Hour)}
	if email != "" {
		detail["email"] = email
	}
	a.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(admin), Action: audit.ActionInviteCreate, Target: inviteTarget(in.ID), Detail: detail})
	return in, tok, nil
}

// Invites lists invites, newest first (never their tokens: only hashes are stored).
func (a *Admin) Invites(ctx context.Context) ([]*store.Invite, error) {
	return a.st.Invites(ctx, maxInvitesListed)
}

// RevokeInvite revokes an unused invite at once; revoking twice is fine, a used one is refused.
func (a *Admin) RevokeInvite(ctx context.Context, admin *model.User, id int64) error {
	revoked, err := a.st.RevokeInvite(ctx, id)
	if errors.Is(err, store.ErrConflict) {
		return model.Errf(model.CodeConflict, "This invite was already used. To remove that account's access, disable or delete the account.")
	}
	if err != nil {
		return err
	}
	if revoked {
		a.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(admin), Action: audit.ActionInviteRevoke, Target: inviteTarget(id)})
	}
	return nil
}
