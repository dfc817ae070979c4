package library

import (
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

func TestExportName(t *testing.T) {
	at := time.Date(2026, 12, 1, 15, 30, 0, 0, time.FixedZone("CET", 3600))
	cases := []struct {
		prompt, ctype, want string
	}{
		{"A Red Fox, in snow!", "image/png", "20261201-143000-a-red-fox-in-snow-abc.png"}, // UTC, sortable
		{"", "video/mp4", "20261201-143000-untitled-abc.mp4"},
		{"../../etc/passwd", "image/jpeg", "20261201-143000-etc-passwd-abc.jpg"},
		{strings.Repeat("long ", 40), "audio/mpeg", "20261201-143000-" + strings.Repeat("long-", 10)[:48] + "-abc.mp3"}, // the slug keeps 48 characters,
	}
	for _, c := range cases {
		got := ExportName(&model.Asset{ID: "abc", Prompt: c.prompt, ContentType: c.ctype, CreatedAt: at})
		if got != c.want {
			t.Fatalf("ExportName(%q) = %q, want %q", c.prompt, got, c.want)
		}
		if strings.ContainsAny(got, "/\\") {
			t.Fatalf("%q holds a path separator", got)
		}
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{"  Boards ": "Boards", strings.Repeat("é", 100): strings.Repeat("é", 100)} {
		if got, err := cleanName(in); err != nil || got != want {
			t.Fatalf("cleanName(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", 101), "tab\there", "bad\xff"} {
		if _, err := cleanName(bad); err == nil {
			t.Fatalf("cleanName(%q) accepted", bad)
		}
	}
}

func TestCleanIDs(t *testing.T) {
	got, err := cleanIDs([]string{"a", " b ", "a"})
	if err != nil || strings.Join(got, ",") != "a,b" {
		t.Fatalf("cleanIDs: %v %v", got, err)
	}
	for _, bad := range [][]string{nil, {""}, {strings.Repeat("x", 101)}, make([]string, MaxBulk+1)} {
		if _, err := cleanIDs(bad); err == nil {
			t.Fatalf("cleanIDs(%d ids) accepted", len(bad))
		}
	}
}

func TestValidToken(t *testing.T) {
	good := strings.Repeat("Ab0-_", 8) + "xyz" // 43 characters of the URL-safe alphabet
	if !validToken(good) {
		t.Fatal("a well-formed token refused")
	}
	for _, bad := range []string{"", good[:42], good + "x", good[:42] + "=", good[:42] + "/", good[:42] + "é"} {
		if validToken(bad) {
			t.Fatalf("validToken(%q) accepted", bad)
		}
	}
	if a, b := hashToken(good), hashToken(good[:42]+"y"); len(a) != 32 || string(a) == string(b) {
		t.Fatal("hashToken")
	}
}

func FuzzSplitIDs(f *testing.F) {
	f.Add("a,b,,c")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		ids := SplitIDs(v)
		if strings.TrimSpace(v) == "" && ids != nil {
			t.Fatalf("SplitIDs(%q) = %v", v, ids)
		}
		if _, err := cleanIDs(ids); err == nil {
			for _, id := range ids {
				if strings.TrimSpace(id) == "" {
					t.Fatalf("an empty id passed: %q", v)
				}
			}
		}
	})
}
