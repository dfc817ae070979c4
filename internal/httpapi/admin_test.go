package httpapi_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/testutil"
)

// team is a studio with its first account (the admin) and a member.
type team struct {
	s                 *testutil.Studio
	admin, member     *testutil.Client
	adminID, memberID int64
}

func userID(t *testing.T, r *testutil.Response) int64 {
	t.Helper()
	u, ok := r.JSON()["user"].(map[string]any)
	if !ok {
		t.Fatalf("no user in %s", r.Body)
	}
	return int64(u["id"].(float64))
}

func newTeam(t *testing.T, env map[string]string) *team {
	t.Helper()
	s := testutil.NewStudio(t, testutil.StudioOptions{Env: env})
	tm := &team{s: s, admin: s.NewClient(t), member: s.NewClient(t)}
	r := tm.admin.SignUp("owner@example.com", goodPassword)
	if r.JSON()["user"].(map[string]any)["role"] != "admin" {
		t.Fatalf("the first account must be admin: %s", r.Body)
	}
	tm.adminID = userID(t, r)
	tm.memberID = tm.signUpMember(t, tm.member, "member@example.com")
	return tm
}

// signUpMember signs c up, with an invite when the mode needs one.
func (tm *team) signUpMember(t *testing.T, c *testutil.Client, email string) int64 {
	t.Helper()
	body := map[string]string{"email": email, "password": goodPassword}
	if tm.s.Config.SignupMode != "open" {
		body["invite"] = inviteToken(t, tm.admin.Do("POST", "/api/admin/invites", map[string]any{}))
	}
	r := c.Do("POST", "/api/auth/signup", body)
	if r.Status != 201 || r.JSON()["user"].(map[string]any)["role"] != "member" {
		t.Fatalf("sign-up %s: %d %s", email, r.Status, r.Body)
	}
	return userID(t, r)
}

// inviteToken takes the token out of a create-invite answer's URL.
func inviteToken(t *testing.T, r *testutil.Response) string {
	t.Helper()
	if r.Status != 201 {
		t.Fatalf("create invite: %d %s", r.Status, r.Body)
	}
	u, err := url.Parse(r.JSON()["url"].(string))
	// The token rides in the fragment, never the query (proxy logs, history).
	if err != nil || u.Path != "/" || u.RawQuery != "" || !strings.HasPrefix(u.Fragment, "invite=") {
		t.Fatalf("invite url %v: %v", r.JSON()["url"], err)
	}
	return strings.TrimPrefix(u.Fragment, "invite=")
}

func resetToken(t *testing.T, r *testutil.Response) string {
	t.Helper()
	if r.Status != 201 {
		t.Fatalf("create reset link: %d %s", r.Status, r.Body)
	}
	u, err := url.Parse(r.JSON()["url"].(string))
	if err != nil || u.Path != "/reset" || !strings.HasPrefix(u.Fragment, "token=") || u.RawQuery != "" {
		t.Fatalf("reset url %v: %v", r.JSON()["url"], err)
	}
	return strings.TrimPrefix(u.Fragment, "token=")
}

