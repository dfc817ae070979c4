package account

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/secret"
	"github.com/falstudio/falstudio/internal/store"
)

func newService(t *testing.T, o Options) (*Service, *store.Store) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, _ := secret.NewBox(make([]byte, 32))
	o.AllowSignup = true
	s, err := New(st, box, []byte("0123456789abcdef0123456789abcdef"), o)
	if err != nil {
		t.Fatal(err)
	}
	return s, st
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
	s, st := newService(t, Options{BcryptCost: 4})
	ctx := context.Background()
	a, _, _ := s.SignUp(ctx, "1", "a@example.com", "a fine passphrase")
	b, _, _ := s.SignUp(ctx, "1", "b@example.com", "a fine passphrase")
	if _, err := s.SetFalKey(ctx, a.ID, "key-of-a"); err != nil {
		t.Fatal(err)
	}
	keys, _ := st.SealedFalKeys(ctx)
	if err := st.SetFalKey(ctx, b.ID, keys[a.ID]); err != nil {
		t.Fatal(err)
	}
	_, err := s.FalKey(ctx, b.ID)
	var me *model.Error
	if !errors.As(err, &me) || me.Code != model.CodeFalKeyMissing {
		t.Fatalf("B used A's key: %v", err)
	}
	if k, err := s.FalKey(ctx, a.ID); err != nil || k.Reveal() != "key-of-a" {
		t.Fatalf("A's key: %v", err)
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
