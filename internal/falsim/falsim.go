// Package falsim is a fake fal server for tests and local development. It follows
// shared/fal-api.md: the queue lifecycle (submit → status with queue positions and logs →
// result → cancel), storage uploads (initiate + signed PUT), a CDN serving real PNG and MP4
// outputs, billing that answers ADMIN keys only, a model catalogue with OpenAPI schemas, and
// scripted failures.
//
// All bases live on one loopback listener, told apart by a path prefix:
//
//	queue /queue   run /run   rest /rest   platform /api   cdn /cdn
//
// Jobs advance by status polls (deterministic, no clocks): Options.QueuePolls polls in the queue
// (positions fall to 0), then Options.RunPolls polls in progress (one log line each), then
// COMPLETED. Zero for both completes on the first poll.
//
// Scripted behaviour, chosen by the key or by a word in the prompt:
//
//	key "bad…" (or without ':')  401 {"detail":"No user found for Key ID and Secret"} on every call
//	key containing "locked"      403 "User is locked. Reason: Exhausted balance…" on submit and upload
//	key starting "admin"         billing answers {"credits":{"current_balance":…}}; other keys get 403
//	prompt "blocked" or "nsfw"   result 422 content_policy_violation (status COMPLETED, no error)
//	prompt "invalid"             result 422 detail [{loc:[body,prompt],msg,type:value_error}]
//	prompt "fail5xx"             status COMPLETED with error runner_disconnected; result 503
//	prompt "submit5xx"           submit answers 503 (a client must not resend it)
//	prompt "slow"                stays IN_PROGRESS until cancelled (cancel → 202 CANCELLATION_REQUESTED)
//	prompt "queued"              stays IN_QUEUE until cancelled (cancel → 200 OK)
//	prompt "evil-url"            output URL http://169.254.169.254/latest/meta-data/x.png
//	prompt "other-host"          output URL on localhost:PORT (a host the studio did not allow)
//	prompt "html-output"         output file is HTML served as image/png
//	prompt "svg-output"          output file is an SVG image
//	prompt "expire"              output URL answers 404
//	prompt "redirect"            output file reached through 2 redirects
//
// Endpoints whose id names a video model (video, veo, wan, kling, hailuo, minimax, seedance)
// return {"video":{…mp4}}; the others return {"images":[…png]} with num_images files at the
// requested image_size or aspect_ratio.
package falsim

import (
	"bytes"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

//go:embed testdata/sample.mp4
var sampleMP4 []byte

// Options tune the simulator.
type Options struct {
	QueuePolls int // status polls a job spends IN_QUEUE
	RunPolls   int // status polls a job spends IN_PROGRESS
	// FailStatus makes the next N status calls answer 503 (retry tests).
	FailStatus int
	// Balance is what billing reports for ADMIN keys.
	Balance float64
}

// URLs are the bases to configure the studio with.
type URLs struct {
	QueueURL, RunURL, RestURL, APIURL, CDNURL string
	MediaHosts                                string // host:port of the CDN
}

// Env returns the studio's configuration variables pointing at the simulator.
func (u URLs) Env() map[string]string {
	return map[string]string{"FAL_QUEUE_URL": u.QueueURL, "FAL_RUN_URL": u.RunURL, "FAL_REST_URL": u.RestURL,
		"FAL_API_URL": u.APIURL, "FAL_CDN_URL": u.CDNURL, "FAL_MEDIA_HOSTS": u.MediaHosts}
}

type job struct {
	ID, Endpoint, Key, Prompt string
	Input                     map[string]any
	polls                     int
	cancelled                 bool
	cancelRequested           bool
	completed                 bool
	completedAt               time.Time
}

// Server is a running simulator.
type Server struct {
	mu      sync.Mutex
	opts    Options
	jobs    map[string]*job
	files   map[string]file
	base    string
	host    string
	counts  map[string]int
	lastKey string
	srv     *http.Server
	ln      net.Listener
}

type file struct {
	ctype string
	data  []byte
}

// New builds a simulator (not yet listening).
func New(o Options) *Server {
	if o.Balance == 0 {
		o.Balance = 24.5
	}
	return &Server{opts: o, jobs: map[string]*job{}, files: map[string]file{}, counts: map[string]int{}}
}

// Start listens on addr (e.g. "127.0.0.1:0").
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("falsim: listen: %w", err)
	}
	s.ln = ln
	s.host = ln.Addr().String()
	s.base = "http://" + s.host
	s.srv = &http.Server{Handler: s}
	go s.srv.Serve(ln)
	return nil
}

