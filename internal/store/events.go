package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// GenerationEvent is one journaled change of a generation: its seq is the event id that every
// replica's per-person stream sends, so a browser may resume on any replica.
type GenerationEvent struct {
	Seq          int64
	UserID       int64
	GenerationID string
	At           time.Time
}

// journalLock is the PostgreSQL advisory lock that orders journal inserts between replicas.
const journalLock = 0x6a6f75726e616c // "journal"

// JournalEntry names one changed generation of one user.
type JournalEntry struct {
	UserID       int64
	GenerationID string
}

// AppendGenerationEvents journals a batch of changes in one transaction, in order.
//
// A reader moves its cursor past every seq it has read, so a lower seq must never become visible
// after a higher one. SQLite has one writer, so commit order is seq order. On PostgreSQL two
// replicas could commit out of order; the transaction takes an advisory lock first, which makes
// seq order and commit order the same.
func (s *Store) AppendGenerationEvents(ctx context.Context, batch []JournalEntry) error {
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		if s.d.name == postgresDialect.name {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(journalLock)); err != nil {
				return err
			}
		}
		now := s.nowMs()
		for _, e := range batch {
			if _, err := tx.ExecContext(ctx, `INSERT INTO generation_events (user_id, generation_id, at) VALUES ($1, $2, $3)`,
				e.UserID, e.GenerationID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: append generation events: %w", err)
	}
	return nil
}

// AppendGenerationEvent journals one change and returns its seq.
func (s *Store) AppendGenerationEvent(ctx context.Context, userID int64, generationID string) (int64, error) {
	var seq int64
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		if s.d.name == postgresDialect.name {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(journalLock)); err != nil {
				return err
			}
		}
		return tx.QueryRowContext(ctx, `INSERT INTO generation_events (user_id, generation_id, at) VALUES ($1, $2, $3) RETURNING seq`,
			userID, generationID, s.nowMs()).Scan(&seq)
	})
	if err != nil {
		return 0, fmt.Errorf("store: append generation event: %w", err)
	}
	return seq, nil
}

// GenerationEventsAfter returns up to limit of the user's journaled changes with seq > after,
// oldest first.
func (s *Store) GenerationEventsAfter(ctx context.Context, userID, after int64, limit int) ([]GenerationEvent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, user_id, generation_id, at FROM generation_events
		WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, userID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: generation events: %w", err)
	}
	defer rows.Close()
	var out []GenerationEvent
	for rows.Next() {
		var e GenerationEvent
		var at int64
		if err := rows.Scan(&e.Seq, &e.UserID, &e.GenerationID, &at); err != nil {
			return nil, fmt.Errorf("store: generation events: %w", err)
		}
		e.At = msToTime(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: generation events: %w", err)
	}
	return out, nil
}

// GenerationEventBounds returns the oldest and newest seq still journaled (both 0 when empty).
func (s *Store) GenerationEventBounds(ctx context.Context) (oldest, newest int64, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) FROM generation_events`).Scan(&oldest, &newest)
	if err != nil {
		return 0, 0, fmt.Errorf("store: generation event bounds: %w", err)
	}
	return oldest, newest, nil
}

// PruneGenerationEvents deletes the changes journaled before the given time.
func (s *Store) PruneGenerationEvents(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM generation_events WHERE at < $1`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: prune generation events: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: prune generation events: %w", err)
	}
	return n, nil
}
