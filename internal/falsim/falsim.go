// Package falsim is a fake fal server for tests and local development. It follows
// shared/fal-api.md §13: the queue lifecycle (submit → status with queue positions and logs →
// result → cancel, plus the SSE status stream and the synchronous run route), storage uploads
// (initiate + signed PUT, and the v3 token flow), a CDN serving real PNG, MP4 and WAV
// outputs, billing that answers ADMIN keys only, a model catalogue with real-shaped OpenAPI
// schemas, pricing, and scripted failures.
//
// All bases live on one loopback listener, told apart by a path prefix:
//
//	queue /queue   run /run   rest /rest   platform /api   cdn /cdn   schema /fal/api/openapi/queue/openapi.json
//
// Timing. By default jobs advance by status polls (deterministic, no clocks): Options.QueuePolls
// polls in the queue (positions fall to 0), then Options.RunPolls polls in progress (one more log
// line each), then COMPLETED. Zero for both completes on the first poll. With Options.QueueTime
// or Options.RunTime set, jobs advance by wall-clock time instead (for manual use).
//
// Keys (Authorization: Key <key>):
//
//	missing header, or key starting "bad"  401 {"detail":"No user found for Key ID and Secret"}
//	key without ':' not starting sim/admin 401 "Invalid Key Authorization header format…"
//	key containing "locked"                403 "User is locked. Reason: Exhausted balance…" on
//	                                       submit, run and upload (status/result still answer)
//	key starting "admin" (any case)        an ADMIN key: billing answers; other keys get the real
//	                                       403 {"error":{"type":"authorization_error","message":"Access denied"}}
//	key containing "nopricing"             a key without the pricing permission: pricing and
//	                                       estimate answer that 403
//
// Prompts (a word anywhere in the input's "prompt"):
//
//	"blocked" or "nsfw"   status COMPLETED; result 422 detail[] type content_policy_violation
//	"flagged-output"      succeeds; has_nsfw_concepts flags the first image
//	"invalid"             status COMPLETED; result 422 detail[{loc:[body,prompt],…}] validation error
//	"fail5xx"             status COMPLETED with error/error_type runner_disconnected; result 503
//	"start-timeout"       status COMPLETED with error request_timeout; result 504 with
//	                      X-Fal-Request-Timeout-Type: user (never to be retried)
//	"submit5xx"           submit answers 503 with an x-fal-request-id (the queue saw it: the job
//	                      may exist at fal, a client must not resend)
//	"ingress5xx"          fal's edge answers every other submit with this prompt 502 (nginx HTML,
//	                      no x-fal-request-id: the queue never saw it): the first attempt fails,
//	                      its resend is queued
//	"slow"                stays IN_PROGRESS until cancelled (cancel → 202 CANCELLATION_REQUESTED)
//	"queued"              stays IN_QUEUE until cancelled (cancel → 200 OK)
//	"evil-url"            output URL http://169.254.169.254/latest/meta-data/… (SSRF)
//	"other-host"          output URL on localhost:PORT, a host the studio did not allow
//	"html-output"         output file is HTML served as image/png
//	"svg-output"          output file is an SVG image with a script
//	"expire"              output URL answers 404
//	"redirect"            output file reached through 2 redirects
//	"llm-error"           openrouter/router answers with "error" set and no output
//	"llm-empty"           openrouter/router answers white space only
//
// Triggers lists the same rules as data (cmd/falsim -rules prints it).
//
// Endpoints whose id names an audio model (speech, tts, audio, music) return {"audio":{…wav}};
// video models (video, veo, wan, kling, hailuo, minimax, seedance) return {"video":{…mp4}}; the
// others return {"images":[…]} with num_images files at the requested image_size or aspect_ratio
// (scaled to Options.MaxImageSide) as PNG whatever output_format asks, so a file's type is
// predictable in tests.
package falsim

