package media

// Video work with ffmpeg (SPEC §15): probes, frame grabs, filmstrip tiles and stitches. ffmpeg
// and ffprobe are found once at start-up; they only ever read local files (copies of the stored
// originals in TMPDIR) — never a URL — and are never run through a shell. Every run has a time
// limit, and at most Workers processes run at once per instance.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	_ "image/png" // the tiles ffmpeg writes
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Time limits of one ffmpeg run (SPEC §15.1).
const (
	ProbeTimeout  = 60 * time.Second
	StitchTimeout = 15 * time.Minute
)

// ErrVideoUnreadable is a file ffmpeg cannot decode as a video.
var ErrVideoUnreadable = errors.New("media: ffmpeg cannot decode this video")

// ErrNoFFmpeg is video work asked of an instance without ffmpeg/ffprobe.
var ErrNoFFmpeg = errors.New("media: ffmpeg is not installed")

// Video runs ffmpeg and ffprobe. A nil *Video, or one built without both binaries, is "no ffmpeg".
type Video struct {
	ffmpeg, ffprobe string
	slots           chan struct{}
}

// DetectVideo looks ffmpeg and ffprobe up on PATH (once, at start-up). Without both it returns
// a Video whose Available is false.
func DetectVideo(workers int) *Video {
	if workers <= 0 {
		workers = 2
	}
	v := &Video{slots: make(chan struct{}, workers)}
	f, err1 := exec.LookPath("ffmpeg")
	p, err2 := exec.LookPath("ffprobe")
	if err1 == nil && err2 == nil {
		v.ffmpeg, v.ffprobe = f, p
	}
	return v
}

// Available reports that both binaries were found.
func (v *Video) Available() bool { return v != nil && v.ffmpeg != "" && v.ffprobe != "" }

// FFmpeg is the ffmpeg path ("" without it).
func (v *Video) FFmpeg() string {
	if !v.Available() {
		return ""
	}
	return v.ffmpeg
}

// Busy reports that every slot is taken now (a local job then waits in the queue instead of
// holding a runner worker while it waits).
func (v *Video) Busy() bool { return v.Available() && len(v.slots) == cap(v.slots) }

// acquire waits for one of the Workers slots.
func (v *Video) acquire(ctx context.Context) (func(), error) {
	select {
	case v.slots <- struct{}{}:
		return func() { <-v.slots }, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// run runs one binary with a time limit and a slot, returning stdout.
func (v *Video) run(ctx context.Context, limit time.Duration, bin string, args ...string) ([]byte, error) {
	if !v.Available() {
		return nil, ErrNoFFmpeg
	}
	release, err := v.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("media: %s: %w", filepath.Base(bin), ctx.Err())
		}
		return nil, fmt.Errorf("%w: %s: %v: %.300s", ErrVideoUnreadable, filepath.Base(bin), err, stderr.String())
	}
	return out.Bytes(), nil
}

// inputArgs are the options before every -i: no URL protocols, no stdin.
var inputArgs = []string{"-nostdin", "-hide_banner", "-v", "error", "-protocol_whitelist", "file,pipe"}

// VideoInfo is what a probe learns of a video file.
type VideoInfo struct {
	Duration       float64 // the container duration, seconds
	Width, Height  int     // the picture size (storage size)
	SARNum, SARDen int
	FrameRate      string // "30/1", as ffprobe gives it
	HasAudio       bool
	// Frames are the presentation times of the video frames, counted from the first, sorted.
	Frames []float64
}

// DisplayWidth is the width with square pixels.
func (i *VideoInfo) DisplayWidth() int {
	if i.SARNum > 0 && i.SARDen > 0 && i.SARNum != i.SARDen {
		return int(math.Round(float64(i.Width) * float64(i.SARNum) / float64(i.SARDen)))
	}
	return i.Width
}

// FrameAt is the index of the frame on screen at t seconds: the last frame whose presentation
// time is at or before t; at or after the last frame's time, the last frame.
func (i *VideoInfo) FrameAt(t float64) int {
	n := sort.Search(len(i.Frames), func(k int) bool { return i.Frames[k] > t+1e-6 })
	return max(n-1, 0)
}

