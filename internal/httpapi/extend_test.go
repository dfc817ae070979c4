package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/testutil"
)

const (
	hailuo = "fal-ai/minimax/hailuo-02/standard/image-to-video"
	kling  = "fal-ai/kling-video/v2.1/master/image-to-video"
)

// fetchSim downloads a file the studio uploaded to the simulator's storage.
func fetchSim(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("fetch %s: %d %v", url, resp.StatusCode, err)
	}
	return b
}

type extendGen struct {
	ID     string         `json:"id"`
	Model  string         `json:"model"`
	Prompt string         `json:"prompt"`
	Params map[string]any `json:"params"`
}

func postExtend(t *testing.T, c *testutil.Client, id string, body map[string]any) extendGen {
	t.Helper()
	r := c.Do("POST", "/api/assets/"+id+"/extend", body)
	if r.Status != 202 {
		t.Fatalf("extend: %d %s", r.Status, r.Body)
	}
	var out struct{ Generation extendGen }
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Generation
}

type seqAsset struct {
	ID         string  `json:"id"`
	SequenceID *string `json:"sequenceId"`
	Parent     *struct {
		AssetID, Relation string
	} `json:"parent"`
}

func getSeqAsset(t *testing.T, c *testutil.Client, id string) seqAsset {
	t.Helper()
	var out struct{ Asset seqAsset }
	if r := c.Do("GET", "/api/assets/"+id, nil); r.Status != 200 || json.Unmarshal(r.Body, &out) != nil {
		t.Fatalf("asset %s: %d %s", id, r.Status, r.Body)
	}
	return out.Asset
}

func onlyAsset(t *testing.T, c *testutil.Client, genID string) string {
	t.Helper()
	ev := waitDone(t, c, genID)
	last := ev[len(ev)-1]
	if last.Status != "succeeded" || len(last.Assets) != 1 {
		t.Fatalf("job %s: %+v", genID, last)
	}
	return last.Assets[0].ID
}

