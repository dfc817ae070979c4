package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/falstudio/falstudio/internal/account"
	"github.com/falstudio/falstudio/internal/model"
)

// userJSON is exactly the SPEC User object: never the hash, never the key.
type userJSON struct {
	ID        int64  `json:"id"`
	Email     string `json:"email"`
	HasFalKey bool   `json:"hasFalKey"`
	Role      string `json:"role"`
}

func toUserJSON(u *model.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, HasFalKey: u.HasFalKey(), Role: u.Role}
}

type userResponse struct {
	User userJSON `json:"user"`
}

// meResponse is GET /api/me: the User, and beside it what only the person sees (SPEC §12).
type meResponse struct {
	User        userJSON    `json:"user"`
	HasPassword bool        `json:"hasPassword"`
	SSO         *ssoJSON    `json:"sso"`
	Policy      *policyJSON `json:"policy"`
}

// cookieName names one of the studio's cookies: the __Host- prefix pins it to this exact origin,
// and browsers allow that prefix only with Secure.
func (s *Server) cookieName(base string) string {
	if s.cfg.SecureCookies() {
		return "__Host-" + base
	}
	return base
}

// setCookie sets (maxAge > 0) or expires (maxAge < 0) one of the studio's cookies: HttpOnly,
// SameSite=Lax, the whole origin, Secure with PUBLIC_URL.
func (s *Server) setCookie(w http.ResponseWriter, base, value string, maxAge time.Duration) {
	age := int(maxAge / time.Second)
	if maxAge < 0 {
		age = -1
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(base), Value: value, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies(),
		SameSite: http.SameSiteLaxMode, MaxAge: age,
	})
}

const (
	sessionCookie = "falstudio_session"
	// deviceCookie marks a browser that has signed in before (see account.LoginFrom). It lives a
	// year and is kept at logout: it says "this browser knew the password", never who is signed in.
	deviceCookie = "falstudio_device"
)

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	s.setCookie(w, sessionCookie, token, account.AbsoluteTimeout)
}

func (s *Server) setDeviceCookie(w http.ResponseWriter, token string) {
	s.setCookie(w, deviceCookie, token, account.DeviceTTL)
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) { s.setCookie(w, sessionCookie, "", -1) }

func currentUser(ctx context.Context) *model.User {
	u, _ := ctx.Value(ctxUser).(*model.User)
	return u
}

func currentSession(ctx context.Context) *model.Session {
	ss, _ := ctx.Value(ctxSession).(*model.Session)
	return ss
}

// authed requires a valid session and puts the user in the context. A token never reaches such
// a route (403 insufficient_scope); scoped names the routes tokens may call.
func (s *Server) authed(h handlerFunc) http.Handler {
	return s.guard(access{}, s.cookieAuthed(h), nil)
}

// cookieAuthed is the session check itself.
func (s *Server) cookieAuthed(h handlerFunc) http.Handler {
	return s.adapt(func(w http.ResponseWriter, r *http.Request) error {
		c, err := r.Cookie(s.cookieName(sessionCookie))
		if err != nil || c.Value == "" {
			return account.ErrNoSession
		}
		u, ss, err := s.Accounts.Authenticate(r.Context(), c.Value)
		if err != nil {
			return err
		}
		if li, ok := r.Context().Value(ctxLogInfo).(*logInfo); ok {
			li.userID = u.ID
		}
		ctx := context.WithValue(context.WithValue(r.Context(), ctxUser, u), ctxSession, ss)
		return h(w, r.WithContext(ctx))
	})
}

type credentials struct {
	Email    string `json:"email" required:"true"`
	Password string `json:"password" required:"true"`
}

func (s *Server) signup(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		credentials
		Invite string `json:"invite"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if s.Accounts.PasswordSignupOff() {
		return model.Errf(model.CodePasswordLoginDisabled, "Password sign-up is turned off on this studio. Use single sign-on (with the invite link, if you have one).")
	}
	u, tok, err := s.Accounts.SignUpWithInvite(r.Context(), s.clientIP(r), in.Email, in.Password, in.Invite)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, tok)
	writeJSON(w, http.StatusCreated, userResponse{toUserJSON(u)})
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var in credentials
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	device := ""
	if c, err := r.Cookie(s.cookieName(deviceCookie)); err == nil {
		device = c.Value
	}
	u, tok, device, err := s.Accounts.LoginFrom(r.Context(), s.clientIP(r), device, in.Email, in.Password)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, tok)
	if device != "" {
		s.setDeviceCookie(w, device)
	}
	writeJSON(w, http.StatusOK, userResponse{toUserJSON(u)})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.Accounts.Logout(r.Context(), currentSession(r.Context()).ID); err != nil {
		return err
	}
	// Only the session cookie goes (no Clear-Site-Data "cookies"): the device cookie stays, so
	// this browser is still known at its next login.
	s.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) error {
	me := currentUser(r.Context())
	out := meResponse{User: toUserJSON(me), HasPassword: me.HasPassword()}
	link, err := s.Accounts.SSOLink(r.Context(), me.ID)
	if err != nil {
		return err
	}
	if link != nil {
		out.SSO = &ssoJSON{Issuer: link.Issuer, LinkedAt: link.LinkedAt}
	}
	if out.Policy, err = s.myPolicy(r.Context(), me); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		CurrentPassword string `json:"currentPassword"` // required when the account has a password
		NewPassword     string `json:"newPassword" required:"true"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	tok, err := s.Accounts.ChangePassword(r.Context(), s.clientIP(r), currentUser(r.Context()), currentSession(r.Context()).ID, in.CurrentPassword, in.NewPassword)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, tok)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) putFalKey(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		FalKey string `json:"falKey" required:"true"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.Accounts.SetFalKey(r.Context(), currentUser(r.Context()).ID, in.FalKey)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userResponse{toUserJSON(u)})
	return nil
}

func (s *Server) deleteFalKey(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Accounts.RemoveFalKey(r.Context(), currentUser(r.Context()).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userResponse{toUserJSON(u)})
	return nil
}
