package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

const sharedCols = `id, user_id, kind, content_type, bytes, width, height, name, text, storage, storage_key, created_at, expires_at`

func scanShared(row interface{ Scan(...any) error }) (*model.SharedUpload, error) {
	var u model.SharedUpload
	var w, h sql.NullInt64
	var name, text sql.NullString
	var created, expires int64
	if err := row.Scan(&u.ID, &u.UserID, &u.Kind, &u.ContentType, &u.Bytes, &w, &h, &name, &text, &u.Storage, &u.StorageKey, &created, &expires); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if w.Valid && h.Valid {
		wi, hi := int(w.Int64), int(h.Int64)
		u.Width, u.Height = &wi, &hi
	}
	if name.Valid {
		u.Name = &name.String
	}
	if text.Valid {
		u.Text = &text.String
	}
	u.CreatedAt, u.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
	return &u, nil
}

func insertShared(ctx context.Context, tx *sql.Tx, u *model.SharedUpload) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO shared_uploads (`+sharedCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		u.ID, u.UserID, u.Kind, u.ContentType, u.Bytes, u.Width, u.Height, u.Name, u.Text, u.Storage, u.StorageKey,
		u.CreatedAt.UnixMilli(), u.ExpiresAt.UnixMilli())
	return err
}

// InsertSharedUploads stores a person's shared uploads, all or none.
func (s *Store) InsertSharedUploads(ctx context.Context, ups []*model.SharedUpload) error {
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		for _, u := range ups {
			if err := insertShared(ctx, tx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: insert shared uploads: %w", err)
	}
	return nil
}

// SharedUploads lists a person's unexpired shared uploads, newest first.
func (s *Store) SharedUploads(ctx context.Context, userID int64, now time.Time) ([]*model.SharedUpload, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sharedCols+` FROM shared_uploads WHERE user_id = $1 AND expires_at > $2
		ORDER BY created_at DESC, id DESC LIMIT 200`, userID, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: shared uploads: %w", err)
	}
	defer rows.Close()
	var out []*model.SharedUpload
	for rows.Next() {
		u, err := scanShared(rows)
		if err != nil {
			return nil, fmt.Errorf("store: shared uploads: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: shared uploads: %w", err)
	}
	return out, nil
}

// SharedUpload is one of a person's unexpired shared uploads; another person's is ErrNotFound.
func (s *Store) SharedUpload(ctx context.Context, userID int64, id string, now time.Time) (*model.SharedUpload, error) {
	u, err := scanShared(s.r.QueryRowContext(ctx, `SELECT `+sharedCols+` FROM shared_uploads WHERE id = $1 AND user_id = $2 AND expires_at > $3`,
		id, userID, now.UnixMilli()))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: shared upload: %w", err)
	}
	return u, err
}

// DeleteSharedUpload removes a person's shared upload row and returns it (for its object).
func (s *Store) DeleteSharedUpload(ctx context.Context, userID int64, id string) (*model.SharedUpload, error) {
	u, err := scanShared(s.w.QueryRowContext(ctx, `DELETE FROM shared_uploads WHERE id = $1 AND user_id = $2 RETURNING `+sharedCols, id, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: delete shared upload: %w", err)
	}
	return u, err
}

// ExpiredSharedUploads removes up to limit shared uploads expired before now and returns them.
func (s *Store) ExpiredSharedUploads(ctx context.Context, now time.Time, limit int) ([]*model.SharedUpload, error) {
	rows, err := s.w.QueryContext(ctx, `DELETE FROM shared_uploads WHERE id IN (
		SELECT id FROM shared_uploads WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2) RETURNING `+sharedCols, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: expired shared uploads: %w", err)
	}
	defer rows.Close()
	var out []*model.SharedUpload
	for rows.Next() {
		u, err := scanShared(rows)
		if err != nil {
			return nil, fmt.Errorf("store: expired shared uploads: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// ShareStash is an anonymous share waiting for its person to sign in.
type ShareStash struct {
	Files     string // JSON, the stashed objects
	Text      *string
	ExpiresAt time.Time
}

// PutShareStash stores a stash under tokenHash, first removing the one under replaceHash (the
// same browser's earlier share), which it returns so its objects can be removed.
func (s *Store) PutShareStash(ctx context.Context, tokenHash, replaceHash []byte, st ShareStash) (replaced *ShareStash, err error) {
	err = s.InTx(ctx, func(tx *sql.Tx) error {
		if replaceHash != nil {
			old, err := takeStash(ctx, tx, replaceHash)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			replaced = old
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO share_stashes (token_hash, files, text, expires_at) VALUES ($1, $2, $3, $4)`,
			tokenHash, st.Files, st.Text, st.ExpiresAt.UnixMilli())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: put share stash: %w", err)
	}
	return replaced, nil
}

func takeStash(ctx context.Context, tx *sql.Tx, tokenHash []byte) (*ShareStash, error) {
	var st ShareStash
	var text sql.NullString
	var exp int64
	err := tx.QueryRowContext(ctx, `DELETE FROM share_stashes WHERE token_hash = $1 RETURNING files, text, expires_at`, tokenHash).Scan(&st.Files, &text, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if text.Valid {
		st.Text = &text.String
	}
	st.ExpiresAt = time.UnixMilli(exp).UTC()
	return &st, nil
}

// TakeShareStash uses up the stash under tokenHash (removed whether or not it has expired:
// the caller checks ExpiresAt), so a stash is claimed at most once.
func (s *Store) TakeShareStash(ctx context.Context, tokenHash []byte) (*ShareStash, error) {
	var st *ShareStash
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		st, err = takeStash(ctx, tx, tokenHash)
		return err
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: take share stash: %w", err)
	}
	return st, err
}

// ExpiredShareStashes removes up to limit stashes expired before now and returns them.
func (s *Store) ExpiredShareStashes(ctx context.Context, now time.Time, limit int) ([]*ShareStash, error) {
	rows, err := s.w.QueryContext(ctx, `DELETE FROM share_stashes WHERE token_hash IN (
		SELECT token_hash FROM share_stashes WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2) RETURNING files, text, expires_at`, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: expired share stashes: %w", err)
	}
	defer rows.Close()
	var out []*ShareStash
	for rows.Next() {
		var st ShareStash
		var text sql.NullString
		var exp int64
		if err := rows.Scan(&st.Files, &text, &exp); err != nil {
			return nil, fmt.Errorf("store: expired share stashes: %w", err)
		}
		st.ExpiresAt = time.UnixMilli(exp).UTC()
		out = append(out, &st)
	}
	return out, rows.Err()
}
