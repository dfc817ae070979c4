package media_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/testutil"
)

func newS3(t *testing.T, srv *testutil.S3Server, hc *http.Client, timeout time.Duration) *media.S3 {
	t.Helper()
	if hc == nil {
		hc = srv.HTTPClient()
	}
	s, err := media.NewS3(media.S3Config{Endpoint: srv.Endpoint, Region: srv.Region, Bucket: "studio", AccessKeyID: srv.AccessKey,
		SecretAccessKey: srv.SecretKey, ForcePathStyle: true, PartSize: 5 << 20, HTTPClient: hc, Timeout: timeout, MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// onlyReader hides io.Seeker/Len so the size is truly unknown to the uploader.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestS3Operations(t *testing.T) {
	srv := testutil.StartS3(t, false)
	s := newS3(t, srv, nil, 10*time.Second)
	ctx := context.Background()
	small := randomBytes(100_000)
	if n, err := s.Put(ctx, "users/1/image/a.png", bytes.NewReader(small), int64(len(small)), "image/png"); err != nil || n != int64(len(small)) {
		t.Fatalf("put: %d %v", n, err)
	}
	rc, obj, err := s.Open(ctx, "users/1/image/a.png", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading rc: %v", err)
	}
	rc.Close()
	if !bytes.Equal(got, small) || obj.Size != int64(len(small)) {
		t.Fatal("get differs")
	}
	rc, obj, err = s.Open(ctx, "users/1/image/a.png", 1000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading rc: %v", err)
	}
	rc.Close()
	if !bytes.Equal(got, small[1000:2000]) || obj.Size != int64(len(small)) {
		t.Fatalf("range: %d bytes, size %d", len(got), obj.Size)
	}
	st, err := s.Stat(ctx, "users/1/image/a.png")
	if err != nil || st.Size != int64(len(small)) || st.ContentType != "image/png" {
		t.Fatalf("stat: %+v %v", st, err)
	}
	u, err := s.URL(ctx, "users/1/image/a.png", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.HTTPClient().Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading resp.Body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, small) {
		t.Fatalf("presigned GET: %d", resp.StatusCode)
	}
	// Multipart: larger than a part, known size and unknown size.
	big := randomBytes(12 << 20)
	for _, size := range []int64{int64(len(big)), -1} {
		if n, err := s.Put(ctx, "users/1/video/b.mp4", onlyReader{bytes.NewReader(big)}, size, "video/mp4"); err != nil || n != int64(len(big)) {
			t.Fatalf("multipart (size %d): %d %v", size, n, err)
		}
		rc, _, err := s.Open(ctx, "users/1/video/b.mp4", 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("reading rc: %v", err)
		}
		rc.Close()
		if !bytes.Equal(got, big) {
			t.Fatalf("multipart (size %d) differs", size)
		}
	}
	if err := s.Delete(ctx, "users/1/image/a.png"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, "users/1/image/a.png"); !errors.Is(err, media.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.Delete(ctx, "users/1/image/a.png"); err != nil {
		t.Fatalf("deleting a missing object: %v", err)
	}
	if _, _, err := s.Open(ctx, "nope", 0, -1); !errors.Is(err, media.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}

// recorder keeps the headers of every request (the checksum test).
type recorder struct {
	mu   sync.Mutex
	next http.RoundTripper
	reqs []http.Header
	qs   []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Header.Clone())
	r.qs = append(r.qs, req.Method+" "+req.URL.RawQuery)
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// Hetzner rejects aws-chunked bodies with CRC32 trailers (XAmzContentSHA256Mismatch), which the
// SDK sends by default over HTTPS; local servers accept them, so only the headers can prove it.
func TestS3SendsNoChecksumTrailers(t *testing.T) {
	srv := testutil.StartS3(t, true)
	rec := &recorder{next: srv.HTTPClient().Transport}
	s := newS3(t, srv, &http.Client{Transport: rec}, 10*time.Second)
	ctx := context.Background()
	if _, err := s.Put(ctx, "k/small.bin", bytes.NewReader(randomBytes(1000)), 1000, "application/octet-stream"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "k/big.bin", onlyReader{bytes.NewReader(randomBytes(11 << 20))}, -1, "application/octet-stream"); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	puts, parts := 0, 0
	for i, h := range rec.reqs {
		q := rec.qs[i]
		if !strings.HasPrefix(q, "PUT") {
			continue
		}
		if strings.Contains(q, "partNumber") {
			parts++
		} else {
			puts++
		}
		for k := range h {
			lk := strings.ToLower(k)
			if lk == "x-amz-trailer" || strings.HasPrefix(lk, "x-amz-checksum-") || lk == "x-amz-sdk-checksum-algorithm" || lk == "x-amz-decoded-content-length" {
				t.Errorf("%s sent header %s", q, k)
			}
		}
		if strings.Contains(h.Get("Content-Encoding"), "aws-chunked") || strings.HasPrefix(h.Get("X-Amz-Content-Sha256"), "STREAMING-") {
			t.Errorf("%s sent an aws-chunked body", q)
		}
	}
	if puts == 0 || parts < 2 {
		t.Fatalf("recorded %d PutObject and %d UploadPart requests", puts, parts)
	}
}

func TestStorageFallsBackWhenS3Fails(t *testing.T) {
	// A port that accepts connections and never answers.
	hole, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := hole.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		// A fake failing server: a body that cannot be written reaches the client as a failure too.
		_, _ = io.WriteString(w, `<?xml version="1.0"?><Error><Code>ServiceUnavailable</Code></Error>`)
	}))
	defer unavailable.Close()
	stopped := testutil.StartS3(t, false)
	stoppedEndpoint := stopped.Endpoint
	stopped.Stop()

	for name, endpoint := range map[string]string{"stopped server": stoppedEndpoint, "silent port": "http://" + hole.Addr().String(), "503s": unavailable.URL} {
		t.Run(name, func(t *testing.T) {
			s3, err := media.NewS3(media.S3Config{Endpoint: endpoint, Bucket: "studio", AccessKeyID: "a", SecretAccessKey: "b", ForcePathStyle: true,
				Timeout: 500 * time.Millisecond, UploadTimeout: 2 * time.Second, MaxAttempts: 2})
			if err != nil {
				t.Fatal(err)
			}
			local, _ := media.NewLocal(t.TempDir())
			defer local.Close()
			st := media.NewStorage(local, s3)
			data := randomBytes(50_000)
			saved, err := st.Save(context.Background(), "users/1/image/x.png", bytes.NewReader(data), int64(len(data)), "image/png")
			if err != nil || !saved.FellBack || saved.Storage != "local" || saved.Bytes != int64(len(data)) {
				t.Fatalf("save: %+v %v", saved, err)
			}
			rc, _, err := st.Open(context.Background(), "local", "users/1/image/x.png", 0, -1)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatalf("reading rc: %v", err)
			}
			rc.Close()
			if !bytes.Equal(got, data) {
				t.Fatal("local copy differs")
			}
		})
	}
}

