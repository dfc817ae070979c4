package httpapi

import "net/http"

func (s *Server) getOpenAPI(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"openapi": "3.1.0"})
	return nil
}
