package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

const genCols = `id, user_id, model, prompt, params_json, fal_request_id, status, queue_position, logs_json,
	error_code, error_message, notice, result_json, cancel_requested, attempts, failures, failing_since, next_poll_at, lease_until,
	created_at, updated_at, completed_at,
	group_id` // power: variations

func scanGeneration(row interface{ Scan(...any) error }) (*model.Generation, error) {
	var g model.Generation
	var params, logs, result string
	var qp sql.NullInt64
	var cancel int
	var nextPoll, lease, created, updated, failingSince int64
	var completed sql.NullInt64
	err := row.Scan(&g.ID, &g.UserID, &g.Model, &g.Prompt, &params, &g.FalRequestID, &g.Status, &qp, &logs,
		&g.ErrorCode, &g.ErrorMessage, &g.Notice, &result, &cancel, &g.Attempts, &g.Failures, &failingSince, &nextPoll, &lease,
		&created, &updated, &completed,
		&g.GroupID) // power: variations
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	g.Params = json.RawMessage(params)
	if qp.Valid {
		v := int(qp.Int64)
		g.QueuePosition = &v
	}
	if err := json.Unmarshal([]byte(logs), &g.Logs); err != nil {
		g.Logs = nil
	}
	if result != "" {
		g.ResultJSON = json.RawMessage(result)
	}
	g.CancelAsked = cancel != 0
	g.NextPollAt, g.LeaseUntil = msToTime(nextPoll), msToTime(lease)
	if failingSince > 0 {
		g.FailingSince = msToTime(failingSince)
	}
	g.CreatedAt, g.UpdatedAt, g.CompletedAt = msToTime(created), msToTime(updated), nullMsToTime(completed)
	return &g, nil
}

