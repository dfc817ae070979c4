package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/falsim"
)

// client is a cookie-keeping client for one running binary.
type client struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (c *client) do(method, path, body string) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	r, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return r.StatusCode, b
}

func perm(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// An online backup, restored into a new DATA_DIR (with the secrets and the media), serves the
// old accounts and files. The database and its -wal/-shm are private even with umask 000.
func TestBackupAndRestore(t *testing.T) {
	if dbtest.Postgres() {
		// PostgreSQL is backed up with pg_dump: TestPostgresDumpAndRestore.
		return
	}
	old := syscall.Umask(0) // inherited by the studio: files must be private regardless
	defer syscall.Umask(old)

	sim := falsim.NewTest(t, falsim.Options{})
	var env []string
	for k, v := range sim.URLs().Env() {
		env = append(env, k+"="+v)
	}
	dir := t.TempDir()
	p := start(t, dir, env...)
	asset, media := generateOne(t, newClient(t, p.url))
	data := filepath.Join(dir, "data")
	for _, f := range []string{"falstudio.db", "falstudio.db-wal", "falstudio.db-shm"} {
		if m := perm(t, filepath.Join(data, f)); m != 0o600 {
			t.Errorf("%s has mode %o with umask 000, want 600", f, m)
		}
	}

	// The backup runs while the studio serves.
	backup := filepath.Join(t.TempDir(), "falstudio-backup.db")
	run := func(args ...string) (string, error) {
		cmd := exec.Command(binary, args...)
		cmd.Dir = dir
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("backup", "--out", backup)
	if err != nil || !strings.Contains(out, "integrity ok") {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if m := perm(t, backup); m != 0o600 {
		t.Errorf("backup mode %o", m)
	}
	if out, err := run("backup", "--out", backup); err == nil || !strings.Contains(out, "exists") {
		t.Fatalf("a second backup over the first must refuse: %v %s", err, out)
	}
	if out, err := run("backup"); err == nil || !strings.Contains(out, "usage") {
		t.Fatalf("no --out: %v %s", err, out)
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}

	// Restore into a new DATA_DIR: the database from the backup, the secrets, the media folder.
	dir2 := t.TempDir()
	data2 := filepath.Join(dir2, "data")
	copyFile(t, backup, filepath.Join(data2, "falstudio.db"))
	for _, f := range []string{"encryption_key", "session_secret"} {
		copyFile(t, filepath.Join(data, f), filepath.Join(data2, f))
	}
	copyDir(t, filepath.Join(data, "media"), filepath.Join(data2, "media"))
	p = start(t, dir2, env...)
	checkRestored(t, p, asset, media)
}

type savedAsset struct{ ID, URL string }

// generateOne signs up, saves a fal key and runs one generation to its saved asset, returning
// the asset and its bytes.
func generateOne(t *testing.T, c *client) (savedAsset, []byte) {
	t.Helper()
	const signup = `{"email":"backup@example.com","password":"backed up and restored"}`
	if code, b := c.do("POST", "/api/auth/signup", signup); code != 201 {
		t.Fatalf("signup: %d %s", code, b)
	}
	if code, b := c.do("PUT", "/api/me/fal-key", `{"falKey":"sim-key"}`); code != 200 {
		t.Fatalf("fal key: %d %s", code, b)
	}
	code, b := c.do("POST", "/api/generations", `{"model":"fal-ai/flux/schnell","prompt":"kept in a backup"}`)
	var g struct {
		Generation struct {
			ID, Status string
			Assets     []savedAsset
		}
	}
	if err := json.Unmarshal(b, &g); err != nil || code != 202 {
		t.Fatalf("submit: %d %s %v", code, b, err)
	}
	// The event stream closes after the final state: no polling.
	if code, _ := c.do("GET", "/api/generations/"+g.Generation.ID+"/events", ""); code != 200 {
		t.Fatalf("events: %d", code)
	}
	_, b = c.do("GET", "/api/generations/"+g.Generation.ID, "")
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if g.Generation.Status != "succeeded" || len(g.Generation.Assets) != 1 {
		t.Fatalf("assets: %+v", g)
	}
	asset := g.Generation.Assets[0]
	code, media := c.do("GET", asset.URL, "")
	if code != 200 || len(media) == 0 {
		t.Fatalf("media: %d", code)
	}
	return asset, media
}

// checkRestored logs in to a restored studio, finds the asset with the same bytes, runs a new
// job (the saved fal key still decrypts) and stops the studio.
func checkRestored(t *testing.T, p *proc, asset savedAsset, media []byte) {
	t.Helper()
	c2 := newClient(t, p.url)
	if code, b := c2.do("POST", "/api/auth/login", `{"email":"backup@example.com","password":"backed up and restored"}`); code != 200 {
		t.Fatalf("login on the restored studio: %d %s", code, b)
	}
	code, b := c2.do("GET", "/api/assets", "")
	if code != 200 || !strings.Contains(string(b), asset.ID) {
		t.Fatalf("restored assets: %d %s", code, b)
	}
	if code, got := c2.do("GET", asset.URL, ""); code != 200 || !bytes.Equal(got, media) {
		t.Fatalf("restored media: %d, %d bytes (want %d)", code, len(got), len(media))
	}
	if code, b := c2.do("POST", "/api/generations", `{"model":"fal-ai/flux/schnell","prompt":"after the restore"}`); code != 202 {
		t.Fatalf("submit after restore: %d %s", code, b)
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// copyDir copies the files under from (the media folder) to the same paths under to.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		copyFile(t, path, filepath.Join(to, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPostgresDumpAndRestore follows docs/deploy.md for PostgreSQL: pg_dump (custom format)
// while the studio serves, pg_restore into a new database, the secrets and media into a new
// DATA_DIR; the restored studio logs the person in, serves the same bytes and runs a new job.
// (With SQLite, TestBackupAndRestore covers `falstudio backup`.)
func TestPostgresDumpAndRestore(t *testing.T) {
	if !dbtest.Postgres() {
		return
	}
	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Fatalf("pg_dump is not installed beside the test server (scripts/pg.sh installs both): %v", err)
	}
	pgRestore, err := exec.LookPath("pg_restore")
	if err != nil {
		t.Fatalf("pg_restore: %v", err)
	}
	sim := falsim.NewTest(t, falsim.Options{})
	var env []string
	for k, v := range sim.URLs().Env() {
		env = append(env, k+"="+v)
	}
	source, target := dbtest.URL(t), dbtest.URL(t)
	dir := t.TempDir()
	p := start(t, dir, append(env, "DATABASE_URL="+source)...)
	asset, media := generateOne(t, newClient(t, p.url))

	dump := filepath.Join(t.TempDir(), "falstudio.dump")
	if out, err := exec.Command(pgDump, "--format=custom", "--file="+dump, source).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump while serving: %v\n%s", err, out)
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if out, err := exec.Command(pgRestore, "--no-owner", "--exit-on-error", "--dbname="+target, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	dir2 := t.TempDir()
	data, data2 := filepath.Join(dir, "data"), filepath.Join(dir2, "data")
	for _, f := range []string{"encryption_key", "session_secret"} {
		copyFile(t, filepath.Join(data, f), filepath.Join(data2, f))
	}
	copyDir(t, filepath.Join(data, "media"), filepath.Join(data2, "media"))
	p = start(t, dir2, append(env, "DATABASE_URL="+target)...)
	checkRestored(t, p, asset, media)
}

func TestBackupOfPostgresPointsAtPgDump(t *testing.T) {
	cmd := exec.Command(binary, "backup", "--out", filepath.Join(t.TempDir(), "x.db"))
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "DATABASE_URL=postgres://studio:pw-not-shown@127.0.0.1:1/studio"}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "pg_dump") || strings.Contains(string(out), "pw-not-shown") {
		t.Fatalf("backup with PostgreSQL: %v %q", err, out)
	}
}
