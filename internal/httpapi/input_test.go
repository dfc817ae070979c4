package httpapi_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/testutil"
)

// garbage is text no database column can hold the same way: PostgreSQL refuses both a NUL
// byte and invalid UTF-8 (SQLSTATE 22021), SQLite stores either.
var garbage = []struct{ name, raw string }{
	{"nul", "x\x00y"},
	{"invalid utf-8", "x\xff\xfey"},
}

// jsonLit is raw as a JSON string literal: a NUL as the escape \u0000, invalid bytes left raw
// (json.Marshal would turn them into U+FFFD, which is not what an attacker sends).
func jsonLit(raw string) string {
	return `"` + strings.ReplaceAll(raw, "\x00", `\u0000`) + `"`
}

// inputRoute is one route of routes.go and every place it takes text: garbage in a path value
// answers 404, in the query string or a JSON string 400 — before the database, on both.
type inputRoute struct {
	pattern string   // exactly as in routes.go
	path    string   // a concrete path, with real ids where the route takes them
	body    string   // a valid body for path and query probes (JSON), or ""
	ids     []string // path with "{}" where one path value is replaced by garbage
	query   []string // the query parameters the handler reads ("junk" is always tried too)
	json    []string // bodies with "{}" where a JSON string literal of garbage goes
	stream  bool     // an event stream: a request that got through would stay open
}

