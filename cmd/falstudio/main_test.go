package main_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "falstudio-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "falstudio")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type proc struct {
	cmd  *exec.Cmd
	url  string
	logs *testutil.SyncBuffer
	done chan error // the process exited and all its output was read
}

var listening = regexp.MustCompile(`fal-studio listening.*addr=(127\.0\.0\.1:\d+)`)

// start runs the binary in dir with only the given environment (plus PATH/HOME).
func start(t *testing.T, dir string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ADDR=127.0.0.1:0"}, env...)
	if dbtest.Postgres() && !slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, "DATABASE_URL=") }) {
		cmd.Env = append(cmd.Env, "DATABASE_URL="+testutil.DatabaseFor(t, dir))
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: &testutil.SyncBuffer{}, done: make(chan error, 1)}
	found := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			p.logs.Write([]byte(line + "\n"))
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { err := cmd.Wait(); pw.Close(); <-scanned; p.done <- err }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case addr := <-found:
		p.url = "http://" + addr
	case err := <-p.done:
		t.Fatalf("exited at start: %v\n%s", err, p.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("did not start:\n%s", p.logs.String())
	}
	return p
}

// signal sends sig to the process; a failure means the test no longer controls it.
func (p *proc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
}

func (p *proc) wait(t *testing.T) int {
	select {
	case err := <-p.done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatal("did not exit")
	}
	return -1
}

func TestStartsWithNoConfigurationAndStopsGracefully(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir, "DATABASE_URL=") // truly no configuration: SQLite in ./data, on either run of the suite
	resp, err := http.Get(p.url + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if st["ok"] != true || st["storage"] != "local" || st["database"] != "sqlite" {
		t.Fatalf("status %v", st)
	}
	for _, f := range []string{"data/falstudio.db", "data/session_secret", "data/encryption_key"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if strings.Contains(f, "secret") || strings.Contains(f, "key") {
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s mode %o", f, fi.Mode().Perm())
			}
		}
	}
	if r, _ := http.Get(p.url + "/"); r == nil || r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || r.Header.Get("Cache-Control") != "no-cache" ||
		!strings.Contains(r.Header.Get("Content-Security-Policy"), "object-src 'none'") || r.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("UI not served with its headers: %v", r)
	}
	if r, _ := http.Get(p.url + "/gallery/deep/link"); r == nil || r.StatusCode != 200 {
		t.Fatal("history fallback")
	}
	idx, err := http.Get(p.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	html, err := io.ReadAll(idx.Body)
	if err != nil {
		t.Fatalf("reading idx.Body: %v", err)
	}
	idx.Body.Close()
	asset := regexp.MustCompile(`/assets/[^"]+\.js`).FindString(string(html))
	if r, _ := http.Get(p.url + asset); asset == "" || r == nil || r.StatusCode != 200 || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("hashed asset %q not cached long: %v", asset, r)
	}
	if r, _ := http.Get(p.url + "/assets/missing.js"); r == nil || r.StatusCode != 404 {
		t.Fatal("a missing asset must 404, not fall back to index.html")
	}
	r, err := http.Post(p.url+"/api/auth/signup", "application/json", strings.NewReader(`{"email":"g@example.com","password":"graceful shutdown pw"}`))
	if err != nil || r.StatusCode != 201 {
		t.Fatalf("signup: %v %v", r, err)
	}
	r.Body.Close()
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit code %d\n%s", code, p.logs)
	}
	// Secrets stay out of the log.
	sec, _ := os.ReadFile(filepath.Join(dir, "data", "encryption_key"))
	if strings.Contains(p.logs.String(), strings.TrimSpace(string(sec))) {
		t.Fatal("the encryption key was logged")
	}
	for _, want := range []string{"request_id=", "user_id=", "method=POST", "path=/api/auth/signup", "status=201", "duration="} {
		if !strings.Contains(p.logs.String(), want) {
			t.Errorf("access log lacks %s", want)
		}
	}
}

func TestBadConfigurationStopsWithOneLine(t *testing.T) {
	for _, env := range []string{"SESSION_SECRET=short", "S3_ENDPOINT=notaurl", "ENCRYPTION_KEY=zz", "DATA_DIR=/proc/forbidden"} {
		cmd := exec.Command(binary)
		cmd.Dir = t.TempDir()
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ADDR=127.0.0.1:0", env}
		out, err := cmd.CombinedOutput()
		name := strings.SplitN(env, "=", 2)[0]
		if err == nil || strings.Count(strings.TrimSpace(string(out)), "\n") != 0 || !strings.Contains(string(out), name) {
			t.Errorf("%s: err %v, output %q", env, err, out)
		}
		if strings.Contains(env, "short") && strings.Contains(string(out), "short") {
			t.Errorf("secret value echoed: %q", out)
		}
	}
	// .env is read, and the real environment wins over it.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("ALLOW_SIGNUP=maybe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ADDR=127.0.0.1:0"}
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "ALLOW_SIGNUP") {
		t.Errorf(".env not read: %q", out)
	}
	p := start(t, dir, "ALLOW_SIGNUP=false")
	p.signal(t, syscall.SIGTERM)
	p.wait(t)
}

