package httpapi

import (
	"net/http"

	"github.com/falstudio/falstudio/internal/model"
)

// routeMux registers routes; the server's ServeMux in routes, a recorder in the OpenAPI
// document and its test (openapi.go), so both walk the one table below.
type routeMux struct {
	handle func(pattern string, h http.Handler)
}

func (m routeMux) Handle(pattern string, h http.Handler) { m.handle(pattern, h) }
func (m routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.handle(pattern, http.HandlerFunc(h))
}

// routes is the route table and the catch-alls after it.
func (s *Server) routes(mux *http.ServeMux) {
	s.routeTable(routeMux{handle: mux.Handle})
	// Unknown API paths answer JSON, not the SPA.
	// A known path asked with another method answers 405 (JSON) instead of the catch-alls.
	mux.Handle("/api/", methodNotAllowed(mux, s.adapt(func(w http.ResponseWriter, r *http.Request) error {
		errorJSON(w, http.StatusNotFound, "not_found", "No such API route.")
		return nil
	})))
	mux.Handle("/", methodNotAllowed(mux, s.spa()))
}

// routeTable is the whole route table. s.authed routes take a cookie session only; s.scoped
// ones also a personal access token with one of the scopes named (SPEC §11).
func (s *Server) routeTable(mux routeMux) {
	mux.Handle("GET /api/status", s.adapt(s.getStatus))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.Metrics != nil && s.cfg.MetricsToken != "" { // otherwise only on METRICS_ADDR, if set
		mux.Handle("GET /metrics", s.metricsWithToken())
	}

	mux.Handle("POST /api/auth/signup", s.noTokens(s.adapt(s.signup)))
	mux.Handle("POST /api/auth/login", s.noTokens(s.adapt(s.login)))
	mux.Handle("POST /api/auth/logout", s.authed(s.logout))

	if s.SSO != nil { // without OIDC_ISSUER these fall to the /api/ catch-all: 404 not_found
		mux.Handle("GET /api/auth/oidc/start", s.noTokens(s.adapt(s.oidcStart)))
		mux.Handle("GET /api/auth/oidc/callback", s.noTokens(s.adapt(s.oidcCallback)))
		mux.Handle("POST /api/me/oidc/link", s.authed(s.oidcLink))
		mux.Handle("DELETE /api/me/oidc", s.authed(s.oidcUnlink))
	}

	mux.Handle("GET /api/me", s.scoped(s.getMe))
	mux.Handle("PUT /api/me/password", s.authed(s.changePassword))
	mux.Handle("PUT /api/me/fal-key", s.authed(s.putFalKey))
	mux.Handle("DELETE /api/me/fal-key", s.authed(s.deleteFalKey))
	mux.Handle("DELETE /api/me", s.authed(s.deleteMe))
	mux.Handle("GET /api/me/preferences", s.authed(s.getPreferences))
	mux.Handle("PUT /api/me/preferences", s.authed(s.putPreferences))
	mux.Handle("POST /api/auth/reset", s.noTokens(s.adapt(s.resetPassword)))
	mux.Handle("POST /api/auth/invite", s.noTokens(s.adapt(s.checkInvite)))

	mux.Handle("GET /api/admin/users", s.admin(s.listAdminUsers))
	mux.Handle("PATCH /api/admin/users/{id}", s.admin(s.patchAdminUser))
	mux.Handle("DELETE /api/admin/users/{id}", s.admin(s.deleteAdminUser))
	mux.Handle("POST /api/admin/users/{id}/password-reset", s.admin(s.createPasswordReset))
	mux.Handle("GET /api/admin/invites", s.admin(s.listInvites))
	mux.Handle("POST /api/admin/invites", s.admin(s.createInvite))
	mux.Handle("DELETE /api/admin/invites/{id}", s.admin(s.revokeInvite))
	mux.Handle("GET /api/admin/audit", s.admin(s.listAudit))
	mux.Handle("GET /api/admin/policies", s.admin(s.listPolicies))
	mux.Handle("POST /api/admin/policies", s.admin(s.createPolicy))
	mux.Handle("PATCH /api/admin/policies/{id}", s.admin(s.updatePolicy))
	mux.Handle("DELETE /api/admin/policies/{id}", s.admin(s.deletePolicy))
	mux.Handle("GET /api/admin/users/{id}/shares", s.admin(s.listUserShares))
	mux.Handle("DELETE /api/admin/shares/{id}", s.admin(s.revokeAnyShare))

	mux.Handle("GET /api/me/fal-credits", s.authed(s.getFalCredits))
	mux.Handle("PUT /api/me/budget", s.authed(s.putBudget))
	mux.Handle("GET /api/me/usage", s.authed(s.getMyUsage))
	mux.Handle("GET /api/admin/usage", s.admin(s.getAdminUsage))
	mux.Handle("GET /api/models", s.scoped(s.getModels, model.ScopeGenerate))
	mux.Handle("GET /api/models/search", s.scoped(s.searchModels, model.ScopeGenerate))
	mux.Handle("GET /api/models/schema", s.scoped(s.modelSchema, model.ScopeGenerate))
	mux.Handle("POST /api/uploads", s.scoped(s.createUpload, model.ScopeGenerate))
	mux.Handle("POST /api/generations", s.scoped(s.createGeneration, model.ScopeGenerate))
	mux.Handle("POST /api/generations/estimate", s.scoped(s.estimateGeneration, model.ScopeGenerate))
	mux.Handle("GET /api/generations", s.scoped(s.listGenerations, model.ScopeGenerate))
	mux.Handle("GET /api/generations/{id}", s.scoped(s.getGeneration, model.ScopeGenerate))
	mux.Handle("GET /api/generations/{id}/events", s.scoped(s.generationEvents, model.ScopeGenerate))
	mux.Handle("POST /api/generations/{id}/cancel", s.scoped(s.cancelGeneration, model.ScopeGenerate))
	mux.Handle("GET /api/assets", s.scoped(s.conditionalList(s.listAssets), model.ScopeLibraryRead))
	mux.Handle("GET /api/assets/{id}", s.scoped(s.getAsset, model.ScopeLibraryRead))
	mux.Handle("DELETE /api/assets/{id}", s.scoped(s.deleteAsset, model.ScopeLibraryWrite))
	mux.Handle("GET /api/assets/{id}/lineage", s.scoped(s.assetLineage, model.ScopeLibraryRead))
	mux.Handle("GET /media/{id}", s.scoped(s.serveMedia, model.ScopeGenerate, model.ScopeLibraryRead))
	mux.Handle("GET /media/{id}/thumb", s.scoped(s.serveThumb, model.ScopeGenerate, model.ScopeLibraryRead))

	// Video continuity (SPEC §15).
	mux.Handle("POST /api/assets/{id}/frame", s.scoped(s.grabFrame, model.ScopeLibraryWrite))
	mux.Handle("GET /api/assets/{id}/filmstrip", s.scoped(s.getFilmstrip, model.ScopeLibraryRead))
	mux.Handle("GET /media/{id}/filmstrip/{count}", s.scoped(s.serveFilmstrip, model.ScopeLibraryRead))
	mux.Handle("POST /api/stitch", s.scoped(s.createStitch, model.ScopeGenerate))
	mux.Handle("POST /api/assets/{id}/extend", s.scoped(s.extendAsset, model.ScopeGenerate))
	mux.Handle("POST /api/assets/import", s.scoped(s.importImage, model.ScopeLibraryWrite))

	// Studio power (SPEC §14): compare, derive and enhance run jobs (generate); the cast is
	// managed from the browser (its members still fill references in any submit).
	mux.Handle("POST /api/compare", s.scoped(s.createCompare, model.ScopeGenerate))
	mux.Handle("GET /api/compare/{group}", s.scoped(s.getCompare, model.ScopeGenerate))
	mux.Handle("POST /api/assets/{id}/derive", s.scoped(s.deriveAsset, model.ScopeGenerate))
	mux.Handle("POST /api/prompts/enhance", s.scoped(s.enhancePrompt, model.ScopeGenerate))
	mux.Handle("GET /api/cast", s.authed(s.listCast))
	mux.Handle("POST /api/cast", s.authed(s.createCast))
	mux.Handle("GET /api/cast/{id}", s.authed(s.getCast))
	mux.Handle("PATCH /api/cast/{id}", s.authed(s.patchCast))
	mux.Handle("DELETE /api/cast/{id}", s.authed(s.deleteCast))
	mux.Handle("GET /api/cast/{id}/images/{imageId}", s.authed(s.serveCastImage))

	// The library (SPEC §8).
	mux.Handle("PUT /api/assets/{id}/favorite", s.scoped(s.favoriteAsset, model.ScopeLibraryWrite))
	mux.Handle("DELETE /api/assets/{id}/favorite", s.scoped(s.favoriteAsset, model.ScopeLibraryWrite))
	mux.Handle("POST /api/assets/bulk-delete", s.scoped(s.bulkDeleteAssets, model.ScopeLibraryWrite))
	mux.Handle("POST /api/assets/bulk-favorite", s.scoped(s.bulkFavoriteAssets, model.ScopeLibraryWrite))
	mux.Handle("GET /api/trash", s.scoped(s.listTrash, model.ScopeLibraryRead))
	mux.Handle("POST /api/trash/restore", s.scoped(s.restoreTrash, model.ScopeLibraryWrite))
	mux.Handle("POST /api/trash/purge", s.scoped(s.purgeTrash, model.ScopeLibraryWrite))
	mux.Handle("POST /api/trash/empty", s.scoped(s.emptyTrash, model.ScopeLibraryWrite))
	mux.Handle("GET /api/collections", s.scoped(s.listCollections, model.ScopeLibraryRead))
	mux.Handle("POST /api/collections", s.scoped(s.createCollection, model.ScopeLibraryWrite))
	mux.Handle("PATCH /api/collections/{id}", s.scoped(s.updateCollection, model.ScopeLibraryWrite))
	mux.Handle("DELETE /api/collections/{id}", s.scoped(s.deleteCollection, model.ScopeLibraryWrite))
	mux.Handle("POST /api/collections/{id}/assets", s.scoped(s.collectionAssets, model.ScopeLibraryWrite))
	mux.Handle("DELETE /api/collections/{id}/assets", s.scoped(s.collectionAssets, model.ScopeLibraryWrite))
	mux.Handle("GET /api/export.zip", s.scoped(s.exportZip, model.ScopeLibraryRead))
	mux.Handle("GET /api/shares", s.scoped(s.listShares, model.ScopeShare))
	mux.Handle("POST /api/shares", s.scoped(s.createShare, model.ScopeShare))
	mux.Handle("DELETE /api/shares/{id}", s.scoped(s.deleteShare, model.ScopeShare))
	// Public share links: no session; /s/{token} itself is the SPA's read-only page.
	mux.Handle("GET /api/s/{token}", s.adapt(s.limitShares(s.publicShare)))
	mux.Handle("GET /s/{token}/media/{assetId}", s.adapt(s.limitShares(s.publicShareMedia)))

	// fal's callback (SPEC §17.1): no session, fal's signature instead.
	mux.Handle("POST /api/fal/webhook", s.adapt(s.falWebhook))

	mux.Handle("GET /api/events", s.scoped(s.userEvents, model.ScopeGenerate))
	mux.Handle("GET /api/presets", s.authed(s.listPresets))
	mux.Handle("POST /api/presets", s.authed(s.createPreset))
	mux.Handle("PATCH /api/presets/{id}", s.authed(s.updatePreset))
	mux.Handle("DELETE /api/presets/{id}", s.authed(s.deletePreset))

	// Personal access tokens, the API document and the MCP server (SPEC §11).
	mux.Handle("GET /api/tokens", s.authed(s.listTokens))
	mux.Handle("POST /api/tokens", s.authed(s.createToken))
	mux.Handle("DELETE /api/tokens/{id}", s.authed(s.revokeToken))
	mux.Handle("GET /api/openapi.json", s.adapt(s.getOpenAPI))
	mcpHandler := s.mcpHandler()
	mux.Handle("POST /mcp", mcpHandler)
	mux.Handle("GET /mcp", mcpHandler)
	mux.Handle("DELETE /mcp", mcpHandler)

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

}
