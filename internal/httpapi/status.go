package httpapi

import "net/http"

func (s *Server) getStatus(w http.ResponseWriter, r *http.Request) error {
	if s.Ping != nil {
		if err := s.Ping(r); err != nil {
			s.log.Error("status: database check failed", "err", err)
			errorJSON(w, http.StatusServiceUnavailable, "database_unavailable", "The database is not answering.")
			return nil
		}
	}
	// signupMode is what a visitor without an invite meets ("open" until the first account).
	mode, err := s.Accounts.EffectiveSignupMode(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "version": s.Version, "database": s.Database, "storage": s.Storage, "signupMode": mode,
		"ffmpeg": s.Library.VideoAvailable(), "oidc": s.oidcStatus(),
		"falWebhooks": s.Webhooks != nil})
	return nil
}
