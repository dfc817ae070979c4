package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Clip describes a short H.264 test clip made with ffmpeg at test time (lavfi's testsrc2, whose
// picture changes every frame, and a sine tone when Audio is set).
type Clip struct {
	Width, Height int
	Seconds       float64
	FPS           int
	Audio         bool
	SAR           string // e.g. "4:3" for non-square pixels; "" is square
}

// NeedFFmpeg fails the test when ffmpeg or ffprobe is missing: scripts/install-ffmpeg.sh installs
// them, and the video paths are tested for real, never skipped.
func NeedFFmpeg(t testing.TB) {
	t.Helper()
	for _, b := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Fatalf("%s is not installed: run scripts/install-ffmpeg.sh", b)
		}
	}
}

// MakeClip writes the clip as an MP4 (moov first) in a temporary directory and returns its bytes.
func MakeClip(t testing.TB, c Clip) []byte {
	t.Helper()
	NeedFFmpeg(t)
	if c.FPS == 0 {
		c.FPS = 24
	}
	out := filepath.Join(t.TempDir(), "clip.mp4")
	dur := strconv.FormatFloat(c.Seconds, 'f', 3, 64)
	args := []string{"-nostdin", "-v", "error", "-f", "lavfi", "-i",
		fmt.Sprintf("testsrc2=size=%dx%d:rate=%d:duration=%s", c.Width, c.Height, c.FPS, dur)}
	if c.Audio {
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration="+dur)
	}
	vf := "format=yuv420p"
	if c.SAR != "" {
		vf += ",setsar=" + strings.ReplaceAll(c.SAR, ":", "/")
	}
	args = append(args, "-vf", vf, "-c:v", "libx264", "-preset", "ultrafast", "-g", "12", "-movflags", "+faststart")
	if c.Audio {
		args = append(args, "-c:a", "aac", "-shortest")
	}
	args = append(args, "-y", out)
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg clip: %v: %s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Probe runs ffprobe on a file and returns its JSON (format and streams).
func Probe(t testing.TB, file string) []byte {
	t.Helper()
	b, err := exec.Command("ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", file).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", file, err)
	}
	return b
}
