// Package policy is what an admin lets a member generate (SPEC §12.2): the policies themselves
// (validated, stored, audited) and the rules the one submission pipeline applies — allowed
// models, blocked prompt terms, forced parameters — plus whether flagged outputs are hidden.
package policy

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Audit actions.
const (
	ActionCreate        = "policy.create"
	ActionUpdate        = "policy.update"
	ActionDelete        = "policy.delete"
	ActionAssign        = "policy.assign"
	ActionPromptBlocked = "policy.prompt_blocked"
)

// Limits (SPEC §12.2).
const (
	maxName         = 100
	maxForced       = 32
	maxForcedBytes  = 16 << 10
	maxModels       = 200
	maxModelIDBytes = 200
	maxTerms        = 500
	maxTerm         = 100
)

var paramName = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// Service keeps the policies.
type Service struct {
	st    *store.Store
	audit *audit.Log
}

// New builds the service; audit nil records nothing.
func New(st *store.Store, a *audit.Log) *Service { return &Service{st: st, audit: a} }

// For is the policy that binds the caller now: nil for an admin or a member without one.
func (s *Service) For(ctx context.Context, u *model.User) (*model.Policy, error) {
	if s == nil || u == nil || u.IsAdmin() || u.PolicyID == "" {
		return nil, nil
	}
	p, err := s.st.PolicyByID(ctx, u.PolicyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return p, err
}

// HidesFlagged reports whether the person is bound now by a policy with hideFlagged.
func (s *Service) HidesFlagged(ctx context.Context, userID int64) (bool, error) {
	u, err := s.st.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	p, err := s.For(ctx, u)
	return p != nil && p.HideFlagged, err
}

// Input is a policy as an admin sends it; nil fields are not given.
type Input struct {
	Name          *string
	ForcedParams  *json.RawMessage
	AllowedModels *json.RawMessage
	BlockedTerms  *json.RawMessage
	HideFlagged   *bool
}

func invalid(msg string) error { return model.Errf(model.CodeInvalidInput, "%s", msg) }

// apply validates the given fields onto p.
func apply(p *model.Policy, in Input) error {
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" || utf8.RuneCountInString(name) > maxName || model.HasInvisible(name, false) {
			return invalid("The name must be 1 to 100 characters.")
		}
		p.Name = name
	}
	if in.ForcedParams != nil {
		raw := *in.ForcedParams
		if len(raw) > maxForcedBytes {
			return invalid("forcedParams is too large (at most 16 KiB).")
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil || m == nil || string(raw) == "null" {
			return invalid("forcedParams must be an object of parameter names and values.")
		}
		if len(m) > maxForced {
			return invalid("forcedParams has too many keys (at most 32).")
		}
		for k := range m {
			if !paramName.MatchString(k) || k == "prompt" {
				return invalid("A forced parameter name must be 1–64 letters, digits or _ (and not prompt).")
			}
		}
		p.ForcedParams = m
	}
	if in.AllowedModels != nil {
		raw := *in.AllowedModels
		if string(raw) == "null" {
			p.AllowedModels = nil
		} else {
			var ids []string
			if err := json.Unmarshal(raw, &ids); err != nil || ids == nil {
				return invalid("allowedModels must be null or a list of model ids.")
			}
			if len(ids) == 0 || len(ids) > maxModels {
				return invalid("allowedModels must list 1 to 200 models (null allows every model).")
			}
			seen := map[string]bool{}
			for _, id := range ids {
				if id == "" || len(id) > maxModelIDBytes || strings.TrimSpace(id) != id || !utf8.ValidString(id) || model.HasInvisible(id, false) || seen[id] {
					return invalid("allowedModels must list distinct, non-empty model ids.")
				}
				seen[id] = true
			}
			p.AllowedModels = ids
		}
	}
	if in.BlockedTerms != nil {
		var terms []string
		if err := json.Unmarshal(*in.BlockedTerms, &terms); err != nil || terms == nil {
			return invalid("blockedTerms must be a list of words or phrases.")
		}
		if len(terms) > maxTerms {
			return invalid("blockedTerms has too many entries (at most 500).")
		}
		out := make([]string, 0, len(terms))
		for _, t := range terms {
			t = strings.TrimSpace(t)
			if t == "" || utf8.RuneCountInString(t) > maxTerm || model.HasInvisible(t, false) {
				return invalid("Each blocked term must be 1 to 100 characters.")
			}
			out = append(out, t)
		}
		p.BlockedTerms = out
	}
	if in.HideFlagged != nil {
		p.HideFlagged = *in.HideFlagged
	}
	return nil
}

// List is every policy by name.
func (s *Service) List(ctx context.Context) ([]*model.Policy, error) { return s.st.Policies(ctx) }

// Get is one policy.
func (s *Service) Get(ctx context.Context, id string) (*model.Policy, error) {
	return s.st.PolicyByID(ctx, id)
}

var errNameTaken = model.Errf(model.CodeNameTaken, "A policy with this name already exists.")