// Close stops the simulator.
func (s *Server) Close() error { return s.srv.Close() }

// URLs returns the bases.
func (s *Server) URLs() URLs {
	return URLs{QueueURL: s.base + "/queue", RunURL: s.base + "/run", RestURL: s.base + "/rest", APIURL: s.base + "/api",
		CDNURL: s.base + "/cdn", MediaHosts: s.host}
}

// NewTest starts a simulator on 127.0.0.1 for a test and stops it at the end.
func NewTest(t testing.TB, o Options) *Server {
	t.Helper()
	s := New(o)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Count returns how many calls of a kind arrived: "submit", "status", "result", "cancel", "upload", "billing", "cdn".
func (s *Server) Count(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[kind]
}

// Input returns the input a job was submitted with.
func (s *Server) Input(requestID string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.jobs[requestID]; j != nil {
		return j.Input
	}
	return nil
}

// CompletedAt is when a job was first reported COMPLETED (zero while it is not).
func (s *Server) CompletedAt(requestID string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.jobs[requestID]; j != nil {
		return j.completedAt
	}
	return time.Time{}
}

// Jobs returns the request ids submitted so far.
func (s *Server) Jobs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.jobs))
	for id := range s.jobs {
		out = append(out, id)
	}
	return out
}

// SetOptions changes the timing and failure knobs.
func (s *Server) SetOptions(o Options) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.Balance == 0 {
		o.Balance = s.opts.Balance
	}
	s.opts = o
}

// AddFile serves data on the CDN at /cdn/files/{name} and returns its URL.
func (s *Server) AddFile(name, ctype string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[name] = file{ctype, data}
	return s.base + "/cdn/files/" + name
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// auth checks the key like fal does; false means the response was written.
func (s *Server) auth(w http.ResponseWriter, r *http.Request, lockedMatters bool) (string, bool) {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Key ")
	if !ok || strings.HasPrefix(key, "bad") || !strings.Contains(key, ":") && !strings.HasPrefix(key, "sim") && !strings.HasPrefix(key, "admin") {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"detail": "No user found for Key ID and Secret"})
		return "", false
	}
	if lockedMatters && strings.Contains(key, "locked") {
		writeJSON(w, http.StatusForbidden, map[string]any{"detail": "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing."})
		return "", false
	}
	s.mu.Lock()
	s.lastKey = key
	s.mu.Unlock()
	return key, true
}

// LastKey is the last key seen in an Authorization header (tests check the user's own key is used).
func (s *Server) LastKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastKey
}

func (s *Server) count(kind string) {
	s.mu.Lock()
	s.counts[kind]++
	s.mu.Unlock()
}

// ServeHTTP routes by base prefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/queue/"):
		s.queue(w, r, strings.TrimPrefix(p, "/queue/"))
	case strings.HasPrefix(p, "/rest/storage/upload/initiate"):
		s.initiate(w, r)
	case strings.HasPrefix(p, "/upload/"):
		s.put(w, r, strings.TrimPrefix(p, "/upload/"))
	case strings.HasPrefix(p, "/cdn/files/"):
		s.cdn(w, r, strings.TrimPrefix(p, "/cdn/files/"))
	case strings.HasPrefix(p, "/cdn/redirect/"):
		s.redirect(w, r, strings.TrimPrefix(p, "/cdn/redirect/"))
	case strings.HasPrefix(p, "/api/v1/account/billing"):
		s.billing(w, r)
	case p == "/api/v1/models":
		s.models(w, r)
	case p == "/api/v1/models/pricing":
		s.pricing(w, r)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "not found", "error_type": "bad_request"})
	}
}

func (s *Server) queue(w http.ResponseWriter, r *http.Request, rest string) {
	if i := strings.Index(rest, "/requests/"); i >= 0 {
		tail := rest[i+len("/requests/"):]
		id, action, _ := strings.Cut(tail, "/")
		switch {
		case r.Method == http.MethodGet && action == "status":
			s.status(w, r, id)
		case r.Method == http.MethodGet && action == "":
			s.result(w, r, id)
		case r.Method == http.MethodPut && action == "cancel":
			s.cancel(w, r, id)
		default:
			writeJSON(w, http.StatusNotFound, map[string]any{"detail": "not found"})
		}
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "method not allowed"})
		return
	}
	s.submit(w, r, rest)
}

