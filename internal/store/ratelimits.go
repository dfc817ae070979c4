package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// RateHit is one hit on a shared rate-limit counter: the key's SHA-256 (never the email or IP
// itself) and the length of its fixed window.
type RateHit struct {
	KeyHash []byte
	Window  time.Duration
}

// RateCount is a counter after a hit: hits in the current window and when that window ends.
type RateCount struct {
	Hits    int64
	ResetAt time.Time
}

// HitRateLimits counts one hit on each key, in one transaction, and returns the counts. A key
// whose window has ended starts a new one. Shared by every replica on the database.
func (s *Store) HitRateLimits(ctx context.Context, hits []RateHit) ([]RateCount, error) {
	now := s.nowMs()
	out := make([]RateCount, len(hits))
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		for i, h := range hits {
			var n, reset int64
			err := tx.QueryRowContext(ctx, `
				INSERT INTO rate_limits (key_hash, hits, window_start, expires_at) VALUES ($1, 1, $2, $3)
				ON CONFLICT (key_hash) DO UPDATE SET
					hits = CASE WHEN rate_limits.expires_at <= excluded.window_start THEN 1 ELSE rate_limits.hits + 1 END,
					window_start = CASE WHEN rate_limits.expires_at <= excluded.window_start THEN excluded.window_start ELSE rate_limits.window_start END,
					expires_at = CASE WHEN rate_limits.expires_at <= excluded.window_start THEN excluded.expires_at ELSE rate_limits.expires_at END
				RETURNING hits, expires_at`, h.KeyHash, now, now+h.Window.Milliseconds()).Scan(&n, &reset)
			if err != nil {
				return err
			}
			out[i] = RateCount{Hits: n, ResetAt: msToTime(reset)}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: hit rate limits: %w", err)
	}
	return out, nil
}

// SweepRateLimits deletes counters whose window has ended.
func (s *Store) SweepRateLimits(ctx context.Context) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM rate_limits WHERE expires_at <= $1`, s.nowMs())
	if err != nil {
		return 0, fmt.Errorf("store: sweep rate limits: %w", err)
	}
	return res.RowsAffected()
}
