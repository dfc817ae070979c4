package httpapi_test

import (
	"fmt"
	"testing"
)

// auditActions lists the audit log's actions, newest first.
func auditActions(t *testing.T, tm *team) ([]string, []map[string]any) {
	t.Helper()
	r := tm.admin.Do("GET", "/api/admin/audit?limit=100", nil)
	if r.Status != 200 {
		t.Fatalf("audit: %d %s", r.Status, r.Body)
	}
	var actions []string
	var events []map[string]any
	for _, e := range r.JSON()["events"].([]any) {
		m := e.(map[string]any)
		actions = append(actions, m["action"].(string))
		events = append(events, m)
	}
	return actions, events
}

// A PATCH /api/admin/users/{id} is applied whole or not at all: a refused one changes nothing
// and writes no audit entry; the audit holds the budget as stored.
func TestAdminPatchIsWholeOrNothing(t *testing.T) {
	tm := newTeam(t, nil)
	admin := fmt.Sprintf("/api/admin/users/%d", tm.adminID)
	member := fmt.Sprintf("/api/admin/users/%d", tm.memberID)
	before, _ := auditActions(t, tm)
	for _, tc := range []struct {
		path   string
		body   map[string]any
		status int
		code   string
	}{
		{admin, map[string]any{"monthlyBudgetUsd": 7, "disabled": true}, 409, "last_admin"},
		{admin, map[string]any{"monthlyBudgetUsd": 7, "role": "member"}, 409, "last_admin"},
		{admin, map[string]any{"role": "admin", "disabled": true}, 409, "last_admin"},
		{member, map[string]any{"role": "admin", "monthlyBudgetUsd": -1}, 400, "invalid_input"},
		{member, map[string]any{"disabled": true, "role": "boss"}, 400, "invalid_input"},
	} {
		if r := tm.admin.Do("PATCH", tc.path, tc.body); r.Status != tc.status || r.ErrorCode() != tc.code {
			t.Fatalf("PATCH %s %v: %d %s", tc.path, tc.body, r.Status, r.Body)
		}
	}
	r := tm.admin.Do("GET", "/api/admin/users", nil)
	for _, u := range r.JSON()["users"].([]any) {
		m := u.(map[string]any)
		if m["monthlyBudgetUsd"] != nil || m["disabled"] != false {
			t.Fatalf("a refused PATCH changed %v", m)
		}
		if int64(m["id"].(float64)) == tm.memberID && m["role"] != "member" {
			t.Fatalf("a refused PATCH promoted the member: %v", m)
		}
	}
	after, _ := auditActions(t, tm)
	if len(after) != len(before) {
		t.Fatalf("refused PATCHes wrote audit entries: %v", after[:len(after)-len(before)])
	}
	// The audit records the budget as stored (rounded to a millionth of a dollar), not as asked.
	if r := tm.admin.Do("PATCH", member, map[string]any{"monthlyBudgetUsd": 1e-320}); r.Status != 200 {
		t.Fatalf("tiny budget: %d %s", r.Status, r.Body)
	}
	_, events := auditActions(t, tm)
	if events[0]["action"] != "budget.change" || events[0]["detail"].(map[string]any)["monthlyBudgetUsd"] != 0.0 {
		t.Fatalf("audit of a tiny budget: %v", events[0])
	}
}
