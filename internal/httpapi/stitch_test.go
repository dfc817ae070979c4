package httpapi_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/testutil"
)

// probedFile is what ffprobe says of a stored output.
type probedFile struct {
	Duration float64
	Streams  []struct {
		CodecType string `json:"codec_type"`
		CodecName string `json:"codec_name"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
		PixFmt    string `json:"pix_fmt"`
		RFrame    string `json:"r_frame_rate"`
	}
	MoovFirst bool
}

func probeBytes(t *testing.T, data []byte) probedFile {
	t.Helper()
	f := filepath.Join(t.TempDir(), "out.mp4")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var doc struct {
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
	if err := json.Unmarshal(testutil.Probe(t, f), &doc); err != nil {
		t.Fatal(err)
	}
	d, err := strconv.ParseFloat(doc.Format.Duration, 64)
	if err != nil {
		t.Fatalf("duration %q", doc.Format.Duration)
	}
	p := probedFile{Duration: d}
	p.Streams = append(p.Streams, doc.Streams...)
	m, md := bytes.Index(data, []byte("moov")), bytes.Index(data, []byte("mdat"))
	p.MoovFirst = m > 0 && md > 0 && m < md
	return p
}

type stitchGen struct {
	ID      string          `json:"id"`
	Model   string          `json:"model"`
	Prompt  string          `json:"prompt"`
	Status  string          `json:"status"`
	Params  json.RawMessage `json:"params"`
	CostUSD *float64        `json:"costUsd"`
}

func postStitch(t *testing.T, c *testutil.Client, body any) stitchGen {
	t.Helper()
	r := c.Do("POST", "/api/stitch", body)
	if r.Status != 202 {
		t.Fatalf("stitch: %d %s", r.Status, r.Body)
	}
	var out struct{ Generation stitchGen }
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Generation
}

// stitchedAsset waits for a stitch and returns its one output.
func stitchedAsset(t *testing.T, c *testutil.Client, id string) videoAssetJSON {
	t.Helper()
	ev := waitDone(t, c, id)
	last := ev[len(ev)-1]
	if last.Status != "succeeded" || len(last.Assets) != 1 {
		t.Fatalf("stitch job: %+v", last)
	}
	return decodeAsset(t, c.Do("GET", "/api/assets/"+last.Assets[0].ID, nil))
}

func TestStitch(t *testing.T) {
	g := videoEnv(t, map[string]string{"STITCH_MAX_SECONDS": "5"})
	c := g.user(t, "stitch@example.com", "sim-key")
	wide := videoAsset(t, c, "c640a") // 640×360, 1.5 s, sound
	four3 := videoAsset(t, c, "c320") // 320×240, 2 s, silent
	tall := videoAsset(t, c, "c360p") // 360×640, 1 s, silent
	imgEv := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "an image", nil).ID)
	image := imgEv[len(imgEv)-1].Assets[0].ID
	other := g.user(t, "stitch-other@example.com", "sim-key")
	othersClip := videoAsset(t, other, "c320")
	// A stitch needs no fal key and makes no fal call.
	if r := c.Do("DELETE", "/api/me/fal-key", nil); r.Status != 204 && r.Status != 200 {
		t.Fatalf("delete key: %d %s", r.Status, r.Body)
	}
	submits := g.sim.Count("submit")

	job := postStitch(t, c, map[string]any{"assetIds": []string{wide, four3, tall}, "crossfadeSeconds": 0.5})
	want := `{"assetIds":["` + wide + `","` + four3 + `","` + tall + `"],"crossfadeSeconds":0.5}`
	if job.Model != "studio/stitch" || job.Prompt != "a clip clip:c640a" || string(job.Params) != want || job.CostUSD == nil || *job.CostUSD != 0 {
		t.Fatalf("stitch job: %+v %s", job, job.Params)
	}
	a := stitchedAsset(t, c, job.ID)
	if a.Kind != "video" || a.ContentType != "video/mp4" || a.Model != "studio/stitch" || a.Width == nil || *a.Width != 640 || *a.Height != 360 ||
		!strings.Contains(string(validJSON(t, c.Do("GET", "/api/assets/"+a.ID, nil).Body)), `"parent":{"assetId":"`+wide+`","relation":"stitch"`) {
		t.Fatalf("stitched asset: %+v", a)
	}
	p := probeBytes(t, c.Do("GET", a.URL, nil).Body)
	// 1.5 + 2 + 1 − 2 × 0.5
	if math.Abs(p.Duration-3.5) > 0.2 || !p.MoovFirst {
		t.Fatalf("stitched file: %+v", p)
	}
	checkStreams(t, p, 640, 360, "24/1", true)
	if g.sim.Count("submit") != submits {
		t.Fatal("a stitch called fal")
	}

	// No sound anywhere: no audio stream; the default crossfade is 0; a clip may repeat.
	job = postStitch(t, c, map[string]any{"assetIds": []string{four3, tall, four3}})
	if !strings.Contains(string(job.Params), `"crossfadeSeconds":0`) {
		t.Fatalf("default crossfade: %s", job.Params)
	}
	p = probeBytes(t, c.Do("GET", stitchedAsset(t, c, job.ID).URL, nil).Body)
	if math.Abs(p.Duration-5) > 0.2 {
		t.Fatalf("silent stitch: %+v", p)
	}
	checkStreams(t, p, 320, 240, "10/1", false)

	// Refusals create nothing.
	before := len(listGens(t, c))
	many := make([]string, 21)
	for i := range many {
		many[i] = four3
	}
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"no ids", map[string]any{}, 400, "invalid_input"},
		{"one clip", map[string]any{"assetIds": []string{wide}}, 400, "invalid_input"},
		{"21 clips", map[string]any{"assetIds": many}, 400, "invalid_input"},
		{"not a list", map[string]any{"assetIds": wide}, 400, "invalid_input"},
		{"not strings", map[string]any{"assetIds": []any{1, 2}}, 400, "invalid_input"},
		{"fade not a number", map[string]any{"assetIds": []string{wide, four3}, "crossfadeSeconds": "1"}, 400, "invalid_input"},
		{"fade below 0", map[string]any{"assetIds": []string{wide, four3}, "crossfadeSeconds": -0.1}, 400, "invalid_input"},
		{"fade above 2", map[string]any{"assetIds": []string{wide, four3}, "crossfadeSeconds": 2.1}, 400, "invalid_input"},
		{"clip not longer than the fade", map[string]any{"assetIds": []string{wide, tall}, "crossfadeSeconds": 1}, 400, "invalid_input"},
		{"over STITCH_MAX_SECONDS", map[string]any{"assetIds": []string{four3, four3, four3}}, 400, "invalid_input"},
		{"an image", map[string]any{"assetIds": []string{wide, image}}, 400, "unsupported_input"},
		{"unknown", map[string]any{"assetIds": []string{wide, "nope"}}, 404, "not_found"},
		{"another's", map[string]any{"assetIds": []string{wide, othersClip}}, 404, "not_found"},
	} {
		if r := c.Do("POST", "/api/stitch", tc.body); r.Status != tc.status || r.ErrorCode() != tc.code {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	if r := g.studio.NewClient(t).Do("POST", "/api/stitch", map[string]any{"assetIds": []string{wide, four3}}); r.Status != 401 {
		t.Errorf("no session: %d", r.Status)
	}
	if after := len(listGens(t, c)); after != before {
		t.Fatalf("refused stitches created jobs: %d → %d", before, after)
	}
	// studio/ models are not fal models: a plain submit cannot name one.
	if r := c.Do("POST", "/api/generations", map[string]any{"model": "studio/stitch", "prompt": "x"}); r.Status != 400 {
		t.Fatalf("studio/stitch through /api/generations: %d %s", r.Status, r.Body)
	}
}

func listGens(t *testing.T, c *testutil.Client) []json.RawMessage {
	t.Helper()
	var out struct{ Generations []json.RawMessage }
	if r := c.Do("GET", "/api/generations?limit=100", nil); r.Status != 200 || json.Unmarshal(r.Body, &out) != nil {
		t.Fatalf("generations: %d %s", r.Status, r.Body)
	}
	return out.Generations
}

func validJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("not JSON: %s", b)
	}
	return b
}

func checkStreams(t *testing.T, p probedFile, w, h int, rate string, audio bool) {
	t.Helper()
	var vs, as int
	for _, s := range p.Streams {
		switch s.CodecType {
		case "video":
			vs++
			if s.CodecName != "h264" || s.PixFmt != "yuv420p" || s.Width != w || s.Height != h || s.RFrame != rate {
				t.Fatalf("video stream %+v, want h264 yuv420p %dx%d %s", s, w, h, rate)
			}
		case "audio":
			as++
			if s.CodecName != "aac" {
				t.Fatalf("audio stream %+v", s)
			}
		}
	}
	if vs != 1 || as > 1 || (as == 1) != audio {
		t.Fatalf("streams: %d video, %d audio (want audio %v)", vs, as, audio)
	}
}

// longClip is 10 s of 640×360: twenty of them keep ffmpeg busy long enough to cancel or kill.
var longClip = testutil.Clip{Width: 640, Height: 360, Seconds: 10, FPS: 24, Audio: true}

// videoEnvWith is videoEnv with runner options (fault hooks, size caps) and a data directory.
func videoEnvWith(t *testing.T, gen generation.Options, dir string, env ...string) *genEnv {
	t.Helper()
	sim := falsim.NewTest(t, falsim.Options{})
	e := sim.URLs().Env()
	for i := 0; i+1 < len(env); i += 2 {
		e[env[i]] = env[i+1]
	}
	for name, c := range map[string]testutil.Clip{"c320": clip320, "long": longClip} {
		sim.SetClip(name, testutil.MakeClip(t, c))
	}
	gen.PollMin, gen.PollMax = fastRunner.Generation.PollMin, fastRunner.Generation.PollMax
	opts := app.Options{Generation: gen, ThumbBackfillEvery: -1}
	if dir == "" {
		dir = t.TempDir()
	}
	return &genEnv{sim: sim, studio: testutil.NewStudio(t, testutil.StudioOptions{Env: e, DataDir: dir, App: opts})}
}

func repeatID(id string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = id
	}
	return out
}

// Cancel stops ffmpeg and stores nothing.
func TestStitchCancel(t *testing.T) {
	g := videoEnvWith(t, generation.Options{}, "")
	c := g.user(t, "stitch-cancel@example.com", "sim-key")
	long := videoAsset(t, c, "long")
	mediaDir := filepath.Join(g.studio.DataDir, "media")
	files := countFiles(t, mediaDir)
	job := postStitch(t, c, map[string]any{"assetIds": repeatID(long, 20), "crossfadeSeconds": 0.5})
	waitStatus(t, c, job.ID, "running", nil)
	r := c.Do("POST", "/api/generations/"+job.ID+"/cancel", nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"canceled"`) {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	// ffmpeg is stopped: the worker lets go of the job within a moment, and nothing is stored.
	deadline := time.Now().Add(10 * time.Second)
	for strings.Contains(g.studio.Logs.String(), "stitch canceled; nothing stored") == false {
		if time.Now().After(deadline) {
			t.Fatalf("ffmpeg was not stopped: %s", g.studio.Logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if gen := decodeGen(t, c.Do("GET", "/api/generations/"+job.ID, nil)); gen.Status != "canceled" || len(gen.Assets) != 0 {
		t.Fatalf("canceled stitch: %+v", gen)
	}
	if n := countFiles(t, mediaDir); n != files {
		t.Fatalf("files after the cancel: %d, before %d", n, files)
	}
}

// A restart in the middle runs the stitch again from the start and stores its output once.
func TestStitchSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	g := videoEnvWith(t, generation.Options{}, dir)
	c := g.user(t, "stitch-restart@example.com", "sim-key")
	long := videoAsset(t, c, "long")
	job := postStitch(t, c, map[string]any{"assetIds": repeatID(long, 6)})
	waitStatus(t, c, job.ID, "running", nil)
	g.studio.Stop()

	st := testutil.NewStudio(t, testutil.StudioOptions{Env: g.sim.URLs().Env(), DataDir: dir, App: fastRunner})
	c2 := st.NewClient(t)
	if r := c2.Do("POST", "/api/auth/login", map[string]string{"email": "stitch-restart@example.com", "password": goodPassword}); r.Status != 200 {
		t.Fatalf("login: %d", r.Status)
	}
	a := stitchedAsset(t, c2, job.ID)
	p := probeBytes(t, c2.Do("GET", a.URL, nil).Body)
	if math.Abs(p.Duration-60) > 0.2 {
		t.Fatalf("stitch after the restart: %+v", p)
	}
	if n := filesNamed(t, filepath.Join(dir, "media"), "-"+a.ID+".mp4"); len(n) != 1 {
		t.Fatalf("stored copies: %v", n)
	}
}

// Failures in the job: a clip deleted before the job read it, an output over MAX_JOB_MB.
func TestStitchJobFailures(t *testing.T) {
	hold := make(chan struct{})
	var held sync.Once
	g := videoEnvWith(t, generation.Options{MaxJobBytes: 150_000, BeforeStep: func(gen *model.Generation) {
		if gen.Model == model.ModelStitch && strings.Contains(gen.Prompt, "hold") {
			held.Do(func() { <-hold })
		}
	}}, "")
	c := g.user(t, "stitch-fail@example.com", "sim-key")
	small := videoAsset(t, c, "c320")
	ev := waitDone(t, c, submit(t, c, "fal-ai/veo3", "hold clip:c320", nil).ID)
	held1 := ev[len(ev)-1].Assets[0].ID

	job := postStitch(t, c, map[string]any{"assetIds": []string{held1, small}})
	// Deleted for good while the stitch waits: to the trash, then purged (SPEC §13.1).
	if r := c.Do("DELETE", "/api/assets/"+small, nil); r.Status != 200 {
		close(hold)
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := c.Do("POST", "/api/trash/purge", map[string]any{"assetIds": []string{small}}); r.Status != 200 || !strings.Contains(string(r.Body), `"purged":1`) {
		close(hold)
		t.Fatalf("purge: %d %s", r.Status, r.Body)
	}
	close(hold)
	last := waitDone(t, c, job.ID)
	if f := last[len(last)-1]; f.Status != "failed" || f.Error == nil || f.Error.Code != "input_missing" {
		t.Fatalf("deleted input: %+v", f)
	}

	// A video ffmpeg cannot decode (an MP4 header and nothing playable) is refused up front.
	clip := testutil.MakeClip(t, clip320)
	g.sim.SetClip("broken", append(clip[:32:32], make([]byte, 4096)...))
	broken := videoAsset(t, c, "broken")
	for _, path := range []string{"/api/stitch", "/api/assets/" + broken + "/frame"} {
		var body any = map[string]any{"atSeconds": 0}
		if path == "/api/stitch" {
			body = map[string]any{"assetIds": []string{held1, broken}}
		}
		r := c.Do("POST", path, body)
		if r.Status != 422 || r.ErrorCode() != "video_unreadable" {
			t.Fatalf("%s of an undecodable video: %d %s", path, r.Status, r.Body)
		}
	}

	// Four 100 KB clips joined pass 150 KB: ffmpeg is stopped and nothing is stored.
	files := countFiles(t, filepath.Join(g.studio.DataDir, "media"))
	job = postStitch(t, c, map[string]any{"assetIds": repeatID(held1, 4)})
	last = waitDone(t, c, job.ID)
	if f := last[len(last)-1]; f.Status != "failed" || f.Error == nil || f.Error.Code != "output_too_large" || len(f.Assets) != 0 {
		t.Fatalf("too large: %+v", f)
	}
	if n := countFiles(t, filepath.Join(g.studio.DataDir, "media")); n != files {
		t.Fatalf("files after the refused output: %d, before %d", n, files)
	}
}

// With VIDEO_WORKERS=1 a second stitch waits queued (holding no runner worker) while the first
// runs, then runs too.
func TestStitchWaitsForAVideoSlot(t *testing.T) {
	g := videoEnvWith(t, generation.Options{}, "", "VIDEO_WORKERS", "1")
	c := g.user(t, "stitch-slots@example.com", "sim-key")
	long := videoAsset(t, c, "long")
	first := postStitch(t, c, map[string]any{"assetIds": repeatID(long, 3)})
	waitStatus(t, c, first.ID, "running", nil)
	second := postStitch(t, c, map[string]any{"assetIds": repeatID(long, 2)})
	if gen := decodeGen(t, c.Do("GET", "/api/generations/"+second.ID, nil)); gen.Status != "queued" {
		t.Fatalf("second stitch while the first runs: %s", gen.Status)
	}
	for _, id := range []string{first.ID, second.ID} {
		stitchedAsset(t, c, id)
	}
}