func appID(endpoint string) string {
	parts := strings.Split(endpoint, "/")
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return strings.Join(parts, "/")
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request, endpoint string) {
	s.count("submit")
	key, ok := s.auth(w, r, true)
	if !ok {
		return
	}
	var input map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&input); err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": []any{map[string]any{"loc": []string{"body"}, "msg": "invalid JSON", "type": "value_error"}}})
		return
	}
	prompt, _ := input["prompt"].(string)
	if strings.Contains(prompt, "submit5xx") {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"detail": "Runner scheduling failure", "error_type": "runner_scheduling_failure"})
		return
	}
	j := &job{ID: newID(), Endpoint: endpoint, Key: key, Prompt: prompt, Input: input}
	s.mu.Lock()
	s.jobs[j.ID] = j
	pos := s.opts.QueuePolls
	s.mu.Unlock()
	base := s.base + "/queue/" + appID(endpoint) + "/requests/" + j.ID
	w.Header().Set("X-Fal-Request-Id", j.ID)
	writeJSON(w, http.StatusOK, map[string]any{"status": "IN_QUEUE", "request_id": j.ID, "response_url": base,
		"status_url": base + "/status", "cancel_url": base + "/cancel", "queue_position": pos})
}

func (s *Server) job(w http.ResponseWriter, r *http.Request, id string) *job {
	if _, ok := s.auth(w, r, false); !ok {
		return nil
	}
	s.mu.Lock()
	j := s.jobs[id]
	s.mu.Unlock()
	if j == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Request not found"})
	}
	return j
}

// state advances a job by one poll and reports its state and queue position.
func (s *Server) state(j *job, advance bool) (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j.cancelled || j.completed {
		return "COMPLETED", 0
	}
	if advance {
		j.polls++
	}
	qp, rp := s.opts.QueuePolls, s.opts.RunPolls
	if strings.Contains(j.Prompt, "queued") {
		qp = 1 << 30
	}
	if strings.Contains(j.Prompt, "slow") {
		rp = 1 << 30
	}
	switch {
	case j.polls <= qp:
		return "IN_QUEUE", qp - j.polls
	case j.polls <= qp+rp:
		return "IN_PROGRESS", 0
	}
	j.completed = true
	j.completedAt = time.Now()
	return "COMPLETED", 0
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, id string) {
	s.count("status")
	s.mu.Lock()
	if s.opts.FailStatus > 0 {
		s.opts.FailStatus--
		s.mu.Unlock()
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"detail": "Runner disconnected", "error_type": "runner_disconnected"})
		return
	}
	s.mu.Unlock()
	j := s.job(w, r, id)
	if j == nil {
		return
	}
	st, pos := s.state(j, true)
	body := map[string]any{"status": st, "request_id": j.ID}
	switch st {
	case "IN_QUEUE":
		body["queue_position"] = pos
		writeJSON(w, http.StatusAccepted, body)
	case "IN_PROGRESS":
		s.mu.Lock()
		n := j.polls - s.opts.QueuePolls
		s.mu.Unlock()
		logs := []map[string]any{}
		for i := 1; i <= min(n, 20); i++ {
			logs = append(logs, map[string]any{"message": fmt.Sprintf("step %d: denoising", i), "level": "INFO", "source": "USER", "timestamp": fmt.Sprintf("2026-01-01T00:00:%02dZ", i)})
		}
		body["logs"] = logs
		writeJSON(w, http.StatusAccepted, body)
	default:
		body["logs"] = []any{}
		body["metrics"] = map[string]any{"inference_time": 1.5}
		if strings.Contains(j.Prompt, "fail5xx") {
			body["error"], body["error_type"] = "Runner disconnected", "runner_disconnected"
		}
		writeJSON(w, http.StatusOK, body)
	}
}

