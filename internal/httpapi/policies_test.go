package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

type policyEnv struct {
	*genEnv
	admin, kid *testutil.Client
	kidID      int64
}

func newPolicyEnv(t *testing.T) *policyEnv {
	t.Helper()
	g := newGenEnv(t, falsim.Options{QueuePolls: 1, RunPolls: 1}, nil, "")
	p := &policyEnv{genEnv: g, admin: g.user(t, "parent@example.com", "sim-key"), kid: g.user(t, "kid@example.com", "sim-key")}
	p.admin.Header.Set("Origin", g.studio.URL)
	p.kid.Header.Set("Origin", g.studio.URL)
	u, _ := p.kid.Do("GET", "/api/me", nil).JSON()["user"].(map[string]any)
	id, _ := u["id"].(float64)
	p.kidID = int64(id)
	return p
}

func (p *policyEnv) create(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	r := p.admin.Do("POST", "/api/admin/policies", body)
	pol, _ := r.JSON()["policy"].(map[string]any)
	if r.Status != http.StatusCreated || pol == nil {
		t.Fatalf("create policy: %d %s\n%s", r.Status, r.Body, p.studio.Logs.String())
	}
	return pol
}

func (p *policyEnv) assign(t *testing.T, policyID any) {
	t.Helper()
	r := p.admin.Do("PATCH", "/api/admin/users/"+strconv.FormatInt(p.kidID, 10), map[string]any{"policyId": policyID})
	if r.Status != http.StatusOK {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	u, _ := r.JSON()["user"].(map[string]any)
	if u["policyId"] != policyID {
		t.Fatalf("AdminUser.policyId = %v, want %v", u["policyId"], policyID)
	}
}

func (p *policyEnv) generations(t *testing.T, c *testutil.Client) int {
	t.Helper()
	r := c.Do("GET", "/api/generations", nil)
	list, _ := r.JSON()["generations"].([]any)
	return len(list)
}

func TestPoliciesAdminRoutes(t *testing.T) {
	p := newPolicyEnv(t)
	for _, tc := range []struct {
		name string
		body string
	}{
		{"no name", `{}`},
		{"blank name", `{"name":"   "}`},
		{"long name", `{"name":"` + strings.Repeat("n", 101) + `"}`},
		{"unknown field", `{"name":"x","colour":"red"}`},
		{"forced prompt", `{"name":"x","forcedParams":{"prompt":"hi"}}`},
		{"forced bad key", `{"name":"x","forcedParams":{"a-b":1}}`},
		{"forced not object", `{"name":"x","forcedParams":[1]}`},
		{"forced null", `{"name":"x","forcedParams":null}`},
		{"empty models", `{"name":"x","allowedModels":[]}`},
		{"duplicate models", `{"name":"x","allowedModels":["a/b","a/b"]}`},
		{"model not string", `{"name":"x","allowedModels":[1]}`},
		{"blank term", `{"name":"x","blockedTerms":["ok"," "]}`},
		{"term not string", `{"name":"x","blockedTerms":[true]}`},
		{"hide not bool", `{"name":"x","hideFlagged":"yes"}`},
		{"NUL", `{"name":"a\u0000b"}`},
		{"null name", `{"name":null}`},
		{"null terms", `{"name":"x","blockedTerms":null}`},
	} {
		if r := p.admin.Do("POST", "/api/admin/policies", tc.body); r.Status != http.StatusBadRequest || r.ErrorCode() != "invalid_input" {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	forced := map[string]any{"enable_safety_checker": true, "safety_tolerance": "1"}
	pol := p.create(t, map[string]any{"name": " Kids ", "forcedParams": forced, "blockedTerms": []string{" dragon ", "red  fox"}})
	if pol["name"] != "Kids" || pol["allowedModels"] != nil || pol["hideFlagged"] != false || pol["userCount"] != float64(0) {
		t.Fatalf("policy = %v", pol)
	}
	if terms, _ := pol["blockedTerms"].([]any); len(terms) != 2 || terms[0] != "dragon" {
		t.Fatalf("terms = %v", pol["blockedTerms"])
	}
	if r := p.admin.Do("POST", "/api/admin/policies", map[string]any{"name": "KIDS"}); r.ErrorCode() != "name_taken" {
		t.Fatalf("same name: %d %s", r.Status, r.Body)
	}
	id := pol["id"].(string)
	if r := p.kid.Do("GET", "/api/admin/policies", nil); r.ErrorCode() != "forbidden" {
		t.Fatalf("member: %d %s", r.Status, r.Body)
	}
	if r := p.admin.Do("PATCH", "/api/admin/policies/nope", map[string]any{"name": "x"}); r.Status != http.StatusNotFound {
		t.Fatalf("missing policy: %d %s", r.Status, r.Body)
	}
	// PATCH replaces only the fields given, each whole.
	r := p.admin.Do("PATCH", "/api/admin/policies/"+id, map[string]any{"forcedParams": map[string]any{"num_images": 1}, "hideFlagged": true})
	up, _ := r.JSON()["policy"].(map[string]any)
	if r.Status != http.StatusOK || up["name"] != "Kids" || up["hideFlagged"] != true || len(up["forcedParams"].(map[string]any)) != 1 || len(up["blockedTerms"].([]any)) != 2 {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	if r := p.admin.Do("PATCH", "/api/admin/users/"+strconv.FormatInt(p.kidID, 10), map[string]any{"policyId": "nope"}); r.ErrorCode() != "invalid_input" {
		t.Fatalf("unknown policyId: %d %s", r.Status, r.Body)
	}
	p.assign(t, id)
	list := p.admin.Do("GET", "/api/admin/policies", nil).JSON()["policies"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["userCount"] != float64(1) || list[0].(map[string]any)["name"] != "Kids" {
		t.Fatalf("list = %v", list)
	}
	if r := p.admin.Do("DELETE", "/api/admin/policies/"+id, nil); r.ErrorCode() != "policy_in_use" {
		t.Fatalf("delete in use: %d %s", r.Status, r.Body)
	}
	// The member sees the policy, never its blocked terms.
	me := p.kid.Do("GET", "/api/me", nil)
	mp, _ := me.JSON()["policy"].(map[string]any)
	if mp["name"] != "Kids" || mp["hideFlagged"] != true || strings.Contains(string(me.Body), "dragon") {
		t.Fatalf("me.policy: %s", me.Body)
	}
	p.assign(t, nil)
	if r := p.admin.Do("DELETE", "/api/admin/policies/"+id, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	acts := strings.Join(ssoAuditActions(t, p.admin), " ")
	for _, a := range []string{"policy.create", "policy.update", "policy.assign", "policy.delete"} {
		if !strings.Contains(acts, a) {
			t.Errorf("audit lacks %s", a)
		}
	}
}

// The policy binds every way a member starts or prices a job: one create, variations, an
// estimate, a preset's settings (which run through the same create).
func TestPoliciesEnforcedInSubmit(t *testing.T) {
	p := newPolicyEnv(t)
	pol := p.create(t, map[string]any{"name": "Kids", "allowedModels": []string{"fal-ai/flux/schnell", "fal-ai/flux/dev"},
		"blockedTerms": []string{"dragon", "red fox"}, "forcedParams": map[string]any{"enable_safety_checker": true, "num_images": 1}})
	p.assign(t, pol["id"])

	// Models: only the allowed ones are listed; another (custom ones too) is refused before fal.
	models := p.kid.Do("GET", "/api/models", nil).JSON()["models"].([]any)
	if len(models) != 2 {
		t.Fatalf("models listed to the member: %d", len(models))
	}
	if n := len(p.admin.Do("GET", "/api/models", nil).JSON()["models"].([]any)); n <= 2 {
		t.Fatalf("the admin is bound too: %d models", n)
	}
	before := p.sim.Count("submit")
	for _, m := range []string{"fal-ai/flux-pro/v1.1", "someone/custom-model"} {
		r := p.kid.Do("POST", "/api/generations", map[string]any{"model": m, "prompt": "a cat"})
		if r.Status != http.StatusForbidden || r.ErrorCode() != "model_not_allowed" {
			t.Fatalf("%s: %d %s", m, r.Status, r.Body)
		}
		if r := p.kid.Do("POST", "/api/generations/estimate", map[string]any{"model": m, "prompt": "a cat"}); r.ErrorCode() != "model_not_allowed" {
			t.Fatalf("estimate %s: %d %s", m, r.Status, r.Body)
		}
	}
	if r := p.kid.Do("GET", "/api/models/schema?id=someone/custom-model", nil); r.ErrorCode() != "model_not_allowed" {
		t.Fatalf("schema: %d %s", r.Status, r.Body)
	}
	// Blocked terms, as whole words, any case and spacing.
	for _, prompt := range []string{"a red DRAGON", "dragon, again", "the dragon's lair", "a  Red \n Fox"} {
		r := p.kid.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": prompt})
		if r.Status != http.StatusUnprocessableEntity || r.ErrorCode() != "prompt_blocked" {
			t.Fatalf("%q: %d %s", prompt, r.Status, r.Body)
		}
		r = p.kid.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": prompt, "variations": map[string]any{"count": 3}})
		if r.ErrorCode() != "prompt_blocked" {
			t.Fatalf("variations %q: %d %s", prompt, r.Status, r.Body)
		}
		if r := p.kid.Do("POST", "/api/generations/estimate", map[string]any{"model": "fal-ai/flux/schnell", "prompt": prompt}); r.ErrorCode() != "prompt_blocked" {
			t.Fatalf("estimate %q: %d %s", prompt, r.Status, r.Body)
		}
	}
	if got := p.sim.Count("submit"); got != before {
		t.Fatalf("%d refused submits reached fal", got-before)
	}
	if n := p.generations(t, p.kid); n != 0 {
		t.Fatalf("%d refused generations recorded", n)
	}
	// Not whole words: allowed. Forced params replace the member's and reach fal.
	for _, prompt := range []string{"a snapdragon", "a dragonfly"} {
		r := p.kid.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": prompt,
			"params": map[string]any{"enable_safety_checker": false, "num_images": 4}})
		if r.Status != http.StatusAccepted && r.Status != http.StatusCreated {
			t.Fatalf("%q: %d %s", prompt, r.Status, r.Body)
		}
		in := p.sim.LastInput()
		if in["enable_safety_checker"] != true || in["num_images"] != float64(1) {
			t.Fatalf("fal received %v", in)
		}
		var g struct {
			Generation struct {
				Params map[string]any `json:"params"`
			} `json:"generation"`
		}
		if err := json.Unmarshal(r.Body, &g); err != nil {
			t.Fatal(err)
		}
		if g.Generation.Params["enable_safety_checker"] != true {
			t.Fatalf("the generation's params: %s", r.Body)
		}
	}
	// Variations: every generation of the group gets the forced params.
	r := p.kid.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/dev", "prompt": "a calm lake",
		"params": map[string]any{"enable_safety_checker": false}, "variations": map[string]any{"count": 2}})
	if r.Status != http.StatusAccepted {
		t.Fatalf("variations: %d %s", r.Status, r.Body)
	}
	// The estimate prices the forced values.
	est := p.kid.Do("POST", "/api/generations/estimate", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "x", "params": map[string]any{"num_images": 4}})
	if est.Status != http.StatusOK {
		t.Fatalf("estimate: %d %s", est.Status, est.Body)
	}
	// The refused submit was audited with the term and the model.
	acts := strings.Join(ssoAuditActions(t, p.admin), " ")
	if !strings.Contains(acts, "policy.prompt_blocked") {
		t.Fatalf("audit: %s", acts)
	}
	// The admin is never bound, whatever policyId they hold.
	if r := p.admin.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux-pro/v1.1", "prompt": "a dragon"}); r.Status == http.StatusForbidden || r.Status == http.StatusUnprocessableEntity {
		t.Fatalf("admin: %d %s", r.Status, r.Body)
	}
	// A preset keeps what was saved; it runs through the same create and obeys the policy then.
	if r := p.kid.Do("POST", "/api/presets", map[string]any{"name": "pro", "model": "fal-ai/flux-pro/v1.1", "params": map[string]any{}}); r.Status != http.StatusCreated {
		t.Fatalf("preset: %d %s", r.Status, r.Body)
	}
}

