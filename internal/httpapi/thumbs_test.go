package httpapi_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/library"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
	"github.com/falstudio/falstudio/internal/testutil"
)

// thumbEnv is a studio whose background backfill is off, so the tests drive it.
func thumbEnv(t *testing.T, env map[string]string) *genEnv {
	t.Helper()
	sim := falsim.NewTest(t, falsim.Options{})
	e := sim.URLs().Env()
	for k, v := range env {
		e[k] = v
	}
	opts := app.Options{Generation: fastRunner.Generation, ThumbBackfillEvery: -1}
	return &genEnv{sim: sim, studio: testutil.NewStudio(t, testutil.StudioOptions{Env: e, App: opts})}
}

type assetWithThumb struct {
	ID, URL, Kind, Storage string
	ThumbURL               *string `json:"thumbUrl"`
}

// getAsset reads an asset once its preview had time to land: previews are made by their own
// worker right after the save, so a job can succeed a moment before its thumbUrl appears. It
// waits (bounded) while thumbUrl is null; an asset that never gets one returns null after that.
func getAsset(t *testing.T, c *testutil.Client, id string) assetWithThumb {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var out struct{ Asset assetWithThumb }
		r := c.Do("GET", "/api/assets/"+id, nil)
		if r.Status != 200 || jsonInto(r.Body, &out) != nil {
			t.Fatalf("asset %s: %d %s", id, r.Status, r.Body)
		}
		if out.Asset.ThumbURL != nil || time.Now().After(deadline) {
			return out.Asset
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// filesNamed lists the files under dir whose name ends with suffix.
func filesNamed(t *testing.T, dir, suffix string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(d.Name(), suffix) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// checkThumb fetches a preview and checks it is a small JPEG served like media.
func checkThumb(t *testing.T, c *testutil.Client, url string) {
	t.Helper()
	r := c.Do("GET", url, nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "image/jpeg" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("preview %s: %d %v", url, r.Status, r.Header)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "private, max-age=31536000, immutable" || r.Header.Get("ETag") == "" {
		t.Fatalf("preview caching: %q etag %q", cc, r.Header.Get("ETag"))
	}
	img, err := jpeg.Decode(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("preview is not a JPEG: %v", err)
	}
	if b := img.Bounds(); max(b.Dx(), b.Dy()) > media.ThumbSize {
		t.Fatalf("preview is %v", b)
	}
	if r2 := c.Do("GET", url, nil, "If-None-Match", r.Header.Get("ETag")); r2.Status != 304 || len(r2.Body) != 0 {
		t.Fatalf("revalidation: %d, %d bytes", r2.Status, len(r2.Body))
	}
}

func TestThumbnailsLocal(t *testing.T) {
	g := thumbEnv(t, nil)
	c := g.user(t, "thumbs@example.com", "sim-key")
	other := g.user(t, "other-thumbs@example.com", "sim-key")
	ev := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "a lighthouse", map[string]any{"image_size": map[string]any{"width": 1024, "height": 768}}).ID)
	id := ev[len(ev)-1].Assets[0].ID
	a := getAsset(t, c, id)
	if a.ThumbURL == nil || *a.ThumbURL != "/media/"+id+"/thumb" {
		t.Fatalf("thumbUrl %v", a.ThumbURL)
	}
	checkThumb(t, c, *a.ThumbURL)
	// The original is cached by id the same way.
	if m := c.Do("GET", a.URL, nil); m.Status != 200 || m.Header.Get("Cache-Control") != "private, max-age=31536000, immutable" || m.Header.Get("ETag") == "" {
		t.Fatalf("original caching: %d %v", m.Status, m.Header)
	}
	// The list carries thumbUrl too, and the preview sits beside the original.
	if !strings.Contains(string(c.Do("GET", "/api/assets", nil).Body), `"thumbUrl":"/media/`+id+`/thumb"`) {
		t.Fatal("list without thumbUrl")
	}
	mediaDir := filepath.Join(g.studio.DataDir, "media")
	thumbs := filesNamed(t, mediaDir, ".thumb.jpg")
	if len(thumbs) != 1 || !strings.Contains(thumbs[0], id) {
		t.Fatalf("previews on disk: %v", thumbs)
	}
	originals := filesNamed(t, mediaDir, id+".png")
	if len(originals) != 1 || media.ThumbKey(originals[0]) != thumbs[0] {
		t.Fatalf("preview %v is not beside %v", thumbs, originals)
	}

	// Same access rules as /media: another user and no session get what a missing asset gets.
	for _, cl := range []*testutil.Client{other, g.studio.NewClient(t)} {
		want := 404
		if cl != other {
			want = 401
		}
		if r := cl.Do("GET", *a.ThumbURL, nil); r.Status != want || len(r.Body) > 200 {
			t.Fatalf("foreign preview: %d", r.Status)
		}
	}
	if r := c.Do("GET", "/media/nope/thumb", nil); r.Status != 404 {
		t.Fatalf("missing asset preview: %d", r.Status)
	}

	// In the trash the owner still reaches the preview (SPEC §13.1); purged, it goes with its
	// asset.
	if r := c.Do("DELETE", "/api/assets/"+id, nil); r.Status != 200 {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := c.Do("GET", *a.ThumbURL, nil); r.Status != 200 || len(filesNamed(t, mediaDir, ".thumb.jpg")) != 1 {
		t.Fatalf("trashed preview: %d", r.Status)
	}
	if r := c.Do("POST", "/api/trash/purge", map[string]any{"assetIds": []string{id}}); r.Status != 200 || !strings.Contains(string(r.Body), `"purged":1`) {
		t.Fatalf("purge: %d %s", r.Status, r.Body)
	}
	if n := filesNamed(t, mediaDir, ".thumb.jpg"); len(n) != 0 {
		t.Fatalf("previews left after the delete: %v", n)
	}
	if r := c.Do("GET", *a.ThumbURL, nil); r.Status != 404 {
		t.Fatalf("deleted preview: %d", r.Status)
	}
}

// Videos get a poster when ffmpeg is installed, and none (thumbUrl null: the grid shows the
// video's first frame from its metadata) when it is not.
func TestVideoPoster(t *testing.T) {
	g := thumbEnv(t, nil)
	c := g.user(t, "poster@example.com", "sim-key")
	ev := waitDone(t, c, submit(t, c, "fal-ai/veo3", "waves at sunset", nil).ID)
	a := getAsset(t, c, ev[len(ev)-1].Assets[0].ID)
	if a.Kind != "video" {
		t.Fatalf("kind %q", a.Kind)
	}
	if library.DetectFFmpeg() == "" {
		if a.ThumbURL != nil {
			t.Fatalf("a poster without ffmpeg: %v", *a.ThumbURL)
		}
		return
	}
	if a.ThumbURL == nil {
		t.Fatal("no poster although ffmpeg is installed")
	}
	checkThumb(t, c, *a.ThumbURL)
}

func TestThumbnailsS3ResyncAndDelete(t *testing.T) {
	srv := testutil.StartS3(t, false)
	makeBucket(t, srv, "thumbs")
	env := srv.Env("thumbs")
	env["TRASH_DAYS"] = "0" // a delete removes the objects at once
	g := thumbEnv(t, env)
	c := g.user(t, "s3thumbs@example.com", "sim-key")
	bucket := filepath.Join(srv.Dir, "thumbs")
	mediaDir := filepath.Join(g.studio.DataDir, "media")

	ev := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "in the bucket", nil).ID)
	a := getAsset(t, c, ev[len(ev)-1].Assets[0].ID)
	if a.Storage != "s3" || a.ThumbURL == nil {
		t.Fatalf("s3 asset: %+v", a)
	}
	checkThumb(t, c, *a.ThumbURL)
	if n := filesNamed(t, bucket, ".thumb.jpg"); len(n) != 1 {
		t.Fatalf("previews in the bucket: %v", n)
	}

	// S3 down: the original falls back to local disk and its preview goes with it.
	srv.Stop()
	ev = waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "during the outage", nil).ID)
	kept := getAsset(t, c, ev[len(ev)-1].Assets[0].ID)
	if kept.Storage != "local" || kept.ThumbURL == nil {
		t.Fatalf("kept asset: %+v", kept)
	}
	checkThumb(t, c, *kept.ThumbURL)
	if n := filesNamed(t, mediaDir, ".thumb.jpg"); len(n) != 1 {
		t.Fatalf("local previews: %v", n)
	}

	// S3 back: the re-sync moves both, and the preview is served from S3.
	srv.Restart(t)
	if n := g.studio.App.Cleaner().ResyncLocal(context.Background()); n != 1 {
		t.Fatalf("re-synced %d", n)
	}
	if n := filesNamed(t, mediaDir, ""); len(n) != 0 {
		t.Fatalf("local files after the re-sync: %v", n)
	}
	if n := filesNamed(t, bucket, ".thumb.jpg"); len(n) != 2 {
		t.Fatalf("previews in the bucket after the re-sync: %v", n)
	}
	if getAsset(t, c, kept.ID).Storage != "s3" {
		t.Fatal("row not moved")
	}
	checkThumb(t, c, *kept.ThumbURL)

	// Deleting both assets empties the bucket of their previews.
	for _, id := range []string{a.ID, kept.ID} {
		if r := c.Do("DELETE", "/api/assets/"+id, nil); r.Status != 204 {
			t.Fatalf("delete: %d", r.Status)
		}
	}
	if n := filesNamed(t, bucket, ".thumb.jpg"); len(n) != 0 {
		t.Fatalf("previews left in the bucket: %v", n)
	}
}