// TestGarbageInputNeverReachesTheDatabase sends a NUL and invalid UTF-8 in every path value,
// query parameter and JSON string of every route, and expects 404 / 400 with the SPEC error
// body and never a 5xx. Run with FALSTUDIO_TEST_DATABASE_URL it does so on PostgreSQL, where
// any such text reaching a query failed with 500 internal.
func TestGarbageInputNeverReachesTheDatabase(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(), App: app.Options{UI: uiFixture}})
	e := &libEnv{studio: st, files: map[string][]byte{}}
	e.a, e.aID = libUser(t, st, "garbage-admin@example.com") // the first account: admin
	e.b, e.bID = libUser(t, st, "garbage-member@example.com")
	if r := e.a.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key-1"}); r.Status != 200 {
		t.Fatalf("save key: %d %s", r.Status, r.Body)
	}
	asset := e.seed(t, e.aID, "garbage fox", "fal-ai/flux/dev", model.KindImage, time.Now(), 2000)
	coll := createCollection(t, e.a, "Garbage board")
	var sh shareJSON
	mustJSON(t, e.a.Do("POST", "/api/shares", map[string]any{"assetId": asset}), 201, &sh)
	m := tokenURL.FindStringSubmatch(*sh.Share.URL)
	if m == nil {
		t.Fatalf("share url %q", *sh.Share.URL)
	}
	token := m[1]
	var pr struct{ Preset struct{ ID string } }
	mustJSON(t, e.a.Do("POST", "/api/presets", map[string]any{"name": "Garbage preset", "model": "fal-ai/flux/dev"}), 201, &pr)
	gen := submit(t, e.a, "fal-ai/flux/dev", "a real job", nil).ID
	member := strconv.FormatInt(e.bID, 10)
	var pol struct{ Policy struct{ ID string } }
	mustJSON(t, e.a.Do("POST", "/api/admin/policies", map[string]any{"name": "Garbage policy"}), 201, &pol)
	const pw = `"` + goodPassword + `"`

	routes := []inputRoute{
		{pattern: "GET /api/status", path: "/api/status"},
		{pattern: "GET /healthz", path: "/healthz"},
		{pattern: "GET /readyz", path: "/readyz"},
		{pattern: "GET /metrics", path: "/metrics"},
		{pattern: "POST /api/auth/signup", path: "/api/auth/signup", json: []string{
			`{"email":{},"password":` + pw + `}`, `{"email":"garbage-new@example.com","password":{}}`,
			`{"email":"garbage-new2@example.com","password":` + pw + `,"invite":{}}`}},
		{pattern: "POST /api/auth/login", path: "/api/auth/login", json: []string{
			`{"email":{},"password":` + pw + `}`, `{"email":"garbage-admin@example.com","password":{}}`}},
		{pattern: "GET /api/me", path: "/api/me"},
		{pattern: "PUT /api/me/password", path: "/api/me/password", json: []string{
			`{"currentPassword":{},"newPassword":"another good password"}`, `{"currentPassword":` + pw + `,"newPassword":{}}`}},
		{pattern: "PUT /api/me/fal-key", path: "/api/me/fal-key", json: []string{`{"falKey":{}}`}},
		{pattern: "DELETE /api/me/fal-key", path: "/api/me/fal-key"},
		{pattern: "DELETE /api/me", path: "/api/me", json: []string{`{"password":{}}`}},
		{pattern: "POST /api/auth/reset", path: "/api/auth/reset", json: []string{
			`{"token":{},"newPassword":` + pw + `}`, `{"token":"abc","newPassword":{}}`}},
		{pattern: "POST /api/auth/invite", path: "/api/auth/invite", json: []string{`{"invite":{}}`}},
		{pattern: "GET /api/admin/users", path: "/api/admin/users"},
		{pattern: "PATCH /api/admin/users/{id}", path: "/api/admin/users/" + member, body: `{"disabled":false}`,
			ids: []string{"/api/admin/users/{}"}, json: []string{`{"role":{}}`, `{"policyId":{}}`}},
		// Single sign-on is off in this studio: its routes are the catch-all's 404, and garbage in
		// their query is refused before any routing.
		{pattern: "GET /api/auth/oidc/start", path: "/api/auth/oidc/start", query: []string{"invite"}},
		{pattern: "GET /api/auth/oidc/callback", path: "/api/auth/oidc/callback", query: []string{"code", "state", "error"}},
		{pattern: "POST /api/me/oidc/link", path: "/api/me/oidc/link", body: `{}`},
		{pattern: "DELETE /api/me/oidc", path: "/api/me/oidc"},
		{pattern: "GET /api/admin/policies", path: "/api/admin/policies"},
		{pattern: "POST /api/admin/policies", path: "/api/admin/policies", json: []string{`{"name":{}}`, `{"name":"G1","blockedTerms":[{}]}`,
			`{"name":"G2","allowedModels":[{}]}`, `{"name":"G3","forcedParams":{"seed":{}}}`}},
		{pattern: "PATCH /api/admin/policies/{id}", path: "/api/admin/policies/" + pol.Policy.ID, body: `{"hideFlagged":false}`,
			ids: []string{"/api/admin/policies/{}"}, json: []string{`{"name":{}}`, `{"blockedTerms":[{}]}`}},
		{pattern: "DELETE /api/admin/policies/{id}", path: "/api/admin/policies/unknown", ids: []string{"/api/admin/policies/{}"}},
		{pattern: "DELETE /api/admin/users/{id}", path: "/api/admin/users/999999", ids: []string{"/api/admin/users/{}"}},
		{pattern: "POST /api/admin/users/{id}/password-reset", path: "/api/admin/users/" + member + "/password-reset",
			ids: []string{"/api/admin/users/{}/password-reset"}},
		{pattern: "GET /api/admin/invites", path: "/api/admin/invites"},
		{pattern: "POST /api/admin/invites", path: "/api/admin/invites", body: `{}`, json: []string{`{"email":{}}`}},
		{pattern: "DELETE /api/admin/invites/{id}", path: "/api/admin/invites/999999", ids: []string{"/api/admin/invites/{}"}},
		{pattern: "GET /api/admin/audit", path: "/api/admin/audit", query: []string{"cursor", "limit"}},
		{pattern: "GET /api/admin/users/{id}/shares", path: "/api/admin/users/" + member + "/shares", ids: []string{"/api/admin/users/{}/shares"}},
		{pattern: "DELETE /api/admin/shares/{id}", path: "/api/admin/shares/unknown", ids: []string{"/api/admin/shares/{}"}},
		{pattern: "GET /api/me/fal-credits", path: "/api/me/fal-credits"},
		{pattern: "PUT /api/me/budget", path: "/api/me/budget", body: `{"monthlyBudgetUsd":null}`},
		{pattern: "GET /api/me/usage", path: "/api/me/usage", query: []string{"from", "to", "groupBy"}},
		{pattern: "GET /api/admin/usage", path: "/api/admin/usage", query: []string{"from", "to", "groupBy"}},
		{pattern: "GET /api/models", path: "/api/models"},
		{pattern: "GET /api/models/search", path: "/api/models/search", query: []string{"q", "category"}},
		{pattern: "GET /api/models/schema", path: "/api/models/schema", query: []string{"id"}},
		{pattern: "POST /api/uploads", path: "/api/uploads", json: []string{`{"assetId":{}}`, `{"sharedId":{}}`}},
		{pattern: "POST /api/generations", path: "/api/generations", json: []string{
			`{"model":{}}`, `{"model":"fal-ai/flux/dev","prompt":{}}`,
			`{"model":"fal-ai/flux/dev","prompt":"p","params":{"negative_prompt":{}}}`,
			`{"model":"fal-ai/flux/dev","prompt":"p","params":{"image_size":[{}]}}`,
			`{"model":"fal-ai/flux/dev","prompt":"p","params":{ {}:1}}`,
			`{"model":"fal-ai/flux/dev","prompt":"p","collectionId":{}}`,
			`{"model":"fal-ai/flux-pro/kontext","prompt":"p","referenceAssetIds":[{}]}`,
			`{"model":"fal-ai/flux-pro/kontext","prompt":"p","referenceAssetIds":["` + asset + `"],"relation":{}}`,
			`{"model":"fal-ai/minimax/hailuo-02/standard/image-to-video","prompt":"p","startAssetId":{}}`,
			`{"model":"fal-ai/minimax/hailuo-02/standard/image-to-video","prompt":"p","endAssetId":{}}`}},
		{pattern: "POST /api/generations/estimate", path: "/api/generations/estimate", json: []string{
			`{"model":{}}`, `{"model":"fal-ai/flux/dev","prompt":{}}`, `{"model":"fal-ai/flux/dev","params":{"num_images":{}}}`}},
		{pattern: "GET /api/generations", path: "/api/generations", query: []string{"status", "cursor", "limit", "active"}},
		{pattern: "GET /api/generations/{id}", path: "/api/generations/" + gen, ids: []string{"/api/generations/{}"}},
		{pattern: "GET /api/generations/{id}/events", path: "/api/generations/" + gen + "/events", ids: []string{"/api/generations/{}/events"}, stream: true},
		{pattern: "POST /api/generations/{id}/cancel", path: "/api/generations/unknown/cancel", ids: []string{"/api/generations/{}/cancel"}},
		{pattern: "GET /api/assets", path: "/api/assets", query: []string{"kind", "q", "cursor", "limit", "favorite", "model", "from", "to", "collection", "cast"}},
		{pattern: "GET /api/assets/{id}", path: "/api/assets/" + asset, ids: []string{"/api/assets/{}"}},
		{pattern: "DELETE /api/assets/{id}", path: "/api/assets/unknown", ids: []string{"/api/assets/{}"}},
		{pattern: "GET /media/{id}", path: "/media/" + asset, ids: []string{"/media/{}"}, query: []string{"download", "original"}},
		{pattern: "GET /api/assets/{id}/lineage", path: "/api/assets/" + asset + "/lineage", ids: []string{"/api/assets/{}/lineage"}},
		{pattern: "GET /api/trash", path: "/api/trash", query: []string{"cursor", "limit"}},
		{pattern: "POST /api/trash/restore", path: "/api/trash/restore", body: `{"assetIds":["unknown"]}`, json: []string{`{"assetIds":[{}]}`}},
		{pattern: "POST /api/trash/purge", path: "/api/trash/purge", body: `{"assetIds":["unknown"]}`, json: []string{`{"assetIds":[{}]}`}},
		{pattern: "POST /api/trash/empty", path: "/api/trash/empty", body: `{}`},
		{pattern: "GET /api/me/preferences", path: "/api/me/preferences"},
		{pattern: "PUT /api/me/preferences", path: "/api/me/preferences", body: `{"embedPrompt":true}`, json: []string{`{"embedPrompt":{}}`}},
		{pattern: "GET /media/{id}/thumb", path: "/media/" + asset + "/thumb", ids: []string{"/media/{}/thumb"}},
		{pattern: "POST /api/assets/{id}/frame", path: "/api/assets/" + asset + "/frame", body: `{"atSeconds":0}`, ids: []string{"/api/assets/{}/frame"}},
		{pattern: "GET /api/assets/{id}/filmstrip", path: "/api/assets/" + asset + "/filmstrip", ids: []string{"/api/assets/{}/filmstrip"}, query: []string{"count"}},
		{pattern: "GET /media/{id}/filmstrip/{count}", path: "/media/" + asset + "/filmstrip/10",
			ids: []string{"/media/{}/filmstrip/10", "/media/" + asset + "/filmstrip/{}"}},
		{pattern: "POST /api/stitch", path: "/api/stitch", body: `{"assetIds":["` + asset + `","` + asset + `"]}`, json: []string{
			`{"assetIds":[{}, "x"]}`, `{"assetIds":["` + asset + `",{}]}`, `{"assetIds":["a","b"],"collectionId":{}}`}},
		{pattern: "POST /api/assets/{id}/extend", path: "/api/assets/" + asset + "/extend", body: `{"prompt":"next"}`,
			ids: []string{"/api/assets/{}/extend"}, json: []string{`{"prompt":{}}`, `{"prompt":"x","model":{}}`,
				`{"prompt":"x","collectionId":{}}`, `{"prompt":"x","params":{"duration":{}}}`}},
		{pattern: "POST /api/assets/import", path: "/api/assets/import"},
		{pattern: "PUT /api/assets/{id}/favorite", path: "/api/assets/" + asset + "/favorite", ids: []string{"/api/assets/{}/favorite"}},
		{pattern: "DELETE /api/assets/{id}/favorite", path: "/api/assets/" + asset + "/favorite", ids: []string{"/api/assets/{}/favorite"}},
		{pattern: "POST /api/assets/bulk-delete", path: "/api/assets/bulk-delete", body: `{"assetIds":["unknown"]}`,
			json: []string{`{"assetIds":[{}]}`, `{"assetIds":["` + asset + `",{}]}`}},
		{pattern: "POST /api/assets/bulk-favorite", path: "/api/assets/bulk-favorite", body: `{"assetIds":["unknown"],"favorite":true}`,
			json: []string{`{"assetIds":[{}],"favorite":true}`}},
		{pattern: "GET /api/collections", path: "/api/collections"},
		{pattern: "POST /api/collections", path: "/api/collections", json: []string{`{"name":{}}`}},
		{pattern: "PATCH /api/collections/{id}", path: "/api/collections/" + coll, body: `{"name":"Garbage board"}`,
			ids: []string{"/api/collections/{}"}, json: []string{`{"name":{}}`, `{"coverAssetId":{}}`}},
		{pattern: "DELETE /api/collections/{id}", path: "/api/collections/unknown", ids: []string{"/api/collections/{}"}},
		{pattern: "POST /api/collections/{id}/assets", path: "/api/collections/" + coll + "/assets", body: `{"assetIds":["` + asset + `"]}`,
			ids: []string{"/api/collections/{}/assets"}, json: []string{`{"assetIds":[{}]}`}},
		{pattern: "DELETE /api/collections/{id}/assets", path: "/api/collections/" + coll + "/assets", body: `{"assetIds":["unknown"]}`,
			ids: []string{"/api/collections/{}/assets"}, json: []string{`{"assetIds":[{}]}`}},
		{pattern: "GET /api/export.zip", path: "/api/export.zip", query: []string{"ids", "collection"}},
		{pattern: "GET /api/shares", path: "/api/shares"},
		{pattern: "POST /api/shares", path: "/api/shares", json: []string{
			`{"assetId":{}}`, `{"collectionId":{}}`, `{"assetId":"` + asset + `","expiresAt":{}}`}},
		{pattern: "DELETE /api/shares/{id}", path: "/api/shares/unknown", ids: []string{"/api/shares/{}"}},
		{pattern: "GET /api/s/{token}", path: "/api/s/" + token, ids: []string{"/api/s/{}"}, query: []string{"cursor", "limit"}},
		{pattern: "GET /s/{token}/media/{assetId}", path: "/s/" + token + "/media/" + asset,
			ids: []string{"/s/{}/media/" + asset, "/s/" + token + "/media/{}"}, query: []string{"download"}},
		// fal's webhook: off here (404); a body is only read once fal's signature verifies it.
		{pattern: "POST /api/fal/webhook", path: "/api/fal/webhook"},
		{pattern: "GET /api/events", path: "/api/events", query: []string{"lastEventId"}, stream: true},
		{pattern: "GET /api/presets", path: "/api/presets"},
		{pattern: "POST /api/presets", path: "/api/presets", json: []string{
			`{"name":{},"model":"fal-ai/flux/dev"}`, `{"name":"Garbage 2","model":{}}`,
			`{"name":"Garbage 3","model":"fal-ai/flux/dev","params":{"negative_prompt":{}}}`}},
		{pattern: "PATCH /api/presets/{id}", path: "/api/presets/" + pr.Preset.ID, body: `{"name":"Garbage preset"}`,
			ids: []string{"/api/presets/{}"}, json: []string{`{"name":{}}`, `{"params":{"seed":{}}}`}},
		{pattern: "DELETE /api/presets/{id}", path: "/api/presets/unknown", ids: []string{"/api/presets/{}"}},
		{pattern: "GET /api/tokens", path: "/api/tokens"},
		{pattern: "POST /api/tokens", path: "/api/tokens", json: []string{`{"name":{},"scopes":["generate"]}`, `{"name":"g","scopes":[{}]}`,
			`{"name":"g","scopes":["generate"],"models":[{}]}`, `{"name":"g","scopes":["generate"],"expiresAt":{}}`}},
		{pattern: "DELETE /api/tokens/{id}", path: "/api/tokens/unknown", ids: []string{"/api/tokens/{}"}},
		{pattern: "GET /api/openapi.json", path: "/api/openapi.json"},
		{pattern: "POST /mcp", path: "/mcp"},
		{pattern: "GET /mcp", path: "/mcp"},
		{pattern: "DELETE /mcp", path: "/mcp"},
		// Studio power (SPEC §14).
		{pattern: "POST /api/compare", path: "/api/compare", json: []string{
			`{"prompt":{},"runs":[{"model":"fal-ai/flux/dev"},{"model":"fal-ai/flux/dev"}]}`,
			`{"prompt":"p","runs":[{"model":{}},{"model":"fal-ai/flux/dev"}]}`,
			`{"prompt":"p","runs":[{"model":"fal-ai/flux/dev"},{"model":"fal-ai/flux/dev"}],"referenceAssetIds":[{}]}`,
			`{"prompt":"p","runs":[{"model":"fal-ai/flux/dev"},{"model":"fal-ai/flux/dev"}],"cast":[{}]}`}},
		{pattern: "GET /api/compare/{group}", path: "/api/compare/unknown", ids: []string{"/api/compare/{}"}},
		{pattern: "POST /api/assets/{id}/derive", path: "/api/assets/unknown/derive", body: `{"action":"upscale"}`,
			ids: []string{"/api/assets/{}/derive"}, json: []string{`{"action":{}}`, `{"action":"upscale","model":{}}`}},
		{pattern: "POST /api/prompts/enhance", path: "/api/prompts/enhance", json: []string{
			`{"prompt":{},"model":"fal-ai/flux/dev"}`, `{"prompt":"p","model":{}}`}},
		{pattern: "GET /api/cast", path: "/api/cast"},
		{pattern: "POST /api/cast", path: "/api/cast", json: []string{
			`{"name":{},"kind":"person","assetIds":["` + asset + `"]}`, `{"name":"Garbage","kind":{},"assetIds":["` + asset + `"]}`,
			`{"name":"Garbage","kind":"person","assetIds":[{}]}`, `{"name":"Garbage","kind":"person","assetIds":["` + asset + `"],"description":{}}`}},
		{pattern: "GET /api/cast/{id}", path: "/api/cast/unknown", ids: []string{"/api/cast/{}"}},
		{pattern: "PATCH /api/cast/{id}", path: "/api/cast/unknown", body: `{"name":"Garbage"}`, ids: []string{"/api/cast/{}"},
			json: []string{`{"name":{}}`, `{"imageIds":[{}]}`, `{"addAssetIds":[{}]}`}},
		{pattern: "DELETE /api/cast/{id}", path: "/api/cast/unknown", ids: []string{"/api/cast/{}"}},
		{pattern: "GET /api/cast/{id}/images/{imageId}", path: "/api/cast/unknown/images/unknown",
			ids: []string{"/api/cast/{}/images/unknown", "/api/cast/unknown/images/{}"}},
		{pattern: "GET /api/push/key", path: "/api/push/key"},
		{pattern: "POST /api/push/subscriptions", path: "/api/push/subscriptions", json: []string{
			`{"endpoint":{},"keys":{"p256dh":"x","auth":"y"}}`, `{"endpoint":"https://fcm.googleapis.com/x","keys":{"p256dh":{},"auth":"y"}}`,
			`{"endpoint":"https://fcm.googleapis.com/x","keys":{"p256dh":"x","auth":{}}}`}},
		{pattern: "GET /api/push/subscriptions", path: "/api/push/subscriptions"},
		{pattern: "DELETE /api/push/subscriptions/{id}", path: "/api/push/subscriptions/unknown", ids: []string{"/api/push/subscriptions/{}"}},
		{pattern: "GET /api/me/notifications", path: "/api/me/notifications"},
		{pattern: "PUT /api/me/notifications", path: "/api/me/notifications", body: `{"push":true}`, json: []string{`{"push":{}}`}},
		{pattern: "POST /share-target", path: "/share-target"},
		{pattern: "POST /api/shared/claim", path: "/api/shared/claim"},
		{pattern: "GET /api/shared", path: "/api/shared"},
		{pattern: "GET /api/shared/{id}", path: "/api/shared/unknown", ids: []string{"/api/shared/{}"}},
		{pattern: "GET /api/shared/{id}/file", path: "/api/shared/unknown/file", ids: []string{"/api/shared/{}/file"}},
		{pattern: "DELETE /api/shared/{id}", path: "/api/shared/unknown", ids: []string{"/api/shared/{}"}},
		{pattern: "POST /api/shared/{id}/import", path: "/api/shared/unknown/import", ids: []string{"/api/shared/{}/import"}},
		{pattern: "/api/", path: "/api/nothing-here", ids: []string{"/api/{}", "/api/assets/" + asset + "/{}"}},
		{pattern: "/", path: "/gallery", ids: []string{"/{}", "/s/{}"}},
		{pattern: "POST /api/auth/logout", path: "/api/auth/logout"}, // last: without the check it would end the session
	}
	checkAllRoutesListed(t, routes)

	for _, rt := range routes {
		do := func(method, path string, body any) *testutil.Response {
			if rt.stream {
				return streamAnswer(t, e.a, path)
			}
			return e.a.Do(method, path, body)
		}
		method, _, ok := strings.Cut(rt.pattern, " ")
		if !ok {
			method = "GET" // a catch-all
		}
		var body any
		if rt.body != "" {
			body = rt.body
		}
		for _, g := range garbage {
			for _, p := range rt.ids {
				path := strings.Replace(p, "{}", url.PathEscape(g.raw), 1)
				expect(t, rt.pattern, g.name, do(method, path, body), 404, model.CodeNotFound)
			}
			for _, q := range append(slices.Clone(rt.query), "junk") {
				path := rt.path + "?" + q + "=" + url.QueryEscape(g.raw)
				expect(t, rt.pattern, g.name+" in ?"+q, do(method, path, body), 400, model.CodeInvalidInput)
				path = rt.path + "?" + url.QueryEscape(g.raw) + "=1"
				expect(t, rt.pattern, g.name+" in a query name", do(method, path, body), 400, model.CodeInvalidInput)
			}
			for _, tmpl := range rt.json {
				b := strings.ReplaceAll(tmpl, "{}", jsonLit(g.raw))
				expect(t, rt.pattern, g.name+" in "+tmpl, do(method, rt.path, b), 400, model.CodeInvalidInput)
			}
		}
	}

	// A NUL cannot travel in a header (net/http refuses it on both ends); invalid UTF-8 can, and
	// the one header that names something stored, Last-Event-ID, is read as a number: a fresh
	// snapshot, as for any id it does not know.
	login := e.b
	if r := login.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key-2"}); r.Status != 200 {
		t.Fatalf("save key: %d %s", r.Status, r.Body)
	}
	if r := streamAnswer(t, login, "/api/events", "Last-Event-ID", "1\xff\xfe"); r.Status != 200 {
		t.Fatalf("Last-Event-ID with invalid UTF-8: %d %s, want 200 (a fresh snapshot)", r.Status, r.Body)
	}
	// An upload's file name is reduced to a slug and never stored.
	for _, g := range garbage {
		r := uploadNamed(t, login, g.raw+".png")
		if r.Status >= 500 {
			t.Fatalf("upload named %s: %d %s", g.name, r.Status, r.Body)
		}
	}

	// Nothing was logged as a failure: no request reached the database with such text.
	if logs := st.Logs.String(); strings.Contains(logs, "request failed") || strings.Contains(logs, "level=ERROR") {
		t.Fatalf("server logged a failure:\n%s", logs)
	}
}