import (
	"crypto/ed25519"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Prompt words that script a job's behaviour (see the package comment).
const (
	PromptBlocked      = "blocked"
	PromptNSFW         = "nsfw"
	PromptFlagged      = "flagged-output" // the first image is flagged in has_nsfw_concepts
	PromptInvalid      = "invalid"
	PromptFail5xx      = "fail5xx"
	PromptStartTimeout = "start-timeout"
	PromptSubmit5xx    = "submit5xx"
	PromptIngress5xx   = "ingress5xx"
	PromptSlow         = "slow"
	PromptQueued       = "queued"
	PromptEvilURL      = "evil-url"
	PromptOtherHost    = "other-host"
	PromptHTMLOutput   = "html-output"
	PromptSVGOutput    = "svg-output"
	PromptC2PAOutput   = "c2pa-output"
	PromptExpire       = "expire"
	PromptRedirect     = "redirect"
)

// Key patterns that script authentication.
const (
	KeyBadPrefix   = "bad"       // 401
	KeyLocked      = "locked"    // 403 User is locked (anywhere in the key)
	KeyAdminPrefix = "admin"     // ADMIN scope (case-insensitive)
	KeyNoPricing   = "nopricing" // 403 on pricing and estimate (anywhere in the key)
)

// Trigger is one scripted rule, for documentation and tooling.
type Trigger struct {
	On     string // "key" or "prompt"
	Match  string
	Effect string
}

// Triggers are the scripted rules, in the order the package comment lists them.
var Triggers = []Trigger{
	{"key", "starts with " + KeyBadPrefix + " (or no Authorization header)", `401 {"detail":"No user found for Key ID and Secret"} on every call`},
	{"key", "has no ':' and does not start with sim/admin", `401 "Invalid Key Authorization header format. Expected '<key_id>:<key_secret>'."`},
	{"key", "contains " + KeyLocked, `403 "User is locked. Reason: Exhausted balance…" on submit, run and upload`},
	{"key", "starts with " + KeyAdminPrefix + " (any case)", "ADMIN key: billing answers credits; other keys get 403 Access denied"},
	{"key", "contains " + KeyNoPricing, "no pricing permission: pricing and estimate answer 403 Access denied"},
	{"prompt", PromptBlocked + " / " + PromptNSFW, "result 422 detail[] content_policy_violation (status COMPLETED without error)"},
	{"prompt", PromptInvalid, "result 422 detail[] validation error on prompt"},
	{"prompt", PromptFail5xx, "status COMPLETED with error runner_disconnected; result 503"},
	{"prompt", PromptStartTimeout, "status COMPLETED with error request_timeout; result 504 X-Fal-Request-Timeout-Type: user"},
	{"prompt", PromptSubmit5xx, "submit answers 503 with an x-fal-request-id (the queue saw it: a client must not resend it)"},
	{"prompt", PromptIngress5xx, "every other submit answers 502 from the edge (nginx HTML, no x-fal-request-id): a resend is queued"},
	{"prompt", PromptSlow, "stays IN_PROGRESS until cancelled (cancel → 202 CANCELLATION_REQUESTED)"},
	{"prompt", PromptQueued, "stays IN_QUEUE until cancelled (cancel → 200 OK)"},
	{"prompt", PromptEvilURL, "output URL on 169.254.169.254 (cloud metadata)"},
	{"prompt", PromptOtherHost, "output URL on localhost:PORT, a host not in FAL_MEDIA_HOSTS"},
	{"prompt", PromptHTMLOutput, "output bytes are HTML served as image/png"},
	{"prompt", PromptSVGOutput, "output is an SVG with a script"},
	{"prompt", PromptC2PAOutput, "output PNG carries a (fake, unsigned) C2PA manifest store: a caBX chunk"},
	{"prompt", PromptExpire, "output URL answers 404"},
	{"prompt", PromptRedirect, "output reached through 2 redirects"},
	{"prompt", PromptLLMError + " (openrouter/router)", `the LLM answers {"output":"","error":"Provider returned error"} with its usage`},
	{"prompt", PromptLLMEmpty + " (openrouter/router)", "the LLM answers white space only"},
}

// Options tune the simulator. The zero value completes every job on its first status poll.
type Options struct {
	QueuePolls int // status polls a job spends IN_QUEUE (positions fall to 0)
	RunPolls   int // status polls a job spends IN_PROGRESS (one more log line each)
	// QueueTime and RunTime, when set, make jobs advance by elapsed time instead of polls.
	QueueTime, RunTime time.Duration

	// FailStatus, FailResult and FailSubmit make the next N calls of that kind answer FailCode
	// (default 503 runner_disconnected) for retry tests. A failed submit creates no job but is
	// counted.
	FailStatus, FailResult, FailSubmit int
	FailCode                           int
	// CancelDoneCode is what cancelling a completed job answers: 0 or 400 gives
	// 400 {"status":"ALREADY_COMPLETED"}, another 4xx gives that code with a {"detail"} body
	// (fal's answer to a completion race varies).
	CancelDoneCode int

	Balance      float64       // what billing reports for ADMIN keys (default 24.5)
	MaxImageSide int           // outputs are scaled to this long side (0: 512, keeps tests fast; <0: exact size)
	Latency      time.Duration // added before every queue, run, rest and platform answer
	// StreamInterval is the tick of the SSE status stream (default 50ms).
	StreamInterval time.Duration
	// Now is the clock for time-based timing (default time.Now).
	Now func() time.Time

	// WebhookDelay is when a webhook job completes on its own with poll-counted timing
	// (default 20ms); WebhookRetryBase the first pause before a failed delivery is retried,
	// doubling (default 10s); WebhookRetries the retries after the first call (default 10).
	WebhookDelay, WebhookRetryBase time.Duration
	WebhookRetries                 int
	// WebhookDrop loses every delivery on the way (the studio must fall back to polling).
	WebhookDrop bool
}

// URLs are the bases to configure the studio with.
type URLs struct {
	QueueURL, RunURL, RestURL, APIURL, CDNURL string
	SchemaURL                                 string // fal.ai/api/openapi/queue/openapi.json stand-in
	JWKSURL                                   string // rest.fal.ai/.well-known/jwks.json stand-in
	MediaHosts                                string // host:port of the CDN ("127.0.0.1:PORT")
}

// Env returns the studio's configuration variables pointing at the simulator.
func (u URLs) Env() map[string]string {
	return map[string]string{"FAL_QUEUE_URL": u.QueueURL, "FAL_RUN_URL": u.RunURL, "FAL_REST_URL": u.RestURL,
		"FAL_API_URL": u.APIURL, "FAL_CDN_URL": u.CDNURL, "FAL_MEDIA_HOSTS": u.MediaHosts, "FAL_JWKS_URL": u.JWKSURL}
}

// EnvNames is the order cmd/falsim prints Env in.
var EnvNames = []string{"FAL_QUEUE_URL", "FAL_RUN_URL", "FAL_REST_URL", "FAL_API_URL", "FAL_CDN_URL", "FAL_MEDIA_HOSTS", "FAL_JWKS_URL"}

type job struct {
	ID, Endpoint, Key, Prompt string
	Input                     map[string]any
	Webhook                   string
	submitted                 time.Time
	polls                     int
	steps                     int // log lines the job has written so far
	cancelled                 bool
	cancelRequested           bool
	completed                 bool
	completedAt               time.Time
}

type file struct {
	ctype string
	data  []byte
	mod   time.Time
}

// Server is a simulator. It is an http.Handler, so it can also sit behind httptest.
type Server struct {
	mu      sync.Mutex
	opts    Options
	jobs    map[string]*job
	order   []string // job ids in submit order
	files   map[string]file
	uploads map[string]string // pending signed PUTs: name → signature
	// uploaders records the key that initiated each upload: file URL → key.
	uploaders map[string]string
	tokens    map[string]bool // v3 CDN upload tokens
	// ingressSeen holds ingress5xx prompts whose last submit the edge dropped.
	ingressSeen map[string]bool
	base        string
	host        string
	counts      map[string]int
	lastKey     string
	lastInput   map[string]any
	srv         *http.Server
	// clips are the videos a prompt names with "clip:<name>" (SetClip); others get SampleMP4.
	clips map[string][]byte
	// Webhooks: the signing key, the calls made, and the delivery goroutines Close stops.
	signKey    ed25519.PrivateKey
	deliveries []Delivery
	hookClient *http.Client
	wg         sync.WaitGroup
	closing    chan struct{}
	closeOnce  sync.Once
}

// New builds a simulator (not yet listening).
func New(o Options) *Server {
	return &Server{opts: defaults(o, Options{}), jobs: map[string]*job{}, files: map[string]file{}, uploads: map[string]string{},
		tokens: map[string]bool{}, ingressSeen: map[string]bool{}, counts: map[string]int{}, clips: map[string][]byte{}, uploaders: map[string]string{},
		signKey: newSigningKey(), hookClient: &http.Client{Timeout: 15 * time.Second}, closing: make(chan struct{})}
}

func defaults(o, prev Options) Options {
	if o.Balance == 0 {
		o.Balance = prev.Balance
		if o.Balance == 0 {
			o.Balance = 24.5
		}
	}
	if o.FailCode == 0 {
		o.FailCode = http.StatusServiceUnavailable
	}
	if o.MaxImageSide == 0 {
		o.MaxImageSide = 512
	}
	if o.StreamInterval <= 0 {
		o.StreamInterval = 50 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return webhookDefaults(o)
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("falsim: listen: %w", err)
	}
	s.mu.Lock()
	s.host = ln.Addr().String()
	s.base = "http://" + s.host
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Unlock()
	go func() { _ = s.srv.Serve(ln) }()
	return nil
}

// Close stops the simulator and its open streams.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		close(s.closing)
		s.mu.Unlock()
	})
	s.wg.Wait()
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// Addr is the listening host:port.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.host
}

