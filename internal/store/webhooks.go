package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// WakeByRequestID makes the job fal knows as requestID due now (a verified webhook, SPEC
// §17.1) and returns its status. Only a job still waiting on fal (queued, running) is woken; one
// being saved or already finished is left as it is. A job a worker is polling right now is
// marked woken, so that poll's answer does not put it back to sleep. ErrNotFound: no job of this
// studio has that request id.
// With wake false it only reports the status.
func (s *Store) WakeByRequestID(ctx context.Context, requestID string, wake bool) (string, error) {
	if requestID == "" {
		return "", ErrNotFound
	}
	now := s.nowMs()
	var status string
	err := sql.ErrNoRows
	if wake {
		err = s.w.QueryRowContext(ctx, `UPDATE generations SET woken = 1,
			next_poll_at = CASE WHEN next_poll_at > CAST($1 AS BIGINT) THEN CAST($1 AS BIGINT) ELSE next_poll_at END
		WHERE fal_request_id = $2 AND status IN ('queued', 'running') RETURNING status`, now, requestID).Scan(&status)
	}
	if err == nil {
		return status, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: wake by request id: %w", err)
	}
	err = s.r.QueryRowContext(ctx, `SELECT status FROM generations WHERE fal_request_id = $1 LIMIT 1`, requestID).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: wake by request id: %w", err)
	}
	return status, nil
}
