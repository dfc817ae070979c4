package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/testutil"
)

// TestAuditLogHoldsEveryEventAndNoSecret drives every audited action with planted secrets, then
// reads the whole log page by page and the raw audit table: every action is there, newest
// first, and no password, fal key, session cookie or invite/reset token is.
func TestAuditLogHoldsEveryEventAndNoSecret(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{Env: map[string]string{"SIGNUP_MODE": "invite"}})
	const (
		adminPass  = "SENTINEL admin passphrase 1"
		memberPass = "SENTINEL member passphrase 2"
		changed    = "SENTINEL changed passphrase 3"
		resetPass  = "SENTINEL reset passphrase 4"
		falKey     = "SENTINEL_fal_key_5f1e2d3c:00112233"
		typedPass  = "SENTINEL typed into email 5"
	)
	admin := s.NewClient(t)
	admin.SignUp("audit-admin@example.com", adminPass)
	inv := admin.Do("POST", "/api/admin/invites", map[string]any{"email": "audit-member@example.com"})
	invite := inviteToken(t, inv)
	member := s.NewClient(t)
	r := member.Do("POST", "/api/auth/signup", map[string]string{"email": "audit-member@example.com", "password": memberPass, "invite": invite})
	if r.Status != 201 {
		t.Fatalf("invite sign-up: %d %s", r.Status, r.Body)
	}
	memberID := userID(t, r)
	secrets := []string{adminPass, memberPass, changed, resetPass, falKey, typedPass, invite, admin.SessionCookie(), member.SessionCookie()}

	s.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": "audit-member@example.com", "password": "wrong passphrase here"})
	s.NewClient(t).Do("POST", "/api/auth/login", map[string]string{"email": typedPass, "password": memberPass})
	member.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": falKey})
	member.Do("DELETE", "/api/me/fal-key", nil)
	if r := member.Do("PUT", "/api/me/password", map[string]string{"currentPassword": memberPass, "newPassword": changed}); r.Status != 204 {
		t.Fatalf("change password: %d %s", r.Status, r.Body)
	}
	secrets = append(secrets, member.SessionCookie())
	reset := resetToken(t, admin.Do("POST", fmt.Sprintf("/api/admin/users/%d/password-reset", memberID), nil))
	secrets = append(secrets, reset)
	if r := s.NewClient(t).Do("POST", "/api/auth/reset", map[string]string{"token": reset, "newPassword": resetPass}); r.Status != 204 {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	if r := member.Do("POST", "/api/auth/login", map[string]string{"email": "audit-member@example.com", "password": resetPass}); r.Status != 200 {
		t.Fatalf("login: %d", r.Status)
	}
	secrets = append(secrets, member.SessionCookie())
	member.Do("POST", "/api/auth/logout", nil)
	path := fmt.Sprintf("/api/admin/users/%d", memberID)
	admin.Do("PATCH", path, map[string]any{"role": "admin"})
	admin.Do("PATCH", path, map[string]any{"role": "member"})
	admin.Do("PATCH", path, map[string]any{"disabled": true})
	admin.Do("PATCH", path, map[string]any{"disabled": false})
	revoked := admin.Do("POST", "/api/admin/invites", map[string]any{})
	secrets = append(secrets, inviteToken(t, revoked))
	admin.Do("DELETE", fmt.Sprintf("/api/admin/invites/%d", int64(revoked.JSON()["invite"].(map[string]any)["id"].(float64))), nil)
	if r := admin.Do("DELETE", path, nil); r.Status != 204 {
		t.Fatalf("delete: %d", r.Status)
	}

	// Page through the whole log, three at a time.
	type event struct {
		ID    int64  `json:"id"`
		Time  string `json:"time"`
		Actor *struct {
			ID    int64
			Email string
		} `json:"actor"`
		Action string                     `json:"action"`
		Target *struct{ Type, ID string } `json:"target"`
		IP     string                     `json:"ip"`
		Detail map[string]any             `json:"detail"`
	}
	var all []event
	var pages bytes.Buffer
	cursor := ""
	for range 100 {
		r := admin.Do("GET", "/api/admin/audit?limit=3&cursor="+cursor, nil)
		if r.Status != 200 {
			t.Fatalf("audit page: %d %s", r.Status, r.Body)
		}
		pages.Write(r.Body)
		var page struct {
			Events     []event `json:"events"`
			NextCursor *string `json:"nextCursor"`
		}
		if err := json.Unmarshal(r.Body, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Events) > 3 {
			t.Fatalf("page of %d", len(page.Events))
		}
		all = append(all, page.Events...)
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	seen := map[string]int{}
	for i, e := range all {
		if i > 0 && e.ID >= all[i-1].ID {
			t.Fatalf("not newest first or repeated: %d after %d", e.ID, all[i-1].ID)
		}
		if e.Time == "" || e.IP == "" || e.Detail == nil {
			t.Fatalf("incomplete event %+v", e)
		}
		seen[e.Action]++
	}
	for _, a := range []string{"user.signup", "auth.login", "auth.login_failed", "auth.logout", "password.change", "password.reset_link",
		"password.reset", "fal_key.save", "fal_key.remove", "user.role", "user.disable", "user.enable", "user.delete",
		"invite.create", "invite.use", "invite.revoke"} {
		if seen[a] == 0 {
			t.Errorf("no %s event in %v", a, seen)
		}
	}
	if seen["auth.login_failed"] != 2 || seen["user.role"] != 2 {
		t.Errorf("event counts %v", seen)
	}
	last := all[0]
	if last.Action != "user.delete" || last.Actor == nil || last.Actor.Email != "audit-admin@example.com" || last.Target == nil || last.Target.ID != fmt.Sprint(memberID) {
		t.Fatalf("newest event %+v", last)
	}
	// The failed login with a password typed as the email keeps no email at all.
	for _, e := range all {
		if e.Action == "auth.login_failed" && e.Target == nil && e.Detail["email"] != nil {
			t.Fatalf("a malformed email was kept: %+v", e)
		}
	}

	// The raw table, read straight from the database file.
	db := openDB(t, s.DataDir)
	rows, err := db.Query(`SELECT actor_email, action, target_type, target_id, ip, detail_json FROM audit_events`)
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	for rows.Next() {
		var cols [6]string
		if err := rows.Scan(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5]); err != nil {
			t.Fatal(err)
		}
		table.WriteString(strings.Join(cols[:], "|") + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for i, sec := range secrets {
		if sec == "" {
			t.Fatalf("secret %d is empty", i)
		}
		scanForSecret(t, sec, map[string][]byte{"audit pages": pages.Bytes(), "audit table": table.Bytes()})
	}
}

// TestTokensAppearOnlyAtCreation: invite and reset tokens are in the one answer that creates
// them and nowhere else — not in lists, not in the log, not in the database files.
func TestTokensAppearOnlyAtCreation(t *testing.T) {
	tm := newTeam(t, map[string]string{"PUBLIC_URL": "https://studio.example.com"})
	seen := map[string][]byte{}
	record := func(name string, r *testutil.Response) {
		var hdr bytes.Buffer
		_ = r.Header.Write(&hdr)
		seen[name] = append(hdr.Bytes(), r.Body...)
	}
	created := tm.admin.Do("POST", "/api/admin/invites", map[string]any{"expiresInHours": 48})
	invite := inviteToken(t, created)
	if u := created.JSON()["url"].(string); u != "https://studio.example.com/#invite="+invite {
		t.Fatalf("invite url %s", u)
	}
	if strings.Count(string(created.Body), invite) != 1 || created.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the token appears once, in the url, uncached: %s %v", created.Body, created.Header)
	}
	rc := tm.admin.Do("POST", fmt.Sprintf("/api/admin/users/%d/password-reset", tm.memberID), nil)
	reset := resetToken(t, rc)
	if !strings.HasPrefix(rc.JSON()["url"].(string), "https://studio.example.com/reset#token=") {
		t.Fatalf("reset url %s", rc.Body)
	}
	for _, tok := range []string{invite, reset} {
		if len(tok) < 26 {
			t.Fatalf("token too short for 128 bits: %d", len(tok))
		}
	}
	record("list invites", tm.admin.Do("GET", "/api/admin/invites", nil))
	record("check invite", tm.s.NewClient(t).Do("POST", "/api/auth/invite", map[string]string{"invite": invite}))
	record("users", tm.admin.Do("GET", "/api/admin/users", nil))
	// The SPA is loaded with the invite in the query: the access log must not keep it.
	record("spa", tm.s.NewClient(t).Do("GET", "/?invite="+invite, nil))
	c := tm.s.NewClient(t)
	record("signup", c.Do("POST", "/api/auth/signup", map[string]string{"email": "joiner@example.com", "password": goodPassword, "invite": invite}))
	record("reuse", tm.s.NewClient(t).Do("POST", "/api/auth/signup", map[string]string{"email": "again@example.com", "password": goodPassword, "invite": invite}))
	record("reset", tm.s.NewClient(t).Do("POST", "/api/auth/reset", map[string]string{"token": reset, "newPassword": "a new passphrase"}))
	record("reset again", tm.s.NewClient(t).Do("POST", "/api/auth/reset", map[string]string{"token": reset, "newPassword": "a new passphrase"}))
	record("audit", tm.admin.Do("GET", "/api/admin/audit", nil))
	record("list after", tm.admin.Do("GET", "/api/admin/invites", nil))
	seen["log"] = []byte(tm.s.Logs.String())
	for k, v := range dataFiles(t, tm.s.DataDir) {
		seen[k] = v
	}
	scanForSecret(t, invite, seen)
	scanForSecret(t, reset, seen)
	tm.s.Stop()
	files := dataFiles(t, tm.s.DataDir)
	scanForSecret(t, invite, files)
	scanForSecret(t, reset, files)
}
