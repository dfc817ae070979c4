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
	status  int            // the success status
	resp    map[string]any // the success body's schema (nil: no body)
	content string         // the success content type when not JSON
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
	paged = func(key, item string) map[string]any {
		return obj([]string{key, "nextCursor"}, map[string]any{key: arr(ref(item)), "nextCursor": orNull("string")})
	}
)

// apiOps documents every route of the table, keyed by its pattern.
var apiOps = map[string]apiOp{
	"GET /api/status": {id: "getStatus", summary: "The studio's version, database and storage.", status: 200,
		resp: obj([]string{"ok", "version", "database", "storage"}, map[string]any{"ok": boolean, "version": str, "database": enum("sqlite", "postgres"), "storage": enum("s3", "local"), "signupMode": str})},
	"POST /api/auth/signup":  {id: "signUp", summary: "Create an account and sign in.", body: credentialsBody, status: 201, resp: wrap("user", ref("User"))},
	"POST /api/auth/login":   {id: "logIn", summary: "Sign in.", body: credentialsBody, status: 200, resp: wrap("user", ref("User"))},
	"POST /api/auth/logout":  {id: "logOut", summary: "End this session.", status: 204},
	"POST /api/auth/reset":   {id: "resetPassword", summary: "Set a new password with a reset link's token.", body: obj([]string{"token", "newPassword"}, map[string]any{"token": str, "newPassword": str}), status: 204},
	"POST /api/auth/invite":  {id: "checkInvite", summary: "Check an invite before signing up.", body: obj([]string{"invite"}, map[string]any{"invite": str}), status: 200, resp: wrap("invite", object)},
	"GET /api/me":            {id: "getMe", summary: "The signed-in person.", status: 200, resp: wrap("user", ref("User"))},
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
	"PATCH /api/admin/users/{id}":  {id: "updateUser", summary: "Change a role, disable or enable, set a budget.", body: obj(nil, map[string]any{"role": enum("admin", "member"), "disabled": boolean, "monthlyBudgetUsd": orNull("number")}), status: 200, resp: wrap("user", ref("AdminUser"))},
	"DELETE /api/admin/users/{id}": {id: "deleteUser", summary: "Delete an account and its media.", status: 204},
	"POST /api/admin/users/{id}/password-reset": {id: "createPasswordReset", summary: "Make a password reset link.", status: 201,
		resp: obj([]string{"url", "expiresAt"}, map[string]any{"url": str, "expiresAt": str})},
	"GET /api/admin/invites": {id: "listInvites", summary: "Invites.", status: 200, resp: wrap("invites", arr(ref("Invite")))},
	"POST /api/admin/invites": {id: "createInvite", summary: "Make an invite link.", body: obj(nil, map[string]any{"email": str, "expiresInHours": num}), status: 201,
		resp: obj([]string{"invite", "url"}, map[string]any{"invite": ref("Invite"), "url": str})},
	"DELETE /api/admin/invites/{id}":      {id: "revokeInvite", summary: "Revoke an invite.", status: 204},
	"GET /api/admin/audit":                {id: "listAudit", summary: "The audit log, newest first.", query: []string{"cursor", "limit:integer"}, status: 200, resp: paged("events", "AuditEvent")},
	"GET /api/admin/users/{id}/shares":    {id: "listUserShares", summary: "A person's share links.", status: 200, resp: wrap("shares", arr(ref("Share")))},
	"DELETE /api/admin/shares/{id}":       {id: "revokeAnyShare", summary: "Revoke anyone's share link.", status: 204},
	"GET /api/models":                     {id: "listModels", summary: "The curated model catalogue.", status: 200, resp: wrap("models", arr(ref("Model")))},
	"GET /api/models/search":              {id: "searchModels", summary: "Search fal's live model catalogue.", query: []string{"q", "category"}, status: 200, resp: wrap("models", arr(object))},
	"GET /api/models/schema":              {id: "getModelSchema", summary: "Any fal model as a renderable Model.", query: []string{"id"}, status: 200, resp: wrap("model", ref("Model"))},
	"POST /api/uploads":                   {id: "upload", summary: "Upload a reference image to fal storage.", upload: true, status: 201, resp: obj([]string{"url"}, map[string]any{"url": str})},
	"POST /api/generations":               {id: "createGeneration", summary: "Start a generation (or a group of variations).", body: submitBody, status: 202, resp: obj(nil, map[string]any{"generation": ref("Generation"), "generations": arr(ref("Generation"))})},
	"POST /api/generations/estimate":      {id: "estimateGeneration", summary: "Estimate a generation's cost.", body: obj([]string{"model"}, map[string]any{"model": str, "prompt": str, "params": object}), status: 200, resp: ref("Estimate")},
	"GET /api/generations":                {id: "listGenerations", summary: "Generations, newest first (active=1: the unfinished ones).", query: []string{"active", "status", "cursor", "limit:integer"}, status: 200, resp: paged("generations", "Generation")},
	"GET /api/generations/{id}":           {id: "getGeneration", summary: "One generation.", status: 200, resp: wrap("generation", ref("Generation"))},
	"GET /api/generations/{id}/events":    {id: "generationEvents", summary: "A generation's changes as server-sent events.", status: 200, content: "text/event-stream"},
	"POST /api/generations/{id}/cancel":   {id: "cancelGeneration", summary: "Cancel a generation.", status: 200, resp: obj([]string{"generation"}, map[string]any{"generation": ref("Generation"), "cancel": object})},
	"GET /api/assets":                     {id: "listAssets", summary: "The gallery, newest first.", query: []string{"kind", "q", "favorite", "model", "from", "to", "collection", "cursor", "limit:integer"}, status: 200, resp: paged("assets", "Asset")},
	"GET /api/assets/{id}":                {id: "getAsset", summary: "One asset.", status: 200, resp: wrap("asset", ref("Asset"))},
	"DELETE /api/assets/{id}":             {id: "deleteAsset", summary: "Delete an asset and its stored file.", status: 204},
	"PUT /api/assets/{id}/favorite":       {id: "favoriteAsset", summary: "Mark an asset as a favourite.", status: 200, resp: wrap("asset", ref("Asset"))},
	"DELETE /api/assets/{id}/favorite":    {id: "unfavoriteAsset", summary: "Unmark a favourite.", status: 200, resp: wrap("asset", ref("Asset"))},
	"POST /api/assets/bulk-delete":        {id: "bulkDeleteAssets", summary: "Delete several assets.", body: ids, status: 200, resp: obj([]string{"deleted"}, map[string]any{"deleted": integer})},
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
	"GET /media/{id}/thumb":          {id: "getThumb", summary: "An asset's preview image.", status: 200, content: "image/webp"},
	"POST /mcp":                      {id: "mcp", summary: "The MCP server (Streamable HTTP, JSON-RPC).", body: object, status: 200, resp: object},
	"GET /mcp":                       {id: "mcpStream", summary: "Not offered: the MCP server is stateless (405).", status: 405},
	"DELETE /mcp":                    {id: "mcpEnd", summary: "End an MCP session (stateless: nothing to end).", status: 204},
	"GET /s/{token}/media/{assetId}": {id: "getPublicShareMedia", summary: "A shared asset's bytes (no session).", query: []string{"download"}, status: 200, content: "application/octet-stream"},
}

