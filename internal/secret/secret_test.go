package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestSealOpen(t *testing.T) {
	box, err := NewBox(key(1))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := box.Seal("fal_key", 7, "plain")
	b, _ := box.Seal("fal_key", 7, "plain")
	if a == b {
		t.Fatal("two seals of one value must differ (random nonce)")
	}
	if s, err := box.Open("fal_key", 7, a); err != nil || s.Reveal() != "plain" {
		t.Fatalf("open: %v", err)
	}
	if _, err := box.Open("fal_key", 8, a); err == nil {
		t.Fatal("a value sealed for user 7 opened for user 8")
	}
	if _, err := box.Open("other", 7, a); err == nil {
		t.Fatal("a value opened for another purpose")
	}
	raw := []byte(a)
	raw[len(raw)-3] ^= 1
	if _, err := box.Open("fal_key", 7, string(raw)); err == nil {
		t.Fatal("a tampered value opened")
	}
	for _, junk := range []string{"", "v1", "v1:x:y", "v2:" + a[3:], "plain"} {
		if _, err := box.Open("fal_key", 7, junk); err == nil {
			t.Fatalf("junk %q opened", junk)
		}
	}
}

func TestRotation(t *testing.T) {
	old, _ := NewBox(key(1))
	sealed, _ := old.Seal("fal_key", 1, "k")
	rotated, _ := NewBox(key(2), key(1))
	if rotated.Current(sealed) {
		t.Fatal("old value reported current")
	}
	if s, err := rotated.Open("fal_key", 1, sealed); err != nil || s.Reveal() != "k" {
		t.Fatalf("previous key does not open: %v", err)
	}
	again, _ := rotated.Seal("fal_key", 1, "k")
	if !rotated.Current(again) {
		t.Fatal("new value not current")
	}
	onlyNew, _ := NewBox(key(2))
	if _, err := onlyNew.Open("fal_key", 1, sealed); err == nil {
		t.Fatal("value sealed with a dropped key opened")
	}
	if _, err := NewBox([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestSecretRedacts(t *testing.T) {
	s := New("SENTINEL-123")
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "key", s)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "key", s)
	j, _ := json.Marshal(map[string]any{"k": s})
	out := fmt.Sprintf("%v %+v %#v %s %q %x", s, s, s, s, s, s) + buf.String() + string(j) + fmt.Sprint(struct{ K Secret }{s})
	if strings.Contains(out, "SENTINEL") {
		t.Fatalf("secret printed: %s", out)
	}
	if s.Reveal() != "SENTINEL-123" {
		t.Fatal("reveal")
	}
}
