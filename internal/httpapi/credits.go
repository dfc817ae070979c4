package httpapi

import "net/http"

// getFalCredits reads the balance with the user's own key.
func (s *Server) getFalCredits(w http.ResponseWriter, r *http.Request) error {
	key, err := s.Accounts.FalKey(r.Context(), currentUser(r.Context()).ID)
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
