package generation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// SubmitInput is a request to generate.
type SubmitInput struct {
	Model  string
	Prompt string
	Params map[string]any
	Group  string // the set it belongs to: variations or a compare ("" for a single generation)
	// CollectionID names one of the caller's collections the outputs land in ("" for none).
	CollectionID string
	// Cast lists cast members by id (SPEC §14); @name mentions in the prompt add more.
	Cast []string
	// UseDescription appends each used member's description to the prompt fal receives.
	UseDescription bool
	// PromptNotSent keeps the prompt for the gallery and search without sending it to fal (a
	// derive, SPEC §14: its models take no prompt).
	PromptNotSent bool

	// Lineage (SPEC §13.2). ReferenceAssetIDs are the caller's own image assets (in the library)
	// that fill the model's reference field: at submit each stored original is uploaded to fal
	// storage with the caller's key and its URL sent in that field, after any URLs Params
	// already lists there. Every output gets the first of them as its parent, with Relation
	// (default model.RelationReference).
	//
	// Other actions that make a job from one of the person's assets call Submit with their own
	// relation: upscale and remove-background (§14) pass the source as ReferenceAssetIDs with
	// Relation model.RelationUpscale / RelationRemoveBackground; an action whose input is made
	// from the asset rather than the asset itself (§15 extend: the last frame of a clip) passes
	// ParentAssetID (any kind, the caller's, in the library) with its Relation and sends its
	// own input in Params. With both set, ParentAssetID must equal ReferenceAssetIDs[0].
	// A refused submit (unknown or trashed id: not_found; a video as a reference, a bad count,
	// an unknown relation: invalid_input; a model with no reference field: no_reference_field)
	// creates and uploads nothing.
	ReferenceAssetIDs []string
	Relation          string
	ParentAssetID     string

	// Start and end frames (SPEC §15.5): the caller's image assets sent in the model's frame
	// fields; StartFramePNG is a frame Extend took from a clip (it replaces any value there).
	StartAssetID, EndAssetID string
	StartFramePNG            []byte

	// Local makes a job the studio runs itself (SPEC §15.7 stitch, model "studio/…"): no fal
	// key, no fal call, cost 0 under any budget; it is inserted like any job and the runner does
	// its work. Only the studio's own actions set it; a "studio/" model is refused otherwise.
	Local bool
	// Via is the personal access token the request came through (nil from the browser): its
	// model list, monthly cap and rate limit apply, and the generation records it (SPEC §11).
	Via *model.Via
}

// submitTimeout bounds fal's answer to a submit.
const submitTimeout = 60 * time.Second

// Submit is the one submission pipeline; every way to start a job calls it. In order:
//
//  1. validate the request (model id, prompt, parameters, references and cast);
//  2. the storage quota;
//  3. price it and insert it — the one INSERT, with the monthly budget checked and the
//     collection's owner checked in the same transaction;
//  4. upload its reference pictures and send it to fal with the caller's key, once, renewing
//     its lease while fal answers;
//  5. record fal's answer, journal the change and wake the runner.
//
// caller is the person as the auth layer loaded them, sealed fal key included (read once per
// request). A fal refusal is returned as the error and the generation stays listed as failed.
// The answer is the row as written, not read back.
func (s *Service) Submit(ctx context.Context, caller *model.User, in SubmitInput) (*model.Generation, error) {
	if in.Local {
		return s.submitLocal(ctx, caller, in)
	}
	gs, errs, err := s.submitSet(ctx, caller, []SubmitInput{in})
	if err != nil {
		return nil, err
	}
	if errs[0] != nil {
		return nil, errs[0]
	}
	return gs[0], nil
}

