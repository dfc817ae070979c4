// Package app is the composition root: it opens the store, builds the services, serves HTTP,
// runs the background work and shuts everything down in order.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/falstudio/falstudio/internal/account"
	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/cast"
	"github.com/falstudio/falstudio/internal/cleaner"
	"github.com/falstudio/falstudio/internal/config"
	"github.com/falstudio/falstudio/internal/cost"
	"github.com/falstudio/falstudio/internal/enhance"
	"github.com/falstudio/falstudio/internal/events"
	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/falkey"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/httpapi"
	"github.com/falstudio/falstudio/internal/journal"
	"github.com/falstudio/falstudio/internal/library"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/metrics"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/policy"
	"github.com/falstudio/falstudio/internal/preset"
	"github.com/falstudio/falstudio/internal/push"
	"github.com/falstudio/falstudio/internal/ratelimit"
	"github.com/falstudio/falstudio/internal/secret"
	"github.com/falstudio/falstudio/internal/shared"
	"github.com/falstudio/falstudio/internal/sso"
	"github.com/falstudio/falstudio/internal/store"
	"github.com/falstudio/falstudio/internal/token"
)

// Options are the parts a caller (main or a test) may supply.
type Options struct {
	Logger  *slog.Logger
	UI      fs.FS
	Version string
	// BcryptCost lowers the password hashing cost in tests; 0 is the production default.
	BcryptCost int
	// Limits override the login/sign-up rate limits in tests (PerEmail is per email and IP).
	PerIP, PerEmail, PerEmailAnyIP account.Limit
	// ShareLimit overrides the public share routes' limit per client address (tests).
	ShareLimit ratelimit.Limit
	// Generation tunes the job runner (tests poll faster); zero values take defaults.
	Generation generation.Options
	// S3Timeout bounds each S3 call (tests make outages fail fast); 0 is the default.
	S3Timeout time.Duration
	// FalHTTPClient is used for fal calls (tests); nil is a default client.
	FalHTTPClient *http.Client
	// FalBackoff replaces the fal client's retry backoff base and cap (tests); 0 is the default.
	FalBackoff time.Duration
	// ThumbBackfillEvery is the pause between thumbnail backfill passes; 0 is 10 minutes,
	// negative turns the background backfill off (tests drive it themselves).
	ThumbBackfillEvery time.Duration
	// StreamsPerUser and StreamLifetime bound the event streams (tests); 0 is the default.
	StreamsPerUser int
	StreamLifetime time.Duration
	// PushRetryBase is the first wait before a push is retried (tests shorten it); 0 is 1 s.
	PushRetryBase time.Duration
}

// App is a running studio.
type App struct {
	policies *policy.Service
	sso      *sso.Provider // nil without OIDC_ISSUER
	cfg      *config.Config
	log      *slog.Logger
	store    *store.Store
	accounts *account.Service
	admin    *account.Admin
	falKeys  *falkey.Keys
	gen      *generation.Service
	runner   *generation.Runner
	journal  *journal.Journal
	push     *push.Service
	shared   *shared.Service
	cleaner  *cleaner.Cleaner
	thumbs   *library.Thumbs
	// backfillEvery paces the thumbnail backfill (negative: off).
	backfillEvery time.Duration
	lib           *library.Service
	costs         *cost.Service
	storage       *media.Storage
	metrics       *metrics.Metrics
	// metricsLn is the METRICS_ADDR listener (nil without one).
	metricsLn net.Listener
	events    *events.Hub
	relay     *events.PGRelay // nil on SQLite
	handler   http.Handler
	shutdown  chan struct{}
	bg        sync.WaitGroup
	closers   []func()
}

