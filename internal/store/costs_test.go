package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

func usd(v float64) *float64 { return &v }

func TestCostsSQLOnEitherDatabase(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	a, _ := s.InsertUser(ctx, "a@example.com", "h")
	b, _ := s.InsertUser(ctx, "b@example.com", "h")
	from, to := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	allowAll := func(Spend) error { return nil }
	insert := func(uid int64, id string, cost *float64) {
		t.Helper()
		g := &model.Generation{ID: id, UserID: uid, Model: "m/" + id[:1], Params: []byte(`{}`), CostUSD: cost, CostSource: "estimate"}
		if err := s.InsertGeneration(ctx, g, "h", time.Minute, &BudgetGuard{MonthStart: from, MonthEnd: to, Allow: allowAll}); err != nil {
			t.Fatal(err)
		}
		if g.Status != model.StatusSubmitting || g.LeaseOwner != "h" {
			t.Fatalf("inserted %+v", g)
		}
	}
	succeed := func(id string) {
		t.Helper()
		if err := s.MarkSubmitted(ctx, id, "h", model.StatusQueued, "r-"+id, nil); err != nil {
			t.Fatalf("submitted %s: %v", id, err)
		}
		if _, err := s.ClaimDue(ctx, "h", 100, 100, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkSaving(ctx, id, "h", nil, []byte(`{}`)); err != nil {
			t.Fatalf("saving %s: %v", id, err)
		}
		if err := s.MarkSucceeded(ctx, id, "h", ""); err != nil {
			t.Fatalf("succeeded %s: %v", id, err)
		}
	}
	insert(a.ID, "x1", usd(0.25))
	succeed("x1")
	insert(a.ID, "x2", usd(0.5)) // unfinished: reserved
	insert(a.ID, "y3", nil)      // unpriced
	succeed("y3")
	insert(a.ID, "x4", usd(1)) // failed: costs nothing
	if err := s.MarkFailed(ctx, "x4", "h", "fal_unavailable", "down"); err != nil {
		t.Fatal(err)
	}
	insert(b.ID, "z5", usd(2))
	succeed("z5")

	if err := s.SetMonthlyBudget(ctx, a.ID, usd(10)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSelfBudget(ctx, a.ID, usd(3)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSelfBudget(ctx, 9999, usd(3)); err != ErrNotFound {
		t.Fatalf("unknown user: %v", err)
	}
	sp, err := s.Spend(ctx, a.ID, from, to)
	if err != nil || sp.SpentUSD != 0.25 || sp.ReservedUSD != 0.5 || *sp.AdminBudgetUSD != 10 || *sp.SelfBudgetUSD != 3 {
		t.Fatalf("spend %+v %v", sp, err)
	}
	if sp, _ := s.Spend(ctx, a.ID, to, to.AddDate(0, 1, 0)); sp.SpentUSD != 0 || sp.ReservedUSD != 0.5 {
		t.Fatalf("next month: %+v (the unfinished job stays reserved)", sp)
	}
	all, err := s.SpendByUser(ctx, from, to)
	if err != nil || len(all) != 2 || all[b.ID].SpentUSD != 2 || all[b.ID].AdminBudgetUSD != nil || all[a.ID].ReservedUSD != 0.5 {
		t.Fatalf("by user %+v %v", all, err)
	}
	// A refusal inserts nothing.
	refuse := fmt.Errorf("no")
	if err := s.InsertGeneration(ctx, &model.Generation{ID: "r6", UserID: a.ID, Model: "m", CostUSD: usd(1), CostSource: "estimate"}, "h", time.Minute,
		&BudgetGuard{MonthStart: from, MonthEnd: to, Allow: func(Spend) error { return refuse }}); err != refuse {
		t.Fatalf("refusal: %v", err)
	}
	if _, err := s.GenerationByID(ctx, "r6"); err != ErrNotFound {
		t.Fatalf("a refused generation was stored: %v", err)
	}
	// Costs are read with the generation, and only for the owner.
	gens, err := s.GenerationsByID(ctx, a.ID, []string{"x1", "y3", "z5"})
	if err != nil || len(gens) != 2 {
		t.Fatalf("generations by id: %d %v", len(gens), err)
	}
	for _, g := range gens {
		if (g.ID == "x1") != (g.CostUSD != nil) || g.ID == "x1" && (*g.CostUSD != 0.25 || g.CostSource != "estimate") {
			t.Fatalf("cost of %s: %v %q", g.ID, g.CostUSD, g.CostSource)
		}
	}
	for group, want := range map[string]int{"day": 1, "model": 3, "user": 2} {
		rows, err := s.Usage(ctx, UsageQuery{From: from, To: to, GroupBy: group})
		if err != nil || len(rows) != want {
			t.Fatalf("usage by %s: %+v %v", group, rows, err)
		}
	}
	rows, err := s.Usage(ctx, UsageQuery{UserID: a.ID, From: from, To: to, GroupBy: "day"})
	if err != nil || len(rows) != 1 || rows[0].USD != 0.25 || rows[0].Count != 2 || rows[0].Unpriced != 1 || rows[0].Key != fmt.Sprint(now.UnixMilli()/86400000) {
		t.Fatalf("a's usage %+v %v", rows, err)
	}
	if _, err := s.Usage(ctx, UsageQuery{From: from, To: to, GroupBy: "x; DROP TABLE users"}); err == nil {
		t.Fatal("an unknown grouping was accepted")
	}
}

// A job interrupted mid-submit (the studio stopped after sending it) may have been run and
// billed by fal: its estimate counts as spent — in the budget check, the admin's list and the
// usage — while a job fal refused still costs nothing.
func TestInterruptedSubmitCountsAsSpent(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	u := mustUser(t, s, "crash@example.com")
	from, to := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	guard := &BudgetGuard{MonthStart: from, MonthEnd: to, Allow: func(Spend) error { return nil }}
	for _, id := range []string{"cut", "refused"} {
		g := &model.Generation{ID: id, UserID: u.ID, Model: "fal-ai/flux/dev", Params: []byte(`{}`), CostUSD: usd(0.75), CostSource: "estimate"}
		if err := s.InsertGeneration(ctx, g, "dead", time.Minute, guard); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkFailed(ctx, "refused", "dead", "fal_unavailable", "fal refused it"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.FailOwnSubmits(ctx, "dead", "interrupted"); err != nil || n != 1 {
		t.Fatalf("start-up failed %d submits (%v), want 1", n, err)
	}
	if g := status(t, s, "cut"); g.Status != model.StatusFailed || g.ErrorCode != model.CodeInterrupted {
		t.Fatalf("the interrupted submit is %s/%s", g.Status, g.ErrorCode)
	}
	sp, err := s.Spend(ctx, u.ID, from, to)
	if err != nil || sp.SpentUSD != 0.75 || sp.ReservedUSD != 0 {
		t.Fatalf("spend %+v (%v), want 0.75 spent (the interrupted job) and nothing reserved", sp, err)
	}
	all, err := s.SpendByUser(ctx, from, to)
	if err != nil || all[u.ID].SpentUSD != 0.75 {
		t.Fatalf("by user %+v %v", all, err)
	}
	rows, err := s.Usage(ctx, UsageQuery{UserID: u.ID, From: from, To: to, GroupBy: "model"})
	if err != nil || len(rows) != 1 || rows[0].USD != 0.75 || rows[0].Count != 1 {
		t.Fatalf("usage %+v %v", rows, err)
	}
}

// BenchmarkInsertWithinBudget measures the submit's insert with its budget check (the user's row
// locked, this month's spend and the reservations summed) for a user with 2,000 finished
// generations this month and a few running, next to the insert without a guard. Each inserted
// job is then failed, so the reservations stay as few as a person really has.
func BenchmarkInsertWithinBudget(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	u, _ := s.InsertUser(ctx, "bench@example.com", "h")
	from, to := time.Now().AddDate(0, 0, -10), time.Now().AddDate(0, 0, 20)
	guard := &BudgetGuard{MonthStart: from, MonthEnd: to, Allow: func(Spend) error { return nil }}
	for i := range 2000 {
		g := &model.Generation{ID: fmt.Sprintf("seed-%d", i), UserID: u.ID, Model: "fal-ai/flux/dev", CostUSD: usd(0.01), CostSource: "estimate"}
		if err := s.InsertGeneration(ctx, g, "h", time.Minute, guard); err != nil {
			b.Fatal(err)
		}
		if i >= 5 {
			if err := s.MarkFailed(ctx, g.ID, "h", "x", "x"); err != nil {
				b.Fatal(err)
			}
		}
	}
	run := func(b *testing.B, prefix string, insert func(g *model.Generation) error) {
		i := 0
		for b.Loop() {
			i++
			g := &model.Generation{ID: fmt.Sprintf("%s-%d", prefix, i), UserID: u.ID, Model: "m"}
			if err := insert(g); err != nil {
				b.Fatal(err)
			}
			if err := s.MarkFailed(ctx, g.ID, "h", "x", "x"); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("plain", func(b *testing.B) {
		run(b, "p", func(g *model.Generation) error { return s.InsertGeneration(ctx, g, "h", time.Minute, nil) })
	})
	b.Run("within-budget", func(b *testing.B) {
		run(b, "w", func(g *model.Generation) error {
			g.CostUSD, g.CostSource = usd(0.01), "estimate"
			return s.InsertGeneration(ctx, g, "h", time.Minute, guard)
		})
	})
}
