package generation

import (
	"context"
	"errors"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// HistoryPage is one page of the generation history.
type HistoryPage struct {
	Generations []GenerationView `json:"generations"`
	NextCursor  *string          `json:"nextCursor"`
}

// History pages every generation of the user, newest first, optionally of one status
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
	ids := make([]string, len(gens))
	for i, g := range gens {
		ids[i] = g.ID
	}
	assets, err := s.st.AssetsOfGeneration(ctx, userID, ids...)
	if err != nil {
		return nil, err
	}
	page := &HistoryPage{Generations: make([]GenerationView, 0, len(gens))}
	for _, g := range gens {
		page.Generations = append(page.Generations, s.generationView(g, assets[g.ID]))
	}
	if next != "" {
		page.NextCursor = &next
	}
	return page, nil
}
