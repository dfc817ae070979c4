// Package dbtest gives each test its own empty database. With FALSTUDIO_TEST_DATABASE_URL set
// to a PostgreSQL admin URL (scripts/pg.sh start prints one) every call creates a fresh database
// on that server and drops it when the test ends; otherwise it names a new SQLite file in the
// test's temporary directory. The whole suite runs once per dialect (scripts/test.sh).
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// EnvVar names the PostgreSQL admin URL the tests use.
const EnvVar = "FALSTUDIO_TEST_DATABASE_URL"

// Postgres reports whether the tests run against PostgreSQL.
func Postgres() bool { return strings.HasPrefix(os.Getenv(EnvVar), "postgres") }

// URL returns a DATABASE_URL for a new, empty database that lives as long as the test.
func URL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvVar)
	if !Postgres() {
		return filepath.Join(t.TempDir(), "falstudio.db")
	}
	return NewPostgres(t, admin)
}

// NewPostgres creates a database on the server of admin and drops it in t.Cleanup.
func NewPostgres(t testing.TB, admin string) string {
	t.Helper()
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("dbtest: %s: %v", EnvVar, err)
	}
	name := "t_" + strings.ToLower(rand.Text())[:20]
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("dbtest: open %s: %v", EnvVar, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("dbtest: create database: %v (is scripts/pg.sh start running?)", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", admin)
		if err != nil {
			t.Errorf("dbtest: drop: %v", err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends connections a test left open (a killed replica's pool).
		if _, err := db.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
