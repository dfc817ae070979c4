package httpapi

import (
	"testing"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
)

// costUsd as SPEC §7 shows it: the estimate while a job runs or once it succeeded, 0 once it
// failed or was canceled before running, the estimate again for a submit interrupted mid-way
// (fal may have run and billed it; the budget counts it as spent), null without a price.
func TestGenerationViewCost(t *testing.T) {
	est := 0.25
	cases := []struct {
		name     string
		g        model.Generation
		usd      *float64
		source   string
		wantNull bool
	}{
		{"running", model.Generation{Status: model.StatusRunning, CostUSD: &est, CostSource: "estimate"}, &est, "estimate", false},
		{"succeeded", model.Generation{Status: model.StatusSucceeded, CostUSD: &est}, &est, "estimate", false},
		{"failed", model.Generation{Status: model.StatusFailed, ErrorCode: "fal_unavailable", CostUSD: &est}, new(float64), "not_billed", false},
		{"canceled", model.Generation{Status: model.StatusCanceled, CostUSD: &est}, new(float64), "not_billed", false},
		{"interrupted", model.Generation{Status: model.StatusFailed, ErrorCode: model.CodeInterrupted, CostUSD: &est}, &est, "estimate", false},
		{"unpriced", model.Generation{Status: model.StatusSucceeded}, nil, "", true},
	}
	for _, tc := range cases {
		v := generationView(media.NewURLs(""), &tc.g)
		if tc.wantNull {
			if v.CostUSD != nil || v.CostSource != nil {
				t.Fatalf("%s: cost %v %v, want null", tc.name, v.CostUSD, v.CostSource)
			}
			continue
		}
		if v.CostUSD == nil || *v.CostUSD != *tc.usd || v.CostSource == nil || *v.CostSource != tc.source {
			t.Fatalf("%s: cost %v %v, want %v %q", tc.name, v.CostUSD, v.CostSource, *tc.usd, tc.source)
		}
	}
}
