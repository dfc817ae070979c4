package falsim

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sample.mp4 is 320x180, 2 s, H.264 Constrained Baseline with the moov atom first, so Chromium
// plays it progressively; sample-poster.png is a frame of it.
var (
	//go:embed testdata/sample.mp4
	sampleMP4 []byte
	//go:embed testdata/sample-poster.png
	samplePoster []byte
)

// SetClip makes a video model return data when its prompt contains "clip:<name>" (tests of
// stitching and frames use real clips of several sizes, with and without sound).
func (s *Server) SetClip(name string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clips[name] = data
}

// clip is the video a prompt asks for: a named clip, else SampleMP4.
func (s *Server) clip(prompt string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range strings.Fields(prompt) {
		if name, ok := strings.CutPrefix(w, "clip:"); ok {
			if d, ok := s.clips[name]; ok {
				return d
			}
		}
	}
	return sampleMP4
}

// SampleMP4 is the video every video model returns (a copy).
func SampleMP4() []byte { return bytes.Clone(sampleMP4) }

// SamplePoster is a PNG frame of SampleMP4 (a copy), for tests that need a poster image.
func SamplePoster() []byte { return bytes.Clone(samplePoster) }

var (
	videoWords = []string{"video", "veo", "wan", "kling", "hailuo", "minimax", "seedance"}
	audioWords = []string{"speech", "tts", "audio", "music"}
)

// Kind is the output kind an endpoint id gets from the simulator: "image", "video" or "audio".
func Kind(endpoint string) string {
	e := strings.ToLower(endpoint)
	for _, w := range audioWords {
		if strings.Contains(e, w) {
			return "audio"
		}
	}
	for _, w := range videoWords {
		if strings.Contains(e, w) {
			return "video"
		}
	}
	return "image"
}

