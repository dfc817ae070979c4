package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DataDir != "./data" || !c.AllowSignup || c.S3.Enabled() || c.SecureCookies() {
		t.Fatalf("defaults: %+v", c)
	}
	if c.FalQueueURL != DefaultFalQueueURL || len(c.FalMediaHosts) == 0 || c.S3.Region != "us-east-1" {
		t.Fatalf("fal defaults: %+v", c)
	}
	if c.TokenSubmitsPerMinute != 60 {
		t.Fatalf("TOKEN_SUBMITS_PER_MINUTE default %d", c.TokenSubmitsPerMinute)
	}
	if c.Database() != filepath.Join("data", "falstudio.db") {
		t.Fatalf("db path %s", c.Database())
	}
	if c.DeriveUpscaleModel != "fal-ai/recraft/upscale/crisp" || c.DeriveRemoveBackgroundModel != "fal-ai/bria/background/remove" ||
		c.EnhanceLLMModel != "google/gemini-2.5-flash" || c.EnhanceReserveUSD != 0.01 {
		t.Fatalf("power defaults: %+v", c)
	}
}

// The default allow-list holds every output host fal documents, so a model answering on one
// of them is not refused after fal has billed the job.
func TestDefaultMediaHostsAreFalsDocumentedHosts(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"fal.media", "*.fal.media", "storage.googleapis.com", "fal-api-audio-uploads.s3.amazonaws.com"}
	if strings.Join(c.FalMediaHosts, ",") != strings.Join(want, ",") {
		t.Fatalf("FAL_MEDIA_HOSTS default %v, want %v", c.FalMediaHosts, want)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	cases := map[string]map[string]string{
		"SESSION_SECRET":                 {"SESSION_SECRET": "short"},
		"ENCRYPTION_KEY":                 {"ENCRYPTION_KEY": "not-a-key"},
		"S3_ENDPOINT":                    {"S3_ENDPOINT": "ftp://x", "S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "a", "S3_SECRET_ACCESS_KEY": "s"},
		"S3_ACCESS_KEY_ID":               {"S3_BUCKET": "b"},
		"S3_SECRET_ACCESS_KEY":           {"S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "a"},
		"S3_BUCKET":                      {"S3_ENDPOINT": "https://fsn1.your-objectstorage.com"},
		"PUBLIC_URL":                     {"PUBLIC_URL": "studio.example.com"},
		"ALLOW_SIGNUP":                   {"ALLOW_SIGNUP": "maybe"},
		"SIGNUP_MODE":                    {"SIGNUP_MODE": "sometimes"},
		"ADDR":                           {"ADDR": "8080"},
		"FAL_QUEUE_URL":                  {"FAL_QUEUE_URL": "nope"},
		"FAL_MEDIA_HOSTS":                {"FAL_MEDIA_HOSTS": "https://x/y"},
		"DATABASE_URL":                   {"DATABASE_URL": "postgres:///db"},
		"DATABASE_URL ":                  {"DATABASE_URL": "mysql://u@h/db"},
		"TRUSTED_PROXIES":                {"TRUSTED_PROXIES": "x.y"},
		"LOG_LEVEL":                      {"LOG_LEVEL": "loud"},
		"METRICS_TOKEN":                  {"METRICS_TOKEN": "tooshort"},
		"METRICS_ADDR":                   {"METRICS_ADDR": "9090"},
		"TRASH_DAYS":                     {"TRASH_DAYS": "-1"},
		"TRASH_DAYS ":                    {"TRASH_DAYS": "a month"},
		"TRASH_RETENTION":                {"TRASH_RETENTION": "30d"},
		"TRASH_RETENTION ":               {"TRASH_RETENTION": "-5s"},
		"TOKEN_SUBMITS_PER_MINUTE":       {"TOKEN_SUBMITS_PER_MINUTE": "0"},
		"TOKEN_SUBMITS_PER_MINUTE ":      {"TOKEN_SUBMITS_PER_MINUTE": "ten"},
		"FAL_WEBHOOKS":                   {"FAL_WEBHOOKS": "true"},
		"FAL_WEBHOOKS ":                  {"FAL_WEBHOOKS": "often", "PUBLIC_URL": "https://s.example.com"},
		"FAL_FALLBACK_POLL":              {"FAL_FALLBACK_POLL": "500ms"},
		"FAL_FALLBACK_POLL ":             {"FAL_FALLBACK_POLL": "2h"},
		"FAL_JWKS_URL":                   {"FAL_JWKS_URL": "nope"},
		"S3_PRESIGN":                     {"S3_PRESIGN": "yes please"},
		"S3_PRESIGN_TTL":                 {"S3_PRESIGN_TTL": "30s"},
		"S3_PRESIGN_TTL ":                {"S3_PRESIGN_TTL": "11m"},
		"DERIVE_UPSCALE_MODEL":           {"DERIVE_UPSCALE_MODEL": "https://evil/x"},
		"DERIVE_REMOVE_BACKGROUND_MODEL": {"DERIVE_REMOVE_BACKGROUND_MODEL": "fal-ai/../x"},
		"ENHANCE_LLM_MODEL":              {"ENHANCE_LLM_MODEL": "gemini"},
		"ENHANCE_RESERVE_USD":            {"ENHANCE_RESERVE_USD": "-1"},
		"ENHANCE_RESERVE_USD ":           {"ENHANCE_RESERVE_USD": "a cent"},
	}
	for name, e := range cases {
		_, err := Load(env(e))
		if err == nil || !strings.Contains(err.Error(), strings.TrimSpace(name)) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v", name, err)
		}
		for _, v := range e {
			if len(v) > 6 && strings.Contains(err.Error(), v) && name == "SESSION_SECRET" {
				t.Errorf("%s: the secret value is echoed", name)
			}
		}
	}
}

// TRASH_DAYS (a decimal allowed) or TRASH_RETENTION, which wins; 0 turns the trash off.
func TestTrashRetention(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want time.Duration
	}{
		{nil, 30 * 24 * time.Hour},
		{map[string]string{"TRASH_DAYS": "0.5"}, 12 * time.Hour},
		{map[string]string{"TRASH_DAYS": "0"}, 0},
		{map[string]string{"TRASH_RETENTION": "90s", "TRASH_DAYS": "7"}, 90 * time.Second},
		{map[string]string{"TRASH_RETENTION": "0s"}, 0},
	} {
		cfg, err := Load(env(c.env))
		if err != nil {
			t.Fatalf("%v: %v", c.env, err)
		}
		if cfg.TrashRetention != c.want {
			t.Errorf("%v: %v, want %v", c.env, cfg.TrashRetention, c.want)
		}
	}
}