// A real kill -9 while a job waits in fal's queue: after a restart the job completes once.
func TestKilledWhileQueuedResumesOnce(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{QueuePolls: 1 << 20})
	var env []string
	for k, v := range sim.URLs().Env() {
		env = append(env, k+"="+v)
	}
	dir := t.TempDir()
	p := start(t, dir, env...)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	post := func(method, path, body string) *http.Response {
		req, _ := http.NewRequest(method, p.url+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		r, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	post("POST", "/api/auth/signup", `{"email":"kill@example.com","password":"kill nine resume"}`).Body.Close()
	post("PUT", "/api/me/fal-key", `{"falKey":"sim-key"}`).Body.Close()
	r := post("POST", "/api/generations", `{"model":"fal-ai/flux/schnell","prompt":"survives a crash"}`)
	var g struct {
		Generation struct{ ID, Status string } `json:"generation"`
	}
	err := json.NewDecoder(r.Body).Decode(&g)
	r.Body.Close()
	if err != nil || g.Generation.Status != "queued" {
		t.Fatalf("submitted: %+v (%v)", g, err)
	}

	// SIGTERM with an event stream open: the stream (an in-flight request, proven by its first
	// event) ends cleanly, the process exits 0, and the job stays resumable.
	stream, err := c.Get(p.url + "/api/generations/" + g.Generation.ID + "/events")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(stream.Body)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "data: ") {
		t.Fatalf("first event: %q %v", line, err)
	}
	p.signal(t, syscall.SIGTERM)
	if _, err := io.Copy(io.Discard, br); err != nil {
		t.Fatalf("the event stream was cut instead of ended: %v", err)
	}
	stream.Body.Close()
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}

	p = start(t, dir, env...)
	p.signal(t, os.Kill) // SIGKILL while the job waits in fal's queue: no shutdown code runs
	p.wait(t)
	sim.SetOptions(falsim.Options{})
	p = start(t, dir, env...)
	testutil.WaitFor(t, 20*time.Second, "the job to succeed after the restart", func() bool {
		r, err := c.Get(p.url + "/api/generations/" + g.Generation.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		if err := json.NewDecoder(r.Body).Decode(&g); err != nil {
			t.Fatalf("after restart: %d %v\n%s", r.StatusCode, err, p.logs)
		}
		if s := g.Generation.Status; s == "failed" || s == "canceled" {
			t.Fatalf("after restart: %+v\n%s", g, p.logs)
		}
		return g.Generation.Status == "succeeded"
	})
	if sim.Count("submit") != 1 {
		t.Fatalf("%d submits", sim.Count("submit"))
	}
	var list struct{ Assets []any }
	r, err = c.Get(p.url + "/api/assets")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(r.Body).Decode(&list)
	r.Body.Close()
	if err != nil || len(list.Assets) != 1 {
		t.Fatalf("%d assets (%v)", len(list.Assets), err)
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestCheckS3Command(t *testing.T) {
	srv := testutil.StartS3(t, false)
	env := []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range srv.Env("checked") {
		env = append(env, k+"="+v)
	}
	run := func(env []string) (string, error) {
		cmd := exec.Command(binary, "check-s3")
		cmd.Dir = t.TempDir()
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// The bucket does not exist yet: a clear failure.
	if out, err := run(env); err == nil || !strings.Contains(out, "checked") {
		t.Fatalf("missing bucket: %v %q", err, out)
	}
	if err := os.MkdirAll(filepath.Join(srv.Dir, "checked"), 0o700); err != nil { // versitygw's posix backend: a folder is a bucket
		t.Fatal(err)
	}
	out, err := run(env)
	if err != nil || !strings.Contains(out, "ok: small object") || !strings.Contains(out, "ok: multipart upload") {
		t.Fatalf("check-s3: %v\n%s", err, out)
	}
	if entries, err := os.ReadDir(filepath.Join(srv.Dir, "checked")); err != nil || len(entries) > 1 {
		t.Fatalf("probe objects left behind: %v (%v)", entries, err)
	}
	if strings.Contains(out, srv.SecretKey) {
		t.Fatal("the S3 secret was printed")
	}
}
