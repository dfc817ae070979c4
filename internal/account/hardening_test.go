package account

import (
	"context"
	"testing"
	"time"
)

// fill takes every slot of a semaphore until the test ends.
func fill(t *testing.T, sem chan struct{}) {
	for range cap(sem) {
		sem <- struct{}{}
	}
	t.Cleanup(func() {
		for range cap(sem) {
			<-sem
		}
	})
}

// A signed-in person's own password checks (delete the account, change the password) and
// sign-in hash on separate slots: busy checks never hold up a login, and the reverse.
func TestOwnPasswordChecksNeverTakeSignInSlots(t *testing.T) {
	s, st := newService(t, Options{BcryptCost: 4})
	ctx := context.Background()
	u, _, err := s.SignUp(ctx, "192.0.2.1", "slots@example.com", "a fine passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if u, err = st.UserByID(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	t.Run("sign-in busy", func(t *testing.T) {
		fill(t, s.hashSem)
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := s.CheckPassword(cctx, "192.0.2.1", u, "a fine passphrase"); err != nil {
			t.Fatalf("a password check waited for sign-in's slots: %v", err)
		}
	})
	t.Run("own checks busy", func(t *testing.T) {
		fill(t, s.ownSem)
		if cap(s.ownSem) >= cap(s.hashSem) && cap(s.hashSem) > 1 {
			t.Fatalf("own checks have %d slots, sign-in %d: they must have fewer", cap(s.ownSem), cap(s.hashSem))
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, _, err := s.Login(cctx, "192.0.2.1", "slots@example.com", "a fine passphrase"); err != nil {
			t.Fatalf("a login waited for own checks' slots: %v", err)
		}
	})
}
