package httpapi_test

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/testutil"
)

// loadWords give the seeded prompts a realistic spread for the search case.
var loadWords = []string{"fox", "whale", "lighthouse", "forest", "city", "portrait", "neon", "mountain", "river", "robot", "castle", "desert"}

// loadSeconds is how long each load case runs (FALSTUDIO_LOAD_SECONDS, default 5).
func loadSeconds() time.Duration {
	if n, err := strconv.Atoi(os.Getenv("FALSTUDIO_LOAD_SECONDS")); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 5 * time.Second
}

// BenchmarkListLoad puts GET /api/assets (a page of 50 of a user's 10,000 assets) under 16
// concurrent connections for a fixed time, through the whole studio (session check, SQL, JSON,
// access log), and reports requests per second and latency percentiles. When wrk is installed
// (Debian: apt-get install wrk) it is run against the same URLs too, from its own process.
//
//	go test -run '^$' -bench BenchmarkListLoad -benchtime 1x ./internal/httpapi/
func BenchmarkListLoad(b *testing.B) {
	st := testutil.NewStudio(b, testutil.StudioOptions{})
	c := st.NewClient(b)
	c.SignUp("load@example.com", goodPassword)
	other := st.NewClient(b)
	other.SignUp("other@example.com", goodPassword)
	ctx := context.Background()
	s := st.App.Store()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for uid := int64(1); uid <= 2; uid++ {
		for i := range 10_000 {
			kind, ct := model.KindImage, "image/png"
			if i%7 == 0 {
				kind, ct = model.KindVideo, "video/mp4"
			}
			prompt := fmt.Sprintf("a %s and a %s at dusk, detailed, cinematic light, number %d", loadWords[i%len(loadWords)], loadWords[(i/3)%len(loadWords)], i)
			id := fmt.Sprintf("%032x", uid<<40|int64(i))
			if _, err := s.InsertAsset(ctx, &model.Asset{ID: id, UserID: uid, GenerationID: fmt.Sprintf("g%031x", i), Model: "fal-ai/flux/dev", Prompt: prompt,
				Kind: kind, StorageKey: fmt.Sprintf("users/%d/%s/%d-a-%s.png", uid, kind, base.UnixMilli(), id), Storage: "local", ContentType: ct,
				Bytes: 1_500_000, Width: 1024, Height: 1024, Params: []byte(`{"image_size":"square_hd","num_inference_steps":28,"seed":42}`),
				CreatedAt: base.Add(time.Duration(i) * time.Second)}); err != nil {
				b.Fatal(err)
			}
		}
	}
	cookie := "falstudio_session=" + c.SessionCookie()
	// Repeated reads of one page (what a gallery does), the same with every request a distinct
	// URL (nothing can be reused: session, version, SQL and JSON every time), and revalidations.
	cases := []struct {
		name, path string
		mode       loadMode
		conns      int
	}{
		{"page", "/api/assets?limit=50", repeat, 0},
		{"search", "/api/assets?limit=50&q=lighthouse", repeat, 0},
		{"kind", "/api/assets?limit=50&kind=image", repeat, 0},
		{"page-uncached", "/api/assets?limit=50", distinct, 0},
		{"search-uncached", "/api/assets?limit=50&q=lighthouse", distinct, 0},
		{"kind-uncached", "/api/assets?limit=50&kind=image", distinct, 0},
		{"page-304", "/api/assets?limit=50", revalidate, 0},
		// One connection: the cost of one request, with no queueing behind the others.
		{"page-uncached-1conn", "/api/assets?limit=50", distinct, 1},
		{"search-uncached-1conn", "/api/assets?limit=50&q=lighthouse", distinct, 1},
	}
	for _, cs := range cases {
		b.Run(cs.name, func(b *testing.B) {
			for b.Loop() {
				conns := cmp.Or(cs.conns, 16)
				rps, p50, p99 := loadLoop(b, st.URL+cs.path, cookie, conns, loadSeconds(), cs.mode)
				b.ReportMetric(rps, "req/s")
				b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(testutil.PeakRSS())/(1<<20), "peak-RSS-MiB")
				if wrk, err := exec.LookPath("wrk"); err == nil && cs.mode == repeat {
					out, err := exec.Command(wrk, "-t2", "-c16", "-d"+strconv.Itoa(int(loadSeconds().Seconds()))+"s", "--latency",
						"-H", "Cookie: "+cookie, st.URL+cs.path).CombinedOutput()
					if err != nil {
						b.Fatalf("wrk: %v\n%s", err, out)
					}
					if m := regexp.MustCompile(`Requests/sec:\s+([\d.]+)`).FindSubmatch(out); m != nil {
						v, _ := strconv.ParseFloat(string(m[1]), 64)
						b.ReportMetric(v, "wrk-req/s")
					}
					if m := regexp.MustCompile(`99%\s+([\d.]+)(us|ms|s)`).FindSubmatch(out); m != nil {
						v, _ := strconv.ParseFloat(string(m[1]), 64)
						switch string(m[2]) {
						case "us":
							v /= 1000
						case "s":
							v *= 1000
						}
						b.ReportMetric(v, "wrk-p99-ms")
					}
				}
			}
		})
	}
}

// loadMode says how a load loop's requests differ.
type loadMode int

const (
	repeat     loadMode = iota // the same URL every time
	distinct                   // a unique (ignored) query parameter per request: no reuse possible
	revalidate                 // the same URL with the ETag of the first answer (304s)
)

// loadLoop runs conns clients in a closed loop for d and returns requests/s and latencies.
func loadLoop(b *testing.B, url, cookie string, conns int, d time.Duration, mode loadMode) (float64, time.Duration, time.Duration) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			etag := ""
			for i := 0; time.Now().Before(deadline); i++ {
				u := url
				if mode == distinct {
					u += "&n=" + strconv.Itoa(i) + "-" + strconv.Itoa(len(mine)) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
				}
				req, _ := http.NewRequest("GET", u, nil)
				req.Header.Set("Cookie", cookie)
				if mode == revalidate && etag != "" {
					req.Header.Set("If-None-Match", etag)
				}
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					b.Errorf("load: %v", err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 && !(mode == revalidate && resp.StatusCode == 304) {
					b.Errorf("load: status %d", resp.StatusCode)
					return
				}
				etag = resp.Header.Get("ETag")
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(lat) == 0 {
		b.Fatal("load: no requests")
	}
	slices.Sort(lat)
	return float64(len(lat)) / elapsed.Seconds(), lat[len(lat)/2], lat[len(lat)*99/100]
}
