package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/testutil"
)

// Test clips, made with ffmpeg at test time: several sizes, with and without sound.
var (
	clip320   = testutil.Clip{Width: 320, Height: 240, Seconds: 2, FPS: 10}
	clip640a  = testutil.Clip{Width: 640, Height: 360, Seconds: 1.5, FPS: 24, Audio: true}
	clip360p  = testutil.Clip{Width: 360, Height: 640, Seconds: 1, FPS: 25}
	clipSmall = testutil.Clip{Width: 160, Height: 120, Seconds: 1, FPS: 10, Audio: true}
)

// videoEnv is a studio whose simulator serves the test clips by name.
func videoEnv(t *testing.T, env map[string]string) *genEnv {
	t.Helper()
	g := thumbEnv(t, env)
	for name, c := range map[string]testutil.Clip{"c320": clip320, "c640a": clip640a, "c360p": clip360p, "small": clipSmall} {
		g.sim.SetClip(name, testutil.MakeClip(t, c))
	}
	return g
}

// videoAsset generates a video from the named clip and returns its asset id.
func videoAsset(t *testing.T, c *testutil.Client, clip string) string {
	t.Helper()
	ev := waitDone(t, c, submit(t, c, "fal-ai/veo3", "a clip clip:"+clip, nil).ID)
	last := ev[len(ev)-1]
	if last.Status != "succeeded" || len(last.Assets) != 1 || last.Assets[0].Kind != "video" {
		t.Fatalf("video job: %+v", last)
	}
	return last.Assets[0].ID
}

type videoAssetJSON struct {
	ID           string          `json:"id"`
	GenerationID *string         `json:"generationId"`
	Model        string          `json:"model"`
	Prompt       string          `json:"prompt"`
	Kind         string          `json:"kind"`
	URL          string          `json:"url"`
	ContentType  string          `json:"contentType"`
	Width        *int            `json:"width"`
	Height       *int            `json:"height"`
	Params       json.RawMessage `json:"params"`
	ThumbURL     *string         `json:"thumbUrl"`
}

func decodeAsset(t *testing.T, r *testutil.Response) videoAssetJSON {
	t.Helper()
	var out struct{ Asset videoAssetJSON }
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("asset %d %s: %v", r.Status, r.Body, err)
	}
	return out.Asset
}

