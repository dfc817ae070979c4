package fal_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/falsim"
)

func TestEstimateCost(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	c := fal.New(fal.Config{APIURL: sim.URLs().APIURL})
	ctx := context.Background()
	cases := []struct {
		kind, endpoint string
		qty, want      float64
	}{
		{fal.EstimateUnitPrice, "fal-ai/flux/dev", 4, 0.1},
		{fal.EstimateUnitPrice, "fal-ai/veo3", 8, 3.2},
		{fal.EstimateHistorical, "fal-ai/veo3", 1, 2},               // an average call is a 5 s clip
		{fal.EstimateHistorical, falsim.GPUPricedModel, 2, 0.00666}, // 3 GPU seconds a call
	}
	for _, tc := range cases {
		got, err := c.EstimateCost(ctx, "sim-key", tc.kind, tc.endpoint, tc.qty)
		if err != nil || got < tc.want-1e-9 || got > tc.want+1e-9 {
			t.Fatalf("%s %s × %v = %v %v, want %v", tc.kind, tc.endpoint, tc.qty, got, err, tc.want)
		}
	}
	_, err := c.EstimateCost(ctx, "sim-key", fal.EstimateUnitPrice, "acme/no-price", 1)
	var fe *fal.Error
	if !errors.As(err, &fe) || fe.Status != http.StatusNotFound {
		t.Fatalf("unpriced endpoint: %v", err)
	}
	if _, err := c.EstimateCost(ctx, "bad-key", fal.EstimateUnitPrice, "fal-ai/flux/dev", 1); !errors.As(err, &fe) || fe.Code != fal.CodeKeyInvalid {
		t.Fatalf("bad key: %v", err)
	}
	if n := sim.Count("estimate"); n != 6 {
		t.Fatalf("estimate calls %d, want 6", n)
	}
}
