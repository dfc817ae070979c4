package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/png"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/testutil"
)

// genEnv is a studio wired to a fresh fal simulator.
type genEnv struct {
	sim    *falsim.Server
	studio *testutil.Studio
}

var fastRunner = app.Options{Generation: generation.Options{PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond}}

func newGenEnv(t *testing.T, simOpts falsim.Options, env map[string]string, dataDir string) *genEnv {
	t.Helper()
	sim := falsim.NewTest(t, simOpts)
	e := sim.URLs().Env()
	for k, v := range env {
		e[k] = v
	}
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: e, DataDir: dataDir, App: fastRunner})
	return &genEnv{sim: sim, studio: st}
}

// user signs up a new user with a saved fal key.
func (g *genEnv) user(t *testing.T, email, key string) *testutil.Client {
	c := g.studio.NewClient(t)
	c.SignUp(email, goodPassword)
	if key != "" {
		if r := c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": key}); r.Status != 200 {
			t.Fatalf("save key: %d %s", r.Status, r.Body)
		}
	}
	return c
}

type generationJSON struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Error  *struct {
		Code, Message string
	} `json:"error"`
	Notice *string `json:"notice"`
	Assets []struct {
		ID, URL, Kind, ContentType, Storage string
		Bytes                               int64
		Width, Height                       *int
	} `json:"assets"`
	QueuePosition *int              `json:"queuePosition"`
	Logs          []json.RawMessage `json:"logs"`
}