func (s *Server) result(w http.ResponseWriter, r *http.Request, id string) {
	s.count("result")
	j := s.job(w, r, id)
	if j == nil {
		return
	}
	if st, _ := s.state(j, false); st != "COMPLETED" {
		writeJSON(w, http.StatusAccepted, map[string]any{"status": st, "request_id": j.ID})
		return
	}
	w.Header().Set("X-Fal-Request-Id", j.ID)
	p := j.Prompt
	s.mu.Lock()
	cancelled := j.cancelled
	s.mu.Unlock()
	switch {
	case cancelled:
		w.Header().Set("X-Fal-Error-Type", "client_cancelled")
		writeJSON(w, 499, map[string]any{"detail": "Request was cancelled", "error_type": "client_cancelled"})
	case strings.Contains(p, "blocked") || strings.Contains(p, "nsfw"):
		w.Header().Set("X-Fal-Retryable", "false")
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": []any{map[string]any{"loc": []string{"body", "prompt"},
			"msg":  "The content could not be processed because it contained material flagged by a content checker.",
			"type": "content_policy_violation", "url": "https://docs.fal.ai/errors#content_policy_violation"}}})
	case strings.Contains(p, "invalid"):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": []any{map[string]any{"loc": []string{"body", "prompt"},
			"msg": "String should have at most 1000 characters", "type": "value_error"}}})
	case strings.Contains(p, "fail5xx"):
		w.Header().Set("X-Fal-Error-Type", "runner_disconnected")
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"detail": "Runner disconnected", "error_type": "runner_disconnected"})
	default:
		writeJSON(w, http.StatusOK, s.output(j))
	}
}

var videoWords = []string{"video", "veo", "wan", "kling", "hailuo", "minimax", "seedance"}

func isVideo(endpoint string) bool {
	for _, v := range videoWords {
		if strings.Contains(endpoint, v) {
			return true
		}
	}
	return false
}

// output builds the result document, creating its files on the CDN.
func (s *Server) output(j *job) map[string]any {
	p := j.Prompt
	fileURL := func(name, ctype string, data []byte) string {
		u := s.AddFile(name, ctype, data)
		switch {
		case strings.Contains(p, "evil-url"):
			return "http://169.254.169.254/latest/meta-data/" + name
		case strings.Contains(p, "other-host"):
			_, port, _ := net.SplitHostPort(s.host)
			return "http://localhost:" + port + "/cdn/files/" + name
		case strings.Contains(p, "expire"):
			return s.base + "/cdn/files/expired-" + name
		case strings.Contains(p, "redirect"):
			return s.base + "/cdn/redirect/2/" + name
		}
		return u
	}
	if isVideo(j.Endpoint) {
		name := j.ID + "-output.mp4"
		return map[string]any{"video": map[string]any{"url": fileURL(name, "video/mp4", sampleMP4), "content_type": "video/mp4", "file_name": "output.mp4", "file_size": len(sampleMP4)}, "seed": 42}
	}
	wd, ht := imageSize(j.Input)
	n := 1
	if v, ok := j.Input["num_images"].(float64); ok && v >= 1 && v <= 8 {
		n = int(v)
	}
	var images []any
	for i := range n {
		name := fmt.Sprintf("%s-%d.png", j.ID, i)
		ctype, data := "image/png", makePNG(wd, ht, i)
		switch {
		case strings.Contains(p, "html-output"):
			data = []byte("<!doctype html><html><body><script>alert(document.cookie)</script></body></html>")
		case strings.Contains(p, "svg-output"):
			ctype, data = "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>`)
		}
		images = append(images, map[string]any{"url": fileURL(name, ctype, data), "width": wd, "height": ht, "content_type": ctype})
	}
	return map[string]any{"images": images, "seed": 42, "has_nsfw_concepts": make([]bool, n), "prompt": p, "timings": map[string]any{"inference": 0.5}}
}

var presets = map[string][2]int{"square_hd": {1024, 1024}, "square": {512, 512}, "portrait_4_3": {768, 1024},
	"portrait_16_9": {576, 1024}, "landscape_4_3": {1024, 768}, "landscape_16_9": {1024, 576}}

