package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/model"
)

// open opens a fresh, migrated store: SQLite in a temporary directory, or a new PostgreSQL
// database when FALSTUDIO_TEST_DATABASE_URL is set (the suite runs once per dialect).
func open(t testing.TB) *Store {
	t.Helper()
	return openURL(t, dbtest.URL(t))
}

func openURL(t testing.TB, u string) *Store {
	t.Helper()
	s, err := Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMigrateEmptyAndReopen(t *testing.T) {
	ctx := context.Background()
	u := dbtest.URL(t)
	s, err := Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	// The highest version, not the count: helpers' migrations arrive with their own numbers.
	files := mustGlob(t, s.d.migrations)
	var want int
	if _, err := fmt.Sscanf(path.Base(files[len(files)-1]), "%d_", &want); err != nil {
		t.Fatal(err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != want {
		t.Fatalf("schema version %d, %v; want %d", v, err, want)
	}
	if dbtest.Postgres() != (s.Dialect() == "postgres") {
		t.Fatalf("dialect %s for %s", s.Dialect(), u)
	}
	if s.Dialect() == "sqlite" {
		var mode string
		var fk int
		if err := s.r.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := s.r.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || fk != 1 {
			t.Fatalf("journal_mode=%s foreign_keys=%d", mode, fk)
		}
	}
	s.Close()
	s, err = Open(ctx, u) // migrations are not applied twice
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.r.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
		t.Fatalf("%d migrations recorded (%v), want %d", n, err, len(files))
	}
}

// Both dialects have the same migration versions.
func TestMigrationVersionsMatch(t *testing.T) {
	a, b := mustGlob(t, sqliteDialect.migrations), mustGlob(t, postgresDialect.migrations)
	if len(a) != len(b) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(a), len(b))
	}
	for i := range a {
		va, _, _ := strings.Cut(path.Base(a[i]), "_")
		vb, _, _ := strings.Cut(path.Base(b[i]), "_")
		if va != vb {
			t.Fatalf("migration %d: sqlite %s, postgres %s", i, a[i], b[i])
		}
	}
}

