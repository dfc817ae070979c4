package httpapi

import (
	"net/http"

	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/model"
)

// compareView is a compare's answer: the set and its runs in order.
func (s *Server) compareView(c *generation.Compare) map[string]any {
	return map[string]any{"group": c.Group, "prompt": c.Prompt, "generations": generationViews(s.urls, c.Generations)}
}

// createCompare sends one prompt to 2–6 runs at once, all or none (SPEC §14).
func (s *Server) createCompare(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Prompt string `json:"prompt"`
		Runs   []struct {
			Model  string         `json:"model"`
			Params map[string]any `json:"params"`
		} `json:"runs" required:"true"`
		ReferenceAssetIDs []string `json:"referenceAssetIds"`
		Cast              []string `json:"cast"`
		UseDescription    bool     `json:"useDescription"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.Runs) < generation.MinCompareRuns || len(in.Runs) > generation.MaxCompareRuns {
		return model.Errf(model.CodeInvalidInput, "runs lists %d to %d runs, each with a model.", generation.MinCompareRuns, generation.MaxCompareRuns)
	}
	if in.ReferenceAssetIDs != nil && len(in.ReferenceAssetIDs) > generation.MaxReferenceAssets {
		return model.Errf(model.CodeInvalidInput, "referenceAssetIds lists 1 to %d image assets.", generation.MaxReferenceAssets)
	}
	ci := generation.CompareInput{Prompt: in.Prompt, ReferenceAssetIDs: in.ReferenceAssetIDs, Cast: in.Cast, UseDescription: in.UseDescription}
	for _, run := range in.Runs {
		ci.Runs = append(ci.Runs, generation.CompareRun{Model: run.Model, Params: run.Params})
	}
	ci.Via = s.via(r)
	c, err := s.Generations.SubmitCompare(r.Context(), currentUser(r.Context()), ci)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, s.compareView(c))
	return nil
}

// getCompare is a set's current state, in the order of its runs.
func (s *Server) getCompare(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Generations.GetCompare(r.Context(), currentUser(r.Context()).ID, r.PathValue("group"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.compareView(c))
	return nil
}
