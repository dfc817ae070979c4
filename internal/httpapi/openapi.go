package httpapi

import (
	"encoding/json"
	"net/http"

	"strings"
	"sync"

	"github.com/falstudio/falstudio/internal/model"
)

// GET /api/openapi.json (SPEC §11): an OpenAPI 3.1 document of the API this build serves. The
// paths come from the route table itself (routeTable walked with a recorder), their security
// from each route's access rule, and their descriptions from apiOps below: one entry per route.
// A route with no entry still appears (with a generic description), and TestOpenAPICoversEveryRoute
// fails naming it, so the document cannot silently drift from the table.

// apiOp describes one operation. To document a new route, add one line to apiOps.
type apiOp struct {
	id      string         // operationId
	summary string         // one line
	query   []string       // query parameters (all optional strings unless "name:integer")
	body    map[string]any // a JSON request body's schema (nil: none)
	upload  bool           // a multipart/form-data body (field "file"), or JSON {"assetId"}
	form    map[string]any // a multipart/form-data body's schema (nil: none)
	status  int            // the success status
	resp    map[string]any // the success body's schema (nil: no body)
	content string         // the success content type when not JSON
	// alt is a second success status the route may answer: 204 with no body, any other with resp
	// (DELETE /api/assets/{id} is 200 while the trash is on, 204 without it).
	alt int
}

// Schema helpers: the document is plain data, built from these.
func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
func typ(t string) map[string]any    { return map[string]any{"type": t} }
func orNull(t string) map[string]any { return map[string]any{"type": []string{t, "null"}} }
func arr(items map[string]any) map[string]any {
	return map[string]any{"type": "array", "items": items}
}
func enum(vals ...string) map[string]any { return map[string]any{"type": "string", "enum": vals} }

// obj is an object schema: every property named in required must be present.
func obj(required []string, props map[string]any) map[string]any {
	sc := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		sc["required"] = required
	}
	return sc
}

// nullableObj is an object schema that may also be null.
func nullableObj(required []string, props map[string]any) map[string]any {
	sc := obj(required, props)
	sc["type"] = []string{"object", "null"}
	return sc
}

// wrap is {"<key>": schema}, the usual answer shape.
func wrap(key string, sc map[string]any) map[string]any {
	return obj([]string{key}, map[string]any{key: sc})
}

var (
	str     = typ("string")
	num     = typ("number")
	integer = typ("integer")
	boolean = typ("boolean")
	object  = typ("object")
	ids     = obj([]string{"assetIds"}, map[string]any{"assetIds": arr(str)})
	budget  = map[string]any{"monthlyBudgetUsd": orNull("number"), "adminBudgetUsd": orNull("number"), "selfBudgetUsd": orNull("number"),
		"spentThisMonthUsd": num, "reservedUsd": num}
	budgetRequired  = []string{"monthlyBudgetUsd", "adminBudgetUsd", "selfBudgetUsd", "spentThisMonthUsd", "reservedUsd"}
	credentialsBody = obj([]string{"email", "password"}, map[string]any{"email": str, "password": str, "invite": str})
	submitBody      = obj([]string{"model"}, map[string]any{"model": str, "prompt": str, "params": object, "collectionId": str,
		"variations": obj([]string{"count"}, map[string]any{"count": integer, "seeds": str})})
	castKind        = enum("person", "pet", "product", "style")
	nullableStrings = map[string]any{"type": []string{"array", "null"}, "items": str}
	paged           = func(key, item string) map[string]any {
		return obj([]string{key, "nextCursor"}, map[string]any{key: arr(ref(item)), "nextCursor": orNull("string")})
	}
)

// policyBodySchema is a policy's create (name required) or update body (SPEC §12.2).
func policyBodySchema(create bool) map[string]any {
	var required []string
	if create {
		required = []string{"name"}
	}
	return obj(required, map[string]any{"name": str, "forcedParams": object, "allowedModels": nullableStrings, "blockedTerms": arr(str), "hideFlagged": boolean})
}

