package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// uiCSP confines the UI to its own origin; media may also come from a public S3 base.
func (s *Server) uiCSP() string {
	media := "'self' blob: data:"
	if s.cfg.S3.PublicBaseURL != "" {
		media += " " + s.cfg.S3.PublicBaseURL
	}
	return "default-src 'self'; img-src " + media + "; media-src " + media + "; style-src 'self' 'unsafe-inline'; " +
		"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
}

// uiEncodings are the precompressed variants the build writes beside a file (web/scripts/
// precompress.mjs), in the server's order of preference when the client rates them equally:
// brotli is the smaller of the two.
var uiEncodings = []struct{ coding, ext string }{{"br", ".br"}, {"gzip", ".gz"}}

// uiRep is one representation of a UI file: its bytes as sent and their own strong ETag, so a
// cache never answers a gzip request with a brotli body (RFC 9110 §8.8.3).
type uiRep struct {
	coding string // "" for identity
	data   []byte
	etag   string
}

// uiFile is one file of the built UI with its precompressed variants.
type uiFile struct {
	ctype    string
	cache    string
	identity uiRep
	variants []uiRep // in uiEncodings order
}

// loadUI reads the built UI once at start-up (a few hundred KB, embedded in the binary anyway),
// pairing each file with its .br/.gz variants, which are not addressable on their own.
func loadUI(ui fs.FS) (map[string]*uiFile, error) {
	files := map[string]*uiFile{}
	var names []string
	err := fs.WalkDir(ui, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("httpapi: read the UI: %w", err)
	}
	isVariant := map[string]bool{}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for _, n := range names {
		for _, e := range uiEncodings {
			if base, ok := strings.CutSuffix(n, e.ext); ok && have[base] {
				isVariant[n] = true
			}
		}
	}
	for _, n := range names {
		if isVariant[n] {
			continue
		}
		data, err := fs.ReadFile(ui, n)
		if err != nil {
			return nil, fmt.Errorf("httpapi: read the UI: %w", err)
		}
		f := &uiFile{ctype: contentTypeOf(n), identity: uiRep{data: data, etag: etagOf(data)}, cache: "no-cache"}
		// Vite puts a content hash in every name under assets/: a new build is a new URL.
		if strings.HasPrefix(n, "assets/") {
			f.cache = "public, max-age=31536000, immutable"
		}
		for _, e := range uiEncodings {
			if !have[n+e.ext] {
				continue
			}
			v, err := fs.ReadFile(ui, n+e.ext)
			if err != nil {
				return nil, fmt.Errorf("httpapi: read the UI: %w", err)
			}
			f.variants = append(f.variants, uiRep{coding: e.coding, data: v, etag: etagOf(v)})
		}
		files[n] = f
	}
	return files, nil
}

// uiTypes are fixed here rather than read from the system's mime.types, which differ between
// machines (a .js served as text/plain would not run).
var uiTypes = map[string]string{
	".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml", ".json": "application/json", ".webmanifest": "application/manifest+json",
	".png": "image/png", ".ico": "image/x-icon", ".txt": "text/plain; charset=utf-8", ".woff2": "font/woff2",
}

func contentTypeOf(name string) string {
	if t, ok := uiTypes[path.Ext(name)]; ok {
		return t
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// acceptQ is the quality the Accept-Encoding header gives a content coding (0 when refused or
// absent; "*" covers codings not named). An absent header accepts only identity here.
func acceptQ(header, coding string) float64 {
	q, star := -1.0, -1.0
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		v := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				v = f
			}
		}
		switch {
		case name == coding || (coding == "gzip" && name == "x-gzip"):
			q = max(q, v)
		case name == "*":
			star = max(star, v)
		}
	}
	if q >= 0 {
		return q
	}
	return max(star, 0)
}

// choose picks the representation for the request: the best-rated variant the client accepts,
// identity otherwise (also when the client claims to refuse identity: a 406 helps nobody).
func (f *uiFile) choose(acceptEncoding string) *uiRep {
	best, bestQ := &f.identity, 0.0
	if acceptEncoding == "" {
		return best
	}
	for i := range f.variants {
		if q := acceptQ(acceptEncoding, f.variants[i].coding); q > bestQ {
			best, bestQ = &f.variants[i], q
		}
	}
	return best
}

// spa serves the embedded UI: hashed files under /assets/ are immutable; a path that names no
// file and has no extension is a client route (/gallery, /account …) and gets index.html,
// never cached so a new build shows at once; a missing file with an extension is a 404.
func (s *Server) spa() http.Handler {
	if s.UI == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "fal-studio: the web UI is not built into this binary", http.StatusNotFound)
		})
	}
	files, err := loadUI(s.UI)
	if err != nil {
		s.log.Error("the web UI could not be read", "err", err)
		files = map[string]*uiFile{}
	}
	index := files["index.html"]
	csp := s.uiCSP()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		// A share page answers 404 exactly when its JSON does: a dead link is not a page.
		if tok, ok := strings.CutPrefix(p, "s/"); ok && index != nil && !strings.Contains(tok, "/") {
			if err := s.sharePage(r, tok); err != nil {
				s.shareError(w, r, index, err)
				return
			}
		}
		f := files[p]
		if f == nil {
			if p == "assets" || strings.HasPrefix(p, "assets/") || path.Ext(p) != "" || index == nil {
				http.NotFound(w, r)
				return
			}
			f = index
		}
		w.Header().Set("Content-Security-Policy", csp)
		serveUIFile(w, r, f)
	})
}

func serveUIFile(w http.ResponseWriter, r *http.Request, f *uiFile) {
	h := w.Header()
	if len(f.variants) > 0 {
		h.Add("Vary", "Accept-Encoding")
	}
	rep := f.choose(r.Header.Get("Accept-Encoding"))
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", f.cache)
	h.Set("ETag", rep.etag)
	if rep.coding != "" {
		// ServeContent leaves out Content-Length when it sees a Content-Encoding (it guards
		// against wrappers that compress on the fly), so the coding is added as it answers.
		w = &codingWriter{ResponseWriter: w, coding: rep.coding}
	}
	// ServeContent answers If-None-Match with 304, Range and HEAD, and sets Content-Length
	// from the representation actually sent. No Last-Modified: the ETag is the validator.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(rep.data))
}

// serveUIStatus sends a UI file with another status than 200 (a share page whose link is dead:
// the app still loads and says so). No validator and no range: it is not cached.
func serveUIStatus(w http.ResponseWriter, r *http.Request, f *uiFile, status int) {
	h := w.Header()
	if len(f.variants) > 0 {
		h.Add("Vary", "Accept-Encoding")
	}
	rep := f.choose(r.Header.Get("Accept-Encoding"))
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", "no-store")
	if rep.coding != "" {
		h.Set("Content-Encoding", rep.coding)
	}
	h.Set("Content-Length", strconv.Itoa(len(rep.data)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(rep.data)
	}
}

// codingWriter names the content coding of a precompressed body on the answers that carry it.
type codingWriter struct {
	http.ResponseWriter
	coding string
}

func (c *codingWriter) WriteHeader(code int) {
	if code == http.StatusOK || code == http.StatusPartialContent {
		c.Header().Set("Content-Encoding", c.coding)
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *codingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
