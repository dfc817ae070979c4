// Package fal is the one client for fal's HTTP APIs: the queue (submit, status, result, cancel),
// storage uploads, and the platform APIs (billing, models, pricing, schemas). The user's key is
// an argument of every call — there is no global key — and it is sent only in the Authorization
// header to the configured fal hosts, never in a URL, an error or a log line.
package fal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/falstudio/falstudio/internal/backoff"
)

// Config holds the base URLs and tuning. Zero values take fal's real hosts and defaults.
type Config struct {
	QueueURL, RunURL, RestURL, APIURL, CDNURL string
	// SchemaURL is fal's per-model OpenAPI document route, the fallback when the models API
	// cannot expand a schema. Left empty it defaults to fal.ai only when APIURL is fal's own, so
	// a client pointed at a simulator never reaches out to the real site.
	SchemaURL string
	// WebhookURL, when set, is sent with every queue submit as fal_webhook: fal calls it back
	// when the job ends (SPEC §17.1).
	WebhookURL  string
	HTTPClient  *http.Client
	Logger      *slog.Logger
	MaxRetries  int           // for idempotent calls; default 5
	BackoffBase time.Duration // default 500ms
	BackoffMax  time.Duration // default 15s
	Timeout     time.Duration // per attempt; default 60s
	// Sleep waits between retries; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultConfig points at fal's real hosts.
func DefaultConfig() Config {
	return Config{QueueURL: "https://queue.fal.run", RunURL: "https://fal.run", RestURL: "https://rest.fal.ai",
		APIURL: "https://api.fal.ai", CDNURL: "https://v3.fal.media", SchemaURL: "https://fal.ai/api/openapi/queue/openapi.json"}
}

// Client calls fal.
type Client struct {
	cfg  Config
	http *http.Client
	log  *slog.Logger
}

// New builds a client.
func New(cfg Config) *Client {
	d := DefaultConfig()
	if cfg.SchemaURL == "" && cfg.APIURL != "" && strings.TrimRight(cfg.APIURL, "/") != d.APIURL {
		d.SchemaURL = ""
	}
	for _, p := range []struct {
		dst *string
		def string
	}{{&cfg.QueueURL, d.QueueURL}, {&cfg.RunURL, d.RunURL}, {&cfg.RestURL, d.RestURL}, {&cfg.APIURL, d.APIURL}, {&cfg.CDNURL, d.CDNURL}, {&cfg.SchemaURL, d.SchemaURL}} {
		if *p.dst == "" {
			*p.dst = p.def
		}
		*p.dst = strings.TrimRight(*p.dst, "/")
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 5
	}
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = 500 * time.Millisecond
	}
	if cfg.BackoffMax == 0 {
		cfg.BackoffMax = 15 * time.Second
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	// Never follow a redirect with the key: fal's APIs do not redirect, and a redirect elsewhere
	// must not carry the Authorization header.
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, http: &c, log: log}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// call is one HTTP exchange description.
type call struct {
	op       string
	method   string
	url      string
	key      string
	body     any    // JSON-encoded when not nil
	raw      []byte // sent as is when body is nil
	ctype    string
	retry    bool // idempotent: retried on network errors, 429 and 502/503/504
	retry500 bool // also retry 500 (status polls, as fal's own clients do)
	// unqueued: not idempotent (a submit), so resent only where fal cannot have queued it —
	// see resendable.
	unqueued bool
	billing  bool
	out      any // decoded on 2xx when not nil
}

// submitAttempts bounds a submit: fal's own clients resend it at most a few times too.
const submitAttempts = 3

// maxRetryAfter caps how long a Retry-After may hold a call.
const maxRetryAfter = 60 * time.Second

// do runs the call with retries (idempotent calls, or a submit fal cannot have queued) and
// returns the 2xx body.
func (c *Client) do(ctx context.Context, cl call) (int, http.Header, []byte, error) {
	var payload []byte
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return 0, nil, nil, fmt.Errorf("fal: %s: encode: %w", cl.op, err)
		}
		payload, cl.ctype = b, "application/json"
	} else {
		payload = cl.raw
	}
	attempts := 1
	switch {
	case cl.retry:
		attempts += c.cfg.MaxRetries
	case cl.unqueued:
		attempts = min(submitAttempts, 1+c.cfg.MaxRetries)
	}
	var lastErr error
	var wait time.Duration // a Retry-After the last answer asked for
	for i := 0; i < attempts; i++ {
		if i > 0 {
			if err := c.cfg.Sleep(ctx, max(backoff.Delay(i-1, c.cfg.BackoffBase, c.cfg.BackoffMax), wait)); err != nil {
				return 0, nil, nil, networkError(cl.op, err)
			}
		}
		status, h, body, sent, err := c.once(ctx, cl, payload)
		if err != nil {
			lastErr = networkError(cl.op, err)
			if ctx.Err() != nil {
				return 0, nil, nil, lastErr
			}
			// A submit whose bytes may have reached fal is never resent: it could be queued.
			if cl.unqueued && sent {
				return 0, nil, nil, lastErr
			}
			if cl.retry || cl.unqueued {
				c.log.Debug("fal: retrying after a network error", "op", cl.op, "attempt", i+1)
			}
			wait = 0
			continue
		}
		if status >= 200 && status < 300 {
			if cl.out != nil && len(body) > 0 {
				if err := json.Unmarshal(body, cl.out); err != nil {
					return status, h, body, &Error{Op: cl.op, Status: status, Code: CodeUnavailable, Message: "fal answered in an unexpected format.", cause: err}
				}
			}
			return status, h, body, nil
		}
		fe := parseError(cl.op, status, h, body, cl.billing)
		fe.redact(cl.key)
		lastErr = fe
		again := cl.retry && (retryable(status, fe) || cl.retry500 && status == http.StatusInternalServerError) ||
			cl.unqueued && resendable(status, h, fe)
		if !again {
			return status, h, body, fe
		}
		wait = retryAfter(h, time.Now())
		c.log.Debug("fal: retrying", "op", cl.op, "status", status, "error_type", fe.Type, "attempt", i+1)
	}
	return 0, nil, nil, lastErr
}

