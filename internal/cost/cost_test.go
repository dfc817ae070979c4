package cost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

type env struct {
	sim   *falsim.Server
	st    *store.Store
	svc   *Service
	clock *clock
}

// newEnv is a cost service over a real SQLite file and the fal simulator, on a fake clock
// shared with the store (so completion times and month bounds agree).
func newEnv(t *testing.T) *env {
	t.Helper()
	sim := falsim.NewTest(t, falsim.Options{})
	fc := fal.New(fal.Config{APIURL: sim.URLs().APIURL, BackoffBase: time.Millisecond, BackoffMax: time.Millisecond})
	st, err := store.Open(context.Background(), dbtest.URL(t)) // SQLite, or PostgreSQL when the suite runs on it
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)}
	st.SetClock(c.Now)
	svc := New(st, nil, fc, Options{Defaults: generation.ParamDefaults, Now: c.Now})
	return &env{sim: sim, st: st, svc: svc, clock: c}
}

func params(js string) map[string]any {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(js))
	dec.UseNumber() // as the HTTP layer decodes bodies
	if err := dec.Decode(&m); err != nil {
		panic(err)
	}
	return m
}

func TestEstimateTable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cases := []struct {
		name, model, prompt, params string
		usd                         float64 // -1: no estimate
		unit                        string
		qty                         float64
		basis                       string
	}{
		{"per megapixel, default size (landscape_4_3 = 1 MP)", "fal-ai/flux/dev", "a fox", `{}`, 0.025, "megapixels", 1, "unit_price"},
		{"per megapixel, 4 images", "fal-ai/flux/dev", "a fox", `{"num_images":4}`, 0.1, "megapixels", 4, "unit_price"},
		{"per megapixel, square_hd is exactly 1 MP", "fal-ai/flux/schnell", "", `{"image_size":"square_hd"}`, 0.003, "megapixels", 1, "unit_price"},
		{"per megapixel, custom size rounds up", "fal-ai/flux/schnell", "", `{"image_size":{"width":1536,"height":1024},"num_images":2}`, 0.012, "megapixels", 4, "unit_price"},
		{"per megapixel, small size is still 1 MP", "fal-ai/flux/schnell", "", `{"image_size":"square"}`, 0.003, "megapixels", 1, "unit_price"},
		{"per megapixel, 2048x2048 is 4 MP", "fal-ai/flux-pro/v1.1", "", `{"image_size":{"width":2048,"height":2048}}`, 0.16, "megapixels", 4, "unit_price"},
		{"per image", "fal-ai/bytedance/seedream/v4/text-to-image", "", `{"num_images":3}`, 0.09, "images", 3, "unit_price"},
		{"per image, number as a string is not a count", "fal-ai/nano-banana", "", `{"num_images":"x"}`, 0.039, "images", 1, "unit_price"},
		{"per second, duration preset 8s", "fal-ai/veo3", "", `{"duration":"8s"}`, 3.2, "seconds", 8, "unit_price"},
		{"per second, default duration 6", "fal-ai/minimax/hailuo-02/standard/image-to-video", "", `{}`, 0.27, "seconds", 6, "unit_price"},
		{"per second, duration 10", "fal-ai/minimax/hailuo-02/standard/image-to-video", "", `{"duration":"10"}`, 0.45, "seconds", 10, "unit_price"},
		{"per second from frames at 16 fps", "fal-ai/wan/v2.2-a14b/text-to-video", "", `{"num_frames":161}`, 0.8048, "seconds", 10.06, "unit_price"},
		{"per video", "fal-ai/kling-video/v2.1/master/image-to-video", "", `{"duration":"10"}`, 1.4, "videos", 1, "unit_price"},
		{"per 1000 characters of text", "fal-ai/minimax/speech-02-hd", "", `{"text":"` + fmt.Sprintf("%0500d", 0) + `"}`, 0.05, "1000 characters", 0.5, "unit_price"},
		{"GPU seconds: fal's historical cost per call", falsim.GPUPricedModel, "", `{}`, 0.00333, "calls", 1, "historical"},
		{"no price at fal", "acme/custom-app", "", `{}`, -1, "", 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := e.svc.quote(ctx, "sim-key", c.model, c.prompt, params(c.params))
			if c.usd < 0 {
				if q.Estimate != nil || q.Reason == "" {
					t.Fatalf("want no estimate with a reason, got %+v", q)
				}
				return
			}
			if q.Estimate == nil {
				t.Fatalf("no estimate: %s", q.Reason)
			}
			got := *q.Estimate
			if fmt.Sprintf("%.6f", got.USD) != fmt.Sprintf("%.6f", c.usd) || got.Unit != c.unit || fmt.Sprintf("%.2f", got.Quantity) != fmt.Sprintf("%.2f", c.qty) || got.Basis != c.basis {
				t.Fatalf("got %+v, want usd %g unit %s qty %g basis %s", got, c.usd, c.unit, c.qty, c.basis)
			}
		})
	}
}

