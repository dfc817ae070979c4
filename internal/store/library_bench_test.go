package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

// BenchmarkLibraryFilters measures one filtered gallery page (50 assets, with their collection
// ids) for a user with 10,000 assets and another user with 10,000 more.
func BenchmarkLibraryFilters(b *testing.B) {
	s := open(b)
	uid := seedAssets(b, s, 10_000)
	ctx := context.Background()
	// Every 10th asset a favourite, every 4th another model; a big and a small collection.
	if _, err := s.w.ExecContext(ctx, `UPDATE assets SET favorite = 1 WHERE user_id = $1 AND seq % 10 = 0`, uid); err != nil {
		b.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE assets SET model = 'fal-ai/kling' WHERE user_id = $1 AND seq % 4 = 0`, uid); err != nil {
		b.Fatal(err)
	}
	big, err := s.InsertCollection(ctx, uid, "big", "Big")
	if err != nil {
		b.Fatal(err)
	}
	small, err := s.InsertCollection(ctx, uid, "small", "Small")
	if err != nil {
		b.Fatal(err)
	}
	var bigIDs, smallIDs []string
	for i := range 10_000 {
		id := fmt.Sprintf("%d-%06d", uid, i)
		if i%2 == 1 { // holds the favourites (seq % 10 = 0, so i ends in 9)
			bigIDs = append(bigIDs, id)
		}
		if i%100 == 0 {
			smallIDs = append(smallIDs, id)
		}
	}
	for i := 0; i < len(bigIDs); i += 500 {
		if _, err := s.AddToCollection(ctx, uid, big.ID, bigIDs[i:min(i+500, len(bigIDs))]); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.AddToCollection(ctx, uid, small.ID, smallIDs); err != nil {
		b.Fatal(err)
	}
	// PostgreSQL's autovacuum analyzes a table after this many changes; the benchmark does at once
	// what it would soon do (without statistics the planner sorts a whole collection: 26 ms).
	// SQLite gets no ANALYZE: the studio never runs it, and its statistics lead SQLite to worse
	// plans here (a collection page with a common search word went from 1.1 ms to 2.8 ms).
	if s.Dialect() == "postgres" {
		if _, err := s.w.ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
	mid := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(5000 * time.Second).UnixMilli()
	// deep returns the cursor `pages` pages of 100 into the filtered list.
	deep := func(q AssetQuery, pages int) string {
		q.Limit = 100
		for range pages {
			_, c, err := s.Assets(ctx, q)
			if err != nil || c == "" {
				b.Fatalf("deep cursor: %v (the list is shorter than %d pages)", err, pages)
			}
			q.Cursor = c
		}
		return q.Cursor
	}
	fav := LibraryFilter{Favorite: true}
	cases := []struct {
		name string
		q    AssetQuery
	}{
		{"favorite", AssetQuery{LibraryFilter: fav}},
		{"favorite-deep", AssetQuery{LibraryFilter: fav, Cursor: deep(AssetQuery{UserID: uid, LibraryFilter: fav}, 5)}},
		{"favorite-kind-video", AssetQuery{Kind: model.KindVideo, LibraryFilter: fav}},
		{"favorite-search", AssetQuery{Search: "fox", LibraryFilter: fav}},
		{"model", AssetQuery{LibraryFilter: LibraryFilter{Model: "fal-ai/kling"}}},
		{"model-favorite", AssetQuery{LibraryFilter: LibraryFilter{Model: "fal-ai/kling", Favorite: true}}},
		{"date-range", AssetQuery{LibraryFilter: LibraryFilter{FromMs: mid - 3_600_000, BeforeMs: mid}}},
		{"collection-5000", AssetQuery{LibraryFilter: LibraryFilter{Collection: big.ID}}},
		{"collection-5000-deep", AssetQuery{LibraryFilter: LibraryFilter{Collection: big.ID},
			Cursor: deep(AssetQuery{UserID: uid, LibraryFilter: LibraryFilter{Collection: big.ID}}, 20)}},
		{"collection-100", AssetQuery{LibraryFilter: LibraryFilter{Collection: small.ID}}},
		{"collection-favorite-search", AssetQuery{Search: "whale", LibraryFilter: LibraryFilter{Collection: big.ID, Favorite: true}}},
		{"collection-favorite", AssetQuery{LibraryFilter: LibraryFilter{Collection: big.ID, Favorite: true}}},
		{"collection-search", AssetQuery{Search: "fox", LibraryFilter: LibraryFilter{Collection: big.ID}}},
		{"everything-but-search", AssetQuery{Kind: model.KindImage, LibraryFilter: LibraryFilter{Favorite: true, Model: "fal-ai/flux/dev",
			FromMs: 1, BeforeMs: mid * 2, Collection: big.ID}}},
		{"everything", AssetQuery{Kind: model.KindImage, Search: "fox", LibraryFilter: LibraryFilter{Favorite: true, Model: "fal-ai/flux/dev",
			FromMs: 1, BeforeMs: mid * 2, Collection: big.ID}}},
	}
	for _, c := range cases {
		c.q.UserID, c.q.Limit = uid, 50
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				list, _, err := s.Assets(ctx, c.q)
				if err != nil || len(list) == 0 {
					b.Fatalf("%d results, %v", len(list), err)
				}
			}
		})
	}
}
