package httpapi_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

// tokenSecretRE is the secret's shape (SPEC §11): fst_ and 43 base64url characters (256 bits).
var tokenSecretRE = regexp.MustCompile(`^fst_[A-Za-z0-9_-]{43}$`)

// newToken creates a token through the cookie client c and returns its id and secret.
func newToken(t testing.TB, c *testutil.Client, body map[string]any) (string, string) {
	t.Helper()
	r := c.Do("POST", "/api/tokens", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create token %v: %d %s", body, r.Status, r.Body)
	}
	m := r.JSON()
	secret, _ := m["secret"].(string)
	tok, _ := m["token"].(map[string]any)
	id, _ := tok["id"].(string)
	if !tokenSecretRE.MatchString(secret) || id == "" {
		t.Fatalf("create token: secret %q id %q", secret, id)
	}
	return id, secret
}

// bearer is a client that sends only the token (no cookie jar).
func bearer(t testing.TB, st *testutil.Studio, secret string) *testutil.Client {
	c := st.NewClient(t)
	c.HTTP.Jar = nil
	c.Header.Set("Authorization", "Bearer "+secret)
	return c
}

func TestTokensCreateListRevoke(t *testing.T) {
	st := testutil.NewStudio(t, testutil.StudioOptions{})
	c := st.NewClient(t)
	c.SignUp("owner@example.com", goodPassword) // the first account: the admin

	bad := []map[string]any{
		{"scopes": []string{"generate"}},
		{"name": "   ", "scopes": []string{"generate"}},
		{"name": strings.Repeat("x", 101), "scopes": []string{"generate"}},
		{"name": "a"},
		{"name": "a", "scopes": []string{}},
		{"name": "a", "scopes": "generate"},
		{"name": "a", "scopes": []string{"admin"}},
		{"name": "a", "scopes": []string{"generate"}, "monthlyCapUsd": -1},
		{"name": "a", "scopes": []string{"generate"}, "monthlyCapUsd": "5"},
		{"name": "a", "scopes": []string{"generate"}, "models": []string{}},
		{"name": "a", "scopes": []string{"generate"}, "models": []string{"not a model"}},
		{"name": "a", "scopes": []string{"generate"}, "expiresAt": "2001-01-01T00:00:00Z"},
		{"name": "a", "scopes": []string{"generate"}, "expiresAt": "tomorrow"},
	}
	for _, b := range bad {
		if r := c.Do("POST", "/api/tokens", b); r.Status != 400 || r.ErrorCode() != "invalid_input" {
			t.Errorf("%v: %d %s, want 400 invalid_input", b, r.Status, r.Body)
		}
	}
	if r := c.Do("GET", "/api/tokens", nil); r.Status != 200 || string(r.Body) != `{"tokens":[]}`+"\n" && string(r.Body) != `{"tokens":[]}` {
		t.Fatalf("bad input created something: %s", r.Body)
	}

	exp := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	r := c.Do("POST", "/api/tokens", map[string]any{"name": "  Claude Code ", "scopes": []string{"library:read", "generate", "generate"},
		"monthlyCapUsd": 5, "models": []string{"fal-ai/flux/schnell"}, "expiresAt": exp})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	created := r.JSON()
	secret := created["secret"].(string)
	tok := created["token"].(map[string]any)
	id := tok["id"].(string)
	if !tokenSecretRE.MatchString(secret) || tok["prefix"] != secret[:12] || tok["name"] != "Claude Code" {
		t.Fatalf("created: %s", r.Body)
	}
	if fmt.Sprint(tok["scopes"]) != "[generate library:read]" || tok["monthlyCapUsd"] != 5.0 || tok["lastUsedAt"] != nil ||
		fmt.Sprint(tok["models"]) != "[fal-ai/flux/schnell]" || tok["spentThisMonthUsd"] != 0.0 {
		t.Fatalf("created token: %s", r.Body)
	}
	for _, k := range []string{"id", "name", "scopes", "monthlyCapUsd", "spentThisMonthUsd", "models", "createdAt", "expiresAt", "lastUsedAt", "prefix"} {
		if _, ok := tok[k]; !ok {
			t.Errorf("Token lacks %q", k)
		}
	}
	if len(tok) != 10 {
		t.Errorf("Token has extra fields: %s", r.Body)
	}

	// The secret is never shown again.
	list := c.Do("GET", "/api/tokens", nil)
	if list.Status != 200 || strings.Contains(string(list.Body), secret) || strings.Contains(string(list.Body), secret[12:]) {
		t.Fatalf("list: %d %s", list.Status, list.Body)
	}

	// The token works alone, and its first use is recorded at once.
	b := bearer(t, st, secret)
	if r := b.Do("GET", "/api/me", nil); r.Status != 200 || !strings.Contains(string(r.Body), "owner@example.com") {
		t.Fatalf("bearer /api/me: %d %s", r.Status, r.Body)
	}
	if r := b.Do("GET", "/api/me", nil, "Authorization", "bearer "+secret); r.Status != 200 {
		t.Fatalf("lower-case scheme: %d", r.Status)
	}
	list = c.Do("GET", "/api/tokens", nil)
	if !strings.Contains(string(list.Body), `"lastUsedAt":"`) {
		t.Fatalf("first use not recorded: %s", list.Body)
	}

	// Tokens never manage tokens, the account or the studio; out of scope is 403 whatever the id.
	for _, rt := range []struct{ method, path string }{
		{"GET", "/api/tokens"}, {"POST", "/api/tokens"}, {"DELETE", "/api/tokens/" + id}, {"PUT", "/api/me/password"},
		{"PUT", "/api/me/fal-key"}, {"DELETE", "/api/me/fal-key"}, {"GET", "/api/me/fal-credits"}, {"PUT", "/api/me/budget"},
		{"GET", "/api/me/usage"}, {"DELETE", "/api/me"}, {"GET", "/api/presets"}, {"GET", "/api/admin/users"},
		{"GET", "/api/admin/audit"}, {"POST", "/api/auth/login"}, {"POST", "/api/auth/logout"},
		{"GET", "/api/shares"}, {"DELETE", "/api/assets/nope"}, {"POST", "/api/collections"},
	} {
		r := b.Do(rt.method, rt.path, map[string]any{"name": "x"})
		if r.Status != 403 || r.ErrorCode() != "insufficient_scope" {
			t.Errorf("bearer %s %s: %d %s, want 403 insufficient_scope", rt.method, rt.path, r.Status, r.Body)
		}
	}
	// Within its scopes another person's item is 404, as for a cookie.
	if r := b.Do("GET", "/api/assets/nope", nil); r.Status != 404 {
		t.Errorf("missing asset through a token: %d", r.Status)
	}

	// A bearer request is exempt from the cross-origin check; a cookie one is not.
	if r := b.Do("POST", "/api/generations/estimate", map[string]any{"model": "fal-ai/flux/schnell"}, "Origin", "https://evil.example"); r.ErrorCode() == "cross_origin" {
		t.Errorf("bearer request refused as cross-origin: %s", r.Body)
	}

	// A bad token is 401 even beside a valid cookie; other schemes are ignored.
	for _, h := range []string{"Bearer nonsense", "Bearer " + secret[:12], "Bearer " + secret[:len(secret)-1] + "A"} {
		r := c.Do("GET", "/api/me", nil, "Authorization", h)
		if h == "Bearer "+secret[:len(secret)-1]+"A" && strings.HasSuffix(secret, "A") {
			continue
		}
		if r.Status != 401 || r.ErrorCode() != "unauthenticated" || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%.20s…: %d %s %q", h, r.Status, r.Body, r.Header.Get("WWW-Authenticate"))
		}
		if strings.Contains(string(r.Body), secret[4:]) {
			t.Errorf("the answer echoes the token: %s", r.Body)
		}
	}
	if r := c.Do("GET", "/api/me", nil, "Authorization", "Basic dXNlcjpwYXNz"); r.Status != 200 {
		t.Errorf("basic auth beside a cookie: %d", r.Status)
	}
	if r := c.Do("GET", "/api/tokens", nil, "Authorization", "Basic dXNlcjpwYXNz"); r.Status != 200 {
		t.Errorf("basic auth on tokens: %d", r.Status)
	}

	// Another person cannot revoke it; its owner can, and it stops at once.
	other := st.NewClient(t)
	other.SignUp("other@example.com", goodPassword)
	if r := other.Do("DELETE", "/api/tokens/"+id, nil); r.Status != 404 {
		t.Fatalf("another's token: %d", r.Status)
	}
	if r := c.Do("DELETE", "/api/tokens/"+id, nil); r.Status != 204 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := b.Do("GET", "/api/me", nil); r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("revoked token: %d", r.Status)
	}
	if r := c.Do("DELETE", "/api/tokens/"+id, nil); r.Status != 404 {
		t.Fatalf("revoke twice: %d", r.Status)
	}
	if r := c.Do("GET", "/api/tokens", nil); strings.Contains(string(r.Body), id) {
		t.Fatalf("revoked token listed: %s", r.Body)
	}

	// The audit log records create and revoke, never the secret.
	audit := c.Do("GET", "/api/admin/audit", nil)
	body := string(audit.Body)
	if !strings.Contains(body, `"token.create"`) || !strings.Contains(body, `"token.revoke"`) || !strings.Contains(body, `"scopes":["generate","library:read"]`) ||
		!strings.Contains(body, `{"type":"token","id":"`+id+`"}`) || strings.Contains(body, secret[4:]) {
		t.Fatalf("audit: %s", body)
	}
	if strings.Contains(st.Logs.String(), secret[4:]) {
		t.Fatal("the secret reached the log")
	}

	// A disabled person's tokens answer 401 until the account is enabled again.
	_, osecret := newToken(t, other, map[string]any{"name": "o", "scopes": []string{"generate"}})
	ob := bearer(t, st, osecret)
	otherID := int64(other.Do("GET", "/api/me", nil).JSON()["user"].(map[string]any)["id"].(float64))
	for _, disabled := range []bool{true, false} {
		if r := c.Do("PATCH", "/api/admin/users/"+strconv.FormatInt(otherID, 10), map[string]any{"disabled": disabled}); r.Status != 200 {
			t.Fatalf("disable %v: %d %s", disabled, r.Status, r.Body)
		}
		want := 200
		if disabled {
			want = 401
		}
		if r := ob.Do("GET", "/api/me", nil); r.Status != want {
			t.Fatalf("disabled=%v: token answers %d, want %d", disabled, r.Status, want)
		}
	}

	// An expired token answers 401 (and is still listed until revoked).
	expiring := st.NewClient(t)
	expiring.SignUp("expiring@example.com", goodPassword)
	expID, expSecret := newToken(t, expiring, map[string]any{"name": "soon", "scopes": []string{"generate"}, "expiresAt": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	if r := bearer(t, st, expSecret).Do("GET", "/api/me", nil); r.Status != 200 {
		t.Fatalf("before expiry: %d", r.Status)
	}
	db := testutil.OpenDB(t, st.DataDir)
	if _, err := db.Exec(`UPDATE access_tokens SET expires_at = $1 WHERE id = $2`, time.Now().Add(-time.Minute).UnixMilli(), expID); err != nil {
		t.Fatal(err)
	}
	if r := bearer(t, st, expSecret).Do("GET", "/api/me", nil); r.Status != 401 || !strings.Contains(string(r.Body), "expired") {
		t.Fatalf("expired token: %d %s", r.Status, r.Body)
	}
	if r := expiring.Do("GET", "/api/tokens", nil); !strings.Contains(string(r.Body), expID) {
		t.Fatalf("an expired token is not listed: %s", r.Body)
	}

	// At most 50 tokens; the 51st is refused.
	many := st.NewClient(t)
	many.SignUp("many@example.com", goodPassword)
	for i := range 51 {
		r := many.Do("POST", "/api/tokens", map[string]any{"name": fmt.Sprint("t", i), "scopes": []string{"share"}})
		if i < 50 && r.Status != 201 {
			t.Fatalf("token %d: %d %s", i, r.Status, r.Body)
		}
		if i == 50 && (r.Status != 409 || r.ErrorCode() != "too_many_tokens") {
			t.Fatalf("the 51st token: %d %s", r.Status, r.Body)
		}
	}
}

// Generations through a token: its model list, its cap (in the insert's transaction, like the
// budget), its rate limit, via on the generation, the media it may fetch, usage by token.
func TestTokenGenerations(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, map[string]string{"TOKEN_SUBMITS_PER_MINUTE": "2"}, "")
	c := g.user(t, "maker@example.com", "sim-key")
	id, secret := newToken(t, c, map[string]any{"name": "ci-bot", "scopes": []string{"generate"}, "models": []string{"fal-ai/flux/schnell"}})
	b := bearer(t, g.studio, secret)

	if r := b.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/dev", "prompt": "x"}); r.Status != 403 || r.ErrorCode() != "model_not_allowed" ||
		!strings.Contains(string(r.Body), "fal-ai/flux/schnell") {
		t.Fatalf("another model: %d %s", r.Status, r.Body)
	}
	if r := b.Do("POST", "/api/generations/estimate", map[string]any{"model": "fal-ai/flux/dev", "prompt": "x"}); r.Status != 403 || r.ErrorCode() != "model_not_allowed" {
		t.Fatalf("estimate of another model: %d %s", r.Status, r.Body)
	}
	models := b.Do("GET", "/api/models", nil)
	if ms, _ := models.JSON()["models"].([]any); len(ms) != 1 || !strings.Contains(string(models.Body), `"fal-ai/flux/schnell"`) {
		t.Fatalf("models through the token: %s", models.Body)
	}

	r := b.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "a robot"})
	if r.Status != 202 || !strings.Contains(string(r.Body), `"via":{"tokenId":"`+id+`","name":"ci-bot"}`) {
		t.Fatalf("submit through the token: %d %s", r.Status, r.Body)
	}
	gen := decodeGen(t, r)
	events := waitDone(t, c, gen.ID)
	done := events[len(events)-1]
	if done.Status != "succeeded" || len(done.Assets) == 0 {
		t.Fatalf("generation: %+v", done)
	}
	if r := b.Do("GET", done.Assets[0].URL, nil); r.Status != 200 || len(r.Body) == 0 {
		t.Fatalf("media through the token: %d", r.Status)
	}
	if r := b.Do("GET", "/api/generations/"+gen.ID, nil); !strings.Contains(string(r.Body), `"name":"ci-bot"`) {
		t.Fatalf("via on read: %s", r.Body)
	}
	// A browser generation is not "via" anything.
	web := c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "by hand"})
	if !strings.Contains(string(web.Body), `"via":null`) {
		t.Fatalf("browser submit: %s", web.Body)
	}
	waitDone(t, c, decodeGen(t, web).ID)

	// Two submits a minute: the third is refused with Retry-After.
	r = b.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "again"})
	if r.Status != 202 {
		t.Fatalf("second submit: %d %s", r.Status, r.Body)
	}
	waitDone(t, c, decodeGen(t, r).ID)
	r = b.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "once more"})
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); r.Status != 429 || r.ErrorCode() != "rate_limited" || err != nil || ra < 1 || ra > 60 {
		t.Fatalf("third submit in a minute: %d %s Retry-After %q", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	// Cookie submits are not limited by it.
	if r := c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "cookie"}); r.Status != 202 {
		t.Fatalf("cookie submit: %d %s", r.Status, r.Body)
	} else {
		waitDone(t, c, decodeGen(t, r).ID)
	}

	// The list shows this month's spend; usage splits it by token, the browser's under "web".
	list := c.Do("GET", "/api/tokens", nil)
	tl := list.JSON()["tokens"].([]any)[0].(map[string]any)
	if sp, _ := tl["spentThisMonthUsd"].(float64); sp <= 0 {
		t.Fatalf("spend this month: %s", list.Body)
	}
	usage := c.Do("GET", "/api/me/usage?groupBy=token", nil)
	ub := string(usage.Body)
	if usage.Status != 200 || !strings.Contains(ub, `"key":"`+id+`","name":"ci-bot"`) || !strings.Contains(ub, `"key":"web","name":"web"`) {
		t.Fatalf("usage by token: %d %s", usage.Status, ub)
	}

	// A cap: refused before fal once spend and reservations would pass it.
	_, capped := newToken(t, c, map[string]any{"name": "capped", "scopes": []string{"generate"}, "monthlyCapUsd": 0})
	r = bearer(t, g.studio, capped).Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "too dear"})
	if r.Status != 409 || r.ErrorCode() != "budget_exceeded" || !strings.Contains(string(r.Body), `Token \"capped\" has a monthly cap of $0.00`) {
		t.Fatalf("capped submit: %d %s", r.Status, r.Body)
	}
	// A model without a price cannot run through a capped token.
	_, capped5 := newToken(t, c, map[string]any{"name": "capped5", "scopes": []string{"generate"}, "monthlyCapUsd": 5})
	r = bearer(t, g.studio, capped5).Do("POST", "/api/generations", map[string]any{"model": "acme/custom-app", "prompt": "no price"})
	if r.Status != 409 || r.ErrorCode() != "budget_exceeded" || !strings.Contains(string(r.Body), "no price") {
		t.Fatalf("unpriced model through a capped token: %d %s", r.Status, r.Body)
	}
	// A cap above the person's budget is refused.
	if r := c.Do("PUT", "/api/me/budget", map[string]any{"monthlyBudgetUsd": 1}); r.Status != 200 {
		t.Fatalf("budget: %d %s", r.Status, r.Body)
	}
	if r := c.Do("POST", "/api/tokens", map[string]any{"name": "big", "scopes": []string{"generate"}, "monthlyCapUsd": 2}); r.Status != 400 ||
		!strings.Contains(string(r.Body), "budget") {
		t.Fatalf("cap above the budget: %d %s", r.Status, r.Body)
	}
	// Revoked, its generations keep via and its spend stays under its id.
	if r := c.Do("DELETE", "/api/tokens/"+id, nil); r.Status != 204 {
		t.Fatalf("revoke: %d", r.Status)
	}
	if r := c.Do("GET", "/api/generations/"+gen.ID, nil); !strings.Contains(string(r.Body), `"via":{"tokenId":"`+id+`"`) {
		t.Fatalf("via after revoke: %s", r.Body)
	}
	if r := c.Do("GET", "/api/me/usage?groupBy=token", nil); !strings.Contains(string(r.Body), `"key":"`+id+`"`) {
		t.Fatalf("usage after revoke: %s", r.Body)
	}
}

// The cap is checked in the insert's transaction: submits racing through one token never
// together pass it (spend + reservations + this estimate ≤ cap).
func TestTokenCapHoldsUnderConcurrentSubmits(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "racer@example.com", "sim-key")
	_, secret := newToken(t, c, map[string]any{"name": "racer", "scopes": []string{"generate"}, "monthlyCapUsd": 0.007})
	b := bearer(t, g.studio, secret)
	const n = 6
	statuses := make(chan int, n)
	for range n {
		go func() {
			statuses <- b.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "race"}).Status
		}()
	}
	accepted, refused := 0, 0
	for range n {
		switch s := <-statuses; s {
		case 202:
			accepted++
		case 409:
			refused++
		default:
			t.Errorf("submit answered %d", s)
		}
	}
	if accepted != 2 || refused != n-2 { // $0.003 each under a $0.007 cap
		t.Fatalf("accepted %d, refused %d", accepted, refused)
	}
}