func retryable(status int, e *Error) bool {
	if e.UserTimeout {
		return false
	}
	return status == http.StatusTooManyRequests || status == http.StatusBadGateway ||
		status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// resendable reports whether a submit's answer shows fal never queued it, so sending it again
// cannot run (and bill) the job twice — the rule of fal's Python client: 408, 409 and 429 are
// refusals before the queue; a 502/503/504 without x-fal-request-id came from fal's edge (the
// load balancer), not from the queue, which stamps every request it saw with an id.
func resendable(status int, h http.Header, e *Error) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooManyRequests:
		return true
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return h.Get("X-Fal-Request-Id") == "" && !e.UserTimeout
	}
	return false
}

// retryAfter reads a Retry-After (seconds or an HTTP date), capped at maxRetryAfter; 0 when
// absent or unreadable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		d = time.Duration(min(max(n, 0), int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// once is one exchange. sent reports whether any byte of the request may have left: after a
// failure with sent false (a refused dial, a failed TLS handshake) fal cannot have seen it.
func (c *Client) once(ctx context.Context, cl call, payload []byte) (status int, h http.Header, b []byte, sent bool, err error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	var wrote atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		WroteHeaderField: func(string, []string) { wrote.Store(true) },
		WroteHeaders:     func() { wrote.Store(true) },
		WroteRequest:     func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	})
	req, err := http.NewRequestWithContext(actx, cl.method, cl.url, body)
	if err != nil {
		return 0, nil, nil, false, err
	}
	if cl.key != "" {
		req.Header.Set("Authorization", "Key "+cl.key)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "fal-studio")
	if cl.ctype != "" {
		req.Header.Set("Content-Type", cl.ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, wrote.Load(), redactURLError(err)
	}
	defer resp.Body.Close()
	b, err = io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return 0, nil, nil, true, err
	}
	return resp.StatusCode, resp.Header, b, true, nil
}

