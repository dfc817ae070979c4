package cost

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// FuzzQuantity feeds untrusted request params (any JSON a person can send to the estimate
// route) through every unit: the quantity is never negative or NaN, and nothing panics (an
// infinite one is refused by quote; TestAbsurdSizesAreNotPriced).
func FuzzQuantity(f *testing.F) {
	for _, seed := range []string{`{}`, `{"num_images":4}`, `{"image_size":{"width":1e308,"height":1e308}}`, `{"duration":"8s"}`,
		`{"duration":-5}`, `{"num_frames":"81","frames_per_second":0}`, `{"text":"héllo"}`, `{"image_size":"auto_4K","num_images":"x"}`} {
		f.Add(seed, "a prompt")
	}
	units := []string{unitImage, unitMegapixel, unitSecond, unitMinute, unitVideo, unitRequest, unitCharacters, unitKChars, ""}
	f.Fuzz(func(t *testing.T, js, prompt string) {
		var p map[string]any
		dec := json.NewDecoder(strings.NewReader(js))
		dec.UseNumber()
		if dec.Decode(&p) != nil {
			return
		}
		for _, u := range units {
			q, ok := quantity(u, prompt, p)
			if ok && (q < 0 || math.IsNaN(q)) {
				t.Fatalf("%s of %s: %v", u, js, q)
			}
		}
	})
}

func TestAbsurdSizesAreNotPriced(t *testing.T) {
	e := newEnv(t)
	q := e.svc.quote(t.Context(), "sim-key", "fal-ai/flux/dev", "", params(`{"image_size":{"width":1e308,"height":1e308}}`))
	if q.Estimate != nil || q.Reason == "" {
		t.Fatalf("an infinite size was priced: %+v", q)
	}
}