// imageSize reads image_size (preset or {width,height}) or aspect_ratio; outputs are scaled to
// at most 512 px on the long side to keep tests fast, keeping the aspect ratio.
func imageSize(in map[string]any) (int, int) {
	w, h := 1024, 768
	switch v := in["image_size"].(type) {
	case string:
		if p, ok := presets[v]; ok {
			w, h = p[0], p[1]
		}
	case map[string]any:
		fw, _ := v["width"].(float64)
		fh, _ := v["height"].(float64)
		if fw >= 16 && fh >= 16 && fw <= 4096 && fh <= 4096 {
			w, h = int(fw), int(fh)
		}
	}
	if ar, ok := in["aspect_ratio"].(string); ok {
		a, b, found := strings.Cut(ar, ":")
		x, e1 := strconv.Atoi(a)
		y, e2 := strconv.Atoi(b)
		if found && e1 == nil && e2 == nil && x > 0 && y > 0 {
			w, h = 1024, 1024*y/x
		}
	}
	for w > 512 || h > 512 {
		w, h = w/2, h/2
	}
	return max(w, 1), max(h, 1)
}

// makePNG draws a simple, well-compressing pattern.
func makePNG(w, h, variant int) []byte {
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{
		color.RGBA{0x6d, 0x28, 0xd9, 0xff}, color.RGBA{0xf5, 0x9e, 0x0b, 0xff}, color.RGBA{0x10, 0xb9, 0x81, 0xff}, color.RGBA{0xfa, 0xfa, 0xfa, 0xff}})
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetColorIndex(x, y, uint8(((x/32)+(y/32)+variant)%4))
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request, id string) {
	s.count("cancel")
	j := s.job(w, r, id)
	if j == nil {
		return
	}
	st, _ := s.state(j, false)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st {
	case "IN_QUEUE":
		j.cancelled = true
		writeJSON(w, http.StatusOK, map[string]any{"status": "OK"})
	case "IN_PROGRESS":
		j.cancelRequested = true
		// The app honours the signal: the job ends (as cancelled) on the next poll.
		j.cancelled = true
		writeJSON(w, http.StatusAccepted, map[string]any{"status": "CANCELLATION_REQUESTED"})
	default:
		writeJSON(w, http.StatusBadRequest, map[string]any{"status": "ALREADY_COMPLETED"})
	}
}

