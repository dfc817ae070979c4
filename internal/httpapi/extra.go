package httpapi

import "net/http"

func (s *Server) extraRoutes(mux *http.ServeMux) {}
