package httpapi_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

// BenchmarkCompletedToListed measures the studio's own latency from fal reporting COMPLETED to
// the asset being listed in the gallery: result fetch, planning, a small download from the
// simulator's CDN on loopback (so transfer is negligible), local save, row insert.
func BenchmarkCompletedToListed(b *testing.B) {
	sim := falsim.NewTest(b, falsim.Options{})
	st := testutil.NewStudio(b, testutil.StudioOptions{Env: sim.URLs().Env(), App: fastRunner})
	c := st.NewClient(b)
	c.SignUp("bench@example.com", goodPassword)
	c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"})
	var total time.Duration
	n := 0
	for b.Loop() {
		before := len(sim.Jobs())
		r := c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "bench", "params": map[string]any{"image_size": map[string]any{"width": 64, "height": 64}}})
		if r.Status != 202 {
			b.Fatalf("submit %d", r.Status)
		}
		var g struct {
			Generation struct{ ID string } `json:"generation"`
		}
		if err := json.Unmarshal(r.Body, &g); err != nil {
			b.Fatalf("submit: %s: %v", r.Body, err)
		}
		// A tight loop rather than testutil.WaitFor: its pause between checks would add up to
		// one interval to the latency measured here. Still bounded by the deadline.
		deadline := time.Now().Add(10 * time.Second)
		for {
			var page struct {
				Assets []struct{ GenerationID string } `json:"assets"`
			}
			if r := c.Do("GET", "/api/assets?limit=1", nil); json.Unmarshal(r.Body, &page) != nil {
				b.Fatalf("assets: %d %s", r.Status, r.Body)
			}
			if len(page.Assets) > 0 && page.Assets[0].GenerationID == g.Generation.ID {
				break
			}
			if time.Now().After(deadline) {
				b.Fatal("asset never listed")
			}
		}
		listed := time.Now()
		jobs := sim.Jobs()
		if len(jobs) != before+1 {
			b.Fatal("job count")
		}
		var done time.Time
		for _, id := range jobs {
			if t := sim.CompletedAt(id); t.After(done) {
				done = t
			}
		}
		total += listed.Sub(done)
		n++
	}
	b.ReportMetric(float64(total.Microseconds())/float64(n)/1000, "ms-completed-to-listed")
}
