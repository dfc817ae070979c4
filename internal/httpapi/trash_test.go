package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/testutil"
)

type trashPageJSON struct {
	Assets           []assetJSON `json:"assets"`
	NextCursor       *string     `json:"nextCursor"`
	RetentionSeconds int64       `json:"retentionSeconds"`
}

func trashOf(t *testing.T, c *testutil.Client, query string) trashPageJSON {
	t.Helper()
	var out trashPageJSON
	mustJSON(t, c.Do("GET", "/api/trash"+query, nil), 200, &out)
	return out
}

func listIDs(t *testing.T, c *testutil.Client, query string) []string {
	t.Helper()
	var p assetPageJSON
	mustJSON(t, c.Do("GET", "/api/assets"+query, nil), 200, &p)
	return p.ids()
}

// The trash (SPEC §13.1): a delete moves an asset out of every list, search, count, share and
// export, the owner can still reach it, a restore brings it back exactly as it was, and a
// purge (by hand, emptying, the retention sweep on the studio's clock, the account's deletion)
// removes the row and its object.
func TestTrashHidesRestoresAndPurges(t *testing.T) {
	e := newLibEnv(t)
	ctx := context.Background()
	day := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	a1 := e.seed(t, e.aID, "trashed red fox", "fal-ai/flux/dev", model.KindImage, day, 4000)
	a2 := e.seed(t, e.aID, "second fox", "fal-ai/flux/dev", model.KindImage, day.Add(time.Minute), 3000)
	a3 := e.seed(t, e.aID, "kept owl", "fal-ai/flux/schnell", model.KindImage, day.Add(2*time.Minute), 2000)
	b1 := e.seed(t, e.bID, "their fox", "fal-ai/flux/dev", model.KindImage, day, 1000)
	anon := e.studio.NewClient(t)

	// a1: a favourite, in a collection as its cover, shared alone and with the collection.
	mustJSON(t, e.a.Do("PUT", "/api/assets/"+a1+"/favorite", nil), 200, nil)
	coll := createCollection(t, e.a, "Foxes")
	mustJSON(t, e.a.Do("POST", "/api/collections/"+coll+"/assets", map[string]any{"assetIds": []string{a1, a2}}), 200, nil)
	mustJSON(t, e.a.Do("PATCH", "/api/collections/"+coll, map[string]any{"coverAssetId": a1}), 200, nil)
	var sh, csh shareJSON
	mustJSON(t, e.a.Do("POST", "/api/shares", map[string]any{"assetId": a1}), 201, &sh)
	mustJSON(t, e.a.Do("POST", "/api/shares", map[string]any{"collectionId": coll}), 201, &csh)
	token, ctoken := tokenURL.FindStringSubmatch(*sh.Share.URL)[1], tokenURL.FindStringSubmatch(*csh.Share.URL)[1]
	path1 := e.objectPath(t, e.aID, a1)
	collectionOf := func() collectionJSON {
		var out struct{ Collections []json.RawMessage }
		mustJSON(t, e.a.Do("GET", "/api/collections", nil), 200, &out)
		for _, raw := range out.Collections {
			var c collectionJSON
			if err := json.Unmarshal([]byte(`{"collection":`+string(raw)+`}`), &c); err != nil {
				t.Fatal(err)
			}
			if c.Collection.ID == coll {
				return c
			}
		}
		t.Fatal("collection not listed")
		return collectionJSON{}
	}
	if c := collectionOf(); c.Collection.Count != 2 || c.Collection.CoverURL == nil || !strings.Contains(*c.Collection.CoverURL, a1) {
		t.Fatalf("collection before: %+v", c)
	}

	// Delete: to the trash with its times; a second delete changes nothing; another person's
	// delete of it is a 404.
	var del struct{ Asset assetJSON }
	mustJSON(t, e.a.Do("DELETE", "/api/assets/"+a1, nil), 200, &del)
	if del.Asset.TrashedAt == nil || del.Asset.PurgeAt == nil {
		t.Fatalf("trashed asset: %+v", del.Asset)
	}
	trashedAt, err1 := time.Parse(time.RFC3339, *del.Asset.TrashedAt)
	purgeAt, err2 := time.Parse(time.RFC3339, *del.Asset.PurgeAt)
	if err1 != nil || err2 != nil || purgeAt.Sub(trashedAt) != 30*24*time.Hour {
		t.Fatalf("times %v %v (%v %v)", trashedAt, purgeAt, err1, err2)
	}
	e.offset.Add(int64(time.Hour))
	var again struct{ Asset assetJSON }
	mustJSON(t, e.a.Do("DELETE", "/api/assets/"+a1, nil), 200, &again)
	if *again.Asset.TrashedAt != *del.Asset.TrashedAt || *again.Asset.PurgeAt != *del.Asset.PurgeAt {
		t.Fatalf("a second delete moved the times: %+v", again.Asset)
	}
	if r := e.b.Do("DELETE", "/api/assets/"+a1, nil); r.Status != 404 {
		t.Fatalf("another person's delete: %d", r.Status)
	}

	// Out of the library everywhere.
	for _, q := range []string{"", "?q=fox", "?q=trashed", "?kind=image", "?favorite=1", "?model=fal-ai/flux/dev", "?collection=" + coll,
		"?from=2026-11-20&to=2026-11-20"} {
		if got := listIDs(t, e.a, q); slices.Contains(got, a1) {
			t.Fatalf("GET /api/assets%s lists the trashed asset: %v", q, got)
		}
	}
	if c := collectionOf(); c.Collection.Count != 1 || c.Collection.CoverURL == nil || strings.Contains(*c.Collection.CoverURL, a1) {
		t.Fatalf("collection with the cover in the trash: %+v", c)
	}
	for _, p := range []string{"/api/s/" + token, "/s/" + token + "/media/" + a1, "/s/" + ctoken + "/media/" + a1} {
		if r := anon.Do("GET", p, nil); r.Status != 404 {
			t.Fatalf("share path %s of a trashed asset: %d", p, r.Status)
		}
	}
	var pub publicJSON
	mustJSON(t, anon.Do("GET", "/api/s/"+ctoken, nil), 200, &pub)
	if len(pub.Assets) != 1 || pub.Assets[0].ID != a2 {
		t.Fatalf("collection share: %+v", pub)
	}
	if r := e.a.Do("GET", "/api/export.zip?ids="+a1+","+a3, nil); r.Status != 200 || len(readZip(t, r.Body)) != 2 {
		t.Fatalf("export with a trashed id: %d", r.Status)
	}
	if r := e.a.Do("GET", "/api/export.zip?ids="+a1, nil); r.Status != 404 {
		t.Fatalf("export of only a trashed id: %d", r.Status)
	}
	if r := e.a.Do("GET", "/api/export.zip?collection="+coll, nil); r.Status != 200 || len(readZip(t, r.Body)) != 2 {
		t.Fatalf("collection export: %d", r.Status)
	}
	// Every action answers as for a missing asset.
	for _, step := range []struct{ method, path string }{{"PUT", "/api/assets/" + a1 + "/favorite"}, {"DELETE", "/api/assets/" + a1 + "/favorite"}} {
		if r := e.a.Do(step.method, step.path, nil); r.Status != 404 {
			t.Fatalf("%s %s: %d", step.method, step.path, r.Status)
		}
	}
	if r := e.a.Do("POST", "/api/shares", map[string]any{"assetId": a1}); r.Status != 404 {
		t.Fatalf("sharing a trashed asset: %d", r.Status)
	}
	if r := e.a.Do("POST", "/api/uploads", map[string]string{"assetId": a1}); r.Status != 404 {
		t.Fatalf("uploading a trashed asset: %d %s", r.Status, r.Body)
	}
	other := createCollection(t, e.a, "Other")
	e.a.Do("POST", "/api/collections/"+other+"/assets", map[string]any{"assetIds": []string{a1}})
	if got := listIDs(t, e.a, "?collection="+other); len(got) != 0 {
		t.Fatalf("a trashed asset joined a collection: %v", got)
	}
	// The owner still reaches it, its media (ranges too) and its lineage; nobody else does.
	if got := assetOf(t, e.a, a1); got.TrashedAt == nil || !got.Favorite {
		t.Fatalf("owner's view: %+v", got)
	}
	if r := e.a.Do("GET", "/media/"+a1, nil); r.Status != 200 || !bytes.Equal(r.Body, e.files[a1]) {
		t.Fatalf("owner's media: %d", r.Status)
	}
	if r := e.a.Do("GET", "/media/"+a1, nil, "Range", "bytes=0-9"); r.Status != 206 || len(r.Body) != 10 {
		t.Fatalf("owner's range: %d", r.Status)
	}
	lineageOf(t, e.a, a1)
	for _, p := range []string{"/api/assets/" + a1, "/media/" + a1, "/api/assets/" + a1 + "/lineage"} {
		if r := e.b.Do("GET", p, nil); r.Status != 404 {
			t.Fatalf("another person's %s: %d", p, r.Status)
		}
	}
	if _, err := os.Stat(path1); err != nil {
		t.Fatalf("the object of a trashed asset: %v", err)
	}

	// The trash lists the caller's only, newest trashed first, with the retention.
	e.offset.Add(int64(time.Minute))
	var bulk struct{ Deleted, Trashed int }
	mustJSON(t, e.a.Do("POST", "/api/assets/bulk-delete", map[string]any{"assetIds": []string{a2, a1, b1, "nope"}}), 200, &bulk)
	if bulk.Deleted != 1 || bulk.Trashed != 1 {
		t.Fatalf("bulk delete: %+v", bulk)
	}
	tr := trashOf(t, e.a, "")
	if got := ids(tr.Assets); tr.RetentionSeconds != 2592000 || len(got) != 2 || got[0] != a2 || got[1] != a1 || tr.NextCursor != nil {
		t.Fatalf("trash: %v %d", got, tr.RetentionSeconds)
	}
	first := trashOf(t, e.a, "?limit=1")
	if first.NextCursor == nil || ids(first.Assets)[0] != a2 {
		t.Fatalf("first trash page: %+v", first)
	}
	if second := trashOf(t, e.a, "?limit=1&cursor="+*first.NextCursor); len(second.Assets) != 1 || second.Assets[0].ID != a1 {
		t.Fatalf("second trash page: %v", ids(second.Assets))
	}
	if tb := trashOf(t, e.b, ""); len(tb.Assets) != 0 {
		t.Fatalf("another person's trash: %v", ids(tb.Assets))
	}
	// Storage use counts the trash.
	users := e.a.Do("GET", "/api/admin/users", nil)
	if users.Status != 200 || !bytes.Contains(users.Body, []byte(`"assets":3`)) || !bytes.Contains(users.Body, []byte(`"bytes":9000`)) {
		t.Fatalf("admin users: %s", users.Body)
	}

	// Bad input changes nothing.
	for _, path := range []string{"/api/trash/restore", "/api/trash/purge", "/api/assets/bulk-delete"} {
		for _, body := range []any{map[string]any{}, map[string]any{"assetIds": a1}, map[string]any{"assetIds": []string{}},
			map[string]any{"assetIds": manyIDs(501)}, map[string]any{"assetIds": []any{1}}, map[string]any{"assetIds": []string{"a\x00"}}} {
			if r := e.a.Do("POST", path, body); r.Status != 400 || r.ErrorCode() != "invalid_input" {
				t.Fatalf("%s %v: %d %s", path, body, r.Status, r.Body)
			}
		}
		if r := e.a.Do("POST", path, strings.Repeat("x", 2<<20), "Content-Type", "application/json"); r.Status != 413 {
			t.Fatalf("%s with a huge body: %d", path, r.Status)
		}
	}
	if len(trashOf(t, e.a, "").Assets) != 2 {
		t.Fatal("bad input changed the trash")
	}

	// Restore: only the caller's trashed ids, back exactly as they were.
	var restored struct{ Restored int }
	mustJSON(t, e.a.Do("POST", "/api/trash/restore", map[string]any{"assetIds": []string{a1, a3, b1, "nope"}}), 200, &restored)
	if restored.Restored != 1 {
		t.Fatalf("restored %d", restored.Restored)
	}
	back := assetOf(t, e.a, a1)
	if back.TrashedAt != nil || back.PurgeAt != nil || !back.Favorite || !slices.Contains(back.CollectionIDs, coll) {
		t.Fatalf("restored asset: %+v", back)
	}
	if got := listIDs(t, e.a, ""); len(got) != 2 || got[0] != a3 || got[1] != a1 {
		t.Fatalf("gallery after the restore: %v", got)
	}
	if c := collectionOf(); c.Collection.Count != 1 || !strings.Contains(*c.Collection.CoverURL, a1) {
		t.Fatalf("collection after the restore: %+v", c)
	}
	if r := anon.Do("GET", "/s/"+token+"/media/"+a1, nil); r.Status != 200 || !bytes.Equal(r.Body, e.files[a1]) {
		t.Fatalf("the same share link after the restore: %d", r.Status)
	}

	// Purge: live assets are counted out; a purged asset and its object are gone.
	path2 := e.objectPath(t, e.aID, a2)
	var purged struct{ Purged int }
	mustJSON(t, e.a.Do("POST", "/api/trash/purge", map[string]any{"assetIds": []string{a1, a3, a2, b1}}), 200, &purged)
	if purged.Purged != 1 {
		t.Fatalf("purged %d", purged.Purged)
	}
	if r := e.a.Do("GET", "/api/assets/"+a2, nil); r.Status != 404 {
		t.Fatalf("purged asset: %d", r.Status)
	}
	if r := e.a.Do("GET", "/media/"+a2, nil); r.Status != 404 {
		t.Fatalf("purged media: %d", r.Status)
	}
	if _, err := os.Stat(path2); !os.IsNotExist(err) {
		t.Fatalf("the purged object is still there: %v", err)
	}
	// Empty the trash.
	mustJSON(t, e.a.Do("DELETE", "/api/assets/"+a3, nil), 200, nil)
	mustJSON(t, e.a.Do("POST", "/api/trash/empty", nil), 200, &purged)
	if purged.Purged != 1 || len(trashOf(t, e.a, "").Assets) != 0 {
		t.Fatalf("empty: %d", purged.Purged)
	}
	mustJSON(t, e.a.Do("POST", "/api/trash/empty", map[string]any{}), 200, &purged)
	if purged.Purged != 0 {
		t.Fatalf("empty again: %d", purged.Purged)
	}
	audit := e.a.Do("GET", "/api/admin/audit?limit=100", nil)
	if !bytes.Contains(audit.Body, []byte(`"trash.purge"`)) || !bytes.Contains(audit.Body, []byte(`"trash.empty"`)) {
		t.Fatalf("audit: %s", audit.Body)
	}

	// The retention sweep, on the studio's clock: nothing before purgeAt, everything after.
	mustJSON(t, e.a.Do("DELETE", "/api/assets/"+a1, nil), 200, nil)
	lib := e.studio.App.Library()
	e.offset.Add(int64(30*24*time.Hour - time.Minute))
	if n, err := lib.PurgeDue(ctx); n != 0 || err != nil {
		t.Fatalf("purged %d before its time (%v)", n, err)
	}
	if r := e.a.Do("GET", "/api/assets/"+a1, nil); r.Status != 200 {
		t.Fatalf("asset before its purge time: %d", r.Status)
	}
	e.offset.Add(int64(2 * time.Minute))
	if n, err := lib.PurgeDue(ctx); n != 1 || err != nil {
		t.Fatalf("sweep purged %d (%v)", n, err)
	}
	if _, err := os.Stat(path1); !os.IsNotExist(err) {
		t.Fatalf("the swept object is still there: %v", err)
	}
	if r := anon.Do("GET", "/api/s/"+token, nil); r.Status != 404 {
		t.Fatalf("share of a purged asset: %d", r.Status)
	}

	// Deleting an account purges its trash at once.
	pathB := e.objectPath(t, e.bID, b1)
	mustJSON(t, e.b.Do("DELETE", "/api/assets/"+b1, nil), 200, nil)
	if r := e.a.Do("DELETE", "/api/admin/users/"+strconv.FormatInt(e.bID, 10), nil); r.Status != 204 {
		t.Fatalf("delete account: %d %s", r.Status, r.Body)
	}
	if _, err := os.Stat(pathB); !os.IsNotExist(err) {
		t.Fatalf("a deleted account's trashed object: %v", err)
	}
}

