package generation

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/falstudio/falstudio/internal/model"
)

// maxSchemaParams bounds the form built from a model's schema.
const maxSchemaParams = 24

// ModelFromSchema fetches a fal model's OpenAPI document and turns its input schema into the
// same Model shape the curated catalogue uses, so the UI can render a form for any model.
func (s *Service) ModelFromSchema(ctx context.Context, caller *model.User, id string) (*Model, error) {
	if !ValidModelID(id) {
		return nil, model.Errf(model.CodeInvalidInput, "Enter a fal model id like fal-ai/flux/dev.")
	}
	if m := modelByID(id); m != nil {
		return m, nil
	}
	doc, err := s.fal.Schema(ctx, s.optionalKey(caller), id)
	if err != nil {
		return nil, err
	}
	m, ok := modelFromOpenAPI(id, doc)
	if !ok {
		return nil, model.Errf(model.CodeNotFound, "fal has no input schema for %s.", id)
	}
	return m, nil
}

type schemaNode struct {
	Ref         string                `json:"$ref"`
	Type        any                   `json:"type"`
	Title       string                `json:"title"`
	Description string                `json:"description"`
	Default     any                   `json:"default"`
	Enum        []any                 `json:"enum"`
	Minimum     *float64              `json:"minimum"`
	Maximum     *float64              `json:"maximum"`
	MaxItems    *int                  `json:"maxItems"`
	MinItems    *int                  `json:"minItems"`
	AnyOf       []schemaNode          `json:"anyOf"`
	Items       *schemaNode           `json:"items"`
	Properties  map[string]schemaNode `json:"properties"`
	Required    []string              `json:"required"`
	Order       []string              `json:"x-fal-order-properties"`
	Extra       map[string]any        `json:"-"`
}

