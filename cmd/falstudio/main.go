// Command falstudio runs the fal-studio server.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/config"
	"github.com/falstudio/falstudio/web"
)

// version is set at build time with -ldflags "-X main.version=…".
var version string

func main() {
	if err := run(); err != nil {
		// One line that names the variable; no secret is ever part of these messages.
		fmt.Fprintln(os.Stderr, "falstudio:", err)
		os.Exit(1)
	}
}

func run() error {
	dotenv, err := config.ReadDotEnv(".env")
	if err != nil {
		return err
	}
	cfg, err := config.Load(config.Getenv(dotenv))
	if err != nil {
		return err
	}
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	var h slog.Handler = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})
	}
	log := slog.New(h)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "check-s3":
			return checkStorage(ctx, cfg, os.Stdout)
		case "users":
			return usersCommand(ctx, cfg, os.Args[2:], os.Stdout, os.Stderr)
		case "backup":
			return backupCommand(ctx, cfg, os.Args[2:], os.Stdout)
		default:
			return fmt.Errorf("unknown command %q (commands: check-s3, users, backup; no command runs the server)", os.Args[1])
		}
	}

	a, err := app.New(ctx, cfg, app.Options{Logger: log, UI: web.Dist(), Version: version})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		a.Close()
		return fmt.Errorf("config: ADDR: cannot listen on %s: %w", cfg.Addr, err)
	}
	return a.Serve(ctx, ln)
}
