// Package config loads the studio's configuration from the environment and an optional .env file.
// Load reads through a getenv function (and the files *_FILE variables name); EnsureSecrets is the
// one step that writes to disk.
package config

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Fal's real hosts, used when no override is configured (see fal-api.md §1).
const (
	DefaultFalQueueURL = "https://queue.fal.run"
	DefaultFalRunURL   = "https://fal.run"
	DefaultFalRestURL  = "https://rest.fal.ai"
	DefaultFalAPIURL   = "https://api.fal.ai"
	DefaultFalCDNURL   = "https://v3.fal.media"
	DefaultFalJWKSURL  = "https://rest.fal.ai/.well-known/jwks.json"
)

// DefaultFalMediaHosts are the hosts fal documents outputs on: its CDN, Google Cloud Storage, and
// the S3 bucket some audio models (fal-ai/playai/tts/v3) answer with.
var DefaultFalMediaHosts = []string{"fal.media", "*.fal.media", "storage.googleapis.com", "fal-api-audio-uploads.s3.amazonaws.com"}

// Config is the whole configuration. Secrets are raw bytes and must never be logged.
type Config struct {
	Addr        string
	DataDir     string
	DatabaseURL string
	PublicURL   *url.URL
	AllowSignup bool
	// SignupMode is SignupOpen, SignupInvite or SignupClosed (ALLOW_SIGNUP=false means closed).
	// A valid invite admits a new account in every mode.
	SignupMode string

	SessionSecret []byte // ≥ 32 bytes; keys the session token hashes
	EncryptionKey []byte // exactly 32 bytes; seals stored fal keys
	// EncryptionKeyPrevious decrypts keys sealed before a rotation; they are re-sealed at start-up.
	EncryptionKeyPrevious []byte

	S3 S3Config

	FalQueueURL, FalRunURL, FalRestURL, FalAPIURL, FalCDNURL string
	FalMediaHosts                                            []string

	// TrustedProxies are peers whose X-Forwarded-For is believed for rate limiting.
	TrustedProxies []*net.IPNet

	LogLevel  string
	LogFormat string // "text" | "json"

	// MetricsToken enables GET /metrics on the main listener for "Authorization: Bearer <token>".
	MetricsToken string
	// TokenSubmitsPerMinute bounds the generations one personal access token starts in any 60
	// seconds (TOKEN_SUBMITS_PER_MINUTE, SPEC §11).
	TokenSubmitsPerMinute int
	// MetricsAddr serves /metrics on its own listener (no token: bind it to a private address).
	MetricsAddr string

	// Runner tuning.
	JobConcurrency int
	JobPerUser     int   // jobs one person has worked at once; 0 = half of JobConcurrency
	MaxJobBytes    int64 // what one job may store
	StorageQuota   int64 // bytes one person may store; 0 = no quota
	JobLease       time.Duration
	// TrashRetention is how long a deleted asset stays in the trash (SPEC §13.1: TRASH_DAYS or
	// TRASH_RETENTION); 0 turns the trash off.
	TrashRetention time.Duration
	ShutdownGrace  time.Duration
	// Video work (SPEC §15): ffmpeg processes at once, and the longest stitch in seconds.
	VideoWorkers     int
	StitchMaxSeconds int

	// Push is Web Push (SPEC §16.3).
	Push Push

	// InstanceID names this replica in job leases (generated once into DATA_DIR).
	InstanceID string

	// OIDC is single sign-on (SPEC §12.1); its Issuer is "" when it is off.
	OIDC OIDCConfig
	// fal webhooks (SPEC §17.1): on by default when PUBLIC_URL is set.
	FalWebhooks     bool
	FalJWKSURL      string
	FalFallbackPoll time.Duration
	// Studio power (SPEC §14): the derive actions' models and the prompt enhancer.
	DeriveUpscaleModel          string
	DeriveRemoveBackgroundModel string
	EnhanceLLMModel             string
	EnhanceReserveUSD           float64
}

// OIDCConfig is the OpenID Connect provider the studio signs people in with.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string // never logged or returned
	Scopes       []string
	ButtonLabel  string
	AutoRegister bool
	AdminGroups  []string // nil: roles are the studio's own
	// PasswordLogin false turns password sign-in off, except for admins without an SSO link.
	PasswordLogin bool
}

