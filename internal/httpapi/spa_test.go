package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/testutil"
	"github.com/falstudio/falstudio/web"
)

// uiFixture is a built UI as web/scripts/precompress.mjs leaves it: variants beside the files
// worth compressing, none beside a tiny one.
var uiFixture = fstest.MapFS{
	"index.html":         {Data: []byte(`<!doctype html><div id="root"></div>`)},
	"index.html.br":      {Data: []byte("BR(index)")},
	"index.html.gz":      {Data: []byte("GZ(index)")},
	"assets/app-1.js":    {Data: []byte("console.log('the whole app');")},
	"assets/app-1.js.br": {Data: []byte("BR(app)")},
	"assets/app-1.js.gz": {Data: []byte("GZ(app)")},
	"assets/app-1.css":   {Data: []byte("body{}")},
	"favicon.svg":        {Data: []byte("<svg/>")},
}

func newUIStudio(t *testing.T) (*testutil.Studio, *http.Client) {
	t.Helper()
	st := testutil.NewStudio(t, testutil.StudioOptions{App: app.Options{UI: uiFixture}})
	// Go's transport would otherwise ask for gzip itself and hide Content-Encoding.
	return st, &http.Client{Transport: &http.Transport{DisableCompression: true}}
}

type uiAnswer struct {
	status int
	header http.Header
	body   string
}

func getUI(t *testing.T, c *http.Client, method, url string, hdr ...string) uiAnswer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return uiAnswer{resp.StatusCode, resp.Header, string(b)}
}

func TestSPAEncodingNegotiation(t *testing.T) {
	st, c := newUIStudio(t)
	cases := []struct {
		name, path, accept string
		body, encoding     string
		ctype, cache       string
	}{
		{"brotli preferred", "/assets/app-1.js", "gzip, deflate, br, zstd", "BR(app)", "br", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"gzip only", "/assets/app-1.js", "gzip", "GZ(app)", "gzip", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"x-gzip alias", "/assets/app-1.js", "x-gzip", "GZ(app)", "gzip", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"client rates gzip higher", "/assets/app-1.js", "br;q=0.5, gzip;q=1", "GZ(app)", "gzip", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"brotli refused, star", "/assets/app-1.js", "br;q=0, *", "GZ(app)", "gzip", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"everything refused", "/assets/app-1.js", "br;q=0, gzip;q=0", "console.log('the whole app');", "", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"no header", "/assets/app-1.js", "", "console.log('the whole app');", "", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"unknown coding only", "/assets/app-1.js", "zstd", "console.log('the whole app');", "", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"index compressed", "/", "br", "BR(index)", "br", "text/html; charset=utf-8", "no-cache"},
		{"file without variants", "/assets/app-1.css", "br, gzip", "body{}", "", "text/css; charset=utf-8", "public, max-age=31536000, immutable"},
		{"file outside assets", "/favicon.svg", "gzip", "<svg/>", "", "image/svg+xml", "no-cache"},
	}
	etags := map[string]string{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := getUI(t, c, "GET", st.URL+tc.path, "Accept-Encoding", tc.accept)
			if a.status != 200 || a.body != tc.body {
				t.Fatalf("%d %q, want 200 %q", a.status, a.body, tc.body)
			}
			if got := a.header.Get("Content-Encoding"); got != tc.encoding {
				t.Errorf("Content-Encoding %q, want %q", got, tc.encoding)
			}
			if got := a.header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			if got := a.header.Get("Content-Length"); got != strconv.Itoa(len(tc.body)) {
				t.Errorf("Content-Length %q, want %d", got, len(tc.body))
			}
			if got := a.header.Get("Cache-Control"); got != tc.cache {
				t.Errorf("Cache-Control %q, want %q", got, tc.cache)
			}
			hasVariants := tc.path != "/assets/app-1.css" && tc.path != "/favicon.svg"
			if got := strings.Contains(a.header.Get("Vary"), "Accept-Encoding"); got != hasVariants {
				t.Errorf("Vary %q (variants: %v)", a.header.Values("Vary"), hasVariants)
			}
			et := a.header.Get("ETag")
			if !strings.HasPrefix(et, `"`) || !strings.HasSuffix(et, `"`) {
				t.Fatalf("ETag %q is not a strong tag", et)
			}
			key := tc.path + "|" + tc.encoding
			if prev, ok := etags[key]; ok && prev != et {
				t.Errorf("same representation, two ETags: %s %s", prev, et)
			}
			etags[key] = et
			if !strings.Contains(a.header.Get("Content-Security-Policy"), "default-src 'self'") {
				t.Errorf("no CSP")
			}
		})
	}
	// One ETag per encoding of the same file.
	seen := map[string]string{}
	for key, et := range etags {
		if !strings.HasPrefix(key, "/assets/app-1.js|") {
			continue
		}
		if other, dup := seen[et]; dup {
			t.Errorf("%s and %s share the ETag %s", key, other, et)
		}
		seen[et] = key
	}
	if len(seen) != 3 {
		t.Errorf("want 3 representations of app-1.js, got %v", seen)
	}
}

