package store

import (
	"context"

	"github.com/falstudio/falstudio/internal/model"
)

// Local jobs (SPEC §15.7 stitch) run in the studio itself: no fal request, one long step that
// keeps its lease from queued to succeeded.

// MarkLocalRunning starts a local job's work: queued/running → running with its logs; the
// holder keeps its lease (the step goes on). A job resumed after a restart is already running.
func (s *Store) MarkLocalRunning(ctx context.Context, id, holder string, logs []model.LogLine) error {
	return s.transition(ctx, "local running", id, `UPDATE generations SET status = 'running', queue_position = NULL, logs_json = $1,
		failures = 0, failing_since = 0, updated_at = $2
		WHERE id = $3 AND lease_owner = $4 AND status IN ('queued', 'running')`, logsJSON(logs), s.nowMs(), id, holder)
}

// SetLogs records a running job's progress lines; the status stays and the holder keeps its lease.
func (s *Store) SetLogs(ctx context.Context, id, holder string, logs []model.LogLine) error {
	return s.transition(ctx, "logs", id, `UPDATE generations SET logs_json = $1, updated_at = $2
		WHERE id = $3 AND lease_owner = $4 AND status IN ('running', 'saving')`, logsJSON(logs), s.nowMs(), id, holder)
}
