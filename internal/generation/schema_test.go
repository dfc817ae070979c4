package generation

import (
	"encoding/json"
	"testing"
)

// A schema shaped like fal's per-model OpenAPI documents (shared/fal-api.md §10).
const kontextSchema = `{"openapi":"3.0.4","info":{"title":"Queue OpenAPI for fal-ai/flux-pro/kontext","x-fal-metadata":{"endpointId":"fal-ai/flux-pro/kontext"}},
 "paths":{"/fal-ai/flux-pro/kontext":{"post":{"requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/FluxProKontextInput"}}}}}}},
 "components":{"schemas":{"FluxProKontextInput":{"type":"object","required":["prompt","image_url"],
   "x-fal-order-properties":["prompt","image_url","aspect_ratio","guidance_scale","num_images","seed","safety_tolerance","sync_mode","output_format","enhance_prompt"],
   "properties":{
    "prompt":{"type":"string","title":"Prompt"},
    "image_url":{"type":"string","title":"Image URL"},
    "aspect_ratio":{"anyOf":[{"type":"string","enum":["21:9","16:9","1:1"]},{"type":"null"}],"title":"Aspect Ratio"},
    "guidance_scale":{"type":"number","minimum":1,"maximum":20,"default":3.5,"title":"Guidance scale"},
    "num_images":{"type":"integer","minimum":1,"maximum":4,"default":1},
    "seed":{"type":"integer","title":"Seed"},
    "safety_tolerance":{"type":"string","enum":["1","2","3","4","5","6"],"default":"2"},
    "sync_mode":{"type":"boolean","default":false},
    "output_format":{"type":"string","enum":["jpeg","png"],"default":"jpeg"},
    "enhance_prompt":{"type":"boolean","default":false},
    "loras":{"type":"array","items":{"type":"object"}}}}}}}`

func TestModelFromOpenAPI(t *testing.T) {
	m, ok := modelFromOpenAPI("fal-ai/flux-pro/kontext", json.RawMessage(kontextSchema))
	if !ok || !m.PromptRequired || m.Reference == nil || m.Reference.Field != "image_url" || m.Reference.Min != 1 || m.Reference.Max != 1 {
		t.Fatalf("model %+v", m)
	}
	var names []string
	for _, p := range m.Params {
		names = append(names, p.Name+":"+p.Type)
	}
	want := "aspect_ratio:enum guidance_scale:number num_images:integer seed:seed safety_tolerance:enum output_format:enum enhance_prompt:boolean"
	got := ""
	for i, n := range names {
		if i > 0 {
			got += " "
		}
		got += n
	}
	if got != want {
		t.Fatalf("params\n got %s\nwant %s", got, want)
	}
	if m.Params[1].Default != 3.5 || *m.Params[1].Max != 20 || m.Params[4].Default != "2" {
		t.Fatalf("defaults/bounds: %+v", m.Params)
	}
	for _, bad := range []string{`not json`, `{}`, `{"components":{"schemas":{"X":{"type":"string"}}}}`} {
		if _, ok := modelFromOpenAPI("a/b", json.RawMessage(bad)); ok {
			t.Errorf("accepted %s", bad)
		}
	}
}

// The reference arity comes from the schema's type: a list field is multiple, with its bounds.
func TestModelFromOpenAPIReferenceArity(t *testing.T) {
	for _, tc := range []struct {
		name, prop, required string
		want                 Reference
	}{
		{"one url", `"image_url":{"type":"string"}`, `"image_url"`, Reference{Field: "image_url", Min: 1, Max: 1}},
		{"optional url", `"image_url":{"type":"string"}`, ``, Reference{Field: "image_url", Min: 0, Max: 1}},
		{"list", `"image_urls":{"type":"array","items":{"type":"string"},"maxItems":6,"minItems":2}`, `"image_urls"`, Reference{Field: "image_urls", Min: 2, Max: 6, Multiple: true}},
		{"list without bounds", `"image_urls":{"type":"array","items":{"type":"string"}}`, ``, Reference{Field: "image_urls", Min: 0, Max: 4, Multiple: true}},
		{"list under a singular name", `"image_url":{"type":"array","items":{"type":"string"},"maxItems":3}`, ``, Reference{Field: "image_url", Min: 0, Max: 3, Multiple: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := `{"components":{"schemas":{"XInput":{"type":"object","required":[` + tc.required + `],"properties":{"prompt":{"type":"string"},` + tc.prop + `}}}}}`
			m, ok := modelFromOpenAPI("a/b", json.RawMessage(doc))
			if !ok || m.Reference == nil || *m.Reference != tc.want {
				t.Fatalf("reference %+v, want %+v", m.Reference, tc.want)
			}
		})
	}
}

func FuzzModelFromOpenAPI(f *testing.F) {
	f.Add(kontextSchema)
	f.Add(`{"components":{"schemas":{"AInput":{"properties":{"x":{"$ref":"#/components/schemas/AInput"}}}}}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		if m, ok := modelFromOpenAPI("a/b", json.RawMessage(doc)); ok && len(m.Params) > maxSchemaParams {
			t.Fatal("unbounded params")
		}
	})
}

// A custom model's frame fields come from its input schema (SPEC §15.5): the first string
// property of each list, an end field only beside a start field.
func TestFramesFromSchema(t *testing.T) {
	schema := func(props string) json.RawMessage {
		return json.RawMessage(`{"paths":{"/o/m":{"post":{"requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/MInput"}}}}}}},
 "components":{"schemas":{"MInput":{"type":"object","properties":{"prompt":{"type":"string"},` + props + `}}}}}`)
	}
	for _, tc := range []struct {
		props, start, end string
	}{
		{`"first_frame_url":{"type":"string"},"last_frame_url":{"type":"string"}`, "first_frame_url", "last_frame_url"},
		{`"start_image_url":{"type":"string"},"tail_image_url":{"anyOf":[{"type":"string"},{"type":"null"}]}`, "start_image_url", "tail_image_url"},
		{`"image_url":{"type":"string"},"start_image_url":{"type":"string"}`, "image_url", ""},
		{`"image_url":{"type":"array","items":{"type":"string"}},"first_image_url":{"type":"string"}`, "first_image_url", ""},
		{`"end_image_url":{"type":"string"}`, "", ""},
		{`"seed":{"type":"integer"}`, "", ""},
	} {
		m, ok := modelFromOpenAPI("o/m", schema(tc.props))
		if !ok {
			t.Fatalf("%s: not read", tc.props)
		}
		switch {
		case tc.start == "" && m.Frames != nil:
			t.Errorf("%s: frames %+v, want none", tc.props, m.Frames)
		case tc.start != "" && (m.Frames == nil || m.Frames.Start != tc.start):
			t.Errorf("%s: frames %+v, want start %s", tc.props, m.Frames, tc.start)
		case tc.start != "" && tc.end == "" && m.Frames.End != nil:
			t.Errorf("%s: end %s, want none", tc.props, *m.Frames.End)
		case tc.end != "" && (m.Frames.End == nil || *m.Frames.End != tc.end):
			t.Errorf("%s: end %v, want %s", tc.props, m.Frames.End, tc.end)
		}
	}
}
