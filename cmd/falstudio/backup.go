package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/falstudio/falstudio/internal/config"
	"github.com/falstudio/falstudio/internal/store"
)

// backupCommand is `falstudio backup --out FILE`: a consistent copy of the SQLite database,
// taken while the studio runs. Media and the secrets in DATA_DIR are not part of it (see
// docs/deploy.md: back up encryption_key apart from the database).
func backupCommand(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("out", "", "file to write the copy to (must not exist)")
	if err := fs.Parse(args); err != nil || *out == "" || fs.NArg() > 0 {
		return errors.New("usage: falstudio backup --out FILE")
	}
	if store.IsPostgres(cfg.Database()) {
		return errors.New("backup: DATABASE_URL is PostgreSQL; back it up with pg_dump (e.g. pg_dump --format=custom --file=falstudio.dump \"$DATABASE_URL\"), see docs/deploy.md")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("backup: %s already exists; choose a new file", *out)
	}
	if err := store.Backup(ctx, strings.TrimPrefix(cfg.Database(), "file:"), *out); err != nil {
		return err
	}
	fi, err := os.Stat(*out)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup written: %s (%d bytes, integrity ok)\n", *out, fi.Size())
	fmt.Fprintln(stdout, "also keep a copy of DATA_DIR/encryption_key and DATA_DIR/session_secret (or your ENCRYPTION_KEY/SESSION_SECRET), and the media (DATA_DIR/media or the S3 bucket)")
	return nil
}
