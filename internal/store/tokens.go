package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

// ErrTooMany is returned by InsertAccessToken when the person already holds the most tokens.
var ErrTooMany = errors.New("store: too many")

const tokenCols = `t.id, t.user_id, t.name, t.secret_hash, t.prefix, t.scopes, t.models_json, t.monthly_cap_usd,
	t.created_at, t.expires_at, t.last_used_at, t.revoked_at`

func scanToken(dst []any, row interface{ Scan(...any) error }) (*model.AccessToken, error) {
	var t model.AccessToken
	var scopes string
	var models sql.NullString
	var capUSD sql.NullFloat64
	var created int64
	var expires, used, revoked sql.NullInt64
	err := row.Scan(append([]any{&t.ID, &t.UserID, &t.Name, &t.SecretHash, &t.Prefix, &scopes, &models, &capUSD,
		&created, &expires, &used, &revoked}, dst...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if scopes != "" {
		t.Scopes = strings.Split(scopes, " ")
	}
	if models.Valid {
		if err := json.Unmarshal([]byte(models.String), &t.Models); err != nil {
			return nil, fmt.Errorf("token models: %w", err)
		}
	}
	if capUSD.Valid {
		t.MonthlyCapUSD = &capUSD.Float64
	}
	t.CreatedAt = msToTime(created)
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = nullMsToTime(expires), nullMsToTime(used), nullMsToTime(revoked)
	return &t, nil
}

// InsertAccessToken stores a new token unless its person already holds max unrevoked ones
// (ErrTooMany). The person's row is written first, so two creations at once count each other.
func (s *Store) InsertAccessToken(ctx context.Context, t *model.AccessToken, max int) error {
	var models sql.NullString
	if t.Models != nil {
		b, err := json.Marshal(t.Models)
		if err != nil {
			return fmt.Errorf("store: token models: %w", err)
		}
		models = sql.NullString{String: string(b), Valid: true}
	}
	var capUSD sql.NullFloat64
	if t.MonthlyCapUSD != nil {
		capUSD = sql.NullFloat64{Float64: *t.MonthlyCapUSD, Valid: true}
	}
	var expires sql.NullInt64
	if t.ExpiresAt != nil {
		expires = sql.NullInt64{Int64: t.ExpiresAt.UnixMilli(), Valid: true}
	}
	now := s.nowMs()
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET updated_at = updated_at WHERE id = $1`, t.UserID)
		if err != nil {
			return fmt.Errorf("store: lock user: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, ErrNotFound)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM access_tokens WHERE user_id = $1 AND revoked_at IS NULL`, t.UserID).Scan(&n); err != nil {
			return fmt.Errorf("store: count tokens: %w", err)
		}
		if n >= max {
			return ErrTooMany
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO access_tokens (id, user_id, name, secret_hash, prefix, scopes, models_json, monthly_cap_usd, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			t.ID, t.UserID, t.Name, t.SecretHash, t.Prefix, strings.Join(t.Scopes, " "), models, capUSD, now, expires)
		if err != nil {
			return fmt.Errorf("store: insert token: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	t.CreatedAt = msToTime(now)
	return nil
}

// AccessTokens lists a person's unrevoked tokens, newest first.
func (s *Store) AccessTokens(ctx context.Context, userID int64) ([]*model.AccessToken, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenCols+` FROM access_tokens t
		WHERE t.user_id = $1 AND t.revoked_at IS NULL ORDER BY t.created_at DESC, t.id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	defer rows.Close()
	var out []*model.AccessToken
	for rows.Next() {
		t, err := scanToken(nil, rows)
		if err != nil {
			return nil, fmt.Errorf("store: tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TokenSpent sums, per token of the person, what its generations that ended in [from, to)
// cost (the rule of the monthly budget: store.spent).
func (s *Store) TokenSpent(ctx context.Context, userID int64, from, to time.Time) (map[string]float64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT g.token_id, coalesce(sum(g.cost_usd), 0) FROM generations g
		WHERE g.user_id = $1 AND g.token_id IS NOT NULL AND `+spent+` AND g.completed_at >= $2 AND g.completed_at < $3
		GROUP BY g.token_id`, userID, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: token spend: %w", err)
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var id string
		var usd float64
		if err := rows.Scan(&id, &usd); err != nil {
			return nil, fmt.Errorf("store: token spend: %w", err)
		}
		out[id] = usd
	}
	return out, rows.Err()
}

// RevokeAccessToken revokes one of the person's tokens and returns it; another person's, a
// missing or an already revoked one is ErrNotFound.
func (s *Store) RevokeAccessToken(ctx context.Context, userID int64, id string) (*model.AccessToken, error) {
	t, err := scanToken(nil, s.w.QueryRowContext(ctx, `UPDATE access_tokens SET revoked_at = $1
		WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL RETURNING `+strings.ReplaceAll(tokenCols, "t.", ""), s.nowMs(), id, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: revoke token: %w", err)
	}
	return t, err
}

// AccessTokenBySecretHash returns the token whose secret hashes to hash, revoked or not, with
// its person. Read from the database on every request, so a revocation or a disabled account
// holds at once on every replica.
func (s *Store) AccessTokenBySecretHash(ctx context.Context, hash []byte) (*model.AccessToken, *model.User, error) {
	var u model.User
	var created int64
	var disabled sql.NullInt64
	var policy sql.NullString
	// The whole user, policy_id included: a token acts under its owner's policy (SPEC §12.2).
	row := s.queryRow(ctx, `SELECT `+tokenCols+`, u.id, u.email, u.password_hash, u.fal_key, u.created_at, u.role, u.disabled_at, u.policy_id
		FROM access_tokens t JOIN users u ON u.id = t.user_id WHERE t.secret_hash = $1`, hash)
	t, err := scanToken([]any{&u.ID, &u.Email, &u.PasswordHash, &u.FalKey, &created, &u.Role, &disabled, &policy}, row)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, nil, ErrNotFound
		}
		return nil, nil, fmt.Errorf("store: token: %w", err)
	}
	u.CreatedAt, u.DisabledAt, u.PolicyID = msToTime(created), nullMsToTime(disabled), policy.String
	return t, &u, nil
}

// TouchAccessToken records a use: the first at once, later ones when the last recorded use is
// over a minute old (so a busy token writes at most once a minute).
func (s *Store) TouchAccessToken(ctx context.Context, id string, at time.Time) error {
	ms := at.UnixMilli()
	_, err := s.w.ExecContext(ctx, `UPDATE access_tokens SET last_used_at = $1
		WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)`, ms, id, ms-time.Minute.Milliseconds())
	if err != nil {
		return fmt.Errorf("store: touch token: %w", err)
	}
	return nil
}
