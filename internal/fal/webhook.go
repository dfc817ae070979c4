package fal

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// fal signs each webhook delivery with Ed25519 (fal-api.md §5.9, SPEC §17.1): the message is
// "{request id}\n{user id}\n{timestamp}\n{hex(sha256(raw body))}", the signature hex in
// X-Fal-Webhook-Signature, the public keys in fal's JWKS. A delivery names no key id, so every
// key of the set is tried.

// Webhook headers.
const (
	HeaderWebhookRequestID = "X-Fal-Webhook-Request-Id"
	HeaderWebhookUserID    = "X-Fal-Webhook-User-Id"
	HeaderWebhookTimestamp = "X-Fal-Webhook-Timestamp"
	HeaderWebhookSignature = "X-Fal-Webhook-Signature"
)

// DefaultJWKSURL is where fal publishes its webhook keys (older docs: rest.alpha.fal.ai).
const DefaultJWKSURL = "https://rest.fal.ai/.well-known/jwks.json"

// Webhook limits (SPEC §17.1).
const (
	MaxWebhookBody   = 1 << 20
	WebhookMaxSkew   = 300 * time.Second
	jwksMaxAge       = 24 * time.Hour
	jwksRefetchEvery = time.Minute
	maxJWKSBytes     = 64 << 10
)

// ErrWebhookInvalid is a delivery that is not fal's: a bad or missing header, a stale
// timestamp, a signature no key verifies, or a body that does not match its headers.
var ErrWebhookInvalid = errors.New("fal: webhook invalid")

// ErrNoWebhookKeys means fal's key set could not be had at all: nothing can be verified.
var ErrNoWebhookKeys = errors.New("fal: webhook keys unavailable")

// Webhook is a verified delivery.
type Webhook struct {
	RequestID        string          `json:"request_id"`
	GatewayRequestID string          `json:"gateway_request_id"`
	Status           string          `json:"status"` // "OK" or "ERROR"
	Error            string          `json:"error"`
	Payload          json.RawMessage `json:"payload"`
	PayloadError     string          `json:"payload_error"`
}

// VerifierConfig configures a Verifier; zero values take defaults.
type VerifierConfig struct {
	JWKSURL    string
	HTTPClient *http.Client
	Now        func() time.Time
	Logger     *slog.Logger
}

// Verifier checks webhook signatures against fal's JWKS, fetched on first need, kept at most
// 24 hours, and fetched again when no cached key verifies — at most once a minute, so forged
// calls cannot make the studio hammer fal.
type Verifier struct {
	cfg VerifierConfig

	mu        sync.Mutex
	keys      []ed25519.PublicKey
	fetchedAt time.Time // when keys were fetched (zero: never)
	triedAt   time.Time // the last fetch attempt, successful or not
}

// NewVerifier builds a verifier; it fetches nothing yet.
func NewVerifier(cfg VerifierConfig) *Verifier {
	if cfg.JWKSURL == "" {
		cfg.JWKSURL = DefaultJWKSURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Verifier{cfg: cfg}
}

// invalid wraps ErrWebhookInvalid with the reason (logged, never the body or the signature).
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrWebhookInvalid, fmt.Sprintf(format, args...))
}

// Verify checks a delivery's headers and raw body and returns the parsed body. Errors are
// ErrWebhookInvalid (with its reason) or ErrNoWebhookKeys.
func (v *Verifier) Verify(ctx context.Context, h http.Header, body []byte) (*Webhook, error) {
	reqID, userID := h.Get(HeaderWebhookRequestID), h.Get(HeaderWebhookUserID)
	ts, sigHex := h.Get(HeaderWebhookTimestamp), h.Get(HeaderWebhookSignature)
	if reqID == "" || userID == "" || ts == "" || sigHex == "" {
		return nil, invalid("a signature header is missing")
	}
	// fal's request ids are UUIDs; anything else never reaches a query.
	if len(reqID) > 128 || !utf8.ValidString(reqID) || strings.ContainsRune(reqID, 0) {
		return nil, invalid("the request id is not one fal gives")
	}
	if len(body) > MaxWebhookBody {
		return nil, invalid("body too large")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, invalid("timestamp is not unix seconds")
	}
	if skew := v.cfg.Now().Sub(time.Unix(sec, 0)); skew > WebhookMaxSkew || skew < -WebhookMaxSkew {
		return nil, invalid("timestamp is %s away from this clock", skew.Round(time.Second))
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, invalid("signature is not 64 bytes of hex")
	}
	sum := sha256.Sum256(body)
	msg := []byte(reqID + "\n" + userID + "\n" + ts + "\n" + hex.EncodeToString(sum[:]))
	if err := v.check(ctx, msg, sig); err != nil {
		return nil, err
	}
	var w Webhook
	if err := json.Unmarshal(body, &w); err != nil || !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return nil, invalid("body is not a JSON object")
	}
	if w.RequestID != reqID {
		return nil, invalid("body request_id does not match its header")
	}
	return &w, nil
}

// check verifies msg with the cached keys, refreshing the set once when none verifies.
func (v *Verifier) check(ctx context.Context, msg, sig []byte) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.cfg.Now()
	fresh := func() bool { return !v.fetchedAt.IsZero() && now.Sub(v.fetchedAt) <= jwksMaxAge }
	if fresh() && anyVerifies(v.keys, msg, sig) {
		return nil
	}
	// Fetch on first need, and again (the set is old, or no key verified) once a minute at most.
	if v.triedAt.IsZero() || now.Sub(v.triedAt) >= jwksRefetchEvery {
		v.triedAt = now
		if keys, err := v.fetch(ctx); err != nil {
			v.cfg.Logger.Warn("fal webhook keys could not be fetched", "err", err)
		} else {
			v.keys, v.fetchedAt = keys, now
		}
	}
	if !fresh() {
		v.keys = nil // never fetched, or too old to trust
	}
	if len(v.keys) == 0 {
		return ErrNoWebhookKeys
	}
	if anyVerifies(v.keys, msg, sig) {
		return nil
	}
	return invalid("no key of fal's set verifies the signature")
}

func anyVerifies(keys []ed25519.PublicKey, msg, sig []byte) bool {
	for _, k := range keys {
		if ed25519.Verify(k, msg, sig) {
			return true
		}
	}
	return false
}

// fetch reads the JWKS and keeps its Ed25519 keys.
func (v *Verifier) fetch(ctx context.Context) ([]ed25519.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.cfg.JWKSURL, nil)
	if err != nil {
		return nil, fmt.Errorf("fal: jwks: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fal: jwks: %w", redactURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fal: jwks: status %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes))
	if err != nil {
		return nil, fmt.Errorf("fal: jwks: %w", err)
	}
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Crv string `json:"crv"`
			X   string `json:"x"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("fal: jwks: %w", err)
	}
	var keys []ed25519.PublicKey
	for _, k := range set.Keys {
		if k.Kty != "OKP" || k.Crv != "Ed25519" {
			continue
		}
		raw, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			continue
		}
		keys = append(keys, ed25519.PublicKey(raw))
	}
	if len(keys) == 0 {
		return nil, errors.New("fal: jwks: no Ed25519 key in the set")
	}
	return keys, nil
}