func expect(t *testing.T, pattern, what string, r *testutil.Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.ErrorCode() != code {
		t.Errorf("%s, %s: %d %s, want %d %s", pattern, what, r.Status, bytes.TrimSpace(r.Body), status, code)
	}
}

// checkAllRoutesListed fails when routes.go has a route the table above does not cover, so a new
// route cannot skip the check.
func checkAllRoutesListed(t *testing.T, routes []inputRoute) {
	t.Helper()
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, rt := range routes {
		listed[rt.pattern] = true
	}
	found := regexp.MustCompile(`mux\.Handle(?:Func)?\("([^"]+)"`).FindAllSubmatch(src, -1)
	if len(found) < 50 {
		t.Fatalf("found only %d routes in routes.go", len(found))
	}
	for _, f := range found {
		if !listed[string(f[1])] {
			t.Errorf("route %q of routes.go is not in the garbage-input table", f[1])
		}
	}
}

// streamAnswer opens an event stream: an answer that is not 200 is read whole, a stream that
// opens is closed once its headers arrive (its body then is empty).
func streamAnswer(t *testing.T, c *testutil.Client, path string, hdr ...string) *testutil.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", c.Base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return testutil.ReadResponse(t, resp)
	}
	// A stream that opened: its body never ends, and its status is the answer.
	return &testutil.Response{Status: resp.StatusCode, Header: resp.Header}
}

// uploadNamed posts a small PNG as a multipart file with the given file name.
func uploadNamed(t *testing.T, c *testutil.Client, name string) *testutil.Response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="file"; filename="` + name + `"`}
	h["Content-Type"] = []string{"image/png"}
	part, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := part.Write(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return c.Do("POST", "/api/uploads", &buf, "Content-Type", mw.FormDataContentType())
}
