package generation

import (
	"regexp"
	"strings"

	"github.com/falstudio/falstudio/internal/model"
)

// Tasks a model performs.
const (
	TaskTextToImage  = "text-to-image"
	TaskImageEdit    = "image-edit"
	TaskTextToVideo  = "text-to-video"
	TaskImageToVideo = "image-to-video"
	TaskCustom       = "custom"
	// The derive tasks (SPEC §14): one click on an asset makes a new one from it.
	TaskUpscale          = "upscale"
	TaskRemoveBackground = "remove-background"
)

// Prompt guides (SPEC §14): how each task's models like to be prompted, sent verbatim to the
// prompt enhancer. Models of one task share a guide; different tasks never do.
var promptGuides = map[string]string{
	TaskTextToImage: "Write plain, concrete sentences: the subject first, then the setting, then the style, the light and the " +
		"camera or medium. Prefer specific details (materials, colours, lens, time of day) to vague praise such as " +
		"'beautiful' or 'masterpiece'. Put any words the image must show in quotes.",
	TaskImageEdit: "Give one clear instruction that says what to change and what to keep: name the thing to change by how it " +
		"looks in the image, say the change, then say what must stay the same (faces, framing, colours, text).",
	TaskTextToVideo: "Describe one shot in plain present tense: the subject, then the action, then the camera movement " +
		"(static, slow push-in, tracking, aerial), then the mood, light and sound. One or two sentences.",
	TaskImageToVideo: "The image already sets the scene: do not describe it again. Say only what moves: the subject's " +
		"action, the camera movement and the mood, in one or two short present-tense sentences.",
	TaskUpscale: "An upscaler takes no prompt: it works on the image alone. Keep the prompt as a short caption of the " +
		"image for the gallery.",
	TaskRemoveBackground: "Background removal takes no prompt: it keeps the main subject and makes the rest transparent. " +
		"Keep the prompt as a short caption of the subject for the gallery.",
}

// GenericPromptGuide is the guide for a model outside the catalogue.
const GenericPromptGuide = "Write a clear, specific prompt in plain sentences: the subject first, then what it does, the " +
	"setting, the style and the light. Keep every subject and constraint of the original."

// PromptGuide is a model's prompting guide: its task's for a catalogue model, the generic guide
// otherwise.
func PromptGuide(modelID string) string {
	if m := modelByID(modelID); m != nil && m.PromptGuide != nil {
		return *m.PromptGuide
	}
	return GenericPromptGuide
}

// Model is one entry of the curated catalogue, as the UI renders it.
type Model struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	Task           string     `json:"task"`
	Output         string     `json:"output"` // image | video | audio
	Description    string     `json:"description"`
	PromptRequired bool       `json:"promptRequired"`
	Reference      *Reference `json:"reference"`
	Params         []Param    `json:"params"`
	// Frames names the inputs that take a clip's first and last frame (SPEC §15.5); nil for a
	// model without a start frame.
	Frames *Frames `json:"frames"`
	// PromptGuide says how the model likes to be prompted (nil outside the catalogue).
	PromptGuide *string `json:"promptGuide"`
}

// Frames are a model's start- and end-frame input fields; End is nil when it takes no end frame.
type Frames struct {
	Start string  `json:"start"`
	End   *string `json:"end"`
}

func str(v string) *string { return &v }

// Reference says which input field takes reference images, and how many. Multiple says the
// field is a list of URLs (false: one URL string), so the UI never guesses from the name.
type Reference struct {
	Field    string `json:"field"`
	Min      int    `json:"min"`
	Max      int    `json:"max"`
	Multiple bool   `json:"multiple"`
}

// Param is one model parameter the UI can render.
type Param struct {
	Name        string   `json:"name"`
	Label       string   `json:"label"`
	Type        string   `json:"type"` // enum | integer | number | boolean | string | seed
	Options     []string `json:"options,omitempty"`
	Min         *float64 `json:"min,omitempty"`
	Max         *float64 `json:"max,omitempty"`
	Step        *float64 `json:"step,omitempty"`
	Default     any      `json:"default,omitempty"`
	Description string   `json:"description,omitempty"`
}

func f(v float64) *float64 { return &v }

var (
	imageSizes   = []string{"square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9"}
	imageSize    = Param{Name: "image_size", Label: "Size", Type: "enum", Options: imageSizes, Default: "landscape_4_3", Description: "Output size preset."}
	numImages    = Param{Name: "num_images", Label: "Images", Type: "integer", Min: f(1), Max: f(4), Step: f(1), Default: 1, Description: "How many images to make."}
	seed         = Param{Name: "seed", Label: "Seed", Type: "seed", Description: "The same seed and settings give the same image. Leave empty for a random one."}
	safety       = Param{Name: "enable_safety_checker", Label: "Safety checker", Type: "boolean", Default: true}
	outputFormat = Param{Name: "output_format", Label: "Format", Type: "enum", Options: []string{"jpeg", "png"}, Default: "jpeg"}
	aspectWide   = []string{"21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21"}
	negative     = Param{Name: "negative_prompt", Label: "Negative prompt", Type: "string", Description: "What to avoid."}
)

