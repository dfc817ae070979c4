package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/config"
	"github.com/falstudio/falstudio/internal/testutil"
)

// scanForSecret fails when the secret (or its base64/URL-encoded forms) appears anywhere given.
func scanForSecret(t *testing.T, secret string, where map[string][]byte) {
	t.Helper()
	forms := []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), base64.RawStdEncoding.EncodeToString([]byte(secret)), url.QueryEscape(secret)}
	for name, b := range where {
		for _, f := range forms {
			if bytes.Contains(b, []byte(f)) {
				t.Errorf("the fal key appears in %s", name)
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
