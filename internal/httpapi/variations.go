package httpapi

import (
	"net/http"

	"github.com/falstudio/falstudio/internal/generation"
)

// createVariations answers a submit with "variations": every generation started (each its own
// job, one group), the first as "generation" like a single submit, and — when a later submit
// was refused — that refusal as "error" while the earlier ones keep running.
func (s *Server) createVariations(w http.ResponseWriter, r *http.Request, in generation.SubmitInput, v generation.Variations) error {
	res, err := s.Generations.SubmitVariations(r.Context(), currentUser(r.Context()), in, v)
	if err != nil {
		return err
	}
	views := generationViews(s.urls, res.Generations)
	body := map[string]any{"generation": views[0], "generations": views, "group": res.Group, "error": nil}
	if res.Err != nil {
		code, msg := generation.Describe(res.Err)
		body["error"] = errorDetail{Code: code, Message: msg}
	}
	writeJSON(w, http.StatusAccepted, body)
	return nil
}
