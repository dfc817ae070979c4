// Package app is the composition root: it opens the store, builds the services, serves HTTP,
// runs the background work and shuts everything down in order.
package app

import (
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
	"github.com/falstudio/falstudio/internal/config"
	"github.com/falstudio/falstudio/internal/httpapi"
	"github.com/falstudio/falstudio/internal/secret"
	"github.com/falstudio/falstudio/internal/store"
)

// Options are the parts a caller (main or a test) may supply.
type Options struct {
	Logger  *slog.Logger
	UI      fs.FS
	Version string
	// BcryptCost lowers the password hashing cost in tests; 0 is the production default.
	BcryptCost int
	// Limits override the login/sign-up rate limits in tests.
	PerIP, PerEmail account.Limit
}

// App is a running studio.
type App struct {
	cfg      *config.Config
	log      *slog.Logger
	store    *store.Store
	accounts *account.Service
	handler  http.Handler
	bg       sync.WaitGroup
	closers  []func()
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
	st, err := store.Open(ctx, cfg.DatabasePath())
	if err != nil {
		return nil, fmt.Errorf("config: DATA_DIR: cannot open the database: %w", err)
	}
	a := &App{cfg: cfg, log: log, store: st}
	a.closers = append(a.closers, func() { _ = st.Close() })
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
	a.accounts, err = account.New(st, box, cfg.SessionSecret, account.Options{
		AllowSignup: cfg.AllowSignup, BcryptCost: o.BcryptCost, PerIP: o.PerIP, PerEmail: o.PerEmail, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	if err := a.accounts.CheckEncryptionKey(ctx); err != nil {
		return nil, err
	}

	version := o.Version
	if version == "" {
		version = buildVersion()
	}
	a.handler = httpapi.New(httpapi.Deps{
		Config: cfg, Accounts: a.accounts, Logger: log, Version: version, Storage: "local", UI: o.UI,
		Ping: func(r *http.Request) error { return st.Ping(r.Context()) },
	})
	ok = true
	return a, nil
}

// Handler is the HTTP handler (tests serve it with httptest).
func (a *App) Handler() http.Handler { return a.handler }

// Store is the database (tests inspect it).
func (a *App) Store() *store.Store { return a.store }

// Accounts is the account service.
func (a *App) Accounts() *account.Service { return a.accounts }

// Start runs the background work until ctx ends.
func (a *App) Start(ctx context.Context) {
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if n, err := a.accounts.SweepSessions(ctx); err != nil {
					a.log.Warn("session sweep failed", "err", err)
				} else if n > 0 {
					a.log.Info("expired sessions removed", "count", n)
				}
			}
		}
	}()
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
	srv.RegisterOnShutdown(stopBG)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
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
	stopBG()
	a.bg.Wait()
	a.close()
	a.log.Info("stopped")
	if errors.Is(serveErr, http.ErrServerClosed) {
		return nil
	}
	return serveErr
}

// Close releases everything without serving (tests that never called Serve).
func (a *App) Close() { a.bg.Wait(); a.close() }

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
