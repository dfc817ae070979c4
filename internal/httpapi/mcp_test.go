package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

// withBearer adds the token to every request of an MCP client, as an agent's config does.
type withBearer struct {
	secret string
	base   http.RoundTripper
}

func (b withBearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.secret)
	return b.base.RoundTrip(r)
}

// mcpConnect connects the official Go MCP client to the studio with a token.
func mcpConnect(t testing.TB, st *testutil.Studio, secret string) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "falstudio-test", Version: "1"}, nil)
	tr := &mcp.StreamableClientTransport{Endpoint: st.URL + "/mcp", MaxRetries: -1,
		HTTPClient: &http.Client{Timeout: 90 * time.Second, Transport: withBearer{secret: secret, base: http.DefaultTransport}}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, tr, nil)
	if err != nil {
		t.Fatalf("mcp connect: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func toolNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatalf("list tools: %v", err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	slices.Sort(names)
	return names
}

// callTool calls a tool and returns its structured content as a map (re-encoded) and its result.
func callTool(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) (map[string]any, *mcp.CallToolResult) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: structuredContent is not an object: %s", name, b)
	}
	return m, res
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// The official Go MCP client against the real studio: list tools, estimate, generate through
// the simulator, fetch the asset with the token, the library tools, refusals as tool results,
// a scope-limited token, and a token revoked mid-session.
func TestMCPWithTheOfficialClient(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "agent@example.com", "sim-key")
	_, secret := newToken(t, c, map[string]any{"name": "Claude Code", "scopes": []string{"generate", "library:read", "library:write"},
		"models": []string{"fal-ai/flux/schnell", "fal-ai/veo3"}})
	cs := mcpConnect(t, g.studio, secret)
	if init := cs.InitializeResult(); init == nil || init.ServerInfo == nil || init.ServerInfo.Name != "fal-studio" {
		t.Fatalf("initialize: %+v", init)
	}

	want := []string{"add_to_collection", "cancel_generation", "estimate", "generate", "get_asset", "get_generation", "get_model_schema", "list_models", "search_library"}
	if got := toolNames(t, cs); !slices.Equal(got, want) {
		t.Fatalf("tools: %v, want %v", got, want)
	}

	models, _ := callTool(t, cs, "list_models", map[string]any{})
	if ms, _ := models["models"].([]any); len(ms) != 2 {
		t.Fatalf("list_models through a token with two models: %v", models)
	}
	schema, res := callTool(t, cs, "get_model_schema", map[string]any{"model": "fal-ai/flux/schnell"})
	if res.IsError || schema["model"] != "fal-ai/flux/schnell" || schema["inputSchema"].(map[string]any)["type"] != "object" {
		t.Fatalf("get_model_schema: %v", schema)
	}
	est, res := callTool(t, cs, "estimate", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "a fox"})
	if res.IsError || est["estimate"] == nil {
		t.Fatalf("estimate: %v", est)
	}
	denied, res := callTool(t, cs, "estimate", map[string]any{"model": "fal-ai/flux/dev", "prompt": "a fox"})
	if !res.IsError || errCode(denied) != "model_not_allowed" || !strings.Contains(resultText(res), "fal-ai/flux/schnell") {
		t.Fatalf("estimate of another model: %v", denied)
	}
	bad, res := callTool(t, cs, "generate", map[string]any{"model": "not a model"})
	if !res.IsError || errCode(bad) != "invalid_input" {
		t.Fatalf("generate with a bad model: %v", bad)
	}
	// Text PostgreSQL cannot store never reaches the database: a NUL in any argument.
	for tool, args := range map[string]map[string]any{
		"get_generation":    {"id": "a\x00b"},
		"get_asset":         {"id": "a\x00b"},
		"search_library":    {"query": "fox\x00"},
		"add_to_collection": {"assetIds": []string{"x"}, "collectionName": "bad\x00name"},
		"generate":          {"model": "fal-ai/flux/schnell", "prompt": "nul\x00"},
	} {
		out, res := callTool(t, cs, tool, args)
		if !res.IsError || errCode(out) != "invalid_input" {
			t.Errorf("%s with a NUL: %v", tool, out)
		}
	}

	// An image model: the tool waits and returns the stored asset, as an absolute studio URL
	// the same token can fetch.
	out, res := callTool(t, cs, "generate", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "a fox in snow"})
	gen, _ := out["generation"].(map[string]any)
	if res.IsError || gen["status"] != "succeeded" {
		t.Fatalf("generate: %v %s", out, resultText(res))
	}
	assets, _ := gen["assets"].([]any)
	if len(assets) == 0 {
		t.Fatalf("no assets: %v", gen)
	}
	asset := assets[0].(map[string]any)
	url, _ := asset["url"].(string)
	if !strings.HasPrefix(url, g.studio.URL+"/media/") || !strings.Contains(resultText(res), url) || !strings.Contains(resultText(res), gen["id"].(string)) {
		t.Fatalf("asset url %q, text %q", url, resultText(res))
	}
	via, _ := gen["via"].(map[string]any)
	if via["name"] != "Claude Code" {
		t.Fatalf("via: %v", gen["via"])
	}
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(body) == 0 {
		t.Fatalf("fetching the asset with the token: %d %v", resp.StatusCode, err)
	}
	// It is in the gallery like any other, marked with the token.
	if r := c.Do("GET", "/api/generations/"+gen["id"].(string), nil); !strings.Contains(string(r.Body), `"name":"Claude Code"`) {
		t.Fatalf("the generation through REST: %s", r.Body)
	}
	got, res := callTool(t, cs, "get_generation", map[string]any{"id": gen["id"]})
	if res.IsError || got["generation"].(map[string]any)["id"] != gen["id"] {
		t.Fatalf("get_generation: %v", got)
	}
	missing, res := callTool(t, cs, "get_generation", map[string]any{"id": "nope"})
	if !res.IsError || errCode(missing) != "not_found" {
		t.Fatalf("get_generation of a missing id: %v", missing)
	}

	// A video model returns at once, to be followed with get_generation.
	vid, res := callTool(t, cs, "generate", map[string]any{"model": "fal-ai/veo3", "prompt": "waves"})
	if st, _ := vid["generation"].(map[string]any)["status"].(string); res.IsError || (st != "queued" && st != "running") {
		t.Fatalf("video generate: %v", vid)
	}

	// The library tools.
	lib, res := callTool(t, cs, "search_library", map[string]any{"query": "fox"})
	if la, _ := lib["assets"].([]any); res.IsError || len(la) == 0 || !strings.HasPrefix(la[0].(map[string]any)["url"].(string), g.studio.URL) {
		t.Fatalf("search_library: %v", lib)
	}
	one, res := callTool(t, cs, "get_asset", map[string]any{"id": asset["id"]})
	if res.IsError || one["asset"].(map[string]any)["id"] != asset["id"] || !strings.Contains(resultText(res), url) {
		t.Fatalf("get_asset: %v", one)
	}
	col, res := callTool(t, cs, "add_to_collection", map[string]any{"assetIds": []string{asset["id"].(string)}, "collectionName": "Agents"})
	if res.IsError || col["collection"].(map[string]any)["name"] != "Agents" || col["collection"].(map[string]any)["count"] != 1.0 {
		t.Fatalf("add_to_collection: %v", col)
	}
	again, _ := callTool(t, cs, "add_to_collection", map[string]any{"assetIds": []string{asset["id"].(string)}, "collectionName": "Agents"})
	if again["collection"].(map[string]any)["id"] != col["collection"].(map[string]any)["id"] {
		t.Fatalf("a second call by name made another collection: %v", again)
	}

	// A share-only token lists no tools; a generate-only token lacks the library's, and calling
	// one is refused without doing anything.
	_, shareOnly := newToken(t, c, map[string]any{"name": "share", "scopes": []string{"share"}})
	if got := toolNames(t, mcpConnect(t, g.studio, shareOnly)); len(got) != 0 {
		t.Fatalf("share-only tools: %v", got)
	}
	genID, genOnly := newToken(t, c, map[string]any{"name": "gen", "scopes": []string{"generate"}})
	limited := mcpConnect(t, g.studio, genOnly)
	if got := toolNames(t, limited); slices.Contains(got, "search_library") || !slices.Contains(got, "generate") {
		t.Fatalf("generate-only tools: %v", got)
	}
	if res, err := limited.CallTool(context.Background(), &mcp.CallToolParams{Name: "add_to_collection",
		Arguments: map[string]any{"assetIds": []string{asset["id"].(string)}, "collectionName": "Nope"}}); err == nil && !res.IsError {
		t.Fatalf("a tool outside the scopes ran: %+v", res)
	}
	if r := c.Do("GET", "/api/collections", nil); strings.Contains(string(r.Body), `"Nope"`) {
		t.Fatalf("the refused call made a collection: %s", r.Body)
	}

	// Revoked mid-session: the next request is refused.
	if r := c.Do("DELETE", "/api/tokens/"+genID, nil); r.Status != 204 {
		t.Fatalf("revoke: %d", r.Status)
	}
	if _, err := limited.ListTools(context.Background(), nil); err == nil {
		t.Fatal("a revoked token still lists tools")
	}
}

