package audit

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/store"
)

func TestRecordDropsSecretishDetailsAndPagesNewestFirst(t *testing.T) {
	st, err := store.Open(context.Background(), dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l := New(st, nil)
	ctx := WithIP(context.Background(), "203.0.113.7")
	l.Record(ctx, Entry{Actor: &Actor{ID: 1, Email: "a@example.com"}, Action: ActionRoleChange, Target: User(2), Detail: map[string]any{
		"to": "admin", "password": "hunter2-secret", "newPassword": "x-secret", "inviteToken": "tok-secret", "falKey": "k-secret",
		"sessionId": "s-secret", "long": strings.Repeat("y", 500), "obj": map[string]any{"password": "nested-secret"}, "n": 3,
	}})
	for i := range 4 {
		l.Record(ctx, Entry{Action: ActionLoginFailed, IP: "198.51.100.1", Detail: map[string]any{"i": i}})
	}
	l.Record(ctx, Entry{}) // no action: refused, logged, not stored

	p, err := l.List(context.Background(), "", 2)
	if err != nil {
		t.Fatal(err)
	}
	var all []Event
	for pages := 0; ; pages++ {
		all = append(all, p.Events...)
		if p.NextCursor == "" || pages > 10 {
			break
		}
		if p, err = l.List(context.Background(), p.NextCursor, 2); err != nil {
			t.Fatal(err)
		}
	}
	if len(all) != 5 {
		t.Fatalf("%d events, want 5", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID {
			t.Fatalf("not newest first: %d then %d", all[i-1].ID, all[i].ID)
		}
	}
	first := all[len(all)-1]
	raw, _ := json.Marshal(first)
	if strings.Contains(string(raw), "secret") || first.Detail["to"] != "admin" || first.Detail["n"] != 3.0 || len(first.Detail["long"].(string)) != 200 {
		t.Fatalf("detail not cleaned: %s", raw)
	}
	if first.IP != "203.0.113.7" || first.Actor == nil || first.Actor.Email != "a@example.com" || first.Target.ID != "2" {
		t.Fatalf("event %s", raw)
	}
	if all[0].Actor != nil || all[0].IP != "198.51.100.1" {
		t.Fatalf("anonymous event %+v", all[0])
	}
	for _, bad := range []string{"x", "-1", "0", "99999999999999999999999"} {
		if _, err := l.List(context.Background(), bad, 2); err != ErrBadCursor {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
	var nilLog *Log
	nilLog.Record(ctx, Entry{Action: ActionLogin}) // a nil log records nothing and does not panic
}
