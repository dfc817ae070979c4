package httpapi

import (
	"sort"
	"testing"

	"github.com/falstudio/falstudio/internal/config"
	"github.com/falstudio/falstudio/internal/sso"
)

// Every route of the route table is documented in apiOps (openapi.go), and every entry there is
// a route: the document cannot drift from the table. A failure names the route. The table is
// walked with single sign-on on, so the routes registered only then are covered too.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	s := &Server{cfg: &config.Config{}, Deps: Deps{SSO: &sso.Provider{}}}
	routes := s.tableRoutes()
	if len(routes) < 60 {
		t.Fatalf("only %d routes found in the table", len(routes))
	}
	seen := map[string]bool{}
	var missing []string
	for _, rt := range routes {
		key := rt.method + " " + rt.path
		seen[key] = true
		if _, ok := apiOps[key]; !ok {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("route %s is in routes.go but missing from the OpenAPI document: add it to apiOps in openapi.go", m)
	}
	for key := range apiOps {
		if !seen[key] {
			t.Errorf("apiOps documents %s, which the route table does not serve", key)
		}
	}
	// Security follows each route's access rule.
	doc := s.openAPIDocument()
	paths := doc["paths"].(map[string]any)
	sec := func(method, path string) []any {
		return paths[path].(map[string]any)[method].(map[string]any)["security"].([]any)
	}
	if got := sec("get", "/api/status"); len(got) != 0 {
		t.Errorf("status security: %v", got)
	}
	if got := sec("get", "/api/admin/users"); len(got) != 1 {
		t.Errorf("admin security: %v", got)
	}
	if got := sec("post", "/api/generations"); len(got) != 2 || got[1].(map[string]any)["bearerAuth"].([]string)[0] != "generate" {
		t.Errorf("generations security: %v", got)
	}
	if got := sec("get", "/api/tokens"); len(got) != 1 {
		t.Errorf("tokens security: %v", got)
	}
	if got := sec("get", "/api/auth/oidc/start"); len(got) != 0 {
		t.Errorf("oidc start security: %v", got)
	}
	// Without single sign-on its routes are not served, so not documented.
	off := (&Server{cfg: &config.Config{}}).openAPIDocument()["paths"].(map[string]any)
	if _, ok := off["/api/auth/oidc/start"]; ok {
		t.Error("the document describes the SSO routes while SSO is off")
	}
	if _, ok := paths["/api/openapi.json"]; !ok {
		t.Error("the document does not describe itself")
	}
}
