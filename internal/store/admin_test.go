package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

// An instance upgraded from before teams: its first account becomes the admin, and the next
// sign-up is a member (the first-admin claim is already taken).
func TestTeamsMigrationOnAnExistingInstance(t *testing.T) {
	p := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+p)
	if err != nil {
		t.Fatal(err)
	}
	init, err := migrationsFS.ReadFile("migrations/sqlite/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{string(init),
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (1, 0)`,
		`INSERT INTO users (email, password_hash, created_at, updated_at) VALUES ('old1@example.com', 'h', 1, 1), ('old2@example.com', 'h', 2, 2)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for email, role := range map[string]string{"old1@example.com": model.RoleAdmin, "old2@example.com": model.RoleMember} {
		u, err := s.UserByEmail(ctx, email)
		if err != nil || u.Role != role || u.Disabled() {
			t.Fatalf("%s: %+v %v", email, u, err)
		}
	}
	u, err := s.InsertUser(ctx, "new@example.com", "h")
	if err != nil || u.Role != model.RoleMember {
		t.Fatalf("a sign-up after the upgrade: %+v %v", u, err)
	}
}

func TestFirstAdminRace(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	roles := make([]string, 8)
	for i := range roles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := s.InsertUser(ctx, fmt.Sprintf("racer%d@example.com", i), "h")
			if err != nil {
				t.Errorf("insert: %v", err)
				return
			}
			roles[i] = u.Role
		}()
	}
	wg.Wait()
	admins := 0
	for _, r := range roles {
		if r == model.RoleAdmin {
			admins++
		}
	}
	if admins != 1 {
		t.Fatalf("%d admins from %v", admins, roles)
	}
	// FirstOnly refuses once the admin exists.
	if _, err := s.CreateUser(ctx, NewUser{Email: "late@example.com", PasswordHash: "h", FirstOnly: true}); !errors.Is(err, ErrNotFirst) {
		t.Fatalf("first-only after the first: %v", err)
	}
}

func TestLastAdminIsProtected(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	a, _ := s.InsertUser(ctx, "a@example.com", "h")
	b, _ := s.InsertUser(ctx, "b@example.com", "h")
	if _, err := s.SetRole(ctx, a.ID, model.RoleMember); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("demote the only admin: %v", err)
	}
	if _, err := s.SetDisabled(ctx, a.ID, true); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("disable the only admin: %v", err)
	}
	if _, _, err := s.DeleteUser(ctx, a.ID, false, time.Now()); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("delete the only admin: %v", err)
	}
	// A disabled admin does not count: it cannot administer.
	if _, err := s.SetRole(ctx, b.ID, model.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetDisabled(ctx, b.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetRole(ctx, a.ID, model.RoleMember); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("demote the only enabled admin: %v", err)
	}
	if _, err := s.SetDisabled(ctx, b.ID, false); err != nil {
		t.Fatal(err)
	}
	// Two admins demoting each other at once: exactly one succeeds.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, id := range []int64{a.ID, b.ID} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.SetRole(ctx, id, model.RoleMember)
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("both or neither demoted: %v", errs)
	}
}

func TestDisableEndsSessionsAndResetIsSingleUse(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	if _, err := s.InsertUser(ctx, "admin@example.com", "h"); err != nil {
		t.Fatal(err)
	}
	u, err := s.InsertUser(ctx, "m@example.com", "h")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, id := range []string{"s1", "s2"} {
		if err := s.InsertSession(ctx, &model.Session{ID: id, UserID: u.ID, SecretHash: []byte("x"), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if changed, err := s.SetDisabled(ctx, u.ID, true); err != nil || !changed {
		t.Fatalf("disable: %v %v", changed, err)
	}
	if _, err := s.SessionByID(ctx, "s1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("session after disable: %v", err)
	}
	if changed, err := s.SetDisabled(ctx, u.ID, true); err != nil || changed {
		t.Fatalf("disabling twice: changed %v (%v)", changed, err)
	}
	hash := []byte("0123456789abcdef0123456789abcdef")
	if err := s.InsertPasswordReset(ctx, u.ID, 0, hash, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if id, err := s.UsePasswordReset(ctx, hash, "new"); err != nil || id != u.ID {
		t.Fatalf("use: %d %v", id, err)
	}
	if _, err := s.UsePasswordReset(ctx, hash, "again"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("use twice: %v", err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.PasswordHash != "new" {
		t.Fatalf("hash %q", got.PasswordHash)
	}
}
