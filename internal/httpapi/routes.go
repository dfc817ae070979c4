package httpapi

import "net/http"

// routes is the whole route table.
func (s *Server) routes(mux *http.ServeMux) {
	mux.Handle("GET /api/status", s.adapt(s.getStatus))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.Metrics != nil && s.cfg.MetricsToken != "" { // otherwise only on METRICS_ADDR, if set
		mux.Handle("GET /metrics", s.metricsWithToken())
	}

	mux.Handle("POST /api/auth/signup", s.adapt(s.signup))
	mux.Handle("POST /api/auth/login", s.adapt(s.login))
	mux.Handle("POST /api/auth/logout", s.authed(s.logout))

	mux.Handle("GET /api/me", s.authed(s.getMe))
	mux.Handle("PUT /api/me/password", s.authed(s.changePassword))
	mux.Handle("PUT /api/me/fal-key", s.authed(s.putFalKey))
	mux.Handle("DELETE /api/me/fal-key", s.authed(s.deleteFalKey))
	mux.Handle("DELETE /api/me", s.authed(s.deleteMe))
	mux.Handle("POST /api/auth/reset", s.adapt(s.resetPassword))
	mux.Handle("POST /api/auth/invite", s.adapt(s.checkInvite))

	mux.Handle("GET /api/admin/users", s.admin(s.listAdminUsers))
	mux.Handle("PATCH /api/admin/users/{id}", s.admin(s.patchAdminUser))
	mux.Handle("DELETE /api/admin/users/{id}", s.admin(s.deleteAdminUser))
	mux.Handle("POST /api/admin/users/{id}/password-reset", s.admin(s.createPasswordReset))
	mux.Handle("GET /api/admin/invites", s.admin(s.listInvites))
	mux.Handle("POST /api/admin/invites", s.admin(s.createInvite))
	mux.Handle("DELETE /api/admin/invites/{id}", s.admin(s.revokeInvite))
	mux.Handle("GET /api/admin/audit", s.admin(s.listAudit))
	mux.Handle("GET /api/admin/users/{id}/shares", s.admin(s.listUserShares))
	mux.Handle("DELETE /api/admin/shares/{id}", s.admin(s.revokeAnyShare))

	mux.Handle("GET /api/me/fal-credits", s.authed(s.getFalCredits))
	mux.Handle("PUT /api/me/budget", s.authed(s.putBudget))
	mux.Handle("GET /api/me/usage", s.authed(s.getMyUsage))
	mux.Handle("GET /api/admin/usage", s.admin(s.getAdminUsage))
	mux.Handle("GET /api/models", s.authed(s.getModels))
	mux.Handle("GET /api/models/search", s.authed(s.searchModels))
	mux.Handle("GET /api/models/schema", s.authed(s.modelSchema))
	mux.Handle("POST /api/uploads", s.authed(s.createUpload))
	mux.Handle("POST /api/generations", s.authed(s.createGeneration))
	mux.Handle("POST /api/generations/estimate", s.authed(s.estimateGeneration))
	mux.Handle("GET /api/generations", s.authed(s.listGenerations))
	mux.Handle("GET /api/generations/{id}", s.authed(s.getGeneration))
	mux.Handle("GET /api/generations/{id}/events", s.authed(s.generationEvents))
	mux.Handle("POST /api/generations/{id}/cancel", s.authed(s.cancelGeneration))
	mux.Handle("GET /api/assets", s.authed(s.conditionalList(s.listAssets)))
	mux.Handle("GET /api/assets/{id}", s.authed(s.getAsset))
	mux.Handle("DELETE /api/assets/{id}", s.authed(s.deleteAsset))
	mux.Handle("GET /media/{id}", s.authed(s.serveMedia))
	mux.Handle("GET /media/{id}/thumb", s.authed(s.serveThumb))

	// The library (SPEC §8).
	mux.Handle("PUT /api/assets/{id}/favorite", s.authed(s.favoriteAsset))
	mux.Handle("DELETE /api/assets/{id}/favorite", s.authed(s.favoriteAsset))
	mux.Handle("POST /api/assets/bulk-delete", s.authed(s.bulkDeleteAssets))
	mux.Handle("POST /api/assets/bulk-favorite", s.authed(s.bulkFavoriteAssets))
	mux.Handle("GET /api/collections", s.authed(s.listCollections))
	mux.Handle("POST /api/collections", s.authed(s.createCollection))
	mux.Handle("PATCH /api/collections/{id}", s.authed(s.updateCollection))
	mux.Handle("DELETE /api/collections/{id}", s.authed(s.deleteCollection))
	mux.Handle("POST /api/collections/{id}/assets", s.authed(s.collectionAssets))
	mux.Handle("DELETE /api/collections/{id}/assets", s.authed(s.collectionAssets))
	mux.Handle("GET /api/export.zip", s.authed(s.exportZip))
	mux.Handle("GET /api/shares", s.authed(s.listShares))
	mux.Handle("POST /api/shares", s.authed(s.createShare))
	mux.Handle("DELETE /api/shares/{id}", s.authed(s.deleteShare))
	// Public share links: no session; /s/{token} itself is the SPA's read-only page.
	mux.Handle("GET /api/s/{token}", s.adapt(s.limitShares(s.publicShare)))
	mux.Handle("GET /s/{token}/media/{assetId}", s.adapt(s.limitShares(s.publicShareMedia)))

	mux.Handle("GET /api/events", s.authed(s.userEvents))
	mux.Handle("GET /api/presets", s.authed(s.listPresets))
	mux.Handle("POST /api/presets", s.authed(s.createPreset))
	mux.Handle("PATCH /api/presets/{id}", s.authed(s.updatePreset))
	mux.Handle("DELETE /api/presets/{id}", s.authed(s.deletePreset))

	// Web Push (SPEC §16.3).
	mux.Handle("GET /api/push/key", s.adapt(s.getPushKey))
	mux.Handle("POST /api/push/subscriptions", s.authed(s.createPushSubscription))
	mux.Handle("GET /api/push/subscriptions", s.authed(s.listPushSubscriptions))
	mux.Handle("DELETE /api/push/subscriptions/{id}", s.authed(s.deletePushSubscription))
	mux.Handle("GET /api/me/notifications", s.authed(s.getNotifications))
	mux.Handle("PUT /api/me/notifications", s.authed(s.putNotifications))

	// The share target (SPEC §16.2).
	mux.HandleFunc("POST /share-target", s.shareTarget)
	mux.Handle("POST /api/shared/claim", s.authed(s.claimShared))
	mux.Handle("GET /api/shared", s.authed(s.listShared))
	mux.Handle("GET /api/shared/{id}", s.authed(s.getShared))
	mux.Handle("GET /api/shared/{id}/file", s.authed(s.serveSharedFile))
	mux.Handle("DELETE /api/shared/{id}", s.authed(s.deleteShared))
	mux.Handle("POST /api/shared/{id}/import", s.authed(s.importShared))

	// Unknown API paths answer JSON, not the SPA.
	// A known path asked with another method answers 405 (JSON) instead of the catch-alls.
	mux.Handle("/api/", methodNotAllowed(mux, s.adapt(func(w http.ResponseWriter, r *http.Request) error {
		errorJSON(w, http.StatusNotFound, "not_found", "No such API route.")
		return nil
	})))
	mux.Handle("/", methodNotAllowed(mux, s.spa()))
}
