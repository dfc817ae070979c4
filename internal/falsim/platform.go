package falsim

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// schemaPath stands in for https://fal.ai/api/openapi/queue/openapi.json.
const schemaPath = "/fal/api/openapi/queue/openapi.json"

// platformAuth checks the key like api.fal.ai does (its own error envelope). optional allows
// anonymous calls (the models list); a key that is sent must still be valid.
func (s *Server) platformAuth(w http.ResponseWriter, r *http.Request, optional bool) (string, bool) {
	if optional && r.Header.Get("Authorization") == "" {
		return "", true
	}
	key, msg := checkKey(r)
	if msg != "" {
		writeJSON(w, http.StatusUnauthorized, platformError("authorization_error", "Authentication required"))
		return "", false
	}
	s.mu.Lock()
	s.lastKey = key
	s.mu.Unlock()
	return key, true
}

// billing is GET /v1/account/billing: ADMIN keys only, credits only with expand=credits
// (fal-api.md §9). API keys get the real 403 envelope.
func (s *Server) billing(w http.ResponseWriter, r *http.Request) {
	s.count("billing")
	key, ok := s.platformAuth(w, r, false)
	if !ok {
		return
	}
	if !isAdmin(key) {
		writeJSON(w, http.StatusForbidden, platformError("authorization_error", "Access denied"))
		return
	}
	s.mu.Lock()
	bal := s.opts.Balance
	s.mu.Unlock()
	body := map[string]any{"username": "sim-team"}
	if slices.Contains(strings.Split(r.URL.Query().Get("expand"), ","), "credits") {
		body["credits"] = map[string]any{"current_balance": bal, "currency": "USD"}
	}
	writeJSON(w, http.StatusOK, body)
}

// MetaIPRanges is what GET /v1/meta lists as webhook source ranges: the simulator delivers
// from loopback.
var MetaIPRanges = []string{"127.0.0.1/32", "::1/128"}

// meta is GET /v1/meta: the webhook source IP ranges, no key needed (fal-api.md §5.8).
func (s *Server) meta(w http.ResponseWriter, r *http.Request) {
	s.count("meta")
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, platformError("validation_error", "Method not allowed"))
		return
	}
	writeJSON(w, http.StatusOK, obj{"webhook_ip_ranges": MetaIPRanges})
}

// simModel is one catalogue entry with what its schema needs.
type simModel struct {
	id, name, category, desc string
	unit                     string
	price                    float64
	required                 []string
	input                    []prop // in form order
	output                   []prop
}

type prop struct {
	name   string
	schema map[string]any
}

type obj = map[string]any

var (
	promptProp    = prop{"prompt", obj{"type": "string", "title": "Prompt", "description": "The prompt to generate from.", "examples": []string{"A red fox in the snow"}}}
	seedProp      = prop{"seed", obj{"anyOf": []any{obj{"type": "integer"}, obj{"type": "null"}}, "title": "Seed", "description": "The same seed and prompt give the same output."}}
	numImagesProp = prop{"num_images", obj{"type": "integer", "title": "Num Images", "minimum": 1, "maximum": 4, "default": 1}}
	imageSizeProp = prop{"image_size", obj{"anyOf": []any{obj{"$ref": "#/components/schemas/ImageSize"},
		obj{"type": "string", "enum": []string{"square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9"}}},
		"title": "Image Size", "default": "landscape_4_3"}}
	syncProp     = prop{"sync_mode", obj{"type": "boolean", "title": "Sync Mode", "default": false, "description": "Return the media as a data URI instead of a CDN URL."}}
	imagesOut    = prop{"images", obj{"type": "array", "title": "Images", "items": obj{"$ref": "#/components/schemas/Image"}}}
	seedOut      = prop{"seed", obj{"type": "integer", "title": "Seed"}}
	videoOut     = prop{"video", obj{"$ref": "#/components/schemas/File", "title": "Video"}}
	aspectRatios = []string{"21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21"}
)