// apiOps documents every route of the table, keyed by its pattern.
var apiOps = map[string]apiOp{
	"GET /api/status": {id: "getStatus", summary: "The studio's version, database and storage.", status: 200,
		resp: obj([]string{"ok", "version", "database", "storage"}, map[string]any{"ok": boolean, "version": str, "database": enum("sqlite", "postgres"), "storage": enum("s3", "local"), "signupMode": str,
			"ffmpeg": boolean, "falWebhooks": boolean, "oidc": obj([]string{"enabled", "label", "passwordLogin"}, map[string]any{"enabled": boolean, "label": str, "passwordLogin": boolean})})},
	"POST /api/auth/signup": {id: "signUp", summary: "Create an account and sign in.", body: credentialsBody, status: 201, resp: wrap("user", ref("User"))},
	"POST /api/auth/login":  {id: "logIn", summary: "Sign in.", body: credentialsBody, status: 200, resp: wrap("user", ref("User"))},
	"POST /api/auth/logout": {id: "logOut", summary: "End this session.", status: 204},
	"POST /api/auth/reset":  {id: "resetPassword", summary: "Set a new password with a reset link's token.", body: obj([]string{"token", "newPassword"}, map[string]any{"token": str, "newPassword": str}), status: 204},
	"POST /api/auth/invite": {id: "checkInvite", summary: "Check an invite before signing up.", body: obj([]string{"invite"}, map[string]any{"invite": str}), status: 200, resp: wrap("invite", object)},
	"GET /api/me": {id: "getMe", summary: "The signed-in person, whether it has a password, its single sign-on link and the policy binding it.", status: 200,
		resp: obj([]string{"user", "hasPassword", "sso", "policy"}, map[string]any{"user": ref("User"), "hasPassword": boolean,
			"sso":    nullableObj([]string{"issuer", "linkedAt"}, map[string]any{"issuer": str, "linkedAt": str}),
			"policy": nullableObj([]string{"name", "forcedParams", "allowedModels", "hideFlagged"}, map[string]any{"name": str, "forcedParams": orNull("object"), "allowedModels": nullableStrings, "hideFlagged": boolean})})},
	"PUT /api/me/password":   {id: "changePassword", summary: "Change the password; other sessions end.", body: obj([]string{"currentPassword", "newPassword"}, map[string]any{"currentPassword": str, "newPassword": str}), status: 204},
	"PUT /api/me/fal-key":    {id: "saveFalKey", summary: "Save the person's fal API key (stored encrypted).", body: obj([]string{"falKey"}, map[string]any{"falKey": str}), status: 200, resp: wrap("user", ref("User"))},
	"DELETE /api/me/fal-key": {id: "removeFalKey", summary: "Remove the saved fal key.", status: 200, resp: wrap("user", ref("User"))},
	"DELETE /api/me":         {id: "deleteMe", summary: "Delete the account and everything in it.", body: obj([]string{"password"}, map[string]any{"password": str}), status: 204},
	"GET /api/me/fal-credits": {id: "getFalCredits", summary: "The fal account's balance.", status: 200,
		resp: obj([]string{"balance", "currency"}, map[string]any{"balance": num, "currency": str})},
	"PUT /api/me/budget": {id: "setMyBudget", summary: "Set the person's own monthly budget (null: none).", body: obj([]string{"monthlyBudgetUsd"}, map[string]any{"monthlyBudgetUsd": orNull("number")}), status: 200,
		resp: wrap("budget", obj(budgetRequired, budget))},
	"GET /api/me/usage":    {id: "getMyUsage", summary: "The person's spending by day, model or token.", query: []string{"from", "to", "groupBy"}, status: 200, resp: ref("Usage")},
	"GET /api/admin/usage": {id: "getAdminUsage", summary: "Everyone's spending by user, model or day.", query: []string{"from", "to", "groupBy"}, status: 200, resp: ref("Usage")},

	"GET /api/admin/users":         {id: "listUsers", summary: "Every account, with usage and spending.", status: 200, resp: wrap("users", arr(ref("AdminUser")))},
	"PATCH /api/admin/users/{id}":  {id: "updateUser", summary: "Change a role, disable or enable, set a budget.", body: obj(nil, map[string]any{"role": enum("admin", "member"), "disabled": boolean, "monthlyBudgetUsd": orNull("number"), "policyId": orNull("string")}), status: 200, resp: wrap("user", ref("AdminUser"))},
	"DELETE /api/admin/users/{id}": {id: "deleteUser", summary: "Delete an account and its media.", status: 204},
	"POST /api/admin/users/{id}/password-reset": {id: "createPasswordReset", summary: "Make a password reset link.", status: 201,
		resp: obj([]string{"url", "expiresAt"}, map[string]any{"url": str, "expiresAt": str})},
	"GET /api/admin/invites": {id: "listInvites", summary: "Invites.", status: 200, resp: wrap("invites", arr(ref("Invite")))},
	"POST /api/admin/invites": {id: "createInvite", summary: "Make an invite link.", body: obj(nil, map[string]any{"email": str, "expiresInHours": num}), status: 201,
		resp: obj([]string{"invite", "url"}, map[string]any{"invite": ref("Invite"), "url": str})},
	"DELETE /api/admin/invites/{id}":    {id: "revokeInvite", summary: "Revoke an invite.", status: 204},
	"GET /api/admin/audit":              {id: "listAudit", summary: "The audit log, newest first.", query: []string{"cursor", "limit:integer"}, status: 200, resp: paged("events", "AuditEvent")},
	"GET /api/admin/users/{id}/shares":  {id: "listUserShares", summary: "A person's share links.", status: 200, resp: wrap("shares", arr(ref("Share")))},
	"DELETE /api/admin/shares/{id}":     {id: "revokeAnyShare", summary: "Revoke anyone's share link.", status: 204},
	"GET /api/models":                   {id: "listModels", summary: "The curated model catalogue.", status: 200, resp: wrap("models", arr(ref("Model")))},
	"GET /api/models/search":            {id: "searchModels", summary: "Search fal's live model catalogue.", query: []string{"q", "category"}, status: 200, resp: wrap("models", arr(object))},
	"GET /api/models/schema":            {id: "getModelSchema", summary: "Any fal model as a renderable Model.", query: []string{"id"}, status: 200, resp: wrap("model", ref("Model"))},
	"POST /api/uploads":                 {id: "upload", summary: "Upload a reference image to fal storage.", upload: true, status: 201, resp: obj([]string{"url"}, map[string]any{"url": str})},
	"POST /api/generations":             {id: "createGeneration", summary: "Start a generation (or a group of variations).", body: submitBody, status: 202, resp: obj(nil, map[string]any{"generation": ref("Generation"), "generations": arr(ref("Generation"))})},
	"POST /api/generations/estimate":    {id: "estimateGeneration", summary: "Estimate a generation's cost.", body: obj([]string{"model"}, map[string]any{"model": str, "prompt": str, "params": object}), status: 200, resp: ref("Estimate")},
	"GET /api/generations":              {id: "listGenerations", summary: "Generations, newest first (active=1: the unfinished ones).", query: []string{"active", "status", "cursor", "limit:integer"}, status: 200, resp: paged("generations", "Generation")},
	"GET /api/generations/{id}":         {id: "getGeneration", summary: "One generation.", status: 200, resp: wrap("generation", ref("Generation"))},
	"GET /api/generations/{id}/events":  {id: "generationEvents", summary: "A generation's changes as server-sent events.", status: 200, content: "text/event-stream"},
	"POST /api/generations/{id}/cancel": {id: "cancelGeneration", summary: "Cancel a generation.", status: 200, resp: obj([]string{"generation"}, map[string]any{"generation": ref("Generation"), "cancel": object})},
	"GET /api/assets":                   {id: "listAssets", summary: "The gallery, newest first.", query: []string{"kind", "q", "favorite", "model", "from", "to", "collection", "cursor", "limit:integer"}, status: 200, resp: paged("assets", "Asset")},
	"GET /api/assets/{id}":              {id: "getAsset", summary: "One asset.", status: 200, resp: wrap("asset", ref("Asset"))},
	"DELETE /api/assets/{id}": {id: "deleteAsset", summary: "Move an asset to the trash (200, the trashed asset); with TRASH_DAYS=0, delete it and its file at once (204).",
		status: 200, resp: wrap("asset", ref("Asset")), alt: 204},
	"PUT /api/assets/{id}/favorite":       {id: "favoriteAsset", summary: "Mark an asset as a favourite.", status: 200, resp: wrap("asset", ref("Asset"))},
	"DELETE /api/assets/{id}/favorite":    {id: "unfavoriteAsset", summary: "Unmark a favourite.", status: 200, resp: wrap("asset", ref("Asset"))},
	"POST /api/assets/bulk-delete":        {id: "bulkDeleteAssets", summary: "Delete several of the caller's assets: deleted counts them, trashed those moved to the trash (all while it is on).", body: ids, status: 200, resp: obj([]string{"deleted", "trashed"}, map[string]any{"deleted": integer, "trashed": integer})},
	"POST /api/assets/bulk-favorite":      {id: "bulkFavoriteAssets", summary: "Mark or unmark several favourites.", body: obj([]string{"assetIds", "favorite"}, map[string]any{"assetIds": arr(str), "favorite": boolean}), status: 200, resp: obj([]string{"updated"}, map[string]any{"updated": integer})},
	"GET /api/collections":                {id: "listCollections", summary: "Collections.", status: 200, resp: wrap("collections", arr(ref("Collection")))},
	"POST /api/collections":               {id: "createCollection", summary: "Create a collection.", body: obj([]string{"name"}, map[string]any{"name": str}), status: 201, resp: wrap("collection", ref("Collection"))},
	"PATCH /api/collections/{id}":         {id: "updateCollection", summary: "Rename a collection or set its cover.", body: obj(nil, map[string]any{"name": str, "coverAssetId": orNull("string")}), status: 200, resp: wrap("collection", ref("Collection"))},
	"DELETE /api/collections/{id}":        {id: "deleteCollection", summary: "Delete a collection (its assets stay).", status: 204},
	"POST /api/collections/{id}/assets":   {id: "addToCollection", summary: "Add assets to a collection.", body: ids, status: 200, resp: wrap("collection", ref("Collection"))},
	"DELETE /api/collections/{id}/assets": {id: "removeFromCollection", summary: "Remove assets from a collection.", body: ids, status: 200, resp: wrap("collection", ref("Collection"))},
	"GET /api/export.zip":                 {id: "exportZip", summary: "A ZIP of assets (ids=… or collection=…).", query: []string{"ids", "collection"}, status: 200, content: "application/zip"},
	"GET /api/shares":                     {id: "listShares", summary: "The person's share links.", status: 200, resp: wrap("shares", arr(ref("Share")))},
	"POST /api/shares":                    {id: "createShare", summary: "Share an asset or a collection by a public link.", body: obj(nil, map[string]any{"assetId": str, "collectionId": str, "expiresAt": orNull("string")}), status: 201, resp: wrap("share", ref("Share"))},
	"DELETE /api/shares/{id}":             {id: "deleteShare", summary: "Revoke a share link.", status: 204},
	"GET /api/s/{token}":                  {id: "getPublicShare", summary: "What a public share link shows (no session).", query: []string{"cursor", "limit:integer"}, status: 200, resp: obj([]string{"kind", "assets"}, map[string]any{"kind": str, "name": orNull("string"), "expiresAt": orNull("string"), "assets": arr(object), "nextCursor": orNull("string")})},
	"GET /api/events":                     {id: "userEvents", summary: "Every change to the person's generations, as server-sent events.", query: []string{"lastEventId"}, status: 200, content: "text/event-stream"},
	"GET /api/presets":                    {id: "listPresets", summary: "Saved model settings.", status: 200, resp: wrap("presets", arr(ref("Preset")))},
	"POST /api/presets":                   {id: "createPreset", summary: "Save model settings under a name.", body: obj([]string{"name", "model"}, map[string]any{"name": str, "model": str, "params": object}), status: 201, resp: wrap("preset", ref("Preset"))},
	"PATCH /api/presets/{id}":             {id: "updatePreset", summary: "Change a preset.", body: obj(nil, map[string]any{"name": str, "model": str, "params": object}), status: 200, resp: wrap("preset", ref("Preset"))},
	"DELETE /api/presets/{id}":            {id: "deletePreset", summary: "Delete a preset.", status: 204},
	"GET /api/tokens":                     {id: "listTokens", summary: "The person's personal access tokens, newest first.", status: 200, resp: wrap("tokens", arr(ref("Token")))},
	"POST /api/tokens": {id: "createToken", summary: "Create a personal access token; its secret is shown once.", status: 201,
		body: obj([]string{"name", "scopes"}, map[string]any{"name": str, "scopes": arr(enum(model.Scopes...)), "monthlyCapUsd": orNull("number"), "expiresAt": orNull("string"), "models": map[string]any{"type": []string{"array", "null"}, "items": str}}),
		resp: obj([]string{"token", "secret"}, map[string]any{"token": ref("Token"), "secret": str})},
	"DELETE /api/tokens/{id}":        {id: "revokeToken", summary: "Revoke a personal access token at once.", status: 204},
	"GET /api/openapi.json":          {id: "getOpenAPI", summary: "This document.", status: 200, resp: object},
	"GET /media/{id}":                {id: "getMedia", summary: "An asset's bytes (Range honoured; download=1: attachment).", query: []string{"download"}, status: 200, content: "application/octet-stream"},
	"GET /media/{id}/thumb":          {id: "getThumb", summary: "An asset's preview image.", status: 200, content: "image/jpeg"},
	"POST /mcp":                      {id: "mcp", summary: "The MCP server (Streamable HTTP, JSON-RPC).", body: object, status: 200, resp: object},
	"GET /mcp":                       {id: "mcpStream", summary: "Not offered: the MCP server is stateless (405).", status: 405},
	"DELETE /mcp":                    {id: "mcpEnd", summary: "End an MCP session (stateless: nothing to end).", status: 204},
	"GET /s/{token}/media/{assetId}": {id: "getPublicShareMedia", summary: "A shared asset's bytes (no session).", query: []string{"download"}, status: 200, content: "application/octet-stream"},
	// Single sign-on (SPEC §12.1): registered only when OIDC_ISSUER is set.
	"GET /api/auth/oidc/start": {id: "startSSO", summary: "Begin signing in with the identity provider: a redirect to it (refusals redirect to /?ssoError=code).",
		query: []string{"invite"}, status: 302},
	"GET /api/auth/oidc/callback": {id: "finishSSO", summary: "The identity provider's return: signs in (or links) and redirects into the studio, or to /?ssoError=code.",
		query: []string{"code", "state", "error"}, status: 302},
	"POST /api/me/oidc/link": {id: "linkSSO", summary: "Start linking single sign-on to this account (the password, when it has one); answers the provider's address.",
		body: obj(nil, map[string]any{"password": str}), status: 200, resp: obj([]string{"url"}, map[string]any{"url": str})},
	"DELETE /api/me/oidc": {id: "unlinkSSO", summary: "Remove this account's single sign-on link (it must keep a password).", status: 204},

	// Policies (SPEC §12.2).
	"GET /api/admin/policies":         {id: "listPolicies", summary: "Every policy, with how many people it binds.", status: 200, resp: wrap("policies", arr(ref("Policy")))},
	"POST /api/admin/policies":        {id: "createPolicy", summary: "Create a policy.", body: policyBodySchema(true), status: 201, resp: wrap("policy", ref("Policy"))},
	"PATCH /api/admin/policies/{id}":  {id: "updatePolicy", summary: "Change a policy (only the fields sent).", body: policyBodySchema(false), status: 200, resp: wrap("policy", ref("Policy"))},
	"DELETE /api/admin/policies/{id}": {id: "deletePolicy", summary: "Delete a policy; the people it bound are unbound.", status: 204},

	// Trash, lineage and preferences (SPEC §13).
	"GET /api/trash": {id: "listTrash", summary: "The caller's trash, most recently deleted first, and the retention in seconds (0: off).", query: []string{"cursor", "limit:integer"}, status: 200,
		resp: obj([]string{"assets", "nextCursor", "retentionSeconds"}, map[string]any{"assets": arr(ref("Asset")), "nextCursor": orNull("string"), "retentionSeconds": integer})},
	"POST /api/trash/restore": {id: "restoreTrash", summary: "Restore assets from the trash.", body: ids, status: 200, resp: obj([]string{"restored"}, map[string]any{"restored": integer})},
	"POST /api/trash/purge":   {id: "purgeTrash", summary: "Delete assets in the trash for good, with their files.", body: ids, status: 200, resp: obj([]string{"purged"}, map[string]any{"purged": integer})},
	"POST /api/trash/empty":   {id: "emptyTrash", summary: "Delete everything in the caller's trash for good (no body, or {}).", status: 200, resp: obj([]string{"purged"}, map[string]any{"purged": integer})},
	"GET /api/assets/{id}/lineage": {id: "getAssetLineage", summary: "An asset's ancestors (nearest first) and its children.", status: 200,
		resp: obj([]string{"ancestors", "children"}, map[string]any{"ancestors": arr(ref("Asset")), "children": arr(ref("Asset"))})},
	"GET /api/me/preferences": {id: "getPreferences", summary: "The person's preferences.", status: 200, resp: wrap("preferences", ref("Preferences"))},
	"PUT /api/me/preferences": {id: "setPreferences", summary: "Change the preferences named (embedPrompt: write the prompt into downloaded files).",
		body: obj(nil, map[string]any{"embedPrompt": boolean}), status: 200, resp: wrap("preferences", ref("Preferences"))},

	// Compare, derive, enhance, cast (SPEC §14).
	"POST /api/compare": {id: "createCompare", summary: "Run one prompt on 2–4 models at once, as one group.", status: 202, resp: ref("Compare"),
		body: obj([]string{"runs"}, map[string]any{"prompt": str, "runs": arr(obj([]string{"model"}, map[string]any{"model": str, "params": object})),
			"referenceAssetIds": arr(str), "cast": arr(str), "useDescription": boolean})},
	"GET /api/compare/{group}": {id: "getCompare", summary: "A comparison and its generations.", status: 200, resp: ref("Compare")},
	"POST /api/assets/{id}/derive": {id: "deriveAsset", summary: "Upscale an image or remove its background: a new generation from the asset.", status: 202,
		body: obj([]string{"action"}, map[string]any{"action": enum("upscale", "remove-background"), "model": str, "params": object}), resp: wrap("generation", ref("Generation"))},
	"POST /api/prompts/enhance": {id: "enhancePrompt", summary: "Rewrite a prompt for a model with an LLM (the person's fal key pays).", status: 200,
		body: obj([]string{"prompt"}, map[string]any{"prompt": str, "model": str}), resp: obj([]string{"prompt", "costUsd"}, map[string]any{"prompt": str, "costUsd": orNull("number")})},
	"GET /api/cast": {id: "listCast", summary: "The caller's cast members and those others share.", status: 200, resp: wrap("cast", arr(ref("Cast")))},
	"POST /api/cast": {id: "createCast", summary: "Make a cast member from 1–8 image assets.", status: 201, resp: wrap("cast", ref("Cast")),
		body: obj([]string{"name", "kind", "assetIds"}, map[string]any{"name": str, "kind": castKind, "assetIds": arr(str), "description": str, "shared": boolean})},
	"GET /api/cast/{id}": {id: "getCast", summary: "One cast member.", status: 200, resp: wrap("cast", ref("Cast"))},
	"PATCH /api/cast/{id}": {id: "updateCast", summary: "Change a cast member (its owner): fields, pictures kept in order, pictures added.", status: 200, resp: wrap("cast", ref("Cast")),
		body: obj(nil, map[string]any{"name": str, "kind": castKind, "description": str, "shared": boolean, "imageIds": arr(str), "addAssetIds": arr(str)})},
	"DELETE /api/cast/{id}":               {id: "deleteCast", summary: "Delete a cast member (its owner).", status: 204},
	"GET /api/cast/{id}/images/{imageId}": {id: "getCastImage", summary: "A cast member's picture.", status: 200, content: "application/octet-stream"},

	// Video continuity (SPEC §15).
	"POST /api/assets/{id}/frame": {id: "grabFrame", summary: "Save a video's frame at atSeconds as a new image asset (ffmpeg).", status: 201,
		body: obj([]string{"atSeconds"}, map[string]any{"atSeconds": num}), resp: wrap("asset", ref("Asset"))},
	"GET /api/assets/{id}/filmstrip": {id: "getFilmstrip", summary: "A video's filmstrip: count frames (1–60, default 10) in one sprite.", query: []string{"count:integer"}, status: 200,
		resp: wrap("filmstrip", obj([]string{"url", "count", "frameWidth", "frameHeight", "durationSeconds", "times"}, map[string]any{
			"url": str, "count": integer, "frameWidth": integer, "frameHeight": integer, "durationSeconds": num, "times": arr(num)}))},
	"GET /media/{id}/filmstrip/{count}": {id: "getFilmstripImage", summary: "A filmstrip's sprite image.", status: 200, content: "image/jpeg"},
	"POST /api/stitch": {id: "stitchVideos", summary: "Join 2–20 of the caller's videos into one, with an optional crossfade (0–2 s): a local ffmpeg job.", status: 202,
		body: obj([]string{"assetIds"}, map[string]any{"assetIds": arr(str), "crossfadeSeconds": orNull("number"), "collectionId": str}), resp: wrap("generation", ref("Generation"))},
	"POST /api/assets/{id}/extend": {id: "extendVideo", summary: "Continue a video from its last frame with a new prompt.", status: 202,
		body: obj([]string{"prompt"}, map[string]any{"prompt": str, "model": str, "params": object, "collectionId": str}), resp: wrap("generation", ref("Generation"))},
	"POST /api/assets/import": {id: "importImage", summary: "Import an image (up to 20 MB) as an asset, e.g. a frame the browser grabbed.", status: 201,
		form: obj([]string{"file"}, map[string]any{"file": map[string]any{"type": "string", "contentMediaType": "application/octet-stream"},
			"parentAssetId": str, "relation": enum("frame"), "atSeconds": str}), resp: wrap("asset", ref("Asset"))},

	// Web Push, the share target (SPEC §16).
	"GET /api/push/key": {id: "getPushKey", summary: "The studio's VAPID public key (base64url).", status: 200, resp: obj([]string{"publicKey"}, map[string]any{"publicKey": str})},
	"POST /api/push/subscriptions": {id: "subscribePush", summary: "Save this browser's push subscription (201 new, 200 already known).", status: 201, alt: 200,
		body: obj([]string{"endpoint", "keys"}, map[string]any{"endpoint": str, "expirationTime": orNull("number"),
			"keys": obj([]string{"p256dh", "auth"}, map[string]any{"p256dh": str, "auth": str})}),
		resp: wrap("subscription", ref("PushSubscription"))},
	"GET /api/push/subscriptions":         {id: "listPushSubscriptions", summary: "The person's push subscriptions.", status: 200, resp: wrap("subscriptions", arr(ref("PushSubscription")))},
	"DELETE /api/push/subscriptions/{id}": {id: "deletePushSubscription", summary: "Remove a push subscription.", status: 204},
	"GET /api/me/notifications":           {id: "getNotifications", summary: "The person's notification settings.", status: 200, resp: wrap("notifications", ref("Notifications"))},
	"PUT /api/me/notifications": {id: "setNotifications", summary: "Change the notification settings named.", status: 200,
		body: obj(nil, map[string]any{"push": boolean, "onlyWhenAway": boolean}), resp: wrap("notifications", ref("Notifications"))},
	"POST /api/shared/claim": {id: "claimShared", summary: "Claim what was shared to the studio before signing in (its cookie); answers the items and where to open them.", status: 201,
		resp: obj([]string{"shared", "url"}, map[string]any{"shared": arr(ref("SharedItem")), "url": str})},
	"GET /api/shared":              {id: "listShared", summary: "Items shared to the studio from other apps, not yet used.", status: 200, resp: wrap("shared", arr(ref("SharedItem")))},
	"GET /api/shared/{id}":         {id: "getShared", summary: "One shared item.", status: 200, resp: wrap("shared", ref("SharedItem"))},
	"GET /api/shared/{id}/file":    {id: "getSharedFile", summary: "A shared item's bytes.", status: 200, content: "application/octet-stream"},
	"DELETE /api/shared/{id}":      {id: "deleteShared", summary: "Discard a shared item.", status: 204},
	"POST /api/shared/{id}/import": {id: "importShared", summary: "Keep a shared item as an asset of the library.", status: 201, resp: wrap("asset", ref("Asset"))},

	// fal's webhook (SPEC §17.1): no session; fal's ED25519 signature instead.
	"POST /api/fal/webhook": {id: "falWebhook", summary: "fal's completion callback (signed by fal; 404 unless FAL_WEBHOOKS is on).", body: object, status: 200,
		resp: obj([]string{"ok"}, map[string]any{"ok": boolean})},
}

