package httpapi

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// gzipMinSize is the smallest JSON body worth compressing: below about a kilobyte gzip's own
// framing and the CPU outweigh the bytes saved.
const gzipMinSize = 1024

// gzipETagSuffix marks the ETag of a compressed answer: a compressed body is another
// representation and needs its own strong validator (RFC 9110 §8.8.3), as Apache does it.
const gzipETagSuffix = "-gzip"

// compressJSON gzips JSON answers of at least gzipMinSize bytes for clients that accept gzip.
// It looks only at the response's Content-Type, so an event stream (text/event-stream), a zip
// export or any media passes through untouched, byte for byte and flushed as the handler
// flushes. BestSpeed: on the gallery's hot path, level 1 keeps most of the gain (JSON is
// repetitive) for a fraction of the CPU of the default level.
func compressJSON(next http.Handler) http.Handler {
	pool := &sync.Pool{New: func() any {
		zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
		return zw
	}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r) // media and the UI (precompressed at build time) never pass here
			return
		}
		cw := &gzipWriter{ResponseWriter: w, pool: pool, accept: r.Method != http.MethodHead && acceptQ(r.Header.Get("Accept-Encoding"), "gzip") > 0}
		if cw.accept {
			// A revalidation carries the ETag we sent, suffix included: the handler knows its own.
			if inm := r.Header.Get("If-None-Match"); strings.Contains(inm, gzipETagSuffix+`"`) {
				r = r.Clone(r.Context())
				r.Header.Set("If-None-Match", strings.ReplaceAll(inm, gzipETagSuffix+`"`, `"`))
				cw.revalidated = true
			}
		}
		next.ServeHTTP(cw, r)
		// Not deferred: after a panic the buffered half-answer is dropped and recoverPanics
		// writes a clean error instead.
		cw.finish()
	})
}

// gzipWriter decides at the first byte (or WriteHeader with a body-less status) whether the
// answer is compressible, then buffers up to gzipMinSize before committing to gzip.
type gzipWriter struct {
	http.ResponseWriter
	pool        *sync.Pool
	accept      bool // the client takes gzip and the method has a body
	revalidated bool // the request's If-None-Match had our suffix

	decided, buffering, wroteHeader bool
	status                          int
	buf                             bytes.Buffer
	zw                              *gzip.Writer
}

// Unwrap lets http.ResponseController reach the connection's deadlines.
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (g *gzipWriter) WriteHeader(code int) {
	if g.wroteHeader {
		return
	}
	if code >= 100 && code < 200 {
		g.ResponseWriter.WriteHeader(code) // informational answers pass straight through
		return
	}
	g.wroteHeader, g.status = true, code
	g.decide()
	if !g.buffering {
		g.ResponseWriter.WriteHeader(code)
	}
}

func (g *gzipWriter) decide() {
	if g.decided {
		return
	}
	g.decided = true
	h := g.Header()
	if g.status == http.StatusNotModified {
		// The client holds the compressed representation: confirm its tag, not the plain one.
		if et := h.Get("ETag"); g.revalidated && strings.HasSuffix(et, `"`) {
			h.Set("ETag", strings.TrimSuffix(et, `"`)+gzipETagSuffix+`"`)
		}
		h.Add("Vary", "Accept-Encoding")
		return
	}
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	isJSON := mt == "application/json" || strings.HasSuffix(mt, "+json")
	if !isJSON || h.Get("Content-Encoding") != "" {
		return
	}
	h.Add("Vary", "Accept-Encoding")
	bodyless := g.status == http.StatusNoContent
	g.buffering = g.accept && !bodyless && h.Get("Content-Range") == ""
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if !g.wroteHeader {
		g.WriteHeader(http.StatusOK)
	}
	if g.zw != nil {
		return g.zw.Write(p)
	}
	if !g.buffering {
		return g.ResponseWriter.Write(p)
	}
	if g.buf.Len()+len(p) < gzipMinSize {
		g.buf.Write(p)
		return len(p), nil
	}
	// Large enough: start compressing (a whole JSON body usually comes in one Write).
	if err := g.startGzip(); err != nil {
		return 0, err
	}
	return g.zw.Write(p)
}

// startGzip commits to a compressed answer and writes what was buffered through it.
func (g *gzipWriter) startGzip() error {
	h := g.Header()
	h.Del("Content-Length")
	h.Set("Content-Encoding", "gzip")
	if et := h.Get("ETag"); strings.HasSuffix(et, `"`) {
		h.Set("ETag", strings.TrimSuffix(et, `"`)+gzipETagSuffix+`"`)
	}
	g.ResponseWriter.WriteHeader(g.status)
	g.zw = g.pool.Get().(*gzip.Writer)
	g.zw.Reset(g.ResponseWriter)
	_, err := g.zw.Write(g.buf.Bytes())
	g.buf.Reset()
	return err
}

// Flush sends what the handler wrote so far: a handler that flushes wants the bytes out now.
func (g *gzipWriter) Flush() {
	_ = g.FlushError()
}

// FlushError is what http.ResponseController.Flush calls.
func (g *gzipWriter) FlushError() error {
	if !g.wroteHeader {
		g.WriteHeader(http.StatusOK)
	}
	if g.buffering && g.zw == nil {
		if err := g.startGzip(); err != nil {
			return err
		}
	}
	if g.zw != nil {
		if err := g.zw.Flush(); err != nil {
			return err
		}
	}
	return http.NewResponseController(g.ResponseWriter).Flush()
}

// finish ends the answer: a small buffered body goes out as it is, a gzip stream is closed.
func (g *gzipWriter) finish() {
	switch {
	case g.zw != nil:
		_ = g.zw.Close()
		g.zw.Reset(io.Discard)
		g.pool.Put(g.zw)
		g.zw = nil
	case g.buffering:
		g.ResponseWriter.WriteHeader(g.status)
		_, _ = g.ResponseWriter.Write(g.buf.Bytes())
	}
}