// catalogue is a few real models with schemas shaped like fal's (fal-api.md §7, §10). Tests
// elsewhere rely on: one kling model, one text-to-video model (veo3), three "flux" ids, and
// recraft's input being exactly prompt, image_size, num_images and seed.
var catalogue = []simModel{
	{id: "fal-ai/flux/dev", name: "FLUX.1 [dev]", category: "text-to-image", unit: "megapixels", price: 0.025,
		desc: "FLUX.1 [dev], a 12 billion parameter flow transformer.", required: []string{"prompt"},
		input: []prop{promptProp, imageSizeProp,
			{"num_inference_steps", obj{"type": "integer", "title": "Num Inference Steps", "minimum": 1, "maximum": 50, "default": 28}},
			seedProp,
			{"guidance_scale", obj{"type": "number", "title": "Guidance scale (CFG)", "minimum": 1, "maximum": 20, "default": 3.5}},
			syncProp, numImagesProp,
			{"enable_safety_checker", obj{"type": "boolean", "title": "Enable Safety Checker", "default": true}},
			{"output_format", obj{"type": "string", "enum": []string{"jpeg", "png"}, "title": "Output Format", "default": "jpeg"}},
			{"acceleration", obj{"type": "string", "enum": []string{"none", "regular", "high"}, "title": "Acceleration", "default": "none"}}},
		output: []prop{imagesOut, {"timings", obj{"type": "object", "title": "Timings"}}, seedOut,
			{"has_nsfw_concepts", obj{"type": "array", "items": obj{"type": "boolean"}, "title": "Has Nsfw Concepts"}}, {"prompt", obj{"type": "string", "title": "Prompt"}}}},
	{id: "fal-ai/flux/schnell", name: "FLUX.1 [schnell]", category: "text-to-image", unit: "megapixels", price: 0.003,
		desc: "FLUX.1 [schnell], 1 to 4 steps.", required: []string{"prompt"},
		input: []prop{promptProp, imageSizeProp,
			{"num_inference_steps", obj{"type": "integer", "title": "Num Inference Steps", "minimum": 1, "maximum": 12, "default": 4}},
			seedProp, syncProp, numImagesProp,
			{"enable_safety_checker", obj{"type": "boolean", "title": "Enable Safety Checker", "default": true}}},
		output: []prop{imagesOut, seedOut}},
	{id: "fal-ai/flux-pro/kontext", name: "FLUX.1 Kontext [pro]", category: "image-to-image", unit: "images", price: 0.04,
		desc: "Edit an image with a prompt.", required: []string{"prompt", "image_url"},
		input: []prop{promptProp,
			{"image_url", obj{"type": "string", "title": "Image URL", "description": "Image to edit.", "ui": obj{"field": "image"}}},
			{"aspect_ratio", obj{"type": "string", "enum": aspectRatios, "title": "Aspect Ratio"}},
			{"guidance_scale", obj{"type": "number", "title": "Guidance scale (CFG)", "minimum": 1, "maximum": 20, "default": 3.5}},
			numImagesProp, seedProp,
			{"safety_tolerance", obj{"type": "string", "enum": []string{"1", "2", "3", "4", "5", "6"}, "title": "Safety Tolerance", "default": "2"}},
			syncProp,
			{"output_format", obj{"type": "string", "enum": []string{"jpeg", "png"}, "title": "Output Format", "default": "jpeg"}},
			{"enhance_prompt", obj{"type": "boolean", "title": "Enhance Prompt", "default": false}}},
		output: []prop{imagesOut, seedOut}},
	{id: "fal-ai/nano-banana/edit", name: "Nano Banana Edit", category: "image-to-image", unit: "images", price: 0.039,
		desc: "Gemini image editing.", required: []string{"prompt", "image_urls"},
		input: []prop{promptProp,
			{"image_urls", obj{"type": "array", "items": obj{"type": "string"}, "title": "Image URLs", "maxItems": 10, "ui": obj{"field": "image"}}},
			numImagesProp,
			{"output_format", obj{"type": "string", "enum": []string{"jpeg", "png", "webp"}, "title": "Output Format", "default": "png"}},
			syncProp},
		output: []prop{imagesOut, {"description", obj{"type": "string", "title": "Description"}}}},
	{id: "fal-ai/bytedance/seedream/v4/text-to-image", name: "Seedream 4.0", category: "text-to-image", unit: "images", price: 0.03,
		desc: "ByteDance Seedream 4.0 text to image.", required: []string{"prompt"},
		input:  []prop{promptProp, imageSizeProp, numImagesProp, seedProp, syncProp, {"enable_safety_checker", obj{"type": "boolean", "default": true}}},
		output: []prop{imagesOut, seedOut}},
	{id: "fal-ai/recraft/v3/text-to-image", name: "Recraft V3", category: "text-to-image", unit: "images", price: 0.04,
		desc: "Recraft V3 text to image.", required: []string{"prompt"},
		input:  []prop{promptProp, imageSizeProp, numImagesProp, {"seed", obj{"type": "integer", "title": "Seed"}}},
		output: []prop{imagesOut}},
	{id: "fal-ai/veo3", name: "Veo 3", category: "text-to-video", unit: "seconds", price: 0.4,
		desc: "Google Veo 3 with sound.", required: []string{"prompt"},
		input: []prop{promptProp,
			{"aspect_ratio", obj{"type": "string", "enum": []string{"16:9", "9:16", "1:1"}, "title": "Aspect Ratio", "default": "16:9"}},
			{"duration", obj{"type": "string", "enum": []string{"8s"}, "title": "Duration", "default": "8s"}},
			{"negative_prompt", obj{"type": "string", "title": "Negative Prompt"}},
			{"enhance_prompt", obj{"type": "boolean", "title": "Enhance Prompt", "default": true}},
			seedProp,
			{"resolution", obj{"type": "string", "enum": []string{"720p", "1080p"}, "title": "Resolution", "default": "720p"}},
			{"generate_audio", obj{"type": "boolean", "title": "Generate Audio", "default": true}}},
		output: []prop{videoOut}},
	{id: "fal-ai/kling-video/v2.1/master/image-to-video", name: "Kling 2.1 Master", category: "image-to-video", unit: "videos", price: 1.4,
		desc: "Kling 2.1 Master image to video.", required: []string{"prompt", "image_url"},
		input: []prop{promptProp,
			{"image_url", obj{"type": "string", "title": "Image Url", "ui": obj{"field": "image"}}},
			{"duration", obj{"type": "string", "enum": []string{"5", "10"}, "title": "Duration", "default": "5"}},
			{"negative_prompt", obj{"type": "string", "title": "Negative Prompt", "default": "blur, distort, and low quality"}},
			{"cfg_scale", obj{"type": "number", "title": "Cfg Scale", "minimum": 0, "maximum": 1, "default": 0.5}}},
		output: []prop{videoOut}},
	{id: "fal-ai/minimax/speech-02-hd", name: "MiniMax Speech-02 HD", category: "text-to-speech", unit: "1000 characters", price: 0.1,
		desc: "Text to speech.", required: []string{"text"},
		input: []prop{{"text", obj{"type": "string", "title": "Text", "maxLength": 5000}},
			{"output_format", obj{"type": "string", "enum": []string{"url", "hex"}, "default": "url"}}},
		output: []prop{{"audio", obj{"$ref": "#/components/schemas/File", "title": "Audio"}}, {"duration_ms", obj{"type": "integer"}}}},
}