// With TRASH_DAYS=0 a delete is immediate (204) and the trash is always empty.
func TestTrashOff(t *testing.T) {
	e := newLibEnvWith(t, map[string]string{"TRASH_DAYS": "0"})
	a1 := e.seed(t, e.aID, "gone at once", "fal-ai/flux/dev", model.KindImage, time.Now(), 100)
	path := e.objectPath(t, e.aID, a1)
	if r := e.a.Do("DELETE", "/api/assets/"+a1, nil); r.Status != 204 {
		t.Fatalf("delete: %d", r.Status)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("object after the delete: %v", err)
	}
	if tr := trashOf(t, e.a, ""); len(tr.Assets) != 0 || tr.RetentionSeconds != 0 {
		t.Fatalf("trash while off: %+v", tr)
	}
}

// On S3 (versitygw) a trashed asset keeps its object and a purge removes it; a purge while S3
// is down removes the row at once and the object once S3 answers again.
func TestTrashPurgeS3(t *testing.T) {
	srv := testutil.StartS3(t, false)
	makeBucket(t, srv, "trash")
	g := newGenEnv(t, falsim.Options{}, srv.Env("trash"), "")
	c := g.user(t, "s3trash@example.com", "sim-key")
	bucket := filepath.Join(srv.Dir, "trash")
	a1, _ := makeAsset(t, c, "fal-ai/flux/schnell", "kept in the trash", nil)
	a2, _ := makeAsset(t, c, "fal-ai/flux/schnell", "purged while S3 is down", nil)
	waitFiles := func(want int, what string) {
		t.Helper()
		testutil.WaitFor(t, 10*time.Second, what, func() bool { return countFiles(t, bucket) == want })
	}
	for _, id := range []string{a1.ID, a2.ID} {
		if getAsset(t, c, id).ThumbURL == nil { // waits (bounded) for the preview
			t.Fatalf("no preview for %s", id)
		}
	}
	objects := countFiles(t, bucket) // the originals and any stored previews, as many for each
	if objects == 0 || objects%2 != 0 {
		t.Fatalf("bucket holds %d objects", objects)
	}
	mustJSON(t, c.Do("DELETE", "/api/assets/"+a1.ID, nil), 200, nil)
	mustJSON(t, c.Do("DELETE", "/api/assets/"+a2.ID, nil), 200, nil)
	if n := countFiles(t, bucket); n != objects {
		t.Fatalf("objects %d → %d after moving to the trash", objects, n)
	}
	if r := c.Do("GET", a1.URL, nil); r.Status != 200 {
		t.Fatalf("trashed media on S3: %d", r.Status)
	}
	perAsset := objects / 2
	mustJSON(t, c.Do("POST", "/api/trash/purge", map[string]any{"assetIds": []string{a1.ID}}), 200, nil)
	waitFiles(objects-perAsset, "the purged asset's objects gone from the bucket")

	srv.Stop()
	var purged struct{ Purged int }
	mustJSON(t, c.Do("POST", "/api/trash/empty", nil), 200, &purged)
	if purged.Purged != 1 {
		t.Fatalf("purged %d", purged.Purged)
	}
	if r := c.Do("GET", "/api/assets/"+a2.ID, nil); r.Status != 404 {
		t.Fatalf("purged during an outage: %d", r.Status)
	}
	srv.Restart(t)
	g.studio.App.Cleaner().RetryDeletes(context.Background())
	waitFiles(0, "the objects purged during the outage deleted once S3 is back")
}