// Enabled reports whether single sign-on is configured.
func (o OIDCConfig) Enabled() bool { return o.Issuer != "" }

// RedirectURL is the callback to register at the provider.
func (c *Config) RedirectURL() string {
	if c.PublicURL == nil {
		return ""
	}
	return strings.TrimSuffix(c.PublicURL.String(), "/") + "/api/auth/oidc/callback"
}

// WebhookURL is where fal calls the studio back: PUBLIC_URL (as configured, no trailing "/")
// followed by /api/fal/webhook — never built from a request's Host or a forwarded header.
func (c *Config) WebhookURL() string {
	if c.PublicURL == nil {
		return ""
	}
	return strings.TrimRight(c.PublicURL.String(), "/") + "/api/fal/webhook"
}

// S3Config is used only when Bucket is set.
type S3Config struct {
	Endpoint        string
	Region          string
	Bucket          string
	AccessKeyID     string
	SecretAccessKey string
	ForcePathStyle  bool
	PublicBaseURL   string
	// Presign answers media held in S3 with a redirect to a presigned GET valid PresignTTL
	// (SPEC §17.2).
	Presign    bool
	PresignTTL time.Duration
}

// Enabled reports whether S3 storage is configured.
func (s S3Config) Enabled() bool { return s.Bucket != "" }

// SecureCookies reports whether cookies must carry the Secure attribute.
func (c *Config) SecureCookies() bool { return c.PublicURL != nil && c.PublicURL.Scheme == "https" }

// Error names the variable that is wrong, so start-up can print one clear line.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return "config: " + e.Var + ": " + e.Msg }

func bad(name, format string, args ...any) error {
	return &Error{Var: name, Msg: fmt.Sprintf(format, args...)}
}

// Getenv combines the real environment with values from a .env file; the real environment wins.
func Getenv(dotenv map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := os.LookupEnv(k); ok {
			return v
		}
		return dotenv[k]
	}
}

// ReadDotEnv parses a .env file (KEY=VALUE lines, # comments, optional quotes, optional "export ").
// A missing file is not an error.
func ReadDotEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("config: %s line %d: expected KEY=VALUE", path, n)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		} else if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	return out, nil
}

