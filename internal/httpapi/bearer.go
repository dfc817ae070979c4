package httpapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/token"
)

// Personal access tokens on the REST API (SPEC §11). A request with "Authorization: Bearer …" is
// authenticated by that token alone (cookies ignored, no cross-origin check: no cookie rides
// along) and reaches only the routes of its scopes. Other schemes are ignored.

const ctxToken ctxKey = 100

// access is what a route lets in; the route table records it (routeHandler), so the OpenAPI
// document's security is built from the same table as the routes (openapi.go).
type access struct {
	public bool     // no session needed (the bearer header, if any, is refused or ignored by the handler)
	bearer bool     // a token may call it
	scopes []string // any one of these scopes is enough; empty with bearer: any token
	admin  bool
	// tokenOnly: a cookie session does not reach it (/mcp).
	tokenOnly bool
}

// routeHandler is a route's handler with its access rule.
type routeHandler struct {
	http.Handler
	access access
}

// bearerSecret returns the token of an "Authorization: Bearer …" header (the scheme name is
// case-insensitive); ok is false without one or with another scheme.
func bearerSecret(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

func currentToken(ctx context.Context) *model.AccessToken {
	t, _ := ctx.Value(ctxToken).(*model.AccessToken)
	return t
}

// via is the token a request came through, with the limits its submits run under (nil from a
// cookie session).
func (s *Server) via(r *http.Request) *model.Via { return s.viaOf(currentToken(r.Context())) }

func (s *Server) viaOf(t *model.AccessToken) *model.Via {
	if t == nil {
		return nil
	}
	return &model.Via{TokenID: t.ID, Name: t.Name, CapUSD: t.MonthlyCapUSD, Models: t.Models, SubmitsPerMinute: s.cfg.TokenSubmitsPerMinute}
}

// unauthorizedToken answers 401 with the challenge RFC 6750 describes; the message says which
// case applies and never echoes the token.
func unauthorizedToken(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="fal-studio", error="invalid_token"`)
	errorJSON(w, http.StatusUnauthorized, model.CodeUnauthenticated, msg)
}

// authenticateBearer checks a bearer secret; on failure it has answered and returns nil.
func (s *Server) authenticateBearer(w http.ResponseWriter, r *http.Request, secret string) *http.Request {
	t, u, err := s.Tokens.Authenticate(r.Context(), secret)
	if err != nil {
		var inv *token.ErrInvalid
		if errors.As(err, &inv) {
			unauthorizedToken(w, inv.Reason)
		} else {
			s.writeError(w, r, err)
		}
		return nil
	}
	if li, ok := r.Context().Value(ctxLogInfo).(*logInfo); ok {
		li.userID = u.ID
	}
	return r.WithContext(context.WithValue(context.WithValue(r.Context(), ctxUser, u), ctxToken, t))
}

// scopeMessage says what a token lacks for a route.
func scopeMessage(a access) string {
	if !a.bearer {
		return "Access tokens cannot manage the account, its tokens or the studio; use the studio in a browser."
	}
	return "This access token needs the " + strings.Join(a.scopes, " or ") + " scope for this route."
}

// guard serves a route under its access rule: a bearer request is authenticated by its token
// and checked against the route's scopes before anything else; any other request goes to next
// (the cookie session check for an authenticated route, nothing for a public one).
func (s *Server) guard(a access, next http.Handler, tokenHandler http.Handler) http.Handler {
	return routeHandler{access: a, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearerSecret(r)
		if !ok || s.Tokens == nil {
			next.ServeHTTP(w, r)
			return
		}
		r = s.authenticateBearer(w, r, secret)
		if r == nil {
			return
		}
		t := currentToken(r.Context())
		if !a.bearer || (len(a.scopes) > 0 && !slices.ContainsFunc(a.scopes, t.Has)) {
			errorJSON(w, http.StatusForbidden, model.CodeInsufficientScope, scopeMessage(a))
			return
		}
		tokenHandler.ServeHTTP(w, r)
	})}
}

// scoped is a route that a cookie session or a token with one of scopes may call (no scopes:
// any token).
func (s *Server) scoped(h handlerFunc, scopes ...string) http.Handler {
	return s.guard(access{bearer: true, scopes: scopes}, s.cookieAuthed(h), s.adapt(h))
}

// noTokens is a public route (sign-up, login, reset) that a token may not call.
func (s *Server) noTokens(h http.Handler) http.Handler {
	return s.guard(access{public: true}, h, h)
}

// isBearer reports whether a request carries a bearer token (exempt from the cross-origin check).
func isBearer(r *http.Request) bool {
	_, ok := bearerSecret(r)
	return ok
}