// falCalls is every call that sends a person's data (or their key) to fal.
func falCalls(g *genEnv) int {
	n := 0
	for _, k := range []string{"submit", "run", "upload", "put", "schema", "pricing", "estimate"} {
		n += g.sim.Count(k)
	}
	return n
}

func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

// The policy binds every other way a member starts, prices or words a job: compare, derive,
// extend, REST and MCP through a personal access token, the estimate and the prompt enhancer.
// Each refusal creates nothing and sends nothing to fal; what runs carries the forced params.
func TestPoliciesAtEveryEntryPoint(t *testing.T) {
	p := newPolicyEnv(t)
	p.sim.SetClip("c320", testutil.MakeClip(t, clip320))
	// Made before the policy binds: an image (derive's source) and a clip (extend's).
	img, _ := makeAsset(t, p.kid, "fal-ai/flux/schnell", "a cat", nil)
	vid := videoAsset(t, p.kid, "c320")
	pol := p.create(t, map[string]any{"name": "Kids", "allowedModels": []string{"fal-ai/flux/schnell", "fal-ai/flux/dev", hailuo},
		"blockedTerms": []string{"dragon"}, "forcedParams": map[string]any{"enable_safety_checker": true}})
	p.assign(t, pol["id"])
	_, secret := newToken(t, p.kid, map[string]any{"name": "agent", "scopes": []string{"generate"}})
	rest := bearer(t, p.studio, secret)
	cs := mcpConnect(t, p.studio, secret)
	gens := p.generations(t, p.kid)

	// refused checks one refusal: its answer, no generation, nothing sent to fal.
	refused := func(name string, status int, code string, do func() (int, string)) {
		t.Helper()
		calls := falCalls(p.genEnv)
		if gotStatus, gotCode := do(); gotStatus != status || gotCode != code {
			t.Errorf("%s: %d %s, want %d %s", name, gotStatus, gotCode, status, code)
		}
		if n := falCalls(p.genEnv) - calls; n != 0 {
			t.Errorf("%s: %d calls reached fal", name, n)
		}
		if n := p.generations(t, p.kid); n != gens {
			t.Errorf("%s: %d generations, want %d", name, n, gens)
			gens = n // each refusal is judged on its own
		}
	}
	post := func(c *testutil.Client, path string, body map[string]any) func() (int, string) {
		return func() (int, string) {
			r := c.Do("POST", path, body)
			return r.Status, r.ErrorCode()
		}
	}
	tool := func(name string, args map[string]any) func() (int, string) {
		return func() (int, string) {
			out, res := callTool(t, cs, name, args)
			if !res.IsError {
				return http.StatusOK, ""
			}
			switch c := errCode(out); c {
			case "model_not_allowed":
				return http.StatusForbidden, c
			case "prompt_blocked":
				return http.StatusUnprocessableEntity, c
			default:
				return 0, c
			}
		}
	}
	blocked := func(name string, do func() (int, string)) {
		t.Helper()
		refused(name, http.StatusUnprocessableEntity, "prompt_blocked", do)
	}
	notAllowed := func(name string, do func() (int, string)) {
		t.Helper()
		refused(name, http.StatusForbidden, "model_not_allowed", do)
	}

	notAllowed("compare with one run outside the list", post(p.kid, "/api/compare", map[string]any{"prompt": "a lake",
		"runs": []map[string]any{{"model": "fal-ai/flux/schnell"}, {"model": "fal-ai/flux-pro/v1.1"}}}))
	blocked("compare with a blocked term", post(p.kid, "/api/compare", map[string]any{"prompt": "a Dragon",
		"runs": []map[string]any{{"model": "fal-ai/flux/schnell"}, {"model": "fal-ai/flux/dev"}}}))
	notAllowed("derive with a model outside the list", post(p.kid, "/api/assets/"+img.ID+"/derive", map[string]any{"action": "upscale"}))
	notAllowed("extend with a model outside the list", post(p.kid, "/api/assets/"+vid+"/extend", map[string]any{"prompt": "then", "model": kling}))
	blocked("extend with a blocked term", post(p.kid, "/api/assets/"+vid+"/extend", map[string]any{"prompt": "then a dragon", "model": hailuo}))
	if s := getSeqAsset(t, p.kid, vid).SequenceID; s != nil {
		t.Errorf("a refused extend gave the clip a sequence: %s", *s)
	}
	notAllowed("REST with a token, a model outside the list", post(rest, "/api/generations", map[string]any{"model": "fal-ai/flux-pro/v1.1", "prompt": "a cat"}))
	blocked("REST with a token, a blocked term", post(rest, "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "a dragon"}))
	notAllowed("REST estimate, a model outside the list", post(rest, "/api/generations/estimate", map[string]any{"model": "fal-ai/flux-pro/v1.1", "prompt": "a cat"}))
	blocked("REST estimate, a blocked term", post(rest, "/api/generations/estimate", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "a dragon"}))
	notAllowed("MCP generate, a model outside the list", tool("generate", map[string]any{"model": "fal-ai/flux-pro/v1.1", "prompt": "a cat"}))
	blocked("MCP generate, a blocked term", tool("generate", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "a dragon"}))
	notAllowed("MCP estimate, a model outside the list", tool("estimate", map[string]any{"model": "fal-ai/flux-pro/v1.1", "prompt": "a cat"}))
	blocked("MCP estimate, a blocked term", tool("estimate", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "a dragon"}))

	// The prompt enhancer sends the prompt to fal's LLM: the same model list and terms, audited.
	audited := countOf(ssoAuditActions(t, p.admin), "policy.prompt_blocked")
	blocked("enhance with a blocked term", post(p.kid, "/api/prompts/enhance", map[string]any{"prompt": "a DRAGON", "model": "fal-ai/flux/dev"}))
	if n := countOf(ssoAuditActions(t, p.admin), "policy.prompt_blocked") - audited; n != 1 {
		t.Errorf("a blocked enhance audited %d times", n)
	}
	notAllowed("enhance for a model outside the list", post(p.kid, "/api/prompts/enhance", map[string]any{"prompt": "a cat", "model": "fal-ai/flux-pro/v1.1"}))
	runs := p.sim.Count("run")
	if r := p.kid.Do("POST", "/api/prompts/enhance", map[string]any{"prompt": "a cat", "model": "fal-ai/flux/dev"}); r.Status != http.StatusOK || p.sim.Count("run") != runs+1 {
		t.Fatalf("enhance for an allowed model: %d %s", r.Status, r.Body)
	}

	// What runs carries the forced params, whatever the member sent.
	off := map[string]any{"enable_safety_checker": false}
	r := p.kid.Do("POST", "/api/compare", map[string]any{"prompt": "a lake", "runs": []map[string]any{{"model": "fal-ai/flux/schnell", "params": off}, {"model": "fal-ai/flux/dev", "params": off}}})
	if r.Status != http.StatusAccepted {
		t.Fatalf("compare: %d %s", r.Status, r.Body)
	}
	inputs, _, _ := lastJobs(p.genEnv, 2)
	for i, in := range inputs {
		if in["enable_safety_checker"] != true {
			t.Errorf("compare run %d: fal received %v", i, in)
		}
	}
	if r := rest.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "a cat", "params": off}); r.Status != http.StatusAccepted || p.sim.LastInput()["enable_safety_checker"] != true {
		t.Errorf("REST with a token: %d %s; fal received %v", r.Status, r.Body, p.sim.LastInput())
	}
	if out, res := callTool(t, cs, "generate", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "a cat", "params": off}); res.IsError || p.sim.LastInput()["enable_safety_checker"] != true {
		t.Errorf("MCP generate: %v; fal received %v", out, p.sim.LastInput())
	}
}

