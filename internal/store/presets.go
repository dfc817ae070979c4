package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/falstudio/falstudio/internal/model"
)

const presetCols = `id, user_id, name, model, params_json, created_at, updated_at`

func scanPreset(row interface{ Scan(...any) error }) (*model.Preset, error) {
	var p model.Preset
	var params string
	var created, updated int64
	err := row.Scan(&p.ID, &p.UserID, &p.Name, &p.Model, &params, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	p.Params = []byte(params)
	p.CreatedAt, p.UpdatedAt = msToTime(created), msToTime(updated)
	return &p, nil
}

// InsertPreset stores a new preset; a name the user already has answers ErrConflict.
func (s *Store) InsertPreset(ctx context.Context, p *model.Preset) error {
	now := s.nowMs()
	_, err := s.w.ExecContext(ctx, `INSERT INTO presets (id, user_id, name, name_key, model, params_json, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, p.ID, p.UserID, p.Name, nameKey(p.Name), p.Model, string(p.Params), now)
	if isUnique(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("store: insert preset: %w", err)
	}
	p.CreatedAt, p.UpdatedAt = msToTime(now), msToTime(now)
	return nil
}

// Presets lists the user's presets by name.
func (s *Store) Presets(ctx context.Context, userID int64) ([]*model.Preset, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+presetCols+` FROM presets WHERE user_id = $1 ORDER BY name_key, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: presets: %w", err)
	}
	defer rows.Close()
	var out []*model.Preset
	for rows.Next() {
		p, err := scanPreset(rows)
		if err != nil {
			return nil, fmt.Errorf("store: presets: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: presets: %w", err)
	}
	return out, nil
}

// CountPresets counts the user's presets.
func (s *Store) CountPresets(ctx context.Context, userID int64) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM presets WHERE user_id = $1`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count presets: %w", err)
	}
	return n, nil
}

// Preset returns one of the user's presets; another user's answers ErrNotFound.
func (s *Store) Preset(ctx context.Context, userID int64, id string) (*model.Preset, error) {
	p, err := scanPreset(s.r.QueryRowContext(ctx, `SELECT `+presetCols+` FROM presets WHERE id = $1 AND user_id = $2`, id, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: preset: %w", err)
	}
	return p, err
}

// UpdatePreset saves the name, model and params of one of the user's presets.
func (s *Store) UpdatePreset(ctx context.Context, p *model.Preset) error {
	now := s.nowMs()
	res, err := s.w.ExecContext(ctx, `UPDATE presets SET name = $1, name_key = $2, model = $3, params_json = $4, updated_at = $5
		WHERE id = $6 AND user_id = $7`, p.Name, nameKey(p.Name), p.Model, string(p.Params), now, p.ID, p.UserID)
	if isUnique(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("store: update preset: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: update preset: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	p.UpdatedAt = msToTime(now)
	return nil
}

// DeletePreset removes one of the user's presets.
func (s *Store) DeletePreset(ctx context.Context, userID int64, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM presets WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("store: delete preset: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: delete preset: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