// submitSet runs the pipeline for a set of generations submitted together (a compare): all are
// checked, priced under one guard and inserted in one transaction — all or none — then each is
// sent to fal on its own (at once, each renewing its own lease). err refuses the whole set;
// errs[i] is run i's refusal by fal (that generation is listed as failed, the others go on).
// The runs of a set come through one request, so they share its token (Via).
func (s *Service) submitSet(ctx context.Context, caller *model.User, ins []SubmitInput) ([]*model.Generation, []error, error) {
	runs := make([]*prepared, len(ins))
	for i, in := range ins {
		p, err := s.prepare(ctx, caller, in)
		if err != nil {
			return nil, nil, runErr(len(ins), i, err)
		}
		runs[i] = p
	}
	key, err := s.keys.Of(caller)
	if err != nil {
		return nil, nil, err
	}
	if err := s.checkQuota(ctx, caller.ID); err != nil {
		return nil, nil, err
	}
	gs := make([]*model.Generation, len(runs))
	params := make([]map[string]any, len(runs))
	for i, p := range runs {
		// Every check passed: start and end frames go to fal storage now, so the stored
		// params show them.
		if err := s.uploadFrames(ctx, key.Reveal(), p.frames, p.g, p.params); err != nil {
			return nil, nil, runErr(len(runs), i, err)
		}
		gs[i], params[i] = p.g, p.params
	}
	var guard *store.BudgetGuard
	if s.opts.Budgets != nil {
		if guard, err = s.opts.Budgets.GuardSet(ctx, key.Reveal(), gs, params); err != nil {
			return nil, nil, err
		}
	}
	if via := ins[0].Via; via != nil {
		for _, g := range gs {
			g.TokenID, g.TokenName = via.TokenID, via.Name
		}
		if guard == nil {
			from, to := monthBounds(s.now())
			guard = &store.BudgetGuard{MonthStart: from, MonthEnd: to}
		}
		var capFn func(store.TokenSpend) error
		if s.opts.Budgets != nil {
			capFn = s.opts.Budgets.TokenCap(gs, via)
		}
		guard.Token = &store.TokenGuard{ID: via.TokenID, Window: time.Minute, Allow: tokenAllow(via, s.now, capFn)}
	}
	if err := s.st.InsertGenerations(ctx, gs, s.opts.Instance, s.opts.Lease, guard); err != nil {
		return nil, nil, err
	}
	errs := make([]error, len(runs))
	if len(runs) == 1 {
		errs[0] = s.send(ctx, caller, key.Reveal(), runs[0])
		return gs, errs, nil
	}
	var wg sync.WaitGroup
	for i, p := range runs {
		wg.Go(func() { errs[i] = s.send(ctx, caller, key.Reveal(), p) })
	}
	wg.Wait()
	return gs, errs, nil
}

// runErr names the run of a set that caused a refusal ("runs[2]: …").
func runErr(n, i int, err error) error {
	var me *model.Error
	if n > 1 && errors.As(err, &me) {
		return &model.Error{Code: me.Code, Message: fmt.Sprintf("runs[%d]: %s", i, me.Message), RetryAfter: me.RetryAfter}
	}
	return err
}

// send uploads a prepared generation's reference pictures and submits it to fal, then records
// the answer. Its error is fal's (or an upload's) refusal; the generation is then failed.
func (s *Service) send(ctx context.Context, caller *model.User, key string, p *prepared) error {
	g := p.g
	// The submit is sent once: fal has no idempotency key, so a retry could bill twice. It runs
	// detached from the request so a client hanging up cannot leave it half-recorded, and the
	// lease is renewed while fal answers, so no sweep calls a slow submit interrupted.
	sctx, cancel := context.WithTimeoutCause(context.WithoutCancel(ctx), submitTimeout, errors.New("fal did not answer the submit in time"))
	defer cancel()
	sub, subErr := s.runner.whileLeased(sctx, g.ID, func(ctx context.Context) (*fal.Submitted, error) {
		input, err := s.falInput(ctx, key, p)
		if err != nil {
			return nil, err
		}
		return s.fal.Submit(ctx, key, g.Model, input)
	})
	if subErr != nil {
		code, msg := Describe(subErr)
		s.runner.fail(sctx, g, code, msg)
		s.log.Info("submit refused by fal", "generation_id", g.ID, "user_id", caller.ID, "code", code)
		return subErr
	}
	status := model.StatusQueued
	if sub.Status == fal.StateInProgress {
		status = model.StatusRunning
	}
	// Polled at once without webhooks; with them, fal calls back and the poll is the fallback.
	next := s.now()
	if s.opts.Webhooks {
		next = next.Add(s.opts.FallbackPoll)
	}
	if err := s.st.MarkSubmittedDue(sctx, g.ID, s.opts.Instance, status, sub.RequestID, sub.QueuePosition, next); err != nil {
		// fal accepted (and may bill) a job the studio no longer tracks: say so loudly.
		s.log.Error("fal accepted a job whose row could not record it", "generation_id", g.ID, "fal_request_id", sub.RequestID, "err", err)
		return err
	}
	now := s.now()
	g.Status, g.FalRequestID, g.QueuePosition, g.LeaseOwner, g.LeaseUntil, g.UpdatedAt, g.NextPollAt = status, sub.RequestID, sub.QueuePosition, "", time.Time{}, now, next
	s.log.Info("generation submitted", "generation_id", g.ID, "user_id", caller.ID, "model", g.Model)
	s.journal.Changed(g.UserID, g.ID)
	s.runner.Wake()
	return nil
}

