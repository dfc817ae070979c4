package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/testutil"
)

type sharePart struct {
	field, file string
	data        []byte
}

// shareBody is what a share sheet posts: multipart/form-data with media files and text fields.
func shareBody(t *testing.T, parts ...sharePart) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.file != "" {
			w, err = mw.CreateFormFile(p.field, p.file)
		} else {
			w, err = mw.CreateFormField(p.field)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

func postShare(t *testing.T, c *testutil.Client, hdr []string, parts ...sharePart) *testutil.Response {
	t.Helper()
	body, ctype := shareBody(t, parts...)
	return c.Do("POST", "/share-target", body, append([]string{"Content-Type", ctype, "Sec-Fetch-Site", "none"}, hdr...)...)
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.NRGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mp4Bytes is the start of an MP4 (an ftyp box): its type is read from these bytes.
func mp4Bytes() []byte {
	return append([]byte{0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 2, 0, 'i', 's', 'o', 'm', 'm', 'p', '4', '1'}, make([]byte, 2048)...)
}

type sharedJSON struct {
	ID, Kind, ContentType, URL, CreatedAt, ExpiresAt string
	Bytes                                            int64
	Width, Height                                    *int
	Name, Text                                       *string
}

func TestShareTargetSignedIn(t *testing.T) {
	st := testutil.NewStudio(t, testutil.StudioOptions{})
	a, b := st.NewClient(t), st.NewClient(t)
	a.SignUp("sharer@example.com", goodPassword)
	b.SignUp("other@example.com", goodPassword)
	img := pngBytes(t, 1080, 1350)

	r := postShare(t, a, nil, sharePart{"media", "dir/IMG_2041.png", img}, sharePart{"media", "clip.mov", mp4Bytes()},
		sharePart{"title", "", []byte("a title")}, sharePart{"text", "", []byte("  a fox  ")})
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/create?shared=") {
		t.Fatalf("share: %d %q %s", r.Status, loc, r.Body)
	}
	ids := strings.Split(strings.TrimPrefix(loc, "/create?shared="), ",")
	if len(ids) != 2 {
		t.Fatalf("ids %v", ids)
	}
	var one struct{ Shared sharedJSON }
	mustJSON(t, a.Do("GET", "/api/shared/"+ids[0], nil), 200, &one)
	u := one.Shared
	if u.Kind != "image" || u.ContentType != "image/png" || u.Bytes != int64(len(img)) || u.Width == nil || *u.Width != 1080 ||
		*u.Height != 1350 || u.Name == nil || *u.Name != "IMG_2041.png" || u.Text == nil || *u.Text != "a fox" || u.URL != "/api/shared/"+ids[0]+"/file" {
		t.Fatalf("shared upload %+v", u)
	}
	mustJSON(t, a.Do("GET", "/api/shared/"+ids[1], nil), 200, &one)
	if one.Shared.Kind != "video" || one.Shared.ContentType != "video/mp4" || one.Shared.Width != nil {
		t.Fatalf("video %+v", one.Shared)
	}
	f := a.Do("GET", u.URL, nil, "Range", "bytes=0-7")
	if f.Status != http.StatusPartialContent || !bytes.Equal(f.Body, img[:8]) || f.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("file: %d %v", f.Status, f.Header)
	}
	var list struct{ Shared []sharedJSON }
	mustJSON(t, a.Do("GET", "/api/shared", nil), 200, &list)
	if len(list.Shared) != 2 {
		t.Fatalf("list %+v", list)
	}
	// Another person's shared upload is not found, on every route.
	for _, rq := range [][2]string{{"GET", "/api/shared/" + ids[0]}, {"GET", "/api/shared/" + ids[0] + "/file"}, {"DELETE", "/api/shared/" + ids[0]}} {
		if r := b.Do(rq[0], rq[1], nil); r.Status != 404 {
			t.Fatalf("%s %s by another person: %d", rq[0], rq[1], r.Status)
		}
	}
	// As a reference: needs the person's fal key; another person's id is not found.
	if r := a.Do("POST", "/api/uploads", map[string]string{"sharedId": ids[0]}); r.Status != 409 || r.ErrorCode() != "fal_key_missing" {
		t.Fatalf("upload without a key: %d %s", r.Status, r.Body)
	}
	if r := b.Do("POST", "/api/uploads", map[string]string{"sharedId": ids[0]}); r.Status != 404 {
		t.Fatalf("upload of another person's: %d %s", r.Status, r.Body)
	}
	// The video joins the Gallery: an ordinary asset without a generation; the upload is used up.
	if r := b.Do("POST", "/api/shared/"+ids[1]+"/import", nil); r.Status != 404 {
		t.Fatalf("import by another person: %d", r.Status)
	}
	var imported struct{ Asset map[string]any }
	mustJSON(t, a.Do("POST", "/api/shared/"+ids[1]+"/import", nil), 201, &imported)
	if as := imported.Asset; as["generationId"] != nil || as["model"] != "upload" || as["prompt"] != "a fox" || as["kind"] != "video" ||
		as["contentType"] != "video/mp4" || fmt.Sprint(as["params"]) != "map[]" {
		t.Fatalf("imported asset %v", imported.Asset)
	}
	if r := a.Do("POST", "/api/shared/"+ids[1]+"/import", nil); r.Status != 404 {
		t.Fatalf("second import: %d", r.Status)
	}
	var gallery struct{ Assets []map[string]any }
	mustJSON(t, a.Do("GET", "/api/assets", nil), 200, &gallery)
	if len(gallery.Assets) != 1 || gallery.Assets[0]["id"] != imported.Asset["id"] || gallery.Assets[0]["generationId"] != nil {
		t.Fatalf("gallery %v", gallery.Assets)
	}
	if f := a.Do("GET", imported.Asset["url"].(string), nil); f.Status != 200 || !bytes.Equal(f.Body, mp4Bytes()) {
		t.Fatalf("imported file: %d", f.Status)
	}
	if r := a.Do("DELETE", "/api/shared/"+ids[0], nil); r.Status != 204 {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := a.Do("GET", "/api/shared/"+ids[0]+"/file", nil); r.Status != 404 {
		t.Fatalf("deleted file: %d", r.Status)
	}

	// Text only: nothing stored, Create gets the text.
	r = postShare(t, a, nil, sharePart{"url", "", []byte("https://example.com/a b")})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/create?text="+url.QueryEscape("https://example.com/a b") {
		t.Fatalf("text share: %d %q", r.Status, r.Header.Get("Location"))
	}
	mustJSON(t, a.Do("GET", "/api/shared", nil), 200, &list)
	if len(list.Shared) != 0 {
		t.Fatalf("after a text share: %d uploads", len(list.Shared))
	}
}