// Outputs fal flags are marked for everyone; under hideFlagged they never leave the studio.
func TestPoliciesHideFlaggedOutputs(t *testing.T) {
	p := newPolicyEnv(t)
	pol := p.create(t, map[string]any{"name": "Kids", "hideFlagged": true})
	p.assign(t, pol["id"])
	g := submit(t, p.kid, "fal-ai/flux/dev", "a flagged-output test", map[string]any{"num_images": 2})
	events := waitDone(t, p.kid, g.ID)
	if last := events[len(events)-1]; last.Status != "succeeded" || len(last.Assets) != 2 {
		t.Fatalf("generation ended %s with %d assets", last.Status, len(last.Assets))
	}
	assets := p.kid.Do("GET", "/api/assets", nil).JSON()["assets"].([]any)
	flagged, clean := "", ""
	for _, a := range assets {
		m := a.(map[string]any)
		switch m["flagged"] {
		case true:
			flagged = m["id"].(string)
		case false:
			clean = m["id"].(string)
		}
	}
	if flagged == "" || clean == "" {
		t.Fatalf("assets: %v", assets)
	}
	if r := p.kid.Do("POST", "/api/shares", map[string]any{"assetId": flagged}); r.Status != http.StatusConflict || r.ErrorCode() != "flagged_content" {
		t.Fatalf("share flagged: %d %s", r.Status, r.Body)
	}
	if r := p.kid.Do("GET", "/media/"+flagged+"?download=1", nil); r.ErrorCode() != "flagged_content" {
		t.Fatalf("download flagged: %d %s", r.Status, r.Body)
	}
	if r := p.kid.Do("GET", "/media/"+flagged, nil); r.Status != http.StatusOK {
		t.Fatalf("inline flagged (the blurred tile): %d", r.Status)
	}
	if r := p.kid.Do("GET", "/api/export.zip?ids="+flagged+","+clean, nil); r.ErrorCode() != "flagged_content" {
		t.Fatalf("export flagged: %d %.200s", r.Status, r.Body)
	}
	// A collection share leaves it out, and its media is not found.
	col := p.kid.Do("POST", "/api/collections", map[string]any{"name": "both"})
	cid, _ := col.JSON()["collection"].(map[string]any)["id"].(string)
	if r := p.kid.Do("POST", "/api/collections/"+cid+"/assets", map[string]any{"assetIds": []string{flagged, clean}}); r.Status >= 300 {
		t.Fatalf("add to collection: %d %s", r.Status, r.Body)
	}
	sh := p.kid.Do("POST", "/api/shares", map[string]any{"collectionId": cid})
	shareURL, _ := sh.JSON()["share"].(map[string]any)["url"].(string)
	token := strings.TrimPrefix(shareURL, "/s/")
	pub := p.studio.NewClient(t).Do("GET", "/api/s/"+token, nil)
	if pub.Status != http.StatusOK || strings.Contains(string(pub.Body), flagged) || !strings.Contains(string(pub.Body), clean) {
		t.Fatalf("public collection: %d %s", pub.Status, pub.Body)
	}
	if r := p.studio.NewClient(t).Do("GET", "/s/"+token+"/media/"+flagged, nil); r.Status != http.StatusNotFound {
		t.Fatalf("public media of a flagged output: %d", r.Status)
	}
	if r := p.kid.Do("GET", "/api/export.zip?collection="+cid, nil); r.Status != http.StatusOK || strings.Contains(string(r.Body), flagged) {
		t.Fatalf("collection export: %d", r.Status)
	}
	// Without the policy the same output is shared like any other.
	p.assign(t, nil)
	r := p.kid.Do("POST", "/api/shares", map[string]any{"assetId": flagged})
	if r.Status != http.StatusCreated {
		t.Fatalf("share without the policy: %d %s", r.Status, r.Body)
	}
	earlier, _ := r.JSON()["share"].(map[string]any)["url"].(string)
	if r := p.studio.NewClient(t).Do("GET", "/api"+earlier, nil); r.Status != http.StatusOK {
		t.Fatalf("the share without the policy: %d %s", r.Status, r.Body)
	}
	// The policy again: the share made earlier answers 404, at the time of the request.
	p.assign(t, pol["id"])
	if r := p.studio.NewClient(t).Do("GET", "/api"+earlier, nil); r.Status != http.StatusNotFound {
		t.Fatalf("an earlier share of a flagged output under hideFlagged: %d %s", r.Status, r.Body)
	}
	if r := p.studio.NewClient(t).Do("GET", earlier+"/media/"+flagged, nil); r.Status != http.StatusNotFound {
		t.Fatalf("its media: %d", r.Status)
	}
	// The asset itself stays in the member's library, marked.
	if r := p.kid.Do("GET", "/api/assets/"+flagged, nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"flagged":true`) {
		t.Fatalf("the asset: %d %s", r.Status, r.Body)
	}
}
