package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

// BenchmarkMCPGenerateOverhead pairs, in one run on one studio, a submit through the MCP generate
// tool (the official Go client, JSON-RPC over Streamable HTTP) with the same submit through
// POST /api/generations, both with the same token. A video model is used so the tool answers at
// once (as the REST route does) and only the submit path is measured: the token's check, the one
// pipeline (Submit: validate, price, the guarded insert, the simulator's queue) and the protocol
// around it.
func BenchmarkMCPGenerateOverhead(b *testing.B) {
	sim := falsim.NewTest(b, falsim.Options{})
	env := sim.URLs().Env()
	env["TOKEN_SUBMITS_PER_MINUTE"] = "1000000"
	st := testutil.NewStudio(b, testutil.StudioOptions{Env: env, App: fastRunner})
	c := st.NewClient(b)
	c.SignUp("bench-mcp@example.com", goodPassword)
	if r := c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"}); r.Status != 200 {
		b.Fatalf("save key: %d", r.Status)
	}
	_, secret := newToken(b, c, map[string]any{"name": "bench", "scopes": []string{"generate"}})
	rest := bearer(b, st, secret)
	cs := mcpConnect(b, st, secret)
	args := map[string]any{"model": "fal-ai/veo3", "prompt": "waves at dusk"}

	// Interleaved, so both paths see the same load (the jobs already submitted keep the
	// runner busy); each is timed on its own and reported per submit.
	var restTotal, mcpTotal time.Duration
	for b.Loop() {
		start := time.Now()
		if r := rest.Do("POST", "/api/generations", args); r.Status != 202 {
			b.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		mid := time.Now()
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "generate", Arguments: args})
		if err != nil || res.IsError {
			b.Fatalf("generate: %v %+v", err, res)
		}
		restTotal += mid.Sub(start)
		mcpTotal += time.Since(mid)
	}
	b.ReportMetric(float64(restTotal.Microseconds())/float64(b.N)/1000, "rest-ms/submit")
	b.ReportMetric(float64(mcpTotal.Microseconds())/float64(b.N)/1000, "mcp-ms/submit")
	b.ReportMetric(float64((mcpTotal-restTotal).Microseconds())/float64(b.N)/1000, "overhead-ms/submit")
}