// New opens and checks everything; any problem is returned as one line for the operator.
func New(ctx context.Context, cfg *config.Config, o Options) (*App, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	warnings, err := config.EnsureSecrets(cfg)
	for _, w := range warnings {
		log.Warn(w)
	}
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.Database())
	if err != nil {
		if store.IsPostgres(cfg.Database()) {
			return nil, fmt.Errorf("config: DATABASE_URL: cannot open the database: %w", err)
		}
		return nil, fmt.Errorf("config: DATA_DIR: cannot open the database: %w", err)
	}
	a := &App{cfg: cfg, log: log, store: st, events: events.NewHub(), backfillEvery: cmp.Or(o.ThumbBackfillEvery, 10*time.Minute)}
	a.closers = append(a.closers, func() { _ = st.Close() })
	if st.Dialect() == "postgres" {
		// Several replicas may share this database: their changes reach our event streams over
		// LISTEN/NOTIFY, and ours reach theirs.
		if a.relay, err = events.NewPGRelay(ctx, st.URL(), cfg.InstanceID, a.events, log); err != nil {
			return nil, fmt.Errorf("config: DATABASE_URL: cannot listen for changes: %w", err)
		}
		a.events.SetRelay(a.relay)
		a.closers = append(a.closers, a.relay.Close)
	}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()

	var prev [][]byte
	if cfg.EncryptionKeyPrevious != nil {
		prev = append(prev, cfg.EncryptionKeyPrevious)
	}
	box, err := secret.NewBox(cfg.EncryptionKey, prev...)
	if err != nil {
		return nil, &config.Error{Var: "ENCRYPTION_KEY", Msg: err.Error()}
	}
	a.falKeys = falkey.New(box, log)
	if err := a.falKeys.CheckEncryptionKey(ctx, st); err != nil {
		return nil, err
	}
	auditLog := audit.New(st, log)
	a.accounts, err = account.New(st, a.falKeys, cfg.SessionSecret, account.Options{
		AllowSignup: cfg.AllowSignup, SignupMode: cfg.SignupMode, Audit: auditLog, BcryptCost: o.BcryptCost, PerIP: o.PerIP, PerEmail: o.PerEmail, PerEmailAnyIP: o.PerEmailAnyIP, Logger: log,
		PasswordLoginOff: cfg.OIDC.Enabled() && !cfg.OIDC.PasswordLogin,
	})
	if err != nil {
		return nil, err
	}

	local, err := media.NewLocal(cfg.MediaDir())
	if err != nil {
		return nil, &config.Error{Var: "DATA_DIR", Msg: err.Error()}
	}
	a.closers = append(a.closers, func() { _ = local.Close() })
	var s3 *media.S3
	if cfg.S3.Enabled() {
		s3, err = media.NewS3(media.S3Config{Endpoint: cfg.S3.Endpoint, Region: cfg.S3.Region, Bucket: cfg.S3.Bucket,
			AccessKeyID: cfg.S3.AccessKeyID, SecretAccessKey: cfg.S3.SecretAccessKey, ForcePathStyle: cfg.S3.ForcePathStyle,
			PublicBaseURL: cfg.S3.PublicBaseURL, Timeout: o.S3Timeout, UploadTimeout: 10 * max(o.S3Timeout, time.Minute)})
		if err != nil {
			return nil, &config.Error{Var: "S3_ENDPOINT", Msg: err.Error()}
		}
		// An unreachable bucket is not fatal: files fall back to local disk and re-sync later.
		if err := s3.Check(ctx); err != nil {
			log.Warn("S3 is not reachable now; files will be kept on local disk until it is", "err", err)
		}
	}
	var ids []string
	for _, m := range generation.Catalogue() {
		ids = append(ids, m.ID)
	}
	a.metrics = metrics.New(metrics.Options{Models: ids})
	a.storage = media.NewStorage(local, s3, a.metrics)
	a.cleaner = cleaner.New(st, a.storage, cleaner.Options{Instance: cfg.InstanceID, RetryAfter: o.Generation.PollMax, Now: o.Generation.Now, Logger: log})
	a.admin = account.NewAdmin(st, account.AdminOptions{Audit: auditLog, Cleaner: a.cleaner, Logger: log})
	fetcher := media.NewFetcher(media.FetchConfig{AllowedHosts: cfg.FalMediaHosts})
	var webhookURL string
	var webhooks *fal.Verifier
	if cfg.FalWebhooks {
		webhookURL = cfg.WebhookURL()
		webhooks = fal.NewVerifier(fal.VerifierConfig{JWKSURL: cfg.FalJWKSURL, HTTPClient: o.FalHTTPClient, Now: o.Generation.Now, Logger: log})
	}
	falClient := fal.New(fal.Config{QueueURL: cfg.FalQueueURL, RunURL: cfg.FalRunURL, RestURL: cfg.FalRestURL,
		APIURL: cfg.FalAPIURL, CDNURL: cfg.FalCDNURL, Logger: log, HTTPClient: o.FalHTTPClient,
		BackoffBase: o.FalBackoff, BackoffMax: o.FalBackoff, WebhookURL: webhookURL})
	log.Info("fal webhooks", "enabled", cfg.FalWebhooks, "fallback_poll", cfg.FalFallbackPoll.String())
	// thumbs: previews at save time and a backfill for older assets; ffmpeg is looked up once.
	video := media.DetectVideo(cfg.VideoWorkers)
	ffmpeg := video.FFmpeg()
	log.Info("ffmpeg: video posters, frames, filmstrips, extend and stitch", "enabled", video.Available(), "ffmpeg", ffmpeg)
	a.journal = journal.New(st, a.events, log, o.Generation.Now)
	a.push, err = push.New(st, push.Options{Key: cfg.Push.VAPIDKey, Subject: cfg.Push.Subject, Hosts: cfg.Push.Hosts,
		AllowInsecureLoopback: cfg.Push.AllowInsecureLoopback, Instance: cfg.InstanceID, ModelName: generation.ModelName,
		Logger: log, Now: o.Generation.Now, RetryBase: o.PushRetryBase})
	if err != nil {
		return nil, &config.Error{Var: "VAPID_PRIVATE_KEY", Msg: "is not a valid P-256 private key"}
	}
	if cfg.Push.SubjectDefaulted {
		log.Warn("VAPID_SUBJECT is not set and there is no PUBLIC_URL: push messages name mailto:admin@localhost, which Apple's push service refuses; set VAPID_SUBJECT")
	}
	a.journal.Listen(a.push.Changed)
	a.shared = shared.New(st, a.storage, a.cleaner, log, o.Generation.Now)
	a.thumbs = library.NewThumbs(st, a.storage, library.ThumbOptions{FFmpeg: ffmpeg, Logger: log,
		Made: func(as *model.Asset) {
			if as.GenerationID != "" { // a frame or an import has no job whose stream would show it
				a.journal.Changed(as.UserID, as.GenerationID)
			}
		}})
	a.shared.AfterImport = a.thumbs.Enqueue
	gopts := o.Generation
	gopts.Logger = log
	gopts.Metrics = a.metrics
	gopts.AfterAssetSaved = a.thumbs.Enqueue
	a.policies = policy.New(st, auditLog)
	gopts.Policies = a.policies
	if gopts.Concurrency == 0 {
		gopts.Concurrency = cfg.JobConcurrency
	}
	if gopts.PerUser == 0 {
		gopts.PerUser = cfg.JobPerUser
	}
	if gopts.MaxJobBytes == 0 {
		gopts.MaxJobBytes = cfg.MaxJobBytes
	}
	if gopts.StorageQuotaBytes == 0 {
		gopts.StorageQuotaBytes = cfg.StorageQuota
	}
	if gopts.Lease == 0 {
		gopts.Lease = cfg.JobLease
	}
	gopts.Instance = cfg.InstanceID
	gopts.Video, gopts.StitchMaxSeconds = video, cfg.StitchMaxSeconds
	gopts.Webhooks = cfg.FalWebhooks
	if gopts.FallbackPoll == 0 {
		gopts.FallbackPoll = cfg.FalFallbackPoll
	}
	gopts.DeriveModels = map[string]string{generation.ActionUpscale: cfg.DeriveUpscaleModel, generation.ActionRemoveBackground: cfg.DeriveRemoveBackgroundModel}
	a.costs = cost.New(st, a.falKeys, falClient, cost.Options{Defaults: generation.ParamDefaults, Logger: log, Audit: auditLog})
	gopts.Budgets = a.costs
	a.runner = generation.NewRunner(st, a.falKeys, falClient, a.storage, fetcher, a.cleaner, a.journal, gopts)
	if err := a.runner.Recover(ctx); err != nil {
		return nil, err
	}
	a.gen = generation.New(st, a.falKeys, falClient, a.storage, a.journal, a.runner, gopts)
	a.lib = library.New(st, a.storage, a.cleaner, media.NewURLs(cfg.S3.PublicBaseURL), library.Options{Logger: log, Now: gopts.Now, Audit: auditLog,
		TrashRetention: cfg.TrashRetention, Video: video, Instance: cfg.InstanceID, AfterAssetSaved: a.thumbs.Enqueue,
		HideFlagged: a.policies.HidesFlagged})

	version := o.Version
	if version == "" {
		version = buildVersion()
	}
	a.shutdown = make(chan struct{})
	probes := []httpapi.Probe{{Name: "database", Check: st.Ping}, {Name: "media", Check: a.storage.Check}}
	if cfg.OIDC.Enabled() {
		// Discovery runs in Start (and again on a sign-in): an unreachable provider makes the
		// studio not ready, never stops it.
		a.sso = sso.New(cfg.OIDC, cfg.RedirectURL(), nil, log)
		probes = append(probes, httpapi.Probe{Name: "oidc", Check: a.sso.Ready})
	}
	a.handler = httpapi.New(httpapi.Deps{
		SSO: a.sso, Policies: a.policies,
		Config: cfg, Accounts: a.accounts, Admin: a.admin, FalKeys: a.falKeys, Audit: auditLog, Logger: log, Version: version, Storage: a.storage.Name(), UI: o.UI,
		Database: st.Dialect(), Instance: cfg.InstanceID,
		Ping:        func(r *http.Request) error { return st.Ping(r.Context()) },
		Probes:      probes,
		Metrics:     a.metrics,
		Generations: a.gen, Webhooks: webhooks, Events: a.events, Journal: a.journal, Library: a.lib, Fal: falClient, Shutdown: a.shutdown, Costs: a.costs,
		AssetVersions: library.NewVersions(st),
		Presets:       preset.New(st, generation.ValidModelID),
		Tokens:        token.New(st, auditLog, log, nil),
		Enhancer: enhance.New(st, a.falKeys, falClient, a.costs, enhance.Options{LLMModel: cfg.EnhanceLLMModel,
			ReserveUSD: cfg.EnhanceReserveUSD, Logger: log, Policies: a.policies}),
		Cast:           cast.New(st, a.storage, a.cleaner, log, gopts.Now),
		Push:           a.push,
		Shared:         a.shared,
		StreamsPerUser: o.StreamsPerUser, StreamLifetime: o.StreamLifetime, ShareLimit: o.ShareLimit,
	})
	if cfg.MetricsAddr != "" {
		// Bound now, so a taken or bad address stops start-up with one line; served by Serve.
		if a.metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return nil, fmt.Errorf("config: METRICS_ADDR: cannot listen on %s: %w", cfg.MetricsAddr, err)
		}
		a.closers = append(a.closers, func() { _ = a.metricsLn.Close() })
	}
	ok = true
	return a, nil
}

