package media_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/testutil"
)

func writeClip(t *testing.T, c testutil.Clip) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.mp4")
	if err := os.WriteFile(p, testutil.MakeClip(t, c), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The grabbed frame is the one on screen at atSeconds, identical to what ffmpeg itself extracts
// for that frame number.
func TestFrameMatchesFFmpeg(t *testing.T) {
	v := media.DetectVideo(2)
	if !v.Available() {
		t.Fatal("ffmpeg is not installed: run scripts/install-ffmpeg.sh")
	}
	clip := writeClip(t, testutil.Clip{Width: 320, Height: 240, Seconds: 2, FPS: 10})
	ctx := context.Background()
	info, err := v.Probe(ctx, clip)
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 320 || info.Height != 240 || math.Abs(info.Duration-2) > 0.05 || len(info.Frames) != 20 || info.HasAudio {
		t.Fatalf("probe: %+v", info)
	}
	// Every frame, as ffmpeg decodes it on its own.
	dir := t.TempDir()
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", clip, "-fps_mode", "passthrough", filepath.Join(dir, "f%03d.png")).CombinedOutput(); err != nil {
		t.Fatalf("reference frames: %v %s", err, out)
	}
	for _, tc := range []struct {
		at   float64
		want int
	}{{0, 0}, {0.05, 0}, {0.1, 1}, {0.149, 1}, {1.05, 10}, {1.9, 19}, {2.0, 19}} {
		n := info.FrameAt(tc.at)
		if n != tc.want {
			t.Fatalf("at %v: frame %d, want %d", tc.at, n, tc.want)
		}
		got, err := v.Frame(ctx, clip, n, info)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("f%03d.png", tc.want+1)))
		if err != nil {
			t.Fatal(err)
		}
		if testutil.PixelDiff(testutil.DecodeImage(t, got, "image/png"), testutil.DecodeImage(t, ref, "image/png")) != "" {
			t.Fatalf("at %v: the frame differs from ffmpeg's frame %d", tc.at, tc.want)
		}
		// And it differs from its neighbour: the comparison can tell frames apart.
		other, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("f%03d.png", (tc.want+1)%20+1)))
		if err != nil {
			t.Fatal(err)
		}
		if testutil.PixelDiff(testutil.DecodeImage(t, got, "image/png"), testutil.DecodeImage(t, other, "image/png")) == "" {
			t.Fatal("neighbouring frames are identical; the test clip does not move")
		}
	}
	// Non-square pixels are scaled to square.
	anamorphic := writeClip(t, testutil.Clip{Width: 320, Height: 240, Seconds: 1, FPS: 10, SAR: "4:3"})
	ai, err := v.Probe(ctx, anamorphic)
	if err != nil {
		t.Fatal(err)
	}
	b, err := v.Frame(ctx, anamorphic, 3, ai)
	if err != nil {
		t.Fatal(err)
	}
	if sz := testutil.DecodeImage(t, b, "image/png").Bounds().Size(); sz.X != 426 || sz.Y != 240 {
		t.Fatalf("square-pixel frame: %v", sz)
	}
	// Not a video.
	junk := filepath.Join(t.TempDir(), "junk.mp4")
	if err := os.WriteFile(junk, []byte("not a video at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Probe(ctx, junk); !errors.Is(err, media.ErrVideoUnreadable) {
		t.Fatalf("junk: %v", err)
	}
}

func TestFilmstripTiles(t *testing.T) {
	v := media.DetectVideo(2)
	for _, tc := range []struct {
		w, h, tw, th, count int
	}{{640, 360, 160, 90, 10}, {360, 640, 90, 160, 4}, {320, 240, 160, 120, 60}} {
		clip := writeClip(t, testutil.Clip{Width: tc.w, Height: tc.h, Seconds: 1, FPS: 12})
		info, err := v.Probe(context.Background(), clip)
		if err != nil {
			t.Fatal(err)
		}
		b, tw, th, err := v.Filmstrip(context.Background(), clip, info, tc.count)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if tw != tc.tw || th != tc.th || cfg.Width != tc.tw*tc.count || cfg.Height != tc.th {
			t.Fatalf("%dx%d: tiles %dx%d, sprite %dx%d", tc.w, tc.h, tw, th, cfg.Width, cfg.Height)
		}
	}
}

