package httpapi

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"path"
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

// spa serves the embedded UI: hashed files under /assets/ are immutable; every other path that
// is not a file gets index.html (history fallback), never cached so a new build shows at once.
func (s *Server) spa() http.Handler {
	if s.UI == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "fal-studio: the web UI is not built into this binary", http.StatusNotFound)
		})
	}
	index, _ := fs.ReadFile(s.UI, "index.html")
	csp := s.uiCSP()
	started := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Security-Policy", csp)
		p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if p != "" && p != "index.html" {
			if f, err := s.UI.Open(p); err == nil {
				st, serr := f.Stat()
				if serr == nil && !st.IsDir() {
					if strings.HasPrefix(p, "assets/") {
						w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
					} else {
						w.Header().Set("Cache-Control", "no-cache")
					}
					if rs, ok := f.(io.ReadSeeker); ok {
						http.ServeContent(w, r, st.Name(), started, rs)
						f.Close()
						return
					}
				}
				f.Close()
			}
			if strings.HasPrefix(p, "assets/") {
				http.NotFound(w, r)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeContent(w, r, "index.html", started, bytes.NewReader(index))
	})
}
