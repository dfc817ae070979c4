package falkey

import (
	"bytes"
	"errors"
	"testing"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/secret"
)

func TestSealOpenAndCache(t *testing.T) {
	box, err := secret.NewBox(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	k := New(box, nil)
	sealed, err := k.Seal(1, "fal-key-one")
	if err != nil {
		t.Fatal(err)
	}
	got, err := k.Of(&model.User{ID: 1, FalKey: sealed})
	if err != nil || got.Reveal() != "fal-key-one" {
		t.Fatalf("Of = %v, %v", got.Reveal(), err)
	}
	// Another user's row never opens the sealed value, cached or not.
	var me *model.Error
	if _, err := k.Open(2, sealed); !errors.As(err, &me) || me.Code != model.CodeFalKeyMissing {
		t.Fatalf("another user's id opened the key: %v", err)
	}
	// A replaced key (a new sealed value) is opened anew, never served from the cache.
	sealed2, err := k.Seal(1, "fal-key-two")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.Open(1, sealed2); err != nil || got.Reveal() != "fal-key-two" {
		t.Fatalf("replaced key = %v, %v", got.Reveal(), err)
	}
	if _, err := k.Open(1, ""); !errors.As(err, &me) || me.Code != model.CodeFalKeyMissing {
		t.Fatalf("no key: %v", err)
	}
}
