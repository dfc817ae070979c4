package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/policy"
)

// policyAdminJSON is the SPEC §12.2 Policy, as admins see it.
type policyAdminJSON struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	ForcedParams  map[string]any `json:"forcedParams"`
	AllowedModels []string       `json:"allowedModels"`
	BlockedTerms  []string       `json:"blockedTerms"`
	HideFlagged   bool           `json:"hideFlagged"`
	UserCount     int64          `json:"userCount"`
	CreatedAt     time.Time      `json:"createdAt"`
	UpdatedAt     time.Time      `json:"updatedAt"`
}

func toPolicyAdminJSON(p *model.Policy) policyAdminJSON {
	return policyAdminJSON{ID: p.ID, Name: p.Name, ForcedParams: p.ForcedParams, AllowedModels: p.AllowedModels, BlockedTerms: p.BlockedTerms,
		HideFlagged: p.HideFlagged, UserCount: p.UserCount, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// policyJSON is GET /api/me's "policy": never the blocked terms.
type policyJSON struct {
	Name          string         `json:"name"`
	ForcedParams  map[string]any `json:"forcedParams"`
	AllowedModels []string       `json:"allowedModels"`
	HideFlagged   bool           `json:"hideFlagged"`
}

// myPolicy is the policy binding the caller now (nil for admins and unbound members).
func (s *Server) myPolicy(ctx context.Context, me *model.User) (*policyJSON, error) {
	p, err := s.Policies.For(ctx, me)
	if err != nil || p == nil {
		return nil, err
	}
	return &policyJSON{Name: p.Name, ForcedParams: p.ForcedParams, AllowedModels: p.AllowedModels, HideFlagged: p.HideFlagged}, nil
}

// policyBody is a create or update body: every field optional, unknown ones refused.
type policyBody struct {
	Name          optionalRaw `json:"name"`
	ForcedParams  optionalRaw `json:"forcedParams"`
	AllowedModels optionalRaw `json:"allowedModels"`
	BlockedTerms  optionalRaw `json:"blockedTerms"`
	HideFlagged   optionalRaw `json:"hideFlagged"`
}

// optionalRaw is a field as sent, null included (a null name, forcedParams or blockedTerms is
// another type: refused).
type optionalRaw struct {
	Set bool
	Raw json.RawMessage
}

func (o *optionalRaw) UnmarshalJSON(b []byte) error {
	o.Set, o.Raw = true, append(json.RawMessage(nil), b...)
	return nil
}

func (o optionalRaw) ptr() *json.RawMessage {
	if !o.Set {
		return nil
	}
	return &o.Raw
}

func (b policyBody) input() (policy.Input, error) {
	in := policy.Input{ForcedParams: b.ForcedParams.ptr(), AllowedModels: b.AllowedModels.ptr(), BlockedTerms: b.BlockedTerms.ptr()}
	if b.Name.Set {
		var name string
		if err := json.Unmarshal(b.Name.Raw, &name); err != nil || string(b.Name.Raw) == "null" {
			return in, model.Errf(model.CodeInvalidInput, "The name must be a string.")
		}
		in.Name = &name
	}
	if b.HideFlagged.Set {
		var hide bool
		if err := json.Unmarshal(b.HideFlagged.Raw, &hide); err != nil || string(b.HideFlagged.Raw) == "null" {
			return in, model.Errf(model.CodeInvalidInput, "hideFlagged must be true or false.")
		}
		in.HideFlagged = &hide
	}
	return in, nil
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.Policies.List(r.Context())
	if err != nil {
		return err
	}
	out := make([]policyAdminJSON, len(ps))
	for i, p := range ps {
		out[i] = toPolicyAdminJSON(p)
	}
	writeJSON(w, http.StatusOK, map[string]any{"policies": out})
	return nil
}

func (s *Server) createPolicy(w http.ResponseWriter, r *http.Request) error {
	var in policyBody
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	pin, err := in.input()
	if err != nil {
		return err
	}
	p, err := s.Policies.Create(r.Context(), currentUser(r.Context()), pin)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"policy": toPolicyAdminJSON(p)})
	return nil
}

func (s *Server) updatePolicy(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := s.Policies.Get(r.Context(), id); err != nil {
		return err
	}
	var in policyBody
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	pin, err := in.input()
	if err != nil {
		return err
	}
	p, err := s.Policies.Update(r.Context(), currentUser(r.Context()), id, pin)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"policy": toPolicyAdminJSON(p)})
	return nil
}

func (s *Server) deletePolicy(w http.ResponseWriter, r *http.Request) error {
	if err := s.Policies.Delete(r.Context(), currentUser(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// optionalString tells an absent field (Set false) from null (Set, Value "") and a string.
type optionalString struct {
	Set   bool
	Value string
}

func (o *optionalString) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Value = ""
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// allowedModel refuses a model the caller's policy does not allow (model_not_allowed).
func (s *Server) allowedModel(ctx context.Context, me *model.User, id string) error {
	p, err := s.Policies.For(ctx, me)
	if err != nil {
		return err
	}
	if !policy.Allows(p, id) {
		return model.Errf(model.CodeModelNotAllowed, "Your policy (%s) does not allow this model.", p.Name)
	}
	return nil
}
