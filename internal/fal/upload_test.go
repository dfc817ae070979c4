package fal_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/falsim"
)

// onlyReader hides every method but Read (no Len, no Seek), like a multipart part.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// A body of unknown length (a browser upload streamed from its multipart part) still reaches
// the signed URL with a Content-Length: the simulator, like S3-style signed URLs, answers a
// chunked PUT with 411. Small bodies are held in memory, larger ones in a temporary file that
// is removed afterwards; the bytes arrive unchanged either way.
func TestUploadOfUnknownLengthSendsContentLength(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	sim := falsim.NewTest(t, falsim.Options{})
	c := client(t, sim.URLs(), nil)
	for name, n := range map[string]int{"empty": 0, "small": 95, "spooled to a file": 3<<20 + 7} {
		t.Run(name, func(t *testing.T) {
			data := bytes.Repeat([]byte("\x89PNG fal "), n/9+1)[:n]
			before := sim.Count("put")
			u, err := c.Upload(context.Background(), "sim-key", "image/png", "ref.png", onlyReader{bytes.NewReader(data)}, -1)
			if err != nil || sim.Count("put") != before+1 {
				t.Fatalf("upload: %s %v", u, err)
			}
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || !bytes.Equal(got, data) {
				t.Fatalf("stored %d bytes (HTTP %d, %v), want %d", len(got), resp.StatusCode, err, len(data))
			}
		})
	}
	if left, err := os.ReadDir(tmp); err != nil || len(left) != 0 {
		t.Fatalf("temporary files left behind: %v %v", left, err)
	}
}

// A body of unknown length over MaxUpload is refused before anything is sent to fal.
func TestUploadOfUnknownLengthIsBounded(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	sim := falsim.NewTest(t, falsim.Options{})
	c := client(t, sim.URLs(), nil)
	_, err := c.Upload(context.Background(), "sim-key", "image/png", "big.png", io.LimitReader(zeros{}, fal.MaxUpload+1), -1)
	var fe *fal.Error
	if !errors.As(err, &fe) || fe.Code != fal.CodeInvalidInput || !strings.Contains(fe.Message, "too large") {
		t.Fatalf("oversized upload: %v", err)
	}
	if sim.Count("upload") != 0 || sim.Count("put") != 0 {
		t.Fatalf("fal was called: %d initiates, %d puts", sim.Count("upload"), sim.Count("put"))
	}
	if left, err := os.ReadDir(tmp); err != nil || len(left) != 0 {
		t.Fatalf("temporary files left behind: %v %v", left, err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
