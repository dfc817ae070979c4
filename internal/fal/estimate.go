package fal

import (
	"context"
	"net/http"
)

// Estimate types of POST /v1/models/pricing/estimate (fal-api.md §9.2).
const (
	// EstimateHistorical prices a number of calls at the endpoint's historical average cost per
	// call: the only estimate fal can give for units a request's input does not tell (GPU
	// seconds, tokens).
	EstimateHistorical = "historical_api_price"
	// EstimateUnitPrice prices a number of billing units at the endpoint's unit price.
	EstimateUnitPrice = "unit_price"
)

// EstimateCost asks fal what quantity calls (EstimateHistorical) or units (EstimateUnitPrice) of
// an endpoint cost, in USD. It only computes, so it is retried like a GET.
func (c *Client) EstimateCost(ctx context.Context, key, estimateType, endpointID string, quantity float64) (float64, error) {
	field := "unit_quantity"
	if estimateType == EstimateHistorical {
		field = "call_quantity"
	}
	body := map[string]any{"estimate_type": estimateType, "endpoints": map[string]any{endpointID: map[string]any{field: quantity}}}
	var out struct {
		TotalCost *float64 `json:"total_cost"`
		Currency  string   `json:"currency"`
	}
	if _, _, _, err := c.do(ctx, call{op: "pricing estimate", method: http.MethodPost, url: c.cfg.APIURL + "/v1/models/pricing/estimate", key: key, body: body, retry: true, out: &out}); err != nil {
		return 0, err
	}
	if out.TotalCost == nil || (out.Currency != "" && out.Currency != "USD") {
		return 0, &Error{Op: "pricing estimate", Code: CodeUnavailable, Message: "fal's estimate had no USD total."}
	}
	return *out.TotalCost, nil
}
