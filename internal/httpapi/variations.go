package httpapi

import (
	"net/http"

	"github.com/falstudio/falstudio/internal/generation"
)

// createVariations answers a submit with "variations" once the first is submitted: it as
// "generation" like a single submit and as the one entry of "generations", with the group; the
// rest are submitted in the background (each its own job in the group) and arrive on the event
// stream. "error" is set only when the rest could not be started at all (the studio stopping).
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