// redactURLError drops query strings (signed upload URLs) from transport errors.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}

// AppID is the owner/app base of an endpoint id: status, result and cancel live under it.
// "fal-ai/flux/dev" → "fal-ai/flux"; namespaces (workflows/, comfy/) are kept.
func AppID(endpointID string) string {
	parts := strings.Split(strings.Trim(endpointID, "/"), "/")
	n := 2
	if len(parts) > 0 && (parts[0] == "workflows" || parts[0] == "comfy") {
		n = 3
	}
	if len(parts) <= n {
		return strings.Join(parts, "/")
	}
	return strings.Join(parts[:n], "/")
}

// escapePath escapes an endpoint id for a URL path, keeping its "/" separators. Valid ids
// (letters, digits, ".", "_", "-") need none; anything else cannot end the path early.
func escapePath(id string) string { return (&url.URL{Path: id}).EscapedPath() }

func (c *Client) requestURL(endpointID, requestID, suffix string) string {
	return c.cfg.QueueURL + "/" + escapePath(AppID(endpointID)) + "/requests/" + url.PathEscape(requestID) + suffix
}

// Queue states.
const (
	StateQueued     = "IN_QUEUE"
	StateInProgress = "IN_PROGRESS"
	StateCompleted  = "COMPLETED"
)

// Submitted is fal's answer to a submit. Its status_url, response_url and cancel_url are not
// kept: status, result and cancel URLs are built from the configured queue base (as fal's own
// clients do), so an answer can never send the key to another host.
type Submitted struct {
	RequestID        string `json:"request_id"`
	GatewayRequestID string `json:"gateway_request_id,omitempty"`
	Status           string `json:"status"`
	QueuePosition    *int   `json:"queue_position"`
}

// Submit queues a job. fal has no idempotency key, so a submit fal may have queued is never sent
// again (it would run, and bill, the job twice). It is resent, at most submitAttempts times in
// all, only when fal cannot have queued it: a connection that failed before the request was
// written, 408/409/429 (after the answer's Retry-After, at most a minute), or a 502/503/504 from
// fal's edge, without an x-fal-request-id.
func (c *Client) Submit(ctx context.Context, key, endpointID string, input any) (*Submitted, error) {
	var out Submitted
	u := c.cfg.QueueURL + "/" + escapePath(endpointID)
	if c.cfg.WebhookURL != "" {
		u += "?fal_webhook=" + url.QueryEscape(c.cfg.WebhookURL)
	}
	_, _, _, err := c.do(ctx, call{op: "submit", method: http.MethodPost, url: u, key: key, body: input, unqueued: true, out: &out})
	if err != nil {
		return nil, err
	}
	if out.RequestID == "" {
		return nil, &Error{Op: "submit", Code: CodeUnavailable, Message: "fal accepted the job but returned no request id."}
	}
	return &out, nil
}

// Run calls an endpoint synchronously (fal.run) and returns its output JSON. Like a submit it
// is sent once at most where fal may have run it (it bills), and only resent where fal cannot
// have seen it. A model's own error answers as an *Error, as a result would.
func (c *Client) Run(ctx context.Context, key, endpointID string, input any) (json.RawMessage, error) {
	_, _, body, err := c.do(ctx, call{op: "run", method: http.MethodPost, url: c.cfg.RunURL + "/" + escapePath(endpointID), key: key, body: input, unqueued: true})
	if err != nil {
		return nil, err
	}
	if !json.Valid(body) {
		return nil, &Error{Op: "run", Code: CodeUnavailable, Message: "fal returned a result that is not JSON."}
	}
	return json.RawMessage(body), nil
}

