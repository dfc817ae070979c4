package fal

import (
	"encoding/json"
	"sort"
	"strings"
)

// Output is one file a model returned.
type Output struct {
	URL         string
	ContentType string
	FileName    string
	Width       int
	Height      int
	Kind        string // image | video | audio | "" when unknown (the bytes decide later)
	// Flagged: the result's has_nsfw_concepts flagged this entry of images (one boolean
	// flags every image).
	Flagged bool
}

// maxOutputs bounds how many files one result may name.
const maxOutputs = 32

// ExtractOutputs walks a result and collects every file object (an object with a string url)
// and every *_url string, in document order, de-duplicated: images[], image, video, videos[],
// audio, audio_file, audio_url, nested File objects. Input echoes (image_url inside "input") are
// skipped.
func ExtractOutputs(result json.RawMessage) []Output {
	var doc any
	dec := json.NewDecoder(strings.NewReader(string(result)))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return nil
	}
	var out []Output
	seen := map[string]bool{}
	var walk func(v any, key string, depth int)
	walk = func(v any, key string, depth int) {
		if depth > 8 || len(out) >= maxOutputs {
			return
		}
		switch t := v.(type) {
		case map[string]any:
			if u, ok := t["url"].(string); ok && isFileURL(u) {
				o := Output{URL: u, Kind: kindHint(key)}
				o.ContentType, _ = t["content_type"].(string)
				o.FileName, _ = t["file_name"].(string)
				o.Width, o.Height = intOf(t["width"]), intOf(t["height"])
				if k := kindFromType(o.ContentType); k != "" {
					o.Kind = k
				}
				if !seen[u] {
					seen[u] = true
					out = append(out, o)
				}
				return
			}
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys) // deterministic order: outputs are numbered
			for _, k := range keys {
				if k == "input" || k == "request" || k == "prompt" {
					continue
				}
				walk(t[k], k, depth+1)
			}
		case []any:
			for _, x := range t {
				walk(x, key, depth+1)
			}
		case string:
			if strings.HasSuffix(key, "_url") || strings.HasSuffix(key, "_urls") {
				if isFileURL(t) && !seen[t] && !strings.HasPrefix(key, "image_url") && key != "thumbnail_url" {
					seen[t] = true
					out = append(out, Output{URL: t, Kind: kindHint(key)})
				}
			}
		}
	}
	walk(doc, "", 0)
	markFlagged(doc, out)
	return out
}

// markFlagged reads has_nsfw_concepts: its i-th boolean flags the i-th entry of images, and a
// single boolean flags every image.
func markFlagged(doc any, out []Output) {
	top, ok := doc.(map[string]any)
	if !ok {
		return
	}
	images, _ := top["images"].([]any)
	flagged := map[string]bool{}
	switch v := top["has_nsfw_concepts"].(type) {
	case bool:
		for _, im := range images {
			if m, ok := im.(map[string]any); ok && v {
				if u, ok := m["url"].(string); ok {
					flagged[u] = true
				}
			}
		}
	case []any:
		for i, f := range v {
			if b, ok := f.(bool); ok && b && i < len(images) {
				if m, ok := images[i].(map[string]any); ok {
					if u, ok := m["url"].(string); ok {
						flagged[u] = true
					}
				}
			}
		}
	}
	for i := range out {
		out[i].Flagged = flagged[out[i].URL]
	}
}

func isFileURL(u string) bool {
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "data:")
}

func kindHint(key string) string {
	k := strings.ToLower(key)
	switch {
	case strings.Contains(k, "video"):
		return "video"
	case strings.Contains(k, "audio"):
		return "audio"
	case strings.Contains(k, "image"):
		return "image"
	}
	return ""
}

func kindFromType(ct string) string {
	switch {
	case strings.HasPrefix(ct, "image/"):
		return "image"
	case strings.HasPrefix(ct, "video/"):
		return "video"
	case strings.HasPrefix(ct, "audio/"):
		return "audio"
	}
	return ""
}

func intOf(v any) int {
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil && i > 0 && i < 1<<20 {
			return int(i)
		}
	}
	return 0
}
