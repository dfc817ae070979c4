package falsim

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func platformError(typ, msg string) map[string]any {
	return map[string]any{"error": map[string]any{"type": typ, "message": msg}}
}

// newID is a random UUIDv4-shaped request id.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

const (
	msgNoUser    = "No user found for Key ID and Secret"
	msgBadFormat = "Invalid Key Authorization header format. Expected '<key_id>:<key_secret>'."
	msgLocked    = "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing."
)

// checkKey applies the scripted key rules; a non-empty message means 401.
func checkKey(r *http.Request) (key, msg string) {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Key ")
	switch {
	case !ok || key == "" || strings.HasPrefix(key, KeyBadPrefix):
		return "", msgNoUser
	case !strings.Contains(key, ":") && !strings.HasPrefix(key, "sim") && !isAdmin(key):
		return "", msgBadFormat
	}
	return key, ""
}

func isAdmin(key string) bool { return strings.HasPrefix(strings.ToLower(key), KeyAdminPrefix) }

// auth checks the key like the queue and storage hosts do; false means the answer was written.
// lockedMatters marks the calls a locked account is refused (submit, run, upload).
func (s *Server) auth(w http.ResponseWriter, r *http.Request, lockedMatters bool) (string, bool) {
	key, msg := checkKey(r)
	if msg != "" {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"detail": msg})
		return "", false
	}
	if lockedMatters && strings.Contains(key, KeyLocked) {
		writeJSON(w, http.StatusForbidden, map[string]any{"detail": msgLocked})
		return "", false
	}
	s.mu.Lock()
	s.lastKey = key
	s.mu.Unlock()
	return key, true
}

// appID is the owner/app base of an endpoint id; workflows/ and comfy/ keep their namespace.
func appID(endpoint string) string {
	parts := strings.Split(strings.Trim(endpoint, "/"), "/")
	n := 2
	if len(parts) > 0 && (parts[0] == "workflows" || parts[0] == "comfy") {
		n = 3
	}
	if len(parts) > n {
		parts = parts[:n]
	}
	return strings.Join(parts, "/")
}

func (s *Server) queue(w http.ResponseWriter, r *http.Request, rest string) {
	if i := strings.Index(rest, "/requests/"); i >= 0 {
		prefix, tail := rest[:i], rest[i+len("/requests/"):]
		id, action, _ := strings.Cut(tail, "/")
		switch {
		case r.Method == http.MethodGet && action == "status":
			s.status(w, r, prefix, id)
		case r.Method == http.MethodGet && action == "status/stream":
			s.stream(w, r, prefix, id)
		case r.Method == http.MethodGet && action == "":
			s.result(w, r, prefix, id)
		case r.Method == http.MethodPut && action == "cancel":
			s.cancel(w, r, prefix, id)
		default:
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method Not Allowed"})
		}
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method Not Allowed"})
		return
	}
	s.submit(w, r, rest)
}

// readInput decodes a model input; false means a 422 was written.
func readInput(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	var input map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&input); err != nil || input == nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": []any{map[string]any{"loc": []string{"body"}, "msg": "Input should be a valid dictionary or object", "type": "model_attributes_type"}}})
		return nil, false
	}
	return input, true
}

// takeFailure consumes one scripted failure of a kind; it answers and returns true when one was due.
func (s *Server) takeFailure(w http.ResponseWriter, n *int) bool {
	s.mu.Lock()
	if *n <= 0 {
		s.mu.Unlock()
		return false
	}
	*n--
	code := s.opts.FailCode
	s.mu.Unlock()
	// The queue stamps every answer with the request id it gave the call.
	w.Header().Set("X-Fal-Request-Id", newID())
	if code == http.StatusTooManyRequests {
		writeJSON(w, code, map[string]any{"detail": "Too many requests"})
		return true
	}
	w.Header().Set("X-Fal-Error-Type", "runner_disconnected")
	writeJSON(w, code, map[string]any{"detail": "Runner disconnected", "error_type": "runner_disconnected"})
	return true
}

