// Package store owns every SQL statement, for SQLite and PostgreSQL alike. The SQL is one text
// for both dialects ($n placeholders, integer epoch-millisecond times); what differs — full-text
// search, claims with SKIP LOCKED, unique violations — is named in dialect.go, the pools and
// pragmas are opened in store.go, and each dialect has its own migrations folder with the same
// versions.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for PostgreSQL
	_ "modernc.org/sqlite"             // pure-Go SQLite: no cgo, static binaries, trivial cross-builds

	"github.com/falstudio/falstudio/internal/model"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationsFS embed.FS

// ErrNotFound is returned when a row does not exist or does not belong to the user asking.
// It wraps model.ErrNotFound, which is what the HTTP layer checks.
var ErrNotFound = fmt.Errorf("store: %w", model.ErrNotFound)

// ErrConflict is returned when a unique constraint refuses a write.
var ErrConflict = errors.New("store: conflict")

// Store is the database.
type Store struct {
	w   *sql.DB // writes: SQLite's single writer connection; the one pool on PostgreSQL
	r   *sql.DB // reads: SQLite's reader pool (WAL lets them run beside the writer); = w on PostgreSQL
	d   dialect
	url string // what was opened, for the relay's own connection (PostgreSQL)
	now func() time.Time
	// stmts holds prepared statements of the hot read queries (stmtcache.go).
	stmts stmtCache
}

// IsPostgres reports whether a DATABASE_URL names PostgreSQL.
func IsPostgres(databaseURL string) bool {
	return strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://")
}

// Open opens the database — PostgreSQL for a postgres:// URL, else the SQLite file at that path
// (created if needed) — and applies the migrations it lacks.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	if IsPostgres(databaseURL) {
		s, err := openPostgres(ctx, databaseURL)
		if err != nil {
			return nil, err
		}
		if err := s.migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	}
	// Two processes opening one new SQLite file at once (a server and the users command, say)
	// can meet SQLITE_BUSY while one of them switches the file to WAL, which the busy timeout
	// does not cover: such an open is tried again a few times.
	var err error
	for attempt := range 5 {
		var s *Store
		if s, err = openSQLite(ctx, databaseURL); err == nil {
			if err = s.migrate(ctx); err == nil {
				return s, nil
			}
			s.Close()
		}
		if !isBusy(err) {
			return nil, err
		}
		t := time.NewTimer(time.Duration(50<<attempt) * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
	return nil, err
}

func isBusy(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "SQLITE_BUSY") || strings.Contains(err.Error(), "database is locked"))
}

func openSQLite(ctx context.Context, p string) (*Store, error) {
	abs, err := filepath.Abs(strings.TrimPrefix(p, "file:"))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// Create the file private before SQLite does, whatever the umask; SQLite gives the -wal and
	// -shm files the main file's mode.
	if err := createPrivate(abs); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	// busy_timeout must come first: the following pragmas may need to wait for a lock.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_txlock", "immediate")
	dsn := "file:" + abs + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	// Readers stay open: a closed connection loses its page cache and prepared statements, and
	// database/sql keeps only two idle ones unless told otherwise.
	readers := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	r.SetConnMaxIdleTime(0)
	s := &Store{w: w, r: r, d: sqliteDialect, url: abs, now: time.Now}
	if err := w.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	return s, nil
}

func openPostgres(ctx context.Context, databaseURL string) (*Store, error) {
	db, err := sql.Open("pgx", withCustomPlans(databaseURL))
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	// One pool serves reads and writes: PostgreSQL has no single-writer limit. Bounded so that
	// several replicas stay under the server's max_connections.
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{w: db, r: db, d: postgresDialect, url: databaseURL, now: time.Now}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open postgres %s: %w", redactURL(databaseURL), err)
	}
	return s, nil
}

// withCustomPlans asks PostgreSQL to plan every execution of a prepared statement for its own
// arguments (plan_cache_mode=force_custom_plan) unless the URL already chooses: pgx prepares
// statements, and after five runs PostgreSQL may switch to a generic plan, which for the
// gallery's optional filters was 30× slower (36 ms instead of 1.2 ms, docs/benchmarks.md).
func withCustomPlans(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return databaseURL
	}
	q := u.Query()
	if q.Get("plan_cache_mode") == "" {
		q.Set("plan_cache_mode", "force_custom_plan")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// redactURL drops the password from a database URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// Dialect is "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

// URL is the database opened: the SQLite file's path or the PostgreSQL URL.
func (s *Store) URL() string { return s.url }

// Close closes the pools.
func (s *Store) Close() error {
	if s.r == s.w {
		return s.w.Close()
	}
	return errors.Join(s.r.Close(), s.w.Close())
}

// SetClock replaces the clock (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

func (s *Store) nowMs() int64 { return s.now().UnixMilli() }

// migrationLock is the PostgreSQL advisory lock key that serialises migrations between replicas
// starting at once ("falstudio" in ASCII, as a number).
const migrationLock = 0x66616c73747564

// migrate applies, in order and each in one transaction, the embedded migrations not yet applied.
// On PostgreSQL the whole run holds an advisory lock, so replicas starting together migrate once;
// on SQLite each version is checked inside its immediate (write-locked) transaction.
func (s *Store) migrate(ctx context.Context) error {
	var conn *sql.Conn
	if s.d.name == "postgres" {
		var err error
		if conn, err = s.w.Conn(ctx); err != nil {
			return fmt.Errorf("store: migrations: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
			return fmt.Errorf("store: migrations lock: %w", err)
		}
		defer func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
		}()
	}
	begin := func() (*sql.Tx, error) {
		if conn != nil {
			return conn.BeginTx(ctx, nil)
		}
		return s.w.BeginTx(ctx, nil)
	}
	exec := func(q string) error {
		tx, err := begin()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	if err := exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	files, err := fs.Glob(migrationsFS, s.d.migrations+"/*.sql")
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	sort.Strings(files)
	for _, f := range files {
		base := path.Base(f)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return fmt.Errorf("store: migration %s: bad name", base)
		}
		body, err := migrationsFS.ReadFile(f)
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", base, err)
		}
		tx, err := begin()
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", base, err)
		}
		var done int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, v).Scan(&done); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("store: migration %d: %w", v, err)
		}
		if done > 0 {
			_ = tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, v, s.nowMs()); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", base, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migration %s: %w", base, err)
		}
	}
	return nil
}

// SchemaVersion returns the highest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.r.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// InTx runs fn in one write transaction, rolled back when fn fails.
func (s *Store) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.r.PingContext(ctx) }

func msToTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func nullMsToTime(ms sql.NullInt64) *time.Time {
	if !ms.Valid {
		return nil
	}
	t := msToTime(ms.Int64)
	return &t
}

// GetMeta reads a meta value; ok is false when absent.
func (s *Store) GetMeta(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: get meta %s: %w", key, err)
	}
	return v, true, nil
}

// SetMeta writes a meta value.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("store: set meta %s: %w", key, err)
	}
	return nil
}

// createPrivate creates the database file with mode 0600 if it does not exist yet.
func createPrivate(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}
