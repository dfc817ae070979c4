package httpapi_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/ratelimit"
	"github.com/falstudio/falstudio/internal/testutil"
)

// TestExportZip checks a streamed export: only the caller's files, each byte-equal to its
// media, named readably, with a metadata.json that holds every prompt and setting.
func TestExportZip(t *testing.T) {
	e := newLibEnv(t)
	created := time.Date(2026, 12, 1, 15, 30, 0, 0, time.UTC)
	a1 := e.seed(t, e.aID, "A Red Fox, in snow!", "fal-ai/flux/dev", model.KindImage, created, 300_000)
	a2 := e.seed(t, e.aID, "", "fal-ai/kling", model.KindVideo, created.Add(time.Minute), 1_500_000)
	a3 := e.seed(t, e.aID, "not exported", "fal-ai/flux/dev", model.KindImage, created, 10)
	b1 := e.seed(t, e.bID, "b secret", "fal-ai/flux/dev", model.KindImage, created, 100)

	r := e.a.Do("GET", "/api/export.zip?ids="+a1+","+b1+","+a2+",unknown", nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/zip" ||
		!strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment; filename=fal-studio-") {
		t.Fatalf("export: %d %v", r.Status, r.Header)
	}
	files := readZip(t, r.Body)
	want := map[string]string{
		"20261201-153000-a-red-fox-in-snow-" + a1 + ".png": a1,
		"20261201-153100-untitled-" + a2 + ".mp4":          a2,
	}
	if len(files) != len(want)+1 {
		t.Fatalf("zip holds %d files: %v", len(files), keys(files))
	}
	for name, id := range want {
		if !bytes.Equal(files[name], e.files[id]) {
			t.Fatalf("%s: %d bytes, not the media's %d", name, len(files[name]), len(e.files[id]))
		}
		media := e.a.Do("GET", "/media/"+id, nil)
		if !bytes.Equal(files[name], media.Body) {
			t.Fatalf("%s differs from /media", name)
		}
	}
	var meta struct {
		Assets []struct {
			File, ID, Model, Prompt, Kind, ContentType, CreatedAt string
			Bytes                                                 int64
			Width, Height                                         *int
			Params                                                map[string]any
		}
	}
	if err := json.Unmarshal(files["metadata.json"], &meta); err != nil {
		t.Fatalf("metadata.json: %v", err)
	}
	if len(meta.Assets) != 2 || meta.Assets[0].ID != a1 || meta.Assets[0].Prompt != "A Red Fox, in snow!" ||
		meta.Assets[0].Model != "fal-ai/flux/dev" || meta.Assets[0].Params["seed"] != float64(42) || meta.Assets[0].Bytes != 300_000 ||
		meta.Assets[0].CreatedAt != "2026-12-01T15:30:00Z" || *meta.Assets[0].Width != 64 || meta.Assets[1].ID != a2 {
		t.Fatalf("metadata: %+v", meta.Assets)
	}
	for _, banned := range []string{b1, "b secret", a3, "lib-b@example.com", "lib-a@example.com"} {
		if bytes.Contains(r.Body, []byte(banned)) {
			t.Fatalf("export holds %q", banned)
		}
	}

	// A collection exports whole; another person's assets added to it never are.
	c := createCollection(t, e.a, "Export me")
	mustJSON(t, e.a.Do("POST", "/api/collections/"+c+"/assets", map[string]any{"assetIds": []string{a3, b1}}), 200, nil)
	r = e.a.Do("GET", "/api/export.zip?collection="+c, nil)
	files = readZip(t, r.Body)
	if r.Status != 200 || len(files) != 2 || !bytes.Equal(files["20261201-153000-not-exported-"+a3+".png"], e.files[a3]) {
		t.Fatalf("collection export: %d %v", r.Status, keys(files))
	}
	// B cannot export A's things, by id or collection.
	if r := e.b.Do("GET", "/api/export.zip?ids="+a1, nil); r.Status != 404 {
		t.Fatalf("foreign export: %d", r.Status)
	}
	if r := e.b.Do("GET", "/api/export.zip?collection="+c, nil); r.Status != 404 {
		t.Fatalf("foreign collection export: %d", r.Status)
	}
}

func readZip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("zip: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("open %s: %v", f.Name, err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s (checksum): %v", f.Name, err)
		}
		out[f.Name] = body
	}
	return out
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

type shareJSON struct {
	Share struct {
		ID, Kind, TargetID string
		URL                *string
		ExpiresAt          *string
	} `json:"share"`
}

type publicJSON struct {
	Kind   string  `json:"kind"`
	Name   *string `json:"name"`
	Assets []struct {
		ID, Kind, URL, ContentType, Prompt, Model, CreatedAt string
	} `json:"assets"`
}

var tokenURL = regexp.MustCompile(`^/s/([A-Za-z0-9_-]{43})$`)