// Log is one line of a job's log.
type Log struct {
	Message   string    `json:"message"`
	Level     string    `json:"level"`
	Source    string    `json:"source"`
	Timestamp string    `json:"timestamp"` // as fal sent it
	Time      time.Time `json:"-"`         // Timestamp parsed; zero when fal sent none or an odd one
}

// Status is a job's state.
type Status struct {
	State         string `json:"status"`
	RequestID     string `json:"request_id"`
	QueuePosition *int   `json:"queue_position"`
	Logs          []Log  `json:"logs"`
	// Error and ErrorType are set on COMPLETED when fal's infrastructure gave up on the job.
	Error     string `json:"error"`
	ErrorType string `json:"error_type"`
	Metrics   struct {
		InferenceTime *float64 `json:"inference_time"`
	} `json:"metrics"`
}

// Status reads a job's state with its logs. Status, result and cancel live under the endpoint's
// owner/app base ("fal-ai/flux/dev" → "fal-ai/flux").
func (c *Client) Status(ctx context.Context, key, endpointID, requestID string) (*Status, error) {
	u := c.requestURL(endpointID, requestID, "/status?logs=1")
	var out Status
	if _, _, _, err := c.do(ctx, call{op: "status", method: http.MethodGet, url: u, key: key, retry: true, retry500: true, out: &out}); err != nil {
		return nil, err
	}
	for i := range out.Logs {
		if t, err := time.Parse(time.RFC3339Nano, out.Logs[i].Timestamp); err == nil {
			out.Logs[i].Time = t
		}
	}
	return &out, nil
}

// Result fetches a completed job's output JSON. A model that failed (validation, moderation)
// answers here with its error. Call it only after Status said COMPLETED: a job still running
// is an error (fal_unavailable, Status 202), never an empty result.
func (c *Client) Result(ctx context.Context, key, endpointID, requestID string) (json.RawMessage, error) {
	status, h, body, err := c.do(ctx, call{op: "result", method: http.MethodGet, url: c.requestURL(endpointID, requestID, ""), key: key, retry: true})
	if err != nil {
		return nil, err
	}
	if status == http.StatusAccepted {
		return nil, &Error{Op: "result", Status: status, RequestID: h.Get("X-Fal-Request-Id"), Code: CodeUnavailable, Message: "fal has not finished this job yet."}
	}
	if !json.Valid(body) {
		return nil, &Error{Op: "result", Status: status, Code: CodeUnavailable, Message: "fal returned a result that is not JSON."}
	}
	return json.RawMessage(body), nil
}

// CancelOutcome is what a cancel achieved.
type CancelOutcome string

// Cancel outcomes (fal-api.md §5.7). fal's codes are partly undocumented, so the body's status
// word decides first and the HTTP code second.
const (
	CancelRemoved          CancelOutcome = "OK"                     // was queued; will never run
	CancelRequested        CancelOutcome = "CANCELLATION_REQUESTED" // running; the app was asked to stop
	CancelAlreadyCompleted CancelOutcome = "ALREADY_COMPLETED"
	CancelNotFound         CancelOutcome = "NOT_FOUND"
)

// Cancel asks fal to cancel a job. fal's answer to a job that completed meanwhile is not
// documented — a 400 with {"status":"ALREADY_COMPLETED"}, or another 4xx with a {detail} body,
// have both been seen — so any 4xx that is not about the request itself (404: unknown job) or
// the caller (401: the key; 429: slow down) means the job is past cancelling.
func (c *Client) Cancel(ctx context.Context, key, endpointID, requestID string) (CancelOutcome, error) {
	var body struct {
		Status string `json:"status"`
	}
	status, _, raw, err := c.do(ctx, call{op: "cancel", method: http.MethodPut, url: c.requestURL(endpointID, requestID, "/cancel"), key: key, retry: true, out: &body})
	if err != nil {
		var fe *Error
		if errors.As(err, &fe) {
			switch {
			case fe.Status == http.StatusNotFound:
				return CancelNotFound, nil
			case fe.Status >= 400 && fe.Status < 500 && fe.Status != http.StatusUnauthorized && fe.Status != http.StatusTooManyRequests:
				if json.Unmarshal(raw, &body) == nil && CancelOutcome(body.Status) == CancelNotFound {
					return CancelNotFound, nil
				}
				return CancelAlreadyCompleted, nil
			}
		}
		return "", err
	}
	switch CancelOutcome(body.Status) {
	case CancelRequested, CancelAlreadyCompleted, CancelNotFound:
		return CancelOutcome(body.Status), nil
	}
	if status == http.StatusAccepted {
		return CancelRequested, nil
	}
	return CancelRemoved, nil
}