// catalogue is the curated list shipped in the binary.
var catalogue = []Model{
	{
		ID: "fal-ai/flux/schnell", Name: "FLUX.1 [schnell]", Task: TaskTextToImage, Output: model.KindImage, PromptRequired: true,
		Description: "Very fast text-to-image in 1–4 steps; good for drafts.",
		Params: []Param{imageSize, numImages,
			{Name: "num_inference_steps", Label: "Steps", Type: "integer", Min: f(1), Max: f(12), Step: f(1), Default: 4},
			seed, safety, outputFormat},
	},
	{
		ID: "fal-ai/flux/dev", Name: "FLUX.1 [dev]", Task: TaskTextToImage, Output: model.KindImage, PromptRequired: true,
		Description: "High-quality open-weights text-to-image.",
		Params: []Param{imageSize, numImages,
			{Name: "num_inference_steps", Label: "Steps", Type: "integer", Min: f(1), Max: f(50), Step: f(1), Default: 28},
			{Name: "guidance_scale", Label: "Guidance", Type: "number", Min: f(1), Max: f(20), Step: f(0.5), Default: 3.5, Description: "How closely to follow the prompt."},
			seed, safety, outputFormat},
	},
	{
		ID: "fal-ai/flux-pro/v1.1", Name: "FLUX1.1 [pro]", Task: TaskTextToImage, Output: model.KindImage, PromptRequired: true,
		Description: "Black Forest Labs' professional model: sharp detail, strong prompt following.",
		Params: []Param{imageSize, numImages, seed,
			{Name: "safety_tolerance", Label: "Safety tolerance", Type: "enum", Options: []string{"1", "2", "3", "4", "5", "6"}, Default: "2", Description: "1 is the strictest."},
			{Name: "enhance_prompt", Label: "Enhance prompt", Type: "boolean", Default: false},
			outputFormat},
	},
	{
		ID: "fal-ai/bytedance/seedream/v4/text-to-image", Name: "Seedream 4.0", Task: TaskTextToImage, Output: model.KindImage, PromptRequired: true,
		Description: "ByteDance's text-to-image with crisp typography and up to 4K output.",
		Params: []Param{{Name: "image_size", Label: "Size", Type: "enum", Options: append(append([]string{}, imageSizes...), "auto_2K", "auto_4K"), Default: "square_hd"},
			{Name: "num_images", Label: "Images", Type: "integer", Min: f(1), Max: f(6), Step: f(1), Default: 1}, seed, safety},
	},
	{
		ID: "fal-ai/nano-banana", Name: "Nano Banana", Task: TaskTextToImage, Output: model.KindImage, PromptRequired: true,
		Description: "Google's Gemini image model: natural-language image making.",
		Params:      []Param{numImages, {Name: "output_format", Label: "Format", Type: "enum", Options: []string{"jpeg", "png", "webp"}, Default: "png"}},
	},
	{
		ID: "fal-ai/flux-pro/kontext", Name: "FLUX.1 Kontext [pro]", Task: TaskImageEdit, Output: model.KindImage, PromptRequired: true,
		Description: "Edit an image with an instruction: change style, objects or text while keeping the rest.",
		Reference:   &Reference{Field: "image_url", Min: 1, Max: 1},
		Params: []Param{{Name: "aspect_ratio", Label: "Aspect ratio", Type: "enum", Options: aspectWide, Description: "Leave empty to keep the input's."},
			{Name: "guidance_scale", Label: "Guidance", Type: "number", Min: f(1), Max: f(20), Step: f(0.5), Default: 3.5},
			numImages, seed,
			{Name: "safety_tolerance", Label: "Safety tolerance", Type: "enum", Options: []string{"1", "2", "3", "4", "5", "6"}, Default: "2"},
			outputFormat},
	},
	{
		ID: "fal-ai/nano-banana/edit", Name: "Nano Banana Edit", Task: TaskImageEdit, Output: model.KindImage, PromptRequired: true,
		Description: "Edit or combine up to several images with an instruction.",
		Reference:   &Reference{Field: "image_urls", Min: 1, Max: 4, Multiple: true},
		Params:      []Param{numImages, {Name: "output_format", Label: "Format", Type: "enum", Options: []string{"jpeg", "png", "webp"}, Default: "png"}},
	},
	{
		ID: "fal-ai/kling-video/v2.1/master/image-to-video", Name: "Kling 2.1 Master", Task: TaskImageToVideo, Output: model.KindVideo, PromptRequired: true,
		Description: "Animate a still image into a cinematic 5 or 10 second clip.",
		Reference:   &Reference{Field: "image_url", Min: 1, Max: 1},
		Frames:      &Frames{Start: "image_url"},
		Params: []Param{{Name: "duration", Label: "Duration (s)", Type: "enum", Options: []string{"5", "10"}, Default: "5"},
			{Name: "negative_prompt", Label: "Negative prompt", Type: "string", Default: "blur, distort, and low quality"},
			{Name: "cfg_scale", Label: "CFG scale", Type: "number", Min: f(0), Max: f(1), Step: f(0.05), Default: 0.5}},
	},
	{
		ID: "fal-ai/minimax/hailuo-02/standard/image-to-video", Name: "MiniMax Hailuo 02", Task: TaskImageToVideo, Output: model.KindVideo, PromptRequired: true,
		Description: "MiniMax's image-to-video with strong physics and motion.",
		Reference:   &Reference{Field: "image_url", Min: 1, Max: 1},
		Frames:      &Frames{Start: "image_url", End: str("end_image_url")},
		Params: []Param{{Name: "duration", Label: "Duration (s)", Type: "enum", Options: []string{"6", "10"}, Default: "6"},
			{Name: "prompt_optimizer", Label: "Prompt optimizer", Type: "boolean", Default: true}},
	},
	{
		ID: "fal-ai/veo3", Name: "Veo 3", Task: TaskTextToVideo, Output: model.KindVideo, PromptRequired: true,
		Description: "Google's Veo 3: text-to-video with native sound.",
		Params: []Param{{Name: "aspect_ratio", Label: "Aspect ratio", Type: "enum", Options: []string{"16:9", "9:16", "1:1"}, Default: "16:9"},
			{Name: "duration", Label: "Duration", Type: "enum", Options: []string{"8s"}, Default: "8s"},
			{Name: "resolution", Label: "Resolution", Type: "enum", Options: []string{"720p", "1080p"}, Default: "720p"},
			{Name: "generate_audio", Label: "Generate audio", Type: "boolean", Default: true},
			negative, {Name: "enhance_prompt", Label: "Enhance prompt", Type: "boolean", Default: true}, seed},
	},
	{
		ID: "fal-ai/wan/v2.2-a14b/text-to-video", Name: "Wan 2.2", Task: TaskTextToVideo, Output: model.KindVideo, PromptRequired: true,
		Description: "Open-weights text-to-video from Alibaba's Wan team.",
		Params: []Param{{Name: "aspect_ratio", Label: "Aspect ratio", Type: "enum", Options: []string{"16:9", "9:16", "1:1"}, Default: "16:9"},
			{Name: "resolution", Label: "Resolution", Type: "enum", Options: []string{"480p", "580p", "720p"}, Default: "720p"},
			{Name: "num_frames", Label: "Frames", Type: "integer", Min: f(17), Max: f(161), Step: f(4), Default: 81},
			negative, seed, safety},
	},
	{
		ID: "fal-ai/recraft/upscale/crisp", Name: "Recraft Crisp Upscale", Task: TaskUpscale, Output: model.KindImage,
		Description: "A sharper picture at a higher resolution, faithful to the original.",
		Reference:   &Reference{Field: "image_url", Min: 1, Max: 1},
		Params:      []Param{safety},
	},
	{
		ID: "fal-ai/bria/background/remove", Name: "Bria RMBG 2.0", Task: TaskRemoveBackground, Output: model.KindImage,
		Description: "Removes the background: a PNG of the subject on transparency.",
		Reference:   &Reference{Field: "image_url", Min: 1, Max: 1},
		Params: []Param{{Name: "preserve_partial_alpha", Label: "Keep soft edges", Type: "boolean", Default: false,
			Description: "Keep partly transparent pixels (hair, glass) instead of cutting them."}},
	},
}