// URLs returns the bases.
func (s *Server) URLs() URLs {
	s.mu.Lock()
	defer s.mu.Unlock()
	return URLs{QueueURL: s.base + "/queue", RunURL: s.base + "/run", RestURL: s.base + "/rest", APIURL: s.base + "/api",
		CDNURL: s.base + "/cdn", SchemaURL: s.base + schemaPath, JWKSURL: s.base + jwksPath, MediaHosts: s.host}
}

// NewTest starts a simulator on 127.0.0.1 for a test and stops it when the test ends.
func NewTest(t testing.TB, o Options) *Server {
	t.Helper()
	s := New(o)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Count returns how many calls of a kind arrived: "submit", "run", "status", "stream", "result",
// "cancel", "upload" (initiate), "put", "token", "cdn", "billing", "models", "pricing", "estimate", "schema", "meta",
// "jwks", "webhook" (a delivery attempt), "webhook_ok" (answered 2xx), "webhook_dropped",
// and "key_in_url" (a request whose URL carried the caller's key: must stay 0).
func (s *Server) Count(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[kind]
}

func (s *Server) count(kind string) {
	s.mu.Lock()
	s.counts[kind]++
	s.mu.Unlock()
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

// LastInput is the input of the last submit or run that reached the simulator.
func (s *Server) LastInput() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastInput
}

// JobKey returns the key a job was submitted with.
func (s *Server) JobKey(requestID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.jobs[requestID]; j != nil {
		return j.Key
	}
	return ""
}

// UploadKey returns the key that uploaded the file at fileURL through the initiate flow ("" for
// a URL the simulator never handed out).
func (s *Server) UploadKey(fileURL string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uploaders[fileURL]
}

// Endpoint returns the endpoint id a job was submitted to.
func (s *Server) Endpoint(requestID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.jobs[requestID]; j != nil {
		return j.Endpoint
	}
	return ""
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

// Cancelled reports whether a job was cancelled (removed from the queue or asked to stop).
func (s *Server) Cancelled(requestID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[requestID]
	return j != nil && (j.cancelled || j.cancelRequested)
}

// Jobs returns the request ids submitted so far, oldest first.
func (s *Server) Jobs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

// SetOptions changes the timing and failure knobs; a zero Balance keeps the current one.
func (s *Server) SetOptions(o Options) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts = defaults(o, s.opts)
}

// LastKey is the last key seen in an Authorization header (tests check the user's own key is used).
func (s *Server) LastKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastKey
}