func TestEstimateWithARejectedKeyOrNoFal(t *testing.T) {
	e := newEnv(t)
	q := e.svc.quote(context.Background(), "bad-key", "fal-ai/flux/dev", "", nil)
	if q.Estimate != nil || q.Reason == "" {
		t.Fatalf("bad key: %+v", q)
	}
	e.sim.Close()
	q = e.svc.quote(context.Background(), "sim-key", "fal-ai/flux/dev", "", nil)
	if q.Estimate != nil || q.Reason == "" {
		t.Fatalf("fal down: %+v", q)
	}
	// The failure is remembered briefly, so the next submit does not wait for fal again.
	f, ok := e.svc.prices.failed[cacheKey("sim-key", "fal-ai/flux/dev")]
	if !ok || !f.until.Equal(e.clock.Now().Add(failTTL)) {
		t.Fatalf("failure not remembered for %v: %+v", failTTL, f)
	}
	if q := e.svc.quote(context.Background(), "sim-key", "fal-ai/flux/dev", "", nil); q.Estimate != nil || q.Reason == "" {
		t.Fatalf("fal down, second ask: %+v", q)
	}
}

func TestPriceCacheExpiresWithinAnHour(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	get := func() {
		t.Helper()
		if q := e.svc.quote(ctx, "sim-key", "fal-ai/flux/dev", "", nil); q.Estimate == nil {
			t.Fatalf("no estimate: %s", q.Reason)
		}
	}
	get()
	get()
	e.clock.Add(59 * time.Minute)
	get()
	if n := e.sim.Count("pricing"); n != 1 {
		t.Fatalf("pricing calls within the hour = %d, want 1", n)
	}
	e.clock.Add(2 * time.Minute)
	get()
	if n := e.sim.Count("pricing"); n != 2 {
		t.Fatalf("pricing calls after the hour = %d, want 2", n)
	}
	// Another account has its own entry (fal may discount per account).
	if q := e.svc.quote(ctx, "sim-other", "fal-ai/flux/dev", "", nil); q.Estimate == nil {
		t.Fatal("other key: no estimate")
	}
	if n := e.sim.Count("pricing"); n != 3 {
		t.Fatalf("pricing calls with a second key = %d, want 3", n)
	}
	// An unknown price is remembered too, but for a shorter time.
	e.svc.quote(ctx, "sim-key", "acme/custom-app", "", nil)
	e.svc.quote(ctx, "sim-key", "acme/custom-app", "", nil)
	if n := e.sim.Count("pricing"); n != 4 {
		t.Fatalf("pricing calls for an unknown model = %d, want 4", n)
	}
	e.clock.Add(11 * time.Minute)
	e.svc.quote(ctx, "sim-key", "acme/custom-app", "", nil)
	if n := e.sim.Count("pricing"); n != 5 {
		t.Fatalf("pricing calls after the unknown entry expired = %d, want 5", n)
	}
}