func TestKeysHexAndBase64(t *testing.T) {
	for _, k := range []string{strings.Repeat("0f", 32), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="} {
		c, err := Load(env(map[string]string{"ENCRYPTION_KEY": k, "SESSION_SECRET": strings.Repeat("s", 32)}))
		if err != nil || len(c.EncryptionKey) != 32 {
			t.Fatalf("%s: %v", k, err)
		}
	}
}

func TestDotEnvAndRealEnvWins(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(p, []byte("# comment\nexport ADDR=127.0.0.1:9999\nS3_REGION=\"fsn1\"\nLOG_LEVEL=debug # trailing\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := ReadDotEnv(p)
	if err != nil {
		t.Fatal(err)
	}
	if m["ADDR"] != "127.0.0.1:9999" || m["S3_REGION"] != "fsn1" || m["LOG_LEVEL"] != "debug" {
		t.Fatalf("parsed %v", m)
	}
	t.Setenv("ADDR", "127.0.0.1:7777")
	c, err := Load(Getenv(m))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7777" || c.S3.Region != "fsn1" {
		t.Fatalf("real env must win: %s %s", c.Addr, c.S3.Region)
	}
	if m, err := ReadDotEnv(filepath.Join(t.TempDir(), "missing")); err != nil || len(m) != 0 {
		t.Fatal("missing .env must be fine")
	}
}

func TestEnsureSecrets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	c, _ := Load(env(map[string]string{"DATA_DIR": dir}))
	if _, err := EnsureSecrets(c); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(dir)
	if st.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode %o", st.Mode().Perm())
	}
	first := append([]byte(nil), c.EncryptionKey...)
	c2, _ := Load(env(map[string]string{"DATA_DIR": dir}))
	if _, err := EnsureSecrets(c2); err != nil {
		t.Fatal(err)
	}
	if string(first) != string(c2.EncryptionKey) || len(c2.SessionSecret) < 32 {
		t.Fatal("secrets must be generated once and kept")
	}
	if err := os.Chmod(filepath.Join(dir, EncryptionKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	c3, _ := Load(env(map[string]string{"DATA_DIR": dir}))
	w, err := EnsureSecrets(c3)
	if err != nil || len(w) != 1 || !strings.Contains(w[0], "chmod 600") {
		t.Fatalf("loose permissions must warn: %v %v", w, err)
	}
	// An unwritable DATA_DIR names the variable.
	ro := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	c4, _ := Load(env(map[string]string{"DATA_DIR": ro}))
	if os.Geteuid() == 0 {
		// root writes anywhere; use a path under a file instead.
		f := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		c4, _ = Load(env(map[string]string{"DATA_DIR": filepath.Join(f, "sub")}))
	}
	if _, err := EnsureSecrets(c4); err == nil || !strings.Contains(err.Error(), "DATA_DIR") {
		t.Fatalf("unwritable DATA_DIR: %v", err)
	}
}

func TestSignupMode(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
		bad  string // the variable the error names
	}{
		{nil, SignupOpen, ""},
		{map[string]string{"SIGNUP_MODE": "invite"}, SignupInvite, ""},
		{map[string]string{"SIGNUP_MODE": " Closed "}, SignupClosed, ""},
		{map[string]string{"ALLOW_SIGNUP": "false"}, SignupClosed, ""},
		{map[string]string{"ALLOW_SIGNUP": "false", "SIGNUP_MODE": "closed"}, SignupClosed, ""},
		{map[string]string{"ALLOW_SIGNUP": "true", "SIGNUP_MODE": "invite"}, SignupInvite, ""},
		{map[string]string{"ALLOW_SIGNUP": "false", "SIGNUP_MODE": "open"}, "", "ALLOW_SIGNUP"},
		{map[string]string{"ALLOW_SIGNUP": "false", "SIGNUP_MODE": "invite"}, "", "ALLOW_SIGNUP"},
		{map[string]string{"SIGNUP_MODE": "invites"}, "", "SIGNUP_MODE"},
	}
	for _, tc := range cases {
		c, err := Load(env(tc.env))
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tc.bad) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%v: want an error naming %s, got %v", tc.env, tc.bad, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.env, err)
			continue
		}
		if c.SignupMode != tc.want {
			t.Errorf("%v: mode %q, want %q", tc.env, c.SignupMode, tc.want)
		}
	}
}

