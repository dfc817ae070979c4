package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PushSubscription is one browser's Web Push subscription (SPEC §16.3). Endpoint and keys never
// leave the server.
type PushSubscription struct {
	ID        string
	UserID    int64
	Endpoint  string
	P256dh    []byte
	Auth      []byte
	UserAgent *string
	CreatedAt time.Time
}

const pushCols = `id, user_id, endpoint, p256dh, auth, user_agent, created_at`

func scanPush(row interface{ Scan(...any) error }) (*PushSubscription, error) {
	var p PushSubscription
	var ua sql.NullString
	var created int64
	if err := row.Scan(&p.ID, &p.UserID, &p.Endpoint, &p.P256dh, &p.Auth, &ua, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if ua.Valid {
		p.UserAgent = &ua.String
	}
	p.CreatedAt = time.UnixMilli(created).UTC()
	return &p, nil
}

// SavePushSubscription stores sub for its person. The same endpoint from the same person keeps
// its id (keys and user agent updated, created false); an endpoint another person had moves to
// this one under a new id. Past keep subscriptions the person's oldest are removed.
func (s *Store) SavePushSubscription(ctx context.Context, sub *PushSubscription, keep int) (saved *PushSubscription, created bool, err error) {
	err = s.InTx(ctx, func(tx *sql.Tx) error {
		old, err := scanPush(tx.QueryRowContext(ctx, `SELECT `+pushCols+` FROM push_subscriptions WHERE endpoint = $1`, sub.Endpoint))
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return err
		case old.UserID == sub.UserID:
			if _, err := tx.ExecContext(ctx, `UPDATE push_subscriptions SET p256dh = $1, auth = $2, user_agent = $3 WHERE id = $4`,
				sub.P256dh, sub.Auth, sub.UserAgent, old.ID); err != nil {
				return err
			}
			old.P256dh, old.Auth, old.UserAgent = sub.P256dh, sub.Auth, sub.UserAgent
			saved = old
			return nil
		default: // another person's browser now: theirs no longer
			if _, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE id = $1`, old.ID); err != nil {
				return err
			}
		}
		sub.CreatedAt = s.now().UTC().Truncate(time.Millisecond)
		if _, err := tx.ExecContext(ctx, `INSERT INTO push_subscriptions (`+pushCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			sub.ID, sub.UserID, sub.Endpoint, sub.P256dh, sub.Auth, sub.UserAgent, sub.CreatedAt.UnixMilli()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE user_id = $1 AND id NOT IN (
			SELECT id FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2)`, sub.UserID, keep); err != nil {
			return err
		}
		saved, created = sub, true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: save push subscription: %w", err)
	}
	return saved, created, nil
}

// PushSubscriptions lists a person's subscriptions, newest first.
func (s *Store) PushSubscriptions(ctx context.Context, userID int64) ([]*PushSubscription, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+pushCols+` FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: push subscriptions: %w", err)
	}
	defer rows.Close()
	var out []*PushSubscription
	for rows.Next() {
		p, err := scanPush(rows)
		if err != nil {
			return nil, fmt.Errorf("store: push subscriptions: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: push subscriptions: %w", err)
	}
	return out, nil
}

// DeletePushSubscription removes a person's subscription; another person's answers ErrNotFound.
func (s *Store) DeletePushSubscription(ctx context.Context, userID int64, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("store: delete push subscription: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return ErrNotFound
	}
	return nil
}

// PushPrefs are a person's notification settings.
type PushPrefs struct {
	Push, OnlyWhenAway bool
}

// PushPrefsOf returns a person's settings (the defaults, both on, when never set).
func (s *Store) PushPrefsOf(ctx context.Context, userID int64) (PushPrefs, error) {
	var push, away int
	err := s.r.QueryRowContext(ctx, `SELECT push, only_when_away FROM push_prefs WHERE user_id = $1`, userID).Scan(&push, &away)
	if errors.Is(err, sql.ErrNoRows) {
		return PushPrefs{Push: true, OnlyWhenAway: true}, nil
	}
	if err != nil {
		return PushPrefs{}, fmt.Errorf("store: push prefs: %w", err)
	}
	return PushPrefs{Push: push == 1, OnlyWhenAway: away == 1}, nil
}

// SetPushPrefs stores a person's settings.
func (s *Store) SetPushPrefs(ctx context.Context, userID int64, p PushPrefs) error {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO push_prefs (user_id, push, only_when_away) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET push = excluded.push, only_when_away = excluded.only_when_away`,
		userID, b(p.Push), b(p.OnlyWhenAway)); err != nil {
		return fmt.Errorf("store: set push prefs: %w", err)
	}
	return nil
}

// OpenStream records that an event stream of a person opened on instance.
func (s *Store) OpenStream(ctx context.Context, id string, userID int64, instance string) error {
	now := s.nowMs()
	if _, err := s.w.ExecContext(ctx, `INSERT INTO open_streams (id, user_id, instance, seen_at, opened_at) VALUES ($1, $2, $3, $4, $4)`,
		id, userID, instance, now); err != nil {
		return fmt.Errorf("store: open stream: %w", err)
	}
	return nil
}

// CloseStream records that a stream closed (the row stays a while: a job that ended while it was
// open may be looked at a moment later).
func (s *Store) CloseStream(ctx context.Context, id string) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE open_streams SET closed_at = $1 WHERE id = $2 AND closed_at IS NULL`, s.nowMs(), id); err != nil {
		return fmt.Errorf("store: close stream: %w", err)
	}
	return nil
}

// TouchStreams marks every open stream instance holds as still open, and forgets rows closed,
// or last seen (a replica that died), before pruneBefore.
func (s *Store) TouchStreams(ctx context.Context, instance string, pruneBefore time.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE open_streams SET seen_at = $1 WHERE instance = $2 AND closed_at IS NULL`, s.nowMs(), instance); err != nil {
		return fmt.Errorf("store: touch streams: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM open_streams WHERE coalesce(closed_at, seen_at) < $1`, pruneBefore.UnixMilli()); err != nil {
		return fmt.Errorf("store: prune streams: %w", err)
	}
	return nil
}

// HadOpenStream reports whether a person had a stream open at the moment at: opened by then and
// closed at it or later, or still open and seen within stale of it (a dead replica's streams stop
// counting).
func (s *Store) HadOpenStream(ctx context.Context, userID int64, at time.Time, stale time.Duration) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM open_streams WHERE user_id = $1 AND opened_at <= $2
		AND ((closed_at IS NULL AND seen_at >= $3) OR closed_at >= $2) LIMIT 1`, userID, at.UnixMilli(), at.Add(-stale).UnixMilli()).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: open stream: %w", err)
	}
	return true, nil
}

// ClaimPushSend marks a generation's end as handled; only the first caller, on any replica,
// gets true. Rows older than pruneBefore are forgotten (an ended job never ends again).
func (s *Store) ClaimPushSend(ctx context.Context, generationID string, pruneBefore time.Time) (bool, error) {
	var claimed bool
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO push_sent (generation_id, sent_at) VALUES ($1, $2) ON CONFLICT (generation_id) DO NOTHING`,
			generationID, s.nowMs())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		claimed = n == 1
		_, err = tx.ExecContext(ctx, `DELETE FROM push_sent WHERE sent_at < $1`, pruneBefore.UnixMilli())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: claim push: %w", err)
	}
	return claimed, nil
}

// DeletePushSubscriptionByID removes a subscription its push service called gone (404/410).
func (s *Store) DeletePushSubscriptionByID(ctx context.Context, id string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: delete push subscription: %w", err)
	}
	return nil
}