func TestAdminRoutesScenarios(t *testing.T) {
	tm := newTeam(t, nil)
	if r := tm.member.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "SENTINEL_admin_view_key:0011"}); r.Status != 200 {
		t.Fatalf("key: %d", r.Status)
	}
	victim := tm.signUpMember(t, tm.s.NewClient(t), "victim@example.com")
	inv := tm.admin.Do("POST", "/api/admin/invites", map[string]any{"email": "x@example.com"}).JSON()["invite"].(map[string]any)
	inviteID := int64(inv["id"].(float64))

	type call struct {
		method, path string
		body         any
		adminStatus  int
	}
	routes := []call{
		{"GET", "/api/admin/users", nil, 200},
		{"PATCH", fmt.Sprintf("/api/admin/users/%d", tm.memberID), map[string]any{"role": "member", "disabled": false}, 200},
		{"POST", fmt.Sprintf("/api/admin/users/%d/password-reset", tm.memberID), nil, 201},
		{"GET", "/api/admin/invites", nil, 200},
		{"POST", "/api/admin/invites", map[string]any{"expiresInHours": 24}, 201},
		{"DELETE", fmt.Sprintf("/api/admin/invites/%d", inviteID), nil, 204},
		{"GET", "/api/admin/audit?limit=5", nil, 200},
		{"DELETE", fmt.Sprintf("/api/admin/users/%d", victim), nil, 204},
	}
	anon := tm.s.NewClient(t)
	// Anonymous and member first: their refusals must change nothing the admin then acts on.
	for _, who := range []struct {
		name   string
		c      *testutil.Client
		status int
		code   string
	}{{"anonymous", anon, 401, "unauthenticated"}, {"member", tm.member, 403, "forbidden"}, {"admin", tm.admin, 0, ""}} {
		for _, rt := range routes {
			t.Run(who.name+" "+rt.method+" "+rt.path, func(t *testing.T) {
				r := who.c.Do(rt.method, rt.path, rt.body)
				want := who.status
				if want == 0 {
					want = rt.adminStatus
				}
				if r.Status != want || (r.Status != 204 && r.ErrorCode() != who.code) { // a 204 has no body
					t.Fatalf("got %d %s, want %d %q", r.Status, r.Body, want, who.code)
				}
				if who.status != 0 && strings.Contains(string(r.Body), "@example.com") {
					t.Fatalf("a refusal reveals accounts: %s", r.Body)
				}
			})
		}
	}

	// The users list: every field of AdminUser, never the hash or the key.
	r := tm.admin.Do("GET", "/api/admin/users", nil)
	var list struct {
		Users []map[string]any `json:"users"`
	}
	if err := json.Unmarshal(r.Body, &list); err != nil {
		t.Fatal(err)
	}
	want := []string{"assets", "bytes", "createdAt", "disabled", "email", "generations", "hasFalKey", "id", "lastSeenAt", "monthlyBudgetUsd", "policyId", "role", "spentThisMonthUsd", "ssoLinked"}
	if len(list.Users) != 2 {
		t.Fatalf("users after deleting the victim: %s", r.Body)
	}
	for _, u := range list.Users {
		keys := make([]string, 0, len(u))
		for k := range u {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !slices.Equal(keys, want) {
			t.Fatalf("AdminUser keys %v, want %v", keys, want)
		}
		if u["monthlyBudgetUsd"] != nil || u["spentThisMonthUsd"] != 0.0 || u["lastSeenAt"] == nil {
			t.Fatalf("cost fields / last seen: %v", u)
		}
	}
	if list.Users[1]["hasFalKey"] != true || strings.Contains(string(r.Body), "SENTINEL") || strings.Contains(string(r.Body), "$2a$") {
		t.Fatalf("the list must say hasFalKey only: %s", r.Body)
	}

	// Admin-side input errors.
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"unknown user", "PATCH", "/api/admin/users/99999", map[string]any{"role": "admin"}, 404, "not_found"},
		{"id not a number", "PATCH", "/api/admin/users/abc", map[string]any{"role": "admin"}, 404, "not_found"},
		{"bad role", "PATCH", fmt.Sprintf("/api/admin/users/%d", tm.memberID), map[string]any{"role": "owner"}, 400, "invalid_input"},
		{"disabled not a bool", "PATCH", fmt.Sprintf("/api/admin/users/%d", tm.memberID), map[string]any{"disabled": "yes"}, 400, "invalid_input"},
		{"delete unknown", "DELETE", "/api/admin/users/99999", nil, 404, "not_found"},
		{"reset unknown", "POST", "/api/admin/users/99999/password-reset", nil, 404, "not_found"},
		{"invite bad email", "POST", "/api/admin/invites", map[string]any{"email": "not-an-email"}, 400, "invalid_input"},
		{"invite expiry too long", "POST", "/api/admin/invites", map[string]any{"expiresInHours": 100000}, 400, "invalid_input"},
		{"invite expiry zero", "POST", "/api/admin/invites", map[string]any{"expiresInHours": 0}, 400, "invalid_input"},
		{"revoke unknown", "DELETE", "/api/admin/invites/99999", nil, 404, "not_found"},
		{"audit bad cursor", "GET", "/api/admin/audit?cursor=nope", nil, 400, "invalid_input"},
		{"audit bad limit", "GET", "/api/admin/audit?limit=0", nil, 400, "invalid_input"},
		{"demote the last admin", "PATCH", fmt.Sprintf("/api/admin/users/%d", tm.adminID), map[string]any{"role": "member"}, 409, "last_admin"},
		{"disable the last admin", "PATCH", fmt.Sprintf("/api/admin/users/%d", tm.adminID), map[string]any{"disabled": true}, 409, "last_admin"},
		{"delete the last admin", "DELETE", fmt.Sprintf("/api/admin/users/%d", tm.adminID), nil, 409, "last_admin"},
		{"another origin", "PATCH", fmt.Sprintf("/api/admin/users/%d", tm.memberID), map[string]any{"role": "admin"}, 403, "cross_origin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.code == "cross_origin" {
				hdr = []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}
			}
			r := tm.admin.Do(tc.method, tc.path, tc.body, hdr...)
			if r.Status != tc.status || r.ErrorCode() != tc.code {
				t.Fatalf("got %d %s, want %d %q", r.Status, r.Body, tc.status, tc.code)
			}
		})
	}
	if u := tm.member.Do("GET", "/api/me", nil).JSON()["user"].(map[string]any); u["role"] != "member" {
		t.Fatalf("a refused change changed the member: %v", u)
	}

	// Promote, then the former last admin may step down; the new admin sees the admin routes.
	r = tm.admin.Do("PATCH", fmt.Sprintf("/api/admin/users/%d", tm.memberID), map[string]any{"role": "admin"})
	if r.Status != 200 || r.JSON()["user"].(map[string]any)["role"] != "admin" {
		t.Fatalf("promote: %d %s", r.Status, r.Body)
	}
	if r := tm.member.Do("GET", "/api/admin/users", nil); r.Status != 200 {
		t.Fatalf("promoted member: %d", r.Status)
	}
	if r := tm.admin.Do("PATCH", fmt.Sprintf("/api/admin/users/%d", tm.adminID), map[string]any{"role": "member"}); r.Status != 200 {
		t.Fatalf("step down with another admin: %d %s", r.Status, r.Body)
	}
	if r := tm.admin.Do("GET", "/api/admin/users", nil); r.Status != 403 || r.ErrorCode() != "forbidden" {
		t.Fatalf("demoted admin: %d %s", r.Status, r.Body)
	}
	if r := tm.member.Do("PATCH", fmt.Sprintf("/api/admin/users/%d", tm.memberID), map[string]any{"role": "member"}); r.ErrorCode() != "last_admin" {
		t.Fatalf("the new last admin: %d %s", r.Status, r.Body)
	}
}

