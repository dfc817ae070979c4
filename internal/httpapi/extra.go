package httpapi

import "net/http"

func (s *Server) extraRoutes(mux *http.ServeMux) {
	mux.Handle("GET /api/me/fal-credits", s.authed(s.getFalCredits))
	mux.Handle("GET /api/models", s.authed(s.getModels))
	mux.Handle("POST /api/uploads", s.authed(s.createUpload))
	mux.Handle("POST /api/generations", s.authed(s.createGeneration))
	mux.Handle("GET /api/generations", s.authed(s.listGenerations))
	mux.Handle("GET /api/generations/{id}", s.authed(s.getGeneration))
	mux.Handle("GET /api/generations/{id}/events", s.authed(s.generationEvents))
	mux.Handle("POST /api/generations/{id}/cancel", s.authed(s.cancelGeneration))
	mux.Handle("GET /api/assets", s.authed(s.listAssets))
	mux.Handle("GET /api/assets/{id}", s.authed(s.getAsset))
	mux.Handle("DELETE /api/assets/{id}", s.authed(s.deleteAsset))
	mux.Handle("GET /media/{id}", s.authed(s.serveMedia))
}
