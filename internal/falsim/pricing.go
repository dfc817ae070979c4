package falsim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// Pricing. The simulator prices its models the way fal's pricing API does: a unit price and a
// unit per endpoint (per image, per megapixel, per second of video, per video, per 1000
// characters, or per GPU second for endpoints without an output price). The catalogue's models
// carry their price; extraPrices covers the studio's curated models that the simulator has no
// schema for, and one GPU-priced endpoint whose cost only fal's historical estimate can tell.
// Any other endpoint has no price, as a custom app on fal has none.

// GPUPricedModel is billed per GPU second: its cost is only known from the historical estimate.
const GPUPricedModel = "fal-ai/fast-sdxl"

type simPrice struct {
	unit  string
	price float64
}

var extraPrices = map[string]simPrice{
	"fal-ai/flux-pro/v1.1":                             {"megapixels", 0.04},
	"fal-ai/nano-banana":                               {"images", 0.039},
	"fal-ai/minimax/hailuo-02/standard/image-to-video": {"seconds", 0.045},
	"fal-ai/wan/v2.2-a14b/text-to-video":               {"seconds", 0.08},
	GPUPricedModel:                                     {"gpu seconds", 0.00111},
	UpscaleEndpoint:                                    {"images", 0.004},
	RemoveBackgroundEndpoint:                           {"images", 0.018},
}

// PriceOf is an endpoint's unit and unit price; ok is false when it has none.
func PriceOf(endpointID string) (unit string, price float64, ok bool) {
	if m := findModel(endpointID); m != nil && m.unit != "" {
		return m.unit, m.price, true
	}
	if p, found := extraPrices[endpointID]; found {
		return p.unit, p.price, true
	}
	return "", 0, false
}

// unitsPerCall is what an average call used, for the historical estimate: one image or
// megapixel, a 5 second clip, 500 characters, 3 GPU seconds.
func unitsPerCall(unit string) float64 {
	switch unit {
	case "seconds":
		return 5
	case "1000 characters":
		return 0.5
	case "gpu seconds":
		return 3
	}
	return 1
}

// pricingAuth admits a valid key with the pricing permission; false means the answer was written.
func (s *Server) pricingAuth(w http.ResponseWriter, r *http.Request) bool {
	key, ok := s.platformAuth(w, r, false)
	if ok && strings.Contains(key, KeyNoPricing) {
		writeJSON(w, http.StatusForbidden, platformError("authorization_error", "Access denied"))
		return false
	}
	return ok
}

// pricing is GET /v1/models/pricing (an API key is required).
func (s *Server) pricing(w http.ResponseWriter, r *http.Request) {
	s.count("pricing")
	if !s.pricingAuth(w, r) {
		return
	}
	var ids []string
	for _, v := range r.URL.Query()["endpoint_id"] {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	}
	// endpoint_id is required, 1 to 50 of them (fal's reference).
	if len(ids) == 0 || len(ids) > 50 {
		writeJSON(w, http.StatusBadRequest, platformError("validation_error", "endpoint_id is required: between 1 and 50 endpoint ids"))
		return
	}
	prices := []obj{}
	for _, id := range ids {
		if unit, price, ok := PriceOf(id); ok {
			prices = append(prices, obj{"endpoint_id": id, "unit_price": price, "unit": unit, "currency": "USD"})
		}
	}
	writeJSON(w, http.StatusOK, obj{"prices": prices, "next_cursor": nil, "has_more": false})
}

// pricingEstimate is POST /v1/models/pricing/estimate: unit_price multiplies unit_quantity by the
// unit price; historical_api_price multiplies call_quantity by an average call's cost.
func (s *Server) pricingEstimate(w http.ResponseWriter, r *http.Request) {
	s.count("estimate")
	if !s.pricingAuth(w, r) {
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, platformError("validation_error", "Method not allowed"))
		return
	}
	var in struct {
		EstimateType string `json:"estimate_type"`
		Endpoints    map[string]struct {
			CallQuantity *float64 `json:"call_quantity"`
			UnitQuantity *float64 `json:"unit_quantity"`
		} `json:"endpoints"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil || len(in.Endpoints) == 0 || len(in.Endpoints) > 50 {
		writeJSON(w, http.StatusBadRequest, platformError("validation_error", "Invalid request body"))
		return
	}
	total := 0.0
	for id, q := range in.Endpoints {
		unit, price, ok := PriceOf(id)
		if !ok {
			writeJSON(w, http.StatusNotFound, platformError("not_found", "No pricing found for endpoint "+id))
			return
		}
		switch {
		case in.EstimateType == "unit_price" && q.UnitQuantity != nil && *q.UnitQuantity >= 0:
			total += price * *q.UnitQuantity
		case in.EstimateType == "historical_api_price" && q.CallQuantity != nil && *q.CallQuantity >= 0:
			total += price * unitsPerCall(unit) * *q.CallQuantity
		default:
			writeJSON(w, http.StatusBadRequest, platformError("validation_error", "estimate_type must be unit_price (with unit_quantity) or historical_api_price (with call_quantity)"))
			return
		}
	}
	writeJSON(w, http.StatusOK, obj{"estimate_type": in.EstimateType, "total_cost": total, "currency": "USD"})
}
