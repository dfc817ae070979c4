package falkey

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/secret"
	"github.com/falstudio/falstudio/internal/store"
)

func keysOf(t *testing.T, key []byte, previous ...[]byte) *Keys {
	t.Helper()
	box, err := secret.NewBox(key, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return New(box, nil)
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// saveKeys gives each email an account with a fal key sealed by k; it returns the user ids.
func saveKeys(t *testing.T, st *store.Store, k *Keys, emails ...string) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for _, e := range emails {
		u, err := st.InsertUser(ctx, e, "hash")
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := k.Seal(u.ID, "fal-key-of-"+e)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetFalKey(ctx, u.ID, sealed); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	return ids
}

func checkFails(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), "ENCRYPTION_KEY") || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("CheckEncryptionKey = %v; want one line naming ENCRYPTION_KEY with %q", err, want)
	}
}

func TestEncryptionKeyCheckAndRotation(t *testing.T) {
	ctx := context.Background()
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	st := openStore(t)
	old := keysOf(t, oldKey)
	ids := saveKeys(t, st, old, "a@example.com", "b@example.com")

	// First start: the stored keys open, so the canary is written; later starts pass.
	if err := old.CheckEncryptionKey(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := old.CheckEncryptionKey(ctx, st); err != nil {
		t.Fatalf("second start: %v", err)
	}
	canary, ok, err := st.GetMeta(ctx, canaryMeta)
	if err != nil || !ok {
		t.Fatalf("canary: %v %v", ok, err)
	}

	// Another key alone is refused and changes nothing.
	checkFails(t, keysOf(t, newKey).CheckEncryptionKey(ctx, st), "ENCRYPTION_KEY_PREVIOUS")
	if c, _, err := st.GetMeta(ctx, canaryMeta); err != nil || c != canary {
		t.Fatalf("a refused start changed the canary: %v", err)
	}

	// Rotation: with the old key as previous, every stored key is re-sealed under the new one.
	if err := keysOf(t, newKey, oldKey).CheckEncryptionKey(ctx, st); err != nil {
		t.Fatalf("rotation: %v", err)
	}
	after := keysOf(t, newKey)
	if err := after.CheckEncryptionKey(ctx, st); err != nil {
		t.Fatalf("start with the new key alone after rotation: %v", err)
	}
	sealed, err := st.SealedFalKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != len(ids) {
		t.Fatalf("%d sealed keys, want %d", len(sealed), len(ids))
	}
	for i, id := range ids {
		if !after.Current(sealed[id]) {
			t.Errorf("user %d: key not re-sealed under the new key", id)
		}
		k, err := after.Open(id, sealed[id])
		if want := "fal-key-of-" + []string{"a@example.com", "b@example.com"}[i]; err != nil || k.Reveal() != want {
			t.Errorf("user %d: re-sealed key opens as %q, %v", id, k.Reveal(), err)
		}
	}
}

func TestFirstStartWithAnotherKeyIsRefused(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	// Keys saved before the canary existed, under a key the operator no longer starts with.
	saveKeys(t, st, keysOf(t, bytes.Repeat([]byte{3}, 32)), "c@example.com")
	checkFails(t, keysOf(t, bytes.Repeat([]byte{4}, 32)).CheckEncryptionKey(ctx, st), "stored fal keys")
	if _, ok, err := st.GetMeta(ctx, canaryMeta); err != nil || ok {
		t.Fatalf("a refused first start wrote the canary: %v %v", ok, err)
	}
}
