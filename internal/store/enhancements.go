package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Enhancement statuses.
const (
	EnhancePending = "pending" // sent to fal; its reserve counts as spent until fal answers
	EnhanceDone    = "done"    // fal answered; cost_usd is fal's usage.cost (NULL: none sent)
)

// BeginEnhance records a prompt enhancement about to be sent to fal, holding reserveUSD of the
// person's budget: in one transaction with the guard (the person's row locked first, as a
// submit does), so two enhances at once cannot both take the last cents.
func (s *Store) BeginEnhance(ctx context.Context, id string, userID int64, modelID string, reserveUSD float64, guard *BudgetGuard) error {
	now := s.nowMs()
	return s.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET updated_at = updated_at WHERE id = $1`, userID)
		if err != nil {
			return fmt.Errorf("store: lock user: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, ErrNotFound)
		}
		if guard != nil {
			sp, err := scanSpend(tx.QueryRowContext(ctx, spendQuery, userID, guard.MonthStart.UnixMilli(), guard.MonthEnd.UnixMilli()))
			if err != nil {
				return fmt.Errorf("store: spend: %w", err)
			}
			if err := guard.Allow(sp); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO enhancements (id, user_id, model, status, cost_usd, created_at, completed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)`, id, userID, modelID, EnhancePending, reserveUSD, now)
		if err != nil {
			return fmt.Errorf("store: begin enhance: %w", err)
		}
		return nil
	})
}

// FinishEnhance records fal's cost of an enhancement (nil: fal sent none) and when it finished.
func (s *Store) FinishEnhance(ctx context.Context, id string, costUSD *float64) error {
	var c sql.NullFloat64
	if costUSD != nil {
		c = sql.NullFloat64{Float64: *costUSD, Valid: true}
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE enhancements SET status = $1, cost_usd = $2, completed_at = $3 WHERE id = $4`,
		EnhanceDone, c, s.nowMs(), id); err != nil {
		return fmt.Errorf("store: finish enhance: %w", err)
	}
	return nil
}

// DropEnhance forgets an enhancement fal refused before running it (nothing was spent).
func (s *Store) DropEnhance(ctx context.Context, id string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM enhancements WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: drop enhance: %w", err)
	}
	return nil
}
