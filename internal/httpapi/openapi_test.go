package httpapi_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

// apiDoc is the served document, with a validator for each operation's success answer.
type apiDoc struct {
	raw  map[string]any
	defs json.RawMessage // components.schemas with their refs pointed at $defs
}

func loadAPIDoc(t *testing.T, c *testutil.Client) *apiDoc {
	t.Helper()
	r := c.Do("GET", "/api/openapi.json", nil, "Authorization", "Bearer fst_ignored")
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	d := &apiDoc{raw: r.JSON()}
	comps, _ := d.raw["components"].(map[string]any)
	b, err := json.Marshal(comps["schemas"])
	if err != nil {
		t.Fatal(err)
	}
	d.defs = json.RawMessage(strings.ReplaceAll(string(b), `"#/components/schemas/`, `"#/$defs/`))
	return d
}

// validator compiles a schema of the document (its refs resolved against components.schemas).
func (d *apiDoc) validator(t *testing.T, schema any) *jsonschema.Resolved {
	t.Helper()
	b, err := json.Marshal(schema)
	if err != nil {
		t.Fatal(err)
	}
	src := strings.ReplaceAll(string(b), `"#/components/schemas/`, `"#/$defs/`)
	src = `{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":` + string(d.defs) + `,"allOf":[` + src + `]}`
	var sc jsonschema.Schema
	if err := json.Unmarshal([]byte(src), &sc); err != nil {
		t.Fatalf("schema does not parse: %v", err)
	}
	rs, err := sc.Resolve(nil)
	if err != nil {
		t.Fatalf("schema does not resolve: %v", err)
	}
	return rs
}

// check validates a real answer against its operation's success schema (and errors against
// the Error schema).
func (d *apiDoc) check(t *testing.T, method, pattern string, r *testutil.Response) {
	t.Helper()
	op, _ := d.raw["paths"].(map[string]any)[pattern].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if op == nil {
		t.Fatalf("%s %s is not in the document", method, pattern)
	}
	responses := op["responses"].(map[string]any)
	resp, ok := responses[fmt.Sprint(r.Status)].(map[string]any)
	if !ok {
		resp = responses["default"].(map[string]any)
	}
	content, _ := resp["content"].(map[string]any)
	mt, _ := content["application/json"].(map[string]any)
	if mt == nil {
		if len(r.Body) != 0 {
			t.Errorf("%s %s answered %d with a body the document does not describe", method, pattern, r.Status)
		}
		return
	}
	var body any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %.200s", method, pattern, r.Status, r.Body)
	}
	if err := d.validator(t, mt["schema"]).Validate(body); err != nil {
		t.Errorf("%s %s answered %d that does not match the document: %v\n%.600s", method, pattern, r.Status, err, r.Body)
	}
}

