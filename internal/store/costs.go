package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Spend is a person's budgets and what this month has cost them.
type Spend struct {
	AdminBudgetUSD *float64 // users.monthly_budget_usd, set by an admin
	SelfBudgetUSD  *float64 // users.self_budget_usd, set by the person
	SpentUSD       float64  // generations that succeeded this month
	ReservedUSD    float64  // estimates of unfinished generations
}

// activeStatuses are the unfinished generations whose estimates hold part of a budget.
const activeStatuses = `('submitting', 'queued', 'running', 'saving')`

// spent is the condition of a generation whose estimate counts as spent: it succeeded, or it
// was interrupted mid-submit — the studio stopped after sending it, so fal may have run and
// billed it; counting it $0 would let each crash hand out budget. Other failed and canceled
// generations cost nothing, whatever their estimate said.
const spent = `(g.status = 'succeeded' OR (g.status = 'failed' AND g.error_code = 'interrupted'))`

// enhanceSpent sums the person's prompt enhancements (SPEC §14) in the month [$a, $b): an
// enhance is spend without being a generation. A pending one counts its reserve.
func enhanceSpent(a, b string) string {
	return `(SELECT coalesce(sum(e.cost_usd), 0) FROM enhancements e
		WHERE e.user_id = u.id AND e.completed_at >= ` + a + ` AND e.completed_at < ` + b + `)`
}

// spendQuery reads one user's Spend: what is spent with completed_at in the month (generations
// and prompt enhancements), and the estimates of unfinished generations.
var spendQuery = `SELECT u.monthly_budget_usd, u.self_budget_usd,
	(SELECT coalesce(sum(g.cost_usd), 0) FROM generations g
		WHERE g.user_id = u.id AND ` + spent + ` AND g.completed_at >= $2 AND g.completed_at < $3) + ` + enhanceSpent("$2", "$3") + `,
	(SELECT coalesce(sum(g.cost_usd), 0) FROM generations g
		WHERE g.user_id = u.id AND g.status IN ` + activeStatuses + `)
	FROM users u WHERE u.id = $1`

func scanSpend(row interface{ Scan(...any) error }) (Spend, error) {
	var sp Spend
	var admin, self sql.NullFloat64
	if err := row.Scan(&admin, &self, &sp.SpentUSD, &sp.ReservedUSD); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Spend{}, ErrNotFound
		}
		return Spend{}, err
	}
	if admin.Valid {
		sp.AdminBudgetUSD = &admin.Float64
	}
	if self.Valid {
		sp.SelfBudgetUSD = &self.Float64
	}
	return sp, nil
}

// Spend returns a user's budgets and spending for the month [monthStart, monthEnd).
func (s *Store) Spend(ctx context.Context, userID int64, monthStart, monthEnd time.Time) (Spend, error) {
	sp, err := scanSpend(s.r.QueryRowContext(ctx, spendQuery, userID, monthStart.UnixMilli(), monthEnd.UnixMilli()))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Spend{}, fmt.Errorf("store: spend: %w", err)
	}
	return sp, err
}