// localPrefix starts the model id of every job the studio runs itself.
const localPrefix = "studio/"

// submitLocal records a local job (a stitch): checked like any submit but with no policy, token
// model list or cap (it runs no model and costs nothing), then the storage quota, the one INSERT
// (cost 0, so no budget guard), queued at once and the runner woken. Nothing is sent to fal.
func (s *Service) submitLocal(ctx context.Context, caller *model.User, in SubmitInput) (*model.Generation, error) {
	p, err := s.prepare(ctx, caller, in)
	if err != nil {
		return nil, err
	}
	g := p.g
	if in.Via != nil {
		g.TokenID, g.TokenName = in.Via.TokenID, in.Via.Name
	}
	if err := s.checkQuota(ctx, caller.ID); err != nil {
		return nil, err
	}
	zero := 0.0
	g.CostUSD = &zero
	if err := s.st.InsertGeneration(ctx, g, s.opts.Instance, s.opts.Lease, nil); err != nil {
		return nil, err
	}
	if err := s.st.MarkSubmitted(context.WithoutCancel(ctx), g.ID, s.opts.Instance, model.StatusQueued, "", nil); err != nil {
		return nil, err
	}
	now := s.now()
	g.Status, g.LeaseOwner, g.LeaseUntil, g.UpdatedAt, g.NextPollAt = model.StatusQueued, "", time.Time{}, now, now
	s.log.Info("local job queued", "generation_id", g.ID, "user_id", caller.ID, "model", g.Model)
	s.journal.Changed(g.UserID, g.ID)
	s.runner.Wake()
	return g, nil
}

// ApplyPolicy is the policy step of the pipeline (SPEC §12.2) for a well-formed model id:
// model_not_allowed, prompt_blocked (audited when record), then the forced params over the
// person's. The estimate calls it too (record false), so it prices what would run.
func (s *Service) ApplyPolicy(ctx context.Context, caller *model.User, modelID, prompt string, params map[string]any, record bool) (map[string]any, error) {
	modelID = strings.TrimSpace(modelID)
	if s.opts.Policies == nil || !ValidModelID(modelID) {
		return params, nil // validate refuses a malformed id
	}
	p, err := s.opts.Policies.For(ctx, caller)
	if err != nil || p == nil {
		return params, err
	}
	return s.opts.Policies.Check(ctx, caller, p, modelID, prompt, params, record)
}

// tokenAllow is a token's rate limit (at most SubmitsPerMinute generations started in any 60
// seconds, counted in the database so every replica shares it), then its cap.
func tokenAllow(via *model.Via, now func() time.Time, capFn func(store.TokenSpend) error) func(store.TokenSpend) error {
	return func(ts store.TokenSpend) error {
		if via.SubmitsPerMinute > 0 && ts.Recent >= int64(via.SubmitsPerMinute) {
			wait := int(math.Ceil(ts.OldestRecent.Add(time.Minute).Sub(now()).Seconds()))
			e := model.Errf(model.CodeRateLimited, "This token may start %d generations a minute. Try again in %d seconds.", via.SubmitsPerMinute, max(wait, 1))
			e.RetryAfter = max(wait, 1)
			return e
		}
		if capFn != nil {
			return capFn(ts)
		}
		return nil
	}
}

// monthBounds is the calendar month (UTC) of t, as package cost counts budgets.
func monthBounds(t time.Time) (time.Time, time.Time) {
	t = t.UTC()
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 1, 0)
}

