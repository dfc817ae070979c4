package account

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/falkey"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/secret"
	"github.com/falstudio/falstudio/internal/store"
)

func newService(t *testing.T, o Options) (*Service, *store.Store) {
	s, st, _ := newServiceWithKeys(t, o)
	return s, st
}

func newServiceWithKeys(t *testing.T, o Options) (*Service, *store.Store, *falkey.Keys) {
	st, err := store.Open(context.Background(), dbtest.URL(t)) // SQLite, or PostgreSQL when the suite runs on it
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	keys := falkey.New(box, nil)
	o.AllowSignup = true
	s, err := New(st, keys, []byte("0123456789abcdef0123456789abcdef"), o)
	if err != nil {
		t.Fatal(err)
	}
	return s, st, keys
}

func TestProductionBcryptCost(t *testing.T) {
	s, st := newService(t, Options{})
	u, _, err := s.SignUp(context.Background(), "127.0.0.1", "cost@example.com", "a fine passphrase")
	if err != nil {
		t.Fatal(err)
	}
	u, _ = st.UserByID(context.Background(), u.ID)
	if c, _ := bcrypt.Cost([]byte(u.PasswordHash)); c < 10 {
		t.Fatalf("bcrypt cost %d < 10", c)
	}
}

func TestCommonPasswordList(t *testing.T) {
	if len(commonPasswords) < 3000 {
		t.Fatalf("only %d common passwords", len(commonPasswords))
	}
	for _, p := range []string{"password1", "12345678", "qwertyuiop", "PASSWORD1"} {
		if err := CheckNewPassword(p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
	if err := CheckNewPassword("x7#Kq2!vLm9@"); err != nil {
		t.Errorf("a random password refused: %v", err)
	}
}

func TestEmails(t *testing.T) {
	good := map[string]string{" A@B.co ": "a@b.co", "first.last+tag@example.org": "first.last+tag@example.org"}
	for in, want := range good {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "a", "a@", "@b.co", "a@b", "a b@c.de", "A <a@b.co>", "a@b.co,c@d.ef", "a@.co", fmt.Sprintf("%0300d@b.co", 1)} {
		if _, err := NormalizeEmail(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCopiedKeyDoesNotOpenForAnotherUser(t *testing.T) {
	s, st, keys := newServiceWithKeys(t, Options{BcryptCost: 4})
	ctx := context.Background()
	signUp := func(email string) *model.User {
		u, _, err := s.SignUp(ctx, "1", email, "a fine passphrase")
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	a, b := signUp("a@example.com"), signUp("b@example.com")
	a, err := s.SetFalKey(ctx, a.ID, "key-of-a")
	if err != nil {
		t.Fatal(err)
	}
	if !a.HasFalKey() {
		t.Fatal("the saved key is not on the returned user")
	}
	if err := st.SetFalKey(ctx, b.ID, a.FalKey); err != nil {
		t.Fatal(err)
	}
	b, err = st.UserByID(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = keys.Of(b)
	var me *model.Error
	if !errors.As(err, &me) || me.Code != model.CodeFalKeyMissing {
		t.Fatalf("B used A's key: %v", err)
	}
	if k, err := keys.Of(a); err != nil || k.Reveal() != "key-of-a" {
		t.Fatalf("A's key: %v", err)
	}
	if a, err = s.RemoveFalKey(ctx, a.ID); err != nil || a.HasFalKey() {
		t.Fatalf("remove key: %v, still has one: %v", err, a != nil && a.HasFalKey())
	}
}

func TestSessionLifetimes(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, st := newService(t, Options{BcryptCost: 4, Now: clock})
	st.SetClock(clock)
	ctx := context.Background()
	_, tok, err := s.SignUp(ctx, "1", "life@example.com", "a fine passphrase")
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(IdleTimeout - time.Minute)
	if _, _, err := s.Authenticate(ctx, tok); err != nil {
		t.Fatalf("inside idle window: %v", err)
	}
	// Constant activity keeps it alive, but never past the absolute limit.
	for now.Before(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(AbsoluteTimeout - 2*time.Hour)) {
		now = now.Add(6 * 24 * time.Hour)
		if now.After(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(AbsoluteTimeout)) {
			break
		}
		if _, _, err := s.Authenticate(ctx, tok); err != nil {
			t.Fatalf("active session ended early at %v: %v", now, err)
		}
	}
	now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(AbsoluteTimeout + time.Second)
	if _, _, err := s.Authenticate(ctx, tok); err == nil {
		t.Fatal("session outlived the absolute timeout")
	}
	_, tok2, _ := s.Login(ctx, "1", "life@example.com", "a fine passphrase")
	now = now.Add(IdleTimeout + time.Second)
	if _, _, err := s.Authenticate(ctx, tok2); err == nil {
		t.Fatal("idle session still valid")
	}
}