func TestInviteLifecycleInEachMode(t *testing.T) {
	for _, mode := range []string{"open", "invite", "closed"} {
		t.Run(mode, func(t *testing.T) {
			tm := newTeam(t, map[string]string{"SIGNUP_MODE": mode})
			if st := tm.s.NewClient(t).Do("GET", "/api/status", nil).JSON(); st["signupMode"] != mode {
				t.Fatalf("status signupMode %v", st["signupMode"])
			}
			signup := func(email, invite string) *testutil.Response {
				body := map[string]string{"email": email, "password": goodPassword}
				if invite != "" {
					body["invite"] = invite
				}
				return tm.s.NewClient(t).Do("POST", "/api/auth/signup", body)
			}
			// Without an invite, each mode answers its own way.
			want := map[string][2]any{"open": {201, ""}, "invite": {403, "invite_required"}, "closed": {403, "signup_closed"}}[mode]
			if r := signup("plain@example.com", ""); r.Status != want[0] || r.ErrorCode() != want[1] {
				t.Fatalf("no invite: %d %s", r.Status, r.Body)
			}

			// An open invite works once, in every mode.
			tok := inviteToken(t, tm.admin.Do("POST", "/api/admin/invites", map[string]any{}))
			check := tm.s.NewClient(t).Do("POST", "/api/auth/invite", map[string]string{"invite": tok})
			if check.Status != 200 || check.JSON()["invite"].(map[string]any)["email"] != nil {
				t.Fatalf("check invite: %d %s", check.Status, check.Body)
			}
			if r := signup("first@example.com", tok); r.Status != 201 {
				t.Fatalf("invite sign-up: %d %s", r.Status, r.Body)
			}
			if r := signup("second@example.com", tok); r.Status != 400 || r.ErrorCode() != "invite_invalid" {
				t.Fatalf("invite used twice: %d %s", r.Status, r.Body)
			}
			if r := tm.s.NewClient(t).Do("POST", "/api/auth/invite", map[string]string{"invite": tok}); r.ErrorCode() != "invite_invalid" {
				t.Fatalf("check used invite: %d %s", r.Status, r.Body)
			}

			// Bound to one email: another address cannot use it, that one can (any case).
			bound := inviteToken(t, tm.admin.Do("POST", "/api/admin/invites", map[string]any{"email": "Bound@Example.com", "expiresInHours": 2}))
			if r := tm.s.NewClient(t).Do("POST", "/api/auth/invite", map[string]string{"invite": bound}); r.JSON()["invite"].(map[string]any)["email"] != "bound@example.com" {
				t.Fatalf("check bound invite: %s", r.Body)
			}
			if r := signup("intruder@example.com", bound); r.ErrorCode() != "invite_invalid" {
				t.Fatalf("bound invite, other email: %d %s", r.Status, r.Body)
			}
			if r := signup(" BOUND@example.com ", bound); r.Status != 201 {
				t.Fatalf("bound invite, its email: %d %s", r.Status, r.Body)
			}

			// Revoked and expired invites are refused; unknown ones too.
			rv := tm.admin.Do("POST", "/api/admin/invites", map[string]any{})
			revokedTok := inviteToken(t, rv)
			revokedID := int64(rv.JSON()["invite"].(map[string]any)["id"].(float64))
			if r := tm.admin.Do("DELETE", fmt.Sprintf("/api/admin/invites/%d", revokedID), nil); r.Status != 204 {
				t.Fatalf("revoke: %d", r.Status)
			}
			if r := tm.admin.Do("DELETE", fmt.Sprintf("/api/admin/invites/%d", revokedID), nil); r.Status != 204 {
				t.Fatalf("revoke twice: %d", r.Status)
			}
			if r := signup("revoked@example.com", revokedTok); r.ErrorCode() != "invite_invalid" {
				t.Fatalf("revoked invite: %d %s", r.Status, r.Body)
			}
			ex := tm.admin.Do("POST", "/api/admin/invites", map[string]any{})
			expiredTok := inviteToken(t, ex)
			db := openDB(t, tm.s.DataDir)
			mustExec(t, db, `UPDATE invites SET expires_at = 1 WHERE id = $1`, int64(ex.JSON()["invite"].(map[string]any)["id"].(float64)))
			if r := signup("expired@example.com", expiredTok); r.ErrorCode() != "invite_invalid" {
				t.Fatalf("expired invite: %d %s", r.Status, r.Body)
			}
			for _, bogus := range []string{"nope", strings.Repeat("A", 26), strings.Repeat("x", 500)} {
				if r := signup("bogus@example.com", bogus); r.Status != 400 || r.ErrorCode() != "invite_invalid" {
					t.Fatalf("unknown invite %q: %d %s", bogus[:4], r.Status, r.Body)
				}
			}
			// A used invite cannot be revoked.
			var used int64
			lst := tm.admin.Do("GET", "/api/admin/invites", nil)
			var invites struct {
				Invites []struct {
					ID      int64   `json:"id"`
					Email   *string `json:"email"`
					UsedBy  *string `json:"usedBy"`
					UsedAt  *string `json:"usedAt"`
					Revoked bool    `json:"revoked"`
					State   string  `json:"state"`
				} `json:"invites"`
			}
			if err := json.Unmarshal(lst.Body, &invites); err != nil {
				t.Fatal(err)
			}
			states := map[string]int{}
			for _, in := range invites.Invites {
				states[in.State]++
				if in.State == "used" {
					used = in.ID
					if in.UsedBy == nil || in.UsedAt == nil {
						t.Fatalf("a used invite names its account: %+v", in)
					}
				}
			}
			wantUsed := 2 // first@ and bound@ (plus the member's invite outside open mode)
			if mode != "open" {
				wantUsed = 3
			}
			if states["used"] != wantUsed || states["revoked"] != 1 || states["expired"] != 1 {
				t.Fatalf("invite states %v: %s", states, lst.Body)
			}
			if r := tm.admin.Do("DELETE", fmt.Sprintf("/api/admin/invites/%d", used), nil); r.Status != 409 || r.ErrorCode() != "conflict" {
				t.Fatalf("revoke a used invite: %d %s", r.Status, r.Body)
			}
		})
	}
}