// apiSchemas are the SPEC's objects (components.schemas).
func apiSchemas() map[string]any {
	ts := str // RFC 3339 UTC timestamps
	asset := obj([]string{"id", "generationId", "model", "prompt", "kind", "url", "contentType", "bytes", "width", "height", "storage", "params", "createdAt",
		"favorite", "collectionIds", "thumbUrl", "parent", "trashedAt", "purgeAt", "contentCredentials", "sequenceId", "flagged"},
		map[string]any{"id": str, "generationId": orNull("string"), "model": str, "prompt": str, "kind": enum(model.KindImage, model.KindVideo, model.KindAudio),
			"url": str, "contentType": str, "bytes": integer, "width": orNull("integer"), "height": orNull("integer"), "storage": enum("s3", "local"),
			"params": object, "createdAt": ts, "favorite": boolean, "collectionIds": arr(str), "thumbUrl": orNull("string"),
			"parent":    nullableObj([]string{"assetId", "relation"}, map[string]any{"assetId": str, "relation": str, "missing": boolean}),
			"trashedAt": orNull("string"), "purgeAt": orNull("string"),
			"contentCredentials": obj([]string{"present"}, map[string]any{"present": boolean}),
			"sequenceId":         orNull("string"), "flagged": boolean})
	gen := obj([]string{"id", "model", "prompt", "params", "status", "queuePosition", "logs", "error", "notice", "assets", "createdAt", "updatedAt", "completedAt",
		"costUsd", "costSource", "group", "cast", "referenceAssetIds", "relation", "via"},
		map[string]any{"id": str, "model": str, "prompt": str, "params": object,
			"status":        enum(model.StatusQueued, model.StatusRunning, model.StatusSaving, model.StatusSucceeded, model.StatusFailed, model.StatusCanceled),
			"queuePosition": orNull("integer"), "logs": arr(obj([]string{"time", "message"}, map[string]any{"time": ts, "message": str})),
			"error":  nullableObj([]string{"code", "message"}, map[string]any{"code": str, "message": str}),
			"notice": orNull("string"), "assets": arr(ref("Asset")), "createdAt": ts, "updatedAt": ts, "completedAt": orNull("string"),
			"costUsd": orNull("number"), "costSource": orNull("string"), "group": orNull("string"),
			"cast": arr(str), "referenceAssetIds": arr(str), "relation": orNull("string"),
			"via": nullableObj([]string{"tokenId", "name"}, map[string]any{"tokenId": str, "name": str})})
	usage := obj(append([]string{"from", "to", "groupBy", "totalUsd", "count", "buckets", "unpricedCount"}, budgetRequired...), map[string]any{
		"from": str, "to": str, "groupBy": enum("day", "model", "user", "token"), "totalUsd": num, "count": integer, "unpricedCount": integer,
		"buckets": arr(obj([]string{"key", "usd", "count"}, map[string]any{"key": str, "userId": integer, "name": str, "usd": num, "count": integer}))})
	for k, v := range budget {
		usage["properties"].(map[string]any)[k] = v
	}
	return map[string]any{
		"User":       obj([]string{"id", "email", "hasFalKey", "role"}, map[string]any{"id": integer, "email": str, "hasFalKey": boolean, "role": enum("admin", "member")}),
		"Generation": gen,
		"Asset":      asset,
		"Model": obj([]string{"id", "name", "task", "output", "description", "promptRequired", "reference", "params"}, map[string]any{
			"id": str, "name": str, "task": str, "output": enum(model.KindImage, model.KindVideo, model.KindAudio), "description": str, "promptRequired": boolean,
			"reference": nullableObj([]string{"field", "min", "max", "multiple"}, map[string]any{"field": str, "min": integer, "max": integer, "multiple": boolean}),
			"params":    arr(obj([]string{"name", "label", "type"}, map[string]any{"name": str, "label": str, "type": str}))}),
		"Collection": obj([]string{"id", "name", "count", "coverUrl", "coverAssetId", "createdAt", "updatedAt"}, map[string]any{
			"id": str, "name": str, "count": integer, "coverUrl": orNull("string"), "coverAssetId": orNull("string"), "createdAt": ts, "updatedAt": ts}),
		"Share": obj([]string{"id", "url", "kind", "targetId", "createdAt", "expiresAt", "expired"}, map[string]any{
			"id": str, "url": orNull("string"), "kind": enum("asset", "collection"), "targetId": str, "createdAt": ts, "expiresAt": orNull("string"), "expired": boolean}),
		"Token": obj([]string{"id", "name", "scopes", "monthlyCapUsd", "spentThisMonthUsd", "models", "createdAt", "expiresAt", "lastUsedAt", "prefix"}, map[string]any{
			"id": str, "name": str, "scopes": arr(enum(model.Scopes...)), "monthlyCapUsd": orNull("number"), "spentThisMonthUsd": num,
			"models": map[string]any{"type": []string{"array", "null"}, "items": str}, "createdAt": ts, "expiresAt": orNull("string"),
			"lastUsedAt": orNull("string"), "prefix": str}),
		"Estimate": obj([]string{"estimate", "budget", "withinBudget"}, map[string]any{
			"estimate": nullableObj([]string{"usd", "unitPrice", "unit", "quantity", "basis"}, map[string]any{"usd": num, "unitPrice": num, "unit": str, "quantity": num, "basis": str}),
			"budget":   obj(budgetRequired, budget), "withinBudget": orNull("boolean"), "reason": str}),
		"Usage": usage,
		"AdminUser": obj([]string{"id", "email", "role", "disabled", "hasFalKey", "createdAt", "lastSeenAt", "generations", "assets", "bytes", "spentThisMonthUsd", "monthlyBudgetUsd", "policyId", "ssoLinked"},
			map[string]any{"id": integer, "email": str, "role": enum("admin", "member"), "disabled": boolean, "hasFalKey": boolean, "createdAt": ts,
				"lastSeenAt": orNull("string"), "generations": integer, "assets": integer, "bytes": integer, "spentThisMonthUsd": num, "monthlyBudgetUsd": orNull("number"),
				"policyId": orNull("string"), "ssoLinked": boolean}),
		"Invite": obj([]string{"id", "email", "createdAt", "expiresAt", "usedAt", "usedBy", "revoked", "state"}, map[string]any{
			"id": integer, "email": orNull("string"), "createdAt": ts, "expiresAt": ts, "usedAt": orNull("string"), "usedBy": orNull("string"),
			"revoked": boolean, "state": enum("pending", "used", "expired", "revoked")}),
		"AuditEvent": obj([]string{"id", "time", "actor", "action", "target", "ip", "detail"}, map[string]any{
			"id": integer, "time": ts, "actor": nullableObj([]string{"id", "email"}, map[string]any{"id": integer, "email": str}), "action": str,
			"target": nullableObj([]string{"type", "id"}, map[string]any{"type": str, "id": str}), "ip": str, "detail": orNull("object")}),
		"Policy": obj([]string{"id", "name", "forcedParams", "allowedModels", "blockedTerms", "hideFlagged", "userCount", "createdAt", "updatedAt"}, map[string]any{
			"id": str, "name": str, "forcedParams": orNull("object"), "allowedModels": nullableStrings, "blockedTerms": nullableStrings, "hideFlagged": boolean,
			"userCount": integer, "createdAt": ts, "updatedAt": ts}),
		"Preferences": obj([]string{"embedPrompt"}, map[string]any{"embedPrompt": boolean}),
		"Compare":     obj([]string{"group", "prompt", "generations"}, map[string]any{"group": str, "prompt": str, "generations": arr(ref("Generation"))}),
		"Cast": obj([]string{"id", "name", "kind", "description", "shared", "owner", "images", "createdAt", "updatedAt"}, map[string]any{
			"id": str, "name": str, "kind": castKind, "description": str, "shared": boolean,
			"owner":  obj([]string{"id", "email"}, map[string]any{"id": integer, "email": str}),
			"images": arr(obj([]string{"id", "url"}, map[string]any{"id": str, "url": str})), "createdAt": ts, "updatedAt": ts}),
		"PushSubscription": obj([]string{"id", "createdAt", "userAgent"}, map[string]any{"id": str, "createdAt": ts, "userAgent": orNull("string")}),
		"Notifications":    obj([]string{"push", "onlyWhenAway"}, map[string]any{"push": boolean, "onlyWhenAway": boolean}),
		"SharedItem": obj([]string{"id", "kind", "contentType", "bytes", "width", "height", "name", "text", "url", "createdAt", "expiresAt"}, map[string]any{
			"id": str, "kind": enum(model.KindImage, model.KindVideo), "contentType": str, "bytes": integer, "width": orNull("integer"), "height": orNull("integer"),
			"name": orNull("string"), "text": orNull("string"), "url": str, "createdAt": ts, "expiresAt": ts}),
		"Preset": obj([]string{"id", "name", "model", "params", "createdAt", "updatedAt"}, map[string]any{
			"id": str, "name": str, "model": str, "params": object, "createdAt": ts, "updatedAt": ts}),
		"Error": obj([]string{"error"}, map[string]any{"error": obj([]string{"code", "message"}, map[string]any{"code": str, "message": str})}),
	}
}