// output builds a completed job's result document, creating its files on the CDN.
func (s *Server) output(j *job) map[string]any {
	p := j.Prompt
	u := s.URLs()
	fileURL := func(name, ctype string, data []byte) string {
		url := s.AddFile(name, ctype, data)
		switch {
		case strings.Contains(p, PromptEvilURL):
			return "http://169.254.169.254/latest/meta-data/" + name
		case strings.Contains(p, PromptOtherHost):
			_, port, _ := net.SplitHostPort(u.MediaHosts)
			return "http://localhost:" + port + "/cdn/files/" + name
		case strings.Contains(p, PromptExpire):
			s.RemoveFile(name)
		case strings.Contains(p, PromptRedirect):
			return u.CDNURL + "/redirect/2/" + name
		}
		return url
	}
	switch {
	case j.Endpoint == LLMEndpoint:
		return s.llmOutput(j)
	case isImageInput(j.Endpoint):
		return s.imageOutput(j, fileURL)
	}
	switch Kind(j.Endpoint) {
	case "video":
		name := j.ID + "-output.mp4"
		data := s.clip(p)
		return map[string]any{"video": map[string]any{"url": fileURL(name, "video/mp4", data), "content_type": "video/mp4",
			"file_name": "output.mp4", "file_size": len(data)}, "seed": 42}
	case "audio":
		data := makeWAV(8000, 500*time.Millisecond)
		name := j.ID + "-output.wav"
		return map[string]any{"audio": map[string]any{"url": fileURL(name, "audio/wav", data), "content_type": "audio/wav",
			"file_name": "output.wav", "file_size": len(data)}, "duration_ms": 500}
	}
	s.mu.Lock()
	maxSide := s.opts.MaxImageSide
	s.mu.Unlock()
	wd, ht := imageSize(j.Input, maxSide)
	n := 1
	if v, ok := j.Input["num_images"].(float64); ok && v >= 1 && v <= 8 {
		n = int(v)
	}
	images := make([]any, 0, n)
	for i := range n {
		ext, ctype := "png", "image/png"
		img := pattern(wd, ht, i)
		var data []byte
		switch {
		case strings.Contains(p, PromptHTMLOutput):
			data = []byte("<!doctype html><html><body><script>alert(document.cookie)</script></body></html>")
		case strings.Contains(p, PromptSVGOutput):
			ext, ctype = "svg", "image/svg+xml"
			data = []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>`)
		default:
			var buf bytes.Buffer
			_ = png.Encode(&buf, img)
			data = buf.Bytes()
			if strings.Contains(p, PromptC2PAOutput) {
				data = withCaBX(data)
			}
		}
		name := fmt.Sprintf("%s-%d.%s", j.ID, i, ext)
		images = append(images, map[string]any{"url": fileURL(name, ctype, data), "width": wd, "height": ht,
			"content_type": ctype, "file_name": fmt.Sprintf("output-%d.%s", i, ext), "file_size": len(data)})
	}
	nsfw := make([]bool, n)
	if strings.Contains(p, PromptFlagged) && n > 0 {
		nsfw[0] = true
	}
	out := map[string]any{"images": images, "seed": 42, "has_nsfw_concepts": nsfw, "prompt": p,
		"timings": map[string]any{"inference": 0.5}}
	if strings.Contains(j.Endpoint, "nano-banana") {
		out = map[string]any{"images": images, "description": "Here is the image you asked for."}
	}
	return out
}

var presets = map[string][2]int{"square_hd": {1024, 1024}, "square": {512, 512}, "portrait_4_3": {768, 1024},
	"portrait_16_9": {576, 1024}, "landscape_4_3": {1024, 768}, "landscape_16_9": {1024, 576}}

// imageSize reads image_size (a preset or {width,height}) or aspect_ratio ("16:9"; long side
// 1024), then scales to at most maxSide on the long side keeping the ratio (maxSide < 0: none).
func imageSize(in map[string]any, maxSide int) (int, int) {
	w, h := 1024, 768
	switch v := in["image_size"].(type) {
	case string:
		if p, ok := presets[v]; ok {
			w, h = p[0], p[1]
		}
	case map[string]any:
		fw, _ := v["width"].(float64)
		fh, _ := v["height"].(float64)
		if fw >= 1 && fh >= 1 && fw <= 4096 && fh <= 4096 {
			w, h = int(fw), int(fh)
		}
	}
	if ar, ok := in["aspect_ratio"].(string); ok {
		a, b, found := strings.Cut(ar, ":")
		x, e1 := strconv.Atoi(a)
		y, e2 := strconv.Atoi(b)
		if found && e1 == nil && e2 == nil && x > 0 && y > 0 && x <= 100 && y <= 100 {
			if x >= y {
				w, h = 1024, 1024*y/x
			} else {
				w, h = 1024*x/y, 1024
			}
		}
	}
	if maxSide > 0 && max(w, h) > maxSide {
		if w >= h {
			w, h = maxSide, h*maxSide/w
		} else {
			w, h = w*maxSide/h, maxSide
		}
	}
	return max(w, 1), max(h, 1)
}

// pattern draws a simple, well-compressing checkerboard; variant shifts it so every output of
// a job differs.
func pattern(w, h, variant int) image.Image {
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{
		color.RGBA{0x6d, 0x28, 0xd9, 0xff}, color.RGBA{0xf5, 0x9e, 0x0b, 0xff}, color.RGBA{0x10, 0xb9, 0x81, 0xff}, color.RGBA{0xfa, 0xfa, 0xfa, 0xff}})
	for y := range h {
		for x := range w {
			img.SetColorIndex(x, y, uint8(((x/32)+(y/32)+variant)%4))
		}
	}
	return img
}

// makeWAV is a mono 16-bit PCM 440 Hz tone.
func makeWAV(rate int, d time.Duration) []byte {
	n := int(int64(rate) * int64(d) / int64(time.Second))
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	_ = binary.Write(&b, le, uint32(36+2*n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(2 * rate), uint16(2), uint16(16)} {
		_ = binary.Write(&b, le, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, le, uint32(2*n))
	for i := range n {
		_ = binary.Write(&b, le, int16(8000*math.Sin(2*math.Pi*440*float64(i)/float64(rate))))
	}
	return b.Bytes()
}

// AddFile serves data on the CDN at /cdn/files/{name} and returns its absolute URL.
func (s *Server) AddFile(name, ctype string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[name] = file{ctype: ctype, data: data, mod: time.Now()}
	return s.base + "/cdn/files/" + name
}

// RemoveFile makes a CDN file answer 404 (an expired output).
func (s *Server) RemoveFile(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.files, name)
}

// cdn serves files with Range support (browsers seek videos with it).
func (s *Server) cdn(w http.ResponseWriter, r *http.Request, name string) {
	s.count("cdn")
	s.mu.Lock()
	f, ok := s.files[name]
	s.mu.Unlock()
	if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	http.ServeContent(w, r, "", f.mod, bytes.NewReader(f.data))
}

func (s *Server) redirect(w http.ResponseWriter, r *http.Request, rest string) {
	n, name, _ := strings.Cut(rest, "/")
	left, _ := strconv.Atoi(n)
	if left <= 0 || left > 20 {
		http.Redirect(w, r, "/cdn/files/"+name, http.StatusFound)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/cdn/redirect/%d/%s", left-1, name), http.StatusFound)
}

// safeName keeps a file name to URL-safe characters.
func safeName(n string) string {
	var b strings.Builder
	for _, c := range n {
		if b.Len() >= 80 {
			break
		}
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "upload.bin"
	}
	return b.String()
}

// initiate is POST /storage/upload/initiate?storage_type=fal-cdn-v3 (fal-api.md §6.1): a signed
// upload URL (one use) and the file's future CDN URL.
func (s *Server) initiate(w http.ResponseWriter, r *http.Request) {
	s.count("upload")
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method Not Allowed"})
		return
	}
	key, ok := s.auth(w, r, true)
	if !ok {
		return
	}
	if st := r.URL.Query().Get("storage_type"); st != "fal-cdn-v3" && st != "gcs" && st != "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "Unsupported storage type"})
		return
	}
	var in struct {
		ContentType string `json:"content_type"`
		FileName    string `json:"file_name"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil || in.ContentType == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": []any{map[string]any{"loc": []string{"body", "content_type"}, "msg": "Field required", "type": "missing"}}})
		return
	}
	name := newID() + "-" + safeName(in.FileName)
	sig := newID()
	s.mu.Lock()
	s.uploads[name] = sig
	base := s.base
	s.uploaders[base+"/cdn/files/"+name] = key
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"upload_url": base + "/upload/" + name + "?X-Goog-Signature=" + sig, "file_url": base + "/cdn/files/" + name})
}