func decodeGen(t *testing.T, r *testutil.Response) generationJSON {
	t.Helper()
	var out struct {
		Generation generationJSON `json:"generation"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	return out.Generation
}

// submit posts a generation and expects 202.
func submit(t *testing.T, c *testutil.Client, model, prompt string, params map[string]any) generationJSON {
	t.Helper()
	r := c.Do("POST", "/api/generations", map[string]any{"model": model, "prompt": prompt, "params": params})
	if r.Status != 202 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	return decodeGen(t, r)
}

// waitDone follows the events stream until the generation ends and returns every event.
func waitDone(t *testing.T, c *testutil.Client, id string) []generationJSON {
	t.Helper()
	req, err := http.NewRequest("GET", c.Base+"/api/generations/"+id+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	client := *c.HTTP
	client.Timeout = 30 * time.Second
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var events []generationJSON
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var g generationJSON
		if err := json.Unmarshal([]byte(line), &g); err != nil {
			t.Fatalf("event %s: %v", line, err)
		}
		events = append(events, g)
	}
	if len(events) == 0 {
		t.Fatal("no events")
	}
	last := events[len(events)-1]
	if last.Status != "succeeded" && last.Status != "failed" && last.Status != "canceled" {
		t.Fatalf("stream closed before the end: %+v", last)
	}
	return events
}

func TestImageGenerationEndToEnd(t *testing.T) {
	g := newGenEnv(t, falsim.Options{QueuePolls: 2, RunPolls: 2}, nil, "")
	c := g.user(t, "img@example.com", "sim-key-1")
	r := c.Do("GET", "/api/models", nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"fal-ai/flux/dev"`) || !strings.Contains(string(r.Body), `"image_urls"`) {
		t.Fatalf("models: %d", r.Status)
	}
	gen := submit(t, c, "fal-ai/flux/dev", "A red fox in the snow", map[string]any{"num_images": 2, "image_size": "square"})
	if gen.Status != "queued" {
		t.Fatalf("submitted status %q", gen.Status)
	}
	events := waitDone(t, c, gen.ID)
	last := events[len(events)-1]
	if last.Status != "succeeded" || len(last.Assets) != 2 || last.Notice != nil || last.Error != nil {
		t.Fatalf("final: %+v", last)
	}
	sawQueue, sawRunning := false, false
	for _, e := range events {
		sawQueue = sawQueue || (e.Status == "queued" && e.QueuePosition != nil)
		sawRunning = sawRunning || (e.Status == "running" && len(e.Logs) > 0)
	}
	if !sawQueue || !sawRunning {
		t.Errorf("progress not streamed (queue %v, running with logs %v)", sawQueue, sawRunning)
	}
	if in := g.sim.Input(g.sim.Jobs()[0]); in["prompt"] != "A red fox in the snow" || in["num_images"] != float64(2) {
		t.Errorf("fal got input %v", in)
	}
	if g.sim.LastKey() != "sim-key-1" {
		t.Errorf("fal called with another key")
	}
	a := last.Assets[0]
	if a.URL != "/media/"+a.ID || a.Kind != "image" || a.ContentType != "image/png" || a.Storage != "local" || a.Width == nil || *a.Width != 512 {
		t.Fatalf("asset %+v", a)
	}
	// The media route streams the stored file (never the provider URL).
	m := c.Do("GET", a.URL, nil)
	if m.Status != 200 || m.Header.Get("Content-Type") != "image/png" || m.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(m.Header.Get("Content-Security-Policy"), "sandbox") || !strings.HasPrefix(m.Header.Get("Content-Disposition"), "inline") {
		t.Fatalf("media: %d %v", m.Status, m.Header)
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(m.Body)); err != nil || cfg.Width != 512 {
		t.Fatalf("media bytes: %v", err)
	}
	if int64(len(m.Body)) != a.Bytes {
		t.Fatalf("bytes %d vs %d", len(m.Body), a.Bytes)
	}
	rng := c.Do("GET", a.URL, nil, "Range", "bytes=0-9")
	if rng.Status != 206 || len(rng.Body) != 10 || rng.Header.Get("Content-Range") != fmt.Sprintf("bytes 0-9/%d", a.Bytes) {
		t.Fatalf("range: %d %v", rng.Status, rng.Header)
	}
	if d := c.Do("GET", a.URL+"?download=1", nil); !strings.HasPrefix(d.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %v", d.Header)
	}
	if nm := c.Do("GET", a.URL, nil, "If-None-Match", m.Header.Get("ETag")); nm.Status != 304 {
		t.Fatalf("conditional: %d", nm.Status)
	}
	// The gallery lists both, newest first, with search and kind filter.
	list := c.Do("GET", "/api/assets?limit=1", nil).JSON()
	if len(list["assets"].([]any)) != 1 || list["nextCursor"] == nil {
		t.Fatalf("page 1: %v", list)
	}
	next := c.Do("GET", "/api/assets?limit=1&cursor="+list["nextCursor"].(string), nil).JSON()
	if len(next["assets"].([]any)) != 1 || next["nextCursor"] != nil {
		t.Fatalf("page 2: %v", next)
	}
	if l := c.Do("GET", "/api/assets?q=fox", nil).JSON(); len(l["assets"].([]any)) != 2 {
		t.Fatalf("search: %v", l)
	}
	if l := c.Do("GET", "/api/assets?q=whale", nil).JSON(); len(l["assets"].([]any)) != 0 {
		t.Fatalf("search miss: %v", l)
	}
	if l := c.Do("GET", "/api/assets?kind=video", nil).JSON(); len(l["assets"].([]any)) != 0 {
		t.Fatalf("kind filter: %v", l)
	}
	if r := c.Do("GET", "/api/assets?limit=101", nil); r.Status != 400 {
		t.Fatalf("limit over 100: %d", r.Status)
	}
	if r := c.Do("GET", "/api/generations?active=1", nil).JSON(); len(r["generations"].([]any)) != 0 {
		t.Fatalf("active after completion: %v", r)
	}
	if r := c.Do("GET", "/api/generations", nil).JSON(); len(r["generations"].([]any)) != 1 {
		t.Fatalf("history: %v", r)
	}

	// Another user sees none of it: every route answers 404 like a missing id.
	other := g.user(t, "other@example.com", "sim-key-2")
	for _, p := range []string{"/api/generations/" + gen.ID, "/api/generations/" + gen.ID + "/events", "/api/assets/" + a.ID, "/media/" + a.ID} {
		if r := other.Do("GET", p, nil); r.Status != 404 || r.ErrorCode() != "not_found" {
			t.Errorf("other user GET %s: %d %s", p, r.Status, r.Body)
		}
	}
	for _, p := range []string{"/api/generations/" + gen.ID + "/cancel"} {
		if r := other.Do("POST", p, nil); r.Status != 404 {
			t.Errorf("other user POST %s: %d", p, r.Status)
		}
	}
	if r := other.Do("DELETE", "/api/assets/"+a.ID, nil); r.Status != 404 {
		t.Errorf("other user DELETE: %d", r.Status)
	}
	if r := other.Do("POST", "/api/uploads", map[string]string{"assetId": a.ID}); r.Status != 404 {
		t.Errorf("other user upload of an asset: %d", r.Status)
	}
	if l := other.Do("GET", "/api/assets", nil).JSON(); len(l["assets"].([]any)) != 0 {
		t.Errorf("other user lists assets")
	}

	// Delete moves it to the trash (SPEC §13.1); a purge removes the row and the object.
	path := filepath.Join(g.studio.DataDir, "media")
	before := countFiles(t, path)
	if r := c.Do("DELETE", "/api/assets/"+a.ID, nil); r.Status != 200 {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := c.Do("POST", "/api/trash/purge", map[string]any{"assetIds": []string{a.ID}}); r.Status != 200 {
		t.Fatalf("purge: %d %s", r.Status, r.Body)
	}
	if r := c.Do("GET", a.URL, nil); r.Status != 404 {
		t.Fatalf("deleted media: %d", r.Status)
	}
	if after := countFiles(t, path); after != before-1 {
		t.Fatalf("objects %d → %d", before, after)
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		// A temporary file renamed or removed while listed is no object.
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		// Previews are counted by the thumbnail tests; here only originals matter.
		if !d.IsDir() && !strings.HasPrefix(d.Name(), ".tmp-") && !media.IsThumbKey(d.Name()) {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("counting files in %s: %v", dir, err)
	}
	return n
}

func TestGenerationErrors(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "err@example.com", "sim-key")
	cases := []struct {
		prompt, code, msgPrefix string
	}{
		{"please blocked content", "content_blocked", "Blocked by provider safety/content policy: The content could not be processed"},
		{"fail5xx now", "fal_unavailable", ""},
		{"invalid thing", "fal_invalid_input", "prompt: "},
		{"evil-url output", "unsafe_output", ""},
		{"other-host output", "unsafe_output", "The model returned its file from localhost:"},
		{"html-output please", "unsafe_output", ""},
		{"svg-output please", "unsafe_output", ""},
		{"expire soon", "output_expired", ""},
	}
	for _, tc := range cases {
		t.Run(tc.code+"/"+tc.prompt, func(t *testing.T) {
			gen := submit(t, c, "fal-ai/flux/schnell", tc.prompt, nil)
			ev := waitDone(t, c, gen.ID)
			last := ev[len(ev)-1]
			if last.Status != "failed" || last.Error == nil || last.Error.Code != tc.code || !strings.HasPrefix(last.Error.Message, tc.msgPrefix) {
				t.Fatalf("got %+v %+v", last.Status, last.Error)
			}
			if len(last.Assets) != 0 {
				t.Fatal("a failed generation kept assets")
			}
		})
	}
	// Redirects within the allowed host are followed (at most 3).
	ev := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "redirect me", nil).ID)
	if ev[len(ev)-1].Status != "succeeded" {
		t.Fatalf("redirected output: %+v", ev[len(ev)-1])
	}
	// Nothing unsafe was written to disk.
	if n := countFiles(t, filepath.Join(g.studio.DataDir, "media")); n != 1 {
		t.Fatalf("%d files stored, want 1", n)
	}

	// Submit-time rejections come back as errors, and the generation stays listed as failed.
	if r := c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/dev", "prompt": "submit5xx"}); r.Status != 502 || r.ErrorCode() != "fal_unavailable" {
		t.Fatalf("submit 5xx: %d %s", r.Status, r.Body)
	}
	if g.sim.Count("submit") != len(cases)+2 {
		t.Fatalf("a failed submit was resent: %d submits", g.sim.Count("submit"))
	}
	locked := g.user(t, "locked@example.com", "sim-locked-key")
	r := locked.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/dev", "prompt": "a cat"})
	if r.Status != 422 || r.ErrorCode() != "fal_account_locked" || !strings.Contains(r.JSON()["error"].(map[string]any)["message"].(string), "Exhausted balance") {
		t.Fatalf("locked: %d %s", r.Status, r.Body)
	}
	bad := g.user(t, "bad@example.com", "bad-key")
	if r := bad.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/dev", "prompt": "a cat"}); r.Status != 422 || r.ErrorCode() != "fal_key_invalid" {
		t.Fatalf("bad key: %d %s", r.Status, r.Body)
	}
	if r := bad.Do("GET", "/api/me", nil); r.Status != 200 {
		t.Fatal("a fal 401 logged the user out")
	}
	nokey := g.user(t, "nokey@example.com", "")
	if r := nokey.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/dev", "prompt": "a cat"}); r.Status != 409 || r.ErrorCode() != "fal_key_missing" {
		t.Fatalf("no key: %d %s", r.Status, r.Body)
	}
	for _, body := range []map[string]any{
		{"model": "../../etc", "prompt": "x"},
		{"model": "fal-ai/flux/dev", "prompt": ""},
		{"model": "fal-ai/flux/dev", "prompt": strings.Repeat("x", 10001)},
		{"model": "fal-ai/flux/dev", "prompt": "x", "params": map[string]any{"num_images": 9}},
		{"model": "fal-ai/flux/dev", "prompt": "x", "params": map[string]any{"image_size": "huge"}},
		{"model": "fal-ai/flux-pro/kontext", "prompt": "x"},
		{"model": "fal-ai/nano-banana/edit", "prompt": "x", "params": map[string]any{"image_urls": []string{"https://a/1", "https://a/2", "https://a/3", "https://a/4", "https://a/5"}}},
	} {
		if r := c.Do("POST", "/api/generations", body); r.Status != 400 || r.ErrorCode() != "invalid_input" {
			t.Errorf("%v: %d %s", body, r.Status, r.Body)
		}
	}
	// image_size also takes custom pixel dimensions.
	sized := submit(t, c, "fal-ai/flux/dev", "custom size", map[string]any{"image_size": map[string]any{"width": 96, "height": 64}})
	if ev := waitDone(t, c, sized.ID); ev[len(ev)-1].Status != "succeeded" || *ev[len(ev)-1].Assets[0].Width != 96 {
		t.Fatalf("custom size: %+v", ev[len(ev)-1])
	}
	if r := c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/dev", "prompt": "x", "params": map[string]any{"image_size": map[string]any{"width": 1e9, "height": 1}}}); r.Status != 400 {
		t.Errorf("absurd image_size: %d", r.Status)
	}
	// A well-formed custom model id is accepted.
	custom := submit(t, c, "someone/custom-app/v2", "", map[string]any{"anything": true})
	if ev := waitDone(t, c, custom.ID); ev[len(ev)-1].Status != "succeeded" {
		t.Fatalf("custom model: %+v", ev[len(ev)-1])
	}
}