// documentedRoute is one route of the table as the document sees it.
type documentedRoute struct {
	method, path string
	access       *access // nil: the handler takes no session (public)
}

// tableRoutes walks the route table (the same function that registers the routes) and lists the
// routes the document covers: /api/…, /media/…, /mcp and the public share media.
func (s *Server) tableRoutes() []documentedRoute {
	var out []documentedRoute
	s.routeTable(routeMux{handle: func(pattern string, h http.Handler) {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok || !(strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/media/") || path == "/mcp" || strings.HasPrefix(path, "/s/")) {
			return
		}
		dr := documentedRoute{method: method, path: path}
		if rh, ok := h.(routeHandler); ok && !rh.access.public {
			a := rh.access
			dr.access = &a
		}
		out = append(out, dr)
	}})
	return out
}

// openAPIDocument builds the document from the route table and apiOps.
func (s *Server) openAPIDocument() map[string]any {
	paths := map[string]any{}
	for _, rt := range s.tableRoutes() {
		op, ok := apiOps[rt.method+" "+rt.path]
		if !ok {
			op = apiOp{id: strings.ToLower(rt.method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_", "-", "_").Replace(rt.path), summary: rt.method + " " + rt.path, status: 200}
		}
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		item[strings.ToLower(rt.method)] = s.operation(rt, op)
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "fal-studio", "version": s.Version,
			"description": "The fal-studio HTTP API. A cookie session, or a personal access token (Authorization: Bearer fst_…) within its scopes."},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": apiSchemas(),
			"securitySchemes": map[string]any{
				"cookieAuth": map[string]any{"type": "apiKey", "in": "cookie", "name": s.cookieName(sessionCookie)},
				"bearerAuth": map[string]any{"type": "http", "scheme": "bearer"},
			},
		},
	}
}

