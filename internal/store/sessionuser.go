package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/falstudio/falstudio/internal/model"
)

// sessionUserCols are the session's columns then the user's (userCols, prefixed), so one read
// answers every authenticated request.
var sessionUserCols = `s.id, s.user_id, s.secret_hash, s.created_at, s.last_seen_at, s.expires_at, u.` +
	strings.ReplaceAll(strings.Join(strings.Fields(userCols), " "), ", ", ", u.")

// SessionWithUser returns a session and its user in one query (the hot path of every request).
func (s *Store) SessionWithUser(ctx context.Context, id string) (*model.Session, *model.User, error) {
	var ss model.Session
	var created, seen, exp int64
	row := s.queryRow(ctx, `SELECT `+sessionUserCols+` FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`, id)
	u, err := scanUser(prefixedRow{row: row, first: []any{&ss.ID, &ss.UserID, &ss.SecretHash, &created, &seen, &exp}})
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, ErrNotFound) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: session: %w", err)
	}
	ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = msToTime(created), msToTime(seen), msToTime(exp)
	return &ss, u, nil
}

// prefixedRow scans its first columns into fixed destinations and the rest into the caller's,
// so scanUser reads the user's part of a joined row unchanged.
type prefixedRow struct {
	row   *sql.Row
	first []any
}

func (p prefixedRow) Scan(dst ...any) error { return p.row.Scan(append(p.first, dst...)...) }
