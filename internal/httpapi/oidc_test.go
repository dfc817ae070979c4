package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/falstudio/falstudio/internal/oidctest"
	"github.com/falstudio/falstudio/internal/testutil"
)

// ssoEnv is a studio signing in through a real OpenID provider (zitadel's op) on 127.0.0.1.
type ssoEnv struct {
	studio *testutil.Studio
	op     *oidctest.Provider
}

const (
	ssoClientID = "studio"
	ssoSecret   = "studio-client-secret-for-tests"
	opPassword  = "provider-password"
)

var ssoUsers = []oidctest.User{
	{ID: "sub-ann", Username: "ann", Password: opPassword, Email: "Ann@Example.com", Groups: []string{"studio-admins"}},
	{ID: "sub-bob", Username: "bob", Password: opPassword, Email: "bob@example.com", Groups: []string{"family"}},
	{ID: "sub-cy", Username: "cy", Password: opPassword, Email: "cy@example.com"},
}

func newSSOEnv(t *testing.T, env map[string]string) *ssoEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := "http://" + ln.Addr().String()
	op, err := oidctest.Start("127.0.0.1:0", ssoUsers, []oidctest.Client{
		{ID: ssoClientID, Secret: ssoSecret, RedirectURIs: []string{public + "/api/auth/oidc/callback"}},
		{ID: "other", Secret: "other-secret", RedirectURIs: []string{"http://127.0.0.1:9/other/callback"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := op.Close(); err != nil {
			t.Errorf("provider close: %v", err)
		}
	})
	e := map[string]string{"PUBLIC_URL": public, "OIDC_ISSUER": op.Issuer, "OIDC_CLIENT_ID": ssoClientID, "OIDC_CLIENT_SECRET": ssoSecret}
	for k, v := range env {
		e[k] = v
	}
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: e, Listener: ln})
	return &ssoEnv{studio: st, op: op}
}

// browser is one browser: a cookie jar shared by the studio and the provider, following
// redirects until the studio answers something other than its callback.
func (e *ssoEnv) browser(t *testing.T) *testutil.Client {
	c := e.studio.NewClient(t)
	c.Header.Set("Origin", e.studio.URL)
	return c
}

func (e *ssoEnv) follow(c *testutil.Client, stopAtCallback bool) *http.Client {
	studio, _ := url.Parse(e.studio.URL)
	provider, _ := url.Parse(e.op.Issuer)
	return &http.Client{Jar: c.HTTP.Jar, Timeout: c.HTTP.Timeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 20 {
			return errors.New("too many redirects")
		}
		if req.URL.Host == provider.Host || (!stopAtCallback && req.URL.Host == studio.Host && req.URL.Path == "/api/auth/oidc/callback") {
			return nil
		}
		return http.ErrUseLastResponse
	}}
}