// InsertGeneration stores a new generation (status submitting: about to be sent to fal).
func (s *Store) InsertGeneration(ctx context.Context, g *model.Generation) error {
	now := s.nowMs()
	params := string(g.Params)
	if params == "" {
		params = "{}"
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO generations (id, user_id, model, prompt, params_json, status, created_at, updated_at, group_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)`, g.ID, g.UserID, g.Model, g.Prompt, params, g.Status, now, g.GroupID) // power: group_id
	if err != nil {
		return fmt.Errorf("store: insert generation: %w", err)
	}
	g.CreatedAt, g.UpdatedAt = msToTime(now), msToTime(now)
	return nil
}

// Generation returns a user's generation; another user's answers ErrNotFound.
func (s *Store) Generation(ctx context.Context, userID int64, id string) (*model.Generation, error) {
	g, err := scanGeneration(s.r.QueryRowContext(ctx, `SELECT `+genCols+` FROM generations WHERE id = $1 AND user_id = $2`, id, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: generation: %w", err)
	}
	return g, err
}

// GenerationByID returns a generation whatever its owner (the runner).
func (s *Store) GenerationByID(ctx context.Context, id string) (*model.Generation, error) {
	g, err := scanGeneration(s.r.QueryRowContext(ctx, `SELECT `+genCols+` FROM generations WHERE id = $1`, id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: generation: %w", err)
	}
	return g, err
}

// Generations lists a user's generations, newest first; activeOnly keeps the unfinished ones.
func (s *Store) Generations(ctx context.Context, userID int64, activeOnly bool, limit int) ([]*model.Generation, error) {
	q := `SELECT ` + genCols + ` FROM generations WHERE user_id = $1`
	if activeOnly {
		q += ` AND status IN ('submitting', 'queued', 'running', 'saving')`
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT $2`
	rows, err := s.r.QueryContext(ctx, q, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: generations: %w", err)
	}
	defer rows.Close()
	var out []*model.Generation
	for rows.Next() {
		g, err := scanGeneration(rows)
		if err != nil {
			return nil, fmt.Errorf("store: generations: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// GenerationUpdate is a change to a generation; nil fields stay as they are.
type GenerationUpdate struct {
	Status        *string
	FalRequestID  *string
	QueuePosition **int
	Logs          []model.LogLine // replaces the logs when non-nil
	ErrorCode     *string
	ErrorMessage  *string
	Notice        *string
	ResultJSON    json.RawMessage
	CancelAsked   *bool
	NextPollAt    *time.Time
	Attempts      *int
	Failures      *int
	FailingSince  *time.Time // the zero time clears it
	ReleaseLease  bool
	// OnlyIfStatus makes the update conditional (compare-and-set on the status).
	OnlyIfStatus []string
}

// UpdateGeneration applies u; it reports false when OnlyIfStatus did not match.
func (s *Store) UpdateGeneration(ctx context.Context, id string, u GenerationUpdate) (bool, error) {
	now := s.nowMs()
	set := `updated_at = $1`
	args := []any{now}
	add := func(col string, v any) {
		args = append(args, v)
		set += fmt.Sprintf(", %s = $%d", col, len(args))
	}
	if u.Status != nil {
		add("status", *u.Status)
		if model.Terminal(*u.Status) {
			add("completed_at", now)
			add("queue_position", nil)
		}
	}
	if u.FalRequestID != nil {
		add("fal_request_id", *u.FalRequestID)
	}
	if u.QueuePosition != nil {
		if *u.QueuePosition == nil {
			add("queue_position", nil)
		} else {
			add("queue_position", **u.QueuePosition)
		}
	}
	if u.Logs != nil {
		b, _ := json.Marshal(u.Logs)
		add("logs_json", string(b))
	}
	if u.ErrorCode != nil {
		add("error_code", *u.ErrorCode)
	}
	if u.ErrorMessage != nil {
		add("error_message", *u.ErrorMessage)
	}
	if u.Notice != nil {
		add("notice", *u.Notice)
	}
	if u.ResultJSON != nil {
		add("result_json", string(u.ResultJSON))
	}
	if u.CancelAsked != nil {
		add("cancel_requested", boolInt(*u.CancelAsked))
	}
	if u.NextPollAt != nil {
		add("next_poll_at", u.NextPollAt.UnixMilli())
	}
	if u.Attempts != nil {
		add("attempts", *u.Attempts)
	}
	if u.Failures != nil {
		add("failures", *u.Failures)
	}
	if u.FailingSince != nil {
		var ms int64
		if !u.FailingSince.IsZero() {
			ms = u.FailingSince.UnixMilli()
		}
		add("failing_since", ms)
	}
	if u.ReleaseLease {
		add("lease_until", 0)
		add("lease_owner", "")
	}
	args = append(args, id)
	q := `UPDATE generations SET ` + set + fmt.Sprintf(` WHERE id = $%d`, len(args))
	if len(u.OnlyIfStatus) > 0 {
		q += ` AND status IN (`
		for i, st := range u.OnlyIfStatus {
			args = append(args, st)
			if i > 0 {
				q += ", "
			}
			q += fmt.Sprintf("$%d", len(args))
		}
		q += `)`
	}
	res, err := s.w.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("store: update generation: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ClaimDue leases up to limit active generations whose next poll is due and that no live lease
// holds. A crashed owner's lease simply expires, so its jobs are picked up again.
func (s *Store) ClaimDue(ctx context.Context, owner string, limit int, lease time.Duration) ([]*model.Generation, error) {
	now := s.nowMs()
	rows, err := s.w.QueryContext(ctx, `UPDATE generations SET lease_owner = $1, lease_until = $2
		WHERE id IN (SELECT id FROM generations
			WHERE status IN ('queued', 'running', 'saving') AND next_poll_at <= $3 AND lease_until < $3
			ORDER BY next_poll_at LIMIT $4)
		RETURNING `+genCols, owner, now+lease.Milliseconds(), now, limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim: %w", err)
	}
	defer rows.Close()
	var out []*model.Generation
	for rows.Next() {
		g, err := scanGeneration(rows)
		if err != nil {
			return nil, fmt.Errorf("store: claim: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// NextDue returns when the earliest active generation is due (zero time when none is active).
func (s *Store) NextDue(ctx context.Context) (time.Time, error) {
	var ms sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT min(max(next_poll_at, lease_until)) FROM generations WHERE status IN ('queued', 'running', 'saving')`).Scan(&ms)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: next due: %w", err)
	}
	if !ms.Valid {
		return time.Time{}, nil
	}
	return msToTime(ms.Int64), nil
}

// FailInterrupted ends every generation caught mid-submit: it may have reached fal (and been
// billed), and fal has no idempotency key, so it is never sent again. Call before serving.
func (s *Store) FailInterrupted(ctx context.Context, message string) (int64, error) {
	now := s.nowMs()
	res, err := s.w.ExecContext(ctx, `UPDATE generations SET status = 'failed', error_code = $1, error_message = $2,
		updated_at = $3, completed_at = $3 WHERE status = 'submitting'`, model.CodeInterrupted, message, now)
	if err != nil {
		return 0, fmt.Errorf("store: fail interrupted: %w", err)
	}
	return res.RowsAffected()
}

// ReleaseAllLeases frees leases held by a previous run of this process (start-up).
func (s *Store) ReleaseAllLeases(ctx context.Context) error {
	_, err := s.w.ExecContext(ctx, `UPDATE generations SET lease_until = 0, lease_owner = '' WHERE lease_until > 0`)
	if err != nil {
		return fmt.Errorf("store: release leases: %w", err)
	}
	return nil
}

// Output is one planned output file of a generation.
type Output struct {
	GenerationID string
	Index        int
	AssetID      string
	SourceURL    string
	StorageKey   string
	Storage      string
}

// PlanOutputs records the output files of a generation once; asset ids are fixed here.
func (s *Store) PlanOutputs(ctx context.Context, outs []Output) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		for _, o := range outs {
			_, err := tx.ExecContext(ctx, `INSERT INTO outputs (generation_id, idx, asset_id, source_url, updated_at)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT (generation_id, idx) DO NOTHING`, o.GenerationID, o.Index, o.AssetID, o.SourceURL, s.nowMs())
			if err != nil {
				return fmt.Errorf("store: plan outputs: %w", err)
			}
		}
		return nil
	})
}

// Outputs lists a generation's planned outputs in order.
func (s *Store) Outputs(ctx context.Context, generationID string) ([]Output, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT generation_id, idx, asset_id, source_url, storage_key, storage FROM outputs WHERE generation_id = $1 ORDER BY idx`, generationID)
	if err != nil {
		return nil, fmt.Errorf("store: outputs: %w", err)
	}
	defer rows.Close()
	var out []Output
	for rows.Next() {
		var o Output
		if err := rows.Scan(&o.GenerationID, &o.Index, &o.AssetID, &o.SourceURL, &o.StorageKey, &o.Storage); err != nil {
			return nil, fmt.Errorf("store: outputs: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// SetOutputKey saves the storage key (and backend) of an output before its upload starts.
func (s *Store) SetOutputKey(ctx context.Context, generationID string, idx int, key, storage string) error {
	_, err := s.w.ExecContext(ctx, `UPDATE outputs SET storage_key = $1, storage = $2, updated_at = $3 WHERE generation_id = $4 AND idx = $5`,
		key, storage, s.nowMs(), generationID, idx)
	if err != nil {
		return fmt.Errorf("store: set output key: %w", err)
	}
	return nil
}

// OrphanOutputs lists outputs whose object may exist but that no asset owns, for generations that
// finished before the given time (the sweep deletes those objects).
func (s *Store) OrphanOutputs(ctx context.Context, finishedBefore time.Time, limit int) ([]Output, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT o.generation_id, o.idx, o.asset_id, o.source_url, o.storage_key, o.storage
		FROM outputs o JOIN generations g ON g.id = o.generation_id
		WHERE o.storage_key <> '' AND g.status IN ('succeeded', 'failed', 'canceled') AND g.completed_at < $1
		AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.id = o.asset_id)
		LIMIT $2`, finishedBefore.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: orphan outputs: %w", err)
	}
	defer rows.Close()
	var out []Output
	for rows.Next() {
		var o Output
		if err := rows.Scan(&o.GenerationID, &o.Index, &o.AssetID, &o.SourceURL, &o.StorageKey, &o.Storage); err != nil {
			return nil, fmt.Errorf("store: orphan outputs: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// ClearOutputKey forgets an output's object after the sweep deleted it.
func (s *Store) ClearOutputKey(ctx context.Context, generationID string, idx int) error {
	_, err := s.w.ExecContext(ctx, `UPDATE outputs SET storage_key = '', storage = '' WHERE generation_id = $1 AND idx = $2`, generationID, idx)
	if err != nil {
		return fmt.Errorf("store: clear output key: %w", err)
	}
	return nil
}