// put is the signed PUT. The signature is the credential: a fal key sent here would be leaked
// to the storage host, so the simulator refuses it.
func (s *Server) put(w http.ResponseWriter, r *http.Request, name string) {
	s.count("put")
	s.mu.Lock()
	sig, ok := s.uploads[name]
	s.mu.Unlock()
	if r.Method != http.MethodPut || !ok || r.URL.Query().Get("X-Goog-Signature") != sig {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "<Error><Code>SignatureDoesNotMatch</Code></Error>")
		return
	}
	if r.Header.Get("Authorization") != "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "unexpected Authorization header on a signed upload"})
		return
	}
	// S3-style signed URLs refuse a body of unknown length (a chunked PUT); fal's own clients
	// always send Content-Length, so the simulator holds every client to it.
	if r.ContentLength < 0 {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusLengthRequired)
		_, _ = io.WriteString(w, "<Error><Code>MissingContentLength</Code><Message>You must provide the Content-Length HTTP header.</Message></Error>")
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "read failed"})
		return
	}
	s.mu.Lock()
	delete(s.uploads, name)
	s.mu.Unlock()
	s.AddFile(name, r.Header.Get("Content-Type"), data)
	w.WriteHeader(http.StatusOK)
}

// token is the v3 CDN token flow (fal-api.md §6.2).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.count("token")
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method Not Allowed"})
		return
	}
	if _, ok := s.auth(w, r, true); !ok {
		return
	}
	tok := newID()
	s.mu.Lock()
	s.tokens[tok] = true
	base := s.base
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "token_type": "Bearer", "base_url": base + "/cdn",
		"expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
}

// cdnUpload is POST {base_url}/files/upload with a token from the token flow.
func (s *Server) cdnUpload(w http.ResponseWriter, r *http.Request) {
	s.count("put")
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	ok := s.tokens[tok]
	s.mu.Unlock()
	if r.Method != http.MethodPost || !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"detail": "Invalid token"})
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "read failed"})
		return
	}
	name := newID() + "-" + safeName(r.Header.Get("X-Fal-File-Name"))
	writeJSON(w, http.StatusOK, map[string]any{"access_url": s.AddFile(name, r.Header.Get("Content-Type"), data)})
}

// withCaBX inserts a caBX chunk (a C2PA manifest store's place in a PNG) before the first IDAT:
// a JUMBF superbox labelled c2pa, unsigned, enough for the studio to see a manifest is there.
func withCaBX(p []byte) []byte {
	i := bytes.Index(p, []byte("IDAT")) - 4
	if i < 8 {
		return p
	}
	box := []byte("\x00\x00\x00\x2ajumb\x00\x00\x00\x22jumd")
	box = append(box, make([]byte, 16)...)
	box = append(box, 0x03)
	box = append(box, "c2pa\x00"...)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(box)))
	chunk = append(chunk, "caBX"...)
	chunk = append(chunk, box...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := append([]byte{}, p[:i]...)
	out = append(out, chunk...)
	return append(out, p[i:]...)
}