// Create validates and stores a new policy.
func (s *Service) Create(ctx context.Context, actor *model.User, in Input) (*model.Policy, error) {
	if in.Name == nil {
		return nil, invalid("Give the policy a name.")
	}
	p := &model.Policy{ID: rand.Text(), ForcedParams: map[string]any{}, BlockedTerms: []string{}}
	if err := apply(p, in); err != nil {
		return nil, err
	}
	if err := s.st.InsertPolicy(ctx, p); errors.Is(err, store.ErrConflict) {
		return nil, errNameTaken
	} else if err != nil {
		return nil, err
	}
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(actor), Action: ActionCreate, Target: target(p.ID), Detail: map[string]any{"name": p.Name}})
	return p, nil
}

// Update replaces the given fields, each whole.
func (s *Service) Update(ctx context.Context, actor *model.User, id string, in Input) (*model.Policy, error) {
	p, err := s.st.PolicyByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := apply(p, in); err != nil {
		return nil, err
	}
	if err := s.st.UpdatePolicy(ctx, p); errors.Is(err, store.ErrConflict) {
		return nil, errNameTaken
	} else if err != nil {
		return nil, err
	}
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(actor), Action: ActionUpdate, Target: target(p.ID), Detail: map[string]any{"name": p.Name}})
	return s.st.PolicyByID(ctx, id)
}

// Delete removes a policy no account has.
func (s *Service) Delete(ctx context.Context, actor *model.User, id string) error {
	err := s.st.DeletePolicy(ctx, id)
	if errors.Is(err, store.ErrPolicyInUse) {
		return model.Errf(model.CodePolicyInUse, "Some people have this policy. Assign them another one (or none) first.")
	}
	if err != nil {
		return err
	}
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(actor), Action: ActionDelete, Target: target(id)})
	return nil
}

// Assign gives a person a policy ("" for none).
func (s *Service) Assign(ctx context.Context, actor *model.User, userID int64, policyID string) error {
	if err := s.st.SetUserPolicy(ctx, userID, policyID); err != nil {
		if errors.Is(err, store.ErrNotFound) && policyID != "" {
			if _, uerr := s.st.UserByID(ctx, userID); uerr == nil {
				return invalid("policyId names no policy.")
			}
		}
		return err
	}
	detail := map[string]any{"policy": nil}
	if policyID != "" {
		detail["policy"] = policyID
	}
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(actor), Action: ActionAssign, Target: audit.User(userID), Detail: detail})
	return nil
}

func target(id string) *audit.Target { return &audit.Target{Type: "policy", ID: id} }

// Allows reports whether the policy lets the model be used (nil allows every model).
func Allows(p *model.Policy, modelID string) bool {
	return p == nil || p.AllowedModels == nil || slices.Contains(p.AllowedModels, modelID)
}

// Blocked is the first blocked term the prompt holds as a whole word (any case, every run of
// whitespace one space), "" for none.
func Blocked(p *model.Policy, prompt string) string {
	if p == nil || len(p.BlockedTerms) == 0 || prompt == "" {
		return ""
	}
	hay := []rune(fold(prompt))
	for _, term := range p.BlockedTerms {
		needle := []rune(fold(term))
		if len(needle) == 0 {
			continue
		}
		for i := 0; i+len(needle) <= len(hay); i++ {
			if !slices.Equal(hay[i:i+len(needle)], needle) {
				continue
			}
			if (i == 0 || !wordRune(hay[i-1])) && (i+len(needle) == len(hay) || !wordRune(hay[i+len(needle)])) {
				return term
			}
		}
	}
	return ""
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// fold lower-cases and makes every run of whitespace one space.
func fold(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// Check is the pipeline's policy step (SPEC §12.2), in order: the model, the blocked terms, then
// the forced params replacing (or adding) the person's. It answers the params to validate and
// send. record audits a blocked submit (an estimate is not audited).
func (s *Service) Check(ctx context.Context, caller *model.User, p *model.Policy, modelID, prompt string, params map[string]any, record bool) (map[string]any, error) {
	if p == nil {
		return params, nil
	}
	if !Allows(p, modelID) {
		return nil, model.Errf(model.CodeModelNotAllowed, "Your policy (%s) does not allow this model.", p.Name)
	}
	if term := Blocked(p, prompt); term != "" {
		if record {
			s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(caller), Action: ActionPromptBlocked, Target: audit.User(caller.ID),
				Detail: map[string]any{"term": term, "model": modelID, "policy": p.ID}})
		}
		return nil, model.Errf(model.CodePromptBlocked, "The prompt contains %q, which your policy (%s) does not allow.", term, p.Name)
	}
	if len(p.ForcedParams) == 0 {
		return params, nil
	}
	out := make(map[string]any, len(params)+len(p.ForcedParams))
	for k, v := range params {
		out[k] = v
	}
	for k, v := range p.ForcedParams {
		out[k] = v
	}
	return out, nil
}