func TestPriceCacheIsBoundedAndSharesConcurrentMisses(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	c := &clock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	p := newPricer(fal.New(fal.Config{APIURL: sim.URLs().APIURL}), c.Now, time.Hour, 3)
	ctx := context.Background()
	for i := range 10 {
		c.Add(time.Second)
		if _, err := p.get(ctx, fmt.Sprintf("sim-key-%d", i), "fal-ai/flux/dev"); err != nil {
			t.Fatal(err)
		}
		if n := p.size(); n > 3 {
			t.Fatalf("cache holds %d entries, bound is 3", n)
		}
	}
	before := sim.Count("pricing")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := p.get(ctx, "sim-fresh", "fal-ai/veo3"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := sim.Count("pricing") - before; n != 1 {
		t.Fatalf("8 concurrent misses made %d pricing calls, want 1", n)
	}
}

func TestNormalUnitAndNumbers(t *testing.T) {
	for in, want := range map[string]string{"image": unitImage, "Images": unitImage, "per megapixel": unitMegapixel, "MP": unitMegapixel,
		"second": unitSecond, "video seconds": unitSecond, "videos": unitVideo, "1000 characters": unitKChars, "1k characters": unitKChars,
		"request": unitRequest, "minutes": unitMinute, "gpu seconds": "", "1m tokens": "", "": ""} {
		if got := normalUnit(in); got != want {
			t.Errorf("normalUnit(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[any]float64{"8s": 8, "5": 5, " 10 ": 10, 4.0: 4, json.Number("2"): 2} {
		if got, ok := num(in); !ok || got != want {
			t.Errorf("num(%v) = %v %v", in, got, ok)
		}
	}
	for _, in := range []any{"abc", "", nil, true, "NaN", "Inf"} {
		if _, ok := num(in); ok {
			t.Errorf("num(%v) should not parse", in)
		}
	}
}

// ---- budgets ----

func (e *env) user(t *testing.T, email string, admin *float64) int64 {
	t.Helper()
	u, err := e.st.InsertUser(context.Background(), email, "h")
	if err != nil {
		t.Fatal(err)
	}
	if admin != nil {
		if err := e.svc.SetAdminBudget(context.Background(), nil, u.ID, admin); err != nil {
			t.Fatal(err)
		}
	}
	return u.ID
}

func usdp(v float64) *float64 { return &v }

var genSeq atomic.Int64

// submit prices and inserts a generation of model as the runner would see it (submitting).
func (e *env) submit(uid int64, modelID string, p string) (string, error) {
	ctx := context.Background()
	g := &model.Generation{ID: fmt.Sprintf("g%d", genSeq.Add(1)), UserID: uid, Model: modelID, Prompt: "p", Params: json.RawMessage(p)}
	guard, err := e.svc.Guard(ctx, "sim-key", g, params(p))
	if err != nil {
		return "", err
	}
	return g.ID, e.st.InsertGeneration(ctx, g, holder, time.Minute, guard)
}

// holder is the test's stand-in for a replica working the jobs.
const holder = "test-replica"

// set moves a submitting generation through the runner's named transitions to status.
func (e *env) set(t *testing.T, id, status string) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s → %s: %v", id, status, err)
		}
	}
	switch status {
	case model.StatusFailed:
		must(e.st.MarkFailed(ctx, id, holder, "fal_unavailable", "failed"))
		return
	}
	must(e.st.MarkSubmitted(ctx, id, holder, model.StatusQueued, "req-"+id, nil))
	switch status {
	case model.StatusCanceled:
		g, err := e.st.GenerationByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		must(e.st.CancelQueued(ctx, g.UserID, id))
	case model.StatusSucceeded:
		if _, err := e.st.ClaimDue(ctx, holder, 1000, 1000, time.Minute); err != nil {
			t.Fatal(err)
		}
		must(e.st.MarkSaving(ctx, id, holder, nil, json.RawMessage(`{}`)))
		must(e.st.MarkSucceeded(ctx, id, holder, ""))
	default:
		t.Fatalf("set: unknown status %s", status)
	}
}

func isBudgetExceeded(err error) bool {
	var me *model.Error
	return errors.As(err, &me) && me.Code == model.CodeBudgetExceeded
}

func TestBudgetExactlyAtTheLimitPassesAndOneCentMoreIsRefused(t *testing.T) {
	e := newEnv(t)
	uid := e.user(t, "a@example.com", usdp(0.075)) // three flux/dev images at $0.025
	for i := range 3 {
		id, err := e.submit(uid, "fal-ai/flux/dev", `{}`)
		if err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
		e.set(t, id, model.StatusSucceeded)
	}
	_, err := e.submit(uid, "fal-ai/flux/dev", `{}`)
	if !isBudgetExceeded(err) {
		t.Fatalf("fourth submit: %v, want budget_exceeded", err)
	}
	var me *model.Error
	errors.As(err, &me)
	// The message gives the budget and the amount spent.
	if !strings.Contains(me.Message, "budget of $0.075") || !strings.Contains(me.Message, "spent $0.075") {
		t.Fatalf("message %q does not give the budget and the amount spent", me.Message)
	}
	b, err := e.svc.Budget(context.Background(), uid)
	if err != nil || b.SpentUSD != 0.075 || b.ReservedUSD != 0 {
		t.Fatalf("budget %+v %v", b, err)
	}
}

func TestConcurrentSubmitsCannotOverspend(t *testing.T) {
	e := newEnv(t)
	uid := e.user(t, "a@example.com", usdp(0.5)) // room for five $0.10 jobs
	// Two tabs send at once, each asking for a job that alone fits; together they do not.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { _, errs[i] = e.submit(uid, "fal-ai/flux/dev", `{"num_images":4,"image_size":"square_hd"}`) }) // $0.10 each
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case isBudgetExceeded(err):
			refused++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if ok != 5 || refused != 3 {
		t.Fatalf("8 concurrent $0.10 submits under $0.50: %d accepted, %d refused; want 5 and 3", ok, refused)
	}
	b, _ := e.svc.Budget(context.Background(), uid)
	if b.ReservedUSD > 0.5+epsilon {
		t.Fatalf("reserved %v over the budget", b.ReservedUSD)
	}
}