// loginAt follows authURL to the provider's login page and signs in there; it answers the last
// response (a redirect to the studio, not followed when stopAtCallback).
func (e *ssoEnv) loginAt(t *testing.T, c *testutil.Client, authURL, username string, stopAtCallback bool) *http.Response {
	t.Helper()
	hc := e.follow(c, stopAtCallback)
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatalf("authorization request: %v", err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Request.URL.Query().Get("authRequestID")
	if resp.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("the provider's login page: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	resp, err = hc.PostForm(strings.TrimSuffix(e.op.Issuer, "/")+"/login/username", url.Values{"id": {id}, "username": {username}, "password": {opPassword}})
	if err != nil {
		t.Fatalf("login at the provider: %v", err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login at the provider answered %d at %s", resp.StatusCode, resp.Request.URL)
	}
	return resp
}

// start is GET /api/auth/oidc/start: the authorization request the studio redirects to.
func (e *ssoEnv) start(t *testing.T, c *testutil.Client, query string) string {
	t.Helper()
	r := c.Do("GET", "/api/auth/oidc/start"+query, nil)
	loc := r.Header.Get("Location")
	if r.Status != http.StatusFound || !strings.HasPrefix(loc, e.op.Issuer) {
		t.Fatalf("start: %d to %q", r.Status, loc)
	}
	return loc
}

// signIn runs the whole flow and answers where the studio sent the browser at the end.
func (e *ssoEnv) signIn(t *testing.T, c *testutil.Client, username, query string) string {
	t.Helper()
	resp := e.loginAt(t, c, e.start(t, c, query), username, false)
	return resp.Header.Get("Location")
}

func (e *ssoEnv) me(t *testing.T, c *testutil.Client) map[string]any {
	t.Helper()
	r := c.Do("GET", "/api/me", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/me: %d %s", r.Status, r.Body)
	}
	return r.JSON()
}

func ssoAuditActions(t *testing.T, admin *testutil.Client) []string {
	t.Helper()
	r := admin.Do("GET", "/api/admin/audit?limit=200", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("audit: %d %s", r.Status, r.Body)
	}
	var out struct {
		Events []struct {
			Action string         `json:"action"`
			Detail map[string]any `json:"detail"`
		} `json:"events"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range out.Events {
		acts = append(acts, e.Action)
	}
	return acts
}

func TestSSOSignInThroughARealProvider(t *testing.T) {
	e := newSSOEnv(t, nil)
	st := e.browser(t).Do("GET", "/api/status", nil).JSON()
	if o, _ := st["oidc"].(map[string]any); o["enabled"] != true || o["label"] != "Sign in with SSO" || o["passwordLogin"] != true {
		t.Fatalf("status oidc = %v", st["oidc"])
	}

	// The authorization request carries PKCE (S256), state and nonce, fresh each time.
	c := e.browser(t)
	first, second := e.start(t, c, ""), e.start(t, c, "")
	u1, _ := url.Parse(first)
	u2, _ := url.Parse(second)
	q1, q2 := u1.Query(), u2.Query()
	if q1.Get("response_type") != "code" || q1.Get("client_id") != ssoClientID || q1.Get("redirect_uri") != e.studio.URL+"/api/auth/oidc/callback" ||
		q1.Get("code_challenge_method") != "S256" || len(q1.Get("code_challenge")) != 43 || !strings.Contains(q1.Get("scope"), "openid") {
		t.Fatalf("authorization request %s", first)
	}
	if len(q1.Get("state")) < 22 || len(q1.Get("nonce")) < 22 || q1.Get("state") == q1.Get("nonce") || q1.Get("state") == q2.Get("state") ||
		q1.Get("nonce") == q2.Get("nonce") || q1.Get("code_challenge") == q2.Get("code_challenge") {
		t.Fatalf("state, nonce and challenge are not fresh: %s / %s", first, second)
	}
	ck := e.studio.NewClient(t).Do("GET", "/api/auth/oidc/start", nil).Header.Values("Set-Cookie")
	if len(ck) != 1 || !strings.Contains(ck[0], "HttpOnly") || !strings.Contains(ck[0], "SameSite=Lax") || !strings.Contains(ck[0], "Max-Age=600") {
		t.Fatalf("flow cookie %q", ck)
	}

	// The first sign-in makes the instance's first account, its admin, without a password.
	ann := e.browser(t)
	if loc := e.signIn(t, ann, "ann", ""); loc != "/" {
		t.Fatalf("sign-in ended at %q", loc)
	}
	me := e.me(t, ann)
	user, _ := me["user"].(map[string]any)
	sso, _ := me["sso"].(map[string]any)
	if user["email"] != "ann@example.com" || user["role"] != "admin" || me["hasPassword"] != false || sso["issuer"] != e.op.Issuer || me["policy"] != nil {
		t.Fatalf("me after SSO sign-up: %s", asJSON(t, me))
	}
	// Without a password, a password login fails like a wrong password.
	if r := e.browser(t).Do("POST", "/api/auth/login", map[string]string{"email": "ann@example.com", "password": ""}); r.Status != http.StatusBadRequest && r.Status != http.StatusUnauthorized {
		t.Fatalf("password login of an SSO account: %d %s", r.Status, r.Body)
	}
	if r := e.browser(t).Do("POST", "/api/auth/login", map[string]string{"email": "ann@example.com", "password": "whatever-long-enough"}); r.ErrorCode() != "invalid_credentials" {
		t.Fatalf("password login of an SSO account: %d %s", r.Status, r.Body)
	}
	// A second sign-in finds the same account by (issuer, subject).
	again := e.browser(t)
	if loc := e.signIn(t, again, "ann", ""); loc != "/" {
		t.Fatalf("second sign-in ended at %q", loc)
	}
	if u, _ := e.me(t, again)["user"].(map[string]any); u["id"] != user["id"] {
		t.Fatalf("second sign-in is another account: %v", u)
	}
	// Auto-registration (SIGNUP_MODE open): the next person is a member.
	bob := e.browser(t)
	if loc := e.signIn(t, bob, "bob", ""); loc != "/" {
		t.Fatalf("bob's sign-in ended at %q", loc)
	}
	if u, _ := e.me(t, bob)["user"].(map[string]any); u["role"] != "member" || u["email"] != "bob@example.com" {
		t.Fatalf("bob = %v", u)
	}
	acts := strings.Join(ssoAuditActions(t, ann), " ")
	for _, want := range []string{"sso.signup", "sso.login"} {
		if !strings.Contains(acts, want) {
			t.Errorf("audit lacks %s: %s", want, acts)
		}
	}
	// An SSO account sets its first password without the current one, then can unlink.
	if r := bob.Do("DELETE", "/api/me/oidc", nil); r.ErrorCode() != "password_required" {
		t.Fatalf("unlink without a password: %d %s", r.Status, r.Body)
	}
	if r := bob.Do("PUT", "/api/me/password", map[string]string{"newPassword": "a new long password 1"}); r.Status != http.StatusNoContent {
		t.Fatalf("first password: %d %s", r.Status, r.Body)
	}
	if r := bob.Do("DELETE", "/api/me/oidc", nil); r.Status != http.StatusNoContent {
		t.Fatalf("unlink: %d %s", r.Status, r.Body)
	}
	if r := bob.Do("DELETE", "/api/me/oidc", nil); r.Status != http.StatusNotFound {
		t.Fatalf("unlink twice: %d %s", r.Status, r.Body)
	}
	if me := e.me(t, bob); me["sso"] != nil || me["hasPassword"] != true {
		t.Fatalf("after unlink: %s", asJSON(t, me))
	}
	// Unlinked, the same identity meets its own email: account_exists (never merged by email).
	if loc := e.signIn(t, e.browser(t), "bob", ""); loc != "/?ssoError=account_exists" {
		t.Fatalf("sign-in of an unlinked identity ended at %q", loc)
	}
	// No secret of the flow in the logs.
	if logs := e.studio.Logs.String(); strings.Contains(logs, ssoSecret) || strings.Contains(logs, q1.Get("state")) || strings.Contains(logs, q1.Get("nonce")) {
		t.Fatal("the logs hold the client secret, a state or a nonce")
	}
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSSOLinkAnExistingPasswordAccount(t *testing.T) {
	e := newSSOEnv(t, nil)
	admin := e.browser(t)
	admin.SignUp("first@example.com", goodPassword)
	cy := e.browser(t)
	cy.SignUp("cy@example.com", goodPassword)
	// The provider's email matches, but nothing links by email.
	if loc := e.signIn(t, e.browser(t), "cy", ""); loc != "/?ssoError=account_exists" {
		t.Fatalf("sign-in ended at %q", loc)
	}
	if r := cy.Do("POST", "/api/me/oidc/link", map[string]any{}); r.ErrorCode() != "invalid_input" {
		t.Fatalf("link without the password: %d %s", r.Status, r.Body)
	}
	if r := cy.Do("POST", "/api/me/oidc/link", map[string]any{"password": "not the password"}); r.ErrorCode() != "invalid_credentials" {
		t.Fatalf("link with a wrong password: %d %s", r.Status, r.Body)
	}
	r := cy.Do("POST", "/api/me/oidc/link", map[string]any{"password": goodPassword})
	var link struct{ URL string }
	if err := json.Unmarshal(r.Body, &link); err != nil || r.Status != http.StatusOK || !strings.HasPrefix(link.URL, e.op.Issuer) {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	if loc := e.loginAt(t, cy, link.URL, "cy", false).Header.Get("Location"); loc != "/?ssoLinked=1" {
		t.Fatalf("link ended at %q", loc)
	}
	if r := cy.Do("POST", "/api/me/oidc/link", map[string]any{"password": goodPassword}); r.ErrorCode() != "sso_already_linked" {
		t.Fatalf("link twice: %d %s", r.Status, r.Body)
	}
	// Now SSO signs in to cy's account, which keeps its password.
	other := e.browser(t)
	if loc := e.signIn(t, other, "cy", ""); loc != "/" {
		t.Fatalf("sign-in after link ended at %q", loc)
	}
	me := e.me(t, other)
	if u, _ := me["user"].(map[string]any); u["email"] != "cy@example.com" || me["hasPassword"] != true || me["sso"] == nil {
		t.Fatalf("me = %s", asJSON(t, me))
	}
	// The same identity cannot link to a second account.
	r = admin.Do("POST", "/api/me/oidc/link", map[string]any{"password": goodPassword})
	if err := json.Unmarshal(r.Body, &link); err != nil || r.Status != http.StatusOK {
		t.Fatalf("admin link: %d %s", r.Status, r.Body)
	}
	if loc := e.loginAt(t, admin, link.URL, "cy", false).Header.Get("Location"); loc != "/?ssoError=sso_already_linked" {
		t.Fatalf("second link of one identity ended at %q", loc)
	}
	users := admin.Do("GET", "/api/admin/users", nil).JSON()
	list, _ := users["users"].([]any)
	linked := map[string]any{}
	for _, u := range list {
		m, _ := u.(map[string]any)
		linked[m["email"].(string)] = m["ssoLinked"]
	}
	if linked["cy@example.com"] != true || linked["first@example.com"] != false {
		t.Fatalf("ssoLinked = %v", linked)
	}
	acts := strings.Join(ssoAuditActions(t, admin), " ")
	if !strings.Contains(acts, "sso.link") || !strings.Contains(acts, "sso.login_failed") {
		t.Fatalf("audit: %s", acts)
	}
}

// The callback refuses what does not belong to this browser's flow, and the provider refuses
// what the studio must never be able to do without (PKCE, a fresh code, its own client's token).
func TestSSOCallbackRefusals(t *testing.T) {
	e := newSSOEnv(t, nil)
	e.browser(t).SignUp("owner@example.com", goodPassword)

	t.Run("wrong state", func(t *testing.T) {
		c := e.browser(t)
		resp := e.loginAt(t, c, e.start(t, c, ""), "bob", true)
		cb, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		q := cb.Query()
		q.Set("state", "not-the-state")
		before := e.op.TokenRequests()
		r := c.Do("GET", "/api/auth/oidc/callback?"+q.Encode(), nil)
		if r.Header.Get("Location") != "/?ssoError=state_invalid" || e.op.TokenRequests() != before {
			t.Fatalf("wrong state: %d to %q, %d token requests", r.Status, r.Header.Get("Location"), e.op.TokenRequests()-before)
		}
		// No flow cookie at all (another browser) is the same refusal.
		if r := e.browser(t).Do("GET", "/api/auth/oidc/callback?code=x&state=y", nil); r.Header.Get("Location") != "/?ssoError=state_invalid" {
			t.Fatalf("no flow cookie: %q", r.Header.Get("Location"))
		}
	})

	t.Run("replayed code", func(t *testing.T) {
		c := e.browser(t)
		resp := e.loginAt(t, c, e.start(t, c, ""), "bob", true)
		cb, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		if r := c.Do("GET", cb.RequestURI(), nil); r.Header.Get("Location") != "/" {
			t.Fatalf("first use: %q", r.Header.Get("Location"))
		}
		// The flow is used: the same callback again is refused before anything is sent.
		if r := c.Do("GET", cb.RequestURI(), nil); r.Header.Get("Location") != "/?ssoError=state_invalid" {
			t.Fatalf("replayed callback: %q", r.Header.Get("Location"))
		}
		// A new flow with the old code: the provider refuses the code.
		fresh, err := url.Parse(e.start(t, c, ""))
		if err != nil {
			t.Fatal(err)
		}
		q := url.Values{"code": {cb.Query().Get("code")}, "state": {fresh.Query().Get("state")}}
		if r := c.Do("GET", "/api/auth/oidc/callback?"+q.Encode(), nil); r.Header.Get("Location") != "/?ssoError=sso_failed" {
			t.Fatalf("replayed code: %q", r.Header.Get("Location"))
		}
	})

	t.Run("missing PKCE verifier", func(t *testing.T) {
		e.op.OnTokenRequest(func(form map[string][]string) { delete(form, "code_verifier") })
		defer e.op.OnTokenRequest(nil)
		c := e.browser(t)
		if loc := e.signIn(t, c, "cy", ""); loc != "/?ssoError=sso_failed" {
			t.Fatalf("without the verifier: %q", loc)
		}
		e.op.OnTokenRequest(func(form map[string][]string) { form["code_verifier"] = []string{strings.Repeat("x", 43)} })
		if loc := e.signIn(t, c, "cy", ""); loc != "/?ssoError=sso_failed" {
			t.Fatalf("with another verifier: %q", loc)
		}
	})

	t.Run("ID token for another client", func(t *testing.T) {
		c := e.browser(t)
		authURL := e.start(t, c, "")
		u, err := url.Parse(authURL)
		if err != nil {
			t.Fatal(err)
		}
		// A real ID token from the same provider, with the same nonce, for the client "other".
		other := oauth2.Config{ClientID: "other", ClientSecret: "other-secret", RedirectURL: "http://127.0.0.1:9/other/callback",
			Scopes: []string{"openid", "email"}, Endpoint: oauth2.Endpoint{AuthURL: strings.TrimSuffix(e.op.Issuer, "/") + "/auth",
				TokenURL: strings.TrimSuffix(e.op.Issuer, "/") + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
		ob := e.browser(t)
		resp := e.loginAt(t, ob, other.AuthCodeURL("s", oauth2.SetAuthURLParam("nonce", u.Query().Get("nonce"))), "cy", true)
		ou, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || ou.Query().Get("code") == "" {
			t.Fatalf("other client's redirect %q", resp.Header.Get("Location"))
		}
		tok, err := other.Exchange(context.Background(), ou.Query().Get("code"))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := tok.Extra("id_token").(string)
		body, err := json.Marshal(map[string]any{"access_token": tok.AccessToken, "token_type": "Bearer", "expires_in": 300, "id_token": raw})
		if err != nil || raw == "" {
			t.Fatalf("other client's token: %v", err)
		}
		e.op.AnswerNextTokenRequest(body)
		if loc := e.loginAt(t, c, authURL, "cy", false).Header.Get("Location"); loc != "/?ssoError=sso_failed" {
			t.Fatalf("an ID token for another client: %q", loc)
		}
	})

	t.Run("provider error", func(t *testing.T) {
		c := e.browser(t)
		u, err := url.Parse(e.start(t, c, ""))
		if err != nil {
			t.Fatal(err)
		}
		q := url.Values{"error": {"access_denied"}, "state": {u.Query().Get("state")}}
		if r := c.Do("GET", "/api/auth/oidc/callback?"+q.Encode(), nil); r.Header.Get("Location") != "/?ssoError=sso_failed" {
			t.Fatalf("provider error: %q", r.Header.Get("Location"))
		}
	})
}
