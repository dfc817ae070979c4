package cost

import (
	"context"
	"fmt"
	"math"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// epsilon absorbs float rounding, so a submit that brings spending exactly to the budget passes.
const epsilon = 1e-9

// Budget is a person's monthly budget and where this month stands.
type Budget struct {
	// MonthlyUSD is the budget that applies: the lower of the admin's and the person's own.
	MonthlyUSD *float64 `json:"monthlyBudgetUsd"`
	AdminUSD   *float64 `json:"adminBudgetUsd"`
	SelfUSD    *float64 `json:"selfBudgetUsd"`
	// SpentUSD is what this calendar month's (UTC) finished generations cost.
	SpentUSD float64 `json:"spentThisMonthUsd"`
	// ReservedUSD is the estimates of the person's unfinished jobs.
	ReservedUSD float64 `json:"reservedUsd"`
}

func effective(admin, self *float64) *float64 {
	switch {
	case admin == nil:
		return self
	case self == nil:
		return admin
	case *self < *admin:
		return self
	}
	return admin
}

func budgetOf(sp store.Spend) Budget {
	return Budget{MonthlyUSD: effective(sp.AdminBudgetUSD, sp.SelfBudgetUSD), AdminUSD: sp.AdminBudgetUSD, SelfUSD: sp.SelfBudgetUSD,
		SpentUSD: roundUSD(sp.SpentUSD), ReservedUSD: roundUSD(sp.ReservedUSD)}
}

// Budget returns the person's budget and this month's spending.
func (s *Service) Budget(ctx context.Context, userID int64) (Budget, error) {
	from, to := MonthBounds(s.now())
	sp, err := s.st.Spend(ctx, userID, from, to)
	if err != nil {
		return Budget{}, err
	}
	return budgetOf(sp), nil
}

// Guard prices the generation with the person's key (setting g.CostUSD and g.CostSource) and
// returns the guard its insert runs inside the transaction: this month's spending plus the
// unfinished jobs' estimates plus this estimate must not exceed the budget, so two submits at
// once cannot both take the last dollars. A model without a price cannot run under a budget.
// The submission pipeline (generation.Service.Submit) calls it before anything is sent to fal.
func (s *Service) Guard(ctx context.Context, falKey string, g *model.Generation, params map[string]any) (*store.BudgetGuard, error) {
	return s.GuardSet(ctx, falKey, []*model.Generation{g}, []map[string]any{params})
}

// GuardSet is Guard for generations submitted as one set (a compare, SPEC §14): each is priced,
// and the guard refuses the whole set when the sum of their estimates would exceed the budget,
// or when one of them has no price (its message names it: "runs[2]: …").
func (s *Service) GuardSet(ctx context.Context, falKey string, gs []*model.Generation, params []map[string]any) (*store.BudgetGuard, error) {
	total := 0.0
	var unpriced *unpricedRun // the first run without a price, refused only under a budget
	for i, g := range gs {
		q := s.quote(ctx, falKey, g.Model, g.Prompt, params[i])
		g.CostUSD, g.CostSource = nil, ""
		if q.Estimate != nil {
			v := q.Estimate.USD
			g.CostUSD, g.CostSource = &v, SourceEstimate
			total += v
			continue
		}
		if unpriced == nil {
			prefix := ""
			if len(gs) > 1 {
				prefix = fmt.Sprintf("runs[%d]: ", i)
			}
			unpriced = &unpricedRun{prefix: prefix, model: g.Model, reason: q.Reason}
		}
	}
	from, to := MonthBounds(s.now())
	return &store.BudgetGuard{MonthStart: from, MonthEnd: to, Allow: func(sp store.Spend) error {
		b := budgetOf(sp)
		if b.MonthlyUSD == nil {
			return nil
		}
		limit := *b.MonthlyUSD
		if u := unpriced; u != nil {
			return model.Errf(model.CodeBudgetExceeded, "%s%s cannot run under your monthly budget of %s without a price: %s You have spent %s this month.",
				u.prefix, u.model, usd(limit), u.reason, usd(b.SpentUSD))
		}
		return overBudget(b, limit, total, sp)
	}}, nil
}

// unpricedRun remembers the first run of a set that has no price.
type unpricedRun struct{ prefix, model, reason string }

// overBudget refuses cost when spent and held plus cost exceed limit (nil: it fits).
func overBudget(b Budget, limit, cost float64, sp store.Spend) error {
	if Fits(sp.SpentUSD+sp.ReservedUSD, cost, limit) {
		return nil
	}
	msg := "This would exceed your monthly budget of %s: you have spent %s this month"
	args := []any{usd(limit), usd(b.SpentUSD)}
	if b.ReservedUSD > 0 {
		msg += ", %s is held by jobs still running"
		args = append(args, usd(b.ReservedUSD))
	}
	msg += " and this costs about %s."
	args = append(args, usd(cost))
	return model.Errf(model.CodeBudgetExceeded, msg, args...)
}

// EnhanceGuard is the guard of one prompt enhancement (SPEC §14): this month's spend plus the
// unfinished jobs' estimates plus reserveUSD (the most one enhance may cost) must fit the budget.
func (s *Service) EnhanceGuard(reserveUSD float64) *store.BudgetGuard {
	from, to := MonthBounds(s.now())
	return &store.BudgetGuard{MonthStart: from, MonthEnd: to, Allow: func(sp store.Spend) error {
		b := budgetOf(sp)
		if b.MonthlyUSD == nil {
			return nil
		}
		return overBudget(b, *b.MonthlyUSD, reserveUSD, sp)
	}}
}

// Fits is the budget rule, in one place: what is spent and held plus cost stays within limit
// (epsilon absorbs float rounding, so spending exactly up to the budget passes).
func Fits(spentAndHeld, cost, limit float64) bool { return spentAndHeld+cost <= limit+epsilon }

// validBudget checks a budget amount (nil means none).
func validBudget(v *float64) error {
	if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0 || *v > MaxBudgetUSD) {
		return model.Errf(model.CodeInvalidInput, "A monthly budget is an amount in USD between 0 and %d, or null for none.", MaxBudgetUSD)
	}
	return nil
}

