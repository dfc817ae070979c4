package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/account"
	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/cost"
	"github.com/falstudio/falstudio/internal/model"
)

// admin requires a session of an admin: a member gets 403 forbidden, no session 401.
func (s *Server) admin(h handlerFunc) http.Handler {
	return s.guard(access{admin: true}, s.cookieAuthed(func(w http.ResponseWriter, r *http.Request) error {
		if !currentUser(r.Context()).IsAdmin() {
			return account.ErrForbidden
		}
		return h(w, r)
	}), nil)
}

// adminUserJSON is the SPEC §6 AdminUser: never the hash or the key, only hasFalKey.
type adminUserJSON struct {
	ID                int64      `json:"id"`
	Email             string     `json:"email"`
	Role              string     `json:"role"`
	Disabled          bool       `json:"disabled"`
	HasFalKey         bool       `json:"hasFalKey"`
	CreatedAt         time.Time  `json:"createdAt"`
	LastSeenAt        *time.Time `json:"lastSeenAt"`
	Generations       int64      `json:"generations"`
	Assets            int64      `json:"assets"`
	Bytes             int64      `json:"bytes"`
	SpentThisMonthUSD float64    `json:"spentThisMonthUsd"`
	MonthlyBudgetUSD  *float64   `json:"monthlyBudgetUsd"`
	PolicyID          *string    `json:"policyId"`
	SSOLinked         bool       `json:"ssoLinked"`
}

// toAdminUserJSON joins an account's usage (account) with its spending this month (cost).
func toAdminUserJSON(a *account.AdminUser, sp cost.Spend) adminUserJSON {
	out := adminUserJSON{ID: a.User.ID, Email: a.User.Email, Role: a.User.Role, Disabled: a.User.Disabled(), HasFalKey: a.User.HasFalKey(),
		CreatedAt: a.User.CreatedAt, LastSeenAt: a.LastSeenAt, Generations: a.Generations, Assets: a.Assets, Bytes: a.Bytes,
		SpentThisMonthUSD: sp.SpentThisMonthUSD, MonthlyBudgetUSD: sp.MonthlyBudgetUSD, SSOLinked: a.SSOLinked}
	if a.User.PolicyID != "" {
		out.PolicyID = &a.User.PolicyID
	}
	return out
}

// pathID is the {id} of the route; anything that is not one of our ids is simply not found.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, model.ErrNotFound
	}
	return id, nil
}

// linkBase is the origin reset and invite links are made for: PUBLIC_URL; without it the
// origin of the admin's own page (the browser's Origin header, which a page cannot forge and a
// misrouting proxy does not rewrite), never the Host header; with neither, "" — the answer is
// then a path on the studio ("/reset#token=…"), which the admin's client completes.
func (s *Server) linkBase(r *http.Request) string {
	if s.cfg.PublicURL != nil {
		return s.cfg.PublicURL.Scheme + "://" + s.cfg.PublicURL.Host
	}
	o, err := url.Parse(r.Header.Get("Origin"))
	if err != nil || (o.Scheme != "http" && o.Scheme != "https") || o.Host == "" || o.User != nil ||
		(o.Path != "" && o.Path != "/") || o.RawQuery != "" || o.Fragment != "" {
		return ""
	}
	return o.Scheme + "://" + o.Host
}

func (s *Server) listAdminUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := s.Admin.Users(r.Context())
	if err != nil {
		return err
	}
	spend, err := s.Costs.AdminSpend(r.Context())
	if err != nil {
		return err
	}
	out := make([]adminUserJSON, len(us))
	for i := range us {
		out[i] = toAdminUserJSON(&us[i], spend[us[i].User.ID])
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

// optionalNumber tells an absent field (Set false) from null (Set, Value nil) and a number.
type optionalNumber struct {
	Set   bool
	Value *float64
}

func (o *optionalNumber) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Value = nil
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.Value = &v
	return nil
}

