package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/falstudio/falstudio/internal/model"
)

const castCols = `c.id, c.user_id, u.email, c.name, c.kind, c.description, c.shared, c.created_at, c.updated_at`

func scanCast(row interface{ Scan(...any) error }) (*model.CastMember, error) {
	var c model.CastMember
	var shared int
	var created, updated int64
	err := row.Scan(&c.ID, &c.UserID, &c.OwnerEmail, &c.Name, &c.Kind, &c.Description, &shared, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.Shared = shared != 0
	c.CreatedAt, c.UpdatedAt = msToTime(created), msToTime(updated)
	c.Images = []model.CastImage{}
	return &c, nil
}

// visibleCast is the condition of a member the caller ($1) may see: their own, or shared.
const visibleCast = `(c.user_id = $1 OR c.shared = 1)`

// InsertCast stores a new member with its images (their objects already written); a name the
// owner already has, whatever its case, answers ErrConflict.
func (s *Store) InsertCast(ctx context.Context, c *model.CastMember) error {
	now := s.nowMs()
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO cast_members (id, user_id, name, name_key, kind, description, shared, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, c.ID, c.UserID, c.Name, nameKey(c.Name), c.Kind, c.Description, boolInt(c.Shared), now)
		if isUnique(err) {
			return ErrConflict
		}
		if err != nil {
			return fmt.Errorf("store: insert cast: %w", err)
		}
		return insertCastImages(ctx, tx, c.ID, 0, c.Images, now)
	})
	if err != nil {
		return err
	}
	c.CreatedAt, c.UpdatedAt = msToTime(now), msToTime(now)
	return nil
}

func insertCastImages(ctx context.Context, tx *sql.Tx, castID string, from int, imgs []model.CastImage, now int64) error {
	for i, im := range imgs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cast_images (id, cast_id, position, storage, storage_key, content_type, bytes, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, im.ID, castID, from+i, im.Storage, im.StorageKey, im.ContentType, im.Bytes, now); err != nil {
			return fmt.Errorf("store: insert cast image: %w", err)
		}
	}
	return nil
}