// A parent in the trash: its children are untouched but say "missing", the lineage stops before
// it, it cannot be referenced, and its generation no longer shows it.
func TestTrashAndLineage(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "trash-lineage@example.com", "sim-key")
	parent, gen := makeAsset(t, c, "fal-ai/flux/schnell", "a parent", nil)
	child, _ := makeAsset(t, c, "fal-ai/flux-pro/kontext", "a child", map[string]any{"referenceAssetIds": []string{parent.ID}, "relation": "edit"})
	mustJSON(t, c.Do("DELETE", "/api/assets/"+parent.ID, nil), 200, nil)

	got := assetOf(t, c, child.ID)
	if got.Parent == nil || got.Parent.AssetID != parent.ID || got.Parent.Missing == nil || !*got.Parent.Missing {
		t.Fatalf("child of a trashed parent: %+v", got.Parent)
	}
	if !slices.Contains(listIDs(t, c, ""), child.ID) {
		t.Fatal("the child left the gallery with its parent")
	}
	if anc, _ := lineageOf(t, c, child.ID); len(anc) != 0 {
		t.Fatalf("ancestors through the trash: %v", ids(anc))
	}
	if _, kids := lineageOf(t, c, parent.ID); len(kids) != 1 || kids[0].ID != child.ID {
		t.Fatalf("a trashed parent's children: %v", ids(kids))
	}
	if r := c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux-pro/kontext", "prompt": "x",
		"referenceAssetIds": []string{parent.ID}}); r.Status != 404 || r.ErrorCode() != "not_found" {
		t.Fatalf("referencing a trashed asset: %d %s", r.Status, r.Body)
	}
	if r := c.Do("GET", "/api/generations/"+gen["id"].(string), nil); r.Status != 200 || strings.Contains(string(r.Body), parent.ID) {
		t.Fatalf("the generation still shows its trashed output: %s", r.Body)
	}
	mustJSON(t, c.Do("POST", "/api/trash/restore", map[string]any{"assetIds": []string{parent.ID}}), 200, nil)
	if got := assetOf(t, c, child.ID); got.Parent == nil || got.Parent.Missing != nil {
		t.Fatalf("child after the restore: %+v", got.Parent)
	}
	// Purged, the link stays and says missing.
	mustJSON(t, c.Do("DELETE", "/api/assets/"+parent.ID, nil), 200, nil)
	mustJSON(t, c.Do("POST", "/api/trash/empty", nil), 200, nil)
	if got := assetOf(t, c, child.ID); got.Parent == nil || got.Parent.AssetID != parent.ID || got.Parent.Missing == nil {
		t.Fatalf("child of a purged parent: %+v", got.Parent)
	}
}

