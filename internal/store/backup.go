package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the SQLite database at dbPath to out with VACUUM INTO,
// while the studio keeps running: it reads one snapshot (WAL readers do not block the writer,
// nor it them), and the copy is compact and has no -wal of its own. out must not exist; it is
// created 0600. The copy's integrity is checked before Backup returns.
func Backup(ctx context.Context, dbPath, out string) error {
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("store: backup: no database at %s: %w", abs, err)
	}
	outAbs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	// Created empty and private first: VACUUM INTO fills an empty file and keeps its mode.
	f, err := os.OpenFile(outAbs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.Remove(outAbs)
		}
	}()
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+abs+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// VACUUM INTO must not run inside a transaction; the file name is a bound parameter.
	if _, err := db.ExecContext(ctx, `VACUUM INTO $1`, outAbs); err != nil {
		return fmt.Errorf("store: backup: vacuum into %s: %w", outAbs, err)
	}
	if err := checkIntegrity(ctx, outAbs); err != nil {
		return err
	}
	ok = true
	return nil
}

func checkIntegrity(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("store: backup: check: %w", err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("store: backup: check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("store: backup: the copy failed its integrity check: %s", res)
	}
	return nil
}