func findModel(id string) *simModel {
	for i := range catalogue {
		if catalogue[i].id == id {
			return &catalogue[i]
		}
	}
	return nil
}

// pascal names a schema after its endpoint, as fal does: fal-ai/flux/dev → FluxDev.
func pascal(id string) string {
	id = strings.TrimPrefix(id, "fal-ai/")
	var b strings.Builder
	up := true
	for _, c := range id {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			up = true
			continue
		}
		if up {
			c = unicode.ToUpper(c)
			up = false
		}
		b.WriteRune(c)
	}
	return b.String()
}

func objectSchema(title string, props []prop, required []string) obj {
	p, order := obj{}, make([]string, 0, len(props))
	for _, x := range props {
		p[x.name] = x.schema
		order = append(order, x.name)
	}
	o := obj{"title": title, "type": "object", "properties": p, "x-fal-order-properties": order}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// openAPI is the per-model queue document of fal-api.md §10.
func (s *Server) openAPI(m *simModel) obj {
	in, out := pascal(m.id)+"Input", pascal(m.id)+"Output"
	ref := func(n string) obj { return obj{"$ref": "#/components/schemas/" + n} }
	jsonOf := func(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }
	reqID := obj{"name": "request_id", "in": "path", "required": true, "schema": obj{"type": "string", "description": "Request ID"}}
	fileProps := func(extra ...prop) []prop {
		return append([]prop{{"url", obj{"type": "string", "title": "Url"}}, {"content_type", obj{"type": "string", "title": "Content Type"}},
			{"file_name", obj{"type": "string", "title": "File Name"}}, {"file_size", obj{"type": "integer", "title": "File Size"}}}, extra...)
	}
	outRequired := make([]string, 0, len(m.output))
	for _, p := range m.output {
		outRequired = append(outRequired, p.name)
	}
	return obj{
		"openapi": "3.0.4",
		"info": obj{"title": "Queue OpenAPI for " + m.id, "version": "1.0.0", "description": "The OpenAPI schema for the " + m.id + " queue.",
			"x-fal-metadata": obj{"endpointId": m.id, "category": m.category, "description": m.desc,
				"thumbnailUrl": "https://fal.media/files/example.jpg", "playgroundUrl": "https://fal.ai/models/" + m.id,
				"documentationUrl": "https://fal.ai/models/" + m.id + "/api"}},
		"servers":  []any{obj{"url": s.URLs().QueueURL}},
		"security": []any{obj{"apiKeyAuth": []any{}}},
		"components": obj{
			"securitySchemes": obj{"apiKeyAuth": obj{"type": "apiKey", "in": "header", "name": "Authorization", "description": "Fal Key"}},
			"schemas": obj{
				"QueueStatus": obj{"type": "object", "required": []string{"status", "request_id"}, "properties": obj{
					"status": obj{"type": "string", "enum": []string{"IN_QUEUE", "IN_PROGRESS", "COMPLETED"}}, "request_id": obj{"type": "string"},
					"response_url": obj{"type": "string"}, "status_url": obj{"type": "string"}, "cancel_url": obj{"type": "string"},
					"logs": obj{"type": "object", "additionalProperties": true}, "metrics": obj{"type": "object", "additionalProperties": true},
					"queue_position": obj{"type": "integer"}}},
				in:          objectSchema(in, m.input, m.required),
				out:         objectSchema(out, m.output, outRequired),
				"ImageSize": objectSchema("ImageSize", []prop{{"width", obj{"type": "integer", "title": "Width", "exclusiveMinimum": 0, "maximum": 14142, "default": 512}}, {"height", obj{"type": "integer", "title": "Height", "exclusiveMinimum": 0, "maximum": 14142, "default": 512}}}, nil),
				"Image":     objectSchema("Image", fileProps(prop{"width", obj{"type": "integer"}}, prop{"height", obj{"type": "integer"}}), []string{"url"}),
				"File":      objectSchema("File", fileProps(), []string{"url"}),
			},
		},
		"paths": obj{
			"/" + m.id + "/requests/{request_id}/status": obj{"get": obj{
				"parameters": []any{reqID, obj{"name": "logs", "in": "query", "required": false, "schema": obj{"type": "number", "description": "Whether to include logs (`1`) in the response or not (`0`)."}}},
				"responses":  obj{"200": obj{"description": "The request status.", "content": jsonOf(ref("QueueStatus"))}}}},
			"/" + m.id + "/requests/{request_id}/cancel": obj{"put": obj{"parameters": []any{reqID},
				"responses": obj{"200": obj{"description": "The request was cancelled.", "content": jsonOf(obj{"type": "object", "properties": obj{"success": obj{"type": "boolean"}}})}}}},
			"/" + m.id: obj{"post": obj{"requestBody": obj{"required": true, "content": jsonOf(ref(in))},
				"responses": obj{"200": obj{"description": "The request status.", "content": jsonOf(ref("QueueStatus"))}}}},
			"/" + m.id + "/requests/{request_id}": obj{"get": obj{"parameters": []any{reqID},
				"responses": obj{"200": obj{"description": "Result of the request.", "content": jsonOf(ref(out))}}}},
		},
	}
}

// models is GET /v1/models: q, category, status, endpoint_id (find mode), expand=openapi-3.0,
// limit and an opaque base64 cursor, as fal-api.md §9.2 describes.
func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	s.count("models")
	if _, ok := s.platformAuth(w, r, true); !ok {
		return
	}
	q := r.URL.Query()
	var ids []string
	for _, v := range q["endpoint_id"] {
		ids = append(ids, strings.Split(v, ",")...)
	}
	expand := slices.Contains(strings.Split(q.Get("expand"), ","), "openapi-3.0")
	var out []obj
	for i := range catalogue {
		m := &catalogue[i]
		if len(ids) > 0 && !slices.Contains(ids, m.id) {
			continue
		}
		if c := q.Get("category"); c != "" && m.category != c {
			continue
		}
		if st := q.Get("status"); st != "" && st != "active" {
			continue
		}
		if t := strings.ToLower(q.Get("q")); t != "" && !strings.Contains(strings.ToLower(m.id+" "+m.name+" "+m.desc), t) {
			continue
		}
		e := obj{"endpoint_id": m.id, "metadata": obj{"display_name": m.name, "category": m.category, "description": m.desc,
			"status": "active", "tags": []string{}, "updated_at": "2025-01-15T12:00:00Z", "is_favorited": false,
			"thumbnail_url": "https://fal.media/files/example.jpg", "model_url": "https://fal.run/" + m.id,
			"date": "2024-08-01T00:00:00Z", "highlighted": false, "pinned": false, "license_type": "commercial", "kind": "inference"}}
		if expand {
			e["openapi"] = s.openAPI(m)
		}
		out = append(out, e)
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	start := 0
	if c := q.Get("cursor"); c != "" {
		b, err := base64.StdEncoding.DecodeString(c)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, platformError("validation_error", "Invalid cursor"))
			return
		}
		start = min(n, len(out))
	}
	end := min(start+limit, len(out))
	var next any
	if end < len(out) {
		next = base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	page := out[start:end]
	if page == nil {
		page = []obj{}
	}
	writeJSON(w, http.StatusOK, obj{"models": page, "next_cursor": next, "has_more": next != nil})
}

// schema is the public per-model OpenAPI route (no key needed).
func (s *Server) schema(w http.ResponseWriter, r *http.Request) {
	s.count("schema")
	m := findModel(r.URL.Query().Get("endpoint_id"))
	if m == nil {
		writeJSON(w, http.StatusNotFound, obj{"detail": "Endpoint not found"})
		return
	}
	writeJSON(w, http.StatusOK, s.openAPI(m))
}