// Load reads and validates the configuration. Secrets left empty here are filled by EnsureSecrets.
func Load(getenv func(string) string) (*Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	// *_FILE variants let secrets come from files (Docker/Kubernetes secrets).
	getSecret := func(k string) (string, error) {
		if p := strings.TrimSpace(getenv(k + "_FILE")); p != "" {
			b, err := os.ReadFile(p)
			if err != nil {
				return "", bad(k+"_FILE", "cannot read the file")
			}
			return strings.TrimSpace(string(b)), nil
		}
		return strings.TrimSpace(getenv(k)), nil
	}
	c := &Config{
		Addr:        get("ADDR", ":8080"),
		DataDir:     get("DATA_DIR", "./data"),
		DatabaseURL: get("DATABASE_URL", ""),
		FalQueueURL: get("FAL_QUEUE_URL", DefaultFalQueueURL),
		FalRunURL:   get("FAL_RUN_URL", DefaultFalRunURL),
		FalRestURL:  get("FAL_REST_URL", DefaultFalRestURL),
		FalAPIURL:   get("FAL_API_URL", DefaultFalAPIURL),
		FalCDNURL:   get("FAL_CDN_URL", DefaultFalCDNURL),
		LogLevel:    strings.ToLower(get("LOG_LEVEL", "info")),
		LogFormat:   strings.ToLower(get("LOG_FORMAT", "text")),
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return nil, bad("ADDR", "must be host:port, e.g. :8080 or 127.0.0.1:8080")
	}
	if strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		if u, err := url.Parse(c.DatabaseURL); err != nil || u.Host == "" {
			return nil, bad("DATABASE_URL", "must be a PostgreSQL URL like postgres://user:pass@host:5432/db?sslmode=require")
		}
	} else if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "file:") && !strings.HasSuffix(c.DatabaseURL, ".db") {
		return nil, bad("DATABASE_URL", "must be a postgres:// URL or a SQLite file path ending in .db")
	}
	if v := get("PUBLIC_URL", ""); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, bad("PUBLIC_URL", "must be an origin like https://studio.example.com (no path)")
		}
		u.Path = ""
		c.PublicURL = u
	}
	var err error
	if c.AllowSignup, err = parseBool(get("ALLOW_SIGNUP", "true")); err != nil {
		return nil, bad("ALLOW_SIGNUP", "must be true or false")
	}
	if c.SignupMode, err = signupMode(strings.ToLower(get("SIGNUP_MODE", "")), c.AllowSignup); err != nil {
		return nil, err
	}

	if err := loadPush(c, getenv); err != nil {
		return nil, err
	}

	sess, err := getSecret("SESSION_SECRET")
	if err != nil {
		return nil, err
	}
	if sess != "" {
		if len(sess) < 32 {
			return nil, bad("SESSION_SECRET", "must be at least 32 bytes (e.g. openssl rand -hex 32)")
		}
		c.SessionSecret = []byte(sess)
	}
	for _, k := range []struct {
		name string
		dst  *[]byte
	}{{"ENCRYPTION_KEY", &c.EncryptionKey}, {"ENCRYPTION_KEY_PREVIOUS", &c.EncryptionKeyPrevious}} {
		v, err := getSecret(k.name)
		if err != nil {
			return nil, err
		}
		if v == "" {
			continue
		}
		key, err := ParseKey(v)
		if err != nil {
			return nil, bad(k.name, "%v", err)
		}
		*k.dst = key
	}

	s3secret, err := getSecret("S3_SECRET_ACCESS_KEY")
	if err != nil {
		return nil, err
	}
	c.S3 = S3Config{
		Endpoint:        get("S3_ENDPOINT", ""),
		Region:          get("S3_REGION", "us-east-1"),
		Bucket:          get("S3_BUCKET", ""),
		AccessKeyID:     get("S3_ACCESS_KEY_ID", ""),
		SecretAccessKey: s3secret,
		PublicBaseURL:   strings.TrimRight(get("S3_PUBLIC_BASE_URL", ""), "/"),
	}
	if c.S3.ForcePathStyle, err = parseBool(get("S3_FORCE_PATH_STYLE", "false")); err != nil {
		return nil, bad("S3_FORCE_PATH_STYLE", "must be true or false")
	}
	if c.S3.Endpoint != "" {
		if err := checkURL(c.S3.Endpoint); err != nil {
			return nil, bad("S3_ENDPOINT", "%v", err)
		}
	}
	if c.S3.PublicBaseURL != "" {
		if err := checkURL(c.S3.PublicBaseURL); err != nil {
			return nil, bad("S3_PUBLIC_BASE_URL", "%v", err)
		}
	}
	if c.S3.Enabled() {
		if c.S3.AccessKeyID == "" {
			return nil, bad("S3_ACCESS_KEY_ID", "is required when S3_BUCKET is set")
		}
		if c.S3.SecretAccessKey == "" {
			return nil, bad("S3_SECRET_ACCESS_KEY", "is required when S3_BUCKET is set")
		}
	} else if c.S3.Endpoint != "" {
		return nil, bad("S3_BUCKET", "is required when S3_ENDPOINT is set")
	}

	for _, u := range []struct{ name, val string }{
		{"FAL_QUEUE_URL", c.FalQueueURL}, {"FAL_RUN_URL", c.FalRunURL}, {"FAL_REST_URL", c.FalRestURL},
		{"FAL_API_URL", c.FalAPIURL}, {"FAL_CDN_URL", c.FalCDNURL},
	} {
		if err := checkURL(u.val); err != nil {
			return nil, bad(u.name, "%v", err)
		}
	}
	c.FalMediaHosts = DefaultFalMediaHosts
	if v := get("FAL_MEDIA_HOSTS", ""); v != "" {
		c.FalMediaHosts = nil
		for _, h := range strings.Split(v, ",") {
			h = strings.ToLower(strings.TrimSpace(h))
			if h == "" {
				continue
			}
			if strings.ContainsAny(h, "/ @?#") {
				return nil, bad("FAL_MEDIA_HOSTS", "must be a comma-separated list of host names (host, host:port or *.domain)")
			}
			c.FalMediaHosts = append(c.FalMediaHosts, h)
		}
		if len(c.FalMediaHosts) == 0 {
			return nil, bad("FAL_MEDIA_HOSTS", "lists no host")
		}
	}
	if v := get("TRUSTED_PROXIES", ""); v != "" {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if !strings.Contains(p, "/") {
				if strings.Contains(p, ":") {
					p += "/128"
				} else {
					p += "/32"
				}
			}
			_, n, err := net.ParseCIDR(p)
			if err != nil {
				return nil, bad("TRUSTED_PROXIES", "must be a comma-separated list of IPs or CIDRs")
			}
			c.TrustedProxies = append(c.TrustedProxies, n)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return nil, bad("LOG_LEVEL", "must be debug, info, warn or error")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return nil, bad("LOG_FORMAT", "must be text or json")
	}
	if c.JobConcurrency, err = strconv.Atoi(get("JOB_CONCURRENCY", "4")); err != nil || c.JobConcurrency < 1 || c.JobConcurrency > 64 {
		return nil, bad("JOB_CONCURRENCY", "must be a number from 1 to 64")
	}
	if c.TokenSubmitsPerMinute, err = strconv.Atoi(get("TOKEN_SUBMITS_PER_MINUTE", "60")); err != nil || c.TokenSubmitsPerMinute < 1 || c.TokenSubmitsPerMinute > 1_000_000 {
		return nil, bad("TOKEN_SUBMITS_PER_MINUTE", "must be a positive whole number")
	}
	if c.MetricsToken, err = getSecret("METRICS_TOKEN"); err != nil {
		return nil, err
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		return nil, bad("METRICS_TOKEN", "must be at least 16 characters (e.g. openssl rand -hex 16)")
	}
	if c.MetricsAddr = get("METRICS_ADDR", ""); c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return nil, bad("METRICS_ADDR", "must be host:port, e.g. 127.0.0.1:9090")
		}
	}
	if c.JobPerUser, err = strconv.Atoi(get("JOB_PER_USER", "0")); err != nil || c.JobPerUser < 0 || c.JobPerUser > c.JobConcurrency {
		return nil, bad("JOB_PER_USER", "must be a number from 0 (half of JOB_CONCURRENCY) to JOB_CONCURRENCY")
	}
	mb, err := strconv.ParseInt(get("MAX_JOB_MB", "4096"), 10, 64)
	if err != nil || mb < 1 || mb > 1<<20 {
		return nil, bad("MAX_JOB_MB", "must be a number of megabytes from 1 to 1048576")
	}
	c.MaxJobBytes = mb << 20
	if c.VideoWorkers, err = strconv.Atoi(get("VIDEO_WORKERS", "2")); err != nil || c.VideoWorkers < 1 || c.VideoWorkers > 16 {
		return nil, bad("VIDEO_WORKERS", "must be a number from 1 to 16")
	}
	if c.StitchMaxSeconds, err = strconv.Atoi(get("STITCH_MAX_SECONDS", "600")); err != nil || c.StitchMaxSeconds < 1 || c.StitchMaxSeconds > 86400 {
		return nil, bad("STITCH_MAX_SECONDS", "must be a number of seconds from 1 to 86400")
	}
	if mb, err = strconv.ParseInt(get("STORAGE_QUOTA_MB", "0"), 10, 64); err != nil || mb < 0 || mb > 1<<30 {
		return nil, bad("STORAGE_QUOTA_MB", "must be a number of megabytes (0 = no quota)")
	}
	c.StorageQuota = mb << 20
	secs, err := strconv.Atoi(get("JOB_LEASE_SECONDS", "60"))
	if err != nil || secs < 3 || secs > 60 {
		return nil, bad("JOB_LEASE_SECONDS", "must be a number of seconds from 3 to 60")
	}
	c.JobLease = time.Duration(secs) * time.Second
	if c.TrashRetention, err = trashRetention(get); err != nil {
		return nil, err
	}
	c.ShutdownGrace = 15 * time.Second
	if err := loadScale(c, get); err != nil {
		return nil, err
	}
	if c.OIDC, err = loadOIDC(getenv, get, c.PublicURL != nil); err != nil {
		return nil, err
	}
	if err := c.loadPower(get); err != nil {
		return nil, err
	}
	return c, nil
}

