package falsim

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"strings"
)

// The endpoints of SPEC §14 the simulator answers in their own shapes.
const (
	// LLMEndpoint is fal's "any LLM" endpoint, powered by OpenRouter: input {model,
	// system_prompt?, prompt, temperature?, max_tokens?}, output {output, reasoning, partial,
	// error, usage{prompt_tokens, completion_tokens, total_tokens, cost}}.
	LLMEndpoint = "openrouter/router"
	// UpscaleEndpoint (Recraft Crisp Upscale) and RemoveBackgroundEndpoint (Bria RMBG 2.0) take
	// image_url and answer {"image": File}.
	UpscaleEndpoint          = "fal-ai/recraft/upscale/crisp"
	RemoveBackgroundEndpoint = "fal-ai/bria/background/remove"
)

// Prompt words of the LLM endpoint.
const (
	PromptLLMError = "llm-error" // the LLM answers with "error" set and no output
	PromptLLMEmpty = "llm-empty" // the LLM answers white space only
	// LLMSuffix is what the simulated LLM adds to the prompt it rewrites.
	LLMSuffix = "in rich detail, soft natural light"
)

// llmPrices are per token, as OpenRouter bills google/gemini-2.5-flash (input, output).
const llmInputPerToken, llmOutputPerToken = 0.0000003, 0.0000025

// tokens estimates a token count the way tokenizers land on English: about 4 characters each.
func tokens(s string) int { return len(s)/4 + 1 }

// isImageInput reports whether the endpoint is one of the derive models that take image_url.
func isImageInput(endpoint string) bool {
	return endpoint == UpscaleEndpoint || endpoint == RemoveBackgroundEndpoint
}

// inputError is the 422 fal answers for an input its schema refuses ("" when it is fine).
func inputError(j *job) (field, msg string) {
	switch {
	case j.Endpoint == LLMEndpoint:
		if m, _ := j.Input["model"].(string); strings.TrimSpace(m) == "" {
			return "model", "Field required"
		}
		if p, _ := j.Input["prompt"].(string); p == "" {
			return "prompt", "Field required"
		}
	case isImageInput(j.Endpoint):
		u, _ := j.Input["image_url"].(string)
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "data:") {
			return "image_url", "Field required"
		}
	}
	return "", ""
}

func writeInputError(w http.ResponseWriter, field, msg string) {
	w.Header().Set("X-Fal-Retryable", "false")
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": []any{map[string]any{"loc": []string{"body", field},
		"msg": msg, "type": "missing"}}})
}

// llmOutput answers the LLM endpoint: the prompt rewritten (with white space around it, as
// LLMs often send), or the scripted error, with token usage and its cost in USD.
func (s *Server) llmOutput(j *job) map[string]any {
	prompt, _ := j.Input["prompt"].(string)
	system, _ := j.Input["system_prompt"].(string)
	out := map[string]any{"reasoning": nil, "partial": false, "error": nil}
	text := "\n  " + strings.TrimRight(strings.TrimSpace(prompt), ".") + ", " + LLMSuffix + ".\n"
	switch {
	case strings.Contains(prompt, PromptLLMError):
		text = ""
		out["error"] = "Provider returned error"
	case strings.Contains(prompt, PromptLLMEmpty):
		text = "  \n"
	}
	out["output"] = text
	in, o := tokens(system)+tokens(prompt), tokens(text)
	cost := float64(in)*llmInputPerToken + float64(o)*llmOutputPerToken
	out["usage"] = map[string]any{"prompt_tokens": in, "completion_tokens": o, "total_tokens": in + o,
		"cost": math.Round(cost*1e9) / 1e9}
	return out
}

// imageOutput answers a derive endpoint with one PNG: upscaled twice (within MaxImageSide),
// or with a transparent background.
func (s *Server) imageOutput(j *job, fileURL func(name, ctype string, data []byte) string) map[string]any {
	s.mu.Lock()
	maxSide := s.opts.MaxImageSide
	s.mu.Unlock()
	w, h := imageSize(map[string]any{"image_size": "square_hd"}, maxSide)
	src := pattern(w, h, 0)
	img := image.Image(src)
	if j.Endpoint == RemoveBackgroundEndpoint {
		rgba := image.NewNRGBA(src.Bounds())
		for y := range h {
			for x := range w {
				c := color.NRGBAModel.Convert(src.At(x, y)).(color.NRGBA)
				if x < w/4 || x >= w-w/4 {
					c.A = 0
				}
				rgba.SetNRGBA(x, y, c)
			}
		}
		img = rgba
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	name := j.ID + "-image.png"
	return map[string]any{"image": map[string]any{"url": fileURL(name, "image/png", buf.Bytes()), "width": w, "height": h,
		"content_type": "image/png", "file_name": "image.png", "file_size": buf.Len()}}
}

func inputErrorOf(j *job) bool { f, _ := inputError(j); return f != "" }