// TestShareLinks covers a share from creation to revocation: public JSON and media without a
// session (Range, safe headers), nothing else of the owner, expiry by the clock, revoke at once,
// a deleted asset gone from its share, and the token never stored or logged in the clear.
func TestShareLinks(t *testing.T) {
	e := newLibEnv(t)
	now := time.Now().UTC()
	a1 := e.seed(t, e.aID, "shared fox", "fal-ai/flux/dev", model.KindImage, now, 5000)
	a2 := e.seed(t, e.aID, "private whale", "fal-ai/flux/dev", model.KindImage, now.Add(time.Second), 5000)
	a3 := e.seed(t, e.aID, "board owl", "fal-ai/flux/dev", model.KindImage, now.Add(2*time.Second), 5000)
	b1 := e.seed(t, e.bID, "b fox", "fal-ai/flux/dev", model.KindImage, now, 5000)
	anon := e.studio.NewClient(t)

	var sh shareJSON
	mustJSON(t, e.a.Do("POST", "/api/shares", map[string]any{"assetId": a1, "expiresAt": now.Add(time.Hour).Format(time.RFC3339)}), 201, &sh)
	m := tokenURL.FindStringSubmatch(*sh.Share.URL)
	if m == nil || sh.Share.Kind != "asset" || sh.Share.TargetID != a1 || sh.Share.ExpiresAt == nil {
		t.Fatalf("share: %+v url %q", sh.Share, *sh.Share.URL)
	}
	token := m[1]

	var pub publicJSON
	mustJSON(t, anon.Do("GET", "/api/s/"+token, nil), 200, &pub)
	if len(pub.Assets) != 1 || pub.Assets[0].ID != a1 || pub.Assets[0].Prompt != "shared fox" || pub.Assets[0].URL != "/s/"+token+"/media/"+a1 {
		t.Fatalf("public share: %+v", pub)
	}
	raw := anon.Do("GET", "/api/s/"+token, nil)
	for _, banned := range []string{"lib-a@example.com", a2, "private whale", "storage", "users/", `"userId"`, "params"} {
		if bytes.Contains(raw.Body, []byte(banned)) {
			t.Fatalf("public share shows %q: %s", banned, raw.Body)
		}
	}
	// The page itself is the UI (no session needed), and no referrer leaves it.
	if r := anon.Do("GET", "/s/"+token, nil); r.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("share page: %d %v", r.Status, r.Header)
	}
	// Media with Range and the same safe headers as /media.
	r := anon.Do("GET", "/s/"+token+"/media/"+a1, nil, "Range", "bytes=100-199")
	if r.Status != 206 || !bytes.Equal(r.Body, e.files[a1][100:200]) || r.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("share media: %d %v", r.Status, r.Header)
	}
	if r := anon.Do("GET", "/s/"+token+"/media/"+a1, nil); r.Status != 200 || !bytes.Equal(r.Body, e.files[a1]) {
		t.Fatalf("share media whole: %d", r.Status)
	}
	for _, other := range []string{a2, b1, "nope"} {
		if r := anon.Do("GET", "/s/"+token+"/media/"+other, nil); r.Status != 404 {
			t.Fatalf("share media of %s: %d", other, r.Status)
		}
	}
	// Garbage and near-miss tokens.
	for _, bad := range []string{"x", strings.Repeat("A", 43), token[:42] + "Z", token + "A"} {
		if bad == token {
			continue
		}
		if r := anon.Do("GET", "/api/s/"+bad, nil); r.Status != 404 {
			t.Fatalf("token %q: %d", bad, r.Status)
		}
	}
	// The owner's list never holds the token again.
	list := e.a.Do("GET", "/api/shares", nil)
	if list.Status != 200 || !bytes.Contains(list.Body, []byte(sh.Share.ID)) || bytes.Contains(list.Body, []byte(token)) {
		t.Fatalf("shares list: %s", list.Body)
	}
	// Expiry follows the clock.
	e.offset.Store(int64(2 * time.Hour))
	if r := anon.Do("GET", "/api/s/"+token, nil); r.Status != 404 {
		t.Fatalf("expired share: %d", r.Status)
	}
	if r := anon.Do("GET", "/s/"+token+"/media/"+a1, nil); r.Status != 404 {
		t.Fatalf("expired share media: %d", r.Status)
	}
	if l := e.a.Do("GET", "/api/shares", nil); !bytes.Contains(l.Body, []byte(`"expired":true`)) {
		t.Fatalf("expired not shown: %s", l.Body)
	}
	e.offset.Store(0)

	// A collection share: its assets, newest first; revoked at once.
	c := createCollection(t, e.a, "Birds")
	mustJSON(t, e.a.Do("POST", "/api/collections/"+c+"/assets", map[string]any{"assetIds": []string{a1, a3}}), 200, nil)
	var cs shareJSON
	mustJSON(t, e.a.Do("POST", "/api/shares", map[string]any{"collectionId": c}), 201, &cs)
	ctoken := tokenURL.FindStringSubmatch(*cs.Share.URL)[1]
	mustJSON(t, anon.Do("GET", "/api/s/"+ctoken, nil), 200, &pub)
	if len(pub.Assets) != 2 || pub.Assets[0].ID != a3 || pub.Assets[1].ID != a1 || pub.Name == nil || *pub.Name != "Birds" {
		t.Fatalf("collection share: %+v", pub)
	}
	if r := anon.Do("GET", "/s/"+ctoken+"/media/"+a2, nil); r.Status != 404 {
		t.Fatalf("asset outside the shared collection: %d", r.Status)
	}
	// A deleted asset (in the trash, SPEC §13.1) disappears from its shares.
	if r := e.a.Do("DELETE", "/api/assets/"+a3, nil); r.Status != 200 {
		t.Fatalf("delete: %d", r.Status)
	}
	mustJSON(t, anon.Do("GET", "/api/s/"+ctoken, nil), 200, &pub)
	if len(pub.Assets) != 1 || pub.Assets[0].ID != a1 {
		t.Fatalf("after delete: %+v", pub)
	}
	if r := anon.Do("GET", "/s/"+ctoken+"/media/"+a3, nil); r.Status != 404 {
		t.Fatalf("deleted asset media: %d", r.Status)
	}
	// Revoke: gone at once; another person cannot revoke it.
	if r := e.b.Do("DELETE", "/api/shares/"+cs.Share.ID, nil); r.Status != 404 {
		t.Fatalf("foreign revoke: %d", r.Status)
	}
	if r := e.a.Do("DELETE", "/api/shares/"+cs.Share.ID, nil); r.Status != 204 {
		t.Fatalf("revoke: %d", r.Status)
	}
	if r := anon.Do("GET", "/api/s/"+ctoken, nil); r.Status != 404 {
		t.Fatalf("revoked share: %d", r.Status)
	}
	if r := anon.Do("GET", "/s/"+ctoken+"/media/"+a1, nil); r.Status != 404 {
		t.Fatalf("revoked share media: %d", r.Status)
	}
	// An asset share goes with its asset (to the trash).
	if r := e.a.Do("DELETE", "/api/assets/"+a1, nil); r.Status != 200 {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := anon.Do("GET", "/api/s/"+token, nil); r.Status != 404 {
		t.Fatalf("share of a deleted asset: %d", r.Status)
	}

	// The audit log (A is the first account, so an admin) holds creation and revocation, by id.
	auditLog := e.a.Do("GET", "/api/admin/audit?limit=100", nil)
	if auditLog.Status != 200 || !bytes.Contains(auditLog.Body, []byte(`"share.create"`)) || !bytes.Contains(auditLog.Body, []byte(`"share.revoke"`)) ||
		!bytes.Contains(auditLog.Body, []byte(cs.Share.ID)) || bytes.Contains(auditLog.Body, []byte(token)) || bytes.Contains(auditLog.Body, []byte(ctoken)) {
		t.Fatalf("audit: %d %s", auditLog.Status, auditLog.Body)
	}

	// The tokens never reach the logs or the database in the clear.
	e.studio.Stop()
	logs := e.studio.Logs.String()
	for _, tok := range []string{token, ctoken} {
		if strings.Contains(logs, tok) {
			t.Fatalf("a share token is in the log")
		}
		for name, b := range dataFiles(t, e.studio.DataDir) {
			if bytes.Contains(b, []byte(tok)) {
				t.Fatalf("a share token is stored in %s", name)
			}
		}
	}
	if !strings.Contains(logs, "/s/[token]") {
		t.Fatalf("share requests are not logged with a redacted path")
	}
}

