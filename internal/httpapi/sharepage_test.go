package httpapi_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/testutil"
)

// TestSharePageStatus checks that the page of a share link (/s/{token}, the UI) answers 404
// whenever its JSON does — unknown, malformed, revoked, expired, its asset deleted — and 200
// while the link is live; a dead link's page is still the app (so it can say what happened),
// never cached and never revalidated into a 304.
func TestSharePageStatus(t *testing.T) {
	off := &atomic.Int64{}
	now := func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
	st := testutil.NewStudio(t, testutil.StudioOptions{App: app.Options{Generation: generation.Options{Now: now}, UI: uiFixture}})
	e := &libEnv{studio: st, offset: off, files: map[string][]byte{}}
	e.a, e.aID = libUser(t, st, "page-a@example.com")
	anon := st.NewClient(t)
	created := time.Now().UTC()
	a1 := e.seed(t, e.aID, "page fox", "fal-ai/flux/dev", model.KindImage, created, 100)
	a2 := e.seed(t, e.aID, "page owl", "fal-ai/flux/dev", model.KindImage, created, 100)
	coll := createCollection(t, e.a, "Page board")

	share := func(body map[string]any) (id, token string) {
		t.Helper()
		var sh shareJSON
		mustJSON(t, e.a.Do("POST", "/api/shares", body), 201, &sh)
		m := tokenURL.FindStringSubmatch(*sh.Share.URL)
		if m == nil {
			t.Fatalf("share url %q", *sh.Share.URL)
		}
		return sh.Share.ID, m[1]
	}
	index := string(uiFixture["index.html"].Data)
	page := func(what, token string, want int, hdr ...string) *testutil.Response {
		t.Helper()
		// The fixture's compressed variants are placeholders: ask for the file itself.
		r := anon.Do("GET", "/s/"+token, nil, append([]string{"Accept-Encoding", "identity"}, hdr...)...)
		j := anon.Do("GET", "/api/s/"+token, nil)
		if r.Status != want || j.Status != want {
			t.Fatalf("%s: page %d, JSON %d, want both %d", what, r.Status, j.Status, want)
		}
		if string(r.Body) != index || !strings.Contains(r.Header.Get("Content-Security-Policy"), "default-src 'self'") ||
			r.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("%s: page %q %v", what, r.Body, r.Header)
		}
		if want == 404 && (r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("ETag") != "") {
			t.Fatalf("%s: a dead link's page must not be cached: %v", what, r.Header)
		}
		return r
	}

	_, assetTok := share(map[string]any{"assetId": a1})
	live := page("asset share", assetTok, 200)
	if live.Header.Get("Cache-Control") != "no-cache" || live.Header.Get("ETag") == "" {
		t.Fatalf("live page headers: %v", live.Header)
	}
	_, collTok := share(map[string]any{"collectionId": coll})
	page("collection share", collTok, 200)
	page("unknown token", strings.Repeat("A", 43), 404)
	page("malformed token", "not-a-token", 404)
	raw := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	if a := getUI(t, raw, "GET", st.URL+"/s/"+strings.Repeat("A", 43), "Accept-Encoding", "br"); a.status != 404 ||
		a.body != "BR(index)" || a.header.Get("Content-Encoding") != "br" || a.header.Get("Content-Length") != "9" {
		t.Fatalf("dead link, brotli: %d %q %v", a.status, a.body, a.header)
	}
	if r := anon.Do("HEAD", "/s/"+strings.Repeat("B", 43), nil); r.Status != 404 || len(r.Body) != 0 {
		t.Fatalf("HEAD of a dead link: %d %q", r.Status, r.Body)
	}

	// Revoked: also a browser holding the live page's ETag gets 404, not 304.
	revID, revTok := share(map[string]any{"assetId": a2})
	etag := page("to be revoked", revTok, 200).Header.Get("ETag")
	if r := anon.Do("DELETE", "/api/shares/"+revID, nil); r.Status != 401 {
		t.Fatalf("anonymous revoke: %d", r.Status)
	}
	if r := e.a.Do("DELETE", "/api/shares/"+revID, nil); r.Status != 204 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	page("revoked", revTok, 404, "If-None-Match", etag)

	// Expired by the studio's clock.
	_, expTok := share(map[string]any{"assetId": a1, "expiresAt": created.Add(time.Hour).Format(time.RFC3339)})
	page("before expiry", expTok, 200)
	off.Store(int64(2 * time.Hour))
	page("expired", expTok, 404)
	off.Store(0)

	// The shared asset deleted.
	if r := e.a.Do("DELETE", "/api/assets/"+a1, nil); r.Status != 200 { // to the trash (SPEC §13.1)
		t.Fatalf("delete asset: %d %s", r.Status, r.Body)
	}
	page("asset deleted", assetTok, 404)
	page("collection still live", collTok, 200)
	if r := e.a.Do("DELETE", "/api/collections/"+coll, nil); r.Status != 204 {
		t.Fatalf("delete collection: %d %s", r.Status, r.Body)
	}
	page("collection deleted", collTok, 404)

	// Other client routes stay the app with 200.
	if r := anon.Do("GET", "/gallery", nil, "Accept-Encoding", "identity"); r.Status != 200 || string(r.Body) != index {
		t.Fatalf("/gallery: %d", r.Status)
	}
}
