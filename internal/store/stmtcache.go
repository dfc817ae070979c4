package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared read statements for the queries every request runs (session, asset
// version, a gallery page): the profile of GET /api/assets showed SQLite parsing and planning
// the same text on every call. database/sql re-prepares a *sql.Stmt on each pooled connection
// once and reuses it after. Query texts are built from fixed fragments, so they are few; the
// cache still stops growing at maxStmts and then queries without preparing.
type stmtCache struct {
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

const maxStmts = 256

// query runs a read through a cached prepared statement.
func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, q)
	if err != nil || st == nil {
		return s.r.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// queryRow is query for one row.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := s.stmt(ctx, q)
	if err != nil || st == nil {
		return s.r.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (s *Store) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	c := &s.stmts
	c.mu.RLock()
	st, ok := c.stmts[q]
	c.mu.RUnlock()
	if ok {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[q]; ok {
		return st, nil
	}
	if len(c.stmts) >= maxStmts {
		return nil, nil
	}
	st, err := s.r.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[q] = st
	return st, nil
}
