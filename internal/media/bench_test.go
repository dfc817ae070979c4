package media_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/testutil"
)

// benchSizes are the provider file sizes relayed (MiB). FALSTUDIO_BENCH_MIB=512,2048 reproduces
// the figures in docs/benchmarks.md; the default stays small so a plain -bench run is quick.
func benchSizes() []int64 {
	v := os.Getenv("FALSTUDIO_BENCH_MIB")
	if v == "" {
		v = "64"
	}
	var out []int64
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// provider streams size bytes that sniff as MP4, generated on the fly (never held in memory).
func provider(size int64) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		w.Header().Set("Content-Type", "video/mp4")
		head := []byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41")
		_, _ = w.Write(head)
		buf := make([]byte, 256<<10)
		for i := range buf {
			buf[i] = byte(i * 7)
		}
		left := size - int64(len(head))
		for left > 0 {
			n := min(left, int64(len(buf)))
			if _, err := w.Write(buf[:n]); err != nil {
				return
			}
			left -= n
		}
	}))
}

// BenchmarkRelayToS3 streams a provider file through the SSRF-safe fetcher into S3 (via the
// local-first save) and reports throughput and peak memory; it compares with curl uploading the
// same bytes to a presigned URL of the same server.
func BenchmarkRelayToS3(b *testing.B) {
	srv := testutil.StartS3(b, false)
	s3, err := media.NewS3(media.S3Config{Endpoint: srv.Endpoint, Region: srv.Region, Bucket: "bench", AccessKeyID: srv.AccessKey,
		SecretAccessKey: srv.SecretKey, ForcePathStyle: true, HTTPClient: srv.HTTPClient()})
	if err != nil {
		b.Fatal(err)
	}
	if err := s3.EnsureBucket(context.Background()); err != nil {
		b.Fatal(err)
	}
	local, _ := media.NewLocal(b.TempDir())
	defer local.Close()
	st := media.NewStorage(local, s3)
	for _, mib := range benchSizes() {
		size := mib << 20
		b.Run(fmt.Sprintf("%dMiB", mib), func(b *testing.B) {
			prov := provider(size)
			defer prov.Close()
			f := media.NewFetcher(media.FetchConfig{AllowedHosts: []string{strings.TrimPrefix(prov.URL, "http://")}, MaxBytes: 4 << 30, Timeout: time.Hour})
			runtime.GC()
			sampler := testutil.SamplePeakHeap()
			b.SetBytes(size)
			i := 0
			start := time.Now()
			for b.Loop() {
				d, err := f.Fetch(context.Background(), prov.URL+"/out.mp4")
				if err != nil {
					b.Fatal(err)
				}
				res, err := st.Save(context.Background(), fmt.Sprintf("bench/%d-%d.mp4", mib, i), d.Body, d.Size, d.ContentType)
				d.Body.Close()
				if err != nil || res.Storage != "s3" || res.Bytes != size {
					b.Fatalf("save: %+v %v", res, err)
				}
				i++
			}
			b.StopTimer()
			relay := float64(size) * float64(i) / (1 << 20) / time.Since(start).Seconds()
			b.ReportMetric(relay, "relay-MiB/s")
			peak := sampler.Stop()
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(testutil.PeakRSS())/(1<<20), "process-peak-RSS-MiB")
			if peak > 64<<20 {
				b.Errorf("peak heap %d MiB is over 64 MiB", peak>>20)
			}
			// curl uploading the same bytes (from a file) to a presigned PUT of the same server.
			if curl, err := exec.LookPath("curl"); err == nil {
				path := filepath.Join(b.TempDir(), "blob")
				out, err := os.Create(path)
				if err != nil {
					b.Fatal(err)
				}
				resp, err := http.Get(prov.URL)
				if err != nil {
					b.Fatal(err)
				}
				_, err = io.Copy(out, resp.Body)
				resp.Body.Close()
				if cerr := out.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					b.Fatalf("blob for curl: %v", err)
				}
				url, err := s3.PresignPut(context.Background(), fmt.Sprintf("bench/curl-%d", mib), time.Hour)
				if err != nil {
					b.Fatal(err)
				}
				start = time.Now()
				if err := exec.Command(curl, "-sf", "-T", path, url).Run(); err != nil {
					b.Fatalf("curl: %v", err)
				}
				curlRate := float64(size) / (1 << 20) / time.Since(start).Seconds()
				b.ReportMetric(curlRate, "curl-MiB/s")
				b.ReportMetric(relay/curlRate, "relay/curl")
				os.Remove(path)
			}
		})
	}
}