func (s *Server) operation(rt documentedRoute, op apiOp) map[string]any {
	o := map[string]any{"operationId": op.id, "summary": op.summary}
	var params []any
	for _, name := range pathParams(rt.path) {
		params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": str})
	}
	for _, q := range op.query {
		name, t, ok := strings.Cut(q, ":")
		if !ok {
			t = "string"
		}
		params = append(params, map[string]any{"name": name, "in": "query", "required": false, "schema": typ(t)})
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	switch {
	case op.upload:
		o["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"multipart/form-data": map[string]any{"schema": obj([]string{"file"}, map[string]any{"file": map[string]any{"type": "string", "contentMediaType": "application/octet-stream"}})},
			"application/json":    map[string]any{"schema": obj([]string{"assetId"}, map[string]any{"assetId": str})},
		}}
	case op.form != nil:
		o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"multipart/form-data": map[string]any{"schema": op.form}}}
	case op.body != nil:
		o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": op.body}}}
	}
	success := map[string]any{"description": http.StatusText(op.status)}
	switch {
	case op.content != "":
		success["content"] = map[string]any{op.content: map[string]any{}}
	case op.resp != nil:
		success["content"] = map[string]any{"application/json": map[string]any{"schema": op.resp}}
	}
	errResp := map[string]any{"description": "An error: {\"error\":{\"code\",\"message\"}}.",
		"content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
	responses := map[string]any{itoa(op.status): success, "default": errResp}
	if op.alt != 0 {
		alt := map[string]any{"description": http.StatusText(op.alt)}
		if op.alt != http.StatusNoContent && success["content"] != nil {
			alt["content"] = success["content"]
		}
		responses[itoa(op.alt)] = alt
	}
	o["responses"] = responses
	o["security"] = security(rt.access)
	return o
}

// security is the operation's security requirement, from the route's access rule.
func security(a *access) []any {
	if a == nil {
		return []any{}
	}
	var sec []any
	if !a.tokenOnly {
		sec = append(sec, map[string]any{"cookieAuth": []string{}})
	}
	if a.bearer {
		scopes := a.scopes
		if scopes == nil {
			scopes = []string{}
		}
		if len(scopes) <= 1 {
			sec = append(sec, map[string]any{"bearerAuth": scopes})
		} else { // any one of the scopes is enough: one alternative per scope
			for _, sc := range scopes {
				sec = append(sec, map[string]any{"bearerAuth": []string{sc}})
			}
		}
	}
	return sec
}

func pathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}"))
		}
	}
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// openAPIJSON is the encoded document, built once per server (the route table does not change).
type openAPIJSON struct {
	once sync.Once
	body []byte
	err  error
}

func (s *Server) getOpenAPI(w http.ResponseWriter, r *http.Request) error {
	s.openapi.once.Do(func() { s.openapi.body, s.openapi.err = json.Marshal(s.openAPIDocument()) })
	if s.openapi.err != nil {
		return s.openapi.err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, err := w.Write(s.openapi.body)
	return err
}
