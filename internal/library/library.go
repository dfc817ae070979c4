// Package library treats the stored assets as a library (SPEC §8): gallery pages with filters,
// favourites, collections, bulk actions, ZIP export and public share links. It owns every read
// of the gallery and every delete of an asset (package cleaner removes the objects); package
// generation only creates assets.
package library

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/cleaner"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Limits.
const (
	MaxBulk         = 500 // ids in one bulk action or export
	MaxCollections  = 1000
	MaxNameChars    = 100
	maxPageSize     = 100
	defaultPageSize = 50
	maxSearchBytes  = 500
)

// Options configure the service.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// Audit records share links created and revoked (SPEC §6); nil records nothing.
	Audit *audit.Log
	// ExportsPerUser and Exports bound the ZIP exports streaming at once, per person and in all
	// (0: DefaultExportsPerUser, DefaultExports).
	ExportsPerUser, Exports int
	// TrashRetention is how long a deleted asset stays in the trash (SPEC §13.1); 0 deletes at
	// once.
	TrashRetention time.Duration
	// Video is ffmpeg for frames and filmstrips (SPEC §15); nil or without ffmpeg answers 501.
	Video *media.Video
	// Instance names this replica on the assets it keeps on local disk.
	Instance string
	// AfterAssetSaved runs after an asset the library made (a frame, an import) is stored: its
	// preview is made like any output's. nil does nothing.
	AfterAssetSaved func(*model.Asset)
	// HideFlagged says whether a person's policy keeps fal-flagged outputs out of shares and
	// exports (SPEC §12.2), at the time of each request; nil: never.
	HideFlagged func(ctx context.Context, userID int64) (bool, error)
}

// Service is the library.
type Service struct {
	st      *store.Store
	storage *media.Storage
	urls    media.URLs // collection covers' URLs
	cleaner *cleaner.Cleaner
	log     *slog.Logger
	now     func() time.Time
	audit   *audit.Log
	exports *exportSlots
	// retention is how long the trash keeps an asset; 0: deletes are immediate.
	retention time.Duration

	video      *media.Video
	instance   string
	afterSaved func(*model.Asset)

	hide func(ctx context.Context, userID int64) (bool, error)
}

// New builds the service.
func New(st *store.Store, storage *media.Storage, cl *cleaner.Cleaner, urls media.URLs, o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{st: st, storage: storage, urls: urls, cleaner: cl, log: o.Logger, now: o.Now, audit: o.Audit,
		exports: newExportSlots(o.ExportsPerUser, o.Exports), retention: max(o.TrashRetention, 0),
		video: o.Video, instance: o.Instance, afterSaved: o.AfterAssetSaved, hide: o.HideFlagged}
}

// errFlagged refuses sharing, exporting or downloading a flagged output under hideFlagged.
var errFlagged = model.Errf(model.CodeFlaggedContent, "This output was flagged as unsafe, and your policy keeps it from being shared, downloaded or exported.")

// HidesFlagged reports whether the person's policy hides flagged outputs now.
func (s *Service) HidesFlagged(ctx context.Context, userID int64) (bool, error) {
	if s.hide == nil {
		return false, nil
	}
	return s.hide(ctx, userID)
}

// CheckDownload refuses (flagged_content) a download of a flagged output under hideFlagged.
func (s *Service) CheckDownload(ctx context.Context, a *model.Asset) error {
	if !a.Flagged {
		return nil
	}
	hide, err := s.HidesFlagged(ctx, a.UserID)
	if err != nil {
		return err
	}
	if hide {
		return errFlagged
	}
	return nil
}

// Storage is the media storage (the HTTP layer serves objects from it).
func (s *Service) Storage() *media.Storage { return s.storage }

func newID() string { return strings.ToLower(rand.Text()) }

// Filter is a gallery query as the HTTP layer received it.
type Filter struct {
	Kind, Q, Cursor string
	Limit           int
	Favorite        bool
	Model           string
	From, To        string // YYYY-MM-DD, inclusive, UTC
	Collection      string
	Sequence        string // the clips of one extend chain (SPEC §15.6)
	Cast            string // a cast member's id: the assets whose generation used it (SPEC §14)
}

// AssetPage is one page of the gallery.
type AssetPage struct {
	Assets     []*model.Asset
	NextCursor string // "" on the last page
}

const day = 24 * time.Hour

func parseDay(v, name string) (int64, error) {
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return 0, model.Errf(model.CodeInvalidInput, "%s must be a date like 2026-12-01.", name)
	}
	return t.UTC().UnixMilli(), nil
}