// Several replicas starting at once against one database migrate it exactly once.
func TestConcurrentMigrations(t *testing.T) {
	u := dbtest.URL(t)
	errs := make(chan error, 3)
	stores := make(chan *Store, 3)
	for range 3 {
		go func() {
			s, err := Open(context.Background(), u)
			errs <- err
			stores <- s
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatalf("a replica failed to start: %v", err)
		}
		s := <-stores
		defer s.Close()
	}
	s := openURL(t, u)
	var n, distinct int
	if err := s.r.QueryRow(`SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != distinct || n != len(mustGlob(t, s.d.migrations)) {
		t.Fatalf("%d migration rows, %d versions", n, distinct)
	}
}

func mustGlob(t testing.TB, dir string) []string {
	t.Helper()
	files, err := fs.Glob(migrationsFS, dir+"/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations in %s: %v", dir, err)
	}
	sort.Strings(files)
	return files
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
	whales, _, err := s.Assets(ctx, AssetQuery{UserID: a.ID, Limit: 100, Search: "WHALE"})
	if err != nil {
		t.Fatal(err)
	}
	foxVideos, _, err := s.Assets(ctx, AssetQuery{UserID: a.ID, Limit: 100, Search: "fo", Kind: model.KindVideo})
	if err != nil {
		t.Fatal(err)
	}
	if len(whales) != 13 || len(foxVideos) != 2 {
		t.Fatalf("search: %d whales, %d fox videos", len(whales), len(foxVideos))
	}
	for _, evil := range []string{`"`, `fox" OR "whale`, `NEAR(a b)`, `prompt:fox`, `*`, `)`} {
		if _, _, err := s.Assets(ctx, AssetQuery{UserID: a.ID, Limit: 10, Search: evil}); err != nil {
			t.Errorf("search %q: %v", evil, err)
		}
	}
	if list, _, err := s.Assets(ctx, AssetQuery{UserID: b.ID, Limit: 100}); err != nil || len(list) != 0 {
		t.Fatalf("user b sees user a's assets: %d (%v)", len(list), err)
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
	// Whales are the even numbers; the last word matches as a prefix: 2, 20, 22, 24, minus the deleted 2.
	list, _, err := s.Assets(ctx, AssetQuery{UserID: a.ID, Limit: 100, Search: "whale number 2"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, x := range list {
		ids = append(ids, x.ID)
	}
	if got := strings.Join(ids, ","); got != "a24,a22,a20" {
		t.Fatalf("after delete, whale number 2* = %s, want a24,a22,a20", got)
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

func TestPostgresPlansEachQuery(t *testing.T) {
	// The URL rewrite is plain string work: checked on either database.
	if got := withCustomPlans("postgres://u@h/db?plan_cache_mode=auto"); !strings.Contains(got, "plan_cache_mode=auto") || strings.Contains(got, "force_custom_plan") {
		t.Fatalf("an explicit choice was overridden: %s", got)
	}
	if got := withCustomPlans("postgres://u@h/db?sslmode=disable"); !strings.Contains(got, "plan_cache_mode=force_custom_plan") || !strings.Contains(got, "sslmode=disable") {
		t.Fatalf("no custom plans asked for: %s", got)
	}
	s := open(t)
	if s.Dialect() == "sqlite" {
		// SQLite has no plan cache setting; its prompt index is the FTS5 table, which keeps no
		// pending list to scan. Check that the searches run on that index and its tokenizer.
		var ddl string
		if err := s.r.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'assets_fts'`).Scan(&ddl); err != nil {
			t.Fatalf("assets_fts: %v", err)
		}
		if !strings.Contains(ddl, "fts5") || !strings.Contains(ddl, "unicode61") {
			t.Fatalf("assets_fts is %q, want an fts5 table with the unicode61 tokenizer", ddl)
		}
		return
	}
	var mode string
	if err := s.r.QueryRow(`SHOW plan_cache_mode`).Scan(&mode); err != nil || mode != "force_custom_plan" {
		t.Fatalf("plan_cache_mode = %q (%v)", mode, err)
	}
	// The prompt index has no pending list (migration 0009): searches never scan queued entries.
	var opts string
	if err := s.r.QueryRow(`SELECT coalesce(array_to_string(reloptions, ','), '') FROM pg_class WHERE relname = 'assets_search'`).Scan(&opts); err != nil || !strings.Contains(opts, "fastupdate=off") {
		t.Fatalf("assets_search options %q (%v), want fastupdate=off", opts, err)
	}
}

// TestPageCarriesCollectionIDs: a gallery page reads each asset's collection ids with its rows
// (sorted by id, [] for none), on a plain page and on a page driven by a collection, and an
// asset's ids never include another person's collections.
func TestPageCarriesCollectionIDs(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	a, _ := s.InsertUser(ctx, "a@example.com", "h")
	b, _ := s.InsertUser(ctx, "b@example.com", "h")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, id := range []string{"x1", "x2", "x3"} {
		if _, err := s.InsertAsset(ctx, &model.Asset{ID: id, UserID: a.ID, Model: "m", Prompt: "p", Kind: model.KindImage, StorageKey: id,
			Storage: "local", ContentType: "image/png", Bytes: 1, Params: []byte(`{"seed":1}`), CreatedAt: base.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []string{"czz", "caa"} {
		if _, err := s.InsertCollection(ctx, a.ID, c, "name "+c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.InsertCollection(ctx, b.ID, "cb", "theirs"); err != nil {
		t.Fatal(err)
	}
	for c, ids := range map[string][]string{"czz": {"x1", "x2"}, "caa": {"x1"}} {
		if _, err := s.AddToCollection(ctx, a.ID, c, ids); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.AddToCollection(ctx, b.ID, "cb", []string{"x1"}); err != nil || n != 0 {
		t.Fatalf("another person's collection took my asset: %d %v", n, err)
	}
	want := map[string][]string{"x1": {"caa", "czz"}, "x2": {"czz"}, "x3": {}}
	for _, q := range []AssetQuery{{UserID: a.ID, Limit: 10}, {UserID: a.ID, Limit: 10, LibraryFilter: LibraryFilter{Collection: "czz"}}} {
		list, _, err := s.Assets(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if q.Collection == "" && len(list) != 3 || q.Collection != "" && len(list) != 2 {
			t.Fatalf("%+v: %d assets", q, len(list))
		}
		for _, got := range list {
			if !slices.Equal(got.CollectionIDs, want[got.ID]) || got.CollectionIDs == nil {
				t.Errorf("%+v: %s is in %#v, want %#v", q.LibraryFilter, got.ID, got.CollectionIDs, want[got.ID])
			}
			if got.UserID != a.ID || string(got.Params) != `{"seed":1}` || got.StorageKey != got.ID {
				t.Errorf("page row %+v", got)
			}
		}
	}
}
