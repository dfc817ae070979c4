// Package sso is the studio's OpenID Connect relying party (SPEC §12.1): discovery (retried
// until the provider answers), the authorization request with PKCE, state and nonce, and the
// code exchange with a fully verified ID token. It knows nothing of accounts: httpapi joins its
// answer (an identity, an email, groups) with package account.
package sso

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/falstudio/falstudio/internal/config"
)

// ErrUnavailable means discovery has not succeeded yet: the provider could not be reached.
var ErrUnavailable = errors.New("sso: the identity provider's discovery has not succeeded")

// ErrFailed is every refusal of the code exchange or of the ID token (sso_failed). Its wrapped
// cause is for the log only: it never holds a code, a token or the secret.
var ErrFailed = errors.New("sso: sign-in failed")

// Timing (SPEC §12.1).
const (
	retryEvery     = 30 * time.Second // background discovery while it fails
	retryOnStartIn = 5 * time.Second  // a start retries discovery at most this often
	jwksMinAge     = time.Minute      // the JWKS is read again at most this often
	clockSkew      = 2 * time.Minute
	httpTimeout    = 10 * time.Second
	maxBody        = 1 << 20
)

// asymmetric are the ID token signature algorithms accepted: never none, never HMAC.
var asymmetric = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// Provider is the configured identity provider.
type Provider struct {
	cfg         config.OIDCConfig
	redirectURL string
	log         *slog.Logger
	client      *http.Client
	jwks        *jwksCache
	now         func() time.Time

	trying    chan struct{} // holds one discovery attempt at a time
	mu        sync.Mutex
	disc      *discovered // nil until discovery succeeds
	lastTry   time.Time
	lastError error
}

// discovered is what discovery found.
type discovered struct {
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
}

