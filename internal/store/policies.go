package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/falstudio/falstudio/internal/model"
)

// ErrPolicyInUse refuses deleting a policy that an account has.
var ErrPolicyInUse = errors.New("store: policy in use")

const policyCols = `p.id, p.name, p.forced_params, p.allowed_models, p.blocked_terms, p.hide_flagged, p.created_at, p.updated_at,
	(SELECT count(*) FROM users u WHERE u.policy_id = p.id)`

func scanPolicy(row interface{ Scan(...any) error }) (*model.Policy, error) {
	var p model.Policy
	var forced, terms string
	var allowed sql.NullString
	var created, updated int64
	if err := row.Scan(&p.ID, &p.Name, &forced, &allowed, &terms, &p.HideFlagged, &created, &updated, &p.UserCount); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if err := json.Unmarshal([]byte(forced), &p.ForcedParams); err != nil {
		return nil, fmt.Errorf("store: policy forced params: %w", err)
	}
	if allowed.Valid {
		if err := json.Unmarshal([]byte(allowed.String), &p.AllowedModels); err != nil {
			return nil, fmt.Errorf("store: policy models: %w", err)
		}
	}
	if err := json.Unmarshal([]byte(terms), &p.BlockedTerms); err != nil {
		return nil, fmt.Errorf("store: policy terms: %w", err)
	}
	if p.ForcedParams == nil {
		p.ForcedParams = map[string]any{}
	}
	if p.BlockedTerms == nil {
		p.BlockedTerms = []string{}
	}
	p.CreatedAt, p.UpdatedAt = msToTime(created), msToTime(updated)
	return &p, nil
}

// Policies lists every policy by name.
func (s *Store) Policies(ctx context.Context) ([]*model.Policy, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+policyCols+` FROM policies p ORDER BY p.name_key, p.id`)
	if err != nil {
		return nil, fmt.Errorf("store: policies: %w", err)
	}
	defer rows.Close()
	out := []*model.Policy{}
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, fmt.Errorf("store: policies: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PolicyByID returns one policy.
func (s *Store) PolicyByID(ctx context.Context, id string) (*model.Policy, error) {
	p, err := scanPolicy(s.r.QueryRowContext(ctx, `SELECT `+policyCols+` FROM policies p WHERE p.id = $1`, id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: policy: %w", err)
	}
	return p, err
}

func policyValues(p *model.Policy) (forced string, allowed any, terms string, err error) {
	f, err := json.Marshal(p.ForcedParams)
	if err != nil {
		return "", nil, "", fmt.Errorf("store: policy: %w", err)
	}
	if p.AllowedModels != nil {
		a, err := json.Marshal(p.AllowedModels)
		if err != nil {
			return "", nil, "", fmt.Errorf("store: policy: %w", err)
		}
		allowed = string(a)
	}
	t, err := json.Marshal(p.BlockedTerms)
	if err != nil {
		return "", nil, "", fmt.Errorf("store: policy: %w", err)
	}
	return string(f), allowed, string(t), nil
}

// InsertPolicy stores a new policy (its ID set by the caller); ErrConflict when the name is taken
// whatever the case.
func (s *Store) InsertPolicy(ctx context.Context, p *model.Policy) error {
	forced, allowed, terms, err := policyValues(p)
	if err != nil {
		return err
	}
	now := s.nowMs()
	_, err = s.w.ExecContext(ctx, `INSERT INTO policies (id, name, name_key, forced_params, allowed_models, blocked_terms, hide_flagged, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, p.ID, p.Name, strings.ToLower(p.Name), forced, allowed, terms, p.HideFlagged, now)
	if isUnique(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("store: insert policy: %w", err)
	}
	p.CreatedAt, p.UpdatedAt = msToTime(now), msToTime(now)
	return nil
}

// UpdatePolicy replaces a policy's fields; ErrNotFound, ErrConflict (name taken).
func (s *Store) UpdatePolicy(ctx context.Context, p *model.Policy) error {
	forced, allowed, terms, err := policyValues(p)
	if err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE policies SET name = $1, name_key = $2, forced_params = $3, allowed_models = $4, blocked_terms = $5,
		hide_flagged = $6, updated_at = $7 WHERE id = $8`, p.Name, strings.ToLower(p.Name), forced, allowed, terms, p.HideFlagged, s.nowMs(), p.ID)
	if isUnique(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("store: update policy: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeletePolicy deletes a policy no account has (ErrPolicyInUse otherwise).
func (s *Store) DeletePolicy(ctx context.Context, id string) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE policy_id = $1`, id).Scan(&n); err != nil {
			return fmt.Errorf("store: delete policy: %w", err)
		}
		if n > 0 {
			return ErrPolicyInUse
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM policies WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("store: delete policy: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// SetUserPolicy assigns a policy ("" for none); ErrNotFound for an unknown user or policy.
func (s *Store) SetUserPolicy(ctx context.Context, userID int64, policyID string) error {
	var pid any
	if policyID != "" {
		pid = policyID
	}
	return s.InTx(ctx, func(tx *sql.Tx) error {
		if policyID != "" {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM policies WHERE id = $1`, policyID).Scan(&one); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return ErrNotFound
				}
				return fmt.Errorf("store: set user policy: %w", err)
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE users SET policy_id = $1, updated_at = $2 WHERE id = $3`, pid, s.nowMs(), userID)
		if err != nil {
			return fmt.Errorf("store: set user policy: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}