// apiSchemas are the SPEC's objects (components.schemas).
func apiSchemas() map[string]any {
	ts := str // RFC 3339 UTC timestamps
	asset := obj([]string{"id", "generationId", "model", "prompt", "kind", "url", "contentType", "bytes", "width", "height", "storage", "params", "createdAt"},
		map[string]any{"id": str, "generationId": str, "model": str, "prompt": str, "kind": enum(model.KindImage, model.KindVideo, model.KindAudio),
			"url": str, "contentType": str, "bytes": integer, "width": orNull("integer"), "height": orNull("integer"), "storage": enum("s3", "local"),
			"params": object, "createdAt": ts, "favorite": boolean, "collectionIds": arr(str), "thumbUrl": orNull("string")})
	gen := obj([]string{"id", "model", "prompt", "params", "status", "queuePosition", "logs", "error", "notice", "assets", "createdAt", "updatedAt", "completedAt", "via"},
		map[string]any{"id": str, "model": str, "prompt": str, "params": object,
			"status":        enum(model.StatusQueued, model.StatusRunning, model.StatusSaving, model.StatusSucceeded, model.StatusFailed, model.StatusCanceled),
			"queuePosition": orNull("integer"), "logs": arr(obj([]string{"time", "message"}, map[string]any{"time": ts, "message": str})),
			"error":  nullableObj([]string{"code", "message"}, map[string]any{"code": str, "message": str}),
			"notice": orNull("string"), "assets": arr(ref("Asset")), "createdAt": ts, "updatedAt": ts, "completedAt": orNull("string"),
			"costUsd": orNull("number"), "costSource": orNull("string"), "group": orNull("string"),
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
		"AdminUser": obj([]string{"id", "email", "role", "disabled", "hasFalKey", "createdAt", "lastSeenAt", "generations", "assets", "bytes", "spentThisMonthUsd", "monthlyBudgetUsd"},
			map[string]any{"id": integer, "email": str, "role": enum("admin", "member"), "disabled": boolean, "hasFalKey": boolean, "createdAt": ts,
				"lastSeenAt": orNull("string"), "generations": integer, "assets": integer, "bytes": integer, "spentThisMonthUsd": num, "monthlyBudgetUsd": orNull("number")}),
		"Invite": obj([]string{"id", "email", "createdAt", "expiresAt", "usedAt", "usedBy", "revoked", "state"}, map[string]any{
			"id": integer, "email": orNull("string"), "createdAt": ts, "expiresAt": ts, "usedAt": orNull("string"), "usedBy": orNull("string"),
			"revoked": boolean, "state": enum("pending", "used", "expired", "revoked")}),
		"AuditEvent": obj([]string{"id", "time", "actor", "action", "target", "ip", "detail"}, map[string]any{
			"id": integer, "time": ts, "actor": nullableObj([]string{"id", "email"}, map[string]any{"id": integer, "email": str}), "action": str,
			"target": nullableObj([]string{"type", "id"}, map[string]any{"type": str, "id": str}), "ip": str, "detail": orNull("object")}),
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
	o["responses"] = map[string]any{itoa(op.status): success, "default": errResp}
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