func TestFailedOrCanceledJobReleasesItsReservation(t *testing.T) {
	e := newEnv(t)
	uid := e.user(t, "a@example.com", usdp(3.2))
	id, err := e.submit(uid, "fal-ai/veo3", `{"duration":"8s"}`) // $3.20: the whole budget
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.submit(uid, "fal-ai/flux/schnell", `{}`); !isBudgetExceeded(err) {
		t.Fatalf("while the video is unfinished: %v, want budget_exceeded", err)
	}
	e.set(t, id, model.StatusFailed)
	id2, err := e.submit(uid, "fal-ai/veo3", `{}`)
	if err != nil {
		t.Fatalf("after the failure released it: %v", err)
	}
	e.set(t, id2, model.StatusCanceled)
	if _, err := e.submit(uid, "fal-ai/veo3", `{}`); err != nil {
		t.Fatalf("after the cancel released it: %v", err)
	}
	b, _ := e.svc.Budget(context.Background(), uid)
	if b.SpentUSD != 0 || b.ReservedUSD != 3.2 {
		t.Fatalf("budget %+v", b)
	}
}

func TestMonthBoundary(t *testing.T) {
	e := newEnv(t)
	uid := e.user(t, "a@example.com", usdp(3.2))
	e.clock.Set(time.Date(2026, 3, 31, 23, 59, 0, 0, time.UTC))
	id, err := e.submit(uid, "fal-ai/veo3", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	e.set(t, id, model.StatusSucceeded) // completed 23:59 on 31 March
	if _, err := e.submit(uid, "fal-ai/flux/schnell", `{}`); !isBudgetExceeded(err) {
		t.Fatalf("same month: %v, want budget_exceeded", err)
	}
	e.clock.Set(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) // a new calendar month (UTC)
	if _, err := e.submit(uid, "fal-ai/veo3", `{}`); err != nil {
		t.Fatalf("next month: %v", err)
	}
	// A job still unfinished at the turn of the month keeps its reservation in the new one.
	if _, err := e.submit(uid, "fal-ai/flux/schnell", `{}`); !isBudgetExceeded(err) {
		t.Fatalf("with April's reservation: %v, want budget_exceeded", err)
	}
}

func TestUnpricedModelCannotRunUnderABudget(t *testing.T) {
	e := newEnv(t)
	free := e.user(t, "free@example.com", nil)
	capped := e.user(t, "capped@example.com", usdp(100))
	id, err := e.submit(free, "acme/custom-app", `{}`)
	if err != nil {
		t.Fatalf("no budget: %v", err)
	}
	if _, err := e.submit(capped, "acme/custom-app", `{}`); !isBudgetExceeded(err) {
		t.Fatalf("under a budget: %v, want budget_exceeded", err)
	}
	g, err := e.st.GenerationByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if g.CostUSD != nil || g.CostSource != "" {
		t.Fatalf("an unpriced generation recorded %v %q, want null", *g.CostUSD, g.CostSource)
	}
}

func TestSelfBudgetIsTheLowerOne(t *testing.T) {
	e := newEnv(t)
	uid := e.user(t, "a@example.com", usdp(10))
	u := &model.User{ID: uid, Email: "a@example.com"}
	ctx := context.Background()
	if _, err := e.svc.SetSelfBudget(ctx, u, usdp(11)); err == nil {
		t.Fatal("a self budget above the admin's was accepted")
	}
	for _, bad := range []float64{-1, MaxBudgetUSD + 1} {
		if _, err := e.svc.SetSelfBudget(ctx, u, usdp(bad)); err == nil {
			t.Fatalf("budget %v accepted", bad)
		}
	}
	b, err := e.svc.SetSelfBudget(ctx, u, usdp(0.05))
	if err != nil || *b.MonthlyUSD != 0.05 || *b.AdminUSD != 10 || *b.SelfUSD != 0.05 {
		t.Fatalf("budget %+v %v", b, err)
	}
	if _, err := e.submit(uid, "fal-ai/flux/dev", `{"num_images":3}`); !isBudgetExceeded(err) {
		t.Fatalf("over the self budget: %v", err)
	}
	if b, err = e.svc.SetSelfBudget(ctx, u, nil); err != nil || *b.MonthlyUSD != 10 || b.SelfUSD != nil {
		t.Fatalf("removed: %+v %v", b, err)
	}
	if _, err := e.submit(uid, "fal-ai/flux/dev", `{"num_images":3}`); err != nil {
		t.Fatalf("under the admin budget: %v", err)
	}
}

func TestUsageSumsRecordedCosts(t *testing.T) {
	e := newEnv(t)
	a := e.user(t, "a@example.com", nil)
	b := e.user(t, "b@example.com", nil)
	days := []int{1, 1, 3, 20}
	want := 0.0
	for _, d := range days {
		e.clock.Set(time.Date(2026, 3, d, 10, 0, 0, 0, time.UTC))
		id, err := e.submit(a, "fal-ai/flux/dev", `{"num_images":2}`) // $0.05
		if err != nil {
			t.Fatal(err)
		}
		e.set(t, id, model.StatusSucceeded)
		want += 0.05
	}
	e.clock.Set(time.Date(2026, 3, 3, 11, 0, 0, 0, time.UTC))
	submit := func(uid int64, modelID string) string {
		t.Helper()
		id, err := e.submit(uid, modelID, `{}`)
		if err != nil {
			t.Fatalf("submit %s: %v", modelID, err)
		}
		return id
	}
	e.set(t, submit(a, "fal-ai/veo3"), model.StatusFailed)    // costs 0
	e.set(t, submit(a, "fal-ai/veo3"), model.StatusSucceeded) // $3.20
	want += 3.2
	e.set(t, submit(a, "acme/custom-app"), model.StatusSucceeded) // unknown cost
	e.set(t, submit(b, "fal-ai/veo3"), model.StatusSucceeded)     // another user's spend
	submit(a, "fal-ai/veo3")                                      // unfinished: reserved, not spent

	ctx := context.Background()
	u, err := e.svc.MyUsage(ctx, a, UsageQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if u.From != "2026-03-01" || u.To != "2026-03-31" || len(u.Buckets) != 31 {
		t.Fatalf("range %s..%s with %d buckets", u.From, u.To, len(u.Buckets))
	}
	if fmt.Sprintf("%.6f", u.TotalUSD) != fmt.Sprintf("%.6f", want) || u.Count != 6 || u.UnpricedCount != 1 {
		t.Fatalf("total %v count %d unpriced %d, want %v 6 1", u.TotalUSD, u.Count, u.UnpricedCount, want)
	}
	if u.Buckets[0].USD != 0.1 || u.Buckets[0].Count != 2 || u.Buckets[2].USD != 3.25 || u.Buckets[19].USD != 0.05 || u.Buckets[1].Count != 0 {
		t.Fatalf("day buckets %+v", u.Buckets[:4])
	}
	if u.SpentUSD != u.TotalUSD || u.ReservedUSD != 3.2 {
		t.Fatalf("spent %v reserved %v", u.SpentUSD, u.ReservedUSD)
	}
	sum := 0.0
	for _, bk := range u.Buckets {
		sum += bk.USD
	}
	if fmt.Sprintf("%.6f", sum) != fmt.Sprintf("%.6f", u.TotalUSD) {
		t.Fatalf("buckets sum to %v, total says %v", sum, u.TotalUSD)
	}
	byModel, err := e.svc.MyUsage(ctx, a, UsageQuery{GroupBy: GroupModel})
	if err != nil || len(byModel.Buckets) != 3 || byModel.Buckets[0].Key != "fal-ai/veo3" || byModel.Buckets[0].USD != 3.2 {
		t.Fatalf("by model %+v %v", byModel, err)
	}
	all, err := e.svc.AllUsage(ctx, UsageQuery{GroupBy: GroupUser})
	if err != nil || len(all.Buckets) != 2 || all.Buckets[0].Key != "a@example.com" || all.Buckets[1].Key != "b@example.com" || all.Buckets[1].USD != 3.2 {
		t.Fatalf("by user %+v %v", all, err)
	}
	if _, err := e.svc.MyUsage(ctx, a, UsageQuery{GroupBy: GroupUser}); err == nil {
		t.Fatal("a person grouped their usage by user")
	}
	for _, q := range []UsageQuery{{From: "2026-13-01"}, {From: "2026-03-05", To: "2026-03-01"}, {From: "2020-01-01", To: "2026-01-01"}, {GroupBy: "hour"}} {
		if _, err := e.svc.MyUsage(ctx, a, q); err == nil {
			t.Fatalf("query %+v accepted", q)
		}
	}
	one, err := e.svc.MyUsage(ctx, a, UsageQuery{From: "2026-03-03", To: "2026-03-03"})
	if err != nil || len(one.Buckets) != 1 || one.TotalUSD != 3.25 {
		t.Fatalf("one day %+v %v", one, err)
	}
}
