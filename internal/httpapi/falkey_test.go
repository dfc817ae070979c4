package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/config"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

// scanForSecret fails when the secret (or its base64/URL-encoded forms) appears anywhere given.
func scanForSecret(t *testing.T, secret string, where map[string][]byte) {
	t.Helper()
	forms := []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), base64.RawStdEncoding.EncodeToString([]byte(secret)), url.QueryEscape(secret)}
	for name, b := range where {
		for _, f := range forms {
			if bytes.Contains(b, []byte(f)) {
				t.Errorf("the secret (%.8s…) appears in %s", secret, name)
			}
		}
	}
}

// dataFiles reads every file under dir (the database, its WAL and SHM, media, secrets).
func dataFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		// A file removed between listing and reading (a rolled-over temporary) holds nothing;
		// any other failure would leave a file unscanned, so it fails the test.
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		out[p] = b
		return err
	})
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	return out
}

func TestFalKeyIsNeverLeaked(t *testing.T) {
	s := testutil.NewStudio(t, testutil.StudioOptions{})
	c := s.NewClient(t)
	c.SignUp("keys@example.com", goodPassword)
	const key = "SENTINEL_5f1e2d3c4b5a69788796a5b4c3d2e1f0:0011223344556677"
	seen := map[string][]byte{}
	record := func(name string, r *testutil.Response) {
		var hdr bytes.Buffer
		_ = r.Header.Write(&hdr)
		seen[name] = append(hdr.Bytes(), r.Body...)
	}
	r := c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": key})
	if r.Status != 200 || r.JSON()["user"].(map[string]any)["hasFalKey"] != true {
		t.Fatalf("save key: %d %s", r.Status, r.Body)
	}
	if u := r.JSON()["user"].(map[string]any); len(u) != 4 {
		t.Fatalf("user object grew: %v", u)
	}
	record("PUT fal-key", r)
	record("GET me", c.Do("GET", "/api/me", nil))
	record("PUT bad key", c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": key + " with spaces"}))

	// The sealed value differs each time it is written (fresh nonce).
	st := s.App.Store()
	before, err := st.SealedFalKeys(context.Background())
	if err != nil || len(before) == 0 {
		t.Fatalf("sealed keys before: %d (%v)", len(before), err)
	}
	if r := c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": key}); r.Status != 200 {
		t.Fatalf("save key again: %d %s", r.Status, r.Body)
	}
	after, err := st.SealedFalKeys(context.Background())
	if err != nil || len(after) != len(before) {
		t.Fatalf("sealed keys after: %d of %d (%v)", len(after), len(before), err)
	}
	for id := range before {
		if before[id] == after[id] || !strings.HasPrefix(after[id], "v1:") {
			t.Fatalf("sealed key not re-randomised or unversioned: %q", after[id])
		}
	}
	seen["log"] = []byte(s.Logs.String())
	if ck := c.SessionCookie(); ck == "" || strings.Contains(s.Logs.String(), ck) {
		t.Error("the session cookie appears in the log")
	}
	files := dataFiles(t, s.DataDir) // while running: the WAL still holds recent pages
	for k, v := range files {
		seen[k] = v
	}
	scanForSecret(t, key, seen)

	if r := c.Do("DELETE", "/api/me/fal-key", nil); r.Status != 200 || r.JSON()["user"].(map[string]any)["hasFalKey"] != false {
		t.Fatalf("remove key: %d %s", r.Status, r.Body)
	}
	s.Stop()
	scanForSecret(t, key, dataFiles(t, s.DataDir))
}