func (s *Server) newJob(endpoint, key string, input map[string]any) *job {
	prompt, _ := input["prompt"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	j := &job{ID: newID(), Endpoint: strings.Trim(endpoint, "/"), Key: key, Prompt: prompt, Input: input, submitted: s.opts.Now()}
	s.jobs[j.ID] = j
	s.order = append(s.order, j.ID)
	return j
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request, endpoint string) {
	s.count("submit")
	key, ok := s.auth(w, r, true)
	if !ok {
		return
	}
	input, ok := readInput(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	s.lastInput = input
	s.mu.Unlock()
	if s.takeFailure(w, &s.opts.FailSubmit) {
		return
	}
	p, _ := input["prompt"].(string)
	if strings.Contains(p, PromptSubmit5xx) {
		// The queue saw it (it has an id): a client cannot know it was not queued.
		w.Header().Set("X-Fal-Request-Id", newID())
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"detail": "Runner scheduling failure", "error_type": "runner_scheduling_failure"})
		return
	}
	if strings.Contains(p, PromptIngress5xx) && s.ingressFails(p) {
		ingressError(w)
		return
	}
	j := s.newJob(endpoint, key, input)
	s.mu.Lock()
	pos := s.opts.QueuePolls
	if s.opts.QueueTime > 0 || s.opts.RunTime > 0 {
		pos = 3
	}
	j.Webhook = r.URL.Query().Get("fal_webhook")
	s.mu.Unlock()
	base := s.URLs().QueueURL + "/" + appID(endpoint) + "/requests/" + j.ID
	body := map[string]any{"status": "IN_QUEUE", "request_id": j.ID, "response_url": base,
		"status_url": base + "/status", "cancel_url": base + "/cancel", "queue_position": pos}
	if j.Webhook != "" {
		body["gateway_request_id"] = j.ID
	}
	w.Header().Set("X-Fal-Request-Id", j.ID)
	writeJSON(w, http.StatusOK, body)
	if j.Webhook != "" {
		s.scheduleWebhook(j)
	}
}

// ingressFails reports whether this submit of an ingress5xx prompt is the one fal's edge drops:
// every other one, so each job's first attempt fails and its resend is queued.
func (s *Server) ingressFails(prompt string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := !s.ingressSeen[prompt]
	if fail {
		s.ingressSeen[prompt] = true
	} else {
		delete(s.ingressSeen, prompt)
	}
	return fail
}

// ingressError is what fal's load balancer answers when the request never reached the queue:
// an nginx HTML page and no x-fal-request-id.
func ingressError(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusBadGateway)
	_, _ = io.WriteString(w, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
}

// run is the synchronous route: the output (or the model's error) at once.
func (s *Server) run(w http.ResponseWriter, r *http.Request, endpoint string) {
	s.count("run")
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method Not Allowed"})
		return
	}
	key, ok := s.auth(w, r, true)
	if !ok {
		return
	}
	input, ok := readInput(w, r)
	if !ok {
		return
	}
	j := s.newJob(endpoint, key, input)
	s.mu.Lock()
	s.lastInput = input
	j.completed, j.completedAt = true, s.opts.Now()
	s.mu.Unlock()
	if strings.Contains(j.Prompt, PromptSubmit5xx) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"detail": "Runner scheduling failure", "error_type": "runner_scheduling_failure"})
		return
	}
	s.answerResult(w, j)
}

// lookup finds a job for a status/result/cancel path; the path's app must be the job's
// owner/app (the full endpoint id is accepted too). nil means a 404 was written.
func (s *Server) lookup(w http.ResponseWriter, prefix, id string, cancel bool) *job {
	s.mu.Lock()
	j := s.jobs[id]
	s.mu.Unlock()
	if j == nil || appID(prefix) != appID(j.Endpoint) {
		if cancel {
			writeJSON(w, http.StatusNotFound, map[string]any{"status": "NOT_FOUND"})
		} else {
			writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Request not found", "error_type": "bad_request"})
		}
		return nil
	}
	return j
}

type progress struct {
	state string
	pos   int // queue position while IN_QUEUE
	steps int // log lines while IN_PROGRESS
}