func (s *Server) initiate(w http.ResponseWriter, r *http.Request) {
	s.count("upload")
	if _, ok := s.auth(w, r, true); !ok {
		return
	}
	var in struct {
		ContentType string `json:"content_type"`
		FileName    string `json:"file_name"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil || in.ContentType == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": "content_type is required"})
		return
	}
	name := newID() + "-" + strings.ReplaceAll(in.FileName, "/", "_")
	writeJSON(w, http.StatusOK, map[string]any{"upload_url": s.base + "/upload/" + name + "?signature=sim", "file_url": s.base + "/cdn/files/" + name})
}

func (s *Server) put(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodPut || r.URL.Query().Get("signature") != "sim" {
		writeJSON(w, http.StatusForbidden, map[string]any{"detail": "bad signature"})
		return
	}
	if r.Header.Get("Authorization") != "" {
		// The signed URL is the credential: a client must not leak its fal key to the storage host.
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "unexpected Authorization header"})
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"detail": "read failed"})
		return
	}
	s.AddFile(name, r.Header.Get("Content-Type"), data)
	w.WriteHeader(http.StatusOK)
}

func (s *Server) cdn(w http.ResponseWriter, r *http.Request, name string) {
	s.count("cdn")
	s.mu.Lock()
	f, ok := s.files[name]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	_, _ = w.Write(f.data)
}

func (s *Server) redirect(w http.ResponseWriter, r *http.Request, rest string) {
	n, name, _ := strings.Cut(rest, "/")
	left, _ := strconv.Atoi(n)
	if left <= 0 {
		http.Redirect(w, r, "/cdn/files/"+name, http.StatusFound)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/cdn/redirect/%d/%s", left-1, name), http.StatusFound)
}

func (s *Server) billing(w http.ResponseWriter, r *http.Request) {
	s.count("billing")
	key, ok := s.auth(w, r, false)
	if !ok {
		return
	}
	if !strings.HasPrefix(key, "admin") {
		writeJSON(w, http.StatusForbidden, map[string]any{"error": map[string]any{"type": "authorization_error", "message": "Access denied: this endpoint requires an ADMIN key."}})
		return
	}
	s.mu.Lock()
	bal := s.opts.Balance
	s.mu.Unlock()
	if r.URL.Query().Get("expand") != "credits" {
		writeJSON(w, http.StatusOK, map[string]any{"username": "sim-team"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"username": "sim-team", "credits": map[string]any{"current_balance": bal, "currency": "USD"}})
}

var catalogue = []map[string]any{
	{"endpoint_id": "fal-ai/flux/dev", "metadata": map[string]any{"display_name": "FLUX.1 [dev]", "category": "text-to-image", "status": "active"}},
	{"endpoint_id": "fal-ai/flux/schnell", "metadata": map[string]any{"display_name": "FLUX.1 [schnell]", "category": "text-to-image", "status": "active"}},
	{"endpoint_id": "fal-ai/flux-pro/kontext", "metadata": map[string]any{"display_name": "FLUX.1 Kontext [pro]", "category": "image-to-image", "status": "active"}},
	{"endpoint_id": "fal-ai/veo3", "metadata": map[string]any{"display_name": "Veo 3", "category": "text-to-video", "status": "active"}},
	{"endpoint_id": "fal-ai/kling-video/v2.1/master/image-to-video", "metadata": map[string]any{"display_name": "Kling 2.1 Master", "category": "image-to-video", "status": "active"}},
	{"endpoint_id": "fal-ai/recraft/v3/text-to-image", "metadata": map[string]any{"display_name": "Recraft V3", "category": "text-to-image", "status": "active"}},
}

func schemaFor(endpoint string) map[string]any {
	return map[string]any{
		"openapi": "3.0.4",
		"info":    map[string]any{"title": "Queue OpenAPI for " + endpoint, "x-fal-metadata": map[string]any{"endpointId": endpoint}},
		"paths": map[string]any{"/" + endpoint: map[string]any{"post": map[string]any{"requestBody": map[string]any{"content": map[string]any{
			"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Input"}}}}}}},
		"components": map[string]any{"schemas": map[string]any{
			"Input": map[string]any{"type": "object", "required": []string{"prompt"}, "x-fal-order-properties": []string{"prompt", "image_size", "num_images", "seed"},
				"properties": map[string]any{
					"prompt":     map[string]any{"type": "string", "title": "Prompt"},
					"image_size": map[string]any{"anyOf": []any{map[string]any{"$ref": "#/components/schemas/ImageSize"}, map[string]any{"type": "string", "enum": []string{"square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9"}}}, "default": "landscape_4_3"},
					"num_images": map[string]any{"type": "integer", "minimum": 1, "maximum": 4, "default": 1},
					"seed":       map[string]any{"type": "integer"},
				}},
			"ImageSize": map[string]any{"type": "object", "properties": map[string]any{"width": map[string]any{"type": "integer"}, "height": map[string]any{"type": "integer"}}},
		}},
	}
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var out []map[string]any
	ids := q["endpoint_id"]
	for _, m := range catalogue {
		id := m["endpoint_id"].(string)
		meta := m["metadata"].(map[string]any)
		if len(ids) > 0 && !contains(ids, id) {
			continue
		}
		if c := q.Get("category"); c != "" && meta["category"] != c {
			continue
		}
		if t := strings.ToLower(q.Get("q")); t != "" && !strings.Contains(strings.ToLower(id+" "+meta["display_name"].(string)), t) {
			continue
		}
		e := map[string]any{"endpoint_id": id, "metadata": meta}
		if q.Get("expand") == "openapi-3.0" {
			e["openapi"] = schemaFor(id)
		}
		out = append(out, e)
	}
	// Cursor: base64-free page number, 2 per page when a limit of 2 is asked.
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 {
		limit = 50
	}
	start, _ := strconv.Atoi(q.Get("cursor"))
	if start > len(out) {
		start = len(out)
	}
	end := min(start+limit, len(out))
	var next any
	if end < len(out) {
		next = strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": out[start:end], "next_cursor": next, "has_more": next != nil})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) pricing(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth(w, r, false); !ok {
		return
	}
	var prices []any
	for _, id := range r.URL.Query()["endpoint_id"] {
		prices = append(prices, map[string]any{"endpoint_id": id, "unit_price": 0.025, "unit": "image", "currency": "USD"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"prices": prices, "next_cursor": nil, "has_more": false})
}

// compile-time check that the simulator can sit behind httptest too.
var _ http.Handler = (*Server)(nil)
var _ = httptest.NewServer
