package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/library"
	"github.com/falstudio/falstudio/internal/testutil"
)

// realSizePNG is a 1024×1024 opaque PNG of noise: it compresses like a detailed photo, ~3 MB,
// the size of fal's real outputs (the simulator's patterns are a few KB and hide the cost).
func realSizePNG(tb testing.TB, seed uint64) []byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, seed*0x9e3779b97f4a7c15+1))
	img := image.NewNRGBA(image.Rect(0, 0, 1024, 1024))
	for i := range img.Pix {
		if i%4 == 3 {
			img.Pix[i] = 255
		} else {
			img.Pix[i] = byte(rng.Uint32())
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkGridPageWeight stores 50 real-size images (1024×1024 noisy PNGs), makes their
// previews, and weighs one gallery page of them as the grid loads it: before thumbnails every
// tile loaded /media/{id}; now each loads its thumbUrl. It reports both totals and the cost of
// one preview.
//
//	go test -run '^$' -bench BenchmarkGridPageWeight -benchtime 1x ./internal/httpapi/
func BenchmarkGridPageWeight(b *testing.B) {
	st := testutil.NewStudio(b, testutil.StudioOptions{App: fastRunnerNoBackfill()})
	c := st.NewClient(b)
	c.SignUp("weight@example.com", goodPassword)
	var me struct{ User struct{ ID int64 } }
	if err := json.Unmarshal(c.Do("GET", "/api/me", nil).Body, &me); err != nil {
		b.Fatal(err)
	}
	thumbs := library.NewThumbs(st.App.Store(), st.App.Storage(), library.ThumbOptions{})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var made time.Duration
	for i := range 50 {
		a := seedImage(b, st, me.User.ID, i, realSizePNG(b, uint64(i)+1), base.Add(time.Duration(i)*time.Second))
		t0 := time.Now()
		thumbs.Make(context.Background(), a)
		made += time.Since(t0)
		if a.ThumbBytes <= 0 {
			b.Fatalf("no preview for %s", a.ID)
		}
	}
	for b.Loop() {
		var page struct {
			Assets []struct {
				URL      string  `json:"url"`
				ThumbURL *string `json:"thumbUrl"`
			} `json:"assets"`
		}
		list := c.Do("GET", "/api/assets?limit=50", nil)
		if err := json.Unmarshal(list.Body, &page); err != nil || len(page.Assets) != 50 {
			b.Fatalf("page: %v, %d assets", err, len(page.Assets))
		}
		var before, after int
		for _, a := range page.Assets {
			o := c.Do("GET", a.URL, nil)
			t := c.Do("GET", *a.ThumbURL, nil)
			if o.Status != 200 || t.Status != 200 {
				b.Fatalf("media %d, preview %d", o.Status, t.Status)
			}
			before += len(o.Body)
			after += len(t.Body)
		}
		b.ReportMetric(float64(len(list.Body)), "list-JSON-bytes")
		b.ReportMetric(float64(before)/1e6, "grid-MB-originals")
		b.ReportMetric(float64(after)/1e6, "grid-MB-thumbnails")
	}
	b.ReportMetric(float64(made.Milliseconds())/50, "ms/preview")
	b.ReportMetric(float64(testutil.PeakRSS())/(1<<20), "process-peak-RSS-MiB")
}