// modelFromOpenAPI finds the input schema (the POST request body of the endpoint, else a schema
// named …Input) and maps its properties to form parameters.
func modelFromOpenAPI(id string, raw json.RawMessage) (*Model, bool) {
	var doc struct {
		Info struct {
			Title string         `json:"title"`
			Meta  map[string]any `json:"x-fal-metadata"`
		} `json:"info"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]schemaNode `json:"schemas"`
		} `json:"components"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return nil, false
	}
	resolve := func(n schemaNode) schemaNode {
		for range 4 {
			if n.Ref == "" {
				return n
			}
			n = doc.Components.Schemas[strings.TrimPrefix(n.Ref, "#/components/schemas/")]
		}
		return n
	}
	var input schemaNode
	if post, ok := doc.Paths["/"+id]["post"]; ok {
		var op struct {
			RequestBody struct {
				Content map[string]struct {
					Schema schemaNode `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		}
		if json.Unmarshal(post, &op) == nil {
			input = resolve(op.RequestBody.Content["application/json"].Schema)
		}
	}
	if input.Properties == nil {
		for name, sc := range doc.Components.Schemas {
			if strings.HasSuffix(name, "Input") && sc.Properties != nil {
				input = sc
				break
			}
		}
	}
	if input.Properties == nil {
		return nil, false
	}
	required := map[string]bool{}
	for _, r := range input.Required {
		required[r] = true
	}
	m := &Model{ID: id, Name: id, Task: TaskCustom, Output: model.KindImage, Params: []Param{}}
	for _, w := range []string{"video", "veo", "kling", "hailuo", "wan/"} {
		if strings.Contains(id, w) {
			m.Output = model.KindVideo
		}
	}
	if desc, ok := doc.Info.Meta["description"].(string); ok {
		m.Description = desc
	}
	if _, ok := input.Properties["prompt"]; ok {
		m.PromptRequired = required["prompt"]
	}
	names := append([]string{}, input.Order...)
	var rest []string
	for name := range input.Properties {
		if !contains(names, name) {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	names = append(names, rest...)
	for _, name := range names {
		prop, ok := input.Properties[name]
		if !ok {
			continue
		}
		prop = resolve(prop)
		switch {
		case name == "prompt", name == "sync_mode":
			continue
		case name == "image_url" || name == "image_urls":
			// The arity comes from the schema's type (an array takes a list), not the name.
			if typ, _ := prop.Type.(string); typ == "array" || prop.Items != nil {
				maxN := 4
				if prop.MaxItems != nil && *prop.MaxItems > 0 && *prop.MaxItems < 16 {
					maxN = *prop.MaxItems
				}
				minN := boolInt(required[name])
				if prop.MinItems != nil && *prop.MinItems > minN && *prop.MinItems <= maxN {
					minN = *prop.MinItems
				}
				m.Reference = &Reference{Field: name, Min: minN, Max: maxN, Multiple: true}
			} else {
				m.Reference = &Reference{Field: name, Min: boolInt(required[name]), Max: 1}
			}
			continue
		case strings.HasSuffix(name, "_url") || strings.HasSuffix(name, "_urls"):
			continue // other media inputs (video_url, mask_url…) are set through the JSON input
		}
		if p, ok := paramFrom(name, prop, resolve); ok && len(m.Params) < maxSchemaParams {
			m.Params = append(m.Params, p)
		}
	}
	m.Frames = framesFrom(input.Properties, resolve)
	return m, true
}

// framesFrom reads a custom model's start and end frame fields (SPEC §15.5): the first string
// property present among the known names of each; an end field only with a start field.
func framesFrom(props map[string]schemaNode, resolve func(schemaNode) schemaNode) *Frames {
	first := func(names ...string) string {
		for _, n := range names {
			p, ok := props[n]
			if !ok {
				continue
			}
			p = resolve(p)
			typ, _ := p.Type.(string)
			for _, alt := range p.AnyOf { // an optional field: anyOf string / null
				if t, _ := resolve(alt).Type.(string); t == "string" {
					typ = t
				}
			}
			if typ == "string" {
				return n
			}
		}
		return ""
	}
	start := first("image_url", "start_image_url", "first_frame_url", "first_image_url")
	if start == "" {
		return nil
	}
	f := &Frames{Start: start}
	if end := first("end_image_url", "tail_image_url", "last_frame_url", "last_image_url"); end != "" {
		f.End = &end
	}
	return f
}

func paramFrom(name string, n schemaNode, resolve func(schemaNode) schemaNode) (Param, bool) {
	p := Param{Name: name, Label: n.Title, Description: truncate(n.Description, 300), Default: n.Default}
	if p.Label == "" {
		p.Label = strings.ReplaceAll(name, "_", " ")
	}
	enum := n.Enum
	typ, _ := n.Type.(string)
	for _, alt := range n.AnyOf { // e.g. image_size: a preset enum or a {width,height} object
		alt = resolve(alt)
		if len(alt.Enum) > 0 {
			enum = alt.Enum
		}
		if t, _ := alt.Type.(string); typ == "" && t != "null" && t != "object" {
			typ = t
		}
	}
	switch {
	case len(enum) > 0:
		p.Type = "enum"
		for _, e := range enum {
			if s, ok := e.(string); ok {
				p.Options = append(p.Options, s)
			}
		}
		if len(p.Options) == 0 {
			return p, false
		}
		if s, ok := p.Default.(string); !ok || !contains(p.Options, s) {
			p.Default = nil
		}
	case name == "seed" && (typ == "integer" || typ == ""):
		p.Type, p.Default = "seed", nil
	case typ == "integer" || typ == "number":
		p.Type = typ
		p.Min, p.Max = n.Minimum, n.Maximum
		if typ == "integer" {
			one := 1.0
			p.Step = &one
		}
		if _, ok := p.Default.(float64); !ok {
			p.Default = nil
		}
	case typ == "boolean":
		p.Type = "boolean"
		if _, ok := p.Default.(bool); !ok {
			p.Default = nil
		}
	case typ == "string":
		p.Type = "string"
		if _, ok := p.Default.(string); !ok {
			p.Default = nil
		}
	default:
		return p, false // objects, arrays: the JSON input covers them
	}
	return p, true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// InputSchema is the JSON Schema of a model's input: the request body of the endpoint's POST in
// fal's OpenAPI document (a top-level $ref resolved, the document's schemas kept under $defs so
// nested references still resolve). A curated model fal has no document for gets a schema
// built from its known parameters.
func (s *Service) InputSchema(ctx context.Context, caller *model.User, id string) (map[string]any, error) {
	if !ValidModelID(id) {
		return nil, model.Errf(model.CodeInvalidInput, "Enter a fal model id like fal-ai/flux/dev.")
	}
	doc, err := s.fal.Schema(ctx, s.optionalKey(caller), id)
	if err == nil {
		if sc := inputSchemaOf(id, doc); sc != nil {
			return sc, nil
		}
	}
	if m := modelByID(id); m != nil {
		return schemaOfModel(m), nil
	}
	if err != nil {
		return nil, err
	}
	return nil, model.Errf(model.CodeNotFound, "fal has no input schema for %s.", id)
}

func inputSchemaOf(id string, raw json.RawMessage) map[string]any {
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	var op struct {
		RequestBody struct {
			Content map[string]struct {
				Schema map[string]any `json:"schema"`
			} `json:"content"`
		} `json:"requestBody"`
	}
	post, ok := doc.Paths["/"+id]["post"]
	if !ok || json.Unmarshal(post, &op) != nil {
		return nil
	}
	sc := op.RequestBody.Content["application/json"].Schema
	for range 4 {
		ref, _ := sc["$ref"].(string)
		if ref == "" {
			break
		}
		sc = doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
	}
	if sc == nil {
		return nil
	}
	if len(doc.Components.Schemas) > 0 {
		// Re-point nested references from the OpenAPI document to $defs of this schema.
		b, err := json.Marshal(doc.Components.Schemas)
		if err == nil {
			var defs map[string]any
			if json.Unmarshal([]byte(strings.ReplaceAll(string(b), `"#/components/schemas/`, `"#/$defs/`)), &defs) == nil {
				sc["$defs"] = defs
			}
		}
		if b, err := json.Marshal(sc); err == nil {
			var out map[string]any
			if json.Unmarshal([]byte(strings.ReplaceAll(string(b), `"#/components/schemas/`, `"#/$defs/`)), &out) == nil {
				sc = out
			}
		}
	}
	return sc
}

// schemaOfModel is a JSON Schema of a curated model's known parameters.
func schemaOfModel(m *Model) map[string]any {
	props := map[string]any{"prompt": map[string]any{"type": "string", "maxLength": MaxPromptChars}}
	for _, p := range m.Params {
		ps := map[string]any{"title": p.Label}
		switch p.Type {
		case "enum":
			ps["type"], ps["enum"] = "string", p.Options
		case "seed":
			ps["type"] = "integer"
		default:
			ps["type"] = p.Type
		}
		if p.Min != nil {
			ps["minimum"] = *p.Min
		}
		if p.Max != nil {
			ps["maximum"] = *p.Max
		}
		if p.Default != nil {
			ps["default"] = p.Default
		}
		if p.Description != "" {
			ps["description"] = p.Description
		}
		props[p.Name] = ps
	}
	if r := m.Reference; r != nil {
		if r.Multiple {
			props[r.Field] = map[string]any{"type": "array", "items": map[string]any{"type": "string", "format": "uri"}, "maxItems": r.Max}
		} else {
			props[r.Field] = map[string]any{"type": "string", "format": "uri"}
		}
	}
	sc := map[string]any{"type": "object", "properties": props}
	if m.PromptRequired {
		sc["required"] = []string{"prompt"}
	}
	return sc
}