func TestWrongEncryptionKeyStopsStartup(t *testing.T) {
	dir := t.TempDir()
	s := testutil.NewStudio(t, testutil.StudioOptions{DataDir: dir})
	c := s.NewClient(t)
	c.SignUp("enc@example.com", goodPassword)
	c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "abc:def"})
	s.Stop()
	dbBefore, _ := os.ReadFile(filepath.Join(dir, "falstudio.db"))

	other := strings.Repeat("ab", 32)
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"DATA_DIR": dir, "ENCRYPTION_KEY": other, "DATABASE_URL": s.Config.DatabaseURL}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.New(context.Background(), cfg, app.Options{BcryptCost: 4})
	if err == nil || !strings.Contains(err.Error(), "ENCRYPTION_KEY") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("start with another ENCRYPTION_KEY: %v", err)
	}
	dbAfter, _ := os.ReadFile(filepath.Join(dir, "falstudio.db"))
	if !bytes.Equal(dbBefore, dbAfter) {
		t.Error("a refused start changed the database")
	}

	// Rotation: the old key as ENCRYPTION_KEY_PREVIOUS re-seals every stored key under the new one.
	oldKey, _ := os.ReadFile(filepath.Join(dir, "encryption_key"))
	s = testutil.NewStudio(t, testutil.StudioOptions{DataDir: dir, Env: map[string]string{"ENCRYPTION_KEY": other, "ENCRYPTION_KEY_PREVIOUS": strings.TrimSpace(string(oldKey))}})
	c = s.NewClient(t)
	if r := c.Do("POST", "/api/auth/login", map[string]string{"email": "enc@example.com", "password": goodPassword}); r.Status != 200 || r.JSON()["user"].(map[string]any)["hasFalKey"] != true {
		t.Fatalf("login after rotation: %d %s", r.Status, r.Body)
	}
	s.Stop()
	s = testutil.NewStudio(t, testutil.StudioOptions{DataDir: dir, Env: map[string]string{"ENCRYPTION_KEY": other}})
	u, err := s.App.Store().UserByEmail(context.Background(), "enc@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.App.FalKeys().Of(u); err != nil {
		t.Fatalf("key sealed under the rotated key does not open: %v", err)
	}
}

// A personal access token's secret is shown once, in the answer that created it, and never
// again: not in later answers (lists, errors, the audit log, MCP results), not in the log, not in
// the database or any data file in plaintext (only its SHA-256 is stored).
func TestTokenSecretIsNeverLeaked(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	s := g.studio
	c := g.user(t, "tokens@example.com", "sim-key")
	r := c.Do("POST", "/api/tokens", map[string]any{"name": "leaky?", "scopes": []string{"generate", "library:read", "share"}})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	secret := r.JSON()["secret"].(string)
	id := r.JSON()["token"].(map[string]any)["id"].(string)
	hidden := secret[12:] // what the shown prefix leaves out
	seen := map[string][]byte{}
	record := func(name string, r *testutil.Response) {
		var hdr bytes.Buffer
		if err := r.Header.Write(&hdr); err != nil {
			t.Fatal(err)
		}
		seen[name] = append(hdr.Bytes(), r.Body...)
	}
	b := bearer(t, s, secret)
	record("list", c.Do("GET", "/api/tokens", nil))
	record("me", b.Do("GET", "/api/me", nil))
	record("out of scope", b.Do("GET", "/api/tokens", nil))
	record("bad token", c.Do("GET", "/api/me", nil, "Authorization", "Bearer "+secret+"x"))
	record("bad input", b.Do("POST", "/api/generations", map[string]any{"model": "bad model", "prompt": secret}))
	sub := b.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "a lamp"})
	record("submit", sub)
	waitDone(t, c, decodeGen(t, sub).ID)
	record("generation", b.Do("GET", "/api/generations/"+decodeGen(t, sub).ID, nil))
	record("usage", c.Do("GET", "/api/me/usage?groupBy=token", nil))
	cs := mcpConnect(t, s, secret)
	out, res := callTool(t, cs, "search_library", map[string]any{})
	mb, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	seen["mcp"] = append(mb, resultText(res)...)
	if r := c.Do("DELETE", "/api/tokens/"+id, nil); r.Status != 204 {
		t.Fatalf("revoke: %d", r.Status)
	}
	record("revoked", b.Do("GET", "/api/me", nil))
	record("audit", c.Do("GET", "/api/admin/audit", nil))
	seen["log"] = []byte(s.Logs.String())

	// The database holds the SHA-256 of the secret, never the secret.
	db := testutil.OpenDB(t, s.DataDir)
	var hash []byte
	var prefix string
	if err := db.QueryRow(`SELECT secret_hash, prefix FROM access_tokens WHERE id = $1`, id).Scan(&hash, &prefix); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(secret)); !bytes.Equal(hash, sum[:]) || prefix != secret[:12] {
		t.Fatalf("stored hash %x, prefix %q", hash, prefix)
	}
	rows, err := db.Query(`SELECT id, user_id, name, prefix, scopes, coalesce(models_json, '') FROM access_tokens`)
	if err != nil {
		t.Fatal(err)
	}
	var dump bytes.Buffer
	for rows.Next() {
		var a, c2, d, e, f string
		var uid int64
		if err := rows.Scan(&a, &uid, &c2, &d, &e, &f); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&dump, a, uid, c2, d, e, f)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	seen["access_tokens rows"] = dump.Bytes()
	for k, v := range dataFiles(t, s.DataDir) { // on SQLite, the database file and its WAL
		seen[k] = v
	}
	scanForSecret(t, hidden, seen)
}
