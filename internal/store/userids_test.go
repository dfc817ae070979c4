package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// A deleted account's id is never given to a new one (on SQLite, which would otherwise hand out
// max(id)+1 again), also across a restart.
func TestUserIDsNeverReused(t *testing.T) {
	ctx := context.Background()
	u := open(t)
	create := func(st *Store, email string) int64 {
		t.Helper()
		x, err := st.CreateUser(ctx, NewUser{Email: email, PasswordHash: "h"})
		if err != nil {
			t.Fatal(err)
		}
		return x.ID
	}
	create(u, "admin@example.com")
	create(u, "b@example.com")
	c := create(u, "c@example.com")
	if _, _, err := u.DeleteUser(ctx, c, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	d := create(u, "d@example.com")
	if d <= c {
		t.Fatalf("new account got id %d after %d was deleted", d, c)
	}
	if _, _, err := u.DeleteUser(ctx, d, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	again := openURL(t, u.URL())
	if e := create(again, "e@example.com"); e <= d {
		t.Fatalf("after a restart a new account got id %d, %d was deleted", e, d)
	}
}

// An SQLite instance from before the fix: ids deleted earlier are known from the audit log, so
// the first account after the upgrade does not take one of them.
func TestUserIDsMigrationRemembersDeletedIDs(t *testing.T) {
	p := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+p)
	if err != nil {
		t.Fatal(err)
	}
	// Back to before the migration, with an account 5 deleted then (only the audit log names it).
	for _, q := range []string{`DROP TRIGGER users_id_high`, `DELETE FROM meta WHERE key = 'users_id_high'`,
		`DELETE FROM schema_migrations WHERE version = 12`,
		`INSERT INTO audit_events (at, action, target_type, target_id) VALUES (1, 'user.delete', 'user', '5')`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err = Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.CreateUser(context.Background(), NewUser{Email: "new@example.com", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID <= 5 {
		t.Fatalf("the first account after the upgrade got id %d, which a deleted account had", u.ID)
	}
}
