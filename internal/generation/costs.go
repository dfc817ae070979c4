package generation

import (
	"context"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

// Budget prices a generation and inserts it only when the person's monthly budget allows it,
// checking and inserting in one transaction (package cost implements it). Without one, Submit
// inserts the generation unpriced.
type Budget interface {
	// InsertWithinBudget inserts g as store.InsertGeneration does (submitting, leased to holder).
	InsertWithinBudget(ctx context.Context, falKey string, g *model.Generation, params map[string]any, holder string, lease time.Duration) error
}

// insert stores a new generation through the budget when there is one.
func (s *Service) insert(ctx context.Context, falKey string, g *model.Generation, params map[string]any) error {
	if s.opts.Budget == nil {
		return s.st.InsertGeneration(ctx, g, s.instance, s.opts.Lease)
	}
	return s.opts.Budget.InsertWithinBudget(ctx, falKey, g, params, s.instance, s.opts.Lease)
}

// ParamDefaults are a curated model's parameter defaults (nil for other models): the price of
// a request that leaves a parameter out is the price of its default.
func ParamDefaults(modelID string) map[string]any {
	m := modelByID(modelID)
	if m == nil {
		return nil
	}
	out := map[string]any{}
	for _, p := range m.Params {
		if p.Default != nil {
			out[p.Name] = p.Default
		}
	}
	return out
}

// Cost sources of GenerationView.CostSource.
const (
	costSourceEstimate = "estimate"
	costSourceNone     = "not_billed" // failed or canceled: fal bills successful outputs only
)

// withCosts fills costUsd and costSource: the recorded estimate (or fal's billed amount when one
// was recorded); 0 once a generation failed or was canceled; null when fal had no price.
func (s *Service) withCosts(ctx context.Context, userID int64, views []GenerationView) error {
	ids := make([]string, len(views))
	for i := range views {
		ids[i] = views[i].ID
	}
	costs, err := s.st.GenerationCosts(ctx, userID, ids...)
	if err != nil {
		return err
	}
	for i := range views {
		v := &views[i]
		c := costs[v.ID]
		switch {
		case v.Status == model.StatusFailed || v.Status == model.StatusCanceled:
			zero, src := 0.0, costSourceNone
			v.CostUSD, v.CostSource = &zero, &src
		case c.USD != nil:
			usd, src := *c.USD, c.Source
			if src == "" {
				src = costSourceEstimate
			}
			v.CostUSD, v.CostSource = &usd, &src
		}
	}
	return nil
}