// /mcp without a token, with a bad one, or from another origin.
func TestMCPRefusals(t *testing.T) {
	st := testutil.NewStudio(t, testutil.StudioOptions{})
	c := st.NewClient(t)
	c.SignUp("cookie@example.com", goodPassword)
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	hdr := []string{"Accept", "application/json, text/event-stream"}
	// A cookie is not enough.
	if r := c.Do("POST", "/mcp", init, hdr...); r.Status != 401 || r.ErrorCode() != "unauthenticated" || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("cookie only: %d %s", r.Status, r.Body)
	}
	if r := c.Do("POST", "/mcp", init, append(hdr, "Authorization", "Bearer fst_nope")...); r.Status != 401 {
		t.Fatalf("bad token: %d", r.Status)
	}
	_, secret := newToken(t, c, map[string]any{"name": "raw", "scopes": []string{"generate"}})
	b := bearer(t, st, secret)
	if r := b.Do("POST", "/mcp", init, append(hdr, "Origin", "https://evil.example")...); r.Status != 403 || r.ErrorCode() != "cross_origin" {
		t.Fatalf("another origin: %d %s", r.Status, r.Body)
	}
	for _, v := range []string{"2025-06-18", "2025-11-25"} {
		r := b.Do("POST", "/mcp", strings.Replace(init, "2025-06-18", v, 1), append(hdr, "Origin", st.URL)...)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"protocolVersion":"`+v+`"`) || !strings.Contains(string(r.Body), `"name":"fal-studio"`) {
			t.Fatalf("initialize %s: %d %s", v, r.Status, r.Body)
		}
	}
	// A newer revision than the server knows gets the newest it supports.
	r := b.Do("POST", "/mcp", strings.Replace(init, "2025-06-18", "2999-01-01", 1), hdr...)
	var ans struct {
		Result struct {
			ProtocolVersion string `json:"protocolVersion"`
		} `json:"result"`
	}
	if err := json.Unmarshal(r.Body, &ans); err != nil || r.Status != 200 || ans.Result.ProtocolVersion < "2025-11-25" || ans.Result.ProtocolVersion == "2999-01-01" {
		t.Fatalf("initialize with a future revision: %d %s", r.Status, r.Body)
	}
	if r := b.Do("DELETE", "/mcp", nil); r.Status != 204 {
		t.Fatalf("DELETE /mcp: %d", r.Status)
	}
	if r := b.Do("GET", "/mcp", nil, hdr...); r.Status != 405 {
		t.Fatalf("GET /mcp: %d", r.Status)
	}
}