func TestResyncMovesLocalFilesToS3(t *testing.T) {
	srv := testutil.StartS3(t, false)
	s3 := newS3(t, srv, nil, 5*time.Second)
	local, _ := media.NewLocal(t.TempDir())
	defer local.Close()
	ctx := context.Background()
	data := randomBytes(70_000)
	if _, err := local.Put(ctx, "users/2/image/r.png", bytes.NewReader(data), int64(len(data)), "image/png"); err != nil {
		t.Fatal(err)
	}
	st := media.NewStorage(local, s3)
	// The row update failing leaves the local file in place (nothing lost).
	if err := st.MoveToS3(ctx, "users/2/image/r.png", "image/png", int64(len(data)), func() error { return errors.New("db down") }); err == nil {
		t.Fatal("update error swallowed")
	}
	if _, err := local.Stat(ctx, "users/2/image/r.png"); err != nil {
		t.Fatal("local file removed before the row was updated")
	}
	updated := false
	if err := st.MoveToS3(ctx, "users/2/image/r.png", "image/png", int64(len(data)), func() error { updated = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := local.Stat(ctx, "users/2/image/r.png"); !errors.Is(err, media.ErrNotFound) || !updated {
		t.Fatalf("after move: local %v, updated %v", err, updated)
	}
	if obj, err := s3.Stat(ctx, "users/2/image/r.png"); err != nil || obj.Size != int64(len(data)) {
		t.Fatalf("s3 copy: %+v %v", obj, err)
	}
}

func TestServeFromS3WithRangeAndPresign(t *testing.T) {
	srv := testutil.StartS3(t, false)
	s := newS3(t, srv, nil, 10*time.Second)
	local, _ := media.NewLocal(t.TempDir())
	defer local.Close()
	st := media.NewStorage(local, s)
	data := randomBytes(300_000)
	if _, err := s.Put(context.Background(), "users/1/video/v.mp4", bytes.NewReader(data), int64(len(data)), "video/mp4"); err != nil {
		t.Fatal(err)
	}
	info := media.ObjectInfo{Key: "users/1/video/v.mp4", Storage: "s3", ContentType: "video/mp4", Size: int64(len(data)), ModTime: time.Now(), FileName: "v"}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		media.Serve(w, r, st, info, media.ServeOptions{PresignTTL: map[bool]time.Duration{true: time.Minute}[r.URL.Query().Get("presign") == "1"], Download: r.URL.Query().Get("download") == "1"})
	})
	ts := httptest.NewServer(h)
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL, nil)
	req.Header.Set("Range", "bytes=100000-100099")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading resp.Body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 206 || !bytes.Equal(got, data[100000:100100]) || resp.Header.Get("Content-Range") != "bytes 100000-100099/300000" {
		t.Fatalf("range from S3: %d %v", resp.StatusCode, resp.Header)
	}
	req.Header.Set("Range", "bytes=999999-")
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("unsatisfiable range: %d", resp.StatusCode)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noRedirect.Get(ts.URL + "?presign=1&download=1")
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("presign: %v %v", resp, err)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("disposition %q", resp.Header.Get("Content-Disposition"))
	}
	r2, err := srv.HTTPClient().Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(r2.Body)
	if err != nil {
		t.Fatalf("reading r2.Body: %v", err)
	}
	r2.Body.Close()
	if r2.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("presigned URL: %d", r2.StatusCode)
	}
}