func init() {
	for i := range catalogue {
		if g, ok := promptGuides[catalogue[i].Task]; ok {
			catalogue[i].PromptGuide = &g
		}
	}
}

// Catalogue returns the curated models.
func Catalogue() []Model { return catalogue }

// ModelByID is a curated model (nil outside the catalogue).
func ModelByID(id string) *Model { return modelByID(id) }

// ModelName is a curated model's name ("" for a model outside the catalogue).
func ModelName(id string) string {
	if m := modelByID(id); m != nil {
		return m.Name
	}
	return ""
}

// modelByID finds a curated model.
func modelByID(id string) *Model {
	for i := range catalogue {
		if catalogue[i].ID == id {
			return &catalogue[i]
		}
	}
	return nil
}

// modelIDPattern is a fal endpoint id: owner/app with optional sub-paths, each segment made of
// letters, digits, '.', '_' and '-' (never "." or ".." alone, so it cannot walk a URL path).
var modelIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(/[A-Za-z0-9][A-Za-z0-9._-]{0,63}){1,5}$`)

// ValidModelID reports whether id is a well-formed fal endpoint id.
func ValidModelID(id string) bool {
	if len(id) > 200 || !modelIDPattern.MatchString(id) {
		return false
	}
	for _, seg := range strings.Split(id, "/") {
		if strings.Trim(seg, ".") == "" {
			return false
		}
	}
	return true
}

// ParamDefaults are a curated model's parameter defaults (nil for other models): the price of
// a request that leaves a parameter out is the price of its default.
func ParamDefaults(modelID string) map[string]any {
	m := modelByID(modelID)
	if m == nil {
		return nil
	}
	out := map[string]any{}
	for _, p := range m.Params {
		if p.Default != nil {
			out[p.Name] = p.Default
		}
	}
	return out
}