// maxTrashRetention bounds the trash (ten years) so purgeAt never overflows.
const maxTrashRetention = 10 * 365 * 24 * time.Hour

// trashRetention reads TRASH_RETENTION (a Go duration) or else TRASH_DAYS (days, a decimal
// allowed; default 30); 0 turns the trash off.
func trashRetention(get func(string, string) string) (time.Duration, error) {
	if v := get("TRASH_RETENTION", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > maxTrashRetention {
			return 0, bad("TRASH_RETENTION", "must be a non-negative Go duration like 720h or 90s (0s turns the trash off)")
		}
		return d, nil
	}
	days, err := strconv.ParseFloat(get("TRASH_DAYS", "30"), 64)
	if err != nil || math.IsNaN(days) || days < 0 || days > maxTrashRetention.Hours()/24 {
		return 0, bad("TRASH_DAYS", "must be a non-negative number of days like 30 or 0.5 (0 turns the trash off)")
	}
	return time.Duration(days * float64(24*time.Hour)), nil
}

// loadOIDC reads the OIDC_* variables (SPEC §12.1); every refusal names its variable and never
// holds the secret.
func loadOIDC(getenv func(string) string, get func(k, def string) string, hasPublicURL bool) (OIDCConfig, error) {
	o := OIDCConfig{Issuer: get("OIDC_ISSUER", "")}
	if o.Issuer == "" {
		o.PasswordLogin = true
		return o, nil
	}
	if err := checkURL(o.Issuer); err != nil {
		return o, bad("OIDC_ISSUER", "must be an http(s):// URL, the provider's issuer")
	}
	if !hasPublicURL {
		return o, bad("PUBLIC_URL", "is required with OIDC_ISSUER (the redirect URL is PUBLIC_URL/api/auth/oidc/callback)")
	}
	if o.ClientID = get("OIDC_CLIENT_ID", ""); o.ClientID == "" {
		return o, bad("OIDC_CLIENT_ID", "is required with OIDC_ISSUER")
	}
	secret, file := strings.TrimSpace(getenv("OIDC_CLIENT_SECRET")), strings.TrimSpace(getenv("OIDC_CLIENT_SECRET_FILE"))
	switch {
	case secret != "" && file != "":
		return o, bad("OIDC_CLIENT_SECRET_FILE", "give either OIDC_CLIENT_SECRET or OIDC_CLIENT_SECRET_FILE, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return o, bad("OIDC_CLIENT_SECRET_FILE", "cannot read the file")
		}
		secret = strings.TrimSpace(string(b))
		if secret == "" {
			return o, bad("OIDC_CLIENT_SECRET_FILE", "the file is empty")
		}
	case secret == "":
		return o, bad("OIDC_CLIENT_SECRET", "is required with OIDC_ISSUER (or OIDC_CLIENT_SECRET_FILE)")
	}
	o.ClientSecret = secret
	o.Scopes = []string{"openid"}
	for _, sc := range strings.Fields(get("OIDC_SCOPES", "openid email profile")) {
		if sc != "openid" {
			o.Scopes = append(o.Scopes, sc)
		}
	}
	o.ButtonLabel = get("OIDC_BUTTON_LABEL", "Sign in with SSO")
	if len(o.ButtonLabel) > 100 {
		return o, bad("OIDC_BUTTON_LABEL", "must be at most 100 bytes")
	}
	var err error
	if o.AutoRegister, err = parseBool(get("OIDC_AUTO_REGISTER", "true")); err != nil {
		return o, bad("OIDC_AUTO_REGISTER", "must be true or false")
	}
	if o.PasswordLogin, err = parseBool(get("OIDC_PASSWORD_LOGIN", "true")); err != nil {
		return o, bad("OIDC_PASSWORD_LOGIN", "must be true or false")
	}
	for _, g := range strings.Split(get("OIDC_ADMIN_GROUPS", ""), ",") {
		if g = strings.TrimSpace(g); g != "" {
			o.AdminGroups = append(o.AdminGroups, g)
		}
	}
	return o, nil
}