// What came due while the studio was down is purged right after start-up (SPEC §13.1), the
// object with it; what is not due yet stays.
func TestTrashPurgedAtStartUp(t *testing.T) {
	dir := t.TempDir()
	off := &atomic.Int64{}
	opts := app.Options{Generation: generation.Options{Now: func() time.Time { return time.Now().Add(time.Duration(off.Load())) }}}
	st := testutil.NewStudio(t, testutil.StudioOptions{DataDir: dir, Env: map[string]string{"TRASH_RETENTION": "2h"}, App: opts})
	e := &libEnv{studio: st, offset: off, files: map[string][]byte{}}
	e.a, e.aID = libUser(t, st, "startup-trash@example.com")
	due := e.seed(t, e.aID, "due", "fal-ai/flux/dev", model.KindImage, time.Now(), 100)
	later := e.seed(t, e.aID, "later", "fal-ai/flux/dev", model.KindImage, time.Now(), 100)
	path := e.objectPath(t, e.aID, due)
	mustJSON(t, e.a.Do("DELETE", "/api/assets/"+due, nil), 200, nil)
	off.Add(int64(90 * time.Minute))
	mustJSON(t, e.a.Do("DELETE", "/api/assets/"+later, nil), 200, nil)
	st.Stop()

	off.Add(int64(time.Hour)) // the first is past its purge time, the second is not
	st = testutil.NewStudio(t, testutil.StudioOptions{DataDir: dir, Env: map[string]string{"TRASH_RETENTION": "2h"}, App: opts})
	c := st.NewClient(t)
	mustJSON(t, c.Do("POST", "/api/auth/login", map[string]string{"email": "startup-trash@example.com", "password": goodPassword}), 200, nil)
	testutil.WaitFor(t, 10*time.Second, "the due asset purged after start-up", func() bool {
		return c.Do("GET", "/api/assets/"+due, nil).Status == 404
	})
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the purged object: %v", err)
	}
	if got := trashOf(t, c, ""); len(got.Assets) != 1 || got.Assets[0].ID != later {
		t.Fatalf("trash after start-up: %v", ids(got.Assets))
	}
}
