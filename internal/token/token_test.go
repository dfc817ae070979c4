package token

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

func TestSecretsAreWellFormedAndDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		s := NewSecret()
		if !WellFormed(s) || len(s) != 47 || seen[s] {
			t.Fatalf("secret %q", s)
		}
		seen[s] = true
	}
	for _, bad := range []string{"", "fst_", "fst_short", "xyz_" + strings.Repeat("a", 43), "fst_" + strings.Repeat("a", 42) + "!", "fst_" + strings.Repeat("a", 44)} {
		if WellFormed(bad) {
			t.Errorf("%q passes as a secret", bad)
		}
	}
}

func newService(t *testing.T) (*Service, *model.User, *time.Time) {
	t.Helper()
	st, err := store.Open(context.Background(), dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u, err := st.InsertUser(context.Background(), "tok@example.com", "hash")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	return New(st, nil, nil, func() time.Time { return now }), u, &now
}

func TestCreateAuthenticateRevoke(t *testing.T) {
	s, u, now := newService(t)
	ctx := context.Background()
	budget := 3.0
	if _, _, err := s.Create(ctx, u, &budget, CreateInput{Name: "x", Scopes: []string{model.ScopeGenerate}, MonthlyCapUSD: new(4.0)}); !isCode(err, model.CodeInvalidInput) || !strings.Contains(err.Error(), "budget") {
		t.Fatalf("cap over the budget: %v", err)
	}
	tok, secret, err := s.Create(ctx, u, &budget, CreateInput{Name: " bot ", Scopes: []string{"share", "generate", "share"}, MonthlyCapUSD: new(3.0)})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Name != "bot" || !slices.Equal(tok.Scopes, []string{"generate", "share"}) || tok.Prefix != secret[:12] {
		t.Fatalf("token %+v", tok)
	}
	got, who, err := s.Authenticate(ctx, secret)
	if err != nil || got.ID != tok.ID || who.ID != u.ID || got.LastUsedAt == nil {
		t.Fatalf("authenticate: %+v %+v %v", got, who, err)
	}
	var inv *ErrInvalid
	if _, _, err := s.Authenticate(ctx, secret[:len(secret)-1]+"x"); !errors.As(err, &inv) {
		t.Fatalf("a wrong secret: %v", err)
	}
	// Expiry is checked against the clock on every request.
	exp := now.Add(time.Hour)
	_, soon, err := s.Create(ctx, u, nil, CreateInput{Name: "soon", Scopes: []string{"generate"}, ExpiresAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	*now = now.Add(2 * time.Hour)
	if _, _, err := s.Authenticate(ctx, soon); !errors.As(err, &inv) || !strings.Contains(inv.Reason, "expired") {
		t.Fatalf("expired: %v", err)
	}
	if err := s.Revoke(ctx, u, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticate(ctx, secret); !errors.As(err, &inv) || !strings.Contains(inv.Reason, "revoked") {
		t.Fatalf("revoked: %v", err)
	}
	if err := s.Revoke(ctx, u, tok.ID); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("revoke twice: %v", err)
	}
}

// Creations at once never exceed the limit of unrevoked tokens.
func TestAtMostFiftyEvenAtOnce(t *testing.T) {
	s, u, _ := newService(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	made, refused := 0, 0
	for range MaxPerPerson + 10 {
		wg.Go(func() {
			_, _, err := s.Create(context.Background(), u, nil, CreateInput{Name: "n", Scopes: []string{"share"}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				made++
			case isCode(err, model.CodeTooManyTokens):
				refused++
			default:
				t.Errorf("create: %v", err)
			}
		})
	}
	wg.Wait()
	if made != MaxPerPerson || refused != 10 {
		t.Fatalf("made %d, refused %d", made, refused)
	}
}

func isCode(err error, code string) bool {
	var me *model.Error
	return errors.As(err, &me) && me.Code == code
}
