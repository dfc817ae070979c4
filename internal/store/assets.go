package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

const assetCols = `id, user_id, generation_id, model, prompt, result_kind, storage_key, storage,
	content_type, bytes, width, height, params_json, created_at, local_holder, favorite, thumb_bytes,
	parent_asset_id, parent_relation, trashed_at, purge_at, c2pa, sequence_id, flagged`

func scanAsset(row interface{ Scan(...any) error }) (*model.Asset, error) {
	var a model.Asset
	var params string
	var created, fav, c2pa int64
	var trashed, purge sql.NullInt64
	err := row.Scan(&a.ID, &a.UserID, &a.GenerationID, &a.Model, &a.Prompt, &a.Kind, &a.StorageKey,
		&a.Storage, &a.ContentType, &a.Bytes, &a.Width, &a.Height, &params, &created, &a.LocalHolder, &fav, &a.ThumbBytes,
		&a.ParentID, &a.ParentRelation, &trashed, &purge, &c2pa, &a.SequenceID, &a.Flagged)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.Params = json.RawMessage(params)
	a.CreatedAt = msToTime(created)
	a.Favorite = fav != 0
	a.C2PA = c2pa != 0
	a.TrashedAt, a.PurgeAt = nullMsToTime(trashed), nullMsToTime(purge)
	return &a, nil
}

