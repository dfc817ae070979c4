package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/library"
	"github.com/falstudio/falstudio/internal/model"
)

// The MCP server (SPEC §11): POST /mcp speaks the Model Context Protocol over Streamable HTTP,
// on the official Go SDK. It is stateless — every request is authenticated by its bearer token
// and served by a server built for that token's scopes — so any replica answers any request,
// and a token revoked mid-session is refused at its next request.

// ctxOrigin carries the studio's origin to the MCP tools (absolute asset URLs).
const ctxOrigin ctxKey = 101

// mcpImageWait bounds how long the generate tool waits for an image model's result.
const mcpImageWait = 60 * time.Second

// mcpTool is one tool: its scope, its definition and its handler.
type mcpTool struct {
	scope  string
	def    mcp.Tool
	handle func(s *Server, c *mcpCall, args json.RawMessage) (any, string, error)
}

// mcpCall is the request a tool call came in: who, through which token, at which address.
type mcpCall struct {
	ctx  context.Context
	user *model.User
	via  *model.Via
	base string // the studio's origin, for absolute asset URLs
}

func objectSchema(required []string, props map[string]any) map[string]any {
	sc := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		sc["required"] = required
	}
	return sc
}

var (
	strProp  = map[string]any{"type": "string"}
	objProp  = map[string]any{"type": "object"}
	mcpTools = []mcpTool{
		{model.ScopeGenerate, mcp.Tool{Name: "list_models", Description: "List the studio's curated fal models (those this token may run).",
			InputSchema: objectSchema(nil, map[string]any{})}, (*Server).mcpListModels},
		{model.ScopeGenerate, mcp.Tool{Name: "get_model_schema", Description: "The JSON Schema of a fal model's input, from fal's OpenAPI for the endpoint.",
			InputSchema: objectSchema([]string{"model"}, map[string]any{"model": strProp})}, (*Server).mcpModelSchema},
		{model.ScopeGenerate, mcp.Tool{Name: "estimate", Description: "Estimate what a generation would cost, and whether it fits the monthly budget.",
			InputSchema: objectSchema([]string{"model"}, map[string]any{"model": strProp, "prompt": strProp, "params": objProp})}, (*Server).mcpEstimate},
		{model.ScopeGenerate, mcp.Tool{Name: "generate", Description: "Generate with a fal model. Image models: waits up to 60 s and returns the assets. Video and audio: returns at once; follow with get_generation.",
			InputSchema: objectSchema([]string{"model"}, map[string]any{"model": strProp, "prompt": strProp, "params": objProp, "collectionId": strProp})}, (*Server).mcpGenerate},
		{model.ScopeGenerate, mcp.Tool{Name: "get_generation", Description: "A generation's status and, once done, its assets.",
			InputSchema: objectSchema([]string{"id"}, map[string]any{"id": strProp})}, (*Server).mcpGetGeneration},
		{model.ScopeGenerate, mcp.Tool{Name: "cancel_generation", Description: "Cancel a generation that has not finished.",
			InputSchema: objectSchema([]string{"id"}, map[string]any{"id": strProp})}, (*Server).mcpCancelGeneration},
		{model.ScopeLibraryRead, mcp.Tool{Name: "search_library", Description: "Search the studio's library of generated assets, newest first.",
			InputSchema: objectSchema(nil, map[string]any{"query": strProp, "kind": map[string]any{"type": "string", "enum": []string{"image", "video", "audio"}},
				"favorite": map[string]any{"type": "boolean"}, "collectionId": strProp, "limit": map[string]any{"type": "integer", "minimum": 1, "maximum": 100}, "cursor": strProp})}, (*Server).mcpSearchLibrary},
		{model.ScopeLibraryRead, mcp.Tool{Name: "get_asset", Description: "One asset of the library, with its URL.",
			InputSchema: objectSchema([]string{"id"}, map[string]any{"id": strProp})}, (*Server).mcpGetAsset},
		{model.ScopeLibraryWrite, mcp.Tool{Name: "add_to_collection", Description: "Add assets to a collection, given by id or by name (created when missing).",
			InputSchema: objectSchema([]string{"assetIds"}, map[string]any{"assetIds": map[string]any{"type": "array", "items": strProp, "minItems": 1, "maxItems": 500},
				"collectionId": strProp, "collectionName": strProp})}, (*Server).mcpAddToCollection},
	}
)

