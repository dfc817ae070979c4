package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/cost"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/token"
)

// tokenJSON is exactly the SPEC §11 Token: never the secret or its hash.
type tokenJSON struct {
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	Scopes            []string   `json:"scopes"`
	MonthlyCapUSD     *float64   `json:"monthlyCapUsd"`
	SpentThisMonthUSD float64    `json:"spentThisMonthUsd"`
	Models            []string   `json:"models"`
	CreatedAt         time.Time  `json:"createdAt"`
	ExpiresAt         *time.Time `json:"expiresAt"`
	LastUsedAt        *time.Time `json:"lastUsedAt"`
	Prefix            string     `json:"prefix"`
}

func toTokenJSON(t *model.AccessToken, spent float64) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Scopes: t.Scopes, MonthlyCapUSD: t.MonthlyCapUSD, SpentThisMonthUSD: spent, Models: t.Models,
		CreatedAt: t.CreatedAt.UTC(), ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, Prefix: t.Prefix}
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	from, to := cost.MonthBounds(time.Now())
	list, err := s.Tokens.List(r.Context(), currentUser(r.Context()).ID, from, to)
	if err != nil {
		return err
	}
	out := make([]tokenJSON, 0, len(list))
	for _, t := range list {
		out = append(out, toTokenJSON(t.AccessToken, t.SpentThisMonthUSD))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name          *string  `json:"name"`
		Scopes        []string `json:"scopes"`
		MonthlyCapUSD *float64 `json:"monthlyCapUsd"`
		ExpiresAt     *string  `json:"expiresAt"`
		Models        []string `json:"models"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	ti := token.CreateInput{Scopes: in.Scopes, MonthlyCapUSD: in.MonthlyCapUSD, Models: in.Models}
	if in.Name != nil {
		ti.Name = *in.Name
	}
	if in.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(*in.ExpiresAt))
		if err != nil {
			return model.Errf(model.CodeInvalidInput, "expiresAt must be an RFC 3339 time such as 2030-01-31T00:00:00Z, or null.")
		}
		ti.ExpiresAt = &t
	}
	caller := currentUser(r.Context())
	b, err := s.Costs.Budget(r.Context(), caller.ID)
	if err != nil {
		return err
	}
	t, secret, err := s.Tokens.Create(r.Context(), caller, b.MonthlyUSD, ti)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": toTokenJSON(t, 0), "secret": secret})
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.Tokens.Revoke(r.Context(), currentUser(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