// Sign-up modes (SPEC §6).
const (
	SignupOpen   = "open"
	SignupInvite = "invite"
	SignupClosed = "closed"
)

// signupMode combines SIGNUP_MODE with the older ALLOW_SIGNUP: false means closed, and a
// contradiction (ALLOW_SIGNUP=false with SIGNUP_MODE=open) is refused rather than guessed.
func signupMode(mode string, allow bool) (string, error) {
	switch mode {
	case "":
		if !allow {
			return SignupClosed, nil
		}
		return SignupOpen, nil
	case SignupOpen, SignupInvite, SignupClosed:
		if !allow && mode != SignupClosed {
			return "", bad("ALLOW_SIGNUP", "is false, which closes sign-up, but SIGNUP_MODE is %s; remove ALLOW_SIGNUP or set SIGNUP_MODE=closed", mode)
		}
		return mode, nil
	}
	return "", bad("SIGNUP_MODE", "must be open, invite or closed")
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, errors.New("not a boolean")
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an http(s) URL")
	}
	return nil
}

// ParseKey decodes a 32-byte key given as hex (64 characters) or base64.
func ParseKey(s string) ([]byte, error) {
	if len(s) == 64 {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, errors.New("must be 32 bytes, hex (64 characters) or base64 (e.g. openssl rand -hex 32)")
}

// Generated secret files inside DATA_DIR.
const (
	SessionSecretFile = "session_secret"
	EncryptionKeyFile = "encryption_key"
)

// EnsureSecrets creates DATA_DIR (0700) and fills SESSION_SECRET and ENCRYPTION_KEY that were not
// configured from files in DATA_DIR, generating each once (mode 0600) on first start.
// It returns warnings (e.g. files readable by others) for the caller to log.
func EnsureSecrets(c *Config) (warnings []string, err error) {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, bad("DATA_DIR", "cannot create %s: %v", c.DataDir, errors.Unwrap(err))
	}
	probe, err := os.CreateTemp(c.DataDir, ".probe-*")
	if err != nil {
		return nil, bad("DATA_DIR", "%s is not writable", c.DataDir)
	}
	probe.Close()
	os.Remove(probe.Name())

	load := func(name, file string, dst *[]byte, parse func(string) ([]byte, error)) error {
		if *dst != nil {
			return nil
		}
		path := filepath.Join(c.DataDir, file)
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			if st, serr := os.Stat(path); serr == nil && st.Mode().Perm()&0o077 != 0 {
				warnings = append(warnings, fmt.Sprintf("%s is readable by other users (mode %o); run chmod 600 on it", path, st.Mode().Perm()))
			}
			v, perr := parse(strings.TrimSpace(string(b)))
			if perr != nil {
				return bad(name, "the generated file %s is damaged: %v", path, perr)
			}
			*dst = v
			return nil
		case errors.Is(err, fs.ErrNotExist):
			raw := make([]byte, 32)
			if _, err := rand.Read(raw); err != nil {
				return fmt.Errorf("config: generate %s: %w", name, err)
			}
			text := hex.EncodeToString(raw)
			// O_EXCL: two processes starting at once must not overwrite each other's secret.
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return bad("DATA_DIR", "cannot write %s", path)
			}
			if _, err := f.WriteString(text + "\n"); err != nil {
				f.Close()
				return bad("DATA_DIR", "cannot write %s", path)
			}
			if err := f.Sync(); err != nil {
				f.Close()
				return bad("DATA_DIR", "cannot write %s", path)
			}
			if err := f.Close(); err != nil {
				return bad("DATA_DIR", "cannot write %s", path)
			}
			v, _ := parse(text)
			*dst = v
			return nil
		default:
			return bad("DATA_DIR", "cannot read %s", path)
		}
	}
	if err := load("SESSION_SECRET", SessionSecretFile, &c.SessionSecret, func(s string) ([]byte, error) {
		if len(s) < 32 {
			return nil, errors.New("shorter than 32 bytes")
		}
		return []byte(s), nil
	}); err != nil {
		return warnings, err
	}
	if err := load("ENCRYPTION_KEY", EncryptionKeyFile, &c.EncryptionKey, ParseKey); err != nil {
		return warnings, err
	}
	// The instance id is no secret, but is made and kept the same way: generated once, never
	// overwritten, so a restarted replica knows the leases it held.
	var id []byte
	if err := load("DATA_DIR", InstanceIDFile, &id, func(s string) ([]byte, error) {
		if len(s) < 16 {
			return nil, errors.New("too short")
		}
		return []byte(s[:16]), nil
	}); err != nil {
		return warnings, err
	}
	c.InstanceID = string(id)
	w, err := ensureVAPIDKey(c)
	warnings = append(warnings, w...)
	if err != nil {
		return warnings, err
	}
	return warnings, nil
}

