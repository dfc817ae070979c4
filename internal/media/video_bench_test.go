package media_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/testutil"
)

// BenchmarkStitch joins n copies of a 10 s 640×360 clip with sound (a 0.5 s crossfade) and
// reports the time, ffmpeg's peak resident memory and this process's heap growth: the job
// never holds the video, so only ffmpeg's memory counts, and it stays flat with the length.
//
//	go test -run '^$' -bench Stitch -benchtime 1x ./internal/media/
func BenchmarkStitch(b *testing.B) {
	v := media.DetectVideo(1)
	if !v.Available() {
		b.Fatal("ffmpeg is not installed: run scripts/install-ffmpeg.sh")
	}
	clip := filepath.Join(b.TempDir(), "clip.mp4")
	if err := os.WriteFile(clip, testutil.MakeClip(b, testutil.Clip{Width: 640, Height: 360, Seconds: 10, FPS: 24, Audio: true}), 0o600); err != nil {
		b.Fatal(err)
	}
	info, err := v.Probe(context.Background(), clip)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{2, 6, 20} {
		b.Run(fmt.Sprintf("%ds", n*10), func(b *testing.B) {
			in := make([]media.StitchInput, n)
			for i := range in {
				in[i] = media.StitchInput{File: clip, Info: info}
			}
			out := filepath.Join(b.TempDir(), "out.mp4")
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var st *media.StitchStats
			for b.Loop() {
				if st, err = v.Stitch(context.Background(), in, 0.5, out, 1<<32, media.ErrTooLarge, nil); err != nil {
					b.Fatal(err)
				}
			}
			runtime.ReadMemStats(&after)
			fi, err := os.Stat(out)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(st.Elapsed.Seconds(), "s/stitch")
			b.ReportMetric(float64(st.MaxRSSKB)/1024, "ffmpeg-MiB")
			b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/(1<<20), "go-heap-MiB")
			b.ReportMetric(float64(fi.Size())/(1<<20), "out-MiB")
			b.ReportMetric(float64(st.Pieces), "pieces")
		})
	}
}