type probed struct {
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
	Streams []struct {
		CodecType string `json:"codec_type"`
		CodecName string `json:"codec_name"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
		PixFmt    string `json:"pix_fmt"`
		RFrame    string `json:"r_frame_rate"`
	} `json:"streams"`
}

func probeFile(t *testing.T, file string) probed {
	t.Helper()
	var p probed
	if err := json.Unmarshal(testutil.Probe(t, file), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// moovFirst reports an MP4 whose moov box comes before its mdat (faststart).
func moovFirst(t *testing.T, file string) bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m, d := bytes.Index(b, []byte("moov")), bytes.Index(b, []byte("mdat"))
	return m > 0 && d > 0 && m < d
}

func TestStitch(t *testing.T) {
	v := media.DetectVideo(2)
	ctx := context.Background()
	clips := []testutil.Clip{
		{Width: 640, Height: 360, Seconds: 2, FPS: 24, Audio: true},
		{Width: 320, Height: 240, Seconds: 1.5, FPS: 30},
		{Width: 360, Height: 640, Seconds: 1, FPS: 25, Audio: true},
	}
	var in []media.StitchInput
	sum := 0.0
	for _, c := range clips {
		f := writeClip(t, c)
		info, err := v.Probe(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		sum += info.Duration
		in = append(in, media.StitchInput{File: f, Info: info})
	}
	for _, tc := range []struct {
		name  string
		in    []media.StitchInput
		fade  float64
		audio bool
	}{
		{"cut", in, 0, true},
		{"crossfade", in, 0.5, true},
		{"silent", []media.StitchInput{in[1], in[1]}, 0.25, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.mp4")
			var last float64
			if _, err := v.Stitch(ctx, tc.in, tc.fade, out, 1<<30, media.ErrTooLarge, func(s float64) { last = s }); err != nil {
				t.Fatal(err)
			}
			want := -tc.fade * float64(len(tc.in)-1)
			for _, c := range tc.in {
				want += c.Info.Duration
			}
			p := probeFile(t, out)
			d, err := strconv.ParseFloat(p.Format.Duration, 64)
			if err != nil || math.Abs(d-want) > 0.2 {
				t.Fatalf("duration %v, want %v±0.2", p.Format.Duration, want)
			}
			if last <= 0 {
				t.Fatal("no progress reported")
			}
			var vs, as int
			for _, s := range p.Streams {
				switch s.CodecType {
				case "video":
					vs++
					w, h := tc.in[0].Info.Width, tc.in[0].Info.Height
					if s.CodecName != "h264" || s.PixFmt != "yuv420p" || s.Width != w || s.Height != h || s.RFrame != tc.in[0].Info.FrameRate {
						t.Fatalf("video stream %+v, want h264 yuv420p %dx%d at %s", s, w, h, tc.in[0].Info.FrameRate)
					}
				case "audio":
					as++
					if s.CodecName != "aac" {
						t.Fatalf("audio codec %s", s.CodecName)
					}
				}
			}
			if vs != 1 || (as == 1) != tc.audio || as > 1 {
				t.Fatalf("streams: %d video, %d audio", vs, as)
			}
			if !moovFirst(t, out) {
				t.Fatal("moov is not before mdat")
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out.mp4")
		tooBig := errors.New("too big")
		if _, err := v.Stitch(ctx, in, 0, out, 10_000, tooBig, nil); !errors.Is(err, tooBig) {
			t.Fatalf("over the limit: %v", err)
		}
	})
}
