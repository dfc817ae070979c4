package store

import (
	"context"
	"fmt"
	"time"
)

// AuditRow is one stored audit event. Rows are never updated or deleted with the accounts they
// name: the actor's email is a copy taken when the event happened.
type AuditRow struct {
	ID         int64
	At         time.Time
	ActorID    int64 // 0: no actor (an anonymous attempt, the command line)
	ActorEmail string
	Action     string
	TargetType string
	TargetID   string
	IP         string
	DetailJSON string
}

// InsertAudit appends an event.
func (s *Store) InsertAudit(ctx context.Context, e *AuditRow) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	var actor any
	if e.ActorID > 0 {
		actor = e.ActorID
	}
	if e.DetailJSON == "" {
		e.DetailJSON = "{}"
	}
	err := s.w.QueryRowContext(ctx, `INSERT INTO audit_events (at, actor_id, actor_email, action, target_type, target_id, ip, detail_json)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		e.At.UnixMilli(), actor, e.ActorEmail, e.Action, e.TargetType, e.TargetID, e.IP, e.DetailJSON).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("store: insert audit event: %w", err)
	}
	return nil
}

// AuditEvents returns up to limit events, newest first, older than beforeID (0: from the
// newest). Keyset paging on the id, which only grows, so pages stay stable while events arrive.
func (s *Store) AuditEvents(ctx context.Context, beforeID int64, limit int) ([]AuditRow, error) {
	q := `SELECT id, at, coalesce(actor_id, 0), actor_email, action, target_type, target_id, ip, detail_json FROM audit_events`
	args := []any{limit}
	if beforeID > 0 {
		q += ` WHERE id < $2`
		args = append(args, beforeID)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit events: %w", err)
	}
	defer rows.Close()
	var out []AuditRow
	for rows.Next() {
		var e AuditRow
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.ActorEmail, &e.Action, &e.TargetType, &e.TargetID, &e.IP, &e.DetailJSON); err != nil {
			return nil, fmt.Errorf("store: audit events: %w", err)
		}
		e.At = msToTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