// ffmpegFrame is frame n of a clip as ffmpeg itself decodes it.
func ffmpegFrame(t *testing.T, clip []byte, n int) image.Image {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.mp4")
	if err := os.WriteFile(in, clip, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", in, "-fps_mode", "passthrough", filepath.Join(dir, "f%03d.png")).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("f%03d.png", n+1)))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestFrameGrab(t *testing.T) {
	g := videoEnv(t, nil)
	c := g.user(t, "frames@example.com", "sim-key")
	vid := videoAsset(t, c, "c320")

	r := c.Do("POST", "/api/assets/"+vid+"/frame", map[string]any{"atSeconds": 1.05})
	if r.Status != 201 {
		t.Fatalf("frame: %d %s", r.Status, r.Body)
	}
	a := decodeAsset(t, r)
	if a.Kind != "image" || a.ContentType != "image/png" || a.GenerationID != nil || a.Model != "fal-ai/veo3" || a.Prompt != "a clip clip:c320" ||
		a.Width == nil || *a.Width != 320 || *a.Height != 240 || string(a.Params) != `{"atSeconds":1.05}` {
		t.Fatalf("frame asset: %s", r.Body)
	}
	if !bytes.Contains(r.Body, []byte(`"parent":{"assetId":"`+vid+`","relation":"frame"`)) {
		t.Fatalf("frame lineage: %s", r.Body)
	}
	// The stored PNG is frame 10 (1.0 s ≤ 1.05 < 1.1 s at 10 fps), exactly as ffmpeg decodes it.
	m := c.Do("GET", a.URL, nil)
	if m.Status != 200 || m.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("frame file: %d %s", m.Status, m.Header.Get("Content-Type"))
	}
	got, err := png.Decode(bytes.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	clip := testutil.MakeClip(t, clip320)
	if testutil.PixelDiff(got, ffmpegFrame(t, clip, 10)) != "" {
		t.Fatal("the saved frame is not ffmpeg's frame 10")
	}
	// Both ends are included: exactly at the duration is the last frame.
	r = c.Do("POST", "/api/assets/"+vid+"/frame", map[string]any{"atSeconds": 2})
	if r.Status != 201 {
		t.Fatalf("frame at the end: %d %s", r.Status, r.Body)
	}
	end, err := png.Decode(bytes.NewReader(c.Do("GET", decodeAsset(t, r).URL, nil).Body))
	if err != nil {
		t.Fatal(err)
	}
	if testutil.PixelDiff(end, ffmpegFrame(t, clip, 19)) != "" {
		t.Fatal("the frame at the duration is not the last frame")
	}
	// Listed like any image.
	list := c.Do("GET", "/api/assets?kind=image", nil)
	if list.Status != 200 || !bytes.Contains(list.Body, []byte(a.ID)) {
		t.Fatalf("frame not listed: %s", list.Body)
	}

	img := submit(t, c, "fal-ai/flux/schnell", "an image", nil)
	imgID := waitDone(t, c, img.ID)
	imageID := imgID[len(imgID)-1].Assets[0].ID
	other := g.user(t, "frames-other@example.com", "sim-key")
	anon := g.studio.NewClient(t)
	for _, tc := range []struct {
		name   string
		c      *testutil.Client
		id     string
		body   any
		status int
		code   string
	}{
		{"missing", c, vid, map[string]any{}, 400, "invalid_input"},
		{"string", c, vid, map[string]any{"atSeconds": "1"}, 400, "invalid_input"},
		{"negative", c, vid, map[string]any{"atSeconds": -0.1}, 400, "invalid_input"},
		{"past the end", c, vid, map[string]any{"atSeconds": 2.5}, 400, "invalid_input"},
		{"an image", c, imageID, map[string]any{"atSeconds": 0}, 400, "unsupported_input"},
		{"unknown", c, "nope", map[string]any{"atSeconds": 0}, 404, "not_found"},
		{"another's", other, vid, map[string]any{"atSeconds": 0}, 404, "not_found"},
		{"no session", anon, vid, map[string]any{"atSeconds": 0}, 401, "unauthenticated"},
	} {
		if r := tc.c.Do("POST", "/api/assets/"+tc.id+"/frame", tc.body); r.Status != tc.status || r.ErrorCode() != tc.code {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	// Bad input created nothing.
	var page struct{ Assets []videoAssetJSON }
	if err := json.Unmarshal(c.Do("GET", "/api/assets?kind=image", nil).Body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Assets) != 3 {
		t.Fatalf("images after the refusals: %d", len(page.Assets))
	}
}

func TestFilmstrip(t *testing.T) {
	g := videoEnv(t, nil)
	c := g.user(t, "strip@example.com", "sim-key")
	vid := videoAsset(t, c, "c360p")

	var out struct {
		Filmstrip struct {
			URL                            string
			Count, FrameWidth, FrameHeight int
			DurationSeconds                float64
			Times                          []float64
		}
	}
	r := c.Do("GET", "/api/assets/"+vid+"/filmstrip", nil)
	if r.Status != 200 || json.Unmarshal(r.Body, &out) != nil {
		t.Fatalf("filmstrip: %d %s", r.Status, r.Body)
	}
	fs := out.Filmstrip
	if fs.Count != 10 || fs.FrameWidth != 90 || fs.FrameHeight != 160 || fs.DurationSeconds < 0.95 || fs.DurationSeconds > 1.05 || len(fs.Times) != 10 ||
		fs.Times[0] != 0.5*fs.DurationSeconds/10 {
		t.Fatalf("filmstrip: %s", r.Body)
	}
	sprite := c.Do("GET", fs.URL, nil)
	if sprite.Status != 200 || sprite.Header.Get("Content-Type") != "image/jpeg" || sprite.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("sprite: %d %v", sprite.Status, sprite.Header)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(sprite.Body))
	if err != nil || cfg.Width != 900 || cfg.Height != 160 {
		t.Fatalf("sprite size: %+v %v", cfg, err)
	}
	// Made once: the same count gives the same url and bytes.
	again := c.Do("GET", "/api/assets/"+vid+"/filmstrip?count=10", nil)
	if again.Status != 200 || !bytes.Equal(again.Body, r.Body) || !bytes.Equal(c.Do("GET", fs.URL, nil).Body, sprite.Body) {
		t.Fatalf("second filmstrip differs: %s", again.Body)
	}
	if r := c.Do("GET", "/api/assets/"+vid+"/filmstrip?count=60", nil); r.Status != 200 {
		t.Fatalf("60 tiles: %d %s", r.Status, r.Body)
	}
	other := g.user(t, "strip-other@example.com", "sim-key")
	for _, q := range []string{"0", "61", "abc", "1.5", ""} {
		if r := c.Do("GET", "/api/assets/"+vid+"/filmstrip?count="+q, nil); r.Status != 400 || r.ErrorCode() != "invalid_input" {
			t.Errorf("count=%q: %d %s", q, r.Status, r.Body)
		}
	}
	if r := other.Do("GET", "/api/assets/"+vid+"/filmstrip", nil); r.Status != 404 {
		t.Fatalf("another's filmstrip: %d", r.Status)
	}
	if r := other.Do("GET", fs.URL, nil); r.Status != 404 {
		t.Fatalf("another's sprite: %d", r.Status)
	}
	if r := g.studio.NewClient(t).Do("GET", fs.URL, nil); r.Status != 401 && r.Status != 404 {
		t.Fatalf("sprite without a session: %d", r.Status)
	}
	// Deleted with the asset: kept while it is in the trash, gone once it is purged.
	mediaDir := filepath.Join(g.studio.DataDir, "media")
	if n := filesNamed(t, mediaDir, ".strip10.jpg"); len(n) != 1 {
		t.Fatalf("stored sprites: %v", n)
	}
	if r := c.Do("DELETE", "/api/assets/"+vid, nil); r.Status != 200 {
		t.Fatalf("delete: %d", r.Status)
	}
	if n := filesNamed(t, mediaDir, ".strip10.jpg"); len(n) != 1 {
		t.Fatalf("sprites of a trashed video: %v", n)
	}
	if r := c.Do("POST", "/api/trash/purge", map[string]any{"assetIds": []string{vid}}); r.Status != 200 || !strings.Contains(string(r.Body), `"purged":1`) {
		t.Fatalf("purge: %d %s", r.Status, r.Body)
	}
	if n := append(filesNamed(t, mediaDir, ".strip10.jpg"), filesNamed(t, mediaDir, ".strip60.jpg")...); len(n) != 0 {
		t.Fatalf("sprites left after the delete: %v", n)
	}
}

// Without ffmpeg every video route answers 501 right after the session check, and the status
// says so; nothing is created.
func TestVideoRoutesWithoutFFmpeg(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	g := thumbEnv(t, nil)
	c := g.user(t, "noffmpeg@example.com", "sim-key")
	st := c.Do("GET", "/api/status", nil)
	if st.Status != 200 || st.JSON()["ffmpeg"] != false {
		t.Fatalf("status: %s", st.Body)
	}
	vid := videoAsset(t, c, "none")
	for _, tc := range []struct{ method, path string }{
		{"POST", "/api/assets/" + vid + "/frame"},
		{"POST", "/api/assets/nope/frame"},
		{"GET", "/api/assets/" + vid + "/filmstrip?count=999"},
	} {
		r := c.Do(tc.method, tc.path, map[string]any{"atSeconds": "junk"})
		if tc.method == "GET" {
			r = c.Do(tc.method, tc.path, nil)
		}
		if r.Status != 501 || r.ErrorCode() != "ffmpeg_unavailable" || !bytes.Contains(r.Body, []byte("ffmpeg")) {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.Status, r.Body)
		}
		if r := g.studio.NewClient(t).Do(tc.method, tc.path, nil); r.Status != 401 {
			t.Errorf("%s %s without a session: %d", tc.method, tc.path, r.Status)
		}
	}
}
