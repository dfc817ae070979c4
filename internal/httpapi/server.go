// Package httpapi is the only package that serves HTTP: the route table, handlers that translate
// requests into service calls, middleware, server-sent events and the embedded UI.
package httpapi

import (
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/falstudio/falstudio/internal/account"
	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/cast"
	"github.com/falstudio/falstudio/internal/config"
	"github.com/falstudio/falstudio/internal/cost"
	"github.com/falstudio/falstudio/internal/enhance"
	"github.com/falstudio/falstudio/internal/events"
	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/falkey"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/journal"
	"github.com/falstudio/falstudio/internal/library"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/metrics"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/policy"
	"github.com/falstudio/falstudio/internal/preset"
	"github.com/falstudio/falstudio/internal/push"
	"github.com/falstudio/falstudio/internal/ratelimit"
	"github.com/falstudio/falstudio/internal/shared"
	"github.com/falstudio/falstudio/internal/sso"
	"github.com/falstudio/falstudio/internal/token"
)

// Deps are what the handlers need.
type Deps struct {
	Config   *config.Config
	Accounts *account.Service
	// Admin is the admin's side of accounts (the users list, roles, deletes, invites).
	Admin *account.Admin
	// FalKeys opens the caller's saved fal key (the balance at fal).
	FalKeys  *falkey.Keys
	Audit    *audit.Log
	Logger   *slog.Logger
	Version  string
	Storage  string // "s3" | "local", for /api/status
	Database string // "sqlite" | "postgres", for /api/status
	Instance string // this replica's instance id (whose local files it can serve)
	UI       fs.FS  // the built web UI; nil serves a plain notice
	Ping     func(*http.Request) error
	// Probes are what /readyz checks (database, media store).
	Probes []Probe
	// Metrics records requests and event streams; nil records nothing (and serves no /metrics).
	Metrics *metrics.Metrics

	Generations *generation.Service
	// Webhooks verifies fal's webhook calls; nil while webhooks are off (the route answers 404).
	Webhooks *fal.Verifier
	// Events wakes the event streams; Journal resumes them after a reconnect.
	Events  *events.Hub
	Journal *journal.Journal
	Library *library.Service
	Costs   *cost.Service
	Fal     *fal.Client
	// AssetVersions answers the gallery's conditional requests (thumbs).
	AssetVersions *library.Versions
	// Shutdown is closed when the server begins to shut down (event streams end).
	Shutdown <-chan struct{}

	Presets *preset.Service
	// SSO is the OpenID Connect provider; nil when single sign-on is off (its routes answer 404).
	SSO *sso.Provider
	// Policies are what admins let members generate (SPEC §12.2).
	Policies *policy.Service
	// Tokens are the personal access tokens (SPEC §11); nil serves no bearer requests.
	Tokens *token.Service
	// Enhancer rewrites prompts; Cast keeps reusable subjects (SPEC §14).
	Enhancer *enhance.Service
	Cast     *cast.Service
	// Shared keeps what a device's share sheet sends (SPEC §16.2).
	Shared *shared.Service
	// Push owns Web Push subscriptions and knows which people have a studio tab open.
	Push *push.Service
	// StreamsPerUser bounds each person's open event streams (0: 16); StreamLifetime ends
	// every stream after that long (0: 30 minutes), the browser then reconnects.
	StreamsPerUser int
	StreamLifetime time.Duration
	// ShareLimit bounds the public share routes per client address (IPv6 per /64); zero is
	// DefaultShareLimit. Tokens are unguessable; this keeps one client from flooding them.
	ShareLimit ratelimit.Limit
}

// DefaultShareLimit lets a shared collection's page load hundreds of previews at once, then
// ten requests a second.
var DefaultShareLimit = ratelimit.Limit{Every: 100 * time.Millisecond, Burst: 300}

// Server holds the handlers' dependencies.
type Server struct {
	Deps
	cfg        *config.Config
	log        *slog.Logger
	shutdown   <-chan struct{}
	pages      *pageCache // encoded gallery pages by ETag (pagecache.go)
	urls       media.URLs // where a browser loads stored objects from
	streams    *streamLimiter
	shares     *ratelimit.Keyed // public share requests per client address
	openapi    openAPIJSON      // GET /api/openapi.json, encoded once
	mcpServers                  // the MCP servers, one per scope set
}

// handlerFunc is a handler that returns its error; adapt turns it into the SPEC error body.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) adapt(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Audit events recorded while serving carry the client's address.
		r = r.WithContext(audit.WithIP(r.Context(), s.clientIP(r)))
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// exemptBearer skips the cross-origin check for bearer requests: no cookie rides along, so there
// is nothing to forge (SPEC §11). /mcp checks Origin itself (a DNS-rebinding guard).
func exemptBearer(checked, direct http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isBearer(r) || r.URL.Path == "/mcp" {
			direct.ServeHTTP(w, r)
			return
		}
		checked.ServeHTTP(w, r)
	})
}

// New builds the whole HTTP handler.
func New(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{Deps: d, cfg: d.Config, log: d.Logger, shutdown: d.Shutdown, pages: newPageCache(), urls: media.NewURLs(d.Config.S3.PublicBaseURL), streams: newStreamLimiter(d.StreamsPerUser)}
	if d.ShareLimit.Burst <= 0 || d.ShareLimit.Every <= 0 {
		d.ShareLimit = DefaultShareLimit
	}
	s.shares = ratelimit.New(d.ShareLimit, 100_000)
	mux := http.NewServeMux()
	s.routes(mux)

	cop := http.NewCrossOriginProtection()
	if d.Config.PublicURL != nil {
		if err := cop.AddTrustedOrigin(d.Config.PublicURL.Scheme + "://" + d.Config.PublicURL.Host); err != nil {
			d.Logger.Warn("PUBLIC_URL is not a valid origin for cross-origin protection", "err", err)
		}
	}
	// fal's servers send no Origin; the webhook is authenticated by its signature instead.
	cop.AddInsecureBypassPattern("POST /api/fal/webhook")
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := model.Errf(model.CodeCrossOrigin, "This request came from another site and was refused.")
		if r.URL.Path == "/share-target" { // a navigation: a browser gets a page
			s.sharePageError(w, r, err)
			return
		}
		s.writeError(w, r, err)
	}))

	h := compressJSON(checkInput(recordPattern(mux)))
	h = exemptBearer(cop.Handler(h), h)
	h = apiDeadline(h)
	h = s.securityHeaders(h)
	h = s.recoverPanics(h)
	h = s.logRequests(h)
	return h
}