// MaxUpload is the largest file Upload takes: fal's own clients switch to a multipart upload
// above it, which this client does not need (reference images are far smaller).
const MaxUpload = 90 << 20

// spoolInMemory is how much of a body of unknown length is held in memory before the rest goes
// to a temporary file.
const spoolInMemory = 1 << 20

// Upload stores a file in fal's CDN (initiate, then PUT to the signed URL) and returns its URL,
// which models accept as input. size may be -1 when unknown: the body is then read first (held
// in memory, or in a temporary file above spoolInMemory), because the PUT always carries a
// Content-Length — S3-style signed URLs answer a chunked body with 411 Length Required, and
// fal's own clients always send the length.
func (c *Client) Upload(ctx context.Context, key, contentType, fileName string, body io.Reader, size int64) (string, error) {
	if size > MaxUpload {
		return "", &Error{Op: "upload", Code: CodeInvalidInput, Message: "The file is too large to send to fal."}
	}
	if size < 0 {
		sp, err := spool(body)
		if err != nil {
			return "", err
		}
		defer sp.Close()
		body, size = sp, sp.size
	}
	var init struct {
		UploadURL string `json:"upload_url"`
		FileURL   string `json:"file_url"`
	}
	_, _, _, err := c.do(ctx, call{op: "upload initiate", method: http.MethodPost, url: c.cfg.RestURL + "/storage/upload/initiate?storage_type=fal-cdn-v3",
		key: key, body: map[string]string{"content_type": contentType, "file_name": fileName}, out: &init})
	if err != nil {
		return "", err
	}
	if init.UploadURL == "" || init.FileURL == "" {
		return "", &Error{Op: "upload initiate", Code: CodeUnavailable, Message: "fal storage answered without an upload URL."}
	}
	u, err := url.Parse(init.UploadURL)
	fu, ferr := url.Parse(init.FileURL)
	if err != nil || ferr != nil || (u.Scheme != "https" && u.Scheme != "http") || (fu.Scheme != "https" && fu.Scheme != "http") || fu.Host == "" {
		return "", &Error{Op: "upload", Code: CodeUnavailable, Message: "fal storage returned an invalid upload URL."}
	}
	actx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	// NewRequest would take a length from a *bytes.Reader itself; any other reader would go out
	// chunked unless told, so the length is set explicitly (and an empty file sent as one).
	req, err := http.NewRequestWithContext(actx, http.MethodPut, init.UploadURL, io.LimitReader(body, size))
	if err != nil {
		return "", networkError("upload", err)
	}
	req.ContentLength = size
	if size == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Content-Type", contentType)
	// The signed URL authorises the PUT; the fal key is not sent to the storage host.
	resp, err := c.http.Do(req)
	if err != nil {
		return "", networkError("upload", redactURLError(err))
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return "", parseError("upload", resp.StatusCode, resp.Header, rb, false)
	}
	return init.FileURL, nil
}

// spooled is a body of unknown length read to its end: in memory, or in a temporary file that
// Close removes.
type spooled struct {
	io.Reader
	size int64
	file *os.File
}

func (s *spooled) Close() error {
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	if rerr := os.Remove(s.file.Name()); err == nil {
		err = rerr
	}
	return err
}