func TestShareTargetRefusals(t *testing.T) {
	st := testutil.NewStudio(t, testutil.StudioOptions{})
	c := st.NewClient(t)
	c.SignUp("refused@example.com", goodPassword)
	img := pngBytes(t, 4, 4)
	big := append(pngBytes(t, 4, 4), make([]byte, 20<<20)...)
	five := []sharePart{}
	for range 5 {
		five = append(five, sharePart{"media", "a.png", img})
	}
	for _, tc := range []struct {
		name   string
		hdr    []string
		parts  []sharePart
		status int
		code   string
	}{
		{"nothing", nil, []sharePart{{"text", "", []byte("  ")}}, 400, "invalid_input"},
		{"five files", nil, five, 400, "invalid_input"},
		{"long text", nil, []sharePart{{"text", "", []byte(strings.Repeat("é", 2001))}}, 400, "invalid_input"},
		{"svg", nil, []sharePart{{"media", "x.png", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)}}, 400, "unsupported_file"},
		{"html", nil, []sharePart{{"media", "x.jpg", []byte("<!doctype html><html><body>hi</body></html>")}}, 400, "unsupported_file"},
		{"pdf", nil, []sharePart{{"media", "x.pdf", []byte("%PDF-1.7\n")}}, 400, "unsupported_file"},
		{"image over 20 MB", nil, []sharePart{{"media", "big.png", big}}, 413, "too_large"},
		{"cross-site", []string{"Sec-Fetch-Site", "cross-site"}, []sharePart{{"media", "a.png", img}}, 403, "cross_origin"},
		{"same-site", []string{"Sec-Fetch-Site", "same-site"}, []sharePart{{"media", "a.png", img}}, 403, "cross_origin"},
	} {
		r := postShare(t, c, tc.hdr, tc.parts...)
		if r.Status != tc.status || r.ErrorCode() != tc.code {
			t.Errorf("%s: %d %.200s, want %d %s", tc.name, r.Status, r.Body, tc.status, tc.code)
		}
	}
	// A browser gets a page with the same status.
	r := postShare(t, c, []string{"Accept", "text/html,application/xhtml+xml"}, sharePart{"media", "x.pdf", []byte("%PDF-1.7\n")})
	if r.Status != 400 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !bytes.Contains(r.Body, []byte(`href="/create"`)) {
		t.Fatalf("html refusal: %d %q %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	r = postShare(t, c, []string{"Accept", "text/html", "Sec-Fetch-Site", "cross-site"}, sharePart{"media", "a.png", img})
	if r.Status != 403 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("html cross-site: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	// A share sheet may send Origin: null with Sec-Fetch-Site: none.
	if r := postShare(t, c, []string{"Origin", "null"}, sharePart{"media", "a.png", img}); r.Status != http.StatusSeeOther {
		t.Fatalf("share sheet with Origin null: %d %s", r.Status, r.Body)
	}
	// A file name with invalid UTF-8 is cleaned, never a 500 (PostgreSQL refuses such text).
	if r := postShare(t, c, nil, sharePart{"media", "bad\xff\xfe.png", img}); r.Status != http.StatusSeeOther {
		t.Fatalf("invalid UTF-8 name: %d %s", r.Status, r.Body)
	}
	// Nothing was stored by the refused shares: only the accepted ones are listed.
	var list struct{ Shared []sharedJSON }
	mustJSON(t, c.Do("GET", "/api/shared", nil), 200, &list)
	if len(list.Shared) != 2 {
		t.Fatalf("%d shared uploads after refusals", len(list.Shared))
	}
	var rows int
	if err := testutil.OpenDB(t, st.DataDir).QueryRow(`SELECT count(*) FROM share_stashes`).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("stashes %d (%v)", rows, err)
	}
}

// Shared before signing in: stashed under a cookie, claimed after sign-in, once.
func TestShareTargetBeforeSignIn(t *testing.T) {
	st := testutil.NewStudio(t, testutil.StudioOptions{})
	c := st.NewClient(t)
	img := pngBytes(t, 8, 6)
	first := postShare(t, c, nil, sharePart{"media", "old.png", pngBytes(t, 2, 2)})
	if first.Status != http.StatusSeeOther || first.Header.Get("Location") != "/login?shared=pending" {
		t.Fatalf("anonymous share: %d %q", first.Status, first.Header.Get("Location"))
	}
	// Another anonymous share from the same browser replaces the stash.
	r := postShare(t, c, nil, sharePart{"media", "new.png", img}, sharePart{"text", "", []byte("from the phone")})
	setCookie := r.Header.Get("Set-Cookie")
	for _, want := range []string{"fs_share=", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=900"} {
		if !strings.Contains(setCookie, want) {
			t.Fatalf("Set-Cookie %q lacks %s", setCookie, want)
		}
	}
	token := strings.TrimPrefix(strings.Split(setCookie, ";")[0], "fs_share=")
	if len(token) < 22 || strings.Contains(st.Logs.String(), token) {
		t.Fatalf("share token %q missing or logged", token)
	}
	db := testutil.OpenDB(t, st.DataDir)
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM share_stashes`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("stashes: %d (%v)", n, err)
	}
	if r := c.Do("POST", "/api/shared/claim", nil); r.Status != 401 {
		t.Fatalf("claim without a session: %d", r.Status)
	}
	c.SignUp("later@example.com", goodPassword)
	var claimed struct {
		Shared []sharedJSON
		URL    string
	}
	mustJSON(t, c.Do("POST", "/api/shared/claim", nil), 201, &claimed)
	if len(claimed.Shared) != 1 || claimed.URL != "/create?shared="+claimed.Shared[0].ID || *claimed.Shared[0].Name != "new.png" ||
		*claimed.Shared[0].Text != "from the phone" || *claimed.Shared[0].Width != 8 {
		t.Fatalf("claim: %+v", claimed)
	}
	if f := c.Do("GET", claimed.Shared[0].URL, nil); f.Status != 200 || !bytes.Equal(f.Body, img) {
		t.Fatalf("claimed file: %d", f.Status)
	}
	var key string
	if err := db.QueryRow(`SELECT storage_key FROM shared_uploads WHERE id = $1`, claimed.Shared[0].ID).Scan(&key); err != nil || !strings.HasPrefix(key, "users/") || !strings.Contains(key, "/shared/") {
		t.Fatalf("object key %q (%v)", key, err)
	}
	if r := c.Do("POST", "/api/shared/claim", nil); r.Status != 404 {
		t.Fatalf("second claim: %d", r.Status)
	}
	if err := db.QueryRow(`SELECT count(*) FROM share_stashes`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("stashes left: %d (%v)", n, err)
	}

	// Text only, before signing in: the claim answers the text.
	anon := st.NewClient(t)
	if r := postShare(t, anon, nil, sharePart{"title", "", []byte("just words")}); r.Status != http.StatusSeeOther {
		t.Fatalf("text share: %d", r.Status)
	}
	anon.SignUp("words@example.com", goodPassword)
	mustJSON(t, anon.Do("POST", "/api/shared/claim", nil), 201, &claimed)
	if len(claimed.Shared) != 0 || claimed.URL != "/create?text=just+words" {
		t.Fatalf("text claim %+v", claimed)
	}
	raw, err := json.Marshal(claimed)
	if err != nil || !bytes.Contains(raw, []byte(`"Shared":[]`)) {
		t.Fatalf("shared must be an empty list: %s", raw)
	}
}

// A shared upload lasts 24 hours and a stash 15 minutes; the sweep then removes rows and files.
func TestSharedUploadsExpire(t *testing.T) {
	off := &atomic.Int64{}
	now := func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
	st := testutil.NewStudio(t, testutil.StudioOptions{App: app.Options{Generation: generation.Options{Now: now}}})
	c := st.NewClient(t)
	c.SignUp("expiring@example.com", goodPassword)
	r := postShare(t, c, nil, sharePart{"media", "a.png", pngBytes(t, 3, 3)})
	id := strings.TrimPrefix(r.Header.Get("Location"), "/create?shared=")
	anon := st.NewClient(t)
	if r := postShare(t, anon, nil, sharePart{"media", "b.png", pngBytes(t, 3, 3)}); r.Status != http.StatusSeeOther {
		t.Fatalf("anonymous share: %d", r.Status)
	}
	db := testutil.OpenDB(t, st.DataDir)
	var key, stashFiles string
	if err := db.QueryRow(`SELECT storage_key FROM shared_uploads WHERE id = $1`, id).Scan(&key); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT files FROM share_stashes`).Scan(&stashFiles); err != nil {
		t.Fatal(err)
	}
	var stashed []struct{ Key string }
	if err := json.Unmarshal([]byte(stashFiles), &stashed); err != nil || len(stashed) != 1 {
		t.Fatalf("stash files %s (%v)", stashFiles, err)
	}
	for _, k := range []string{key, stashed[0].Key} {
		if _, err := os.Stat(filepath.Join(st.Config.MediaDir(), k)); err != nil {
			t.Fatalf("stored file %s: %v", k, err)
		}
	}
	off.Store(int64(16 * time.Minute))
	anon.SignUp("too-late@example.com", goodPassword)
	if r := anon.Do("POST", "/api/shared/claim", nil); r.Status != 404 {
		t.Fatalf("claim of an expired stash: %d", r.Status)
	}
	off.Store(int64(25 * time.Hour))
	if r := c.Do("GET", "/api/shared/"+id, nil); r.Status != 404 {
		t.Fatalf("expired upload: %d", r.Status)
	}
	st.App.Shared().Sweep(context.Background())
	var n int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM shared_uploads) + (SELECT count(*) FROM share_stashes)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows left: %d (%v)", n, err)
	}
	for _, k := range []string{key, stashed[0].Key} {
		if _, err := os.Stat(filepath.Join(st.Config.MediaDir(), k)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("file %s left after the sweep: %v", k, err)
		}
	}
}