// Cast returns a member the caller may see (their own or a shared one), with its images.
func (s *Store) Cast(ctx context.Context, callerID int64, id string) (*model.CastMember, error) {
	c, err := scanCast(s.r.QueryRowContext(ctx, `SELECT `+castCols+` FROM cast_members c JOIN users u ON u.id = c.user_id
		WHERE `+visibleCast+` AND c.id = $2`, callerID, id))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("store: cast: %w", err)
	}
	if err := s.fillCastImages(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// CastList lists the members the caller may see: their own first, then those others share,
// each group by name.
func (s *Store) CastList(ctx context.Context, callerID int64) ([]*model.CastMember, error) {
	return s.castWhere(ctx, visibleCast, callerID)
}

// CastByNames finds the members of these names (compared ignoring case) the caller may see,
// their own first.
func (s *Store) CastByNames(ctx context.Context, callerID int64, names []string) ([]*model.CastMember, error) {
	if len(names) == 0 {
		return nil, nil
	}
	args := []any{callerID}
	for _, n := range names {
		args = append(args, nameKey(n))
	}
	return s.castWhere(ctx, visibleCast+` AND c.name_key IN (`+placeholders(2, len(names))+`)`, args...)
}

func (s *Store) castWhere(ctx context.Context, where string, args ...any) ([]*model.CastMember, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+castCols+` FROM cast_members c JOIN users u ON u.id = c.user_id
		WHERE `+where+` ORDER BY CASE WHEN c.user_id = $1 THEN 0 ELSE 1 END, c.name_key, c.id LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: cast list: %w", err)
	}
	var out []*model.CastMember
	for rows.Next() {
		c, err := scanCast(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: cast list: %w", err)
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: cast list: %w", err)
	}
	if err := s.fillCastImages(ctx, out...); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) fillCastImages(ctx context.Context, cs ...*model.CastMember) error {
	if len(cs) == 0 {
		return nil
	}
	byID := map[string]*model.CastMember{}
	ids := make([]string, 0, len(cs))
	for _, c := range cs {
		byID[c.ID] = c
		ids = append(ids, c.ID)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, cast_id, storage, storage_key, content_type, bytes FROM cast_images
		WHERE cast_id IN (`+placeholders(1, len(ids))+`) ORDER BY cast_id, position`, stringArgs(ids)...)
	if err != nil {
		return fmt.Errorf("store: cast images: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var im model.CastImage
		if err := rows.Scan(&im.ID, &im.CastID, &im.Storage, &im.StorageKey, &im.ContentType, &im.Bytes); err != nil {
			return fmt.Errorf("store: cast images: %w", err)
		}
		if c := byID[im.CastID]; c != nil {
			c.Images = append(c.Images, im)
		}
	}
	return rows.Err()
}

// CastPatch is an owner's change of a member; nil fields stay as they are.
type CastPatch struct {
	Name, Kind, Description *string
	Shared                  *bool
	Keep                    []string // image ids to keep, in their new order (nil: all, as they are)
	Add                     []model.CastImage
}

// UpdateCast applies an owner's patch. The images left out of Keep are removed and their
// objects queued in pending_deletes in the same transaction (removed returns them, to delete
// at once). A name the owner already has answers ErrConflict; another's member ErrNotFound.
func (s *Store) UpdateCast(ctx context.Context, ownerID int64, id string, p CastPatch) (removed []PendingDelete, err error) {
	now := s.nowMs()
	err = s.InTx(ctx, func(tx *sql.Tx) error {
		removed = nil
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM cast_members WHERE id = $1 AND user_id = $2`+s.d.forUpdate, id, ownerID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: update cast: %w", err)
		}
		sets, args := []string{"updated_at = $1"}, []any{now}
		add := func(col string, v any) {
			args = append(args, v)
			sets = append(sets, fmt.Sprintf("%s = $%d", col, len(args)))
		}
		if p.Name != nil {
			add("name", *p.Name)
			add("name_key", nameKey(*p.Name))
		}
		if p.Kind != nil {
			add("kind", *p.Kind)
		}
		if p.Description != nil {
			add("description", *p.Description)
		}
		if p.Shared != nil {
			add("shared", boolInt(*p.Shared))
		}
		args = append(args, id)
		_, err = tx.ExecContext(ctx, `UPDATE cast_members SET `+strings.Join(sets, ", ")+fmt.Sprintf(` WHERE id = $%d`, len(args)), args...)
		if isUnique(err) {
			return ErrConflict
		}
		if err != nil {
			return fmt.Errorf("store: update cast: %w", err)
		}
		n := 0
		if p.Keep != nil {
			rows, err := tx.QueryContext(ctx, `SELECT id, storage, storage_key FROM cast_images WHERE cast_id = $1`, id)
			if err != nil {
				return fmt.Errorf("store: update cast: %w", err)
			}
			keep := map[string]int{}
			for i, k := range p.Keep {
				keep[k] = i
			}
			var drop []string
			for rows.Next() {
				var imID string
				var pd PendingDelete
				if err := rows.Scan(&imID, &pd.Storage, &pd.Key); err != nil {
					rows.Close()
					return fmt.Errorf("store: update cast: %w", err)
				}
				if _, ok := keep[imID]; !ok {
					drop = append(drop, imID)
					removed = append(removed, pd)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("store: update cast: %w", err)
			}
			for _, imID := range drop {
				if _, err := tx.ExecContext(ctx, `DELETE FROM cast_images WHERE id = $1`, imID); err != nil {
					return fmt.Errorf("store: update cast: %w", err)
				}
			}
			for i, k := range p.Keep {
				if _, err := tx.ExecContext(ctx, `UPDATE cast_images SET position = $1 WHERE id = $2 AND cast_id = $3`, i, k, id); err != nil {
					return fmt.Errorf("store: update cast: %w", err)
				}
			}
			n = len(p.Keep)
		} else if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(position) + 1, 0) FROM cast_images WHERE cast_id = $1`, id).Scan(&n); err != nil {
			return fmt.Errorf("store: update cast: %w", err)
		}
		if err := insertCastImages(ctx, tx, id, n, p.Add, now); err != nil {
			return err
		}
		return queueDeletes(ctx, tx, removed, now)
	})
	return removed, err
}

// queueDeletes records objects to delete in pending_deletes, so none outlives its row.
func queueDeletes(ctx context.Context, tx *sql.Tx, objs []PendingDelete, now int64) error {
	for _, o := range objs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO pending_deletes (storage, storage_key, next_at) VALUES ($1, $2, $3)
			ON CONFLICT (storage, storage_key) DO NOTHING`, o.Storage, o.Key, now); err != nil {
			return fmt.Errorf("store: queue delete: %w", err)
		}
	}
	return nil
}

// DeleteCast removes an owner's member; its images' objects are queued in pending_deletes in
// the same transaction and returned, to delete at once. Another's member is ErrNotFound.
func (s *Store) DeleteCast(ctx context.Context, ownerID int64, id string) (removed []PendingDelete, err error) {
	now := s.nowMs()
	err = s.InTx(ctx, func(tx *sql.Tx) error {
		removed = nil
		rows, err := tx.QueryContext(ctx, `SELECT i.storage, i.storage_key FROM cast_images i JOIN cast_members c ON c.id = i.cast_id
			WHERE c.id = $1 AND c.user_id = $2`, id, ownerID)
		if err != nil {
			return fmt.Errorf("store: delete cast: %w", err)
		}
		for rows.Next() {
			var pd PendingDelete
			if err := rows.Scan(&pd.Storage, &pd.Key); err != nil {
				rows.Close()
				return fmt.Errorf("store: delete cast: %w", err)
			}
			removed = append(removed, pd)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: delete cast: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM cast_members WHERE id = $1 AND user_id = $2`, id, ownerID)
		if err != nil {
			return fmt.Errorf("store: delete cast: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, ErrNotFound)
		}
		return queueDeletes(ctx, tx, removed, now)
	})
	return removed, err
}
