package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/model"
)

var words = []string{"fox", "whale", "lighthouse", "forest", "city", "portrait", "neon", "mountain", "river", "robot", "castle", "desert"}

// seedAssets gives a user n assets (and another user n more, so scoping is exercised).
func seedAssets(b *testing.B, s *Store, n int) int64 {
	ctx := context.Background()
	u, _ := s.InsertUser(ctx, fmt.Sprintf("bench%d@example.com", time.Now().UnixNano()), "h")
	other, _ := s.InsertUser(ctx, fmt.Sprintf("other%d@example.com", time.Now().UnixNano()), "h")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, uid := range []int64{u.ID, other.ID} {
		for i := range n {
			kind := model.KindImage
			if i%7 == 0 {
				kind = model.KindVideo
			}
			prompt := fmt.Sprintf("a %s and a %s, detailed, number %d", words[i%len(words)], words[(i/3)%len(words)], i)
			_, err := s.InsertAsset(ctx, &model.Asset{ID: fmt.Sprintf("%d-%06d", uid, i), UserID: uid, Model: "fal-ai/flux/dev", Prompt: prompt,
				Kind: kind, StorageKey: fmt.Sprintf("users/%d/%d", uid, i), Storage: "local", ContentType: "image/png", Bytes: 1000,
				CreatedAt: base.Add(time.Duration(i) * time.Second)})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	return u.ID
}

// BenchmarkAssetsPage measures one gallery page (50 assets) for a user with 10,000 assets.
func BenchmarkAssetsPage(b *testing.B) {
	s := open(b)
	uid := seedAssets(b, s, 10_000)
	ctx := context.Background()
	if s.Dialect() == "postgres" {
		// Autovacuum analyzes a table this size within a minute of the inserts; a benchmark
		// that starts at once would measure plans made without statistics.
		if _, err := s.w.ExecContext(ctx, `ANALYZE assets`); err != nil {
			b.Fatal(err)
		}
	}
	_, deep, _ := s.Assets(ctx, AssetQuery{UserID: uid, Limit: 100})
	for i := 0; i < 50 && deep != ""; i++ { // a cursor ~5,000 assets deep
		_, deep, _ = s.Assets(ctx, AssetQuery{UserID: uid, Limit: 100, Cursor: deep})
	}
	cases := []struct {
		name string
		q    AssetQuery
	}{
		{"first-page", AssetQuery{UserID: uid, Limit: 50}},
		{"deep-page", AssetQuery{UserID: uid, Limit: 50, Cursor: deep}},
		{"kind-video", AssetQuery{UserID: uid, Limit: 50, Kind: model.KindVideo}},
		{"search-common-word", AssetQuery{UserID: uid, Limit: 50, Search: "fox"}},
		{"search-two-words", AssetQuery{UserID: uid, Limit: 50, Search: "lighthouse fox"}},
		{"search-rare", AssetQuery{UserID: uid, Limit: 50, Search: "number 9999"}},
	}
	for _, c := range cases {
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

// BenchmarkClaimUnderContention: 4 claimers take jobs from one queue of 2,000 due jobs of 20
// people, each claim followed by the poll that hands the job back (one op = claim + poll). On
// PostgreSQL each claimer has its own pool, as replicas do; on SQLite they share the one store a
// single process has (SQLite is not a multi-replica database).
//
//	go test -run '^$' -bench ClaimUnderContention ./internal/store                       # SQLite
//	FALSTUDIO_TEST_DATABASE_URL=… go test -run '^$' -bench ClaimUnderContention ./internal/store
func BenchmarkClaimUnderContention(b *testing.B) {
	u := dbtest.URL(b)
	s := openURL(b, u)
	ctx := context.Background()
	users := make([]int64, 20)
	for i := range users {
		users[i] = mustUser(b, s, fmt.Sprintf("claim%d@example.com", i)).ID
	}
	const jobs = 2000
	for i := range jobs {
		g := &model.Generation{ID: fmt.Sprintf("job%05d", i), UserID: users[i%len(users)], Model: "m"}
		if err := s.InsertGeneration(ctx, g, "", 0, nil); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE generations SET status = 'queued', lease_until = 0, next_poll_at = 0`); err != nil {
		b.Fatal(err)
	}
	pools := []*Store{s}
	if s.Dialect() == "postgres" {
		for range 3 {
			pools = append(pools, openURL(b, u))
		}
	}
	var n atomic.Int64
	b.SetParallelism(2) // 2 × GOMAXPROCS(2) = 4 claimers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := n.Add(1)
		st, holder := pools[int(i)%len(pools)], fmt.Sprintf("w%d", i)
		for pb.Next() {
			got, err := st.ClaimDue(ctx, holder, 1, 4, time.Minute)
			if err != nil {
				b.Error(err)
				return
			}
			for _, g := range got { // poll it and put it back at the end of the queue
				if err := st.MarkPolled(ctx, g.ID, holder, model.StatusQueued, nil, nil, 1, time.UnixMilli(0)); err != nil {
					b.Error(err)
					return
				}
			}
		}
	})
}
