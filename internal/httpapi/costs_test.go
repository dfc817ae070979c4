package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

type costGen struct {
	ID         string   `json:"id"`
	Status     string   `json:"status"`
	CostUSD    *float64 `json:"costUsd"`
	CostSource *string  `json:"costSource"`
}

func decodeCostGen(t *testing.T, r *testutil.Response) costGen {
	t.Helper()
	var out struct {
		Generation costGen `json:"generation"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	return out.Generation
}

func getCostGen(t *testing.T, c *testutil.Client, id string) costGen {
	t.Helper()
	r := c.Do("GET", "/api/generations/"+id, nil)
	if r.Status != 200 {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	return decodeCostGen(t, r)
}

func TestEstimateRoute(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "est@example.com", "sim-key-est")
	nokey := g.user(t, "nokey@example.com", "")
	anon := g.studio.NewClient(t)
	cases := []struct {
		name   string
		client *testutil.Client
		body   any
		status int
		want   []string // substrings of the body
		not    []string
	}{
		{"per megapixel with 4 images", c, map[string]any{"model": "fal-ai/flux/dev", "prompt": "a fox", "params": map[string]any{"num_images": 4}}, 200,
			[]string{`"usd":0.1,`, `"unitPrice":0.025`, `"unit":"megapixels"`, `"quantity":4`, `"withinBudget":null`}, []string{`"reason"`}},
		{"per second of video", c, map[string]any{"model": "fal-ai/veo3", "prompt": "a fox", "params": map[string]any{"duration": "8s"}}, 200,
			[]string{`"usd":3.2`, `"unit":"seconds"`, `"quantity":8`}, nil},
		{"per image", c, map[string]any{"model": "fal-ai/bytedance/seedream/v4/text-to-image", "params": map[string]any{"num_images": 2}}, 200,
			[]string{`"usd":0.06`, `"unit":"images"`}, nil},
		{"no price at fal", c, map[string]any{"model": "acme/custom-app", "prompt": "x"}, 200,
			[]string{`"estimate":null`, `"reason":"fal has no price for acme/custom-app."`}, []string{`"usd":0`}},
		{"no fal key", nokey, map[string]any{"model": "fal-ai/flux/dev"}, 200,
			[]string{`"estimate":null`, `Save your fal API key`}, nil},
		{"bad model id", c, map[string]any{"model": "../etc"}, 400, []string{`"invalid_input"`}, nil},
		{"not JSON", c, "nope", 400, []string{`"invalid_input"`}, nil},
		{"signed out", anon, map[string]any{"model": "fal-ai/flux/dev"}, 401, []string{`"unauthenticated"`}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.client.Do("POST", "/api/generations/estimate", tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(r.Body), w) {
					t.Fatalf("body %s lacks %s", r.Body, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(string(r.Body), n) {
					t.Fatalf("body %s has %s", r.Body, n)
				}
			}
		})
	}
	if g.sim.Count("submit") != 0 {
		t.Fatal("an estimate submitted a job")
	}
	if n := g.sim.Count("pricing"); n > 4 {
		t.Fatalf("%d pricing calls for 4 priced models: the cache is not used", n)
	}
}

func TestGenerationsRecordTheirCost(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "cost@example.com", "sim-key-cost")
	ok := submit(t, c, "fal-ai/flux/dev", "a fox", map[string]any{"num_images": 2})
	waitDone(t, c, ok.ID)
	bad := submit(t, c, "fal-ai/flux/dev", "a fox fail5xx", map[string]any{"num_images": 2})
	waitDone(t, c, bad.ID)
	unpriced := submit(t, c, "acme/custom-app", "a fox", nil)
	waitDone(t, c, unpriced.ID)

	if got := getCostGen(t, c, ok.ID); got.Status != "succeeded" || got.CostUSD == nil || *got.CostUSD != 0.05 || *got.CostSource != "estimate" {
		t.Fatalf("succeeded: %+v", got)
	}
	if got := getCostGen(t, c, bad.ID); got.Status != "failed" || got.CostUSD == nil || *got.CostUSD != 0 || *got.CostSource != "not_billed" {
		t.Fatalf("failed: %+v", got)
	}
	r := c.Do("GET", "/api/generations/"+unpriced.ID, nil)
	if !strings.Contains(string(r.Body), `"costUsd":null`) || !strings.Contains(string(r.Body), `"costSource":null`) {
		t.Fatalf("unpriced: %s", r.Body)
	}
	list := c.Do("GET", "/api/generations", nil)
	if strings.Count(string(list.Body), `"costUsd"`) != 3 {
		t.Fatalf("list lacks costs: %s", list.Body)
	}
}

// loginTab opens a second browser tab of the same person (its own session).
func loginTab(t *testing.T, g *genEnv, email string) *testutil.Client {
	t.Helper()
	c := g.studio.NewClient(t)
	if r := c.Do("POST", "/api/auth/login", map[string]string{"email": email, "password": goodPassword}); r.Status != 200 {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	return c
}

func meID(t *testing.T, c *testutil.Client) int64 {
	t.Helper()
	var me struct {
		User struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	if err := json.Unmarshal(c.Do("GET", "/api/me", nil).Body, &me); err != nil {
		t.Fatal(err)
	}
	return me.User.ID
}

func TestBudgets(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	admin := g.user(t, "admin@example.com", "sim-key-admin") // the first account is the admin
	member := g.user(t, "member@example.com", "sim-key-member")
	mid := meID(t, member)

	// Only an admin sets a person's budget.
	if r := member.Do("PATCH", fmt.Sprintf("/api/admin/users/%d", mid), map[string]any{"monthlyBudgetUsd": 100}); r.Status != 403 || r.ErrorCode() != "forbidden" {
		t.Fatalf("member PATCH: %d %s", r.Status, r.Body)
	}
	for _, bad := range []any{-1, "ten", 2e6} {
		if r := admin.Do("PATCH", fmt.Sprintf("/api/admin/users/%d", mid), map[string]any{"monthlyBudgetUsd": bad}); r.Status != 400 {
			t.Fatalf("budget %v: %d %s", bad, r.Status, r.Body)
		}
	}
	r := admin.Do("PATCH", fmt.Sprintf("/api/admin/users/%d", mid), map[string]any{"monthlyBudgetUsd": 0.1})
	if r.Status != 200 || !strings.Contains(string(r.Body), `"monthlyBudgetUsd":0.1`) || !strings.Contains(string(r.Body), `"spentThisMonthUsd":0`) {
		t.Fatalf("admin PATCH: %d %s", r.Status, r.Body)
	}

	// $0.05 fits twice; the third is refused before anything reaches fal.
	for range 2 {
		gen := submit(t, member, "fal-ai/flux/dev", "a fox", map[string]any{"num_images": 2})
		waitDone(t, member, gen.ID)
	}
	before := g.sim.Count("submit")
	r = member.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/dev", "prompt": "a fox", "params": map[string]any{}})
	if r.Status != 409 || r.ErrorCode() != "budget_exceeded" || !strings.Contains(string(r.Body), "$0.10") {
		t.Fatalf("over budget: %d %s", r.Status, r.Body)
	}
	if g.sim.Count("submit") != before {
		t.Fatal("a refused submit reached fal")
	}
	est := member.Do("POST", "/api/generations/estimate", map[string]any{"model": "fal-ai/flux/dev", "params": map[string]any{}})
	if !strings.Contains(string(est.Body), `"withinBudget":false`) || !strings.Contains(string(est.Body), `"spentThisMonthUsd":0.1`) {
		t.Fatalf("estimate over budget: %s", est.Body)
	}
	// A model without a price cannot run under a budget.
	if r := member.Do("POST", "/api/generations", map[string]any{"model": "acme/custom-app", "prompt": "x"}); r.Status != 409 || r.ErrorCode() != "budget_exceeded" {
		t.Fatalf("unpriced under a budget: %d %s", r.Status, r.Body)
	}
	// The admin's list shows the spend and the budget.
	list := admin.Do("GET", "/api/admin/users", nil)
	if !strings.Contains(string(list.Body), `"spentThisMonthUsd":0.1,"monthlyBudgetUsd":0.1`) {
		t.Fatalf("admin users: %s", list.Body)
	}
	// null removes the budget.
	if r := admin.Do("PATCH", fmt.Sprintf("/api/admin/users/%d", mid), map[string]any{"monthlyBudgetUsd": nil}); r.Status != 200 || !strings.Contains(string(r.Body), `"monthlyBudgetUsd":null`) {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
	submit(t, member, "fal-ai/flux/dev", "a fox", nil)
	audit := admin.Do("GET", "/api/admin/audit", nil)
	if strings.Count(string(audit.Body), `"budget.change"`) != 2 {
		t.Fatalf("audit lacks the budget changes: %s", audit.Body)
	}
}

func TestSelfBudgetRoute(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	admin := g.user(t, "admin@example.com", "sim-key-admin")
	c := g.user(t, "self@example.com", "sim-key-self")
	cases := []struct {
		body   any
		status int
		want   string
	}{
		{map[string]any{}, 400, "invalid_input"},
		{map[string]any{"monthlyBudgetUsd": "5"}, 400, "invalid_input"},
		{map[string]any{"monthlyBudgetUsd": -5}, 400, "invalid_input"},
		{map[string]any{"monthlyBudgetUsd": 5}, 200, `"monthlyBudgetUsd":5,"adminBudgetUsd":null,"selfBudgetUsd":5`},
		{map[string]any{"monthlyBudgetUsd": nil}, 200, `"monthlyBudgetUsd":null`},
	}
	for _, tc := range cases {
		r := c.Do("PUT", "/api/me/budget", tc.body)
		if r.Status != tc.status || !strings.Contains(string(r.Body), tc.want) {
			t.Fatalf("%v: %d %s", tc.body, r.Status, r.Body)
		}
	}
	admin.Do("PATCH", fmt.Sprintf("/api/admin/users/%d", meID(t, c)), map[string]any{"monthlyBudgetUsd": 2})
	if r := c.Do("PUT", "/api/me/budget", map[string]any{"monthlyBudgetUsd": 3}); r.Status != 400 || !strings.Contains(string(r.Body), "$2.00") {
		t.Fatalf("above the admin's: %d %s", r.Status, r.Body)
	}
	if r := c.Do("PUT", "/api/me/budget", map[string]any{"monthlyBudgetUsd": 1}); r.Status != 200 || !strings.Contains(string(r.Body), `"monthlyBudgetUsd":1,"adminBudgetUsd":2,"selfBudgetUsd":1`) {
		t.Fatalf("below the admin's: %d %s", r.Status, r.Body)
	}
	// Every change is in the audit log, saying who set which budget.
	audit := admin.Do("GET", "/api/admin/audit", nil)
	if n := strings.Count(string(audit.Body), `"by":"self"`); n != 3 || !strings.Contains(string(audit.Body), `"by":"admin"`) {
		t.Fatalf("audit has %d self budget changes: %s", n, audit.Body)
	}
}

func TestTwoTabsCannotOverspend(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	g.user(t, "admin@example.com", "sim-key-admin")
	tab1 := g.user(t, "tabs@example.com", "sim-key-tabs")
	tab2 := loginTab(t, g, "tabs@example.com")
	if r := tab1.Do("PUT", "/api/me/budget", map[string]any{"monthlyBudgetUsd": 3.2}); r.Status != 200 {
		t.Fatalf("budget: %d %s", r.Status, r.Body)
	}
	// Each tab asks for a $3.20 video that stays queued; only one fits.
	var wg sync.WaitGroup
	res := make([]*testutil.Response, 2)
	for i, c := range []*testutil.Client{tab1, tab2} {
		wg.Go(func() {
			res[i] = c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/veo3", "prompt": "a fox queued", "params": map[string]any{"duration": "8s"}})
		})
	}
	wg.Wait()
	codes := []int{res[0].Status, res[1].Status}
	if !(codes[0] == 202 && codes[1] == 409 || codes[0] == 409 && codes[1] == 202) {
		t.Fatalf("two tabs: %d %s / %d %s", res[0].Status, res[0].Body, res[1].Status, res[1].Body)
	}
	if g.sim.Count("submit") != 1 {
		t.Fatalf("%d submits reached fal, want 1", g.sim.Count("submit"))
	}
	// Canceling the queued job releases its reservation.
	accepted := res[0]
	if codes[1] == 202 {
		accepted = res[1]
	}
	id := decodeCostGen(t, accepted).ID
	if r := tab1.Do("POST", "/api/generations/"+id+"/cancel", nil); r.Status != 200 {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	if got := getCostGen(t, tab1, id); got.Status != "canceled" || *got.CostUSD != 0 {
		t.Fatalf("canceled: %+v", got)
	}
	if r := tab2.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/veo3", "prompt": "a fox", "params": map[string]any{}}); r.Status != 202 {
		t.Fatalf("after the cancel: %d %s", r.Status, r.Body)
	}
}

func TestUsageRoutes(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	admin := g.user(t, "admin@example.com", "sim-key-admin")
	a := g.user(t, "a@example.com", "sim-key-a")
	b := g.user(t, "b@example.com", "sim-key-b")
	want := map[*testutil.Client]float64{}
	for _, j := range []struct {
		c      *testutil.Client
		model  string
		prompt string
		params map[string]any
	}{
		{a, "fal-ai/flux/dev", "one", map[string]any{"num_images": 3}},
		{a, "fal-ai/veo3", "two", nil},
		{a, "fal-ai/veo3", "three fail5xx", nil},
		{b, "fal-ai/flux/schnell", "four", map[string]any{"image_size": "square_hd"}},
	} {
		gen := submit(t, j.c, j.model, j.prompt, j.params)
		waitDone(t, j.c, gen.ID)
		if got := getCostGen(t, j.c, gen.ID); got.CostUSD != nil {
			want[j.c] += *got.CostUSD
		}
	}
	type usage struct {
		TotalUSD          float64 `json:"totalUsd"`
		Count             int64   `json:"count"`
		SpentThisMonthUSD float64 `json:"spentThisMonthUsd"`
		MonthlyBudgetUSD  *float64
		Buckets           []struct {
			Key   string  `json:"key"`
			USD   float64 `json:"usd"`
			Count int64   `json:"count"`
		} `json:"buckets"`
	}
	read := func(c *testutil.Client, path string, status int) (usage, string) {
		t.Helper()
		r := c.Do("GET", path, nil)
		if r.Status != status {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		var u usage
		if err := json.Unmarshal(r.Body, &u); err != nil {
			t.Fatal(err)
		}
		return u, string(r.Body)
	}
	ua, body := read(a, "/api/me/usage", 200)
	if fmt.Sprintf("%.6f", ua.TotalUSD) != fmt.Sprintf("%.6f", want[a]) || ua.TotalUSD != 3.275 || ua.Count != 2 || ua.SpentThisMonthUSD != 3.275 {
		t.Fatalf("a's usage %+v, want %v from the generations' costUsd", ua, want[a])
	}
	if strings.Contains(body, "b@example.com") || strings.Contains(body, "schnell") {
		t.Fatalf("a sees b's spend: %s", body)
	}
	ub, body := read(b, "/api/me/usage?groupBy=model", 200)
	if ub.TotalUSD != 0.003 || len(ub.Buckets) != 1 || ub.Buckets[0].Key != "fal-ai/flux/schnell" || strings.Contains(body, "veo3") {
		t.Fatalf("b's usage: %s", body)
	}
	if r := a.Do("GET", "/api/admin/usage", nil); r.Status != http.StatusForbidden || r.ErrorCode() != "forbidden" {
		t.Fatalf("member admin usage: %d %s", r.Status, r.Body)
	}
	if r := a.Do("GET", "/api/me/usage?groupBy=user", nil); r.Status != 400 {
		t.Fatalf("member grouping by user: %d %s", r.Status, r.Body)
	}
	all, body := read(admin, "/api/admin/usage?groupBy=user", 200)
	if len(all.Buckets) != 2 || all.Buckets[0].Key != "a@example.com" || all.Buckets[1].Key != "b@example.com" || all.TotalUSD != 3.278 {
		t.Fatalf("admin usage by user: %s", body)
	}
	if _, body := read(admin, "/api/admin/usage?groupBy=model&from=2000-01-01&to=2000-01-31", 200); !strings.Contains(body, `"buckets":[]`) {
		t.Fatalf("empty range: %s", body)
	}
	read(admin, "/api/admin/usage?from=yesterday", 400)
}