func TestDisableEndsEverySession(t *testing.T) {
	tm := newTeam(t, nil)
	second := tm.s.NewClient(t)
	if r := second.Do("POST", "/api/auth/login", map[string]string{"email": "member@example.com", "password": goodPassword}); r.Status != 200 {
		t.Fatalf("second login: %d", r.Status)
	}
	old := tm.member.SessionCookie()
	r := tm.admin.Do("PATCH", fmt.Sprintf("/api/admin/users/%d", tm.memberID), map[string]any{"disabled": true})
	if r.Status != 200 || r.JSON()["user"].(map[string]any)["disabled"] != true {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	for _, c := range []*testutil.Client{tm.member, second} {
		if r := c.Do("GET", "/api/me", nil); r.Status != 401 {
			t.Fatalf("a session of a disabled account still works: %d", r.Status)
		}
	}
	if r := tm.s.NewClient(t).Do("GET", "/api/me", nil, "Cookie", "falstudio_session="+old); r.Status != 401 {
		t.Fatalf("replayed cookie: %d", r.Status)
	}
	r = tm.s.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": "member@example.com", "password": goodPassword})
	if r.Status != 403 || r.ErrorCode() != "account_disabled" {
		t.Fatalf("login of a disabled account: %d %s", r.Status, r.Body)
	}
	// A wrong password on a disabled account says only that the credentials are wrong.
	r = tm.s.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": "member@example.com", "password": "not the password"})
	if r.Status != 401 || r.ErrorCode() != "invalid_credentials" {
		t.Fatalf("wrong password, disabled account: %d %s", r.Status, r.Body)
	}
	if r := tm.admin.Do("PATCH", fmt.Sprintf("/api/admin/users/%d", tm.memberID), map[string]any{"disabled": false}); r.Status != 200 || r.JSON()["user"].(map[string]any)["disabled"] != false {
		t.Fatalf("enable: %d %s", r.Status, r.Body)
	}
	if r := tm.member.Do("POST", "/api/auth/login", map[string]string{"email": "member@example.com", "password": goodPassword}); r.Status != 200 {
		t.Fatalf("login after enable: %d %s", r.Status, r.Body)
	}
	if r := tm.member.Do("GET", "/api/me", nil); r.Status != 200 {
		t.Fatalf("session after enable: %d", r.Status)
	}
}

func TestResetLinkWorksOnce(t *testing.T) {
	tm := newTeam(t, nil)
	other := tm.s.NewClient(t)
	if r := other.Do("POST", "/api/auth/login", map[string]string{"email": "member@example.com", "password": goodPassword}); r.Status != 200 {
		t.Fatalf("login: %d", r.Status)
	}
	path := fmt.Sprintf("/api/admin/users/%d/password-reset", tm.memberID)
	first := resetToken(t, tm.admin.Do("POST", path, nil))
	r := tm.admin.Do("POST", path, nil)
	tok := resetToken(t, r)
	if r.JSON()["expiresAt"] == nil || first == tok {
		t.Fatalf("reset answer: %s", r.Body)
	}
	anon := tm.s.NewClient(t)
	const newPassword = "a brand new passphrase"
	for _, tc := range []struct {
		name, token, password string
		status                int
		code                  string
	}{
		{"replaced by a newer link", first, newPassword, 400, "reset_invalid"},
		{"unknown token", "AAAAAAAAAAAAAAAAAAAAAAAAAA", newPassword, 400, "reset_invalid"},
		{"empty token", "", newPassword, 400, "reset_invalid"},
		{"weak password keeps the link", tok, "password1", 400, "weak_password"},
		{"short password keeps the link", tok, "short", 400, "invalid_input"},
		{"the link", tok, newPassword, 204, ""},
		{"the link again", tok, "another new passphrase", 400, "reset_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := anon.Do("POST", "/api/auth/reset", map[string]string{"token": tc.token, "newPassword": tc.password})
			// A 204 has no body to read a code from.
			if r.Status != tc.status || (r.Status != 204 && r.ErrorCode() != tc.code) {
				t.Fatalf("got %d %s, want %d %q", r.Status, r.Body, tc.status, tc.code)
			}
		})
	}
	for _, c := range []*testutil.Client{tm.member, other} {
		if r := c.Do("GET", "/api/me", nil); r.Status != 401 {
			t.Fatalf("a session survived the reset: %d", r.Status)
		}
	}
	if r := anon.Do("POST", "/api/auth/login", map[string]string{"email": "member@example.com", "password": goodPassword}); r.Status != 401 {
		t.Fatalf("old password after reset: %d", r.Status)
	}
	if r := anon.Do("POST", "/api/auth/login", map[string]string{"email": "member@example.com", "password": newPassword}); r.Status != 200 {
		t.Fatalf("new password: %d %s", r.Status, r.Body)
	}
	// An expired link is refused.
	tok = resetToken(t, tm.admin.Do("POST", path, nil))
	mustExec(t, openDB(t, tm.s.DataDir), `UPDATE password_resets SET expires_at = 1 WHERE used_at IS NULL`)
	if r := anon.Do("POST", "/api/auth/reset", map[string]string{"token": tok, "newPassword": "yet another passphrase"}); r.ErrorCode() != "reset_invalid" {
		t.Fatalf("expired link: %d %s", r.Status, r.Body)
	}
}

