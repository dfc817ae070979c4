package falsim_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/falsim"
)

// do sends one request to the simulator and returns the status, headers and body.
func do(t *testing.T, method, url, key, body string, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Key "+key)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func submit(t *testing.T, sim *falsim.Server, prompt string) string {
	t.Helper()
	code, _, b := do(t, "POST", sim.URLs().QueueURL+"/fal-ai/flux/dev", "sim-key", `{"prompt":"`+prompt+`"}`, nil)
	var out struct {
		RequestID string `json:"request_id"`
	}
	if code != 200 || json.Unmarshal(b, &out) != nil || out.RequestID == "" {
		t.Fatalf("submit: %d %s", code, b)
	}
	return out.RequestID
}

type statusDoc struct {
	Status string `json:"status"`
	Logs   []struct {
		Message string `json:"message"`
	} `json:"logs"`
}

// A signed PUT without a Content-Length (a chunked body) is refused with 411, as S3-style signed
// URLs do; with one it is stored.
func TestSignedPutNeedsContentLength(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	code, _, b := do(t, "POST", sim.URLs().RestURL+"/storage/upload/initiate?storage_type=fal-cdn-v3", "sim-key", `{"content_type":"image/png","file_name":"a.png"}`, nil)
	var in struct {
		UploadURL string `json:"upload_url"`
	}
	if code != 200 || json.Unmarshal(b, &in) != nil || in.UploadURL == "" {
		t.Fatalf("initiate: %d %s", code, b)
	}
	up := in.UploadURL
	req, err := http.NewRequest("PUT", up, io.MultiReader(strings.NewReader("\x89PNG")))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "image/png")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusLengthRequired || !strings.Contains(string(b), "MissingContentLength") {
		t.Fatalf("chunked PUT: %d %s", resp.StatusCode, b)
	}
	// The URL is still unused: the same PUT with a length is stored.
	if code, _, b = do(t, "PUT", up, "", "\x89PNG", map[string]string{"Content-Type": "image/png"}); code != 200 {
		t.Fatalf("PUT with a length: %d %s", code, b)
	}
}

// submit5xx is the queue's 503 (it carries a request id: the job may exist); ingress5xx is the
// edge's 502 (nginx HTML, no request id) on every other submit of the prompt.
func TestSubmitFailuresQueueAndEdge(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	u := sim.URLs().QueueURL + "/fal-ai/flux/dev"
	code, h, b := do(t, "POST", u, "sim-key", `{"prompt":"submit5xx"}`, nil)
	if code != 503 || h.Get("X-Fal-Request-Id") == "" {
		t.Fatalf("submit5xx: %d %v %s", code, h, b)
	}
	for i := range 2 { // each job: the first attempt dropped at the edge, the resend queued
		code, h, b = do(t, "POST", u, "sim-key", `{"prompt":"ingress5xx"}`, nil)
		if code != 502 || h.Get("X-Fal-Request-Id") != "" || !strings.Contains(string(b), "nginx") {
			t.Fatalf("ingress5xx attempt 1 of job %d: %d %v %s", i, code, h, b)
		}
		code, h, b = do(t, "POST", u, "sim-key", `{"prompt":"ingress5xx"}`, nil)
		if code != 200 || h.Get("X-Fal-Request-Id") == "" {
			t.Fatalf("ingress5xx attempt 2 of job %d: %d %s", i, code, b)
		}
	}
	if n := len(sim.Jobs()); n != 2 {
		t.Fatalf("%d jobs, want 2", n)
	}
	// FailSubmit failures come from the queue too.
	sim.SetOptions(falsim.Options{FailSubmit: 1})
	if code, h, _ = do(t, "POST", u, "sim-key", `{"prompt":"x"}`, nil); code != 503 || h.Get("X-Fal-Request-Id") == "" {
		t.Fatalf("FailSubmit: %d %v", code, h)
	}
}

// A completed job keeps its logs when they are asked for, also when no poll saw it running.
func TestCompletedKeepsLogs(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{QueuePolls: 1, RunPolls: 3})
	id := submit(t, sim, "a fox")
	u := sim.URLs().QueueURL + "/fal-ai/flux/requests/" + id + "/status"
	var last statusDoc
	for range 6 {
		_, _, b := do(t, "GET", u+"?logs=1", "sim-key", "", nil)
		if err := json.Unmarshal(b, &last); err != nil {
			t.Fatal(err)
		}
		if last.Status == "COMPLETED" {
			break
		}
	}
	if last.Status != "COMPLETED" || len(last.Logs) != 3 || last.Logs[2].Message != "step 3: denoising" {
		t.Fatalf("completed: %+v", last)
	}
	_, _, b := do(t, "GET", u+"?logs=0", "sim-key", "", nil)
	if !strings.Contains(string(b), `"logs":null`) {
		t.Fatalf("logs=0: %s", b)
	}
	// Time-based: a job first polled after it finished still has every line.
	now := time.Now()
	sim.SetOptions(falsim.Options{QueueTime: time.Second, RunTime: 8 * time.Second, Now: func() time.Time { return now }})
	id = submit(t, sim, "a fox")
	now = now.Add(time.Minute)
	_, _, b = do(t, "GET", sim.URLs().QueueURL+"/fal-ai/flux/requests/"+id+"/status?logs=1", "sim-key", "", nil)
	if err := json.Unmarshal(b, &last); err != nil || last.Status != "COMPLETED" || len(last.Logs) != 8 {
		t.Fatalf("timed job completed unseen: %s", b)
	}
}