// Webhooks follow PUBLIC_URL unless FAL_WEBHOOKS says otherwise; "true" without PUBLIC_URL is
// refused naming both (TestBadValuesNameTheVariable). The callback is PUBLIC_URL's.
func TestWebhookSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.FalWebhooks || c.WebhookURL() != "" || c.FalFallbackPoll != time.Minute || c.FalJWKSURL != DefaultFalJWKSURL {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = Load(env(map[string]string{"PUBLIC_URL": "https://studio.example.com/"}))
	if err != nil || !c.FalWebhooks || c.WebhookURL() != "https://studio.example.com/api/fal/webhook" {
		t.Fatalf("with PUBLIC_URL: %v %q %v", c.FalWebhooks, c.WebhookURL(), err)
	}
	c, err = Load(env(map[string]string{"PUBLIC_URL": "https://studio.example.com", "FAL_WEBHOOKS": "false", "FAL_FALLBACK_POLL": "5s"}))
	if err != nil || c.FalWebhooks || c.FalFallbackPoll != 5*time.Second {
		t.Fatalf("turned off: %v %v", c.FalWebhooks, err)
	}
	_, err = Load(env(map[string]string{"FAL_WEBHOOKS": "true"}))
	if err == nil || !strings.Contains(err.Error(), "PUBLIC_URL") {
		t.Fatalf("FAL_WEBHOOKS without PUBLIC_URL: %v", err)
	}
	c, err = Load(env(map[string]string{"S3_PRESIGN": "true", "S3_PRESIGN_TTL": "2m"}))
	if err != nil || !c.S3.Presign || c.S3.PresignTTL != 2*time.Minute {
		t.Fatalf("presign: %+v %v", c.S3, err)
	}
}