// SpendByUser returns every user's Spend for the month (the admin's list of users).
func (s *Store) SpendByUser(ctx context.Context, monthStart, monthEnd time.Time) (map[int64]Spend, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT u.id, u.monthly_budget_usd, u.self_budget_usd,
		coalesce(sum(CASE WHEN `+spent+` AND g.completed_at >= $1 AND g.completed_at < $2 THEN g.cost_usd END), 0) + `+enhanceSpent("$1", "$2")+`,
		coalesce(sum(CASE WHEN g.status IN `+activeStatuses+` THEN g.cost_usd END), 0)
		FROM users u LEFT JOIN generations g ON g.user_id = u.id
		GROUP BY u.id, u.monthly_budget_usd, u.self_budget_usd`, monthStart.UnixMilli(), monthEnd.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: spend by user: %w", err)
	}
	defer rows.Close()
	out := map[int64]Spend{}
	for rows.Next() {
		var id int64
		var admin, self sql.NullFloat64
		var sp Spend
		if err := rows.Scan(&id, &admin, &self, &sp.SpentUSD, &sp.ReservedUSD); err != nil {
			return nil, fmt.Errorf("store: spend by user: %w", err)
		}
		if admin.Valid {
			sp.AdminBudgetUSD = &admin.Float64
		}
		if self.Valid {
			sp.SelfBudgetUSD = &self.Float64
		}
		out[id] = sp
	}
	return out, rows.Err()
}

// SetMonthlyBudget sets the budget an admin gives a user (nil: none).
func (s *Store) SetMonthlyBudget(ctx context.Context, userID int64, usd *float64) error {
	return s.setBudget(ctx, `UPDATE users SET monthly_budget_usd = $1, updated_at = $2 WHERE id = $3`, userID, usd)
}

// SetSelfBudget sets the budget a user gives themselves (nil: none).
func (s *Store) SetSelfBudget(ctx context.Context, userID int64, usd *float64) error {
	return s.setBudget(ctx, `UPDATE users SET self_budget_usd = $1, updated_at = $2 WHERE id = $3`, userID, usd)
}

func (s *Store) setBudget(ctx context.Context, q string, userID int64, usd *float64) error {
	var v sql.NullFloat64
	if usd != nil {
		v = sql.NullFloat64{Float64: *usd, Valid: true}
	}
	res, err := s.w.ExecContext(ctx, q, v, s.nowMs(), userID)
	if err != nil {
		return fmt.Errorf("store: set budget: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// UsageQuery selects succeeded generations completed in [From, To), of one user (UserID > 0)
// or of everyone, grouped by "day", "model" or "user".
type UsageQuery struct {
	UserID   int64
	From, To time.Time
	GroupBy  string
}

// UsageRow is one group. Key is the day number since the epoch (UTC) for "day", the model id
// for "model" and the email for "user".
type UsageRow struct {
	Key      string
	Name     string // groupBy "token": the token's name ("web" for the browser)
	UserID   int64
	USD      float64
	Count    int64
	Unpriced int64
}

// Usage sums recorded costs by group.
func (s *Store) Usage(ctx context.Context, q UsageQuery) ([]UsageRow, error) {
	// Fixed fragments only: the grouping never reaches the SQL as text from a request.
	var key, group string
	name, join := `''`, ``
	switch q.GroupBy {
	case "token": // the browser's generations fall under "web"; a token's under its current name
		key, group = `coalesce(g.token_id, 'web'), 0`, `coalesce(g.token_id, 'web')`
		name = `coalesce(max(t.name), max(g.token_name), 'web')`
		join = ` LEFT JOIN access_tokens t ON t.id = g.token_id`
	case "day":
		key, group = `CAST(g.completed_at / 86400000 AS TEXT), 0`, `g.completed_at / 86400000`
	case "model":
		key, group = `g.model, 0`, `g.model`
	case "user":
		key, group = `u.email, u.id`, `u.email, u.id`
	default:
		return nil, fmt.Errorf("store: usage: unknown grouping %q", q.GroupBy)
	}
	// Prompt enhancements count as items of their own (SPEC §14), under their model's id.
	// An enhancement has no token: it counts under "web" when grouped by token.
	from := `(SELECT g.user_id, g.model, g.cost_usd, g.completed_at, g.token_id, g.token_name FROM generations g WHERE ` + spent + `
		UNION ALL SELECT e.user_id, e.model, e.cost_usd, e.completed_at, NULL, NULL FROM enhancements e) g`
	where := `g.completed_at >= $1 AND g.completed_at < $2`
	args := []any{q.From.UnixMilli(), q.To.UnixMilli()}
	if q.UserID > 0 {
		where += ` AND g.user_id = $3`
		args = append(args, q.UserID)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+key+`, coalesce(sum(g.cost_usd), 0), count(*),
		CAST(coalesce(sum(CASE WHEN g.cost_usd IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT), `+name+`
		FROM `+from+` JOIN users u ON u.id = g.user_id`+join+`
		WHERE `+where+` GROUP BY `+group, args...)
	if err != nil {
		return nil, fmt.Errorf("store: usage: %w", err)
	}
	defer rows.Close()
	var out []UsageRow
	for rows.Next() {
		var r UsageRow
		if err := rows.Scan(&r.Key, &r.UserID, &r.USD, &r.Count, &r.Unpriced, &r.Name); err != nil {
			return nil, fmt.Errorf("store: usage: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
