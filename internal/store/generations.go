package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

const genCols = `id, user_id, model, prompt, params_json, fal_request_id, status, queue_position, logs_json,
	error_code, error_message, notice, result_json, cancel_requested, attempts, failures, failing_since, next_poll_at, lease_owner, lease_until,
	created_at, updated_at, completed_at, group_id, collection_id, cost_usd, cost_source, cast_json, reference_asset_ids, relation, parent_asset_id, token_id, token_name`

func scanGeneration(row interface{ Scan(...any) error }) (*model.Generation, error) {
	var g model.Generation
	var params, logs, result string
	var qp sql.NullInt64
	var cancel int
	var nextPoll, lease, created, updated, failingSince int64
	var completed sql.NullInt64
	var collection sql.NullString
	var cost sql.NullFloat64
	var castJSON, refs string
	var tokenID, tokenName sql.NullString
	err := row.Scan(&g.ID, &g.UserID, &g.Model, &g.Prompt, &params, &g.FalRequestID, &g.Status, &qp, &logs,
		&g.ErrorCode, &g.ErrorMessage, &g.Notice, &result, &cancel, &g.Attempts, &g.Failures, &failingSince, &nextPoll, &g.LeaseOwner, &lease,
		&created, &updated, &completed, &g.GroupID, &collection, &cost, &g.CostSource, &castJSON, &refs, &g.Relation, &g.ParentAssetID, &tokenID, &tokenName)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	g.Params = json.RawMessage(params)
	if err := json.Unmarshal([]byte(castJSON), &g.Cast); err != nil || g.Cast == nil {
		g.Cast = []string{}
	}
	g.CollectionID = collection.String
	g.TokenID, g.TokenName = tokenID.String, tokenName.String
	if cost.Valid {
		g.CostUSD = &cost.Float64
	}
	if qp.Valid {
		v := int(qp.Int64)
		g.QueuePosition = &v
	}
	if err := json.Unmarshal([]byte(logs), &g.Logs); err != nil {
		g.Logs = nil
	}
	if err := json.Unmarshal([]byte(refs), &g.ReferenceAssetIDs); err != nil || g.ReferenceAssetIDs == nil {
		g.ReferenceAssetIDs = []string{}
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

// BudgetGuard is checked inside the insert's transaction (package cost builds it): the person's
// Spend for [MonthStart, MonthEnd) is read there, and Allow's error refuses the insert as is.
type BudgetGuard struct {
	MonthStart, MonthEnd time.Time
	Allow                func(Spend) error // nil: no budget to check
	// Token, when set, is the personal access token the submit came through: its own spend and
	// recent submits are read in the same transaction.
	Token *TokenGuard
}

// TokenGuard checks a token's cap and rate limit inside the insert's transaction.
type TokenGuard struct {
	ID string
	// Window is the rate limit's span (its recent submits are those created within it).
	Window time.Duration
	Allow  func(TokenSpend) error
}

// TokenSpend is what one token has spent this month, what its unfinished generations hold, and
// the generations it started within the guard's window (and when the oldest of those started).
type TokenSpend struct {
	SpentUSD, ReservedUSD float64
	Recent                int64
	OldestRecent          time.Time
}

// tokenSpendQuery reads a TokenSpend: $1 token, [$2, $3) the month, $4 the window's start.
const tokenSpendQuery = `SELECT
	coalesce(sum(CASE WHEN ` + spent + ` AND g.completed_at >= $2 AND g.completed_at < $3 THEN g.cost_usd END), 0),
	coalesce(sum(CASE WHEN g.status IN ` + activeStatuses + ` THEN g.cost_usd END), 0),
	CAST(coalesce(sum(CASE WHEN g.created_at >= $4 THEN 1 ELSE 0 END), 0) AS BIGINT),
	coalesce(min(CASE WHEN g.created_at >= $4 THEN g.created_at END), 0)
	FROM generations g WHERE g.token_id = $1`

func scanTokenSpend(row *sql.Row) (TokenSpend, error) {
	var ts TokenSpend
	var oldest int64
	if err := row.Scan(&ts.SpentUSD, &ts.ReservedUSD, &ts.Recent, &oldest); err != nil {
		return TokenSpend{}, err
	}
	if oldest > 0 {
		ts.OldestRecent = msToTime(oldest)
	}
	return ts, nil
}

// InsertGeneration is the one INSERT of every submit. It stores g as submitting (about to be sent
// to fal), leased to the submitting instance — only once that lease expires may a sweep call it
// interrupted — with its estimated cost and the collection its outputs join, which must be the
// person's (another's, or none, is ErrNotFound). The person's row is written first: on
// PostgreSQL that row lock makes a second submit of the same person wait until this one
// commits, and SQLite's single writer serialises it anyway, so with a guard two submits can
// never both fit under the same remaining budget.
func (s *Store) InsertGeneration(ctx context.Context, g *model.Generation, holder string, lease time.Duration, guard *BudgetGuard) error {
	return s.InsertGenerations(ctx, []*model.Generation{g}, holder, lease, guard)
}

// InsertGenerations inserts the generations of one submit (a compare's runs, SPEC §14) all or
// none, in one transaction, under one guard: the set is priced as a whole (the guard's Allow
// sees the spend once, before any of them). They belong to one person.
func (s *Store) InsertGenerations(ctx context.Context, gs []*model.Generation, holder string, lease time.Duration, guard *BudgetGuard) error {
	if len(gs) == 0 {
		return nil
	}
	now := s.nowMs()
	until := now + lease.Milliseconds()
	userID := gs[0].UserID
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET updated_at = updated_at WHERE id = $1`, userID)
		if err != nil {
			return fmt.Errorf("store: lock user: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, ErrNotFound)
		}
		checked := map[string]bool{}
		for _, g := range gs {
			if g.UserID != userID {
				return fmt.Errorf("store: insert generations: one person's set")
			}
			if g.CollectionID == "" || checked[g.CollectionID] {
				continue
			}
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM collections WHERE id = $1 AND user_id = $2`, g.CollectionID, g.UserID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			if err != nil {
				return fmt.Errorf("store: collection of a submit: %w", err)
			}
			checked[g.CollectionID] = true
		}
		if guard != nil && guard.Token != nil {
			tg := guard.Token
			ts, err := scanTokenSpend(tx.QueryRowContext(ctx, tokenSpendQuery, tg.ID, guard.MonthStart.UnixMilli(), guard.MonthEnd.UnixMilli(), now-tg.Window.Milliseconds()))
			if err != nil {
				return fmt.Errorf("store: token spend: %w", err)
			}
			if err := tg.Allow(ts); err != nil {
				return err
			}
		}
		if guard != nil && guard.Allow != nil {
			sp, err := scanSpend(tx.QueryRowContext(ctx, spendQuery, userID, guard.MonthStart.UnixMilli(), guard.MonthEnd.UnixMilli()))
			if err != nil {
				return fmt.Errorf("store: spend: %w", err)
			}
			if err := guard.Allow(sp); err != nil {
				return err
			}
		}
		// Each run is a millisecond after the one before, so a set reads back in its order.
		for i, g := range gs {
			if err := insertGeneration(ctx, tx, g, holder, now+int64(i), until); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, g := range gs {
		g.Status, g.LeaseOwner, g.LeaseUntil = model.StatusSubmitting, holder, msToTime(until)
		g.CreatedAt, g.UpdatedAt = msToTime(now+int64(i)), msToTime(now+int64(i))
	}
	return nil
}

// GenerationsOfGroup lists a person's generations of one set (a compare's runs, variations) in
// the order they were submitted; another person's set is empty.
func (s *Store) GenerationsOfGroup(ctx context.Context, userID int64, group string) ([]*model.Generation, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+genCols+` FROM generations WHERE user_id = $1 AND group_id = $2 AND group_id <> ''
		ORDER BY created_at, id LIMIT 100`, userID, group)
	if err != nil {
		return nil, fmt.Errorf("store: generations of group: %w", err)
	}
	defer rows.Close()
	var out []*model.Generation
	for rows.Next() {
		g, err := scanGeneration(rows)
		if err != nil {
			return nil, fmt.Errorf("store: generations of group: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// insertGeneration writes one row of InsertGenerations, and the cast members it used.
func insertGeneration(ctx context.Context, tx *sql.Tx, g *model.Generation, holder string, now, until int64) error {
	params := string(g.Params)
	if params == "" {
		params = "{}"
	}
	var cost sql.NullFloat64
	if g.CostUSD != nil {
		cost = sql.NullFloat64{Float64: *g.CostUSD, Valid: true}
	}
	collection := sql.NullString{String: g.CollectionID, Valid: g.CollectionID != ""}
	if g.Cast == nil {
		g.Cast = []string{}
	}
	castJSON, err := json.Marshal(g.Cast)
	if err != nil {
		return fmt.Errorf("store: insert generation: %w", err)
	}
	refs := "[]"
	if len(g.ReferenceAssetIDs) > 0 {
		b, err := json.Marshal(g.ReferenceAssetIDs)
		if err != nil {
			return fmt.Errorf("store: insert generation: %w", err)
		}
		refs = string(b)
	}
	tokenID := sql.NullString{String: g.TokenID, Valid: g.TokenID != ""}
	tokenName := sql.NullString{String: g.TokenName, Valid: g.TokenID != ""}
	_, err = tx.ExecContext(ctx, `INSERT INTO generations (id, user_id, model, prompt, params_json, status, lease_owner, lease_until,
		cost_usd, cost_source, created_at, updated_at, group_id, collection_id, cast_json, reference_asset_ids, relation, parent_asset_id,
		token_id, token_name)
		VALUES ($1, $2, $3, $4, $5, 'submitting', $6, $7, $8, $9, $10, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		g.ID, g.UserID, g.Model, g.Prompt, params, holder, until, cost, g.CostSource, now, g.GroupID, collection, string(castJSON),
		refs, g.Relation, g.ParentAssetID, tokenID, tokenName)
	if err != nil {
		return fmt.Errorf("store: insert generation: %w", err)
	}
	for i, id := range g.Cast {
		if _, err := tx.ExecContext(ctx, `INSERT INTO generation_cast (generation_id, cast_id, position) VALUES ($1, $2, $3)`, g.ID, id, i); err != nil {
			return fmt.Errorf("store: insert generation cast: %w", err)
		}
	}
	return nil
}

// cmpErr is err when there is one, else fallback.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// Generation returns a user's generation; another user's answers ErrNotFound.
func (s *Store) Generation(ctx context.Context, userID int64, id string) (*model.Generation, error) {
	g, err := scanGeneration(s.r.QueryRowContext(ctx, `SELECT `+genCols+` FROM generations WHERE id = $1 AND user_id = $2`, id, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: generation: %w", err)
	}
	return g, err
}

// GenerationByID returns a generation whatever its owner (tests inspect rows with it).
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
		q += ` AND status IN ` + activeSQL
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

// The job transitions. Each is one fixed statement whose WHERE names the statuses it may move
// from (model.CanTransition's table; TestTransitionsFollowTheModelTable holds them to it) and,
// for the runner's steps, the lease holder: a worker whose lease expired and was taken over by
// another replica changes nothing. A transition that moves nothing returns a *StaleError
// (errors.Is ErrStale) naming the row's actual state, so it can never pass for a success.

// activeSQL is the status list of unfinished jobs, for WHERE clauses.
const activeSQL = `('submitting', 'queued', 'running', 'saving')`

func (s *Store) transition(ctx context.Context, name, id, q string, args ...any) error {
	res, err := s.w.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	// The guard was not met: read what the row holds now, so the caller can say why.
	e := &StaleError{Transition: name, ID: id, Status: "gone"}
	err = s.w.QueryRowContext(ctx, `SELECT status, lease_owner FROM generations WHERE id = $1`, id).Scan(&e.Status, &e.LeaseOwner)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: read state after a missed guard: %w", name, err)
	}
	return e
}

// ErrStale is a transition whose guard was not met: the row is in another state (canceled or
// finished meanwhile), or another worker holds its lease. Nothing was written.
var ErrStale = errors.New("store: transition guard not met")

// StaleError is ErrStale with the row's actual state, for the log line of the conflict.
type StaleError struct {
	Transition, ID string
	Status         string // "gone" when the row no longer exists
	LeaseOwner     string
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("store: %s of generation %s not applied: it is %s (lease holder %q)", e.Transition, e.ID, e.Status, e.LeaseOwner)
}

func (e *StaleError) Is(target error) bool { return target == ErrStale }

func nullPos(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func logsJSON(logs []model.LogLine) string {
	if logs == nil {
		return "[]"
	}
	b, err := json.Marshal(logs)
	if err != nil {
		return "[]"
	}
	return string(b)
}

// MarkSubmitted records fal's request id: submitting → queued or running, lease released, due now.
func (s *Store) MarkSubmitted(ctx context.Context, id, holder, status, requestID string, queuePos *int) error {
	return s.MarkSubmittedDue(ctx, id, holder, status, requestID, queuePos, msToTime(s.nowMs()))
}

// MarkSubmittedDue is MarkSubmitted with the first status request due at next (while fal's
// webhook is awaited, the fallback poll's time). A webhook that woke the job meanwhile wins.
func (s *Store) MarkSubmittedDue(ctx context.Context, id, holder, status, requestID string, queuePos *int, next time.Time) error {
	if status != model.StatusQueued && status != model.StatusRunning {
		return fmt.Errorf("store: submitted: bad status %q", status)
	}
	now := s.nowMs()
	return s.transition(ctx, "submitted", id, `UPDATE generations SET status = $1, fal_request_id = $2, queue_position = $3,
		next_poll_at = CASE WHEN woken = 1 THEN CAST($4 AS BIGINT) ELSE CAST($7 AS BIGINT) END, lease_owner = '', lease_until = 0, updated_at = $4
		WHERE id = $5 AND lease_owner = $6 AND status = 'submitting'`, status, requestID, nullPos(queuePos), now, id, holder, next.UnixMilli())
}

// MarkPolled records a status poll: queued/running → queued/running with the queue position and
// logs, the next poll time, the poll count; the run of failures ends and the lease is released.
func (s *Store) MarkPolled(ctx context.Context, id, holder, status string, queuePos *int, logs []model.LogLine, attempts int, next time.Time) error {
	if status != model.StatusQueued && status != model.StatusRunning {
		return fmt.Errorf("store: polled: bad status %q", status)
	}
	// A webhook that arrived while this poll ran (woken) makes the job due again at once.
	return s.transition(ctx, "polled", id, `UPDATE generations SET status = $1, queue_position = $2, logs_json = $3, attempts = $4,
		next_poll_at = CASE WHEN woken = 1 THEN CAST($6 AS BIGINT) ELSE CAST($5 AS BIGINT) END, failures = 0, failing_since = 0, lease_owner = '', lease_until = 0, updated_at = $6
		WHERE id = $7 AND lease_owner = $8 AND status IN ('queued', 'running')`,
		status, nullPos(queuePos), logsJSON(logs), attempts, next.UnixMilli(), s.nowMs(), id, holder)
}

// MarkSaving records fal's result: queued/running → saving. The holder keeps its lease and goes
// on to save the outputs (already planned by PlanOutputs).
func (s *Store) MarkSaving(ctx context.Context, id, holder string, logs []model.LogLine, result json.RawMessage) error {
	return s.transition(ctx, "saving", id, `UPDATE generations SET status = 'saving', queue_position = NULL, logs_json = $1,
		result_json = $2, failures = 0, failing_since = 0, updated_at = $3
		WHERE id = $4 AND lease_owner = $5 AND status IN ('queued', 'running')`, logsJSON(logs), string(result), s.nowMs(), id, holder)
}

// MarkSucceeded ends a saved job: saving → succeeded, with an optional notice.
func (s *Store) MarkSucceeded(ctx context.Context, id, holder, notice string) error {
	now := s.nowMs()
	return s.transition(ctx, "succeeded", id, `UPDATE generations SET status = 'succeeded', notice = $1, failures = 0, failing_since = 0,
		lease_owner = '', lease_until = 0, updated_at = $2, completed_at = $2
		WHERE id = $3 AND lease_owner = $4 AND status = 'saving'`, notice, now, id, holder)
}

// MarkFailed ends a job the holder works: any unfinished status → failed, with the error.
func (s *Store) MarkFailed(ctx context.Context, id, holder, code, message string) error {
	now := s.nowMs()
	return s.transition(ctx, "failed", id, `UPDATE generations SET status = 'failed', error_code = $1, error_message = $2,
		queue_position = NULL, lease_owner = '', lease_until = 0, updated_at = $3, completed_at = $3
		WHERE id = $4 AND lease_owner = $5 AND status IN `+activeSQL, code, message, now, id, holder)
}

// MarkCanceled ends a job fal stopped after a cancel request: queued/running → canceled.
func (s *Store) MarkCanceled(ctx context.Context, id, holder string) error {
	now := s.nowMs()
	return s.transition(ctx, "canceled", id, `UPDATE generations SET status = 'canceled', queue_position = NULL,
		lease_owner = '', lease_until = 0, updated_at = $1, completed_at = $1
		WHERE id = $2 AND lease_owner = $3 AND status IN ('queued', 'running')`, now, id, holder)
}

// CancelQueued ends a user's job that fal removed from its queue (it never ran): queued/running
// → canceled, whoever holds it — a worker still polling it then finds its guard unmet.
func (s *Store) CancelQueued(ctx context.Context, userID int64, id string) error {
	now := s.nowMs()
	return s.transition(ctx, "cancel", id, `UPDATE generations SET status = 'canceled', cancel_requested = 1, queue_position = NULL,
		lease_owner = '', lease_until = 0, updated_at = $1, completed_at = $1
		WHERE id = $2 AND user_id = $3 AND status IN ('queued', 'running')`, now, id, userID)
}

// RequestCancel notes that fal was asked to stop a running job; the runner follows it to its end.
func (s *Store) RequestCancel(ctx context.Context, userID int64, id string) error {
	return s.transition(ctx, "request cancel", id, `UPDATE generations SET cancel_requested = 1, updated_at = $1
		WHERE id = $2 AND user_id = $3 AND status IN ('queued', 'running')`, s.nowMs(), id, userID)
}

// BackOff records a transient failure: the status stays, the next try waits until next, and the
// lease is released.
func (s *Store) BackOff(ctx context.Context, id, holder string, failures int, since, next time.Time) error {
	return s.transition(ctx, "back off", id, `UPDATE generations SET failures = $1, failing_since = $2, next_poll_at = $3,
		lease_owner = '', lease_until = 0, updated_at = $4
		WHERE id = $5 AND lease_owner = $6 AND status IN `+activeSQL, failures, since.UnixMilli(), next.UnixMilli(), s.nowMs(), id, holder)
}

// ReleaseLease gives a job back untouched (shutdown): another worker or the next start resumes it.
func (s *Store) ReleaseLease(ctx context.Context, id, holder string) error {
	return s.transition(ctx, "release", id, `UPDATE generations SET lease_owner = '', lease_until = 0
		WHERE id = $1 AND lease_owner = $2 AND status IN ('queued', 'running', 'saving')`, id, holder)
}

// RenewLease extends the holder's lease while it works (a long download or upload); ErrStale
// means the lease was lost and the work must stop.
func (s *Store) RenewLease(ctx context.Context, id, holder string, until time.Time) error {
	return s.transition(ctx, "renew lease", id, `UPDATE generations SET lease_until = $1
		WHERE id = $2 AND lease_owner = $3 AND status IN `+activeSQL, until.UnixMilli(), id, holder)
}

// A job caught mid-submit may have reached fal (and been billed), and fal has no idempotency
// key, so it is never sent again: it ends as failed, interrupted. Two rules, never mixed: at
// start-up, the submits this instance held before it restarted (no live request can hold them
// any more); while running, only submits whose lease expired — a live submit renews its lease
// while fal answers, so it is never taken for a dead one.

// FailOwnSubmits ends the submits a previous run of this same instance left (start-up only).
func (s *Store) FailOwnSubmits(ctx context.Context, self, message string) (int64, error) {
	return s.failSubmits(ctx, "fail own submits", `AND lease_owner = $4`, message, self)
}

// FailExpiredSubmits ends the submits whose submitter's lease expired (a dead replica's).
func (s *Store) FailExpiredSubmits(ctx context.Context, message string) (int64, error) {
	return s.failSubmits(ctx, "fail expired submits", `AND lease_until < $3`, message)
}

func (s *Store) failSubmits(ctx context.Context, name, cond, message string, extra ...any) (int64, error) {
	args := append([]any{model.CodeInterrupted, message, s.nowMs()}, extra...)
	res, err := s.w.ExecContext(ctx, `UPDATE generations SET status = 'failed', error_code = $1, error_message = $2,
		lease_owner = '', lease_until = 0, updated_at = $3, completed_at = $3
		WHERE status = 'submitting' `+cond, args...)
	if err != nil {
		return 0, fmt.Errorf("store: %s: %w", name, err)
	}
	return res.RowsAffected()
}

// ReleaseOwnLeases frees the leases a previous run of this same instance held (start-up): no
// other process has its id, so those jobs can resume at once instead of after expiry.
func (s *Store) ReleaseOwnLeases(ctx context.Context, self string) error {
	_, err := s.w.ExecContext(ctx, `UPDATE generations SET lease_until = 0, lease_owner = ''
		WHERE lease_owner = $1 AND status IN ('queued', 'running', 'saving')`, self)
	if err != nil {
		return fmt.Errorf("store: release own leases: %w", err)
	}
	return nil
}

// Claimed is a job leased to a worker, with the owner's sealed fal key (read in the same claim,
// so a poll needs no second read of the user).
type Claimed struct {
	*model.Generation
	SealedFalKey string
}

// ClaimDue leases up to limit due jobs that no live lease holds, fairly between people: a free
// worker goes to whoever holds the fewest. Each person's due jobs are ranked by due time and
// ordered by rank plus the workers that person already holds, then by due time, so a light
// user's job comes before a heavy user's older backlog (ordering by rank alone let two heavy
// accounts keep winning every freed slot); nobody gets more than perUser jobs leased at once.
// A crashed holder's leases simply expire, so its jobs are taken again. On PostgreSQL the rows
// are locked with SKIP LOCKED, so replicas claiming at once never take the same job.
func (s *Store) ClaimDue(ctx context.Context, holder string, limit, perUser int, lease time.Duration) ([]Claimed, error) {
	return s.ClaimShare(ctx, holder, limit, 0, perUser, lease)
}

// ClaimShare is ClaimDue for a runner of workers workers: nobody is given a worker once they
// hold their share, workers ÷ people with unfinished jobs (rounded down, at least 1, at most
// perUser), so however many people have a backlog of slow jobs another person's quick job
// waits at most for the first running job to end. workers 0 leaves the share at perUser.
func (s *Store) ClaimShare(ctx context.Context, holder string, limit, workers, perUser int, lease time.Duration) ([]Claimed, error) {
	if limit <= 0 {
		return nil, nil
	}
	if perUser <= 0 {
		perUser = limit
	}
	var out []Claimed
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		now := s.nowMs()
		if workers > 0 {
			var people int
			if err := tx.QueryRowContext(ctx, `SELECT count(DISTINCT user_id) FROM generations
				WHERE status IN ('submitting', 'queued', 'running', 'saving')`).Scan(&people); err != nil {
				return err
			}
			perUser = max(1, min(perUser, workers/max(people, 1)))
		}
		rows, err := tx.QueryContext(ctx, `WITH busy AS (
				SELECT user_id, count(*) AS n FROM generations
				WHERE status IN ('queued', 'running', 'saving') AND lease_until >= $1 GROUP BY user_id),
			due AS (
				SELECT id, user_id, next_poll_at,
					row_number() OVER (PARTITION BY user_id ORDER BY next_poll_at, id) AS rank
				FROM generations
				WHERE status IN ('queued', 'running', 'saving') AND next_poll_at <= $1 AND lease_until < $1)
			SELECT due.id FROM due LEFT JOIN busy ON busy.user_id = due.user_id
			WHERE due.rank + coalesce(busy.n, 0) <= $2
			ORDER BY due.rank + coalesce(busy.n, 0), due.next_poll_at, due.id LIMIT $3`, now, perUser, limit)
		if err != nil {
			return err
		}
		var ids []any
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		args := append([]any{holder, now + lease.Milliseconds(), now}, ids...)
		// The lock (SKIP LOCKED on PostgreSQL) and the lease test are repeated on the rows
		// themselves: another replica may have taken some since they were ranked.
		// The claimed step sees fal's state as of now, so an earlier wake-up is spent (woken = 0).
		res, err := tx.QueryContext(ctx, `UPDATE generations SET lease_owner = $1, lease_until = $2, woken = 0
			WHERE id IN (SELECT id FROM generations WHERE id IN (`+placeholders(4, len(ids))+`)
				AND lease_until < $3 AND status IN ('queued', 'running', 'saving')`+s.d.skipLocked+`)
			RETURNING `+genCols, args...)
		if err != nil {
			return err
		}
		defer res.Close()
		for res.Next() {
			g, err := scanGeneration(res)
			if err != nil {
				return err
			}
			out = append(out, Claimed{Generation: g})
		}
		if err := res.Err(); err != nil {
			return err
		}
		res.Close()
		return s.attachKeys(ctx, tx, out)
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim: %w", err)
	}
	return out, nil
}

// attachKeys reads the sealed fal keys of the claimed jobs' owners in one query.
func (s *Store) attachKeys(ctx context.Context, tx *sql.Tx, jobs []Claimed) error {
	if len(jobs) == 0 {
		return nil
	}
	seen := map[int64]bool{}
	var ids []any
	for _, j := range jobs {
		if !seen[j.UserID] {
			seen[j.UserID] = true
			ids = append(ids, j.UserID)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, fal_key FROM users WHERE id IN (`+placeholders(1, len(ids))+`)`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	keys := map[int64]string{}
	for rows.Next() {
		var id int64
		var k string
		if err := rows.Scan(&id, &k); err != nil {
			return err
		}
		keys[id] = k
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range jobs {
		jobs[i].SealedFalKey = keys[jobs[i].UserID]
	}
	return nil
}

// placeholders returns "$from, $from+1, …" for n arguments.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

// NextDue returns when the earliest active generation is due (zero time when none is active).
func (s *Store) NextDue(ctx context.Context) (time.Time, error) {
	var ms sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT min(`+s.d.greatest+`(next_poll_at, lease_until)) FROM generations WHERE status IN ('queued', 'running', 'saving')`).Scan(&ms)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: next due: %w", err)
	}
	if !ms.Valid {
		return time.Time{}, nil
	}
	return msToTime(ms.Int64), nil
}

// Output is one planned output file of a generation.
type Output struct {
	GenerationID string
	Index        int
	AssetID      string
	SourceURL    string
	StorageKey   string
	Storage      string
	Flagged      bool // fal flagged this output (has_nsfw_concepts)
}

// PlanOutputs records the output files of a generation once; asset ids are fixed here.
func (s *Store) PlanOutputs(ctx context.Context, outs []Output) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		for _, o := range outs {
			_, err := tx.ExecContext(ctx, `INSERT INTO outputs (generation_id, idx, asset_id, source_url, updated_at, flagged)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (generation_id, idx) DO NOTHING`, o.GenerationID, o.Index, o.AssetID, o.SourceURL, s.nowMs(), o.Flagged)
			if err != nil {
				return fmt.Errorf("store: plan outputs: %w", err)
			}
		}
		return nil
	})
}

// Outputs lists a generation's planned outputs in order.
func (s *Store) Outputs(ctx context.Context, generationID string) ([]Output, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT generation_id, idx, asset_id, source_url, storage_key, storage, flagged FROM outputs WHERE generation_id = $1 ORDER BY idx`, generationID)
	if err != nil {
		return nil, fmt.Errorf("store: outputs: %w", err)
	}
	defer rows.Close()
	var out []Output
	for rows.Next() {
		var o Output
		if err := rows.Scan(&o.GenerationID, &o.Index, &o.AssetID, &o.SourceURL, &o.StorageKey, &o.Storage, &o.Flagged); err != nil {
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

// GenerationsByID returns those of ids that are the user's generations (others are left out),
// in one query: a reconnecting event stream reads every changed job at once.
func (s *Store) GenerationsByID(ctx context.Context, userID int64, ids []string) ([]*model.Generation, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := []any{userID}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+genCols+` FROM generations WHERE user_id = $1 AND id IN (`+placeholders(2, len(ids))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: generations by id: %w", err)
	}
	defer rows.Close()
	var out []*model.Generation
	for rows.Next() {
		g, err := scanGeneration(rows)
		if err != nil {
			return nil, fmt.Errorf("store: generations by id: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}
