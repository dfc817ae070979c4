package falsim

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// Webhooks (fal-api.md §5.8–§5.9). A job submitted with ?fal_webhook= is delivered to that URL
// once it ends: a POST of {request_id, gateway_request_id, status "OK"|"ERROR", payload, error?}
// signed with Ed25519 over "{request id}\n{user id}\n{unix seconds}\n{hex(sha256(body))}", the
// public key served as a JWKS at {rest}/.well-known/jwks.json. A delivery not answered 2xx is
// retried (fal: 10 times over 2 hours; here Options.WebhookRetryBase doubling). Nobody polls a
// webhook job, so it completes on its own: Options.WebhookDelay after the submit (poll-counted
// timing), or when QueueTime+RunTime have passed (time-based timing). "slow" and "queued" jobs
// never complete, so they are never delivered.

// jwksPath is the JWKS route under the rest base.
const jwksPath = "/rest/.well-known/jwks.json"

// webhookDefaults fills the webhook knobs.
func webhookDefaults(o Options) Options {
	if o.WebhookDelay <= 0 {
		o.WebhookDelay = 20 * time.Millisecond
	}
	if o.WebhookRetryBase <= 0 {
		o.WebhookRetryBase = 10 * time.Second
	}
	if o.WebhookRetries <= 0 {
		o.WebhookRetries = 10
	}
	return o
}

func newSigningKey() ed25519.PrivateKey {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic("falsim: ed25519 key: " + err.Error())
	}
	return priv
}

// RotateKey replaces the webhook signing key: the JWKS serves only the new key from now on.
func (s *Server) RotateKey() {
	s.mu.Lock()
	s.signKey = newSigningKey()
	s.mu.Unlock()
}

// jwks serves the public webhook key set, no key needed.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	s.count("jwks")
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method Not Allowed"})
		return
	}
	s.mu.Lock()
	pub := s.signKey.Public().(ed25519.PublicKey)
	s.mu.Unlock()
	sum := sha256.Sum256(pub)
	writeJSON(w, http.StatusOK, map[string]any{"keys": []any{map[string]any{
		"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(pub),
		"kid": hex.EncodeToString(sum[:8]), "use": "sig", "alg": "EdDSA"}}})
}

// SignWebhook returns the four headers fal sends with a delivery of body, signed with the
// current key (tests forge, replay and age deliveries with it).
func (s *Server) SignWebhook(requestID, userID string, ts time.Time, body []byte) http.Header {
	s.mu.Lock()
	key := s.signKey
	s.mu.Unlock()
	return signWith(key, requestID, userID, strconv.FormatInt(ts.Unix(), 10), body)
}

func signWith(key ed25519.PrivateKey, requestID, userID, ts string, body []byte) http.Header {
	sum := sha256.Sum256(body)
	msg := requestID + "\n" + userID + "\n" + ts + "\n" + hex.EncodeToString(sum[:])
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Fal-Webhook-Request-Id", requestID)
	h.Set("X-Fal-Webhook-User-Id", userID)
	h.Set("X-Fal-Webhook-Timestamp", ts)
	h.Set("X-Fal-Webhook-Signature", hex.EncodeToString(ed25519.Sign(key, []byte(msg))))
	return h
}

// Delivery is one webhook call the simulator made.
type Delivery struct {
	Header http.Header
	Body   []byte
	Status int // the studio's answer (0: no answer)
}

// Deliveries returns the webhook calls made so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// userID is the fal user a key belongs to: its key id (before ':').
func userID(key string) string {
	if id, _, ok := strings.Cut(key, ":"); ok && id != "" {
		return id
	}
	return "sim-user"
}

// scheduleWebhook completes j on its own and delivers its webhook.
func (s *Server) scheduleWebhook(j *job) {
	if strings.Contains(j.Prompt, PromptSlow) || strings.Contains(j.Prompt, PromptQueued) {
		return
	}
	s.mu.Lock()
	o := s.opts
	select {
	case <-s.closing:
		s.mu.Unlock()
		return
	default:
	}
	s.wg.Add(1) // under mu, so Close never waits while one is being added
	s.mu.Unlock()
	wait := o.WebhookDelay
	if o.QueueTime > 0 || o.RunTime > 0 {
		wait = o.QueueTime + o.RunTime
	}
	go func() {
		defer s.wg.Done()
		if !s.pause(wait) {
			return
		}
		s.complete(j)
		body := s.webhookBody(j)
		for attempt := 0; attempt <= o.WebhookRetries; attempt++ {
			if attempt > 0 && !s.pause(o.WebhookRetryBase<<(attempt-1)) {
				return
			}
			if s.deliver(j, body) {
				return
			}
		}
	}()
}

// pause waits d, or reports false when the simulator closes first.
func (s *Server) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.closing:
		return false
	}
}

// complete ends a job that nobody polls (a cancelled one stays as it is).
func (s *Server) complete(j *job) {
	s.mu.Lock()
	timed := s.opts.QueueTime > 0 || s.opts.RunTime > 0
	if !timed && !j.completed && !j.cancelled {
		j.steps = max(j.steps, min(s.opts.RunPolls, 200))
		j.completed, j.completedAt = true, s.opts.Now()
	}
	s.mu.Unlock()
	if timed {
		s.advance(j, false)
	}
}

// webhookBody is what fal posts when j ends: its result as payload, or the error fal's result
// route answers.
func (s *Server) webhookBody(j *job) []byte {
	rec := httptest.NewRecorder()
	s.answerResult(rec, j)
	var payload any
	if err := json.Unmarshal(rec.Body.Bytes(), &payload); err != nil {
		payload = nil
	}
	body := map[string]any{"request_id": j.ID, "gateway_request_id": j.ID, "status": "OK", "payload": payload}
	if rec.Code/100 != 2 {
		body["status"] = "ERROR"
		body["error"] = fmt.Sprintf("Invalid status code: %d", rec.Code)
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic("falsim: webhook body: " + err.Error())
	}
	return b
}

// deliver makes one signed call; true when the studio answered 2xx.
func (s *Server) deliver(j *job, body []byte) bool {
	s.mu.Lock()
	drop, key := s.opts.WebhookDrop, s.signKey
	s.mu.Unlock()
	if drop {
		s.count("webhook_dropped")
		return true // lost on the way: fal believes it delivered
	}
	s.count("webhook")
	h := signWith(key, j.ID, userID(j.Key), strconv.FormatInt(time.Now().Unix(), 10), body)
	d := Delivery{Header: h, Body: body}
	req, err := http.NewRequest(http.MethodPost, j.Webhook, bytes.NewReader(body))
	if err == nil {
		req.Header = h.Clone()
		resp, err := s.hookClient.Do(req)
		if err == nil {
			d.Status = resp.StatusCode
			_ = resp.Body.Close()
		}
	}
	s.mu.Lock()
	s.deliveries = append(s.deliveries, d)
	if len(s.deliveries) > 1000 {
		s.deliveries = s.deliveries[len(s.deliveries)-1000:]
	}
	s.mu.Unlock()
	if d.Status/100 == 2 {
		s.count("webhook_ok")
		return true
	}
	return false
}