// Assets returns a page of the user's assets, newest first, filtered.
func (s *Service) Assets(ctx context.Context, userID int64, f Filter) (*AssetPage, error) {
	switch f.Kind {
	case "", model.KindImage, model.KindVideo, model.KindAudio:
	default:
		return nil, model.Errf(model.CodeInvalidInput, "kind must be image, video or audio.")
	}
	if f.Limit <= 0 {
		f.Limit = defaultPageSize
	}
	if f.Limit > maxPageSize {
		return nil, model.Errf(model.CodeInvalidInput, "limit must be at most %d.", maxPageSize)
	}
	if len(f.Q) > maxSearchBytes {
		return nil, model.Errf(model.CodeInvalidInput, "The search text is too long.")
	}
	if len(f.Model) > 200 {
		return nil, model.Errf(model.CodeInvalidInput, "The model id is too long.")
	}
	lf := store.LibraryFilter{Favorite: f.Favorite, Model: strings.TrimSpace(f.Model)}
	var err error
	if f.From != "" {
		if lf.FromMs, err = parseDay(f.From, "from"); err != nil {
			return nil, err
		}
	}
	if f.To != "" {
		if lf.BeforeMs, err = parseDay(f.To, "to"); err != nil {
			return nil, err
		}
		lf.BeforeMs += day.Milliseconds() // inclusive: everything before the next day
	}
	if lf.FromMs > 0 && lf.BeforeMs > 0 && lf.FromMs >= lf.BeforeMs {
		return nil, model.Errf(model.CodeInvalidInput, "from must not be after to.")
	}
	if len(f.Sequence) > 64 {
		return nil, model.Errf(model.CodeInvalidInput, "The sequence id is too long.")
	}
	lf.Sequence = f.Sequence
	if f.Collection != "" {
		if _, err := s.st.Collection(ctx, userID, f.Collection); err != nil {
			return nil, err // another user's collection is as missing as an unknown one
		}
		lf.Collection = f.Collection
	}
	if f.Cast != "" {
		// A member the caller may not see (or none) gives an empty list, never an error.
		if len(f.Cast) > 64 {
			return &AssetPage{Assets: []*model.Asset{}}, nil
		}
		if _, err := s.st.Cast(ctx, userID, f.Cast); errors.Is(err, store.ErrNotFound) {
			return &AssetPage{Assets: []*model.Asset{}}, nil
		} else if err != nil {
			return nil, err
		}
		lf.Cast = f.Cast
	}
	list, next, err := s.st.Assets(ctx, store.AssetQuery{UserID: userID, Kind: f.Kind, Search: f.Q, Limit: f.Limit, Cursor: f.Cursor, LibraryFilter: lf})
	if errors.Is(err, store.ErrBadCursor) {
		return nil, model.Errf(model.CodeInvalidInput, "The cursor is not valid; start from the first page.")
	}
	if err != nil {
		return nil, err
	}
	page := &AssetPage{Assets: list, NextCursor: next}
	return page, nil
}

// Asset returns one of the user's assets.
func (s *Service) Asset(ctx context.Context, userID int64, id string) (*model.Asset, error) {
	return s.st.Asset(ctx, userID, id)
}

// Lineage returns an asset's ancestors and children in the library (SPEC §13.2).
func (s *Service) Lineage(ctx context.Context, userID int64, id string) (ancestors, children []*model.Asset, err error) {
	return s.st.Lineage(ctx, userID, id)
}

// SetFavorite marks or unmarks one of the user's assets.
func (s *Service) SetFavorite(ctx context.Context, userID int64, id string, fav bool) (*model.Asset, error) {
	n, err := s.st.SetFavorite(ctx, userID, []string{id}, fav)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, store.ErrNotFound
	}
	return s.Asset(ctx, userID, id)
}

// deleteObject deletes a removed asset's object, or queues the delete for a retry: the row is
// already gone, so the object must not be left behind.
func (s *Service) deleteObject(ctx context.Context, a *model.Asset) error {
	return s.cleaner.Remove(ctx, a.Storage, a.StorageKey)
}

// cleanIDs validates a list of ids from a request: 1..MaxBulk, each plausible; duplicates go.
func cleanIDs(ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, model.Errf(model.CodeInvalidInput, "Choose at least one asset.")
	}
	if len(ids) > MaxBulk {
		return nil, model.Errf(model.CodeInvalidInput, "At most %d assets at once.", MaxBulk)
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || len(id) > 100 || strings.IndexByte(id, 0) >= 0 {
			return nil, model.Errf(model.CodeInvalidInput, "An asset id is empty, too long or not text.")
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// BulkFavorite marks or unmarks those of ids that are the user's assets and says how many.
func (s *Service) BulkFavorite(ctx context.Context, userID int64, ids []string, fav bool) (int, error) {
	ids, err := cleanIDs(ids)
	if err != nil {
		return 0, err
	}
	n, err := s.st.SetFavorite(ctx, userID, ids, fav)
	return int(n), err
}
