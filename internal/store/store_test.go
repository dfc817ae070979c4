package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

func open(t testing.TB) *Store {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMigrateEmptyAndReopen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "t.db")
	s, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.SchemaVersion(context.Background())
	if err != nil || v < 1 {
		t.Fatalf("schema version %d", v)
	}
	var mode string
	if err := s.r.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	var fk int
	if err := s.r.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || fk != 1 {
		t.Fatalf("journal_mode=%s foreign_keys=%d", mode, fk)
	}
	s.Close()
	s, err = Open(context.Background(), p) // migrations are not applied twice
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestAssetsPagingSearchAndOwnership(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	a, _ := s.InsertUser(ctx, "a@example.com", "h")
	b, _ := s.InsertUser(ctx, "b@example.com", "h")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 25 {
		kind := model.KindImage
		if i%5 == 0 {
			kind = model.KindVideo
		}
		prompt := fmt.Sprintf("a red fox number %d", i)
		if i%2 == 0 {
			prompt = fmt.Sprintf("a blue whale number %d", i)
		}
		ok, err := s.InsertAsset(ctx, &model.Asset{ID: fmt.Sprintf("a%02d", i), UserID: a.ID, Model: "m", Prompt: prompt, Kind: kind,
			StorageKey: fmt.Sprintf("k%d", i), Storage: "local", ContentType: "image/png", Bytes: 1, CreatedAt: base.Add(time.Duration(i/2) * time.Second)})
		if err != nil || !ok {
			t.Fatal(err)
		}
	}
	if ok, err := s.InsertAsset(ctx, &model.Asset{ID: "a00", UserID: a.ID, Model: "m", Kind: "image", StorageKey: "k0", Storage: "local", ContentType: "image/png"}); ok || err != nil {
		t.Fatalf("second insert of one asset: %v %v", ok, err)
	}
	seen := map[string]bool{}
	cursor := ""
	for page := 0; ; page++ {
		list, next, err := s.Assets(ctx, AssetQuery{UserID: a.ID, Limit: 10, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range list {
			if seen[x.ID] {
				t.Fatalf("asset %s twice", x.ID)
			}
			seen[x.ID] = true
			if i > 0 && list[i-1].CreatedAt.Before(x.CreatedAt) {
				t.Fatal("not newest first")
			}
		}
		if next == "" {
			break
		}
		cursor = next
		if page > 5 {
			t.Fatal("paging does not end")
		}
	}
	if len(seen) != 25 {
		t.Fatalf("paged %d of 25", len(seen))
	}
	whales, _, _ := s.Assets(ctx, AssetQuery{UserID: a.ID, Limit: 100, Search: "WHALE"})
	foxVideos, _, _ := s.Assets(ctx, AssetQuery{UserID: a.ID, Limit: 100, Search: "fo", Kind: model.KindVideo})
	if len(whales) != 13 || len(foxVideos) != 2 {
		t.Fatalf("search: %d whales, %d fox videos", len(whales), len(foxVideos))
	}
	for _, evil := range []string{`"`, `fox" OR "whale`, `NEAR(a b)`, `prompt:fox`, `*`, `)`} {
		if _, _, err := s.Assets(ctx, AssetQuery{UserID: a.ID, Limit: 10, Search: evil}); err != nil {
			t.Errorf("search %q: %v", evil, err)
		}
	}
	if list, _, _ := s.Assets(ctx, AssetQuery{UserID: b.ID, Limit: 100}); len(list) != 0 {
		t.Fatal("user b sees user a's assets")
	}
	if _, err := s.Asset(ctx, b.ID, "a01"); !errors.Is(err, ErrNotFound) {
		t.Fatal("user b reads user a's asset")
	}
	if _, err := s.DeleteAsset(ctx, b.ID, "a01"); !errors.Is(err, ErrNotFound) {
		t.Fatal("user b deletes user a's asset")
	}
	if _, _, err := s.Assets(ctx, AssetQuery{UserID: a.ID, Limit: 10, Cursor: "garbage!"}); !errors.Is(err, ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
	if _, err := s.DeleteAsset(ctx, a.ID, "a02"); err != nil {
		t.Fatal(err)
	}
	list, _, err := s.Assets(ctx, AssetQuery{UserID: a.ID, Limit: 100, Search: "whale number 2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 { // whales 20, 22 and 24: "2" is a prefix, and whale 2 is deleted
		t.Fatalf("after delete: %d assets match", len(list))
	}
}

func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor(1, "x"))
	f.Add("")
	f.Add("fHw")
	f.Fuzz(func(t *testing.T, c string) {
		ts, id, err := decodeCursor(c)
		if err == nil && (id == "" || ts < 0) {
			t.Fatalf("accepted %q", c)
		}
	})
}

func FuzzFTSQuery(f *testing.F) {
	s := open(f)
	u, _ := s.InsertUser(context.Background(), "f@example.com", "h")
	f.Add(`fox "whale"`)
	f.Add(`NEAR(a b) OR c*`)
	f.Fuzz(func(t *testing.T, q string) {
		if _, _, err := s.Assets(context.Background(), AssetQuery{UserID: u.ID, Limit: 1, Search: q}); err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
	})
}

func TestClaimAndInterrupted(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	u, _ := s.InsertUser(ctx, "c@example.com", "h")
	for i, st := range []string{model.StatusSubmitting, model.StatusQueued, model.StatusRunning, model.StatusSucceeded} {
		if err := s.InsertGeneration(ctx, &model.Generation{ID: fmt.Sprintf("g%d", i), UserID: u.ID, Model: "m", Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.FailInterrupted(ctx, "interrupted")
	if err != nil || n != 1 {
		t.Fatalf("interrupted: %d %v", n, err)
	}
	g, _ := s.Generation(ctx, u.ID, "g0")
	if g.Status != model.StatusFailed || g.ErrorCode != model.CodeInterrupted || g.CompletedAt == nil {
		t.Fatalf("g0: %+v", g)
	}
	got, err := s.ClaimDue(ctx, "me", 10, time.Minute)
	if err != nil || len(got) != 2 {
		t.Fatalf("claim: %d %v", len(got), err)
	}
	if again, _ := s.ClaimDue(ctx, "other", 10, time.Minute); len(again) != 0 {
		t.Fatal("a leased job was claimed twice")
	}
	ok, err := s.UpdateGeneration(ctx, "g1", GenerationUpdate{Status: ptr(model.StatusCanceled), OnlyIfStatus: []string{model.StatusSucceeded}})
	if ok || err != nil {
		t.Fatal("conditional update ignored its condition")
	}
}

func ptr[T any](v T) *T { return &v }