func TestDeleteOwnAccount(t *testing.T) {
	tm := newTeam(t, nil)
	if r := tm.member.Do("DELETE", "/api/me", map[string]string{"password": "not the password"}); r.Status != 401 || r.ErrorCode() != "invalid_credentials" {
		t.Fatalf("wrong password: %d %s", r.Status, r.Body)
	}
	if r := tm.member.Do("GET", "/api/me", nil); r.Status != 200 {
		t.Fatalf("a wrong password must not log out: %d", r.Status)
	}
	if r := tm.admin.Do("DELETE", "/api/me", map[string]string{"password": goodPassword}); r.Status != 409 || r.ErrorCode() != "last_admin" {
		t.Fatalf("the last admin deletes itself: %d %s", r.Status, r.Body)
	}
	r := tm.member.Do("DELETE", "/api/me", map[string]string{"password": goodPassword})
	if r.Status != 204 || !strings.Contains(r.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("delete me: %d %v", r.Status, r.Header)
	}
	if r := tm.member.Do("GET", "/api/me", nil); r.Status != 401 {
		t.Fatalf("deleted account's session: %d", r.Status)
	}
	if r := tm.s.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": "member@example.com", "password": goodPassword}); r.Status != 401 {
		t.Fatalf("deleted account logs in: %d", r.Status)
	}
	// The address is free again.
	tm.s.NewClient(t).SignUp("member@example.com", goodPassword)
	if r := tm.member.Do("DELETE", "/api/me", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous delete: %d", r.Status)
	}
}