// ServeHTTP routes by base prefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Key "); ok && len(key) >= 6 &&
		(strings.Contains(r.URL.RawQuery, key) || strings.Contains(p, key)) {
		s.count("key_in_url")
	}
	if !strings.HasPrefix(p, "/cdn/") && !strings.HasPrefix(p, "/upload/") {
		s.mu.Lock()
		lat := s.opts.Latency
		s.mu.Unlock()
		if lat > 0 {
			t := time.NewTimer(lat)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
	}
	switch {
	case strings.HasPrefix(p, "/queue/"):
		s.queue(w, r, strings.TrimPrefix(p, "/queue/"))
	case strings.HasPrefix(p, "/run/"):
		s.run(w, r, strings.TrimPrefix(p, "/run/"))
	case p == jwksPath:
		s.jwks(w, r)
	case p == "/rest/storage/upload/initiate":
		s.initiate(w, r)
	case p == "/rest/storage/auth/token":
		s.token(w, r)
	case strings.HasPrefix(p, "/upload/"):
		s.put(w, r, strings.TrimPrefix(p, "/upload/"))
	case p == "/cdn/files/upload":
		s.cdnUpload(w, r)
	case strings.HasPrefix(p, "/cdn/files/"):
		s.cdn(w, r, strings.TrimPrefix(p, "/cdn/files/"))
	case strings.HasPrefix(p, "/cdn/redirect/"):
		s.redirect(w, r, strings.TrimPrefix(p, "/cdn/redirect/"))
	case p == "/api/v1/account/billing":
		s.billing(w, r)
	case p == "/api/v1/models":
		s.models(w, r)
	case p == "/api/v1/models/pricing":
		s.pricing(w, r)
	case p == "/api/v1/models/pricing/estimate":
		s.pricingEstimate(w, r)
	case p == "/api/v1/meta":
		s.meta(w, r)
	case p == schemaPath:
		s.schema(w, r)
	case strings.HasPrefix(p, "/api/"):
		writeJSON(w, http.StatusNotFound, platformError("not_found", "Not found"))
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
	}
}

// compile-time check that the simulator can sit behind httptest too.
var _ http.Handler = (*Server)(nil)