// New builds the provider without contacting it (Run and Start do). client nil uses a plain
// client with a timeout.
func New(cfg config.OIDCConfig, redirectURL string, client *http.Client, log *slog.Logger) *Provider {
	if client == nil {
		client = &http.Client{Timeout: httpTimeout}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The JWKS is re-read when a token names an unknown key id; the cache bounds that to once a
	// minute, so forged key ids cannot make the studio hammer the provider.
	c := *client
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cache := &jwksCache{base: base, now: time.Now}
	c.Transport = cache
	return &Provider{cfg: cfg, redirectURL: redirectURL, log: log, client: &c, jwks: cache, now: time.Now, trying: make(chan struct{}, 1)}
}

// Config is the configuration the provider was built with.
func (p *Provider) Config() config.OIDCConfig { return p.cfg }

// Run retries discovery in the background until it succeeds or ctx ends.
func (p *Provider) Run(ctx context.Context) {
	t := time.NewTicker(retryEvery)
	defer t.Stop()
	for {
		if _, err := p.discover(ctx, 0); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Ready answers nil once discovery has succeeded (the /readyz part "oidc").
func (p *Provider) Ready(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.disc == nil {
		if p.lastError != nil {
			return fmt.Errorf("%w: %v", ErrUnavailable, p.lastError)
		}
		return ErrUnavailable
	}
	return nil
}

// discover returns the discovered provider, trying discovery when it has not succeeded and the
// last try is older than minGap.
func (p *Provider) discover(ctx context.Context, minGap time.Duration) (*discovered, error) {
	if d := p.current(); d != nil {
		return d, nil
	}
	// One attempt at a time: a start waits for the one under way rather than refusing.
	select {
	case p.trying <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.trying }()
	p.mu.Lock()
	if p.disc != nil {
		d := p.disc
		p.mu.Unlock()
		return d, nil
	}
	if minGap > 0 && !p.lastTry.IsZero() && p.now().Sub(p.lastTry) < minGap {
		err := p.lastError
		p.mu.Unlock()
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	p.lastTry = p.now()
	p.mu.Unlock()

	d, err := p.fetchDiscovery(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		if p.lastError == nil || p.lastError.Error() != err.Error() {
			p.log.Warn("oidc discovery failed; retrying", "issuer", p.cfg.Issuer, "err", err)
		}
		p.lastError = err
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	p.disc, p.lastError = d, nil
	p.log.Info("oidc discovery succeeded", "issuer", p.cfg.Issuer)
	return d, nil
}

func (p *Provider) current() *discovered {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.disc
}

// metadata is the part of the discovery document the studio reads.
type metadata struct {
	oidc.ProviderConfig
	IDTokenAlgs     []string `json:"id_token_signing_alg_values_supported"`
	TokenAuthMethod []string `json:"token_endpoint_auth_methods_supported"`
}

func (p *Provider) fetchDiscovery(ctx context.Context) (*discovered, error) {
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	wellKnown := strings.TrimSuffix(p.cfg.Issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, wellKnown, nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("discovery: %s", resp.Status)
	}
	var m metadata
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&m); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	if strings.TrimSuffix(m.IssuerURL, "/") != strings.TrimSuffix(p.cfg.Issuer, "/") {
		return nil, fmt.Errorf("discovery: the issuer %q is not OIDC_ISSUER", m.IssuerURL)
	}
	for _, u := range []string{m.AuthURL, m.TokenURL, m.JWKSURL} {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return nil, errors.New("discovery: an endpoint (authorization, token or jwks) is missing or not http(s)")
		}
	}
	algs := asymmetric
	if len(m.IDTokenAlgs) > 0 {
		algs = nil
		for _, a := range m.IDTokenAlgs {
			if slices.Contains(asymmetric, a) {
				algs = append(algs, a)
			}
		}
		if len(algs) == 0 {
			return nil, errors.New("discovery: the provider signs ID tokens with no asymmetric algorithm")
		}
	}
	m.Algorithms = algs
	p.jwks.setTarget(m.JWKSURL)
	prov := m.NewProvider(oidc.ClientContext(context.Background(), p.client))
	style := oauth2.AuthStyleInHeader // client_secret_basic
	if len(m.TokenAuthMethod) > 0 && !slices.Contains(m.TokenAuthMethod, "client_secret_basic") && slices.Contains(m.TokenAuthMethod, "client_secret_post") {
		style = oauth2.AuthStyleInParams
	}
	return &discovered{
		provider: prov,
		verifier: prov.Verifier(&oidc.Config{ClientID: p.cfg.ClientID, SupportedSigningAlgs: algs, Now: p.now}),
		oauth: oauth2.Config{
			ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, RedirectURL: p.redirectURL, Scopes: p.cfg.Scopes,
			Endpoint: oauth2.Endpoint{AuthURL: m.AuthURL, TokenURL: m.TokenURL, AuthStyle: style},
		},
	}, nil
}

// Flow is one authorization request's secrets, kept server-side until the callback.
type Flow struct {
	State, Nonce, Verifier string
}

// NewFlow makes fresh state, nonce (each 256 random bits) and a PKCE code verifier.
func NewFlow() Flow {
	return Flow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier()}
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuthURL is the authorization request for a flow; ErrUnavailable while discovery has not
// succeeded (tried again here at most every 5 s).
func (p *Provider) AuthURL(ctx context.Context, f Flow) (string, error) {
	d, err := p.discover(ctx, retryOnStartIn)
	if err != nil {
		return "", err
	}
	return d.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), nil
}

// Identity is who the provider says signed in.
type Identity struct {
	Issuer, Subject string
	Email           string   // trimmed and lower-cased; "" when the provider gave none
	Groups          []string // nil when there is no groups claim
}

// claims are the ID token's (or userinfo's) claims the studio reads.
type claims struct {
	Subject string          `json:"sub"`
	Email   string          `json:"email"`
	Groups  json.RawMessage `json:"groups"`
	Azp     string          `json:"azp"`
}

// Exchange trades the code for tokens and verifies the ID token (signature against the JWKS,
// iss, aud, azp, exp, iat, nonce, at_hash). Every failure wraps ErrFailed.
func (p *Provider) Exchange(ctx context.Context, code string, f Flow) (*Identity, error) {
	d, err := p.discover(ctx, retryOnStartIn)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFailed, err)
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, p.client), 2*httpTimeout)
	defer cancel()
	tok, err := d.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return nil, fmt.Errorf("%w: token endpoint: %v", ErrFailed, describeTokenError(err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, fmt.Errorf("%w: no id_token in the token response", ErrFailed)
	}
	idt, err := d.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: id token: %v", ErrFailed, err)
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		return nil, fmt.Errorf("%w: id token claims: %v", ErrFailed, err)
	}
	if len(idt.Audience) > 1 && c.Azp != p.cfg.ClientID {
		return nil, fmt.Errorf("%w: id token: several audiences and azp is not the client", ErrFailed)
	}
	if idt.IssuedAt.After(p.now().Add(clockSkew)) {
		return nil, fmt.Errorf("%w: id token: issued in the future", ErrFailed)
	}
	if idt.Nonce != f.Nonce {
		return nil, fmt.Errorf("%w: id token: nonce mismatch", ErrFailed)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, fmt.Errorf("%w: id token: at_hash mismatch", ErrFailed)
		}
	}
	if idt.Subject == "" {
		return nil, fmt.Errorf("%w: id token: no subject", ErrFailed)
	}
	id := &Identity{Issuer: idt.Issuer, Subject: idt.Subject, Email: normEmail(c.Email), Groups: groupsOf(c.Groups)}
	if (id.Email == "" || (len(p.cfg.AdminGroups) > 0 && id.Groups == nil)) && d.provider.UserInfoEndpoint() != "" {
		ui, err := d.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			p.log.Warn("oidc userinfo failed", "err", err)
		} else {
			var uc claims
			if err := ui.Claims(&uc); err == nil && uc.Subject == id.Subject {
				if id.Email == "" {
					id.Email = normEmail(uc.Email)
				}
				if id.Groups == nil {
					id.Groups = groupsOf(uc.Groups)
				}
			}
		}
	}
	return id, nil
}