// InstanceIDFile holds the replica's instance id in DATA_DIR.
const InstanceIDFile = "instance_id"

// Database is what the store opens: DATABASE_URL when set (a postgres:// URL or a SQLite file),
// else the SQLite file in DATA_DIR.
func (c *Config) Database() string {
	if c.DatabaseURL != "" {
		return strings.TrimPrefix(c.DatabaseURL, "file:")
	}
	return filepath.Join(c.DataDir, "falstudio.db")
}

// MediaDir is where local media lives.
func (c *Config) MediaDir() string { return filepath.Join(c.DataDir, "media") }

// loadScale reads the internet-scale settings (SPEC §17): fal webhooks and presigned media.
func loadScale(c *Config, get func(k, def string) string) error {
	def := strconv.FormatBool(c.PublicURL != nil)
	var err error
	if c.FalWebhooks, err = parseBool(get("FAL_WEBHOOKS", def)); err != nil {
		return bad("FAL_WEBHOOKS", "must be true or false")
	}
	if c.FalWebhooks && c.PublicURL == nil {
		return bad("FAL_WEBHOOKS", "is true but PUBLIC_URL is not set: fal needs PUBLIC_URL to call the studio back")
	}
	c.FalJWKSURL = get("FAL_JWKS_URL", DefaultFalJWKSURL)
	if err := checkURL(c.FalJWKSURL); err != nil {
		return bad("FAL_JWKS_URL", "%v", err)
	}
	d, err := time.ParseDuration(get("FAL_FALLBACK_POLL", "60s"))
	if err != nil || d < time.Second || d > time.Hour {
		return bad("FAL_FALLBACK_POLL", "must be a duration from 1s to 1h, e.g. 60s")
	}
	c.FalFallbackPoll = d
	if c.S3.Presign, err = parseBool(get("S3_PRESIGN", "false")); err != nil {
		return bad("S3_PRESIGN", "must be true or false")
	}
	d, err = time.ParseDuration(get("S3_PRESIGN_TTL", "5m"))
	if err != nil || d < time.Minute || d > 10*time.Minute {
		return bad("S3_PRESIGN_TTL", "must be a duration from 1m to 10m, e.g. 5m")
	}
	c.S3.PresignTTL = d
	return nil
}