// advance moves a job on by one poll (when poll is true) and reports where it is.
func (s *Server) advance(j *job, poll bool) progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j.cancelled || j.completed {
		return progress{state: "COMPLETED", steps: j.steps}
	}
	o := s.opts
	forever := 1 << 30
	if o.QueueTime > 0 || o.RunTime > 0 {
		el := o.Now().Sub(j.submitted)
		qt, rt := o.QueueTime, o.RunTime
		if strings.Contains(j.Prompt, PromptQueued) {
			qt = time.Duration(1 << 62)
		}
		if strings.Contains(j.Prompt, PromptSlow) {
			rt = time.Duration(1 << 62)
		}
		switch {
		case el < qt:
			return progress{state: "IN_QUEUE", pos: int(4 * float64(qt-el) / float64(qt))}
		case el-qt < rt:
			j.steps = max(j.steps, timedSteps(el-qt, rt))
			return progress{state: "IN_PROGRESS", steps: j.steps}
		}
		if rt > 0 { // every line of the run, also when no poll saw it running
			j.steps = max(j.steps, timedSteps(rt-1, rt))
		}
	} else {
		if poll {
			j.polls++
		}
		qp, rp := o.QueuePolls, o.RunPolls
		if strings.Contains(j.Prompt, PromptQueued) {
			qp = forever
		}
		if strings.Contains(j.Prompt, PromptSlow) {
			rp = forever
		}
		switch {
		case j.polls <= qp:
			return progress{state: "IN_QUEUE", pos: qp - j.polls}
		case j.polls <= qp+rp:
			j.steps = max(j.steps, min(j.polls-qp, 200))
			return progress{state: "IN_PROGRESS", steps: j.steps}
		}
		j.steps = max(j.steps, min(rp, 200))
	}
	j.completed = true
	j.completedAt = o.Now()
	return progress{state: "COMPLETED", steps: j.steps}
}

// timedSteps is how many log lines a time-based job has written el into a run of rt: one per
// eighth of the run, at most 200.
func timedSteps(el, rt time.Duration) int {
	step := max(rt/8, time.Millisecond)
	return min(int(el/step)+1, 200)
}

// statusBody is the status document of §5.3.
func (s *Server) statusBody(j *job, pr progress, logs bool) map[string]any {
	base := s.URLs().QueueURL + "/" + appID(j.Endpoint) + "/requests/" + j.ID
	body := map[string]any{"status": pr.state, "request_id": j.ID, "response_url": base, "status_url": base + "/status",
		"cancel_url": base + "/cancel", "logs": nil, "metrics": map[string]any{}}
	var lines []map[string]any
	for i := 1; i <= pr.steps; i++ {
		lines = append(lines, map[string]any{"message": fmt.Sprintf("step %d: denoising", i), "level": "INFO", "source": "USER",
			"timestamp": j.submitted.Add(time.Duration(i) * time.Second).UTC().Format("2006-01-02T15:04:05.000Z")})
	}
	switch pr.state {
	case "IN_QUEUE":
		body["queue_position"] = pr.pos
	case "COMPLETED":
		// The logs stay: fal returns a finished job's logs when asked (logs=1).
		body["metrics"] = map[string]any{"inference_time": 1.5}
		switch {
		case strings.Contains(j.Prompt, PromptFail5xx):
			body["error"], body["error_type"] = "Runner disconnected", "runner_disconnected"
		case strings.Contains(j.Prompt, PromptStartTimeout):
			body["error"], body["error_type"] = "Request timed out", "request_timeout"
		}
	}
	if logs {
		if lines == nil {
			lines = []map[string]any{}
		}
		body["logs"] = lines
	}
	return body
}

func wantLogs(r *http.Request) bool {
	v := r.URL.Query().Get("logs")
	return v == "1" || v == "true"
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, prefix, id string) {
	s.count("status")
	if s.takeFailure(w, &s.opts.FailStatus) {
		return
	}
	if _, ok := s.auth(w, r, false); !ok {
		return
	}
	j := s.lookup(w, prefix, id, false)
	if j == nil {
		return
	}
	pr := s.advance(j, true)
	code := http.StatusAccepted
	if pr.state == "COMPLETED" {
		code = http.StatusOK
	}
	writeJSON(w, code, s.statusBody(j, pr, wantLogs(r)))
}

