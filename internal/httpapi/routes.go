package httpapi

import "net/http"

// routes is the whole route table.
func (s *Server) routes(mux *http.ServeMux) {
	mux.Handle("GET /api/status", s.adapt(s.getStatus))

	mux.Handle("POST /api/auth/signup", s.adapt(s.signup))
	mux.Handle("POST /api/auth/login", s.adapt(s.login))
	mux.Handle("POST /api/auth/logout", s.authed(s.logout))

	mux.Handle("GET /api/me", s.authed(s.getMe))
	mux.Handle("PUT /api/me/password", s.authed(s.changePassword))
	mux.Handle("PUT /api/me/fal-key", s.authed(s.putFalKey))
	mux.Handle("DELETE /api/me/fal-key", s.authed(s.deleteFalKey))

	s.extraRoutes(mux)

	// Unknown API paths answer JSON, not the SPA.
	mux.Handle("/api/", s.adapt(func(w http.ResponseWriter, r *http.Request) error {
		errorJSON(w, http.StatusNotFound, "not_found", "No such API route.")
		return nil
	}))
	mux.Handle("/", s.spa())
}