// endpointIDPattern is a fal endpoint id (owner/app with optional sub-paths); llmModelPattern an
// OpenRouter model id (vendor/model, optionally with a ":variant").
var (
	endpointIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(/[A-Za-z0-9][A-Za-z0-9._-]{0,63}){1,5}$`)
	llmModelPattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(/[A-Za-z0-9][A-Za-z0-9._:-]{0,99}){1,2}$`)
)

// loadPower reads SPEC §14's variables: the derive models, the enhancer's LLM and its reserve.
func (c *Config) loadPower(get func(k, def string) string) error {
	c.DeriveUpscaleModel = get("DERIVE_UPSCALE_MODEL", "fal-ai/recraft/upscale/crisp")
	c.DeriveRemoveBackgroundModel = get("DERIVE_REMOVE_BACKGROUND_MODEL", "fal-ai/bria/background/remove")
	for name, v := range map[string]string{"DERIVE_UPSCALE_MODEL": c.DeriveUpscaleModel, "DERIVE_REMOVE_BACKGROUND_MODEL": c.DeriveRemoveBackgroundModel} {
		if !endpointIDPattern.MatchString(v) || strings.Contains("/"+v+"/", "/../") || strings.Contains("/"+v+"/", "/./") {
			return bad(name, "must be a fal endpoint id like fal-ai/recraft/upscale/crisp")
		}
	}
	c.EnhanceLLMModel = get("ENHANCE_LLM_MODEL", "google/gemini-2.5-flash")
	if !llmModelPattern.MatchString(c.EnhanceLLMModel) {
		return bad("ENHANCE_LLM_MODEL", "must be a model id like google/gemini-2.5-flash")
	}
	v, err := strconv.ParseFloat(get("ENHANCE_RESERVE_USD", "0.01"), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 100 {
		return bad("ENHANCE_RESERVE_USD", "must be a non-negative amount in USD, like 0.01")
	}
	c.EnhanceReserveUSD = v
	return nil
}