func TestLiveModelSearch(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "live@example.com", "")
	r := c.Do("GET", "/api/models/search?q=kling", nil)
	var out struct {
		Models []struct{ ID, Name, Category string }
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("search: %d %s: %v", r.Status, r.Body, err)
	}
	if r.Status != 200 || len(out.Models) != 1 || out.Models[0].ID != "fal-ai/kling-video/v2.1/master/image-to-video" || out.Models[0].Category != "image-to-video" {
		t.Fatalf("search: %d %s", r.Status, r.Body)
	}
	r = c.Do("GET", "/api/models/search?category=text-to-video", nil)
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("category: %d %s: %v", r.Status, r.Body, err)
	}
	if len(out.Models) != 1 || out.Models[0].ID != "fal-ai/veo3" {
		t.Fatalf("category: %s", r.Body)
	}
	if r := c.Do("GET", "/api/models/search?q="+strings.Repeat("x", 101), nil); r.Status != 400 {
		t.Fatalf("long query: %d", r.Status)
	}
	// A model's OpenAPI input schema becomes a form.
	r = c.Do("GET", "/api/models/schema?id=fal-ai/recraft/v3/text-to-image", nil)
	var sm struct {
		Model struct {
			ID             string
			PromptRequired bool
			Params         []struct {
				Name, Type string
				Options    []string
				Default    any
				Min, Max   *float64
			}
		}
	}
	if err := json.Unmarshal(r.Body, &sm); err != nil {
		t.Fatalf("schema: %d %s: %v", r.Status, r.Body, err)
	}
	if r.Status != 200 || !sm.Model.PromptRequired || len(sm.Model.Params) != 3 {
		t.Fatalf("schema: %d %s", r.Status, r.Body)
	}
	size, images, seed := sm.Model.Params[0], sm.Model.Params[1], sm.Model.Params[2]
	if size.Name != "image_size" || size.Type != "enum" || len(size.Options) != 6 || size.Default != "landscape_4_3" ||
		images.Type != "integer" || *images.Max != 4 || seed.Type != "seed" {
		t.Fatalf("schema params: %s", r.Body)
	}
	if r := c.Do("GET", "/api/models/schema?id=../etc", nil); r.Status != 400 {
		t.Fatalf("bad id: %d", r.Status)
	}
	if r := c.Do("GET", "/api/models/schema?id=nobody/unknown-model", nil); r.Status != 404 && r.Status != 422 {
		t.Fatalf("unknown model: %d %s", r.Status, r.Body)
	}
	if r := g.studio.NewClient(t).Do("GET", "/api/models/search?q=flux", nil); r.Status != 401 {
		t.Fatalf("anonymous search: %d", r.Status)
	}
}

