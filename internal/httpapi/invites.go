package httpapi

import (
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/account"
	"github.com/falstudio/falstudio/internal/model"
)

// inviteJSON is the SPEC §6 Invite (never its token: only a hash is stored), plus its state.
type inviteJSON struct {
	ID        int64      `json:"id"`
	Email     *string    `json:"email"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt time.Time  `json:"expiresAt"`
	UsedAt    *time.Time `json:"usedAt"`
	UsedBy    *string    `json:"usedBy"` // the email of the account it created
	Revoked   bool       `json:"revoked"`
	State     string     `json:"state"` // pending | used | expired | revoked
}

func toInviteJSON(in *model.Invite, now time.Time) inviteJSON {
	j := inviteJSON{ID: in.ID, CreatedAt: in.CreatedAt, ExpiresAt: in.ExpiresAt, UsedAt: in.UsedAt, Revoked: in.RevokedAt != nil,
		State: account.InviteState(in, now)}
	if in.Email != "" {
		j.Email = &in.Email
	}
	if in.UsedAt != nil && in.UsedEmail != "" {
		j.UsedBy = &in.UsedEmail
	}
	return j
}

func (s *Server) listInvites(w http.ResponseWriter, r *http.Request) error {
	ins, err := s.Admin.Invites(r.Context())
	if err != nil {
		return err
	}
	now := s.Admin.Now()
	out := make([]inviteJSON, len(ins))
	for i, in := range ins {
		out[i] = toInviteJSON(in, now)
	}
	writeJSON(w, http.StatusOK, map[string]any{"invites": out})
	return nil
}

func (s *Server) createInvite(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email          string   `json:"email"`
		ExpiresInHours *float64 `json:"expiresInHours"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	var ttl time.Duration
	if in.ExpiresInHours != nil {
		h := *in.ExpiresInHours
		if math.IsNaN(h) || h < 1 || h > account.MaxInviteTTL.Hours() {
			return model.Errf(model.CodeInvalidInput, "expiresInHours must be from 1 to %d.", int(account.MaxInviteTTL.Hours()))
		}
		ttl = time.Duration(h * float64(time.Hour))
	}
	inv, tok, err := s.Admin.CreateInvite(r.Context(), currentUser(r.Context()), strings.TrimSpace(in.Email), ttl)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"invite": toInviteJSON(inv, s.Admin.Now()), "url": InviteURL(s.linkBase(r), tok)})
	return nil
}

func (s *Server) revokeInvite(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.Admin.RevokeInvite(r.Context(), currentUser(r.Context()), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkInvite tells the sign-up screen whether its invite works and which email it is for.
func (s *Server) checkInvite(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Invite string `json:"invite"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	inv, err := s.Accounts.CheckInvite(r.Context(), s.clientIP(r), strings.TrimSpace(in.Invite))
	if err != nil {
		return err
	}
	var email *string
	if inv.Email != "" {
		email = &inv.Email
	}
	writeJSON(w, http.StatusOK, map[string]any{"invite": map[string]any{"email": email, "expiresAt": inv.ExpiresAt}})
	return nil
}