// MetricsAddr is the address of the METRICS_ADDR listener ("" when there is none).
func (a *App) MetricsAddr() string {
	if a.metricsLn == nil {
		return ""
	}
	return a.metricsLn.Addr().String()
}

// Handler is the HTTP handler (tests serve it with httptest).
func (a *App) Handler() http.Handler { return a.handler }

// Store is the database (tests inspect it).
func (a *App) Store() *store.Store { return a.store }

// Generations is the submission service.
func (a *App) Generations() *generation.Service { return a.gen }

// Runner is the job runner.
func (a *App) Runner() *generation.Runner { return a.runner }

// Cleaner is the stored-object housekeeping.
func (a *App) Cleaner() *cleaner.Cleaner { return a.cleaner }

// Shared keeps shared uploads (tests run its expiry sweep).
func (a *App) Shared() *shared.Service { return a.shared }

// Storage is the media storage.
func (a *App) Storage() *media.Storage { return a.storage }

// Library is the library service.
func (a *App) Library() *library.Service { return a.lib }

// Costs is the cost and budget service.
func (a *App) Costs() *cost.Service { return a.costs }

// Accounts is the account service.
func (a *App) Accounts() *account.Service { return a.accounts }

// FalKeys opens the fal keys people saved (tests check what rotation re-sealed).
func (a *App) FalKeys() *falkey.Keys { return a.falKeys }

