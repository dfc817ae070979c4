package httpapi

import "net/http"

// enhancePrompt rewrites a prompt for the model it is meant for (SPEC §14).
func (s *Server) enhancePrompt(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Prompt string `json:"prompt"`
		Model  string `json:"model"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	res, err := s.Enhancer.Enhance(r.Context(), currentUser(r.Context()), in.Prompt, in.Model)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"prompt": res.Prompt, "costUsd": res.CostUSD})
	return nil
}
