package backoff

import (
	"testing"
	"time"
)

func TestDelayGrowsWithinItsBounds(t *testing.T) {
	base, limit := 100*time.Millisecond, 5*time.Second
	for n := range 40 {
		want := min(base<<min(n, 30), limit)
		if base<<min(n, 30) <= 0 {
			want = limit
		}
		for range 50 {
			if d := Delay(n, base, limit); d < want/2 || d > want {
				t.Fatalf("Delay(%d) = %v, want within [%v, %v]", n, d, want/2, want)
			}
		}
	}
	if d := Delay(-3, base, limit); d < base/2 || d > base {
		t.Fatalf("a negative attempt: %v", d)
	}
}
