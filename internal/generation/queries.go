package generation

import (
	"context"
	"errors"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// withAssets fills the generations' stored outputs with one query for all of them.
func (s *Service) withAssets(ctx context.Context, userID int64, gens []*model.Generation) error {
	if len(gens) == 0 {
		return nil
	}
	ids := make([]string, len(gens))
	for i, g := range gens {
		ids[i] = g.ID
	}
	assets, err := s.st.AssetsOfGeneration(ctx, userID, ids...)
	if err != nil {
		return err
	}
	for _, g := range gens {
		g.Assets = assets[g.ID]
	}
	return nil
}

// Get returns one of the person's generations with its assets.
func (s *Service) Get(ctx context.Context, userID int64, id string) (*model.Generation, error) {
	g, err := s.st.Generation(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	if err := s.withAssets(ctx, userID, []*model.Generation{g}); err != nil {
		return nil, err
	}
	return g, nil
}

// List returns the person's newest generations (only the unfinished ones when active).
func (s *Service) List(ctx context.Context, userID int64, active bool) ([]*model.Generation, error) {
	gens, err := s.st.Generations(ctx, userID, active, maxListed)
	if err != nil {
		return nil, err
	}
	return gens, s.withAssets(ctx, userID, gens)
}

// HistoryPage is one page of the generation history.
type HistoryPage struct {
	Generations []*model.Generation
	NextCursor  string // "" on the last page
}

// History pages every generation of the person, newest first, optionally of one status
// (queued, running, saving, succeeded, failed, canceled).
func (s *Service) History(ctx context.Context, userID int64, status, cursor string, limit int) (*HistoryPage, error) {
	switch status {
	case "", model.StatusQueued, model.StatusRunning, model.StatusSaving, model.StatusSucceeded, model.StatusFailed, model.StatusCanceled:
	default:
		return nil, model.Errf(model.CodeInvalidInput, "status must be queued, running, saving, succeeded, failed or canceled.")
	}
	if limit <= 0 {
		limit = defaultPageSize
	}
	if limit > maxPageSize {
		return nil, model.Errf(model.CodeInvalidInput, "limit must be at most %d.", maxPageSize)
	}
	gens, next, err := s.st.GenerationsPage(ctx, store.GenerationQuery{UserID: userID, Status: status, Limit: limit, Cursor: cursor})
	if errors.Is(err, store.ErrBadCursor) {
		return nil, model.Errf(model.CodeInvalidInput, "The cursor is not valid; start from the first page.")
	}
	if err != nil {
		return nil, err
	}
	if err := s.withAssets(ctx, userID, gens); err != nil {
		return nil, err
	}
	return &HistoryPage{Generations: gens, NextCursor: next}, nil
}

// Change is one event of the per-person stream: the journal seq and the generation now.
type Change struct {
	Seq        int64
	Generation *model.Generation
}

// ChangesAfter returns the person's generations that changed after cursor, each once, as they
// are now, ordered by their latest change, in three queries whatever their number (the
// journal, the generations, their assets); next is the cursor to continue from, and more says
// a further batch is waiting.
func (s *Service) ChangesAfter(ctx context.Context, userID, cursor int64) (changes []Change, next int64, more bool, err error) {
	latest, next, more, err := s.journal.After(ctx, userID, cursor)
	if err != nil || len(latest) == 0 {
		return nil, next, more, err
	}
	ids := make([]string, len(latest))
	for i, l := range latest {
		ids[i] = l.GenerationID
	}
	gens, err := s.st.GenerationsByID(ctx, userID, ids)
	if err != nil {
		return nil, cursor, false, err
	}
	if err := s.withAssets(ctx, userID, gens); err != nil {
		return nil, cursor, false, err
	}
	byID := make(map[string]*model.Generation, len(gens))
	for _, g := range gens {
		byID[g.ID] = g
	}
	for _, l := range latest {
		if g := byID[l.GenerationID]; g != nil { // a deleted one is left out
			changes = append(changes, Change{Seq: l.Seq, Generation: g})
		}
	}
	return changes, next, more, nil
}