// objectFiles lists the stored files under dir whose path holds users/{id}/.
func objectFiles(t *testing.T, dir string, id int64) []string {
	t.Helper()
	var out []string
	marker := fmt.Sprintf("users%c%d%c", filepath.Separator, id, filepath.Separator)
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		// Originals only: each image's preview (….thumb.jpg) is checked below and in thumbs_test.go.
		if err == nil && !d.IsDir() && strings.Contains(p, marker) && !strings.HasPrefix(d.Name(), ".tmp-") && !media.IsThumbKey(d.Name()) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func countRows(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestDeleteUserRemovesEveryObject(t *testing.T) {
	for _, backend := range []string{"local", "s3"} {
		t.Run(backend, func(t *testing.T) {
			var env map[string]string
			var srv *testutil.S3Server
			if backend == "s3" {
				srv = testutil.StartS3(t, false)
				makeBucket(t, srv, "studio")
				env = srv.Env("studio")
			}
			g := newGenEnv(t, falsim.Options{}, env, "")
			admin := g.user(t, "boss@example.com", "")
			member := g.user(t, "leaving@example.com", "sim-key-leaving")
			keeper := g.user(t, "staying@example.com", "sim-key-staying")
			memberID := userID(t, member.Do("GET", "/api/me", nil))
			keeperID := userID(t, keeper.Do("GET", "/api/me", nil))
			for _, c := range []*testutil.Client{member, keeper} {
				ev := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "two foxes", map[string]any{"num_images": 2}).ID)
				if last := ev[len(ev)-1]; last.Status != "succeeded" || len(last.Assets) != 2 || last.Assets[0].Storage != backend {
					t.Fatalf("generation: %+v", last)
				}
			}
			root := filepath.Join(g.studio.DataDir, "media")
			if srv != nil {
				root = srv.Dir
			}
			if n := len(objectFiles(t, root, memberID)); n != 2 {
				t.Fatalf("%d stored objects of the member before, want 2", n)
			}
			r := admin.Do("GET", "/api/admin/users", nil)
			if !strings.Contains(string(r.Body), `"generations":1,"assets":2,"bytes":`) {
				t.Fatalf("usage not counted: %s", r.Body)
			}
			if r := admin.Do("DELETE", fmt.Sprintf("/api/admin/users/%d", memberID), nil); r.Status != 204 {
				t.Fatalf("delete: %d %s", r.Status, r.Body)
			}
			for _, dir := range []string{filepath.Join(g.studio.DataDir, "media"), root} {
				if left := objectFiles(t, dir, memberID); len(left) != 0 {
					t.Fatalf("objects left after the delete: %v", left)
				}
				for _, p := range filesNamed(t, dir, ".thumb.jpg") {
					if strings.Contains(p, fmt.Sprintf("users%c%d%c", filepath.Separator, memberID, filepath.Separator)) {
						t.Fatalf("a preview left after the delete: %s", p)
					}
				}
			}
			if n := len(objectFiles(t, root, keeperID)); n != 2 {
				t.Fatalf("another account lost objects: %d left of 2", n)
			}
			db := openDB(t, g.studio.DataDir)
			for _, q := range []string{`SELECT count(*) FROM users WHERE id = $1`, `SELECT count(*) FROM sessions WHERE user_id = $1`,
				`SELECT count(*) FROM generations WHERE user_id = $1`, `SELECT count(*) FROM assets WHERE user_id = $1`} {
				if n := countRows(t, db, q, memberID); n != 0 {
					t.Fatalf("%s: %d rows left", q, n)
				}
			}
			if n := countRows(t, db, `SELECT count(*) FROM pending_deletes`); n != 0 {
				t.Fatalf("%d deletes still queued after they worked", n)
			}
			if r := member.Do("GET", "/api/me", nil); r.Status != 401 {
				t.Fatalf("the deleted account's session: %d", r.Status)
			}
			if r := keeper.Do("GET", "/api/assets", nil); len(r.JSON()["assets"].([]any)) != 2 {
				t.Fatalf("keeper's gallery: %s", r.Body)
			}
			if srv == nil {
				return
			}
			// S3 down while deleting: the rows go at once, the objects stay queued and go when
			// the retries find S3 again.
			ev := waitDone(t, keeper, submit(t, keeper, "fal-ai/flux/schnell", "one more", nil).ID)
			if ev[len(ev)-1].Status != "succeeded" {
				t.Fatalf("keeper generation: %+v", ev[len(ev)-1])
			}
			srv.Stop()
			if r := admin.Do("DELETE", fmt.Sprintf("/api/admin/users/%d", keeperID), nil); r.Status != 204 {
				t.Fatalf("delete during an outage: %d %s", r.Status, r.Body)
			}
			if n := countRows(t, db, `SELECT count(*) FROM pending_deletes WHERE storage = 's3'`); n != 3 {
				t.Fatalf("%d deletes queued during the outage, want 3", n)
			}
			srv.Restart(t)
			if n := g.studio.App.Cleaner().RetryDeletes(context.Background()); n != 3 {
				t.Fatalf("retries removed %d objects, want 3", n)
			}
			if left := objectFiles(t, root, keeperID); len(left) != 0 {
				t.Fatalf("objects left after the retries: %v", left)
			}
		})
	}
}