func (s *Server) patchAdminUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		Role             *string        `json:"role"`
		Disabled         *bool          `json:"disabled"`
		MonthlyBudgetUSD optionalNumber `json:"monthlyBudgetUsd"` // null: no budget
		PolicyID         optionalString `json:"policyId"`         // null: none
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	// Applied whole or not at all: every field is checked, and every refusal (the last admin)
	// found, before anything is written; the budget, which cannot be refused once valid, last.
	if in.Role != nil && *in.Role != model.RoleAdmin && *in.Role != model.RoleMember {
		return model.Errf(model.CodeInvalidInput, `The role must be "admin" or "member".`)
	}
	if in.MonthlyBudgetUSD.Set {
		if err := cost.ValidBudget(in.MonthlyBudgetUSD.Value); err != nil {
			return err
		}
	}
	me := currentUser(r.Context())
	actor := audit.ActorOf(me)
	ctx := r.Context()
	if _, err := s.Admin.User(ctx, id); err != nil {
		return err
	}
	if in.PolicyID.Set && in.PolicyID.Value != "" {
		if _, err := s.Policies.Get(ctx, in.PolicyID.Value); err != nil {
			return model.Errf(model.CodeInvalidInput, "policyId names no policy.")
		}
	}
	if err := s.Admin.CheckChange(ctx, id, in.Role, in.Disabled); err != nil {
		return err
	}
	if in.Role != nil {
		if err := s.Admin.SetRole(ctx, actor, id, *in.Role); err != nil {
			return err
		}
	}
	if in.Disabled != nil {
		if err := s.Admin.SetDisabled(ctx, actor, id, *in.Disabled); err != nil {
			return err
		}
	}
	if in.PolicyID.Set {
		if err := s.Policies.Assign(ctx, me, id, in.PolicyID.Value); err != nil {
			return err
		}
	}
	if in.MonthlyBudgetUSD.Set {
		if err := s.Costs.SetAdminBudget(ctx, me, id, in.MonthlyBudgetUSD.Value); err != nil {
			return err
		}
	}
	u, err := s.Admin.User(ctx, id)
	if err != nil {
		return err
	}
	spend, err := s.Costs.AdminSpend(ctx)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": toAdminUserJSON(u, spend[id])})
	return nil
}

// deleteAccount is the one way an account is deleted, by its owner (DELETE /api/me) or by an
// admin: a delete that would be refused (the last admin) is refused before anything is done;
// then the account's unfinished jobs are canceled at fal (their results would be thrown away, and
// fal bills only what runs); then the account, its rows and its stored objects go.
func (s *Server) deleteAccount(ctx context.Context, actor *audit.Actor, userID int64) error {
	if err := s.Admin.CheckDeletable(ctx, userID); err != nil {
		return err
	}
	s.cancelActiveJobs(ctx, userID)
	return s.Admin.DeleteUser(ctx, actor, userID)
}

// cancelActiveJobs asks fal to stop an account's unfinished jobs (generation.CancelActive: best
// effort and bounded; whatever cannot be canceled is still deleted with the account).
func (s *Server) cancelActiveJobs(ctx context.Context, userID int64) {
	if s.Generations != nil {
		s.Generations.CancelActive(ctx, userID)
	}
}

func (s *Server) deleteAdminUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	// An unknown id is not found by the delete itself (after canceling nothing).
	if err := s.deleteAccount(r.Context(), audit.ActorOf(currentUser(r.Context())), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createPasswordReset(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	tok, exp, err := s.Admin.CreateResetLink(r.Context(), audit.ActorOf(currentUser(r.Context())), id)
	if err != nil {
		return err
	}
	// The token rides in the fragment: browsers never send it to the server or in a Referer.
	writeJSON(w, http.StatusCreated, map[string]any{"url": ResetURL(s.linkBase(r), tok), "expiresAt": exp})
	return nil
}

// ResetURL is the link that opens the reset page with the token (also printed by the CLI).
func ResetURL(base, token string) string {
	return strings.TrimRight(base, "/") + "/reset#token=" + url.QueryEscape(token)
}

// InviteURL is the link that opens the sign-up screen with the invite filled in. Like a reset
// token, the invite rides in the fragment: browsers never send it to the server, a proxy's
// access log or a Referer.
func InviteURL(base, token string) string {
	return strings.TrimRight(base, "/") + "/#invite=" + url.QueryEscape(token)
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token       string `json:"token"`
		NewPassword string `json:"newPassword"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Accounts.ResetPassword(r.Context(), s.clientIP(r), strings.TrimSpace(in.Token), in.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteMe(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Password string `json:"password"`
		Email    string `json:"email"` // the confirmation of an account without a password
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	me := currentUser(r.Context())
	if !me.HasPassword() {
		if !strings.EqualFold(strings.TrimSpace(in.Email), me.Email) {
			return model.Errf(model.CodeInvalidInput, "Type the account's email to confirm.")
		}
	} else if err := s.Accounts.CheckPassword(r.Context(), s.clientIP(r), me, in.Password); err != nil {
		return err
	}
	if err := s.deleteAccount(r.Context(), audit.ActorOf(me), me.ID); err != nil {
		return err
	}
	s.clearSessionCookie(w)
	w.Header().Set("Clear-Site-Data", `"cookies"`)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > audit.MaxLimit {
			return model.Errf(model.CodeInvalidInput, "limit must be a number from 1 to %d.", audit.MaxLimit)
		}
		limit = n
	}
	p, err := s.Audit.List(r.Context(), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	var next *string
	if p.NextCursor != "" {
		next = &p.NextCursor
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": p.Events, "nextCursor": next})
	return nil
}
