package httpapi

import "net/http"

// getFalCredits reads the balance with the user's own key.
func (s *Server) getFalCredits(w http.ResponseWriter, r *http.Request) error {
	// The session's read of the user already holds the sealed key: no second read.
	key, err := s.FalKeys.Of(currentUser(r.Context()))
	if err != nil {
		return err
	}
	c, err := s.Fal.Credits(r.Context(), key.Reveal())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"balance": c.Balance, "currency": c.Currency})
	return nil
}