// describeTokenError keeps the provider's error code and drops everything else (a response body
// could echo what was sent).
func describeTokenError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode != "" {
			return "refused: " + re.ErrorCode
		}
		if re.Response != nil {
			return "refused: " + re.Response.Status
		}
	}
	var ue interface{ Timeout() bool }
	if errors.As(err, &ue) && ue.Timeout() {
		return "timed out"
	}
	return "request failed"
}

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// groupsOf reads a groups claim: an array of strings or one string; nil when absent.
func groupsOf(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []any
	if json.Unmarshal(raw, &many) != nil {
		return nil
	}
	out := []string{}
	for _, g := range many {
		if s, ok := g.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// IsAdmin reports whether groups name one of OIDC_ADMIN_GROUPS (exact, case-sensitive).
func (p *Provider) IsAdmin(groups []string) bool {
	for _, g := range groups {
		if slices.Contains(p.cfg.AdminGroups, g) {
			return true
		}
	}
	return false
}

// HashFlowID is how a flow cookie's value is stored: only its hash.
func HashFlowID(id string) string {
	h := sha256.Sum256([]byte(id))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// NewFlowID is a flow cookie's value.
func NewFlowID() string { return random() }

// jwksCache answers the JWKS request from the last answer younger than a minute (see New).
type jwksCache struct {
	base http.RoundTripper
	now  func() time.Time

	mu     sync.Mutex
	target string // the jwks_uri, once discovery found it
	at     time.Time
	body   []byte
	hdr    http.Header
}

func (c *jwksCache) setTarget(u string) {
	c.mu.Lock()
	c.target = u
	c.mu.Unlock()
}

func (c *jwksCache) RoundTrip(r *http.Request) (*http.Response, error) {
	key := r.URL.String()
	c.mu.Lock()
	target := c.target
	if r.Method != http.MethodGet || target == "" || key != target {
		c.mu.Unlock()
		return c.base.RoundTrip(r)
	}
	if c.body != nil && c.now().Sub(c.at) < jwksMinAge {
		body, hdr := c.body, c.hdr.Clone()
		c.mu.Unlock()
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: hdr, Body: io.NopCloser(bytes.NewReader(body)), Request: r, ContentLength: int64(len(body))}, nil
	}
	c.mu.Unlock()
	resp, err := c.base.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.at, c.body, c.hdr = c.now(), body, resp.Header.Clone()
	c.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}
