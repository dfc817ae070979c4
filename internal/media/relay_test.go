package media_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/testutil"
)

// faultProxy forwards requests to the real S3 server until budget request-body bytes have
// passed. The request that would go past it is read up to the budget and then its connection is
// cut, mid-body, without forwarding it; later requests with a body are cut at once. An upload
// through it dies mid-stream from the uploader's side, and the server never sees a torn body.
func faultProxy(t *testing.T, srv *testutil.S3Server, budget int64) *httptest.Server {
	t.Helper()
	target, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = srv.HTTPClient().Transport
	var mu sync.Mutex
	left := budget
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cut := r.ContentLength != 0 && (r.ContentLength < 0 || r.ContentLength > left)
		take := left
		if cut {
			left = 0
		} else {
			left -= max(r.ContentLength, 0)
		}
		mu.Unlock()
		if cut {
			_, _ = io.CopyN(io.Discard, r.Body, take)
			panic(http.ErrAbortHandler)
		}
		rp.ServeHTTP(w, r)
	}))
	p.Config.ErrorLog = log.New(io.Discard, "", 0) // the aborts are the point
	t.Cleanup(p.Close)
	return p
}

func s3Via(t *testing.T, srv *testutil.S3Server, endpoint string) *media.S3 {
	t.Helper()
	s, err := media.NewS3(media.S3Config{Endpoint: endpoint, Region: srv.Region, Bucket: "relay", AccessKeyID: srv.AccessKey,
		SecretAccessKey: srv.SecretKey, ForcePathStyle: true, PartSize: 5 << 20, Timeout: 5 * time.Second, MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// localFiles lists every file under dir (spools included), relative to it.
func localFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readS3(t *testing.T, s *media.S3, key string) []byte {
	t.Helper()
	rc, _, err := s.Open(context.Background(), key, 0, -1)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// failingReader serves data and then fails, like a provider connection cut mid-file.
type failingReader struct {
	r     io.Reader
	after int
	n     int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n >= f.after {
		return 0, errors.New("connection reset by provider")
	}
	p = p[:min(len(p), f.after-f.n)]
	n, err := f.r.Read(p)
	f.n += n
	return n, err
}

func TestRelayWritesS3AndSpoolConcurrently(t *testing.T) {
	srv := testutil.StartS3(t, false)
	s3 := s3Via(t, srv, srv.Endpoint)
	for _, c := range []struct {
		name string
		size int
		hide bool // the size is unknown to the uploader
	}{
		{"one PutObject", 300_000, false},
		{"multipart", 13 << 20, false},
		{"multipart, unknown size", 11 << 20, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			local, _ := media.NewLocal(dir)
			defer local.Close()
			st := media.NewStorage(local, s3)
			data := randomBytes(c.size)
			var r io.Reader = bytes.NewReader(data)
			size := int64(c.size)
			if c.hide {
				r, size = onlyReader{r}, -1
			}
			key := "users/1/video/" + strings.ReplaceAll(c.name, " ", "-") + ".mp4"
			saved, err := st.Save(context.Background(), key, r, size, "video/mp4")
			if err != nil || saved.Storage != "s3" || saved.FellBack || saved.Bytes != int64(c.size) {
				t.Fatalf("save: %+v %v", saved, err)
			}
			if got := readS3(t, s3, key); !bytes.Equal(got, data) {
				t.Fatalf("S3 holds %d bytes that differ from the %d sent", len(got), len(data))
			}
			if files := localFiles(t, dir); len(files) != 0 {
				t.Fatalf("local files left after an S3 save: %v", files)
			}
		})
	}
}

func TestRelayS3FailingMidStreamKeepsCompleteLocalFile(t *testing.T) {
	srv := testutil.StartS3(t, false)
	// The connection is cut after 9 MiB of the 23 MiB body have reached the server.
	proxy := faultProxy(t, srv, 9<<20)
	s3 := s3Via(t, srv, proxy.URL)
	direct := s3Via(t, srv, srv.Endpoint)
	dir := t.TempDir()
	local, _ := media.NewLocal(dir)
	defer local.Close()
	st := media.NewStorage(local, s3)
	data := randomBytes(23 << 20)
	key := "users/1/video/cut.mp4"
	saved, err := st.Save(context.Background(), key, bytes.NewReader(data), int64(len(data)), "video/mp4")
	if err != nil || saved.Storage != "local" || !saved.FellBack || saved.Bytes != int64(len(data)) {
		t.Fatalf("save: %+v %v", saved, err)
	}
	got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key)))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("local copy: %d bytes (want %d), %v", len(got), len(data), err)
	}
	if files := localFiles(t, dir); len(files) != 1 {
		t.Fatalf("want only the kept file, found %v", files)
	}
	if _, err := direct.Stat(context.Background(), key); !errors.Is(err, media.ErrNotFound) {
		t.Fatalf("a partial object was completed in S3: %v", err)
	}
}

func TestRelayProviderFailingMidStreamStoresNothing(t *testing.T) {
	srv := testutil.StartS3(t, false)
	s3 := s3Via(t, srv, srv.Endpoint)
	for name, size := range map[string]int{"small": 200_000, "multipart": 12 << 20} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			local, _ := media.NewLocal(dir)
			defer local.Close()
			st := media.NewStorage(local, s3)
			data := randomBytes(size)
			key := "users/1/video/broken-" + name + ".mp4"
			r := &failingReader{r: bytes.NewReader(data), after: size * 2 / 3}
			if saved, err := st.Save(context.Background(), key, r, int64(size), "video/mp4"); err == nil {
				t.Fatalf("a cut provider stream was saved: %+v", saved)
			}
			if files := localFiles(t, dir); len(files) != 0 {
				t.Fatalf("local files left: %v", files)
			}
			// Some servers (versitygw among them) keep a torn body as an object; the relay deletes
			// it, but that delete can race the server finishing its write. What the studio relies
			// on is that the job's retry writes the same key again, whole.
			saved, err := st.Save(context.Background(), key, bytes.NewReader(data), int64(size), "video/mp4")
			if err != nil || saved.Storage != "s3" {
				t.Fatalf("retry: %+v %v", saved, err)
			}
			if got := readS3(t, s3, key); !bytes.Equal(got, data) {
				t.Fatalf("after the retry S3 holds %d bytes, want the %d sent", len(got), len(data))
			}
		})
	}
}

func TestRelayShortStreamIsRefused(t *testing.T) {
	srv := testutil.StartS3(t, false)
	s3 := s3Via(t, srv, srv.Endpoint)
	dir := t.TempDir()
	local, _ := media.NewLocal(dir)
	defer local.Close()
	st := media.NewStorage(local, s3)
	data := randomBytes(100_000)
	// The provider announced more bytes than it sent.
	if saved, err := st.Save(context.Background(), "users/1/image/short.png", bytes.NewReader(data), 150_000, "image/png"); err == nil {
		t.Fatalf("short stream saved: %+v", saved)
	}
	if files := localFiles(t, dir); len(files) != 0 {
		t.Fatalf("local files left: %v", files)
	}
	// Whatever the server kept of the short body, it is never taken for the file: a retry with
	// the whole stream replaces it.
	if saved, err := st.Save(context.Background(), "users/1/image/short.png", bytes.NewReader(data), int64(len(data)), "image/png"); err != nil || saved.Storage != "s3" {
		t.Fatalf("retry: %+v %v", saved, err)
	}
	if got := readS3(t, s3, "users/1/image/short.png"); !bytes.Equal(got, data) {
		t.Fatalf("after the retry S3 holds %d bytes", len(got))
	}
}