// Every status-stream event carries only the log lines no earlier event carried, and the
// stream closes after COMPLETED.
func TestStreamSendsOnlyNewLogLines(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{QueuePolls: 2, RunPolls: 3, StreamInterval: time.Millisecond})
	id := submit(t, sim, "a fox")
	req, err := http.NewRequest("GET", sim.URLs().QueueURL+"/fal-ai/flux/requests/"+id+"/status/stream?logs=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Key sim-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var states []string
	var messages []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev statusDoc
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatal(err)
		}
		states = append(states, ev.Status)
		for _, l := range ev.Logs {
			messages = append(messages, l.Message)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(states, ",") != "IN_QUEUE,IN_QUEUE,IN_PROGRESS,IN_PROGRESS,IN_PROGRESS,COMPLETED" {
		t.Fatalf("states %v", states)
	}
	if strings.Join(messages, "|") != "step 1: denoising|step 2: denoising|step 3: denoising" {
		t.Fatalf("log lines over the stream: %q", messages)
	}
}

// Pricing needs endpoint_id (fal's reference: 1 to 50 of them); a key without the pricing
// permission gets the platform's 403.
func TestPricingValidation(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	api := sim.URLs().APIURL + "/v1/models/pricing"
	code, _, b := do(t, "GET", api, "sim-key", "", nil)
	if code != 400 || !strings.Contains(string(b), `"type":"validation_error"`) {
		t.Fatalf("no endpoint_id: %d %s", code, b)
	}
	if code, _, b = do(t, "GET", api+"?endpoint_id="+strings.Repeat("a/b,", 51), "sim-key", "", nil); code != 400 {
		t.Fatalf("51 ids: %d %s", code, b)
	}
	if code, _, b = do(t, "GET", api+"?endpoint_id=fal-ai/flux/dev", "sim-key", "", nil); code != 200 || !strings.Contains(string(b), `"unit_price":0.025`) {
		t.Fatalf("one id: %d %s", code, b)
	}
	if code, _, b = do(t, "GET", api+"?endpoint_id=fal-ai/flux/dev", "sim-nopricing:x", "", nil); code != 403 || !strings.Contains(string(b), "authorization_error") {
		t.Fatalf("no pricing permission: %d %s", code, b)
	}
	if code, _, b = do(t, "POST", api+"/estimate", "sim-nopricing:x", `{"estimate_type":"historical_api_price","endpoints":{"fal-ai/flux/dev":{"call_quantity":1}}}`, nil); code != 403 {
		t.Fatalf("estimate without pricing permission: %d %s", code, b)
	}
}

// GET /v1/meta lists the webhook source ranges without a key.
func TestMeta(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	code, h, b := do(t, "GET", sim.URLs().APIURL+"/v1/meta", "", "", nil)
	var out struct {
		Ranges []string `json:"webhook_ip_ranges"`
	}
	if code != 200 || h.Get("Content-Type") != "application/json" || json.Unmarshal(b, &out) != nil || strings.Join(out.Ranges, ",") != "127.0.0.1/32,::1/128" {
		t.Fatalf("meta: %d %s", code, b)
	}
	if sim.Count("meta") != 1 {
		t.Fatalf("meta counted %d", sim.Count("meta"))
	}
}

// Cancelling a completed job answers 400 {"status":"ALREADY_COMPLETED"}, or with CancelDoneCode
// that 4xx and a {detail} body.
func TestCancelCompletedAnswers(t *testing.T) {
	for code, want := range map[int]string{0: `{"status":"ALREADY_COMPLETED"}`, 409: `{"detail":"Request is already completed."}`} {
		sim := falsim.NewTest(t, falsim.Options{CancelDoneCode: code})
		id := submit(t, sim, "a fox")
		do(t, "GET", sim.URLs().QueueURL+"/fal-ai/flux/requests/"+id+"/status", "sim-key", "", nil)
		got, _, b := do(t, "PUT", sim.URLs().QueueURL+"/fal-ai/flux/requests/"+id+"/cancel", "sim-key", "", nil)
		if got != max(code, 400) || strings.TrimSpace(string(b)) != want {
			t.Fatalf("CancelDoneCode %d: %d %s", code, got, b)
		}
	}
}