// nullMs is t as nullable epoch milliseconds.
func nullMs(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// InsertAsset stores an asset row once: a second insert of the same id is a no-op and reports
// false, so a resumed save never creates a duplicate. a.ParentID and a.ParentRelation record its
// lineage (SPEC §13.2): code that makes an asset from another of the same person's assets
// without a job (a frame grab) sets them here; a job's outputs take them from the generation.
// The caller checks the parent is the person's.
func (s *Store) InsertAsset(ctx context.Context, a *model.Asset) (bool, error) {
	params := string(a.Params)
	if params == "" {
		params = "{}"
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = s.now()
	}
	if a.ParentID == "" {
		a.ParentRelation = ""
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO assets (`+assetCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) ON CONFLICT (id) DO NOTHING`,
		a.ID, a.UserID, a.GenerationID, a.Model, a.Prompt, a.Kind, a.StorageKey, a.Storage,
		a.ContentType, a.Bytes, a.Width, a.Height, params, a.CreatedAt.UnixMilli(), a.LocalHolder, boolInt(a.Favorite), a.ThumbBytes,
		a.ParentID, a.ParentRelation, nullMs(a.TrashedAt), nullMs(a.PurgeAt), boolInt(a.C2PA), a.SequenceID, a.Flagged)
	if err != nil {
		return false, fmt.Errorf("store: insert asset: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Asset returns a user's asset; another user's answers ErrNotFound.
func (s *Store) Asset(ctx context.Context, userID int64, id string) (*model.Asset, error) {
	a, err := scanAsset(s.r.QueryRowContext(ctx, `SELECT `+assetCols+` FROM assets WHERE id = $1 AND user_id = $2`, id, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: asset: %w", err)
	}
	if err == nil {
		err = s.fillCollections(ctx, a)
	}
	if err == nil {
		err = s.fillParents(ctx, userID, a)
	}
	return a, err
}

// AssetsOfGeneration lists a generation's assets in the library, in output order: a trashed
// output is out of the library, so its generation shows the others (SPEC §13.1).
func (s *Store) AssetsOfGeneration(ctx context.Context, userID int64, generationIDs ...string) (map[string][]*model.Asset, error) {
	return s.assetsOfGeneration(ctx, userID, true, generationIDs...)
}

// SavedAssetsOfGeneration lists every asset a generation stored, trashed ones included (a
// resumed save must not store one again).
func (s *Store) SavedAssetsOfGeneration(ctx context.Context, userID int64, generationID string) ([]*model.Asset, error) {
	m, err := s.assetsOfGeneration(ctx, userID, false, generationID)
	return m[generationID], err
}

func (s *Store) assetsOfGeneration(ctx context.Context, userID int64, liveOnly bool, generationIDs ...string) (map[string][]*model.Asset, error) {
	out := map[string][]*model.Asset{}
	if len(generationIDs) == 0 {
		return out, nil
	}
	args := []any{userID}
	ph := make([]string, len(generationIDs))
	for i, id := range generationIDs {
		args = append(args, id)
		ph[i] = "$" + strconv.Itoa(i+2)
	}
	live := ""
	if liveOnly {
		live = " AND trashed_at IS NULL"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+assetCols+` FROM assets a WHERE user_id = $1 AND generation_id IN (`+strings.Join(ph, ",")+`)`+
		live+` ORDER BY (SELECT idx FROM outputs o WHERE o.asset_id = a.id), created_at`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: generation assets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, fmt.Errorf("store: generation assets: %w", err)
		}
		out[a.GenerationID] = append(out[a.GenerationID], a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: generation assets: %w", err)
	}
	var all []*model.Asset
	for _, list := range out {
		all = append(all, list...)
	}
	if err := s.fillCollections(ctx, all...); err != nil {
		return nil, err
	}
	return out, s.fillParents(ctx, userID, all...)
}

// AssetQuery selects a page of a user's assets.
type AssetQuery struct {
	UserID int64
	Kind   string // "" for all
	Search string // prompt words; each must match, the last one as a prefix
	Limit  int
	Cursor string // from the previous page's NextCursor
	LibraryFilter
}

// ErrBadCursor is returned for a cursor this store did not make.
var ErrBadCursor = errors.New("store: bad cursor")

// Assets returns one page, newest first, and the cursor of the next page ("" at the end).
// Keyset pagination on (created_at, id): pages stay fast and stable however deep they go.
func (s *Store) Assets(ctx context.Context, q AssetQuery) ([]*model.Asset, string, error) {
	out, next, err := s.assetPage(ctx, q)
	if err != nil {
		return nil, "", err
	}
	// Lineage (SPEC §13.2): whether each parent is still in the library, one query a page.
	return out, next, s.fillParents(ctx, q.UserID, out...)
}

// assetPage is Assets before the parents are checked.
func (s *Store) assetPage(ctx context.Context, q AssetQuery) ([]*model.Asset, string, error) {
	// The fixed filters (library.go) come first; the full-text part, the one fragment that
	// differs per dialect, is added beside them.
	f := q.LibraryFilter.fragments(q.UserID, q.Kind)
	if strings.TrimSpace(q.Search) != "" && s.d.searchWindow > 0 && !f.driven {
		return s.searchPage(ctx, q, f)
	}
	if strings.TrimSpace(q.Search) != "" {
		frag, value, ok := s.d.search(q.Search, len(f.args)+1)
		if !ok {
			return nil, "", nil // only punctuation: nothing can match
		}
		f.args = append(f.args, value)
		f.where = append(f.where, f.searchFragment(frag))
	}
	if q.Cursor != "" {
		ts, id, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, "", err
		}
		f.args = append(f.args, ts, id)
		n := len(f.args)
		// A row value: one index range on both dialects.
		f.where = append(f.where, fmt.Sprintf("(%s, %s) < ($%d, $%d)", f.created, f.id, n-1, n))
	}
	f.args = append(f.args, q.Limit+1)
	// The page's collection ids come with its rows (one correlated index lookup each) rather
	// than from a second query whose text changes with the page's length.
	out, err := s.pageRows(ctx, q.UserID, `SELECT `+pageCols+`, `+s.d.collectionIDs+` FROM `+f.from+` WHERE `+strings.Join(f.where, " AND ")+
		` ORDER BY `+f.created+` DESC, `+f.id+` DESC LIMIT $`+strconv.Itoa(len(f.args)), f.args...)
	if err != nil {
		return nil, "", err
	}
	return pageOf(out, q.Limit)
}

// pageOf cuts a page of limit+1 rows to limit and says where the next one starts.
func pageOf(out []*model.Asset, limit int) ([]*model.Asset, string, error) {
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[len(out)-1]
		next = encodeCursor(last.CreatedAt.UnixMilli(), last.ID)
	}
	return out, next, nil
}

// pageRows runs a page query (pageCols and the collection ids) and scans its rows.
func (s *Store) pageRows(ctx context.Context, userID int64, query string, args ...any) ([]*model.Asset, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: assets: %w", err)
	}
	defer rows.Close()
	out := []*model.Asset{}
	for rows.Next() {
		a, err := scanPageAsset(rows)
		if err != nil {
			return nil, fmt.Errorf("store: assets: %w", err)
		}
		a.UserID = userID
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: assets: %w", err)
	}
	return out, nil
}

// searchPage is a search page in two steps, each cheap where the other is not (PostgreSQL,
// measured at 1,000,000 assets, 100,000 of them one person's: docs/benchmarks.md):
//
//  1. the newest searchWindow rows of the filtered library, walked in date order and tested
//     against the words — a common word fills the page within a few thousand rows (9 ms where
//     sorting all 3,150 matches of "lighthouse owl" took 100 ms);
//  2. only when the page is not full and the library goes on: the rest, through the full-text
//     index ("created_at + 0" keeps the planner off the date index, which it would walk to the
//     end for a rare prefix: 0.6 s for a word that matches nothing, 0.2 ms this way).
func (s *Store) searchPage(ctx context.Context, q AssetQuery, f assetSQL) ([]*model.Asset, string, error) {
	if q.Cursor != "" {
		ts, id, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, "", err
		}
		f.args = append(f.args, ts, id)
		f.where = append(f.where, fmt.Sprintf("(created_at, id) < ($%d, $%d)", len(f.args)-1, len(f.args)))
	}
	frag, value, ok := s.d.search(q.Search, len(f.args)+1)
	if !ok {
		return nil, "", nil // only punctuation: nothing can match
	}
	base := strings.Join(f.where, " AND ")
	args := append(append([]any{}, f.args...), value, s.d.searchWindow, q.Limit+1)
	n := len(args)
	// The window's LIMIT keeps the planner from pushing the words into it.
	out, err := s.pageRows(ctx, q.UserID, `SELECT `+pageCols+`, `+s.d.collectionIDs+` FROM (SELECT * FROM assets WHERE `+base+
		` ORDER BY created_at DESC, id DESC LIMIT $`+strconv.Itoa(n-1)+`) assets WHERE `+frag+
		` ORDER BY created_at DESC, id DESC LIMIT $`+strconv.Itoa(n), args...)
	if err != nil || len(out) > q.Limit {
		return pageOfErr(out, q.Limit, err)
	}
	// Where did the window end? Nothing there: it held the whole (rest of the) library.
	var endTs int64
	var endID string
	err = s.r.QueryRowContext(ctx, `SELECT created_at, id FROM assets WHERE `+base+` ORDER BY created_at DESC, id DESC
		LIMIT 1 OFFSET $`+strconv.Itoa(len(f.args)+1), append(append([]any{}, f.args...), s.d.searchWindow-1)...).Scan(&endTs, &endID)
	if errors.Is(err, sql.ErrNoRows) {
		return pageOf(out, q.Limit)
	}
	if err != nil {
		return nil, "", fmt.Errorf("store: assets: search window: %w", err)
	}
	rest := append(append([]any{}, f.args...), endTs, endID, value, q.Limit+1-len(out))
	m := len(f.args)
	frag, _, _ = s.d.search(q.Search, m+3)
	more, err := s.pageRows(ctx, q.UserID, `SELECT `+pageCols+`, `+s.d.collectionIDs+` FROM assets WHERE `+base+
		fmt.Sprintf(" AND (created_at, id) < ($%d, $%d) AND ", m+1, m+2)+frag+
		` ORDER BY created_at + 0 DESC, id DESC LIMIT $`+strconv.Itoa(m+4), rest...)
	return pageOfErr(append(out, more...), q.Limit, err)
}

func pageOfErr(out []*model.Asset, limit int, err error) ([]*model.Asset, string, error) {
	if err != nil {
		return nil, "", err
	}
	return pageOf(out, limit)
}

// pageCols are the columns a gallery page shows (SPEC Asset): every column read costs the
// SQLite driver a locked call or two, so a page of 51 rows leaves out those it never shows
// (user_id is the caller's, local_holder is for serving and re-sync).
const pageCols = `id, generation_id, model, prompt, result_kind, storage_key, storage, content_type, bytes, width, height,
	params_json, created_at, favorite, thumb_bytes, parent_asset_id, parent_relation, c2pa, sequence_id, flagged`

// scanPageAsset reads a row of pageCols and its collection ids. The asset's LocalHolder is
// left empty: serving one asset reads it whole (Asset).
func scanPageAsset(row *sql.Rows) (*model.Asset, error) {
	var a model.Asset
	var params string
	var created, fav, c2pa int64
	var collections sql.NullString
	if err := row.Scan(&a.ID, &a.GenerationID, &a.Model, &a.Prompt, &a.Kind, &a.StorageKey, &a.Storage, &a.ContentType,
		&a.Bytes, &a.Width, &a.Height, &params, &created, &fav, &a.ThumbBytes, &a.ParentID, &a.ParentRelation, &c2pa, &a.SequenceID, &a.Flagged, &collections); err != nil {
		return nil, err
	}
	a.Params = json.RawMessage(params)
	a.CreatedAt = msToTime(created)
	a.Favorite = fav != 0
	a.C2PA = c2pa != 0
	a.CollectionIDs = splitIDs(collections.String)
	return &a, nil
}

// splitIDs splits the comma-joined collection ids of a page row (ids are hex, never a comma)
// into the order fillCollections gives: by id.
func splitIDs(joined string) []string {
	if joined == "" {
		return []string{}
	}
	ids := strings.Split(joined, ",")
	slices.Sort(ids)
	return ids
}

func encodeCursor(ts int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(ts, 10) + "|" + id))
}

