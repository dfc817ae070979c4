package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

// A search page in two steps (the date-ordered window, then the full-text index past it) pages
// exactly as the one-query search does: the same assets, newest first, no gaps or repeats,
// whether the words are common (the window fills the page), rare (the index finds them), or
// absent, with filters and from any cursor — on both dialects, the window made tiny.
func TestSearchPageMatchesOneQuery(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	a, err := s.InsertUser(ctx, "win@example.com", "h")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.InsertUser(ctx, "other@example.com", "h")
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 240 {
		prompt := fmt.Sprintf("a fox number %d", i)
		if i%40 == 7 {
			prompt += " with a lighthouse"
		}
		owner := a.ID
		if i%9 == 0 {
			owner = b.ID
		}
		kind := model.KindImage
		if i%3 == 0 {
			kind = model.KindVideo
		}
		if _, err := s.InsertAsset(ctx, &model.Asset{ID: fmt.Sprintf("w%03d", i), UserID: owner, Model: "m", Prompt: prompt, Kind: kind,
			StorageKey: fmt.Sprintf("w%d", i), Storage: "local", ContentType: "image/png", Bytes: 1, CreatedAt: base.Add(time.Duration(i/3) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	walk := func(window int, q AssetQuery) []string {
		s.d.searchWindow = window
		var ids []string
		for range 100 {
			page, next, err := s.Assets(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range page {
				ids = append(ids, x.ID)
			}
			if next == "" {
				return ids
			}
			q.Cursor = next
		}
		t.Fatal("more than 100 pages")
		return nil
	}
	saved := s.d.searchWindow
	defer func() { s.d.searchWindow = saved }()
	for _, q := range []AssetQuery{
		{UserID: a.ID, Search: "fox", Limit: 5},
		{UserID: a.ID, Search: "lighthouse", Limit: 2},
		{UserID: a.ID, Search: "fox light", Limit: 3},
		{UserID: a.ID, Search: "zebra", Limit: 5},
		{UserID: a.ID, Search: "fox", Kind: model.KindVideo, Limit: 4},
		{UserID: b.ID, Search: "number", Limit: 7},
	} {
		want := walk(0, q)
		for _, w := range []int{1, 7, 50, 1000} {
			if got := walk(w, q); !slices.Equal(got, want) {
				t.Errorf("%+v window %d: %v, want %v", q, w, got, want)
			}
		}
	}
	if got := walk(0, AssetQuery{UserID: a.ID, Search: "lighthouse", Limit: 50}); len(got) != 5 {
		t.Fatalf("lighthouse: %v", got)
	}
}
