package httpapi

import "net/http"

func (s *Server) mcpHandler() http.Handler {
	return http.NotFoundHandler()
}
