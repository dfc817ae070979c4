package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// GenerationEvent is one journaled change of a generation. Seq is the event id the person's
// stream sends: it counts that person's own changes (users.event_seq), the same on every
// replica, so a browser may resume on any of them and learns nothing of anyone else's activity.
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

// AppendGenerationEvents journals a batch of changes in one transaction, in order. Each change
// takes the next id of its person's counter; a change of an account deleted meanwhile is dropped.
//
// A reader moves its cursor past every id it has read, so a lower id must never become visible
// after a higher one. SQLite has one writer, so commit order is id order. On PostgreSQL two
// replicas could commit out of order; the transaction takes an advisory lock first, which makes
// id order and commit order the same (the person's row lock alone would too, per person).
func (s *Store) AppendGenerationEvents(ctx context.Context, batch []JournalEntry) error {
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		if s.d.name == postgresDialect.name {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(journalLock)); err != nil {
				return err
			}
		}
		now := s.nowMs()
		for _, e := range batch {
			if _, err := appendEvent(ctx, tx, e.UserID, e.GenerationID, now); err != nil && !errors.Is(err, sql.ErrNoRows) {
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

// appendEvent takes the person's next event id and journals the change under it; sql.ErrNoRows
// when the account is gone.
func appendEvent(ctx context.Context, tx *sql.Tx, userID int64, generationID string, now int64) (int64, error) {
	var seq int64
	if err := tx.QueryRowContext(ctx, `UPDATE users SET event_seq = event_seq + 1 WHERE id = $1 RETURNING event_seq`, userID).Scan(&seq); err != nil {
		return 0, err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO generation_events (user_id, user_seq, generation_id, at) VALUES ($1, $2, $3, $4)`,
		userID, seq, generationID, now)
	return seq, err
}

// AppendGenerationEvent journals one change and returns its id (ErrNotFound: no such account).
func (s *Store) AppendGenerationEvent(ctx context.Context, userID int64, generationID string) (int64, error) {
	var seq int64
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		if s.d.name == postgresDialect.name {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(journalLock)); err != nil {
				return err
			}
		}
		var err error
		seq, err = appendEvent(ctx, tx, userID, generationID, s.nowMs())
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: append generation event: %w", err)
	}
	return seq, nil
}

// GenerationEventsAfter returns up to limit of the user's journaled changes with an id > after,
// oldest first.
func (s *Store) GenerationEventsAfter(ctx context.Context, userID, after int64, limit int) ([]GenerationEvent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT user_seq, user_id, generation_id, at FROM generation_events
		WHERE user_id = $1 AND user_seq > $2 ORDER BY user_seq LIMIT $3`, userID, after, limit)
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

// GenerationEventBounds returns the person's oldest id still journaled (0 when none is) and
// their newest id ever given (0 before their first change).
func (s *Store) GenerationEventBounds(ctx context.Context, userID int64) (oldest, newest int64, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT coalesce((SELECT min(user_seq) FROM generation_events WHERE user_id = $1), 0), event_seq
		FROM users WHERE id = $2`, userID, userID).Scan(&oldest, &newest)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
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
