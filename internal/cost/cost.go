// Package cost prices generations before they run and keeps spending within budgets: unit prices
// from fal's pricing API with each person's own key (cached), the quantity a request asks for,
// the cost recorded on every generation, monthly budgets checked in the same transaction that
// inserts the generation, and usage reports. It never imports net/http.
package cost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/falkey"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Cost sources of a generation's costUsd.
const (
	SourceEstimate = "estimate" // the estimate recorded at submit
	SourceBilled   = "billed"   // fal's billed amount (not read yet: see docs)
)

// MaxBudgetUSD bounds a budget so a typo cannot make it meaningless.
const MaxBudgetUSD = 1_000_000

// Options configure the service.
type Options struct {
	// PriceTTL is how long a price is trusted (at most, and by default, one hour).
	PriceTTL time.Duration
	// MaxCachedPrices bounds the price cache (default 2048 entries).
	MaxCachedPrices int
	// Defaults are a model's parameter defaults (the curated catalogue), used when a request
	// leaves out a parameter that drives the price.
	Defaults func(modelID string) map[string]any
	Now      func() time.Time
	Logger   *slog.Logger
	// Audit records budget changes; nil records nothing.
	Audit *audit.Log
}

// Service prices generations and holds budgets.
type Service struct {
	st       *store.Store
	keys     *falkey.Keys
	prices   *pricer
	defaults func(string) map[string]any
	now      func() time.Time
	log      *slog.Logger
	audit    *audit.Log
}

// New builds the service.
func New(st *store.Store, keys *falkey.Keys, fc *fal.Client, o Options) *Service {
	if o.PriceTTL <= 0 || o.PriceTTL > time.Hour {
		o.PriceTTL = time.Hour
	}
	if o.MaxCachedPrices <= 0 {
		o.MaxCachedPrices = 2048
	}
	if o.Defaults == nil {
		o.Defaults = func(string) map[string]any { return nil }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, keys: keys, prices: newPricer(fc, o.Now, o.PriceTTL, o.MaxCachedPrices),
		defaults: o.Defaults, now: o.Now, log: o.Logger, audit: o.Audit}
}

// Estimate is a generation's expected price.
type Estimate struct {
	USD       float64 `json:"usd"`
	UnitPrice float64 `json:"unitPrice"`
	Unit      string  `json:"unit"`
	Quantity  float64 `json:"quantity"`
	// Basis says how it was made: "unit_price" (fal's unit price × the quantity the request
	// asks for) or "historical" (fal's average cost of one call, for units the input does not
	// measure).
	Basis string `json:"basis"`
}

// Quote is an estimate, or the reason there is none.
type Quote struct {
	Estimate *Estimate
	Reason   string
}

// roundUSD keeps money to a millionth of a dollar, so sums of estimates stay exact enough.
func roundUSD(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// Estimate prices a request (the body of a submit) with the caller's own key. A missing key, a
// model fal has no price for, or fal being unreachable is a Quote without an estimate and with
// the reason: a price is never guessed.
func (s *Service) Estimate(ctx context.Context, caller *model.User, modelID, prompt string, params map[string]any) (*Quote, error) {
	key, err := s.keys.Of(caller)
	if err != nil {
		var me *model.Error
		if errors.As(err, &me) && me.Code == model.CodeFalKeyMissing {
			return &Quote{Reason: "Save your fal API key in Account to see prices."}, nil
		}
		return nil, err
	}
	return s.quote(ctx, key.Reveal(), modelID, prompt, params), nil
}

func (s *Service) quote(ctx context.Context, falKey, modelID, prompt string, params map[string]any) *Quote {
	p, err := s.prices.get(ctx, falKey, modelID)
	if err != nil {
		s.log.Info("price lookup failed", "model", modelID, "err", err)
		var fe *fal.Error
		if errors.As(err, &fe) && fe.Code == fal.CodeKeyInvalid {
			if fe.Status == 403 { // a valid key without pricing access: fal's message says so
				return &Quote{Reason: fe.Message}
			}
			return &Quote{Reason: "fal rejected your API key, so there is no price. Check the key saved in Account."}
		}
		return &Quote{Reason: "fal's pricing could not be reached, so there is no price right now."}
	}
	if !p.known {
		return &Quote{Reason: "fal has no price for " + modelID + "."}
	}
	merged := map[string]any{}
	for k, v := range s.defaults(modelID) {
		merged[k] = v
	}
	for k, v := range params {
		if v != nil {
			merged[k] = v
		}
	}
	kind := normalUnit(p.unit)
	if q, ok := quantity(kind, prompt, merged); kind != "" && ok {
		usd := roundUSD(p.unitPrice * q)
		if math.IsInf(usd, 0) || math.IsNaN(usd) || usd > MaxBudgetUSD {
			// Only an absurd size gets here (fal refuses it anyway); JSON cannot carry +Inf.
			return &Quote{Reason: "These settings are too large to price."}
		}
		return &Quote{Estimate: &Estimate{USD: usd, UnitPrice: p.unitPrice, Unit: kind, Quantity: q, Basis: "unit_price"}}
	}
	// fal bills this in a unit the input does not measure (GPU seconds, tokens, or a video
	// whose length is not given): its historical cost per call is the honest estimate.
	per, err := s.prices.perCall(ctx, falKey, modelID, p)
	if err != nil {
		s.log.Info("historical estimate failed", "model", modelID, "err", err)
		return &Quote{Reason: fmt.Sprintf("fal prices %s per %s, which cannot be told before it runs.", modelID, strings.TrimSpace(p.unit))}
	}
	return &Quote{Estimate: &Estimate{USD: roundUSD(per), UnitPrice: roundUSD(per), Unit: "calls", Quantity: 1, Basis: "historical"}}
}

// MonthBounds is the calendar month (UTC) holding t.
func MonthBounds(t time.Time) (time.Time, time.Time) {
	t = t.UTC()
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 1, 0)
}

// usd formats money for messages: cents, or up to four decimals when cents would hide the
// amount ($0.075, $0.0033), so a small price never reads as $0.00.
func usd(v float64) string {
	if math.Abs(v*100-math.Round(v*100)) < 1e-9 {
		return fmt.Sprintf("$%.2f", v)
	}
	s := strings.TrimRight(fmt.Sprintf("%.4f", v), "0")
	return "$" + s
}