func TestVideoGeneration(t *testing.T) {
	g := newGenEnv(t, falsim.Options{RunPolls: 1}, nil, "")
	c := g.user(t, "vid@example.com", "sim-key")
	ev := waitDone(t, c, submit(t, c, "fal-ai/veo3", "waves at sunset", map[string]any{"aspect_ratio": "16:9"}).ID)
	last := ev[len(ev)-1]
	if last.Status != "succeeded" || len(last.Assets) != 1 || last.Assets[0].Kind != "video" || last.Assets[0].ContentType != "video/mp4" {
		t.Fatalf("video: %+v", last)
	}
	m := c.Do("GET", last.Assets[0].URL, nil)
	if m.Status != 200 || m.Header.Get("Content-Type") != "video/mp4" || !bytes.Equal(m.Body[4:8], []byte("ftyp")) {
		t.Fatalf("video media: %d %v", m.Status, m.Header)
	}
	if l := c.Do("GET", "/api/assets?kind=video", nil).JSON(); len(l["assets"].([]any)) != 1 {
		t.Fatalf("video filter: %v", l)
	}
}

func TestUploads(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "up@example.com", "sim-key")
	ev := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "source image", nil).ID)
	png := c.Do("GET", ev[len(ev)-1].Assets[0].URL, nil).Body

	multipartBody := func(name string, data []byte) (*bytes.Buffer, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, err := mw.CreateFormFile("file", name)
		if err == nil {
			_, err = fw.Write(data)
		}
		if err == nil {
			err = mw.Close()
		}
		if err != nil {
			t.Fatalf("multipart body: %v", err)
		}
		return &buf, mw.FormDataContentType()
	}
	body, ct := multipartBody("ref.png", png)
	r := c.Do("POST", "/api/uploads", body, "Content-Type", ct)
	if r.Status != 201 || !strings.HasPrefix(r.JSON()["url"].(string), g.sim.URLs().CDNURL+"/files/") {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	if g.sim.LastKey() != "sim-key" {
		t.Fatal("upload did not use the user's key")
	}
	// The uploaded bytes are on fal's CDN.
	resp, err := http.Get(r.JSON()["url"].(string))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("uploaded file: %v", err)
	}
	resp.Body.Close()
	// HTML named .png is refused by its bytes.
	body, ct = multipartBody("evil.png", []byte("<html><script>alert(1)</script></html>"))
	if r := c.Do("POST", "/api/uploads", body, "Content-Type", ct); r.Status != 400 || r.ErrorCode() != "invalid_input" {
		t.Fatalf("html upload: %d %s", r.Status, r.Body)
	}
	// Over 20 MB is refused.
	big := append(append([]byte{}, png...), make([]byte, 21<<20)...)
	body, ct = multipartBody("big.png", big)
	if r := c.Do("POST", "/api/uploads", body, "Content-Type", ct); r.Status != 413 || r.ErrorCode() != "too_large" {
		t.Fatalf("big upload: %d %s", r.Status, r.Body)
	}
	// One of the user's own assets.
	r = c.Do("POST", "/api/uploads", map[string]string{"assetId": ev[len(ev)-1].Assets[0].ID})
	if r.Status != 201 {
		t.Fatalf("asset upload: %d %s", r.Status, r.Body)
	}
	// An edit with the uploaded reference.
	edit := submit(t, c, "fal-ai/flux-pro/kontext", "make it blue", map[string]any{"image_url": r.JSON()["url"]})
	if ev := waitDone(t, c, edit.ID); ev[len(ev)-1].Status != "succeeded" {
		t.Fatalf("edit: %+v", ev[len(ev)-1])
	}
}

