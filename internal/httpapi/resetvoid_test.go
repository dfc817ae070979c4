package httpapi_test

import (
	"fmt"
	"testing"
)

// A reset link issued before the person changed their own password no longer works: whoever
// holds it (a chat, an e-mail) cannot undo the change and end the owner's sessions.
func TestOwnPasswordChangeVoidsResetLinks(t *testing.T) {
	tm := newTeam(t, nil)
	tok := resetToken(t, tm.admin.Do("POST", fmt.Sprintf("/api/admin/users/%d/password-reset", tm.memberID), nil))
	const changed = "my own new passphrase"
	if r := tm.member.Do("PUT", "/api/me/password", map[string]string{"currentPassword": goodPassword, "newPassword": changed}); r.Status != 204 {
		t.Fatalf("change password: %d %s", r.Status, r.Body)
	}
	anon := tm.s.NewClient(t)
	if r := anon.Do("POST", "/api/auth/reset", map[string]string{"token": tok, "newPassword": "the link holder's passphrase"}); r.Status != 400 || r.ErrorCode() != "reset_invalid" {
		t.Fatalf("a link from before the change: %d %s", r.Status, r.Body)
	}
	if r := tm.member.Do("GET", "/api/me", nil); r.Status != 200 {
		t.Fatalf("the owner's session: %d", r.Status)
	}
	if r := anon.Do("POST", "/api/auth/login", map[string]string{"email": "member@example.com", "password": changed}); r.Status != 200 {
		t.Fatalf("the owner's password: %d %s", r.Status, r.Body)
	}
}
