package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// conditionalList wraps GET /api/assets with the caller's asset version: every page gets an
// ETag; a browser that holds the current one gets 304 (no query, no encoding), and a page
// already encoded for this exact version and query is written from memory. The ETag covers the
// user (a browser shared by two people never gets the other's page), the version, the query
// string and the build, so a cached page can never outlive a change to what it shows.
func (s *Server) conditionalList(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.AssetVersions == nil {
			return h(w, r)
		}
		uid := currentUser(r.Context()).ID
		v, err := s.AssetVersions.Assets(r.Context(), uid)
		if err != nil {
			return err
		}
		sum := sha256.Sum256([]byte(s.Version + "\x00" + s.cfg.S3.PublicBaseURL + "\x00" + r.URL.RawQuery))
		etag := `W/"a` + strconv.FormatInt(uid, 36) + "." + strconv.FormatInt(v, 36) + "." + hex.EncodeToString(sum[:6]) + `"`
		hdr := w.Header()
		hdr.Set("ETag", etag)
		// Stored, but revalidated on every use: the page is current only while the version holds.
		hdr.Set("Cache-Control", "private, no-cache")
		if etagMatch(r.Header.Get("If-None-Match"), etag) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		if body, ok := s.pages.get(etag); ok {
			hdr.Set("Content-Type", "application/json; charset=utf-8")
			hdr.Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = w.Write(body)
			return nil
		}
		rec := &pageRecorder{ResponseWriter: w}
		if err := h(rec, r); err != nil {
			hdr.Del("ETag") // an error is no version of the page
			hdr.Set("Cache-Control", "no-store")
			return err
		}
		if rec.status == http.StatusOK && !rec.overflow {
			s.pages.put(etag, rec.buf.Bytes()) // the recorder ends here: the cache keeps its buffer
		}
		return nil
	}
}

// pageRecorder passes a response through and keeps a copy of a small body for the page cache.
type pageRecorder struct {
	http.ResponseWriter
	status   int
	buf      bytes.Buffer
	overflow bool
}

func (p *pageRecorder) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
	p.ResponseWriter.WriteHeader(code)
}

func (p *pageRecorder) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	if !p.overflow {
		if p.buf.Len()+len(b) > maxCachedPage {
			p.overflow = true
			p.buf = bytes.Buffer{}
		} else {
			p.buf.Write(b)
		}
	}
	return p.ResponseWriter.Write(b)
}

func (p *pageRecorder) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// Page cache bounds: a page of 100 assets is ~60 KB of JSON.
const (
	maxCachedPage  = 256 << 10
	maxCachedBytes = 16 << 20
)

// pageCache holds encoded gallery pages by ETag. Entries never go stale (a change makes a new
// ETag); old ones are evicted, oldest first, once the byte budget is spent.
type pageCache struct {
	mu    sync.Mutex
	pages map[string][]byte
	order []string // insertion order, for eviction
	bytes int
}

func newPageCache() *pageCache { return &pageCache{pages: map[string][]byte{}} }

func (c *pageCache) get(etag string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.pages[etag]
	return b, ok
}

// put keeps body itself (no copy): the caller hands it over and never writes to it again.
func (c *pageCache) put(etag string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pages[etag]; ok {
		return
	}
	for c.bytes+len(body) > maxCachedBytes && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.bytes -= len(c.pages[old])
		delete(c.pages, old)
	}
	c.pages[etag] = body
	c.order = append(c.order, etag)
	c.bytes += len(body)
}

// etagMatch is If-None-Match's weak comparison against one ETag.
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, c := range strings.Split(header, ",") {
		c = strings.TrimSpace(c)
		if c == "*" || strings.TrimPrefix(c, "W/") == want {
			return true
		}
	}
	return false
}
