package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/falstudio/falstudio/internal/preset"
)

func (s *Server) listPresets(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Presets.List(r.Context(), currentUser(r.Context()).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"presets": list})
	return nil
}

func (s *Server) createPreset(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name   string          `json:"name"`
		Model  string          `json:"model"`
		Params json.RawMessage `json:"params"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Presets.Create(r.Context(), currentUser(r.Context()).ID, preset.Input{Name: in.Name, Model: in.Model, Params: in.Params})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"preset": p})
	return nil
}

func (s *Server) updatePreset(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name   *string         `json:"name"`
		Model  *string         `json:"model"`
		Params json.RawMessage `json:"params"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Presets.Update(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"), preset.Patch{Name: in.Name, Model: in.Model, Params: in.Params})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"preset": p})
	return nil
}

func (s *Server) deletePreset(w http.ResponseWriter, r *http.Request) error {
	if err := s.Presets.Delete(r.Context(), currentUser(r.Context()).ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