func decodeCursor(c string) (int64, string, error) {
	if len(c) > 200 {
		return 0, "", ErrBadCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", ErrBadCursor
	}
	tsText, id, ok := strings.Cut(string(raw), "|")
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if !ok || err != nil || id == "" || ts < 0 {
		return 0, "", ErrBadCursor
	}
	return ts, id, nil
}

// DeleteAsset removes a user's asset row and returns it; the caller deletes the object after.
func (s *Store) DeleteAsset(ctx context.Context, userID int64, id string) (*model.Asset, error) {
	a, err := scanAsset(s.w.QueryRowContext(ctx, `DELETE FROM assets WHERE id = $1 AND user_id = $2 RETURNING `+assetCols, id, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("store: delete asset: %w", err)
	}
	return a, err
}

// LocalAssets lists assets kept on this instance's local disk (for the re-sync to S3); files from
// before holders were recorded count as this instance's.
func (s *Store) LocalAssets(ctx context.Context, holder string, limit int) ([]*model.Asset, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+assetCols+` FROM assets WHERE storage = 'local' AND local_holder IN ($1, '')
		ORDER BY created_at LIMIT $2`, holder, limit)
	if err != nil {
		return nil, fmt.Errorf("store: local assets: %w", err)
	}
	defer rows.Close()
	out := []*model.Asset{}
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, fmt.Errorf("store: local assets: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// MoveAsset records that an asset's object now lives in another backend.
func (s *Store) MoveAsset(ctx context.Context, id, storage string) error {
	_, err := s.w.ExecContext(ctx, `UPDATE assets SET storage = $1, local_holder = '' WHERE id = $2`, storage, id)
	if err != nil {
		return fmt.Errorf("store: move asset: %w", err)
	}
	return nil
}

// PendingDelete is an object whose delete must be retried.
type PendingDelete struct {
	Storage, Key string
	Attempts     int
}

// AddPendingDelete queues an object delete for a later retry.
func (s *Store) AddPendingDelete(ctx context.Context, storage, key string, next time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO pending_deletes (storage, storage_key, next_at) VALUES ($1, $2, $3)
		ON CONFLICT (storage, storage_key) DO UPDATE SET attempts = pending_deletes.attempts + 1, next_at = excluded.next_at`, storage, key, next.UnixMilli())
	if err != nil {
		return fmt.Errorf("store: pending delete: %w", err)
	}
	return nil
}

// DuePendingDeletes lists queued deletes whose retry is due.
func (s *Store) DuePendingDeletes(ctx context.Context, limit int) ([]PendingDelete, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT storage, storage_key, attempts FROM pending_deletes WHERE next_at <= $1 ORDER BY next_at LIMIT $2`, s.nowMs(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: pending deletes: %w", err)
	}
	defer rows.Close()
	var out []PendingDelete
	for rows.Next() {
		var p PendingDelete
		if err := rows.Scan(&p.Storage, &p.Key, &p.Attempts); err != nil {
			return nil, fmt.Errorf("store: pending deletes: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DonePendingDelete forgets a queued delete that succeeded.
func (s *Store) DonePendingDelete(ctx context.Context, storage, key string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM pending_deletes WHERE storage = $1 AND storage_key = $2`, storage, key)
	if err != nil {
		return fmt.Errorf("store: done pending delete: %w", err)
	}
	return nil
}

// UserBytes is how much a user stores in all.
func (s *Store) UserBytes(ctx context.Context, userID int64) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT CAST(coalesce(sum(bytes), 0) AS BIGINT) FROM assets WHERE user_id = $1`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: user bytes: %w", err)
	}
	return n, nil
}
