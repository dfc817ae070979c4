package media

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSlug(t *testing.T) {
	cases := map[string]string{
		"A Red Fox, at dawn!":     "a-red-fox-at-dawn",
		"":                        "untitled",
		"!!!":                     "untitled",
		"Ünïcödé façade 東京":       "n-c-d-fa-ade",
		"  --x--  ":               "x",
		strings.Repeat("ab ", 40): "ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab",
	}
	for in, want := range cases {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

var keyPattern = regexp.MustCompile(`^users/[0-9]+/(image|video|audio|other)/[0-9]+-[a-z0-9]+(-[a-z0-9]+)*-[A-Za-z0-9]+\.[a-z0-9]+$`)

func TestObjectKey(t *testing.T) {
	now := time.UnixMilli(1700000000123)
	id := NewAssetID()
	if len(id) != 32 {
		t.Fatalf("asset id %q", id)
	}
	k := ObjectKey(7, "image", "A cat", id, "image/png", now)
	if k != "users/7/image/1700000000123-a-cat-"+id+".png" {
		t.Fatalf("key %q", k)
	}
	if ObjectKey(1, "video", "", id, "video/mp4", now) != "users/1/video/1700000000123-untitled-"+id+".mp4" {
		t.Fatal("video key")
	}
	if ExtFor("image/jpeg; charset=x") != "jpg" || ExtFor("text/html") != "bin" {
		t.Fatal("ext")
	}
	if a, b := NewAssetID(), NewAssetID(); a == b {
		t.Fatal("ids repeat")
	}
}

func FuzzObjectKey(f *testing.F) {
	f.Add(int64(1), "image", "a prompt", "abc", "image/png")
	f.Add(int64(-5), "../x", "../../etc/passwd", "../..", "text/html")
	f.Fuzz(func(t *testing.T, uid int64, kind, prompt, id, ctype string) {
		if uid < 0 {
			uid = -uid
		}
		if uid < 0 {
			return
		}
		k := ObjectKey(uid, kind, prompt, id, ctype, time.UnixMilli(1))
		if !keyPattern.MatchString(k) || strings.Contains(k, "..") || strings.Count(k, "/") != 3 {
			t.Fatalf("bad key %q", k)
		}
		if s := Slug(prompt); len(s) > 48 || s == "" {
			t.Fatalf("bad slug %q", s)
		}
	})
}

func TestEscapeKey(t *testing.T) {
	for key, want := range map[string]string{
		"u1/2026/03/a.png":  "u1/2026/03/a.png",
		"u1/a b?c#d%e.png":  "u1/a%20b%3Fc%23d%25e.png",
		"u1/x;y,z/../w.png": "u1/x%3By%2Cz/../w.png",
		"":                  "",
	} {
		if got := EscapeKey(key); got != want {
			t.Errorf("%q → %q, want %q", key, got, want)
		}
	}
}