// A disabled account's jobs already at fal still finish and are stored.
func TestDisabledAccountsJobsStillFinish(t *testing.T) {
	g := newGenEnv(t, falsim.Options{QueuePolls: 1 << 20}, nil, "")
	admin := g.user(t, "boss@example.com", "")
	member := g.user(t, "busy@example.com", "sim-key-busy")
	memberID := userID(t, member.Do("GET", "/api/me", nil))
	gen := submit(t, member, "fal-ai/flux/schnell", "finishes after the disable", nil)
	if r := admin.Do("PATCH", fmt.Sprintf("/api/admin/users/%d", memberID), map[string]any{"disabled": true}); r.Status != 200 {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	if r := member.Do("GET", "/api/generations/"+gen.ID, nil); r.Status != 401 {
		t.Fatalf("the disabled session still reads: %d", r.Status)
	}
	g.sim.SetOptions(falsim.Options{QueuePolls: 1, RunPolls: 1}) // fal finishes the job now
	db := openDB(t, g.studio.DataDir)
	testutil.WaitFor(t, 20*time.Second, "the disabled account's job to succeed", func() bool {
		var status string
		if err := db.QueryRow(`SELECT status FROM generations WHERE id = $1`, gen.ID).Scan(&status); err != nil {
			t.Fatal(err)
		}
		if status == "failed" || status == "canceled" {
			t.Fatalf("the disabled account's job ended %q", status)
		}
		return status == "succeeded"
	})
	if n := countRows(t, db, `SELECT count(*) FROM assets WHERE user_id = $1`, memberID); n != 1 {
		t.Fatalf("%d assets stored for the disabled account, want 1", n)
	}
	if n := len(objectFiles(t, filepath.Join(g.studio.DataDir, "media"), memberID)); n != 1 {
		t.Fatalf("%d objects stored, want 1", n)
	}
}

// Deleting an account first asks fal to stop its unfinished jobs (their results would be
// thrown away); a refused delete (the last admin) touches nothing.
func TestDeletingAnAccountCancelsItsJobs(t *testing.T) {
	g := newGenEnv(t, falsim.Options{QueuePolls: 1 << 20}, nil, "")
	admin := g.user(t, "boss@example.com", "sim-key-boss")
	member := g.user(t, "quitter@example.com", "sim-key-quit")
	mine := submit(t, admin, "fal-ai/flux/schnell", "the admin's own job", nil)
	theirs := submit(t, member, "fal-ai/flux/schnell", "never needed", nil)
	waitStatus(t, admin, mine.ID, "queued", nil)
	waitStatus(t, member, theirs.ID, "queued", nil)
	if r := admin.Do("DELETE", "/api/me", map[string]string{"password": goodPassword}); r.ErrorCode() != "last_admin" {
		t.Fatalf("last admin deletes itself: %d %s", r.Status, r.Body)
	}
	jobs := g.sim.Jobs()
	if len(jobs) != 2 || g.sim.Cancelled(jobs[0]) || g.sim.Cancelled(jobs[1]) {
		t.Fatalf("a refused delete canceled jobs: %v", jobs)
	}
	if r := member.Do("DELETE", "/api/me", map[string]string{"password": goodPassword}); r.Status != 204 {
		t.Fatalf("delete me: %d %s", r.Status, r.Body)
	}
	if g.sim.Cancelled(jobs[0]) || !g.sim.Cancelled(jobs[1]) {
		t.Fatalf("fal cancels: admin's %v, deleted account's %v; want only the deleted account's", g.sim.Cancelled(jobs[0]), g.sim.Cancelled(jobs[1]))
	}
	if r := admin.Do("GET", "/api/generations/"+mine.ID, nil); decodeGen(t, r).Status != "queued" {
		t.Fatalf("the admin's job: %s", r.Body)
	}

	// An admin deleting another account goes the same way: that account's jobs are canceled too.
	fired := g.user(t, "fired@example.com", "sim-key-fired")
	firedID := userID(t, fired.Do("GET", "/api/me", nil))
	theirs = submit(t, fired, "fal-ai/flux/schnell", "never needed either", nil)
	waitStatus(t, fired, theirs.ID, "queued", nil)
	if jobs = g.sim.Jobs(); len(jobs) != 3 {
		t.Fatalf("fal has %d jobs, want 3", len(jobs))
	}
	if r := admin.Do("DELETE", fmt.Sprintf("/api/admin/users/%d", firedID), nil); r.Status != 204 {
		t.Fatalf("admin deletes an account: %d %s", r.Status, r.Body)
	}
	if g.sim.Cancelled(jobs[0]) || !g.sim.Cancelled(jobs[2]) {
		t.Fatalf("fal cancels: admin's %v, the deleted account's %v; want only the deleted account's", g.sim.Cancelled(jobs[0]), g.sim.Cancelled(jobs[2]))
	}
	if r := admin.Do("DELETE", fmt.Sprintf("/api/admin/users/%d", firedID), nil); r.Status != 404 {
		t.Fatalf("deleting it again: %d %s", r.Status, r.Body)
	}
}