// TestPublicShareRoutesAreRateLimited: share links need no session, so each client address has
// a budget on them (unknown tokens count: they are what a guesser sends); past it the answer is
// 429 rate_limited with Retry-After, and signed-in routes are not affected.
func TestPublicShareRoutesAreRateLimited(t *testing.T) {
	st := testutil.NewStudio(t, testutil.StudioOptions{App: app.Options{ShareLimit: ratelimit.Limit{Every: time.Hour, Burst: 3}}})
	owner := st.NewClient(t)
	owner.SignUp("sharer@example.com", goodPassword)
	anon := st.NewClient(t)
	for i := range 2 {
		if r := anon.Do("GET", "/api/s/"+strings.Repeat("A", 43), nil); r.Status != 404 {
			t.Fatalf("request %d: %d %s", i, r.Status, r.Body)
		}
	}
	if r := anon.Do("GET", "/s/"+strings.Repeat("B", 43)+"/media/x", nil); r.Status != 404 {
		t.Fatalf("media request within the budget: %d", r.Status)
	}
	for _, path := range []string{"/api/s/" + strings.Repeat("C", 43), "/s/" + strings.Repeat("C", 43) + "/media/x"} {
		r := anon.Do("GET", path, nil)
		var body struct{ Error struct{ Code string } }
		if err := json.Unmarshal(r.Body, &body); err != nil || r.Status != 429 || body.Error.Code != "rate_limited" {
			t.Fatalf("%s past the budget: %d %s", path, r.Status, r.Body)
		}
		if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 3600 {
			t.Fatalf("%s: Retry-After %q", path, r.Header.Get("Retry-After"))
		}
	}
	if r := owner.Do("GET", "/api/me", nil); r.Status != 200 {
		t.Fatalf("a signed-in route after the share budget ran out: %d", r.Status)
	}
}
