package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Preferences are a person's choices about their files (SPEC §13.3).
type Preferences struct {
	EmbedPrompt bool // the prompt goes into served files' XMP
}

// Preferences reads a user's preferences; a missing user is ErrNotFound.
func (s *Store) Preferences(ctx context.Context, userID int64) (Preferences, error) {
	var embed int64
	err := s.r.QueryRowContext(ctx, `SELECT embed_prompt FROM users WHERE id = $1`, userID).Scan(&embed)
	if errors.Is(err, sql.ErrNoRows) {
		return Preferences{}, ErrNotFound
	}
	if err != nil {
		return Preferences{}, fmt.Errorf("store: preferences: %w", err)
	}
	return Preferences{EmbedPrompt: embed != 0}, nil
}

// SetEmbedPrompt records whether the prompt goes into a user's served files.
func (s *Store) SetEmbedPrompt(ctx context.Context, userID int64, embed bool) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET embed_prompt = $1 WHERE id = $2`, boolInt(embed), userID)
	if err != nil {
		return fmt.Errorf("store: set embed prompt: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return cmpErr(err, ErrNotFound)
	}
	return nil
}