// mcpHandler serves /mcp: the Origin guard, the token, then the SDK's stateless handler.
func (s *Server) mcpHandler() http.Handler {
	sdk := mcp.NewStreamableHTTPHandler(s.mcpServer, &mcp.StreamableHTTPOptions{
		Stateless:    true,
		JSONResponse: true,
		// Our own Origin check below guards against DNS rebinding; the SDK's localhost check
		// would refuse a studio behind a reverse proxy on the same host.
		DisableLocalhostProtection: true,
		MaxRequestBodyBytes:        maxJSONBody,
	})
	return routeHandler{access: access{bearer: true, tokenOnly: true}, Handler: s.adapt(func(w http.ResponseWriter, r *http.Request) error {
		if o := r.Header.Get("Origin"); o != "" && o != s.origin(r) {
			return model.Errf(model.CodeCrossOrigin, "This request came from another site and was refused.")
		}
		secret, ok := bearerSecret(r)
		if !ok || s.Tokens == nil {
			unauthorizedToken(w, "The MCP server needs a personal access token: Authorization: Bearer fst_….")
			return nil
		}
		if r = s.authenticateBearer(w, r, secret); r == nil {
			return nil
		}
		r = r.WithContext(context.WithValue(r.Context(), ctxOrigin, s.origin(r)))
		if r.Method == http.MethodDelete { // stateless: there is no session to end
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		sdk.ServeHTTP(w, r)
		return nil
	})}
}

// origin is the studio's own origin: PUBLIC_URL's, or the scheme and host the request came to.
func (s *Server) origin(r *http.Request) string {
	if u := s.cfg.PublicURL; u != nil {
		return u.Scheme + "://" + u.Host
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// mcpServer is the server for a request's token: exactly the tools its scopes allow. There are
// few scope sets, so each one's server is built once and shared; the tools read the person, the
// token and the origin from the request's context (set by mcpHandler), never from the server.
func (s *Server) mcpServer(r *http.Request) *mcp.Server {
	t := currentToken(r.Context())
	var scopes []string
	if t != nil {
		scopes = t.Scopes
	}
	key := strings.Join(scopes, " ")
	s.mcpServers.mu.Lock()
	defer s.mcpServers.mu.Unlock()
	if srv, ok := s.mcpServers.byScopes[key]; ok {
		return srv
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "fal-studio", Version: s.Version}, nil)
	for _, tool := range mcpTools {
		if !slices.Contains(scopes, tool.scope) {
			continue
		}
		def := tool.def
		srv.AddTool(&def, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			tok, user := currentToken(ctx), currentUser(ctx)
			origin, _ := ctx.Value(ctxOrigin).(string)
			if tok == nil || user == nil || !tok.Has(tool.scope) {
				return s.mcpError(ctx, def.Name, model.Errf(model.CodeInsufficientScope, "This access token needs the %s scope for %s.", tool.scope, def.Name)), nil
			}
			c := &mcpCall{ctx: ctx, user: user, via: s.viaOf(tok), base: origin}
			v, text, err := tool.handle(s, c, req.Params.Arguments)
			if err != nil {
				return s.mcpError(ctx, def.Name, err), nil
			}
			return &mcp.CallToolResult{StructuredContent: v, Content: []mcp.Content{&mcp.TextContent{Text: text}}}, nil
		})
	}
	if s.mcpServers.byScopes == nil {
		s.mcpServers.byScopes = map[string]*mcp.Server{}
	}
	s.mcpServers.byScopes[key] = srv
	return srv
}

// mcpServers are the MCP servers by scope set (mcpServer).
type mcpServers struct {
	mu       sync.Mutex
	byScopes map[string]*mcp.Server
}

// mcpError is a refusal as a tool result: the REST error code and message.
func (s *Server) mcpError(ctx context.Context, tool string, err error) *mcp.CallToolResult {
	code, msg := "", ""
	var me *model.Error
	var ce codedError
	switch {
	case errors.As(err, &me):
		code, msg = me.Code, me.Message
	case errors.As(err, &ce):
		code, msg = ce.ErrorCode(), ce.ErrorMessage()
	case errors.Is(err, model.ErrNotFound):
		code, msg = model.CodeNotFound, "Not found."
	default:
		s.log.ErrorContext(ctx, "mcp tool failed", "tool", tool, "err", err)
		code, msg = model.CodeInternal, "Something went wrong on the server."
	}
	return &mcp.CallToolResult{IsError: true, StructuredContent: errorBody{Error: errorDetail{Code: code, Message: msg}},
		Content: []mcp.Content{&mcp.TextContent{Text: msg}}}
}

// decodeArgs reads a tool's arguments strictly (unknown fields and wrong types are refused).
func decodeArgs(raw json.RawMessage, dst any) error {
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	// The same rules as a REST body (input.go): valid UTF-8, no NUL in any key or string, no
	// duplicate key — so no argument can reach the database as text PostgreSQL refuses.
	if !utf8.Valid(raw) {
		return model.Errf(model.CodeInvalidInput, "The arguments are not valid UTF-8.")
	}
	if _, err := scanJSON(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return model.Errf(model.CodeInvalidInput, "The arguments do not match the tool's input schema: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

func asJSONText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// absolute makes a studio path absolute, so an agent can fetch it with the same token.
func (c *mcpCall) absolute(u string) string {
	if strings.HasPrefix(u, "/") {
		return c.base + u
	}
	return u
}

func (c *mcpCall) asset(s *Server, a *model.Asset) AssetView {
	v := assetView(s.urls, a)
	v.URL = c.absolute(v.URL)
	if v.ThumbURL != nil {
		t := c.absolute(*v.ThumbURL)
		v.ThumbURL = &t
	}
	return v
}

func (c *mcpCall) generation(s *Server, g *model.Generation) GenerationView {
	v := generationView(s.urls, g)
	for i := range v.Assets {
		v.Assets[i].URL = c.absolute(v.Assets[i].URL)
		if t := v.Assets[i].ThumbURL; t != nil {
			a := c.absolute(*t)
			v.Assets[i].ThumbURL = &a
		}
	}
	return v
}

// generationText names the generation, its status and every asset URL.
func generationText(v GenerationView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Generation %s is %s.", v.ID, v.Status)
	if v.Error != nil {
		fmt.Fprintf(&b, " %s", v.Error.Message)
	}
	for _, a := range v.Assets {
		fmt.Fprintf(&b, "\n%s %s", a.Kind, a.URL)
	}
	return b.String()
}

func (s *Server) mcpListModels(c *mcpCall, args json.RawMessage) (any, string, error) {
	var in struct{}
	if err := decodeArgs(args, &in); err != nil {
		return nil, "", err
	}
	all := generation.Catalogue()
	out := make([]generation.Model, 0, len(all))
	for _, m := range all {
		if c.via.Allows(m.ID) == nil {
			out = append(out, m)
		}
	}
	v := map[string]any{"models": out}
	return v, asJSONText(v), nil
}

func (s *Server) mcpModelSchema(c *mcpCall, args json.RawMessage) (any, string, error) {
	var in struct {
		Model string `json:"model"`
	}
	if err := decodeArgs(args, &in); err != nil {
		return nil, "", err
	}
	sc, err := s.Generations.InputSchema(c.ctx, c.user, strings.TrimSpace(in.Model))
	if err != nil {
		return nil, "", err
	}
	v := map[string]any{"model": strings.TrimSpace(in.Model), "inputSchema": sc}
	return v, asJSONText(v), nil
}

type mcpSubmitArgs struct {
	Model        string         `json:"model"`
	Prompt       string         `json:"prompt"`
	Params       map[string]any `json:"params"`
	CollectionID string         `json:"collectionId"`
}

func (s *Server) mcpEstimate(c *mcpCall, args json.RawMessage) (any, string, error) {
	var in mcpSubmitArgs
	if err := decodeArgs(args, &in); err != nil {
		return nil, "", err
	}
	if in.CollectionID != "" {
		return nil, "", model.Errf(model.CodeInvalidInput, "estimate takes model, prompt and params.")
	}
	v, err := s.estimate(c.ctx, c.user, generation.SubmitInput{Model: in.Model, Prompt: in.Prompt, Params: in.Params, Via: c.via})
	if err != nil {
		return nil, "", err
	}
	return v, asJSONText(v), nil
}

// mcpGenerate submits through the one pipeline (generation.Service.Submit, with the token as
// via: its model list, cap and rate limit). An image model's result is awaited up to a minute.
func (s *Server) mcpGenerate(c *mcpCall, args json.RawMessage) (any, string, error) {
	var in mcpSubmitArgs
	if err := decodeArgs(args, &in); err != nil {
		return nil, "", err
	}
	g, err := s.Generations.Submit(c.ctx, c.user, generation.SubmitInput{Model: in.Model, Prompt: in.Prompt, Params: in.Params,
		CollectionID: in.CollectionID, Via: c.via})
	if err != nil {
		return nil, "", err
	}
	if kindOf(g.Model) == model.KindImage {
		if done, err := s.awaitGeneration(c.ctx, c.user.ID, g.ID, mcpImageWait); err == nil {
			g = done
		} else if c.ctx.Err() != nil {
			return nil, "", err
		}
	}
	v := c.generation(s, g)
	return map[string]any{"generation": v}, generationText(v), nil
}

// kindOf is what a model makes, from the catalogue; a model outside it counts as an image model.
func kindOf(id string) string {
	for _, m := range generation.Catalogue() {
		if m.ID == id {
			return m.Output
		}
	}
	return model.KindImage
}

// awaitGeneration waits until the generation ends, wait passes or the studio shuts down, woken by its changes (the
// event hub hears every replica's), re-reading at least every two seconds; it returns the
// generation as it then is.
func (s *Server) awaitGeneration(ctx context.Context, userID int64, id string, wait time.Duration) (*model.Generation, error) {
	var woken <-chan struct{}
	if s.Events != nil {
		ch, cancel := s.Events.SubscribeGeneration(id)
		defer cancel()
		woken = ch
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		g, err := s.Generations.Get(ctx, userID, id)
		if err != nil {
			return nil, err
		}
		if model.Terminal(g.Status) {
			return g, nil
		}
		select {
		case <-woken:
		case <-tick.C:
		case <-deadline.C:
			return g, nil
		case <-s.shutdown: // the studio is stopping: answer with the generation as it is
			return g, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (s *Server) mcpGetGeneration(c *mcpCall, args json.RawMessage) (any, string, error) {
	var in struct {
		ID string `json:"id"`
	}
	if err := decodeArgs(args, &in); err != nil {
		return nil, "", err
	}
	g, err := s.Generations.Get(c.ctx, c.user.ID, in.ID)
	if err != nil {
		return nil, "", err
	}
	v := c.generation(s, g)
	return map[string]any{"generation": v}, generationText(v), nil
}

func (s *Server) mcpCancelGeneration(c *mcpCall, args json.RawMessage) (any, string, error) {
	var in struct {
		ID string `json:"id"`
	}
	if err := decodeArgs(args, &in); err != nil {
		return nil, "", err
	}
	res, err := s.Generations.Cancel(c.ctx, c.user, in.ID)
	if err != nil {
		return nil, "", err
	}
	v := c.generation(s, res.Generation)
	return map[string]any{"generation": v}, generationText(v) + " " + res.Message, nil
}

func (s *Server) mcpSearchLibrary(c *mcpCall, args json.RawMessage) (any, string, error) {
	var in struct {
		Query        string `json:"query"`
		Kind         string `json:"kind"`
		Favorite     bool   `json:"favorite"`
		CollectionID string `json:"collectionId"`
		Limit        int    `json:"limit"`
		Cursor       string `json:"cursor"`
	}
	if err := decodeArgs(args, &in); err != nil {
		return nil, "", err
	}
	if in.Limit == 0 {
		in.Limit = 50
	}
	if in.Limit < 1 || in.Limit > 100 {
		return nil, "", model.Errf(model.CodeInvalidInput, "limit is from 1 to 100.")
	}
	page, err := s.Library.Assets(c.ctx, c.user.ID, library.Filter{Kind: in.Kind, Q: in.Query, Cursor: in.Cursor, Limit: in.Limit,
		Favorite: in.Favorite, Collection: in.CollectionID})
	if err != nil {
		return nil, "", err
	}
	assets := make([]AssetView, 0, len(page.Assets))
	for _, a := range page.Assets {
		assets = append(assets, c.asset(s, a))
	}
	var next *string
	if page.NextCursor != "" {
		next = &page.NextCursor
	}
	v := map[string]any{"assets": assets, "nextCursor": next}
	return v, asJSONText(v), nil
}

func (s *Server) mcpGetAsset(c *mcpCall, args json.RawMessage) (any, string, error) {
	var in struct {
		ID string `json:"id"`
	}
	if err := decodeArgs(args, &in); err != nil {
		return nil, "", err
	}
	a, err := s.Library.Asset(c.ctx, c.user.ID, in.ID)
	if err != nil {
		return nil, "", err
	}
	v := c.asset(s, a)
	return map[string]any{"asset": v}, fmt.Sprintf("Asset %s (%s): %s", v.ID, v.Kind, v.URL), nil
}

func (s *Server) mcpAddToCollection(c *mcpCall, args json.RawMessage) (any, string, error) {
	var in struct {
		AssetIDs       []string `json:"assetIds"`
		CollectionID   string   `json:"collectionId"`
		CollectionName string   `json:"collectionName"`
	}
	if err := decodeArgs(args, &in); err != nil {
		return nil, "", err
	}
	name := strings.TrimSpace(in.CollectionName)
	if len(in.AssetIDs) == 0 || (in.CollectionID == "") == (name == "") {
		return nil, "", model.Errf(model.CodeInvalidInput, "Give assetIds and one of collectionId or collectionName.")
	}
	id := in.CollectionID
	if name != "" {
		list, err := s.Library.Collections(c.ctx, c.user.ID)
		if err != nil {
			return nil, "", err
		}
		for _, col := range list {
			if col.Name == name {
				id = col.ID
				break
			}
		}
		if id == "" {
			col, err := s.Library.CreateCollection(c.ctx, c.user.ID, name)
			if err != nil {
				return nil, "", err
			}
			id = col.ID
		}
	}
	col, err := s.Library.AddToCollection(c.ctx, c.user.ID, id, in.AssetIDs)
	if err != nil {
		return nil, "", err
	}
	if col.CoverURL != nil {
		u := c.absolute(*col.CoverURL)
		col.CoverURL = &u
	}
	v := map[string]any{"collection": col}
	return v, fmt.Sprintf("Collection %q (%s) now holds %d assets.", col.Name, col.ID, col.Count), nil
}