// SetSelfBudget sets the person's own monthly budget (nil removes it). It may only be lower
// than a budget an admin set: the admin's is the ceiling.
func (s *Service) SetSelfBudget(ctx context.Context, user *model.User, v *float64) (Budget, error) {
	userID := user.ID
	if err := validBudget(v); err != nil {
		return Budget{}, err
	}
	if v != nil {
		r := roundUSD(*v)
		v = &r
		b, err := s.Budget(ctx, userID)
		if err != nil {
			return Budget{}, err
		}
		if b.AdminUSD != nil && *v > *b.AdminUSD+epsilon {
			return Budget{}, model.Errf(model.CodeInvalidInput, "Your own budget can only be lower than the %s an admin set for you.", usd(*b.AdminUSD))
		}
	}
	if err := s.st.SetSelfBudget(ctx, userID, v); err != nil {
		return Budget{}, err
	}
	detail := map[string]any{"selfBudgetUsd": nil, "by": "self"}
	if v != nil {
		detail["selfBudgetUsd"] = *v
	}
	s.log.Info("budget changed", "user_id", userID, "by", "self")
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(user), Action: audit.ActionBudgetChange, Target: audit.User(userID), Detail: detail})
	return s.Budget(ctx, userID)
}

// SetAdminBudget sets the budget an admin gives a person (nil removes it). The caller checks
// that admin is one.
func (s *Service) SetAdminBudget(ctx context.Context, admin *model.User, userID int64, v *float64) error {
	if err := validBudget(v); err != nil {
		return err
	}
	if v != nil {
		r := roundUSD(*v)
		v = &r
	}
	if err := s.st.SetMonthlyBudget(ctx, userID, v); err != nil {
		return err
	}
	detail := map[string]any{"monthlyBudgetUsd": nil, "by": "admin"}
	if v != nil {
		detail["monthlyBudgetUsd"] = *v
	}
	s.log.Info("budget changed", "user_id", userID, "by", "admin")
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(admin), Action: audit.ActionBudgetChange, Target: audit.User(userID), Detail: detail})
	return nil
}

// Spend is an account's spending this month and its admin-set budget.
type Spend struct {
	SpentThisMonthUSD float64
	MonthlyBudgetUSD  *float64 // nil: no budget
}

// AdminSpend is every account's spending this month and its admin-set budget (the admin's list
// of users joins it to each account's usage).
func (s *Service) AdminSpend(ctx context.Context) (map[int64]Spend, error) {
	ms, me := MonthBounds(s.now())
	all, err := s.st.SpendByUser(ctx, ms, me)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]Spend, len(all))
	for id, sp := range all {
		out[id] = Spend{SpentThisMonthUSD: roundUSD(sp.SpentUSD), MonthlyBudgetUSD: sp.AdminBudgetUSD}
	}
	return out, nil
}

// ValidBudget checks a budget an admin asks for without setting it (a PATCH validates all its
// fields before it writes any).
func ValidBudget(v *float64) error { return validBudget(v) }

func (s *Service) TokenCap(gs []*model.Generation, via *model.Via) func(store.TokenSpend) error {
	if via == nil || via.CapUSD == nil {
		return nil
	}
	limit, name := *via.CapUSD, via.Name
	total := 0.0
	var unpriced string
	for _, g := range gs {
		if g.CostUSD == nil {
			if unpriced == "" {
				unpriced = g.Model
			}
			continue
		}
		total += *g.CostUSD
	}
	return func(ts store.TokenSpend) error {
		if unpriced != "" {
			return model.Errf(model.CodeBudgetExceeded, "%s has no price, so it cannot run through token %q, which has a monthly cap of %s.", unpriced, name, usd(limit))
		}
		if !Fits(ts.SpentUSD+ts.ReservedUSD, total, limit) {
			return model.Errf(model.CodeBudgetExceeded, "Token %q has a monthly cap of %s: %s spent and %s reserved this month.",
				name, usd(limit), usd(roundUSD(ts.SpentUSD)), usd(roundUSD(ts.ReservedUSD)))
		}
		return nil
	}
}