// stream is the SSE variant (§5.4): one data event per change, keep-alive comments in
// between, closed after COMPLETED. Each tick counts as one poll. An event carries only the log
// lines no earlier event carried: fal's own client appends each event's logs to those it has.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, prefix, id string) {
	s.count("stream")
	if _, ok := s.auth(w, r, false); !ok {
		return
	}
	j := s.lookup(w, prefix, id, false)
	if j == nil {
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	s.mu.Lock()
	tick := s.opts.StreamInterval
	s.mu.Unlock()
	t := time.NewTicker(tick)
	defer t.Stop()
	last, sent := progress{state: "-"}, 0
	for {
		pr := s.advance(j, true)
		if pr != last {
			body := s.statusBody(j, pr, wantLogs(r))
			if lines, ok := body["logs"].([]map[string]any); ok {
				body["logs"] = lines[min(sent, len(lines)):]
				sent = len(lines)
			}
			b, _ := json.Marshal(body)
			fmt.Fprintf(w, "data: %s\n\n", b)
			last = pr
		} else {
			fmt.Fprint(w, ": keep-alive\n\n")
		}
		if rc.Flush() != nil || pr.state == "COMPLETED" {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) result(w http.ResponseWriter, r *http.Request, prefix, id string) {
	s.count("result")
	if s.takeFailure(w, &s.opts.FailResult) {
		return
	}
	if _, ok := s.auth(w, r, false); !ok {
		return
	}
	j := s.lookup(w, prefix, id, false)
	if j == nil {
		return
	}
	// Undocumented at fal; aimock answers 202 with the status, so does this.
	if pr := s.advance(j, false); pr.state != "COMPLETED" {
		writeJSON(w, http.StatusAccepted, s.statusBody(j, pr, false))
		return
	}
	s.answerResult(w, j)
}

// answerResult writes a completed job's output, or the model/infrastructure error its prompt
// scripts (fal-api.md §5.5, §8).
func (s *Server) answerResult(w http.ResponseWriter, j *job) {
	w.Header().Set("X-Fal-Request-Id", j.ID)
	s.mu.Lock()
	cancelled := j.cancelled
	s.mu.Unlock()
	p := j.Prompt
	switch {
	case cancelled:
		w.Header().Set("X-Fal-Error-Type", "client_cancelled")
		writeJSON(w, 499, map[string]any{"detail": "Request was cancelled", "error_type": "client_cancelled"})
	case strings.Contains(p, PromptBlocked) || strings.Contains(p, PromptNSFW):
		w.Header().Set("X-Fal-Retryable", "false")
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": []any{map[string]any{"loc": []string{"body", "prompt"},
			"msg":  "The content could not be processed because it contained material flagged by a content checker.",
			"type": "content_policy_violation", "url": "https://docs.fal.ai/errors#content_policy_violation", "input": p}}})
	case strings.Contains(p, PromptInvalid):
		w.Header().Set("X-Fal-Retryable", "false")
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": []any{map[string]any{"loc": []string{"body", "prompt"},
			"msg": "String should have at most 1000 characters", "type": "string_too_long", "ctx": map[string]any{"max_length": 1000}}}})
	case strings.Contains(p, PromptFail5xx):
		w.Header().Set("X-Fal-Error-Type", "runner_disconnected")
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"detail": "Runner disconnected", "error_type": "runner_disconnected"})
	case strings.Contains(p, PromptStartTimeout):
		w.Header().Set("X-Fal-Request-Timeout-Type", "user")
		w.Header().Set("X-Fal-Error-Type", "request_timeout")
		writeJSON(w, http.StatusGatewayTimeout, map[string]any{"detail": "Request timed out", "error_type": "request_timeout"})
	case inputErrorOf(j):
		field, msg := inputError(j)
		writeInputError(w, field, msg)
	default:
		w.Header().Set("X-Fal-Billable-Units", "1")
		writeJSON(w, http.StatusOK, s.output(j))
	}
}

// cancel follows §5.7: queued → 200 OK (never runs), running → 202 CANCELLATION_REQUESTED (the
// simulated app honours it: the job ends on the next poll), done → 400 ALREADY_COMPLETED (or,
// with Options.CancelDoneCode, that 4xx with a {detail} body: fal's answer varies), unknown →
// 404 NOT_FOUND.
func (s *Server) cancel(w http.ResponseWriter, r *http.Request, prefix, id string) {
	s.count("cancel")
	if _, ok := s.auth(w, r, false); !ok {
		return
	}
	j := s.lookup(w, prefix, id, true)
	if j == nil {
		return
	}
	pr := s.advance(j, false)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch pr.state {
	case "IN_QUEUE":
		j.cancelled = true
		writeJSON(w, http.StatusOK, map[string]any{"status": "OK"})
	case "IN_PROGRESS":
		j.cancelRequested, j.cancelled = true, true
		writeJSON(w, http.StatusAccepted, map[string]any{"status": "CANCELLATION_REQUESTED"})
	default:
		if code := s.opts.CancelDoneCode; code != 0 && code != http.StatusBadRequest {
			writeJSON(w, code, map[string]any{"detail": "Request is already completed."})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]any{"status": "ALREADY_COMPLETED"})
	}
}
