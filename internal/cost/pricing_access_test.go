package cost

import (
	"context"
	"strings"
	"testing"
)

// A key fal knows but that lacks the pricing permission is told so; only a key fal does not
// know reads "rejected".
func TestEstimateWithAKeyWithoutPricingAccess(t *testing.T) {
	e := newEnv(t)
	q := e.svc.quote(context.Background(), "sim-nopricing:x", "fal-ai/flux/dev", "", nil)
	if q.Estimate != nil || !strings.Contains(q.Reason, "lacks pricing access") || strings.Contains(q.Reason, "rejected") {
		t.Fatalf("key without pricing access: %+v", q)
	}
	q = e.svc.quote(context.Background(), "bad-key", "fal-ai/flux/dev", "", nil)
	if q.Estimate != nil || !strings.Contains(q.Reason, "rejected your API key") {
		t.Fatalf("unknown key: %+v", q)
	}
}