func TestOpenAPIDocument(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "doc@example.com", "sim-key") // the first account: an admin
	d := loadAPIDoc(t, c)

	// The document's shape (OpenAPI 3.1): version, info, paths with operations, components.
	if v, _ := d.raw["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Fatalf("openapi: %q", v)
	}
	if info, _ := d.raw["info"].(map[string]any); info["title"] == nil || info["version"] == nil {
		t.Fatalf("info: %v", d.raw["info"])
	}
	for _, name := range []string{"User", "Generation", "Asset", "Model", "Collection", "Share", "Token", "Estimate", "Usage", "AdminUser", "Invite", "AuditEvent", "Preset", "Error"} {
		if _, ok := d.raw["components"].(map[string]any)["schemas"].(map[string]any)[name]; !ok {
			t.Errorf("components.schemas lacks %s", name)
		}
	}
	ss := d.raw["components"].(map[string]any)["securitySchemes"].(map[string]any)
	if ss["cookieAuth"].(map[string]any)["in"] != "cookie" || ss["bearerAuth"].(map[string]any)["scheme"] != "bearer" {
		t.Fatalf("securitySchemes: %v", ss)
	}
	opIDs := map[string]string{}
	methods := map[string]bool{"get": true, "put": true, "post": true, "delete": true, "patch": true}
	for path, item := range d.raw["paths"].(map[string]any) {
		for m, raw := range item.(map[string]any) {
			if !methods[m] {
				t.Errorf("%s: %q is not an HTTP method", path, m)
				continue
			}
			op := raw.(map[string]any)
			id, _ := op["operationId"].(string)
			if id == "" || opIDs[id] != "" {
				t.Errorf("%s %s: operationId %q missing or used twice (also %s)", m, path, id, opIDs[id])
			}
			opIDs[id] = m + " " + path
			if _, ok := op["security"].([]any); !ok {
				t.Errorf("%s %s: no security", m, path)
			}
			resp, _ := op["responses"].(map[string]any)
			if resp["default"] == nil || len(resp) < 2 {
				t.Errorf("%s %s: responses %v", m, path, resp)
			}
			// Every path parameter is declared.
			declared := map[string]bool{}
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				pm := p.(map[string]any)
				if pm["in"] == "path" {
					declared[pm["name"].(string)] = true
				}
			}
			for _, name := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
				if !declared[name[1]] {
					t.Errorf("%s %s: path parameter %s not declared", m, path, name[1])
				}
			}
			// Each schema of the operation compiles, its references resolving.
			for _, r := range resp {
				if content, ok := r.(map[string]any)["content"].(map[string]any); ok {
					for _, mt := range content {
						if sc, ok := mt.(map[string]any)["schema"]; ok {
							d.validator(t, sc)
						}
					}
				}
			}
		}
	}

	// The validator refuses what the contract does not allow (a control for the checks below).
	me := d.raw["paths"].(map[string]any)["/api/me"].(map[string]any)["get"].(map[string]any)["responses"].(map[string]any)["200"].(map[string]any)
	meSchema := me["content"].(map[string]any)["application/json"].(map[string]any)["schema"]
	for _, bad := range []string{`{"user":{"id":"1","email":"a@b.c","hasFalKey":true,"role":"admin"}}`, `{"user":{"id":1,"email":"a@b.c","role":"admin"}}`,
		`{"user":{"id":1,"email":"a@b.c","hasFalKey":true,"role":"owner"}}`, `{}`} {
		var v any
		if err := json.Unmarshal([]byte(bad), &v); err != nil {
			t.Fatal(err)
		}
		if d.validator(t, meSchema).Validate(v) == nil {
			t.Errorf("the User schema accepts %s", bad)
		}
	}

	// Real answers validate against their operation's schema.
	d.check(t, "GET", "/api/status", c.Do("GET", "/api/status", nil))
	d.check(t, "GET", "/api/me", c.Do("GET", "/api/me", nil))
	d.check(t, "GET", "/api/models", c.Do("GET", "/api/models", nil))
	d.check(t, "POST", "/api/generations/estimate", c.Do("POST", "/api/generations/estimate", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "x"}))
	tr := c.Do("POST", "/api/tokens", map[string]any{"name": "doc", "scopes": []string{"generate", "library:read"}, "monthlyCapUsd": 3})
	d.check(t, "POST", "/api/tokens", tr)
	d.check(t, "POST", "/api/tokens", c.Do("POST", "/api/tokens", map[string]any{"name": ""}))
	secret, _ := tr.JSON()["secret"].(string)
	b := bearer(t, g.studio, secret)
	sub := b.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "a lighthouse"})
	d.check(t, "POST", "/api/generations", sub)
	gen := decodeGen(t, sub)
	waitDone(t, c, gen.ID)
	d.check(t, "GET", "/api/generations/{id}", c.Do("GET", "/api/generations/"+gen.ID, nil))
	d.check(t, "GET", "/api/generations/{id}", b.Do("GET", "/api/generations/nope", nil))
	d.check(t, "GET", "/api/generations", c.Do("GET", "/api/generations", nil))
	d.check(t, "GET", "/api/tokens", c.Do("GET", "/api/tokens", nil))
	assets := c.Do("GET", "/api/assets", nil)
	d.check(t, "GET", "/api/assets", assets)
	list, _ := assets.JSON()["assets"].([]any)
	if len(list) == 0 {
		t.Fatalf("no assets: %s", assets.Body)
	}
	assetID := list[0].(map[string]any)["id"].(string)
	d.check(t, "GET", "/api/assets/{id}", b.Do("GET", "/api/assets/"+assetID, nil))
	col := c.Do("POST", "/api/collections", map[string]any{"name": "Docs"})
	d.check(t, "POST", "/api/collections", col)
	colID := col.JSON()["collection"].(map[string]any)["id"].(string)
	d.check(t, "POST", "/api/collections/{id}/assets", c.Do("POST", "/api/collections/"+colID+"/assets", map[string]any{"assetIds": []string{assetID}}))
	d.check(t, "GET", "/api/collections", c.Do("GET", "/api/collections", nil))
	d.check(t, "POST", "/api/shares", c.Do("POST", "/api/shares", map[string]any{"assetId": assetID}))
	d.check(t, "GET", "/api/shares", c.Do("GET", "/api/shares", nil))
	d.check(t, "PUT", "/api/assets/{id}/favorite", c.Do("PUT", "/api/assets/"+assetID+"/favorite", nil))
	for _, group := range []string{"day", "model", "token"} {
		d.check(t, "GET", "/api/me/usage", c.Do("GET", "/api/me/usage?groupBy="+group, nil))
	}
	d.check(t, "GET", "/api/admin/users", c.Do("GET", "/api/admin/users", nil))
	d.check(t, "GET", "/api/admin/audit", c.Do("GET", "/api/admin/audit", nil))
	d.check(t, "GET", "/api/admin/usage", c.Do("GET", "/api/admin/usage?groupBy=user", nil))
	d.check(t, "POST", "/api/admin/invites", c.Do("POST", "/api/admin/invites", map[string]any{"email": "new@example.com"}))
	d.check(t, "GET", "/api/admin/invites", c.Do("GET", "/api/admin/invites", nil))
	d.check(t, "POST", "/api/presets", c.Do("POST", "/api/presets", map[string]any{"name": "p", "model": "fal-ai/flux/schnell", "params": map[string]any{}}))
	d.check(t, "GET", "/api/presets", c.Do("GET", "/api/presets", nil))
	d.check(t, "GET", "/api/tokens", b.Do("GET", "/api/tokens", nil))

	// The merged features' routes (SPEC §12–§17), each answer checked against the document.
	d.check(t, "GET", "/api/me/preferences", c.Do("GET", "/api/me/preferences", nil))
	d.check(t, "PUT", "/api/me/preferences", c.Do("PUT", "/api/me/preferences", map[string]any{"embedPrompt": false}))
	pol := c.Do("POST", "/api/admin/policies", map[string]any{"name": "Kids", "allowedModels": []string{"fal-ai/flux/schnell"}, "blockedTerms": []string{"gore"}})
	if pol.Status != 201 {
		t.Fatalf("create policy: %d %s", pol.Status, pol.Body)
	}
	d.check(t, "POST", "/api/admin/policies", pol)
	d.check(t, "POST", "/api/admin/policies", c.Do("POST", "/api/admin/policies", map[string]any{"name": "Plain"}))
	d.check(t, "GET", "/api/admin/policies", c.Do("GET", "/api/admin/policies", nil))
	polID := pol.JSON()["policy"].(map[string]any)["id"].(string)
	d.check(t, "PATCH", "/api/admin/policies/{id}", c.Do("PATCH", "/api/admin/policies/"+polID, map[string]any{"hideFlagged": true}))
	member := g.user(t, "doc-member@example.com", "sim-key-member")
	var memberID float64
	for _, u := range c.Do("GET", "/api/admin/users", nil).JSON()["users"].([]any) {
		if u.(map[string]any)["email"] == "doc-member@example.com" {
			memberID = u.(map[string]any)["id"].(float64)
		}
	}
	bind := c.Do("PATCH", fmt.Sprintf("/api/admin/users/%d", int64(memberID)), map[string]any{"policyId": polID})
	if bind.Status != 200 {
		t.Fatalf("bind policy: %d %s", bind.Status, bind.Body)
	}
	d.check(t, "PATCH", "/api/admin/users/{id}", bind)
	d.check(t, "GET", "/api/me", member.Do("GET", "/api/me", nil)) // with its policy
	d.check(t, "GET", "/api/admin/users", c.Do("GET", "/api/admin/users", nil))

	cast := c.Do("POST", "/api/cast", map[string]any{"name": "Mia", "kind": "person", "assetIds": []string{assetID}, "shared": true})
	if cast.Status != 201 {
		t.Fatalf("create cast: %d %s", cast.Status, cast.Body)
	}
	d.check(t, "POST", "/api/cast", cast)
	d.check(t, "GET", "/api/cast", c.Do("GET", "/api/cast", nil))
	d.check(t, "GET", "/api/cast", member.Do("GET", "/api/cast", nil)) // another's shared member
	castID := cast.JSON()["cast"].(map[string]any)["id"].(string)
	d.check(t, "PATCH", "/api/cast/{id}", c.Do("PATCH", "/api/cast/"+castID, map[string]any{"description": "short hair"}))

	der := c.Do("POST", "/api/assets/"+assetID+"/derive", map[string]any{"action": "upscale"})
	if der.Status != 202 {
		t.Fatalf("derive: %d %s", der.Status, der.Body)
	}
	d.check(t, "POST", "/api/assets/{id}/derive", der)
	waitDone(t, c, decodeGen(t, der).ID)
	lin := c.Do("GET", "/api/assets/"+assetID+"/lineage", nil)
	if children, _ := lin.JSON()["children"].([]any); len(children) != 1 {
		t.Fatalf("lineage: %s", lin.Body)
	}
	d.check(t, "GET", "/api/assets/{id}/lineage", lin)
	cmp := c.Do("POST", "/api/compare", map[string]any{"prompt": "a harbour",
		"runs": []map[string]any{{"model": "fal-ai/flux/schnell"}, {"model": "fal-ai/flux/dev"}}})
	if cmp.Status != 202 {
		t.Fatalf("compare: %d %s", cmp.Status, cmp.Body)
	}
	d.check(t, "POST", "/api/compare", cmp)
	set := decodeCompare(t, cmp)
	for _, gen := range set.Generations {
		waitDone(t, c, gen.ID)
	}
	d.check(t, "GET", "/api/compare/{group}", c.Do("GET", "/api/compare/"+set.Group, nil))
	withCast := c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux-pro/kontext", "prompt": "she waves", "cast": []string{castID}})
	if withCast.Status != 202 {
		t.Fatalf("generation with a cast member: %d %s", withCast.Status, withCast.Body)
	}
	d.check(t, "POST", "/api/generations", withCast)
	castGen := decodeGen(t, withCast)
	waitDone(t, c, castGen.ID)
	one := c.Do("GET", "/api/generations/"+castGen.ID, nil)
	if cs, _ := one.JSON()["generation"].(map[string]any)["cast"].([]any); len(cs) != 1 {
		t.Fatalf("generation's cast: %s", one.Body)
	}
	d.check(t, "GET", "/api/generations/{id}", one)
	d.check(t, "GET", "/api/generations", c.Do("GET", "/api/generations", nil)) // with cast, references, relations

	// Trash: a delete answers the trashed asset, which the trash lists until restored.
	del := c.Do("DELETE", "/api/assets/"+assetID, nil)
	if del.Status != 200 {
		t.Fatalf("delete: %d %s", del.Status, del.Body)
	}
	d.check(t, "DELETE", "/api/assets/{id}", del)
	trash := c.Do("GET", "/api/trash", nil)
	if items, _ := trash.JSON()["assets"].([]any); len(items) != 1 {
		t.Fatalf("trash: %s", trash.Body)
	}
	d.check(t, "GET", "/api/trash", trash)
	d.check(t, "POST", "/api/trash/restore", c.Do("POST", "/api/trash/restore", map[string]any{"assetIds": []string{assetID}}))
	d.check(t, "POST", "/api/assets/bulk-delete", c.Do("POST", "/api/assets/bulk-delete", map[string]any{"assetIds": []string{assetID}}))
	d.check(t, "POST", "/api/trash/empty", c.Do("POST", "/api/trash/empty", nil))

	// Push, last: no job finishes after the subscription (it is never sent to).
	d.check(t, "GET", "/api/push/key", c.Do("GET", "/api/push/key", nil))
	d.check(t, "GET", "/api/me/notifications", c.Do("GET", "/api/me/notifications", nil))
	d.check(t, "PUT", "/api/me/notifications", c.Do("PUT", "/api/me/notifications", map[string]any{"push": false}))
	subResp := c.Do("POST", "/api/push/subscriptions", newBrowser(t).subscription("https://fcm.googleapis.com/fcm/send/doc"), "User-Agent", "DocPhone/1")
	if subResp.Status != 201 {
		t.Fatalf("subscribe: %d %s", subResp.Status, subResp.Body)
	}
	d.check(t, "POST", "/api/push/subscriptions", subResp)
	subs := c.Do("GET", "/api/push/subscriptions", nil)
	if list, _ := subs.JSON()["subscriptions"].([]any); len(list) != 1 {
		t.Fatalf("subscriptions: %s", subs.Body)
	}
	d.check(t, "GET", "/api/push/subscriptions", subs)
	d.check(t, "GET", "/api/shared", c.Do("GET", "/api/shared", nil))
}