// validate checks a request and returns the generation to insert and its parameters (the
// prompt apart, as it is stored). lin is its resolved lineage; field is the model's reference
// field and extra how many pictures the studio adds to it (references, cast pictures): the
// field's arity is checked with them counted.
func validate(userID int64, in SubmitInput, lin *lineage, field *Reference, extra int) (*model.Generation, map[string]any, error) {
	in.Model = strings.TrimSpace(in.Model)
	in.Prompt = strings.TrimSpace(in.Prompt)
	if !ValidModelID(in.Model) {
		return nil, nil, model.Errf(model.CodeInvalidInput, "Choose a model, or enter a fal model id like fal-ai/flux/dev.")
	}
	if utf8.RuneCountInString(in.Prompt) > MaxPromptChars {
		return nil, nil, model.Errf(model.CodeInvalidInput, "The prompt is too long (at most %d characters).", MaxPromptChars)
	}
	m := modelByID(in.Model)
	if m != nil && m.PromptRequired && in.Prompt == "" {
		return nil, nil, model.Errf(model.CodeInvalidInput, "Write a prompt first.")
	}
	if len(in.Params) > MaxParams {
		return nil, nil, model.Errf(model.CodeInvalidInput, "Too many parameters (at most %d).", MaxParams)
	}
	params := maps.Clone(in.Params)
	if params == nil {
		params = map[string]any{}
	}
	delete(params, "prompt")
	if err := validateParams(m, params); err != nil {
		return nil, nil, err
	}
	switch {
	case extra > 0:
		if err := checkReferenceField(field, params, extra); err != nil {
			return nil, nil, err
		}
	case m != nil:
		if err := checkReferenceField(m.Reference, params, 0); err != nil {
			return nil, nil, err
		}
	}
	stored, err := json.Marshal(params)
	if err != nil || len(stored) > MaxParamsBytes {
		return nil, nil, model.Errf(model.CodeInvalidInput, "The parameters are too large.")
	}
	g := &model.Generation{ID: newID(), UserID: userID, Model: in.Model, Prompt: in.Prompt, Params: stored, GroupID: in.Group,
		CollectionID: strings.TrimSpace(in.CollectionID), Cast: []string{}, ReferenceAssetIDs: []string{}, Relation: lin.relation,
		ParentAssetID: lin.parent}
	for _, a := range lin.assets {
		g.ReferenceAssetIDs = append(g.ReferenceAssetIDs, a.ID)
	}
	return g, params, nil
}

// checkQuota refuses a submit once the person's storage quota is full.
func (s *Service) checkQuota(ctx context.Context, userID int64) error {
	if s.opts.StorageQuotaBytes <= 0 {
		return nil
	}
	used, err := s.st.UserBytes(ctx, userID)
	if err != nil {
		return err
	}
	if used >= s.opts.StorageQuotaBytes {
		return model.Errf(model.CodeQuotaExceeded, "Your storage quota (%d MB) is full. Delete some files from the gallery before generating more.", s.opts.StorageQuotaBytes>>20)
	}
	return nil
}

// validateParams checks the curated models' known parameters; fal validates the rest.
func validateParams(m *Model, p map[string]any) error {
	for k := range p {
		if k == "" || len(k) > 64 {
			return model.Errf(model.CodeInvalidInput, "A parameter name is empty or too long.")
		}
	}
	if m == nil {
		return nil
	}
	for _, d := range m.Params {
		v, ok := p[d.Name]
		if !ok || v == nil {
			continue
		}
		bad := func() error {
			return model.Errf(model.CodeInvalidInput, "%s: not a valid value for %s.", d.Name, m.Name)
		}
		switch d.Type {
		case "enum":
			if d.Name == "image_size" {
				if obj, ok := v.(map[string]any); ok { // fal also takes a custom {width, height}
					w, okW := number(obj["width"])
					h, okH := number(obj["height"])
					if !okW || !okH || len(obj) != 2 || w < 16 || h < 16 || w > 14142 || h > 14142 || w != float64(int64(w)) || h != float64(int64(h)) {
						return model.Errf(model.CodeInvalidInput, "image_size must be a preset or {width, height} in pixels.")
					}
					continue
				}
			}
			sv, ok := v.(string)
			if !ok {
				return bad()
			}
			found := false
			for _, o := range d.Options {
				found = found || o == sv
			}
			if !found {
				return bad()
			}
		case "integer", "number", "seed":
			n, ok := number(v)
			if !ok || (d.Type != "number" && n != float64(int64(n))) {
				return bad()
			}
			if (d.Min != nil && n < *d.Min) || (d.Max != nil && n > *d.Max) {
				return model.Errf(model.CodeInvalidInput, "%s must be between %g and %g.", d.Name, *d.Min, *d.Max)
			}
		case "boolean":
			if _, ok := v.(bool); !ok {
				return bad()
			}
		case "string":
			if sv, ok := v.(string); !ok || len(sv) > 4000 {
				return bad()
			}
		}
	}
	return nil
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}
