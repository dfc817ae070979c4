package cost

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Unit kinds the studio can measure from a request's input.
const (
	unitImage      = "images"
	unitMegapixel  = "megapixels"
	unitSecond     = "seconds"
	unitMinute     = "minutes"
	unitVideo      = "videos"
	unitRequest    = "requests"
	unitCharacters = "characters"
	unitKChars     = "1000 characters"
)

// normalUnit maps fal's unit names ("image", "Images", "per megapixel", "video second",
// "1k characters") to one of the kinds above; "" when the input cannot measure it (GPU seconds,
// tokens), so only fal's historical estimate can price it.
func normalUnit(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	u = strings.TrimPrefix(u, "per ")
	u = strings.TrimSuffix(u, "s")
	switch u {
	case "image", "output image":
		return unitImage
	case "megapixel", "mp", "image megapixel":
		return unitMegapixel
	case "second", "video second", "sec", "output second":
		return unitSecond
	case "minute", "audio minute":
		return unitMinute
	case "video", "output video", "clip":
		return unitVideo
	case "request", "call", "run", "generation", "unit":
		return unitRequest
	case "character":
		return unitCharacters
	case "1000 character", "1k character", "thousand character":
		return unitKChars
	}
	return ""
}

// imageSizes are fal's image_size presets.
var imageSizes = map[string][2]float64{
	"square_hd": {1024, 1024}, "square": {512, 512},
	"portrait_4_3": {768, 1024}, "portrait_16_9": {576, 1024},
	"landscape_4_3": {1024, 768}, "landscape_16_9": {1024, 576},
	"auto_2K": {2048, 2048}, "auto_4K": {4096, 4096},
}

// megapixel is fal's: 1024×1024 is one megapixel, and each image is rounded up to whole ones
// ("Images are billed by rounding up to the nearest megapixel").
const megapixel = 1024 * 1024

// quantity measures the request in the unit; ok is false when the input does not say (a video
// without a duration, say). p holds the request's params over the model's defaults.
func quantity(unit string, prompt string, p map[string]any) (float64, bool) {
	count := 1.0
	if n, ok := num(p["num_images"]); ok && n >= 1 {
		count = math.Floor(n)
	}
	switch unit {
	case unitImage:
		return count, true
	case unitMegapixel:
		return count * imageMegapixels(p), true
	case unitSecond:
		s, ok := seconds(p)
		return s, ok
	case unitMinute:
		s, ok := seconds(p)
		return s / 60, ok
	case unitVideo:
		if n, ok := num(p["num_videos"]); ok && n >= 1 {
			return math.Floor(n), true
		}
		return 1, true
	case unitRequest:
		return 1, true
	case unitCharacters, unitKChars:
		text := prompt
		if t, ok := p["text"].(string); ok && t != "" {
			text = t
		}
		c := float64(utf8.RuneCountInString(text))
		if unit == unitKChars {
			c /= 1000
		}
		return c, c > 0
	}
	return 0, false
}

// imageMegapixels is one image's billed megapixels: from image_size (a preset or
// {width, height}); otherwise fal's models make about one megapixel (aspect_ratio only picks the
// shape), so one is assumed.
func imageMegapixels(p map[string]any) float64 {
	w, h := 0.0, 0.0
	switch v := p["image_size"].(type) {
	case string:
		if d, ok := imageSizes[v]; ok {
			w, h = d[0], d[1]
		}
	case map[string]any:
		w, _ = num(v["width"])
		h, _ = num(v["height"])
	}
	if w <= 0 || h <= 0 {
		return 1
	}
	return math.Max(1, math.Ceil(w*h/megapixel))
}

// seconds is a video's length: duration ("5", "8s", 5) or num_frames at frames_per_second
// (16 by default, Wan's rate).
func seconds(p map[string]any) (float64, bool) {
	if d, ok := num(p["duration"]); ok && d > 0 {
		return d, true
	}
	if n, ok := num(p["num_frames"]); ok && n > 0 {
		fps, ok := num(p["frames_per_second"])
		if !ok || fps <= 0 {
			fps = 16
		}
		return math.Round(n/fps*100) / 100, true
	}
	return 0, false
}

// num reads a number from JSON (float64 or json.Number) or from a string such as "5" or "8s".
func num(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, !math.IsNaN(n) && !math.IsInf(n, 0)
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case string:
		s := strings.TrimSuffix(strings.TrimSpace(strings.ToLower(n)), "s")
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}