// An object body that stops mid-file (connection open, no bytes) fails the read once no byte
// came for the idle timeout, instead of hanging the download or export forever; a slow body
// that keeps delivering is not cut, however long it takes in all.
func TestS3ReadIdleTimeout(t *testing.T) {
	const size = 1000
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Header().Set("Content-Type", "image/png")
		w.WriteHeader(http.StatusOK)
		fl := http.NewResponseController(w)
		switch {
		case strings.HasSuffix(r.URL.Path, "/stall"):
			_, _ = w.Write(make([]byte, 100))
			_ = fl.Flush()
			select { // the stall: headers and 100 bytes, then nothing
			case <-r.Context().Done():
			case <-release:
			}
		case strings.HasSuffix(r.URL.Path, "/slow"):
			for range 10 { // 100 bytes every 60 ms: 600 ms in all, never 300 ms without a byte
				_, _ = w.Write(make([]byte, size/10))
				_ = fl.Flush()
				time.Sleep(60 * time.Millisecond)
			}
		}
	}))
	defer srv.Close()
	s3, err := media.NewS3(media.S3Config{Endpoint: srv.URL, Bucket: "studio", AccessKeyID: "a", SecretAccessKey: "b",
		ForcePathStyle: true, Timeout: 5 * time.Second, MaxAttempts: 1, ReadIdleTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	rc, _, err := s3.Open(ctx, "stall", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	done := make(chan error, 1)
	var got int
	go func() {
		b, err := io.ReadAll(rc)
		got = len(b)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, media.ErrStalled) {
			t.Fatalf("stalled read ended with %v after %d bytes, want ErrStalled", err, got)
		}
		if got != 100 {
			t.Fatalf("read %d bytes before the stall, want 100", got)
		}
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Fatalf("cut after %s, before the idle timeout", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled object body still hangs after 10 s with a 300 ms idle timeout")
	}
	if err := rc.Close(); err != nil {
		t.Fatalf("close after a stall: %v", err)
	}

	rc, _, err = s3.Open(ctx, "slow", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil || len(b) != size {
		t.Fatalf("a slow but steady body: %d bytes, %v", len(b), err)
	}
}