// spool reads body to its end, at most MaxUpload bytes, so its length is known before the PUT.
func spool(body io.Reader) (*spooled, error) {
	var head bytes.Buffer
	n, err := io.Copy(&head, io.LimitReader(body, spoolInMemory+1))
	if err != nil {
		return nil, &Error{Op: "upload", Code: CodeUnavailable, Message: "The file could not be read.", cause: err}
	}
	if n <= spoolInMemory {
		return &spooled{Reader: bytes.NewReader(head.Bytes()), size: n}, nil
	}
	f, err := os.CreateTemp("", "fal-upload-*")
	if err != nil {
		return nil, &Error{Op: "upload", Code: CodeUnavailable, Message: "The file could not be read.", cause: err}
	}
	sp := &spooled{file: f}
	total, err := io.Copy(f, io.MultiReader(&head, io.LimitReader(body, MaxUpload+1-n)))
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		_ = sp.Close()
		return nil, &Error{Op: "upload", Code: CodeUnavailable, Message: "The file could not be read.", cause: err}
	}
	if total > MaxUpload {
		_ = sp.Close()
		return nil, &Error{Op: "upload", Code: CodeInvalidInput, Message: "The file is too large to send to fal."}
	}
	sp.Reader, sp.size = f, total
	return sp, nil
}

// Credits is an account balance.
type Credits struct {
	Balance  float64
	Currency string
}

// Credits reads the balance from fal's documented billing route. Billing needs a key with
// billing access; a 404 is endpoint drift (fal_unavailable), not a bad key. No other route is
// tried: the undocumented ones only turned a clear answer into a confusing one.
func (c *Client) Credits(ctx context.Context, key string) (*Credits, error) {
	_, _, body, err := c.do(ctx, call{op: "credits", method: http.MethodGet, url: c.cfg.APIURL + "/v1/account/billing?expand=credits", key: key, retry: true, billing: true})
	if err != nil {
		if fe := new(Error); errors.As(err, &fe) && fe.Status == http.StatusNotFound {
			return nil, &Error{Op: "credits", Status: fe.Status, Code: CodeUnavailable, Message: "fal's billing API was not found (it may have moved). Generation still works."}
		}
		return nil, err
	}
	cr, ok := parseCredits(body)
	if !ok {
		return nil, &Error{Op: "credits", Status: http.StatusOK, Code: CodeUnavailable, Message: "fal answered the billing request but did not return a balance for this key. Generation still works."}
	}
	return cr, nil
}

