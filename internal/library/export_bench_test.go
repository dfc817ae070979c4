package library_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/testutil"
)

// BenchmarkExportZip downloads GET /api/export.zip from a real studio (in this process, so the
// heap sampled covers server and client) for 8 files totalling FALSTUDIO_BENCH_EXPORT_MIB
// (default 512). The files are sparse, so the disk is not the bottleneck: what is measured is
// the studio's own streaming (storage read, CRC-32, zip framing, HTTP) and its memory.
func BenchmarkExportZip(b *testing.B) {
	sizes := os.Getenv("FALSTUDIO_BENCH_EXPORT_MIB")
	if sizes == "" {
		sizes = "512"
	}
	for _, s := range strings.Split(sizes, ",") {
		mib, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || mib < 8 {
			b.Fatalf("FALSTUDIO_BENCH_EXPORT_MIB: %q", s)
		}
		b.Run(fmt.Sprintf("%dMiB", mib), func(b *testing.B) { benchExport(b, int64(mib)<<20) })
	}
}

func benchExport(b *testing.B, total int64) {
	st := testutil.NewStudio(b, testutil.StudioOptions{})
	c := st.NewClient(b)
	c.SignUp("export-bench@example.com", "a long enough passphrase")
	var uid int64
	if u, err := st.App.Store().UserByEmail(context.Background(), "export-bench@example.com"); err != nil {
		b.Fatal(err)
	} else {
		uid = u.ID
	}
	const files = 8
	per := total / files
	var ids []string
	for i := range files {
		id := strings.ToLower(rand.Text())
		created := time.Now().Add(time.Duration(i) * time.Second)
		key := media.ObjectKey(uid, model.KindVideo, fmt.Sprintf("bench clip %d", i), id, "video/mp4", created)
		p := filepath.Join(st.DataDir, "media", filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			b.Fatal(err)
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Truncate(per); err != nil { // sparse: no disk blocks
			b.Fatal(err)
		}
		f.Close()
		if _, err := st.App.Store().InsertAsset(context.Background(), &model.Asset{ID: id, UserID: uid, Model: "fal-ai/kling", Prompt: "bench clip",
			Kind: model.KindVideo, StorageKey: key, Storage: model.StorageLocal, ContentType: "video/mp4", Bytes: per, CreatedAt: created}); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	url := "/api/export.zip?ids=" + strings.Join(ids, ",")
	var peak uint64
	var got int64
	start := time.Now()
	for b.Loop() {
		runtime.GC()
		sampler := testutil.SamplePeakHeap()
		req, _ := http.NewRequest("GET", st.URL+url, nil)
		client := *c.HTTP
		client.Timeout = 30 * time.Minute
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		got, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("export: %d %v", resp.StatusCode, err)
		}
		peak = max(peak, sampler.Stop())
	}
	if got < total {
		b.Fatalf("archive of %d bytes for %d of media", got, total)
	}
	secs := time.Since(start).Seconds() / float64(b.N)
	b.ReportMetric(float64(total)/(1<<20)/secs, "MiB/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(got)/(1<<20), "zip-MiB")
}
