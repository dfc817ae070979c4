package httpapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/falstudio/falstudio/internal/account"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/sso"
)

// oidcCookie binds a sign-in or link in progress to this browser (SPEC §12.1). It holds a random
// id whose hash keys the server-side flow; SameSite=Lax so it comes back with the provider's
// redirect.
const (
	oidcCookie  = "falstudio_oidc"
	oidcFlowTTL = 10 * time.Minute
	maxInvite   = 64
)

// ssoErrorCodes are the refusals the callback names in ?ssoError= (anything else is sso_failed).
var ssoErrorCodes = map[string]bool{
	model.CodeStateInvalid: true, model.CodeSSOFailed: true, model.CodeSSOUnavailable: true, model.CodeSSOEmailMissing: true,
	model.CodeAccountExists: true, model.CodeAccountDisabled: true, model.CodeInviteRequired: true, model.CodeInviteInvalid: true,
	model.CodeSignupClosed: true, model.CodeSSONotRegistered: true, model.CodeSSOAlreadyLinked: true,
}

func ssoRedirect(w http.ResponseWriter, r *http.Request, code string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/?ssoError="+url.QueryEscape(code), http.StatusFound)
}

// beginFlow stores a fresh flow and sets its cookie; it answers the authorization request URL.
func (s *Server) beginFlow(ctx context.Context, w http.ResponseWriter, invite string, userID int64) (string, error) {
	f := sso.NewFlow()
	authURL, err := s.SSO.AuthURL(ctx, f)
	if err != nil {
		return "", err
	}
	id := sso.NewFlowID()
	if err := s.Accounts.SaveSSOFlow(ctx, sso.HashFlowID(id), account.SSOFlow{State: f.State, Nonce: f.Nonce, Verifier: f.Verifier,
		Invite: invite, UserID: userID, ExpiresAt: time.Now().Add(oidcFlowTTL)}); err != nil {
		return "", err
	}
	s.setCookie(w, oidcCookie, id, oidcFlowTTL)
	return authURL, nil
}

// oidcStart sends the browser to the provider (GET /api/auth/oidc/start[?invite=]).
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) error {
	invite := r.URL.Query().Get("invite")
	if len(invite) > maxInvite {
		ssoRedirect(w, r, model.CodeInviteInvalid)
		return nil
	}
	authURL, err := s.beginFlow(r.Context(), w, invite, 0)
	if errors.Is(err, sso.ErrUnavailable) {
		ssoRedirect(w, r, model.CodeSSOUnavailable)
		return nil
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, authURL, http.StatusFound)
	return nil
}