// parseCredits accepts credits at the top level or under billing, the amount as current_balance
// or balance.
func parseCredits(body []byte) (*Credits, bool) {
	type amount struct {
		CurrentBalance *float64 `json:"current_balance"`
		Balance        *float64 `json:"balance"`
		Currency       string   `json:"currency"`
	}
	var doc struct {
		amount
		Credits *amount `json:"credits"`
		Billing *struct {
			amount
			Credits *amount `json:"credits"`
		} `json:"billing"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return nil, false
	}
	cands := []*amount{doc.Credits}
	if doc.Billing != nil {
		cands = append(cands, doc.Billing.Credits, &doc.Billing.amount)
	}
	cands = append(cands, &doc.amount)
	for _, a := range cands {
		if a == nil {
			continue
		}
		v := a.CurrentBalance
		if v == nil {
			v = a.Balance
		}
		if v != nil {
			cur := a.Currency
			if cur == "" {
				cur = "USD"
			}
			return &Credits{Balance: *v, Currency: cur}, true
		}
	}
	return nil, false
}

// ModelQuery selects models from the platform catalogue.
type ModelQuery struct {
	Q, Category, Cursor string
	Limit               int
	EndpointIDs         []string
	WithSchema          bool // expand=openapi-3.0
}

// ModelInfo is one platform catalogue entry.
type ModelInfo struct {
	EndpointID string          `json:"endpoint_id"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
	OpenAPI    json.RawMessage `json:"openapi,omitempty"`
}

// ModelPage is a page of the catalogue.
type ModelPage struct {
	Models     []ModelInfo `json:"models"`
	NextCursor *string     `json:"next_cursor"`
	HasMore    bool        `json:"has_more"`
}

// Models lists or searches fal's live model catalogue.
func (c *Client) Models(ctx context.Context, key string, q ModelQuery) (*ModelPage, error) {
	v := url.Values{}
	if q.Q != "" {
		v.Set("q", q.Q)
	}
	if q.Category != "" {
		v.Set("category", q.Category)
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	if q.Limit > 0 {
		v.Set("limit", fmt.Sprint(q.Limit))
	}
	for _, id := range q.EndpointIDs {
		v.Add("endpoint_id", id)
	}
	if q.WithSchema {
		v.Set("expand", "openapi-3.0")
	}
	var out ModelPage
	if _, _, _, err := c.do(ctx, call{op: "models", method: http.MethodGet, url: c.cfg.APIURL + "/v1/models?" + v.Encode(), key: key, retry: true, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Price is an endpoint's unit price.
type Price struct {
	EndpointID string  `json:"endpoint_id"`
	UnitPrice  float64 `json:"unit_price"`
	Unit       string  `json:"unit"`
	Currency   string  `json:"currency"`
}

// Pricing returns unit prices for endpoints.
func (c *Client) Pricing(ctx context.Context, key string, endpointIDs []string) ([]Price, error) {
	v := url.Values{}
	for _, id := range endpointIDs {
		v.Add("endpoint_id", id)
	}
	var out struct {
		Prices []Price `json:"prices"`
	}
	if _, _, _, err := c.do(ctx, call{op: "pricing", method: http.MethodGet, url: c.cfg.APIURL + "/v1/models/pricing?" + v.Encode(), key: key, retry: true, out: &out}); err != nil {
		return nil, err
	}
	return out.Prices, nil
}

// Schema returns a model's OpenAPI document: through the models API with expand=openapi-3.0,
// else (no entry, or {"error":{"code":"expansion_failed"}} in its place) from the per-model
// OpenAPI route.
func (c *Client) Schema(ctx context.Context, key, endpointID string) (json.RawMessage, error) {
	page, err := c.Models(ctx, key, ModelQuery{EndpointIDs: []string{endpointID}, WithSchema: true})
	if err == nil {
		for _, m := range page.Models {
			if m.EndpointID == endpointID && isOpenAPIDoc(m.OpenAPI) {
				return m.OpenAPI, nil
			}
		}
	} else if fe := new(Error); !errors.As(err, &fe) || fe.Code != CodeUnavailable {
		return nil, err
	}
	if c.cfg.SchemaURL == "" {
		return nil, &Error{Op: "schema", Status: http.StatusNotFound, Code: CodeInvalidInput, Message: "fal has no schema for " + endpointID + "."}
	}
	_, _, body, err := c.do(ctx, call{op: "schema", method: http.MethodGet, url: c.cfg.SchemaURL + "?" + url.Values{"endpoint_id": {endpointID}}.Encode(), key: key, retry: true})
	if err != nil {
		if fe := new(Error); errors.As(err, &fe) && fe.Status == http.StatusNotFound {
			return nil, &Error{Op: "schema", Status: fe.Status, Code: CodeInvalidInput, Message: "fal has no schema for " + endpointID + "."}
		}
		return nil, err
	}
	if !isOpenAPIDoc(body) {
		return nil, &Error{Op: "schema", Code: CodeInvalidInput, Message: "fal has no schema for " + endpointID + "."}
	}
	return json.RawMessage(body), nil
}

// isOpenAPIDoc tells a schema from an expansion error or an empty value.
func isOpenAPIDoc(b []byte) bool {
	var d struct {
		OpenAPI string          `json:"openapi"`
		Paths   json.RawMessage `json:"paths"`
	}
	return json.Unmarshal(b, &d) == nil && d.OpenAPI != "" && len(d.Paths) > 0
}