// Thumbs is the preview service.
func (a *App) Thumbs() *library.Thumbs { return a.thumbs }

// Start runs the background work until ctx ends: the journal writer, the runner, the preview
// worker and the PostgreSQL relay, and every periodic pass from this one place.
func (a *App) Start(ctx context.Context) {
	a.spawn(func() { a.journal.Run(ctx) })
	if a.sso != nil {
		a.spawn(func() { a.sso.Run(ctx) })
	}
	a.spawn(func() { a.runner.Run(ctx) })
	a.spawn(func() { a.thumbs.Run(ctx) })
	a.spawn(func() { a.push.Run(ctx) })
	if a.relay != nil {
		a.spawn(func() { a.relay.Run(ctx) })
	}
	if a.backfillEvery > 0 {
		a.spawn(func() { a.thumbs.RunBackfill(ctx, a.backfillEvery) })
	}
	// The trash's retention sweep: once at start-up (what came due while the studio was down),
	// then often enough that nothing stays long past its purge time.
	a.spawn(func() {
		sweep := func(ctx context.Context) {
			if _, err := a.lib.PurgeDue(ctx); err != nil {
				a.log.Warn("trash sweep failed", "err", err)
			}
		}
		sweep(ctx)
		every(ctx, a.lib.SweepEvery(), sweep)
	})
	// Housekeeping may upload large files (the local-to-S3 re-sync): it runs beside the jobs.
	a.spawn(func() { every(ctx, time.Minute, a.cleaner.Tidy) })
	a.spawn(func() { every(ctx, time.Minute, a.shared.Sweep) })
	a.spawn(func() {
		every(ctx, time.Hour, func(ctx context.Context) {
			if n, err := a.accounts.SweepSessions(ctx); err != nil {
				a.log.Warn("session sweep failed", "err", err)
			} else if n > 0 {
				a.log.Info("expired sessions removed", "count", n)
			}
		})
	})
}