func TestCancel(t *testing.T) {
	g := newGenEnv(t, falsim.Options{QueuePolls: 1}, nil, "")
	c := g.user(t, "cancel@example.com", "sim-key")
	// Queued: removed at fal, never runs.
	q := submit(t, c, "fal-ai/flux/dev", "queued forever", nil)
	r := c.Do("POST", "/api/generations/"+q.ID+"/cancel", nil)
	if r.Status != 200 || decodeGen(t, r).Status != "canceled" || !strings.Contains(string(r.Body), `"outcome":"canceled"`) {
		t.Fatalf("cancel queued: %d %s", r.Status, r.Body)
	}
	// Running: fal is asked to stop, and the answer says it had started.
	s := submit(t, c, "fal-ai/flux/dev", "slow job", nil)
	waitStatus(t, c, s.ID, "running", nil)
	r = c.Do("POST", "/api/generations/"+s.ID+"/cancel", nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"outcome":"requested"`) || !strings.Contains(string(r.Body), "already started") {
		t.Fatalf("cancel running: %d %s", r.Status, r.Body)
	}
	ev := waitDone(t, c, s.ID)
	if ev[len(ev)-1].Status != "canceled" {
		t.Fatalf("after cancel of a running job: %+v", ev[len(ev)-1])
	}
	if g.sim.Count("cancel") != 2 {
		t.Fatalf("fal cancels: %d", g.sim.Count("cancel"))
	}
	// Finished: nothing to cancel.
	if r := c.Do("POST", "/api/generations/"+s.ID+"/cancel", nil); r.Status != 200 || !strings.Contains(string(r.Body), "too_late") {
		t.Fatalf("cancel finished: %d %s", r.Status, r.Body)
	}
}

func TestCredits(t *testing.T) {
	g := newGenEnv(t, falsim.Options{Balance: 24.5}, nil, "")
	admin := g.user(t, "admin@example.com", "admin-key")
	r := admin.Do("GET", "/api/me/fal-credits", nil)
	if r.Status != 200 || r.JSON()["balance"] != 24.5 || r.JSON()["currency"] != "USD" {
		t.Fatalf("credits: %d %s", r.Status, r.Body)
	}
	api := g.user(t, "api@example.com", "sim-key")
	r = api.Do("GET", "/api/me/fal-credits", nil)
	if r.Status != 422 || r.ErrorCode() != "fal_admin_key_required" ||
		r.JSON()["error"].(map[string]any)["message"] != "Reading the fal balance needs a key with billing access (ADMIN scope or a billing permission). Your current key can run models but cannot read the balance." {
		t.Fatalf("api key credits: %d %s", r.Status, r.Body)
	}
	bad := g.user(t, "badc@example.com", "bad-key")
	if r := bad.Do("GET", "/api/me/fal-credits", nil); r.Status != 422 || r.ErrorCode() != "fal_key_invalid" {
		t.Fatalf("bad key credits: %d %s", r.Status, r.Body)
	}
	none := g.user(t, "nonec@example.com", "")
	if r := none.Do("GET", "/api/me/fal-credits", nil); r.Status != 409 || r.ErrorCode() != "fal_key_missing" {
		t.Fatalf("no key credits: %d %s", r.Status, r.Body)
	}
}
