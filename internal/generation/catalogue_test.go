package generation

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCatalogueIsConsistent(t *testing.T) {
	want := map[string]bool{"fal-ai/flux/schnell": false, "fal-ai/flux/dev": false, "fal-ai/flux-pro/v1.1": false, "fal-ai/flux-pro/kontext": false,
		"fal-ai/nano-banana": false, "fal-ai/nano-banana/edit": false, "fal-ai/bytedance/seedream/v4/text-to-image": false,
		"fal-ai/kling-video/v2.1/master/image-to-video": false, "fal-ai/veo3": false, "fal-ai/wan/v2.2-a14b/text-to-video": false,
		"fal-ai/minimax/hailuo-02/standard/image-to-video": false, "fal-ai/recraft/upscale/crisp": false, "fal-ai/bria/background/remove": false}
	tasks := map[string]string{TaskTextToImage: "image", TaskImageEdit: "image", TaskTextToVideo: "video", TaskImageToVideo: "video",
		TaskUpscale: "image", TaskRemoveBackground: "image"}
	guides := map[string]string{} // task → its guide: shared within a task, never across tasks
	for _, m := range Catalogue() {
		want[m.ID] = true
		if !ValidModelID(m.ID) || m.Name == "" || m.Description == "" {
			t.Errorf("%s: id/name/description", m.ID)
		}
		if out, ok := tasks[m.Task]; !ok || out != m.Output {
			t.Errorf("%s: task %s output %s", m.ID, m.Task, m.Output)
		}
		if m.PromptGuide == nil || *m.PromptGuide == "" {
			t.Errorf("%s: no prompt guide", m.ID)
		} else if g, ok := guides[m.Task]; ok && g != *m.PromptGuide {
			t.Errorf("%s: a guide of its own within task %s", m.ID, m.Task)
		} else {
			guides[m.Task] = *m.PromptGuide
		}
		needsRef := m.Task == TaskImageEdit || m.Task == TaskImageToVideo || m.Task == TaskUpscale || m.Task == TaskRemoveBackground
		if needsRef != (m.Reference != nil) {
			t.Errorf("%s: reference %v for task %s", m.ID, m.Reference, m.Task)
		}
		if r := m.Reference; r != nil && (r.Min < 1 || r.Max < r.Min || (r.Field == "image_url") != (r.Max == 1) || r.Multiple != (r.Field == "image_urls")) {
			t.Errorf("%s: reference %+v", m.ID, r)
		}
		defaults := map[string]any{}
		seen := map[string]bool{}
		for _, p := range m.Params {
			if seen[p.Name] || p.Label == "" {
				t.Errorf("%s: param %q duplicated or unlabelled", m.ID, p.Name)
			}
			seen[p.Name] = true
			if p.Default != nil {
				defaults[p.Name] = p.Default
			}
		}
		// Defaults must pass the catalogue's own validation (the UI sends them as they are).
		raw, err := json.Marshal(defaults)
		if err != nil {
			t.Fatal(err)
		}
		var decoded map[string]any
		if err := json.Unmarshal(raw, &decoded); err != nil {
			t.Fatal(err)
		}
		if m.Reference != nil {
			if !m.Reference.Multiple {
				decoded[m.Reference.Field] = "https://v3.fal.media/files/x.png"
			} else {
				decoded[m.Reference.Field] = []any{"https://v3.fal.media/files/x.png"}
			}
		}
		if err := validateParams(&m, decoded); err != nil {
			t.Errorf("%s: defaults refused: %v", m.ID, err)
		}
	}
	for id, ok := range want {
		if !ok {
			t.Errorf("curated model %s missing", id)
		}
	}
	seenGuide := map[string]string{}
	for task, g := range guides {
		if other, dup := seenGuide[g]; dup {
			t.Errorf("tasks %s and %s share a guide", task, other)
		}
		seenGuide[g] = task
	}
	if PromptGuide("someone/custom-app") != GenericPromptGuide || PromptGuide("fal-ai/flux/dev") != guides[TaskTextToImage] {
		t.Errorf("PromptGuide: a custom model has the generic guide, a curated one its task's")
	}
}

func TestValidModelID(t *testing.T) {
	for id, ok := range map[string]bool{
		"fal-ai/flux/dev": true, "owner/app": true, "a/b/c/d/e/f": true, "fal-ai/wan/v2.2-a14b/text-to-video": true,
		"flux": false, "/fal-ai/flux": false, "fal-ai//flux": false, "fal-ai/../x": false, "fal-ai/./x": false, "fal-ai/flux?x=1": false,
		"fal-ai/flux dev": false, "a/b/c/d/e/f/g": false, "": false, "fal-ai/flux/": false, "https://evil/x": false,
	} {
		if got := ValidModelID(id); got != ok {
			t.Errorf("%q: %v", id, got)
		}
	}
}

func FuzzValidModelID(f *testing.F) {
	f.Add("fal-ai/flux/dev")
	f.Add("../../etc/passwd")
	f.Fuzz(func(t *testing.T, id string) {
		if !ValidModelID(id) {
			return
		}
		if strings.ContainsAny(id, "?#% \\:") {
			t.Fatalf("accepted %q", id)
		}
		for _, seg := range strings.Split(id, "/") {
			if seg == "" || strings.Trim(seg, ".") == "" {
				t.Fatalf("accepted %q", id)
			}
		}
	})
}