// oidcCallback finishes a sign-in or a link (GET /api/auth/oidc/callback): the one GET that
// changes state, protected by the flow cookie. Every refusal redirects to /?ssoError=<code>.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	ctx, ip := r.Context(), s.clientIP(r)
	q := r.URL.Query()
	var flow *account.SSOFlow
	if c, err := r.Cookie(s.cookieName(oidcCookie)); err == nil && c.Value != "" && len(c.Value) <= 128 {
		// Taken (deleted) whatever follows: a flow is used once.
		f, err := s.Accounts.TakeSSOFlow(ctx, sso.HashFlowID(c.Value))
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return err
		}
		flow = f
	}
	s.setCookie(w, oidcCookie, "", -1)
	state := q.Get("state")
	if flow == nil || state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(flow.State)) != 1 {
		s.Accounts.RecordSSOFailure(ctx, ip, nil, model.CodeStateInvalid)
		ssoRedirect(w, r, model.CodeStateInvalid)
		return nil
	}
	// A link must finish in the session that started it.
	var linker *model.User
	if flow.UserID != 0 {
		if c, err := r.Cookie(s.cookieName(sessionCookie)); err == nil && c.Value != "" {
			if u, _, err := s.Accounts.Authenticate(ctx, c.Value); err == nil && u.ID == flow.UserID {
				linker = u
			}
		}
		if linker == nil {
			s.Accounts.RecordSSOFailure(ctx, ip, nil, model.CodeStateInvalid)
			ssoRedirect(w, r, model.CodeStateInvalid)
			return nil
		}
	}
	if q.Get("error") != "" {
		s.Accounts.RecordSSOFailure(ctx, ip, linker, model.CodeSSOFailed)
		ssoRedirect(w, r, model.CodeSSOFailed)
		return nil
	}
	code := q.Get("code")
	if code == "" || len(code) > 4096 {
		s.Accounts.RecordSSOFailure(ctx, ip, linker, model.CodeSSOFailed)
		ssoRedirect(w, r, model.CodeSSOFailed)
		return nil
	}
	id, err := s.SSO.Exchange(ctx, code, sso.Flow{State: flow.State, Nonce: flow.Nonce, Verifier: flow.Verifier})
	if err != nil {
		// The cause names the failed check, never a code, token or secret.
		s.log.Warn("sso sign-in failed", "err", err)
		s.Accounts.RecordSSOFailure(ctx, ip, linker, model.CodeSSOFailed)
		ssoRedirect(w, r, model.CodeSSOFailed)
		return nil
	}
	if linker != nil {
		if err := s.Accounts.LinkSSO(ctx, ip, linker, id.Issuer, id.Subject); err != nil {
			return s.ssoRefusal(w, r, err)
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, "/?ssoLinked=1", http.StatusFound)
		return nil
	}
	in := account.SSOSignIn{Issuer: id.Issuer, Subject: id.Subject, Email: id.Email, Invite: flow.Invite, AutoRegister: s.SSO.Config().AutoRegister}
	if len(s.SSO.Config().AdminGroups) > 0 {
		admin := s.SSO.IsAdmin(id.Groups)
		in.Admin = &admin
	}
	_, tok, err := s.Accounts.SignInSSO(ctx, ip, in)
	if err != nil {
		return s.ssoRefusal(w, r, err)
	}
	s.setSessionCookie(w, tok)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/", http.StatusFound)
	return nil
}

// ssoRefusal redirects with the refusal's code; an unexpected error is logged and is sso_failed.
func (s *Server) ssoRefusal(w http.ResponseWriter, r *http.Request, err error) error {
	var me *model.Error
	if errors.As(err, &me) && ssoErrorCodes[me.Code] {
		ssoRedirect(w, r, me.Code)
		return nil
	}
	s.log.Error("sso callback failed", "err", err)
	ssoRedirect(w, r, model.CodeSSOFailed)
	return nil
}

// oidcLink starts linking single sign-on to the signed-in account (POST /api/me/oidc/link).
func (s *Server) oidcLink(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Password *string `json:"password"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	me := currentUser(r.Context())
	pw := ""
	if in.Password != nil {
		pw = *in.Password
	}
	if err := s.Accounts.CheckLinkable(r.Context(), s.clientIP(r), me, pw, in.Password != nil && pw != ""); err != nil {
		return err
	}
	authURL, err := s.beginFlow(r.Context(), w, "", me.ID)
	if errors.Is(err, sso.ErrUnavailable) {
		return model.Errf(model.CodeSSOUnavailable, "Single sign-on is not available right now: the identity provider cannot be reached. Try again in a minute.")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"url": authURL})
	return nil
}

// oidcUnlink removes the account's link (DELETE /api/me/oidc).
func (s *Server) oidcUnlink(w http.ResponseWriter, r *http.Request) error {
	if err := s.Accounts.UnlinkSSO(r.Context(), s.clientIP(r), currentUser(r.Context())); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// oidcStatus is /api/status's "oidc".
func (s *Server) oidcStatus() map[string]any {
	if s.SSO == nil {
		return map[string]any{"enabled": false, "label": "", "passwordLogin": true}
	}
	c := s.SSO.Config()
	return map[string]any{"enabled": true, "label": c.ButtonLabel, "passwordLogin": c.PasswordLogin}
}

// ssoJSON is GET /api/me's "sso".
type ssoJSON struct {
	Issuer   string    `json:"issuer"`
	LinkedAt time.Time `json:"linkedAt"`
}