func (a *App) spawn(f func()) {
	a.bg.Add(1)
	go func() { defer a.bg.Done(); f() }()
}

// every runs f each period until ctx ends.
func every(ctx context.Context, period time.Duration, f func(context.Context)) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f(ctx)
		}
	}
}

// Serve listens on ln until ctx ends, then shuts down gracefully: in-flight requests finish
// (up to the grace period), background work stops, the database closes.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads up to 20 MB on slow links
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	bgCtx, stopBG := context.WithCancel(ctx)
	a.Start(bgCtx)
	// Event streams end when shutdown begins instead of holding it until the grace period ends.
	srv.RegisterOnShutdown(func() { close(a.shutdown) })

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	defer a.serveMetrics()()
	a.log.Info("fal-studio listening", "addr", ln.Addr().String())
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		a.log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownGrace)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			a.log.Warn("shutdown: some requests did not finish in time", "err", err)
		}
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			serveErr = err
		}
	}
	a.gen.Wait() // variations still being submitted: they need the database
	stopBG()
	a.bg.Wait()
	a.close()
	a.log.Info("stopped")
	if errors.Is(serveErr, http.ErrServerClosed) {
		return nil
	}
	return serveErr
}

// serveMetrics serves /metrics on the METRICS_ADDR listener, when configured; the returned func
// stops it.
func (a *App) serveMetrics() func() {
	if a.metricsLn == nil {
		return func() {}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", httpapi.MetricsHandler(a.metrics))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	go func() { _ = srv.Serve(a.metricsLn) }()
	a.log.Info("metrics listening", "addr", a.metricsLn.Addr().String())
	return func() { _ = srv.Close() }
}

// Close releases everything without serving (tests that never called Serve).
func (a *App) Close() { a.gen.Wait(); a.bg.Wait(); a.close() }

func (a *App) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}