func TestExtend(t *testing.T) {
	g := videoEnv(t, nil)
	c := g.user(t, "extend@example.com", "sim-key")
	clip := testutil.MakeClip(t, clip320)
	vid := videoAsset(t, c, "c320") // made by veo3: a text-to-video model, no start frame
	if a := getSeqAsset(t, c, vid); a.SequenceID != nil {
		t.Fatalf("a fresh clip has a sequence: %v", *a.SequenceID)
	}

	// Its own model takes no start frame.
	if r := c.Do("POST", "/api/assets/"+vid+"/extend", map[string]any{"prompt": "and then"}); r.Status != 400 || r.ErrorCode() != "no_start_frame_field" {
		t.Fatalf("veo3 extend: %d %s", r.Status, r.Body)
	}
	uploads := g.sim.Count("upload") + g.sim.Count("put")
	// With an image-to-video model: the last frame goes to fal storage and into image_url.
	first := postExtend(t, c, vid, map[string]any{"prompt": "the wave breaks clip:c320", "model": hailuo,
		"params": map[string]any{"duration": "10", "prompt_optimizer": false, "end_image_url": "https://example.com/end.png"}})
	in := g.sim.LastInput()
	sent, _ := in["image_url"].(string)
	if first.Model != hailuo || in["prompt"] != "the wave breaks clip:c320" || in["duration"] != "10" || sent == "" || first.Params["image_url"] != sent {
		t.Fatalf("sent to fal: %v; generation params %v", in, first.Params)
	}
	if g.sim.Count("upload")+g.sim.Count("put") == uploads {
		t.Fatal("the last frame was not uploaded")
	}
	if testutil.PixelDiff(testutil.DecodeImage(t, fetchSim(t, sent), "image/png"), ffmpegFrame(t, clip, 19)) != "" {
		t.Fatal("the uploaded frame is not the clip's last frame")
	}
	seq := getSeqAsset(t, c, vid).SequenceID
	if seq == nil || *seq == "" {
		t.Fatal("the extended clip got no sequence id")
	}
	next := getSeqAsset(t, c, onlyAsset(t, c, first.ID))
	if next.Parent == nil || next.Parent.AssetID != vid || next.Parent.Relation != "extend" || next.SequenceID == nil || *next.SequenceID != *seq {
		t.Fatalf("extended clip: %+v", next)
	}

	// Extending the new clip with no params: its own model and settings, without its end frame.
	second := postExtend(t, c, next.ID, map[string]any{"prompt": "later still clip:c320"})
	in = g.sim.LastInput()
	if second.Model != hailuo || in["duration"] != "10" || in["prompt_optimizer"] != false || in["end_image_url"] != nil || in["image_url"] == sent || in["image_url"] == nil {
		t.Fatalf("second extend sent %v", in)
	}
	third := getSeqAsset(t, c, onlyAsset(t, c, second.ID))
	// A branch: the first clip extended again joins the same chain.
	branch := getSeqAsset(t, c, onlyAsset(t, c, postExtend(t, c, vid, map[string]any{"prompt": "another way", "model": kling}).ID))
	if *third.SequenceID != *seq || *branch.SequenceID != *seq {
		t.Fatalf("chain ids: %v %v, want %v", *third.SequenceID, *branch.SequenceID, *seq)
	}
	var page struct{ Assets []seqAsset }
	if r := c.Do("GET", "/api/assets?sequence="+*seq, nil); r.Status != 200 || json.Unmarshal(r.Body, &page) != nil {
		t.Fatalf("sequence list: %d %s", r.Status, r.Body)
	}
	if len(page.Assets) != 4 || page.Assets[0].ID != branch.ID || page.Assets[3].ID != vid {
		t.Fatalf("sequence list: %+v", page.Assets)
	}
	// Another chain never shares the id; another person's id lists nothing.
	other := videoAsset(t, c, "c360p")
	postExtend(t, c, other, map[string]any{"prompt": "elsewhere", "model": kling})
	if s := getSeqAsset(t, c, other).SequenceID; s == nil || *s == *seq {
		t.Fatalf("second chain's id: %v", s)
	}
	stranger := g.user(t, "extend-other@example.com", "sim-key")
	if r := stranger.Do("GET", "/api/assets?sequence="+*seq, nil); r.Status != 200 || strings.Contains(string(r.Body), vid) {
		t.Fatalf("another's sequence: %d %s", r.Status, r.Body)
	}

	imgEv := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "an image", nil).ID)
	image := imgEv[len(imgEv)-1].Assets[0].ID
	submits := g.sim.Count("submit")
	for _, tc := range []struct {
		name   string
		c      *testutil.Client
		id     string
		body   map[string]any
		status int
		code   string
	}{
		{"no prompt", c, vid, map[string]any{"model": kling}, 400, "invalid_input"},
		{"blank prompt", c, vid, map[string]any{"prompt": "  ", "model": kling}, 400, "invalid_input"},
		{"bad model", c, vid, map[string]any{"prompt": "x", "model": "not a model"}, 400, "invalid_input"},
		{"text-to-image model", c, vid, map[string]any{"prompt": "x", "model": "fal-ai/flux/dev"}, 400, "no_start_frame_field"},
		{"an image", c, image, map[string]any{"prompt": "x", "model": kling}, 400, "unsupported_input"},
		{"unknown", c, "nope", map[string]any{"prompt": "x", "model": kling}, 404, "not_found"},
		{"another's", stranger, vid, map[string]any{"prompt": "x", "model": kling}, 404, "not_found"},
	} {
		if r := tc.c.Do("POST", "/api/assets/"+tc.id+"/extend", tc.body); r.Status != tc.status || r.ErrorCode() != tc.code {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	if r := c.Do("DELETE", "/api/me/fal-key", nil); r.Status >= 300 {
		t.Fatalf("delete key: %d", r.Status)
	}
	if r := c.Do("POST", "/api/assets/"+vid+"/extend", map[string]any{"prompt": "x", "model": kling}); r.Status != 409 || r.ErrorCode() != "fal_key_missing" {
		t.Fatalf("no key: %d %s", r.Status, r.Body)
	}
	if g.sim.Count("submit") != submits {
		t.Fatal("a refused extend reached fal")
	}
}

func TestStartAndEndFrames(t *testing.T) {
	g := videoEnv(t, nil)
	c := g.user(t, "frames-io@example.com", "sim-key")
	var models struct {
		Models []struct {
			ID     string
			Frames *struct {
				Start string
				End   *string
			}
		}
	}
	if r := c.Do("GET", "/api/models", nil); r.Status != 200 || json.Unmarshal(r.Body, &models) != nil {
		t.Fatalf("models: %d", r.Status)
	}
	for _, m := range models.Models {
		switch m.ID {
		case hailuo:
			if m.Frames == nil || m.Frames.Start != "image_url" || m.Frames.End == nil || *m.Frames.End != "end_image_url" {
				t.Fatalf("hailuo frames: %+v", m.Frames)
			}
		case kling:
			if m.Frames == nil || m.Frames.Start != "image_url" || m.Frames.End != nil {
				t.Fatalf("kling frames: %+v", m.Frames)
			}
		default:
			if m.Frames != nil {
				t.Fatalf("%s has frames", m.ID)
			}
		}
	}
	startEv := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "the start", nil).ID)
	endEv := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "the end", nil).ID)
	start, end := startEv[len(startEv)-1].Assets[0], endEv[len(endEv)-1].Assets[0]
	vid := videoAsset(t, c, "small")

	r := c.Do("POST", "/api/generations", map[string]any{"model": hailuo, "prompt": "between them", "startAssetId": start.ID, "endAssetId": end.ID})
	if r.Status != 202 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	gen := decodeGen(t, r)
	in := g.sim.LastInput()
	for field, a := range map[string]string{"image_url": start.URL, "end_image_url": end.URL} {
		u, _ := in[field].(string)
		if u == "" || !bytes.Equal(fetchSim(t, u), c.Do("GET", a, nil).Body) {
			t.Fatalf("%s sent %q, not the asset's bytes", field, u)
		}
	}
	var shown struct {
		Generation struct{ Params map[string]any }
	}
	if err := json.Unmarshal(r.Body, &shown); err != nil || shown.Generation.Params["image_url"] != in["image_url"] || shown.Generation.Params["end_image_url"] != in["end_image_url"] {
		t.Fatalf("generation params: %s", r.Body)
	}
	if out := getSeqAsset(t, c, onlyAsset(t, c, gen.ID)); out.Parent != nil {
		t.Fatalf("a start-frame output has a parent: %+v", out.Parent)
	}

	submits, uploads := g.sim.Count("submit"), g.sim.Count("upload")+g.sim.Count("put")
	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"no start field", map[string]any{"model": "fal-ai/veo3", "prompt": "x", "startAssetId": start.ID}, 400, "no_start_frame_field"},
		{"no end field", map[string]any{"model": kling, "prompt": "x", "startAssetId": start.ID, "endAssetId": end.ID}, 400, "no_end_frame_field"},
		{"not a string", map[string]any{"model": hailuo, "prompt": "x", "startAssetId": 5}, 400, "invalid_input"},
		{"unknown", map[string]any{"model": hailuo, "prompt": "x", "startAssetId": "nope"}, 404, "not_found"},
		{"a video", map[string]any{"model": hailuo, "prompt": "x", "startAssetId": vid}, 400, "unsupported_input"},
		{"both start forms", map[string]any{"model": hailuo, "prompt": "x", "startAssetId": start.ID, "params": map[string]any{"image_url": "https://example.com/a.png"}}, 400, "invalid_input"},
		{"end without start", map[string]any{"model": hailuo, "prompt": "x", "endAssetId": end.ID}, 400, "invalid_input"},
	} {
		for _, path := range []string{"/api/generations", "/api/generations/estimate"} {
			if r := c.Do("POST", path, tc.body); r.Status != tc.status || r.ErrorCode() != tc.code {
				t.Errorf("%s %s: %d %s", tc.name, path, r.Status, r.Body)
			}
		}
	}
	if g.sim.Count("submit") != submits || g.sim.Count("upload")+g.sim.Count("put") != uploads {
		t.Fatal("a refused submit reached fal")
	}
}