func TestThumbnailsPublicURL(t *testing.T) {
	srv := testutil.StartS3(t, false)
	makeBucket(t, srv, "pubthumbs")
	env := srv.Env("pubthumbs")
	env["S3_PUBLIC_BASE_URL"] = "https://cdn.example.com/pub"
	g := thumbEnv(t, env)
	c := g.user(t, "pubthumbs@example.com", "sim-key")
	ev := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "public", nil).ID)
	a := getAsset(t, c, ev[len(ev)-1].Assets[0].ID)
	if a.ThumbURL == nil || !strings.HasPrefix(*a.ThumbURL, "https://cdn.example.com/pub/users/") || !strings.HasSuffix(*a.ThumbURL, a.ID+".thumb.jpg") {
		t.Fatalf("public thumbUrl %v", a.ThumbURL)
	}
}

// testPNG is a w×h noisy PNG, or a header claiming w×h pixels with no real image behind it.
func testPNG(t testing.TB, w, h int, bomb bool) []byte {
	t.Helper()
	if !bomb {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
		for i := range img.Pix {
			img.Pix[i] = byte(rng.Uint32()) | 1
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 6
	_ = binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.WriteString("IHDR")
	b.Write(ihdr)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
	return b.Bytes()
}

// seedImage stores an original and its row without a preview, as assets saved before
// thumbnails existed are.
func seedImage(t testing.TB, st *testutil.Studio, userID int64, i int, data []byte, at time.Time) *model.Asset {
	t.Helper()
	ctx := context.Background()
	id := fmt.Sprintf("%032x", 0xbac0000+i)
	key := media.ObjectKey(userID, model.KindImage, "old", id, "image/png", at)
	if _, err := st.App.Storage().Save(ctx, key, bytes.NewReader(data), int64(len(data)), "image/png"); err != nil {
		t.Fatal(err)
	}
	a := &model.Asset{ID: id, UserID: userID, Model: "fal-ai/flux/dev", Prompt: "old", Kind: model.KindImage, StorageKey: key,
		Storage: "local", ContentType: "image/png", Bytes: int64(len(data)), CreatedAt: at}
	if _, err := st.App.Store().InsertAsset(ctx, a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestThumbnailBackfillResumesAndRefusesBombs(t *testing.T) {
	g := thumbEnv(t, nil)
	c := g.user(t, "backfill@example.com", "sim-key")
	var me struct{ User struct{ ID int64 } }
	if err := jsonInto(c.Do("GET", "/api/me", nil).Body, &me); err != nil {
		t.Fatal(err)
	}
	st := g.studio.App.Store()
	storage := g.studio.App.Storage()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var seeded []*model.Asset
	for i := range 5 {
		seeded = append(seeded, seedImage(t, g.studio, me.User.ID, i, testPNG(t, 40+i, 30, false), base.Add(time.Duration(i)*time.Minute)))
	}
	bomb := seedImage(t, g.studio, me.User.ID, 9, testPNG(t, 100_000, 100_000, true), base.Add(time.Hour))
	for _, a := range seeded {
		if getAsset(t, c, a.ID).ThumbURL != nil {
			t.Fatal("a seeded asset has a preview before the backfill")
		}
	}

	// One batch of two, then a "restart" (a new service on the same database) resumes after them.
	ctx := context.Background()
	first := library.NewThumbs(st, storage, library.ThumbOptions{Batch: 2})
	if made, done, err := first.Backfill(ctx); made != 2 || done || err != nil {
		t.Fatalf("first batch: %d %v %v", made, done, err)
	}
	cur, _, _ := st.GetMeta(ctx, "thumbs_backfill_cursor")
	if got := store.ParseThumbCursor(cur); got.ID != seeded[1].ID {
		t.Fatalf("cursor after the first batch: %q", cur)
	}
	// An asset before the cursor that still waits is left for the next pass, not redone now.
	if err := st.SetThumb(ctx, seeded[0].ID, 0); err != nil {
		t.Fatal(err)
	}
	again := library.NewThumbs(st, storage, library.ThumbOptions{Batch: 2})
	if made, done, err := again.Backfill(ctx); made != 2 || done || err != nil {
		t.Fatalf("resumed batch: %d %v %v", made, done, err)
	}
	for _, a := range seeded[1:4] {
		if getAsset(t, c, a.ID).ThumbURL == nil {
			t.Fatalf("%s has no preview after the resumed batch", a.ID)
		}
	}
	if getAsset(t, c, seeded[0].ID).ThumbURL != nil {
		t.Fatal("the batch went back before its cursor")
	}
	// The last batch: one image and the bomb, which is refused and recorded, never retried.
	if made, done, err := again.Backfill(ctx); made != 1 || done || err != nil {
		t.Fatalf("last batch: %d %v %v", made, done, err)
	}
	if made, done, err := again.Backfill(ctx); made != 0 || !done || err != nil {
		t.Fatalf("end of the pass: %d %v %v", made, done, err)
	}
	if a, err := st.Asset(ctx, me.User.ID, bomb.ID); err != nil || a.ThumbBytes != -1 {
		t.Fatalf("bomb: %+v %v", a, err)
	}
	// The next pass starts over and finds only what is still waiting.
	if made, done, err := again.Backfill(ctx); made != 1 || !done || err != nil {
		t.Fatalf("second pass: %d %v %v", made, done, err)
	}
	for _, a := range seeded {
		if th := getAsset(t, c, a.ID).ThumbURL; th == nil {
			t.Fatalf("%s never got a preview", a.ID)
		} else {
			checkThumb(t, c, *th)
		}
	}
	if made, done, err := again.Backfill(ctx); made != 0 || !done || err != nil {
		t.Fatalf("nothing left: %d %v %v", made, done, err)
	}
}

func TestAssetListConditionalRequests(t *testing.T) {
	g := thumbEnv(t, nil)
	c := g.user(t, "etag@example.com", "sim-key")
	other := g.user(t, "etag-other@example.com", "sim-key")
	waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "first", nil).ID)

	r := c.Do("GET", "/api/assets?limit=10", nil)
	etag := r.Header.Get("ETag")
	if r.Status != 200 || !strings.HasPrefix(etag, `W/"`) || r.Header.Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("list: %d etag %q cache %q", r.Status, etag, r.Header.Get("Cache-Control"))
	}
	cases := []struct {
		name   string
		client *testutil.Client
		path   string
		inm    string
		status int
	}{
		{"same version", c, "/api/assets?limit=10", etag, 304},
		{"in a list of tags", c, "/api/assets?limit=10", `"x", ` + etag, 304},
		{"strong form of the tag", c, "/api/assets?limit=10", strings.TrimPrefix(etag, "W/"), 304},
		{"another query", c, "/api/assets?limit=11", etag, 200},
		{"another user with the same tag", other, "/api/assets?limit=10", etag, 200},
		{"a stale tag", c, "/api/assets?limit=10", `W/"a1.0.000000000000"`, 200},
		{"no tag", c, "/api/assets?limit=10", "", 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.inm != "" {
				hdr = []string{"If-None-Match", tc.inm}
			}
			r := tc.client.Do("GET", tc.path, nil, hdr...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d", r.Status, tc.status)
			}
			if tc.status == 304 && (len(r.Body) != 0 || r.Header.Get("ETag") != etag) {
				t.Fatalf("304 with %d bytes, etag %q", len(r.Body), r.Header.Get("ETag"))
			}
		})
	}
	// The same page again (written from the page cache) is byte for byte what was encoded.
	if again := c.Do("GET", "/api/assets?limit=10", nil); again.Status != 200 || !bytes.Equal(again.Body, r.Body) ||
		again.Header.Get("Content-Type") != "application/json; charset=utf-8" || again.Header.Get("ETag") != etag {
		t.Fatalf("repeated page: %d %q %q", again.Status, again.Header.Get("Content-Type"), again.Body)
	}
	// A bad request carries no ETag.
	if r := c.Do("GET", "/api/assets?limit=0", nil); r.Status != 400 || r.Header.Get("ETag") != "" {
		t.Fatalf("bad limit: %d etag %q", r.Status, r.Header.Get("ETag"))
	}

	// An insert changes the tag; so does a delete.
	ev := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "second", nil).ID)
	r = c.Do("GET", "/api/assets?limit=10", nil, "If-None-Match", etag)
	afterInsert := r.Header.Get("ETag")
	if r.Status != 200 || afterInsert == etag || !strings.Contains(string(r.Body), "second") {
		t.Fatalf("after an insert: %d %q", r.Status, afterInsert)
	}
	// A delete moves the asset to the trash (SPEC §13.1): out of the list, a new tag; a restore
	// brings it back under yet another tag.
	second := ev[len(ev)-1].Assets[0].ID
	if r := c.Do("DELETE", "/api/assets/"+second, nil); r.Status != 200 {
		t.Fatal("delete")
	}
	r = c.Do("GET", "/api/assets?limit=10", nil, "If-None-Match", afterInsert)
	afterTrash := r.Header.Get("ETag")
	if r.Status != 200 || afterTrash == afterInsert || strings.Contains(string(r.Body), "second") {
		t.Fatalf("after a delete: %d %q", r.Status, afterTrash)
	}
	if r := c.Do("POST", "/api/trash/restore", map[string]any{"assetIds": []string{second}}); r.Status != 200 {
		t.Fatalf("restore: %d %s", r.Status, r.Body)
	}
	r = c.Do("GET", "/api/assets?limit=10", nil, "If-None-Match", afterTrash)
	if r.Status != 200 || r.Header.Get("ETag") == afterTrash || !strings.Contains(string(r.Body), "second") {
		t.Fatalf("after a restore: %d %q", r.Status, r.Header.Get("ETag"))
	}
	if r := c.Do("DELETE", "/api/assets/"+second, nil); r.Status != 200 {
		t.Fatal("delete again")
	}
	// Collection membership shows in the Asset JSON (collectionIds): adding one changes the tag.
	var col struct{ Collection struct{ ID string } }
	cr := c.Do("POST", "/api/collections", map[string]string{"name": "Boards"})
	if cr.Status != 201 || jsonInto(cr.Body, &col) != nil {
		t.Fatalf("collection: %d %s", cr.Status, cr.Body)
	}
	before := c.Do("GET", "/api/assets?limit=10", nil)
	var page struct{ Assets []struct{ ID string } }
	if err := jsonInto(before.Body, &page); err != nil || len(page.Assets) != 1 {
		t.Fatalf("page: %v %s", err, before.Body)
	}
	if r := c.Do("POST", "/api/collections/"+col.Collection.ID+"/assets", map[string]any{"assetIds": []string{page.Assets[0].ID}}); r.Status != 200 {
		t.Fatalf("add to collection: %d %s", r.Status, r.Body)
	}
	r = c.Do("GET", "/api/assets?limit=10", nil, "If-None-Match", before.Header.Get("ETag"))
	if r.Status != 200 || !strings.Contains(string(r.Body), col.Collection.ID) {
		t.Fatalf("after joining a collection: %d %s", r.Status, r.Body)
	}
	// The other user's tag did not move with these changes.
	o1 := other.Do("GET", "/api/assets?limit=10", nil).Header.Get("ETag")
	if r := other.Do("GET", "/api/assets?limit=10", nil, "If-None-Match", o1); r.Status != 304 {
		t.Fatalf("other user's page: %d", r.Status)
	}
}

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }

// fastRunnerNoBackfill is fastRunner with the background backfill off.
func fastRunnerNoBackfill() app.Options {
	return app.Options{Generation: fastRunner.Generation, ThumbBackfillEvery: -1}
}
