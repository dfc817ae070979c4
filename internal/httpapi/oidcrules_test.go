package httpapi_test

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/oidctest"
	"github.com/falstudio/falstudio/internal/testutil"
)

func ssoInviteToken(t *testing.T, admin *testutil.Client, email string) string {
	t.Helper()
	r := admin.Do("POST", "/api/admin/invites", map[string]any{"email": email})
	u, _ := r.JSON()["url"].(string)
	_, tok, ok := strings.Cut(u, "#invite=")
	if r.Status != http.StatusCreated || !ok {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	tok, err := url.QueryUnescape(tok)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Auto-registration obeys SIGNUP_MODE and invites; OIDC_AUTO_REGISTER=false registers nobody.
func TestSSORegistrationFollowsSignupMode(t *testing.T) {
	t.Run("invite mode", func(t *testing.T) {
		e := newSSOEnv(t, map[string]string{"SIGNUP_MODE": "invite"})
		admin := e.browser(t)
		admin.SignUp("owner@example.com", goodPassword)
		if loc := e.signIn(t, e.browser(t), "bob", ""); loc != "/?ssoError=invite_required" {
			t.Fatalf("without an invite: %q", loc)
		}
		if loc := e.signIn(t, e.browser(t), "bob", "?invite="+url.QueryEscape(ssoInviteToken(t, admin, "someone@example.com"))); loc != "/?ssoError=invite_invalid" {
			t.Fatalf("another email's invite: %q", loc)
		}
		if loc := e.signIn(t, e.browser(t), "bob", "?invite=unknown"); loc != "/?ssoError=invite_invalid" {
			t.Fatalf("an unknown invite: %q", loc)
		}
		tok := ssoInviteToken(t, admin, "bob@example.com")
		bob := e.browser(t)
		if loc := e.signIn(t, bob, "bob", "?invite="+url.QueryEscape(tok)); loc != "/" {
			t.Fatalf("with an invite: %q", loc)
		}
		if u, _ := e.me(t, bob)["user"].(map[string]any); u["email"] != "bob@example.com" || u["role"] != "member" {
			t.Fatalf("invited = %v", u)
		}
		// The invite is used.
		if loc := e.signIn(t, e.browser(t), "cy", "?invite="+url.QueryEscape(tok)); loc != "/?ssoError=invite_invalid" {
			t.Fatalf("a used invite: %q", loc)
		}
	})
	t.Run("closed", func(t *testing.T) {
		e := newSSOEnv(t, map[string]string{"SIGNUP_MODE": "closed"})
		// The first account of an empty instance still comes in: it is the admin.
		ann := e.browser(t)
		if loc := e.signIn(t, ann, "ann", ""); loc != "/" {
			t.Fatalf("first account: %q", loc)
		}
		if loc := e.signIn(t, e.browser(t), "bob", ""); loc != "/?ssoError=signup_closed" {
			t.Fatalf("closed: %q", loc)
		}
	})
	t.Run("no auto-register", func(t *testing.T) {
		e := newSSOEnv(t, map[string]string{"OIDC_AUTO_REGISTER": "false"})
		e.browser(t).SignUp("owner@example.com", goodPassword)
		if loc := e.signIn(t, e.browser(t), "bob", ""); loc != "/?ssoError=sso_not_registered" {
			t.Fatalf("no auto-register: %q", loc)
		}
	})
}

// With OIDC_ADMIN_GROUPS the groups claim decides the role at every sign-in; the last admin is
// never demoted.
func TestSSORolesFromGroups(t *testing.T) {
	e := newSSOEnv(t, map[string]string{"OIDC_ADMIN_GROUPS": " studio-admins , other-admins", "OIDC_SCOPES": "openid email profile groups"})
	owner := e.browser(t)
	owner.SignUp("owner@example.com", goodPassword)
	bob := e.browser(t)
	if loc := e.signIn(t, bob, "bob", ""); loc != "/" {
		t.Fatalf("bob: %q", loc)
	}
	if u, _ := e.me(t, bob)["user"].(map[string]any); u["role"] != "member" {
		t.Fatalf("bob (group family) = %v", u)
	}
	e.op.SetUser(oidctest.User{ID: "sub-bob", Username: "bob", Password: opPassword, Email: "bob@example.com", Groups: []string{"other-admins"}})
	bob = e.browser(t)
	e.signIn(t, bob, "bob", "")
	if u, _ := e.me(t, bob)["user"].(map[string]any); u["role"] != "admin" {
		t.Fatalf("bob in other-admins = %v", u)
	}
	// Case matters; a missing claim means member.
	e.op.SetUser(oidctest.User{ID: "sub-bob", Username: "bob", Password: opPassword, Email: "bob@example.com", Groups: []string{"Studio-Admins"}})
	bob = e.browser(t)
	e.signIn(t, bob, "bob", "")
	if u, _ := e.me(t, bob)["user"].(map[string]any); u["role"] != "member" {
		t.Fatalf("bob in Studio-Admins = %v", u)
	}
	// The owner leaves: an SSO admin who is the last admin keeps the role without the group.
	ann := e.browser(t)
	e.signIn(t, ann, "ann", "")
	me := e.me(t, owner)
	ownerID := me["user"].(map[string]any)["id"]
	if r := ann.Do("PATCH", "/api/admin/users/"+jsonNumber(ownerID), map[string]any{"role": "member"}); r.Status != http.StatusOK {
		t.Fatalf("demote owner: %d %s", r.Status, r.Body)
	}
	e.op.SetUser(oidctest.User{ID: "sub-ann", Username: "ann", Password: opPassword, Email: "Ann@Example.com"})
	ann2 := e.browser(t)
	if loc := e.signIn(t, ann2, "ann", ""); loc != "/" {
		t.Fatalf("ann without groups: %q", loc)
	}
	if u, _ := e.me(t, ann2)["user"].(map[string]any); u["role"] != "admin" {
		t.Fatalf("the last admin was demoted: %v", u)
	}
	acts := strings.Join(ssoAuditActions(t, ann2), " ")
	if strings.Count(acts, "sso.role") < 3 {
		t.Fatalf("audit lacks sso.role entries: %s", acts)
	}
}

func jsonNumber(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}

// OIDC_PASSWORD_LOGIN=false: only an admin without an SSO link signs in with a password.
func TestSSOPasswordLoginOff(t *testing.T) {
	e := newSSOEnv(t, map[string]string{"OIDC_PASSWORD_LOGIN": "false"})
	st := e.browser(t).Do("GET", "/api/status", nil).JSON()
	if o, _ := st["oidc"].(map[string]any); o["passwordLogin"] != false {
		t.Fatalf("status oidc = %v", st["oidc"])
	}
	if r := e.browser(t).Do("POST", "/api/auth/signup", map[string]string{"email": "x@example.com", "password": goodPassword}); r.ErrorCode() != "password_login_disabled" || r.Status != http.StatusForbidden {
		t.Fatalf("signup: %d %s", r.Status, r.Body)
	}
	ann := e.browser(t)
	e.signIn(t, ann, "ann", "") // the admin, by SSO
	if r := ann.Do("PUT", "/api/me/password", map[string]string{"newPassword": goodPassword}); r.Status != http.StatusNoContent {
		t.Fatalf("set password: %d %s", r.Status, r.Body)
	}
	// Linked admin: refused with the right password, 401 with a wrong one.
	if r := e.browser(t).Do("POST", "/api/auth/login", map[string]string{"email": "ann@example.com", "password": goodPassword}); r.ErrorCode() != "password_login_disabled" {
		t.Fatalf("linked admin: %d %s", r.Status, r.Body)
	}
	if r := e.browser(t).Do("POST", "/api/auth/login", map[string]string{"email": "ann@example.com", "password": "wrong password here"}); r.ErrorCode() != "invalid_credentials" {
		t.Fatalf("wrong password: %d %s", r.Status, r.Body)
	}
	// Unlinked, the admin is the break-glass account.
	if r := ann.Do("DELETE", "/api/me/oidc", nil); r.Status != http.StatusNoContent {
		t.Fatalf("unlink: %d %s", r.Status, r.Body)
	}
	if r := e.browser(t).Do("POST", "/api/auth/login", map[string]string{"email": "ann@example.com", "password": goodPassword}); r.Status != http.StatusOK {
		t.Fatalf("break-glass admin: %d %s", r.Status, r.Body)
	}
	// A member never signs in with a password.
	bob := e.browser(t)
	e.signIn(t, bob, "bob", "")
	if r := bob.Do("PUT", "/api/me/password", map[string]string{"newPassword": goodPassword}); r.Status != http.StatusNoContent {
		t.Fatalf("bob's password: %d %s", r.Status, r.Body)
	}
	if r := bob.Do("DELETE", "/api/me/oidc", nil); r.Status != http.StatusNoContent {
		t.Fatalf("bob unlink: %d %s", r.Status, r.Body)
	}
	if r := e.browser(t).Do("POST", "/api/auth/login", map[string]string{"email": "bob@example.com", "password": goodPassword}); r.ErrorCode() != "password_login_disabled" {
		t.Fatalf("member: %d %s", r.Status, r.Body)
	}
}

// A provider that cannot be reached never stops the studio: it is not ready, the start and the
// link say sso_unavailable, and once the provider answers everything works without a restart.
func TestSSOProviderUnreachable(t *testing.T) {
	// A port that nothing listens on yet; the provider starts there later.
	hole, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := hole.Addr().String()
	hole.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := "http://" + ln.Addr().String()
	st := testutil.NewStudio(t, testutil.StudioOptions{Listener: ln, Env: map[string]string{"PUBLIC_URL": public,
		"OIDC_ISSUER": "http://" + addr + "/", "OIDC_CLIENT_ID": ssoClientID, "OIDC_CLIENT_SECRET": ssoSecret}})
	c := st.NewClient(t)
	r := c.Do("GET", "/readyz", nil)
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), `"oidc"`) {
		t.Fatalf("readyz: %d %s", r.Status, r.Body)
	}
	if r := c.Do("GET", "/api/auth/oidc/start", nil); r.Header.Get("Location") != "/?ssoError=sso_unavailable" {
		t.Fatalf("start: %d %q", r.Status, r.Header.Get("Location"))
	}
	c.SignUp("owner@example.com", goodPassword)
	c.Header.Set("Origin", public)
	if r := c.Do("POST", "/api/me/oidc/link", map[string]any{"password": goodPassword}); r.Status != http.StatusServiceUnavailable || r.ErrorCode() != "sso_unavailable" {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	op, err := oidctest.Start(addr, ssoUsers, []oidctest.Client{{ID: ssoClientID, Secret: ssoSecret, RedirectURIs: []string{public + "/api/auth/oidc/callback"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	// A start tries discovery again at most every 5 s: bounded polling until it does.
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := c.Do("GET", "/api/auth/oidc/start", nil)
		if strings.HasPrefix(r.Header.Get("Location"), op.Issuer) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("discovery did not recover: %q", r.Header.Get("Location"))
		}
		time.Sleep(250 * time.Millisecond)
	}
	if r := c.Do("GET", "/readyz", nil); r.Status != http.StatusOK {
		t.Fatalf("readyz after recovery: %d %s", r.Status, r.Body)
	}
}

// Without OIDC_ISSUER the routes do not exist.
func TestSSOOffRoutesNotFound(t *testing.T) {
	st := testutil.NewStudio(t, testutil.StudioOptions{})
	c := st.NewClient(t)
	for _, p := range []string{"/api/auth/oidc/start", "/api/auth/oidc/callback"} {
		if r := c.Do("GET", p, nil); r.Status != http.StatusNotFound || r.ErrorCode() != "not_found" {
			t.Fatalf("%s: %d %s", p, r.Status, r.Body)
		}
	}
	o, _ := c.Do("GET", "/api/status", nil).JSON()["oidc"].(map[string]any)
	if o["enabled"] != false || o["passwordLogin"] != true {
		t.Fatalf("status oidc = %v", o)
	}
}

// No email where an account must be made: sso_email_missing; a disabled account: account_disabled.
// Neither the audit log nor any answer holds the client secret, a code, a state or a nonce.
func TestSSOEmailMissingAndDisabled(t *testing.T) {
	e := newSSOEnv(t, nil)
	owner := e.browser(t)
	owner.SignUp("owner@example.com", goodPassword)
	e.op.SetUser(oidctest.User{ID: "sub-nomail", Username: "nomail", Password: opPassword})
	if loc := e.signIn(t, e.browser(t), "nomail", ""); loc != "/?ssoError=sso_email_missing" {
		t.Fatalf("no email: %q", loc)
	}
	bob := e.browser(t)
	authURL := e.start(t, bob, "")
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	if loc := e.loginAt(t, bob, authURL, "bob", false).Header.Get("Location"); loc != "/" {
		t.Fatalf("bob: %q", loc)
	}
	me := e.me(t, bob)
	id := jsonNumber(me["user"].(map[string]any)["id"])
	if r := owner.Do("PATCH", "/api/admin/users/"+id, map[string]any{"disabled": true}); r.Status != http.StatusOK {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	if loc := e.signIn(t, e.browser(t), "bob", ""); loc != "/?ssoError=account_disabled" {
		t.Fatalf("disabled: %q", loc)
	}
	r := owner.Do("GET", "/api/admin/audit?limit=200", nil)
	body := string(r.Body)
	for _, secret := range []string{ssoSecret, u.Query().Get("state"), u.Query().Get("nonce")} {
		if strings.Contains(body, secret) || strings.Contains(e.studio.Logs.String(), secret) {
			t.Fatalf("the audit log or the logs hold a flow secret %q", secret)
		}
	}
	if !strings.Contains(body, "sso_email_missing") || !strings.Contains(body, "account_disabled") {
		t.Fatalf("audit lacks the refusals: %s", body)
	}
	// An account without a password confirms its deletion with its email.
	cy := e.browser(t)
	if loc := e.signIn(t, cy, "cy", ""); loc != "/" {
		t.Fatalf("cy: %q", loc)
	}
	if r := cy.Do("DELETE", "/api/me", map[string]any{"email": "someone@example.com"}); r.ErrorCode() != "invalid_input" {
		t.Fatalf("delete with another email: %d %s", r.Status, r.Body)
	}
	if r := cy.Do("DELETE", "/api/me", map[string]any{"email": "CY@example.com"}); r.Status != http.StatusNoContent {
		t.Fatalf("delete with the email: %d %s", r.Status, r.Body)
	}
}
