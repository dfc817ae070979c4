package generation

import (
	"context"
	"strings"

	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/model"
)

// Compare limits (SPEC §14).
const (
	MinCompareRuns = 2
	MaxCompareRuns = 6
)

// CompareRun is one column of a compare: a model and its own settings.
type CompareRun struct {
	Model  string
	Params map[string]any
}

// CompareInput is one prompt (and references, cast) sent to 2–6 runs at once.
type CompareInput struct {
	Prompt            string
	Runs              []CompareRun
	ReferenceAssetIDs []string
	Cast              []string
	UseDescription    bool
	Via               *model.Via // the token it came through; nil from the browser
}

// Compare is a set of runs and their current state, in the order of the runs.
type Compare struct {
	Group       string
	Prompt      string
	Generations []*model.Generation
}

// SubmitCompare sends one prompt to several models at once: each run is an ordinary generation
// under one group, all checked, priced as a set and inserted together through the submission
// pipeline before any reaches fal (all or none). Once accepted, a run fal refuses is listed as
// failed and the others go on.
func (s *Service) SubmitCompare(ctx context.Context, caller *model.User, in CompareInput) (*Compare, error) {
	if len(in.Runs) < MinCompareRuns || len(in.Runs) > MaxCompareRuns {
		return nil, model.Errf(model.CodeInvalidInput, "A compare has %d to %d runs.", MinCompareRuns, MaxCompareRuns)
	}
	for i, r := range in.Runs {
		if strings.TrimSpace(r.Model) == "" {
			return nil, runErr(len(in.Runs), i, model.Errf(model.CodeInvalidInput, "Choose a model."))
		}
		if !ValidModelID(strings.TrimSpace(r.Model)) {
			return nil, runErr(len(in.Runs), i, model.Errf(model.CodeInvalidInput, "Choose a model, or enter a fal model id like fal-ai/flux/dev."))
		}
	}
	if in.ReferenceAssetIDs != nil && len(in.ReferenceAssetIDs) == 0 {
		in.ReferenceAssetIDs = nil
	}
	if err := s.knownModels(ctx, caller, in.Runs); err != nil {
		return nil, err
	}
	group := newID()
	ins := make([]SubmitInput, len(in.Runs))
	for i, r := range in.Runs {
		ins[i] = SubmitInput{Model: r.Model, Prompt: in.Prompt, Params: r.Params, Group: group, Cast: in.Cast,
			UseDescription: in.UseDescription, ReferenceAssetIDs: in.ReferenceAssetIDs, Via: in.Via}
	}
	gs, errs, err := s.submitSet(ctx, caller, ins)
	if err != nil {
		return nil, err
	}
	for i, e := range errs {
		if e != nil {
			// The answer still lists it, failed with fal's verdict (as the row says).
			code, msg := Describe(e)
			gs[i].Status, gs[i].ErrorCode, gs[i].ErrorMessage = model.StatusFailed, code, msg
		}
	}
	return &Compare{Group: group, Prompt: strings.TrimSpace(in.Prompt), Generations: gs}, nil
}

// knownModels checks that every run's model is curated or one fal's model registry knows,
// asked with the person's key, before anything is stored.
func (s *Service) knownModels(ctx context.Context, caller *model.User, runs []CompareRun) error {
	var custom []string
	for _, r := range runs {
		if id := strings.TrimSpace(r.Model); modelByID(id) == nil && !containsString(custom, id) {
			custom = append(custom, id)
		}
	}
	if len(custom) == 0 {
		return nil
	}
	key, err := s.keys.Of(caller)
	if err != nil {
		return err
	}
	page, err := s.fal.Models(ctx, key.Reveal(), fal.ModelQuery{EndpointIDs: custom, Limit: len(custom)})
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, m := range page.Models {
		known[m.EndpointID] = true
	}
	for i, r := range runs {
		if id := strings.TrimSpace(r.Model); modelByID(id) == nil && !known[id] {
			return runErr(len(runs), i, model.Errf(model.CodeInvalidInput, "fal does not know the model %s.", id))
		}
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// GetCompare is the current state of one of the person's sets; another's or an unknown id is
// not found.
func (s *Service) GetCompare(ctx context.Context, userID int64, group string) (*Compare, error) {
	if group == "" || len(group) > 64 {
		return nil, model.Errf(model.CodeNotFound, "No such compare.")
	}
	gs, err := s.st.GenerationsOfGroup(ctx, userID, group)
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, model.Errf(model.CodeNotFound, "No such compare.")
	}
	if err := s.withAssets(ctx, userID, gs); err != nil {
		return nil, err
	}
	return &Compare{Group: group, Prompt: gs[0].Prompt, Generations: gs}, nil
}
