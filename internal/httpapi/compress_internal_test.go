package httpapi

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// listLike answers like a list route with a validator: a strong ETag, 304 on a match.
func listLike(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v7"`)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.Header.Get("If-None-Match") == `"v7"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Length", "999999") // must not survive compression
		_, _ = io.WriteString(w, body)
	})
}

func serve(h http.Handler, method, path string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestCompressJSONMiddleware(t *testing.T) {
	big := `{"assets":[` + strings.Repeat(`{"id":"abc","prompt":"a fox in the snow"},`, 100) + `{}]}`
	h := compressJSON(listLike(big))

	cases := []struct {
		name                 string
		method, path         string
		hdr                  []string
		status               int
		encoding, etag, cLen string
		wantBody             string // after decoding
	}{
		{"compressed, ETag marked", "GET", "/api/assets", []string{"Accept-Encoding", "gzip"}, 200, "gzip", `"v7-gzip"`, "", big},
		{"plain client keeps the plain tag", "GET", "/api/assets", nil, 200, "", `"v7"`, "999999", big},
		{"revalidating the gzip tag", "GET", "/api/assets", []string{"Accept-Encoding", "gzip", "If-None-Match", `"v7-gzip"`}, 304, "", `"v7-gzip"`, "", ""},
		{"revalidating the plain tag", "GET", "/api/assets", []string{"If-None-Match", `"v7"`}, 304, "", `"v7"`, "", ""},
		{"HEAD is never compressed", "HEAD", "/api/assets", []string{"Accept-Encoding", "gzip"}, 200, "", `"v7"`, "999999", big}, // the server drops the body, the recorder keeps it
		{"outside /api/ untouched", "GET", "/media/x", []string{"Accept-Encoding", "gzip"}, 200, "", `"v7"`, "999999", big},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(h, tc.method, tc.path, tc.hdr...)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			hd := rec.Header()
			if hd.Get("Content-Encoding") != tc.encoding || hd.Get("ETag") != tc.etag || hd.Get("Content-Length") != tc.cLen {
				t.Fatalf("headers %v, want encoding %q etag %s length %q", hd, tc.encoding, tc.etag, tc.cLen)
			}
			if tc.path == "/api/assets" && !strings.Contains(hd.Get("Vary"), "Accept-Encoding") {
				t.Errorf("no Vary: %v", hd)
			}
			body := rec.Body.Bytes()
			if tc.encoding == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if string(body) != tc.wantBody {
				t.Fatalf("body %d bytes, want %d", len(body), len(tc.wantBody))
			}
		})
	}
}

func TestCompressJSONPassesThroughWhatItMustNotTouch(t *testing.T) {
	big := strings.Repeat("x", 4096)
	cases := []struct {
		name  string
		ctype string
		pre   func(http.Header)
	}{
		{"event stream", "text/event-stream", nil},
		{"image", "image/png", nil},
		{"zip export", "application/zip", nil},
		{"already encoded", "application/json", func(h http.Header) { h.Set("Content-Encoding", "br") }},
		{"no type", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := compressJSON(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.ctype != "" {
					w.Header().Set("Content-Type", tc.ctype)
				}
				if tc.pre != nil {
					tc.pre(w.Header())
				}
				_, _ = io.WriteString(w, big)
			}))
			rec := serve(h, "GET", "/api/x", "Accept-Encoding", "gzip")
			if rec.Header().Get("Content-Encoding") == "gzip" || rec.Body.String() != big {
				t.Fatalf("touched: %v, %d bytes", rec.Header(), rec.Body.Len())
			}
		})
	}
}

func TestCompressJSONSmallBodiesAndFlush(t *testing.T) {
	// Below the threshold: sent as is.
	small := compressJSON(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	if rec := serve(small, "POST", "/api/x", "Accept-Encoding", "gzip"); rec.Code != 201 || rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != `{"ok":true}` {
		t.Fatalf("small: %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
	// 204 has no body to compress.
	empty := compressJSON(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNoContent)
	}))
	if rec := serve(empty, "DELETE", "/api/x", "Accept-Encoding", "gzip"); rec.Code != 204 || rec.Header().Get("Content-Encoding") != "" {
		t.Fatalf("204: %d %v", rec.Code, rec.Header())
	}
	// A handler that flushes gets its bytes out at once, compressed, and the stream stays valid.
	var midway int
	flushing := compressJSON(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"part":1,`)
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
		midway = w.(*gzipWriter).ResponseWriter.(*httptest.ResponseRecorder).Body.Len()
		_, _ = io.WriteString(w, `"part2":2}`)
	}))
	// Flushing before the first byte commits the headers once, compressed.
	early := compressJSON(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
		_, _ = io.WriteString(w, `{}`)
	}))
	if rec := serve(early, "POST", "/api/x", "Accept-Encoding", "gzip"); rec.Code != 202 || rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("early flush: %d %v", rec.Code, rec.Header())
	}
	rec := serve(flushing, "GET", "/api/x", "Accept-Encoding", "gzip")
	if midway == 0 || rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("flush sent %d bytes, headers %v", midway, rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(zr); err != nil || string(b) != `{"part":1,"part2":2}` {
		t.Fatalf("flushed stream: %q %v", b, err)
	}
}

// A gallery page of 50 assets as GET /api/assets answers it, for the cost of compressing it.
// Ids are random like the real ones (crypto/rand.Text), so they compress as little.
func galleryPage() []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	id := func() string {
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
		out := make([]byte, 26)
		for i := range out {
			out[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(out)
	}
	var b strings.Builder
	b.WriteString(`{"assets":[`)
	for i := range 50 {
		if i > 0 {
			b.WriteByte(',')
		}
		a := id()
		fmt.Fprintf(&b, `{"id":"%s","generationId":"%s","model":"fal-ai/flux/schnell","prompt":"a lighthouse at dusk, oil painting, number %d",`+
			`"kind":"image","url":"/media/%s","contentType":"image/png","bytes":%d,"width":1024,"height":1024,"storage":"s3",`+
			`"params":{"image_size":"square_hd","num_images":1,"num_inference_steps":4,"seed":%d,"enable_safety_checker":true},"createdAt":"2026-12-01T20:%02d:%02d.%03dZ"}`,
			a, id(), i, a, 1_500_000+rng.IntN(3_000_000), rng.IntN(1<<31), i%60, rng.IntN(60), rng.IntN(1000))
	}
	b.WriteString(`],"nextCursor":"c2026120120000000"}`)
	return []byte(b.String())
}

func BenchmarkCompressJSON(b *testing.B) {
	page := galleryPage()
	plain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(page)
	})
	for _, bc := range []struct {
		name, accept string
	}{{"identity", ""}, {"gzip", "gzip"}} {
		b.Run(bc.name, func(b *testing.B) {
			h := compressJSON(plain)
			req := httptest.NewRequest("GET", "/api/assets", nil)
			if bc.accept != "" {
				req.Header.Set("Accept-Encoding", bc.accept)
			}
			var sent int
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				sent = rec.Body.Len()
			}
			b.ReportMetric(float64(len(page)), "json-bytes")
			b.ReportMetric(float64(sent), "sent-bytes")
		})
	}
}