// Probe reads a local video file: its container duration, picture, audio and the times of its
// frames (read from the packets, so nothing is decoded).
func (v *Video) Probe(ctx context.Context, file string) (*VideoInfo, error) {
	out, err := v.run(ctx, ProbeTimeout, v.ffprobe, "-v", "error", "-protocol_whitelist", "file,pipe",
		"-show_entries", "format=duration:stream=codec_type,width,height,sample_aspect_ratio,r_frame_rate",
		"-of", "json", file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Format  struct{ Duration string } `json:"format"`
		Streams []struct {
			CodecType  string `json:"codec_type"`
			Width      int    `json:"width"`
			Height     int    `json:"height"`
			SAR        string `json:"sample_aspect_ratio"`
			RFrameRate string `json:"r_frame_rate"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("%w: ffprobe answer: %v", ErrVideoUnreadable, err)
	}
	info := &VideoInfo{}
	info.Duration, _ = strconv.ParseFloat(doc.Format.Duration, 64)
	seenVideo := false
	for _, s := range doc.Streams {
		switch s.CodecType {
		case "video":
			if seenVideo {
				continue
			}
			seenVideo = true
			info.Width, info.Height, info.FrameRate = s.Width, s.Height, s.RFrameRate
			if a, b, ok := strings.Cut(s.SAR, ":"); ok {
				info.SARNum, _ = strconv.Atoi(a)
				info.SARDen, _ = strconv.Atoi(b)
			}
		case "audio":
			info.HasAudio = true
		}
	}
	if !seenVideo || info.Width <= 0 || info.Height <= 0 || info.Duration <= 0 || math.IsInf(info.Duration, 0) {
		return nil, fmt.Errorf("%w: no video stream with a size and a duration", ErrVideoUnreadable)
	}
	out, err = v.run(ctx, ProbeTimeout, v.ffprobe, "-v", "error", "-protocol_whitelist", "file,pipe",
		"-select_streams", "v:0", "-show_entries", "packet=pts_time", "-of", "csv=p=0", file)
	if err != nil {
		return nil, err
	}
	for line := range strings.Lines(string(out)) {
		if f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line), ",")), 64); err == nil {
			info.Frames = append(info.Frames, f)
		}
	}
	if len(info.Frames) == 0 {
		return nil, fmt.Errorf("%w: no video frames", ErrVideoUnreadable)
	}
	sort.Float64s(info.Frames)
	first := info.Frames[0]
	for k := range info.Frames {
		info.Frames[k] -= first
	}
	return info, nil
}

// squarePixels scales non-square pixels to square, keeping the picture height.
const squarePixels = "scale=w='trunc(iw*sar/2+0.5)*2':h=ih,setsar=1"

// Frame decodes frame index n (presentation order) of a local file as a PNG at the video's
// picture size with square pixels.
func (v *Video) Frame(ctx context.Context, file string, n int, info *VideoInfo) ([]byte, error) {
	vf := fmt.Sprintf("select=eq(n\\,%d)", n)
	if info.DisplayWidth() != info.Width {
		vf += "," + squarePixels
	}
	args := append(append([]string{}, inputArgs...), "-i", file, "-map", "0:v:0", "-vf", vf,
		"-frames:v", "1", "-fps_mode", "passthrough", "-f", "image2", "-c:v", "png", "pipe:1")
	out, err := v.run(ctx, ProbeTimeout, v.ffmpeg, args...)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: frame %d not decoded", ErrVideoUnreadable, n)
	}
	return out, nil
}

// TileSize is the size of a filmstrip tile: the video's aspect ratio (square pixels), its long
// side 160 px and its short side rounded to an even number, at least 2.
func TileSize(w, h int) (int, int) {
	const long = 160
	even := func(x float64) int { return max(2, int(math.Round(x/2))*2) }
	if w >= h {
		return long, even(float64(h) * long / float64(w))
	}
	return even(float64(w) * long / float64(h)), long
}

// FilmstripTimes are the times of a filmstrip's tiles: (i + 0.5) × duration / count.
func FilmstripTimes(duration float64, count int) []float64 {
	t := make([]float64, count)
	for i := range t {
		t[i] = (float64(i) + 0.5) * duration / float64(count)
	}
	return t
}

// Filmstrip makes a JPEG sprite of count tiles in one row, tile i showing the frame on screen at
// FilmstripTimes[i]. The distinct frames are decoded by one ffmpeg run into a temporary
// directory, then laid out here (a frame may fill several tiles of a short clip).
func (v *Video) Filmstrip(ctx context.Context, file string, info *VideoInfo, count int) (jpg []byte, tw, th int, err error) {
	tw, th = TileSize(info.DisplayWidth(), info.Height)
	times := FilmstripTimes(info.Duration, count)
	idx := make([]int, count)
	var distinct []int
	for i, t := range times {
		idx[i] = info.FrameAt(t)
		if len(distinct) == 0 || distinct[len(distinct)-1] != idx[i] {
			distinct = append(distinct, idx[i])
		}
	}
	dir, err := os.MkdirTemp("", "falstudio-strip-*")
	if err != nil {
		return nil, 0, 0, fmt.Errorf("media: filmstrip temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	terms := make([]string, len(distinct))
	for k, n := range distinct {
		terms[k] = fmt.Sprintf("eq(n\\,%d)", n)
	}
	vf := fmt.Sprintf("select='%s',scale=%d:%d,setsar=1", strings.Join(terms, "+"), tw, th)
	args := append(append([]string{}, inputArgs...), "-i", file, "-map", "0:v:0", "-vf", vf,
		"-fps_mode", "passthrough", "-frames:v", strconv.Itoa(len(distinct)), "-f", "image2", "-c:v", "png",
		filepath.Join(dir, "f%04d.png"))
	if _, err := v.run(ctx, ProbeTimeout, v.ffmpeg, args...); err != nil {
		return nil, 0, 0, err
	}
	sprite := image.NewRGBA(image.Rect(0, 0, tw*count, th))
	frames := map[int]image.Image{}
	for k, n := range distinct {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("f%04d.png", k+1)))
		if err != nil {
			return nil, 0, 0, fmt.Errorf("%w: frame %d not decoded", ErrVideoUnreadable, n)
		}
		img, _, err := image.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, 0, 0, fmt.Errorf("media: filmstrip tile: %w", err)
		}
		frames[n] = img
	}
	for i, n := range idx {
		draw.Draw(sprite, image.Rect(i*tw, 0, (i+1)*tw, th), frames[n], frames[n].Bounds().Min, draw.Src)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, sprite, &jpeg.Options{Quality: 80}); err != nil {
		return nil, 0, 0, fmt.Errorf("media: filmstrip jpeg: %w", err)
	}
	return buf.Bytes(), tw, th, nil
}

// StitchInput is one clip of a stitch: a local file and its probe.
type StitchInput struct {
	File string
	Info *VideoInfo
}

// StitchPlan is what a stitch makes: the output size and rate (the first clip's), and whether it
// has sound.
type StitchPlan struct {
	Width, Height int
	FrameRate     string
	Audio         bool
}

// PlanStitch picks the output's shape from the clips.
func PlanStitch(in []StitchInput) StitchPlan {
	f := in[0].Info
	p := StitchPlan{Width: f.DisplayWidth() &^ 1, Height: f.Height &^ 1, FrameRate: f.FrameRate}
	if p.FrameRate == "" || p.FrameRate == "0/0" {
		p.FrameRate = "30"
	}
	for _, c := range in {
		p.Audio = p.Audio || c.Info.HasAudio
	}
	return p
}

// The stitch runs in pieces so that memory stays flat whatever the length: one ffmpeg run per
// piece — each clip's body, and each crossfade made from the tail of one clip and the head of
// the next — normalised to one picture size, rate and sound format (H.264 and PCM in Matroska),
// then one run joins the pieces with the concat demuxer, copying the picture and encoding the
// sound to AAC once. A filter graph over all the clips at once would decode them side by side
// and queue their frames until the crossfades consume them (measured: 1.6 GB for 200 s).

// normalise is the filter chain that fits clip i into the output: scaled inside the first
// clip's size (aspect kept), centred on black, square pixels, the output's rate, cut or padded
// to exactly its container duration, then the part [from, to) of it.
func normalise(i int, c *VideoInfo, p StitchPlan, from, to float64, label string) string {
	d := c.Duration
	return fmt.Sprintf("[%d:v:0]scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2:black,setsar=1,fps=%s,format=yuv420p,"+
		"tpad=stop_mode=clone:stop_duration=%.3f,trim=duration=%.6f,setpts=PTS-STARTPTS,trim=start=%.6f:end=%.6f,setpts=PTS-STARTPTS[%s]",
		i, p.Width, p.Height, p.Width, p.Height, p.FrameRate, d, d, from, to, label)
}

// normaliseAudio is the sound of clip i over [from, to): resampled to 48 kHz stereo, or silence
// for a clip without sound.
func normaliseAudio(i int, c *VideoInfo, from, to float64, label string) string {
	if !c.HasAudio {
		return fmt.Sprintf("anullsrc=r=48000:cl=stereo,atrim=duration=%.6f,aformat=sample_fmts=s16:channel_layouts=stereo,asetpts=PTS-STARTPTS[%s]", to-from, label)
	}
	return fmt.Sprintf("[%d:a:0]aresample=48000,aformat=sample_fmts=s16:channel_layouts=stereo,apad,atrim=duration=%.6f,asetpts=PTS-STARTPTS,"+
		"atrim=start=%.6f:end=%.6f,asetpts=PTS-STARTPTS[%s]", i, c.Duration, from, to, label)
}

// pieceCodecs are the codecs of every piece: the same settings each time, so the concat demuxer
// can copy the picture of all of them into one stream.
func pieceCodecs(audio bool) []string {
	args := []string{"-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"}
	if audio {
		args = append(args, "-c:a", "pcm_s16le")
	}
	return args
}

// StitchStats are figures of one stitch run (docs/benchmarks.md).
type StitchStats struct {
	Elapsed  time.Duration
	MaxRSSKB int64 // the largest peak resident memory of its ffmpeg runs
	Pieces   int
}

// Stitch joins the clips into out, an MP4 (H.264 CRF 20 yuv420p, AAC when any clip has sound,
// moov first). maxBytes stops ffmpeg as soon as the file passes it (tooLarge is returned).
// progress, if not nil, receives the seconds of output made so far. Every file is written and
// read by ffmpeg itself, piece by piece: nothing passes through this process's memory, and
// ffmpeg holds one or two clips at a time.
func (v *Video) Stitch(ctx context.Context, in []StitchInput, fade float64, out string, maxBytes int64, tooLarge error, progress func(float64)) (*StitchStats, error) {
	if !v.Available() {
		return nil, ErrNoFFmpeg
	}
	release, err := v.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	ctx, cancel := context.WithTimeoutCause(ctx, StitchTimeout, errors.New("media: the stitch ran over its time limit"))
	defer cancel()
	dir, err := os.MkdirTemp("", "falstudio-pieces-*")
	if err != nil {
		return nil, fmt.Errorf("media: stitch temp dir: %w", err)
	}
	defer os.RemoveAll(dir)

	p := PlanStitch(in)
	st := &StitchStats{}
	start := time.Now()
	done := 0.0
	report := func(sec float64) {
		if progress != nil {
			progress(done + sec)
		}
	}
	var list strings.Builder
	piece := func(inputs []string, graph string, length float64) error {
		name := filepath.Join(dir, fmt.Sprintf("p%03d.mkv", st.Pieces))
		st.Pieces++
		args := append([]string{}, inputArgs...)
		for _, f := range inputs {
			args = append(args, "-i", f)
		}
		args = append(args, "-filter_complex", graph, "-map", "[v]")
		if p.Audio {
			args = append(args, "-map", "[a]")
		}
		args = append(append(args, pieceCodecs(p.Audio)...), "-progress", "pipe:1", "-nostats", "-y", "-f", "matroska", name)
		if err := v.runProgress(ctx, args, st, report, 0, nil, ""); err != nil {
			return err
		}
		done += length
		fmt.Fprintf(&list, "file '%s'\n", name)
		return nil
	}
	n := len(in)
	for i, c := range in {
		from, to := 0.0, c.Info.Duration
		if i > 0 {
			from = fade
		}
		if i < n-1 {
			to -= fade
		}
		graph := normalise(0, c.Info, p, from, to, "v")
		if p.Audio {
			graph += ";" + normaliseAudio(0, c.Info, from, to, "a")
		}
		if err := piece([]string{c.File}, graph, to-from); err != nil {
			return st, err
		}
		if i == n-1 || fade <= 0 {
			continue
		}
		// The crossfade: the last fade seconds of this clip into the first of the next.
		next := in[i+1]
		graph = normalise(0, c.Info, p, c.Info.Duration-fade, c.Info.Duration, "v0") + ";" +
			normalise(1, next.Info, p, 0, fade, "v1") + ";" +
			fmt.Sprintf("[v0][v1]xfade=transition=fade:duration=%.6f:offset=0[v]", fade)
		if p.Audio {
			graph += ";" + normaliseAudio(0, c.Info, c.Info.Duration-fade, c.Info.Duration, "a0") + ";" +
				normaliseAudio(1, next.Info, 0, fade, "a1") + ";" +
				fmt.Sprintf("[a0][a1]acrossfade=d=%.6f:c1=tri:c2=tri[a]", fade)
		}
		if err := piece([]string{c.File, next.File}, graph, fade); err != nil {
			return st, err
		}
	}
	listFile := filepath.Join(dir, "pieces.txt")
	if err := os.WriteFile(listFile, []byte(list.String()), 0o600); err != nil {
		return st, fmt.Errorf("media: stitch list: %w", err)
	}
	// The join: the picture copied, the sound encoded once, the index moved to the front.
	done = 0
	args := append([]string{}, inputArgs...)
	args = append(args, "-f", "concat", "-safe", "0", "-i", listFile, "-map", "0:v:0", "-c:v", "copy")
	if p.Audio {
		args = append(args, "-map", "0:a:0", "-c:a", "aac", "-b:a", "160k")
	}
	args = append(args, "-movflags", "+faststart", "-progress", "pipe:1", "-nostats", "-y")
	if maxBytes > 0 {
		args = append(args, "-fs", strconv.FormatInt(maxBytes+1, 10))
	}
	args = append(args, "-f", "mp4", out)
	err = v.runProgress(ctx, args, st, report, maxBytes, tooLarge, out)
	st.Elapsed = time.Since(start)
	return st, err
}

// runProgress runs one ffmpeg of a stitch, reading its -progress lines: the seconds written go
// to report, and with maxBytes the output's size is watched so that ffmpeg is stopped as soon as
// it passes the limit (tooLarge). Its peak memory is folded into st.
func (v *Video) runProgress(ctx context.Context, args []string, st *StitchStats, report func(float64), maxBytes int64, tooLarge error, out string) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, v.ffmpeg, args...)
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("media: stitch: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("media: stitch: %w", err)
	}
	over := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		k, val, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch k {
		case "out_time_us":
			if us, err := strconv.ParseInt(val, 10, 64); err == nil && us > 0 {
				report(float64(us) / 1e6)
			}
		case "total_size":
			if sz, err := strconv.ParseInt(val, 10, 64); err == nil && maxBytes > 0 && sz > maxBytes && !over {
				over = true
				_ = cmd.Process.Kill()
			}
		}
	}
	_, _ = io.Copy(io.Discard, stdout) // stdout ends when ffmpeg exits; only then may Wait close it
	werr := cmd.Wait()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		st.MaxRSSKB = max(st.MaxRSSKB, int64(ru.Maxrss)) // kilobytes on Linux
	}
	if over {
		return tooLarge
	}
	if werr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("media: stitch stopped: %w", context.Cause(ctx))
		}
		return fmt.Errorf("%w: ffmpeg stitch: %v: %.400s", ErrVideoUnreadable, werr, stderr.String())
	}
	if out != "" && maxBytes > 0 {
		fi, err := os.Stat(out)
		if err != nil {
			return fmt.Errorf("media: stitch output: %w", err)
		}
		if fi.Size() > maxBytes {
			return tooLarge
		}
	}
	return nil
}

// CopyToTemp copies r into a new temporary file (removed by the caller) and returns its path:
// ffmpeg seeks in an MP4 (its index may sit at the end), so it reads files, not streams.
func CopyToTemp(r io.Reader, limit int64) (string, error) {
	f, err := os.CreateTemp("", "falstudio-video-*")
	if err != nil {
		return "", fmt.Errorf("media: temp file: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(r, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > limit {
		err = ErrTooLarge
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("media: copy video: %w", err)
	}
	return f.Name(), nil
}

// MaxFilmstrip is the most tiles a filmstrip has (SPEC §15.8).
const MaxFilmstrip = 60

// FilmstripKey is the sprite's key for a video's key and a tile count: beside the original and
// its preview, so it is found from the asset row alone and deleted with it.
func FilmstripKey(key string, count int) string {
	return strings.TrimSuffix(key, filepath.Ext(key)) + ".strip" + strconv.Itoa(count) + ".jpg"
}

// isVideoKey reports an original that may have filmstrips beside it.
func isVideoKey(key string) bool {
	switch strings.ToLower(filepath.Ext(key)) {
	case ".mp4", ".webm", ".mov", ".mkv", ".m4v":
		return true
	}
	return false
}

// PutFilmstrip stores a sprite beside the original key in the given backend.
func (s *Storage) PutFilmstrip(ctx context.Context, storage, key string, count int, jpg []byte) error {
	b, err := s.backend(storage)
	if err != nil {
		return err
	}
	_, err = b.Put(ctx, FilmstripKey(key, count), bytes.NewReader(jpg), int64(len(jpg)), ThumbContentType)
	return err
}

// TempCopy copies a stored object into a temporary file (removed by the caller) for ffmpeg.
func (s *Storage) TempCopy(ctx context.Context, storage, key string, limit int64) (string, error) {
	rc, _, err := s.Open(ctx, storage, key, 0, -1)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	return CopyToTemp(rc, limit)
}