func TestSPAConditionalRangeAndHead(t *testing.T) {
	st, c := newUIStudio(t)
	br := getUI(t, c, "GET", st.URL+"/assets/app-1.js", "Accept-Encoding", "br")
	etag := br.header.Get("ETag")
	// The brotli tag revalidates the brotli answer, not the gzip one.
	if a := getUI(t, c, "GET", st.URL+"/assets/app-1.js", "Accept-Encoding", "br", "If-None-Match", etag); a.status != 304 || a.body != "" ||
		a.header.Get("ETag") != etag || !strings.Contains(a.header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("revalidate brotli: %d %q %v", a.status, a.body, a.header)
	}
	if a := getUI(t, c, "GET", st.URL+"/assets/app-1.js", "Accept-Encoding", "gzip", "If-None-Match", etag); a.status != 200 || a.body != "GZ(app)" {
		t.Fatalf("brotli tag on a gzip request: %d %q", a.status, a.body)
	}
	// index.html is revalidated on every load; the route fallback is the same representation.
	idx := getUI(t, c, "GET", st.URL+"/", "Accept-Encoding", "gzip")
	if a := getUI(t, c, "GET", st.URL+"/gallery", "Accept-Encoding", "gzip", "If-None-Match", idx.header.Get("ETag")); a.status != 304 {
		t.Fatalf("revalidate a route: %d", a.status)
	}
	// A range of the encoded bytes (what the representation is).
	if a := getUI(t, c, "GET", st.URL+"/assets/app-1.js", "Accept-Encoding", "br", "Range", "bytes=0-1"); a.status != 206 || a.body != "BR" ||
		a.header.Get("Content-Encoding") != "br" {
		t.Fatalf("range: %d %q %v", a.status, a.body, a.header)
	}
	if a := getUI(t, c, "HEAD", st.URL+"/assets/app-1.js", "Accept-Encoding", "gzip"); a.status != 200 || a.body != "" ||
		a.header.Get("Content-Length") != "7" || a.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("head: %d %q %v", a.status, a.body, a.header)
	}
	if a := getUI(t, c, "POST", st.URL+"/gallery"); a.status != 405 || a.header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("post: %d %v", a.status, a.header)
	}
}

func TestSPARoutesFallBackMissingFilesDoNot(t *testing.T) {
	st, c := newUIStudio(t)
	cases := []struct {
		path   string
		status int
		index  bool
	}{
		{"/", 200, true},
		{"/index.html", 200, true},
		{"/gallery", 200, true},
		{"/account", 200, true},
		{"/gallery/", 200, true},
		{"/admin", 200, true},
		{"/admin/users", 200, true},
		{"/no-such-tab", 200, true}, // the client router decides what an unknown route shows
		{"/assets/missing-2.js", 404, false},
		{"/assets/", 404, false},
		{"/assets/app-1.js.br", 404, false}, // variants are not addressable on their own
		{"/favicon.ico", 404, false},
		{"/robots.txt", 404, false},
		{"/api/nothing", 404, false}, // JSON, never the SPA
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			a := getUI(t, c, "GET", st.URL+tc.path)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d", a.status, tc.status)
			}
			isIndex := strings.Contains(a.body, `<div id="root">`)
			if isIndex != tc.index {
				t.Fatalf("index.html served: %v, want %v (%q)", isIndex, tc.index, a.body)
			}
			if tc.index && (a.header.Get("Cache-Control") != "no-cache" || a.header.Get("Content-Type") != "text/html; charset=utf-8") {
				t.Errorf("index headers %v", a.header)
			}
		})
	}
}

// The committed web/dist carries a gzip and a brotli variant of every script and stylesheet,
// and each gzip variant is the file itself.
func TestEmbeddedUIIsPrecompressed(t *testing.T) {
	ui := web.Dist()
	checked := 0
	err := fs.WalkDir(ui, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".css")) {
			return err
		}
		orig, err := fs.ReadFile(ui, p)
		if err != nil {
			return err
		}
		if len(orig) < 1024 {
			return nil
		}
		gz, err := fs.ReadFile(ui, p+".gz")
		if err != nil {
			t.Errorf("%s has no .gz: %v", p, err)
			return nil
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Errorf("%s.gz: %v", p, err)
			return nil
		}
		plain, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(plain, orig) {
			t.Errorf("%s.gz does not decode to %s (%v)", p, p, err)
		}
		br, err := fs.ReadFile(ui, p+".br")
		if err != nil || len(br) == 0 || len(br) >= len(gz) {
			t.Errorf("%s.br missing or not smaller than gzip (%d vs %d, %v)", p, len(br), len(gz), err)
		}
		checked++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no script or stylesheet in web/dist")
	}
}
