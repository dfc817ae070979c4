package httpapi

import (
	"context"
	"net/http"

	"github.com/falstudio/falstudio/internal/cost"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/model"
)

// estimateGeneration prices a submit body without running it: {"estimate":{…}} or
// {"estimate":null,"reason":"…"}, with the person's budget and whether this fits in it.
func (s *Server) estimateGeneration(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Model  string         `json:"model"`
		Prompt string         `json:"prompt"`
		Params map[string]any `json:"params"`
		// Cast and UseDescription are taken as a submit takes them (SPEC §14); the pictures they
		// add do not change a price.
		Cast           []string `json:"cast"`
		UseDescription bool     `json:"useDescription"`
		// Checked as a submit checks them (SPEC §13.2), without uploading anything.
		ReferenceAssetIDs []string `json:"referenceAssetIds"`
		Relation          string   `json:"relation"`
		// Start and end frames (SPEC §15.5), checked without uploading.
		StartAssetID string `json:"startAssetId"`
		EndAssetID   string `json:"endAssetId"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	body, err := s.estimate(r.Context(), currentUser(r.Context()), generation.SubmitInput{Model: in.Model, Prompt: in.Prompt, Params: in.Params,
		ReferenceAssetIDs: in.ReferenceAssetIDs, Relation: in.Relation, StartAssetID: in.StartAssetID, EndAssetID: in.EndAssetID,
		Cast: in.Cast, UseDescription: in.UseDescription, Via: s.via(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// estimate is the answer of POST /api/generations/estimate (the MCP estimate tool's too): the
// checks a submit makes before anything is created (the token's model list, the caller's
// policy, references, cast and frames, without uploading), then the price of what would run.
func (s *Server) estimate(ctx context.Context, caller *model.User, in generation.SubmitInput) (map[string]any, error) {
	if !generation.ValidModelID(in.Model) {
		return nil, model.Errf(model.CodeInvalidInput, "Choose a model, or enter a fal model id like fal-ai/flux/dev.")
	}
	if len(in.Params) > generation.MaxParams || len(in.Prompt) > 4*generation.MaxPromptChars {
		return nil, model.Errf(model.CodeInvalidInput, "Too many parameters, or the prompt is too long.")
	}
	if err := in.Via.Allows(in.Model); err != nil {
		return nil, err
	}
	params, err := s.Generations.ApplyPolicy(ctx, caller, in.Model, in.Prompt, in.Params, false)
	if err != nil {
		return nil, err
	}
	in.Params = params
	if len(in.ReferenceAssetIDs) > 0 || in.Relation != "" {
		if err := s.Generations.CheckLineage(ctx, caller, in); err != nil {
			return nil, err
		}
	}
	// Cast ids and @mentions as a submit resolves them (SPEC §14).
	if err := s.Generations.CheckCast(ctx, caller, in); err != nil {
		return nil, err
	}
	if in.StartAssetID != "" || in.EndAssetID != "" {
		if err := s.Generations.CheckFrames(ctx, caller, in); err != nil {
			return nil, err
		}
	}
	q, err := s.Costs.Estimate(ctx, caller, in.Model, in.Prompt, in.Params)
	if err != nil {
		return nil, err
	}
	b, err := s.Costs.Budget(ctx, caller.ID)
	if err != nil {
		return nil, err
	}
	body := map[string]any{"estimate": q.Estimate, "budget": b, "withinBudget": nil}
	if q.Estimate == nil {
		body["reason"] = q.Reason
	}
	if b.MonthlyUSD != nil {
		body["withinBudget"] = q.Estimate != nil && cost.Fits(b.SpentUSD+b.ReservedUSD, q.Estimate.USD, *b.MonthlyUSD)
	}
	return body, nil
}

// putBudget sets the person's own monthly budget: {"monthlyBudgetUsd": 12.5} or null for none.
func (s *Server) putBudget(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		MonthlyBudgetUSD optionalNumber `json:"monthlyBudgetUsd"` // null: none
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if !in.MonthlyBudgetUSD.Set {
		return model.Errf(model.CodeInvalidInput, `Send {"monthlyBudgetUsd": amount} or null to remove your own budget.`)
	}
	v := in.MonthlyBudgetUSD.Value
	b, err := s.Costs.SetSelfBudget(r.Context(), currentUser(r.Context()), v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"budget": b})
	return nil
}

func usageQuery(r *http.Request) cost.UsageQuery {
	q := r.URL.Query()
	return cost.UsageQuery{From: q.Get("from"), To: q.Get("to"), GroupBy: q.Get("groupBy")}
}

// getMyUsage is the person's own spending by day or model, with their budget.
func (s *Server) getMyUsage(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Costs.MyUsage(r.Context(), currentUser(r.Context()).ID, usageQuery(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// getAdminUsage is everyone's spending by user, model or day (the route is admin-only).
func (s *Server) getAdminUsage(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Costs.AllUsage(r.Context(), usageQuery(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}
