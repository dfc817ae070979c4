package httpapi_test

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

// BenchmarkEventStreams opens the most streams 20 people may hold (16 each, 320 in all, each its
// own connection) and then has every person run one job, which each of their 16 streams follows
// to its end. It reports the memory and goroutines one open stream costs (client and server are
// in this process, so both ends are counted) and how long the jobs took to reach every stream.
//
//	go test -run '^$' -bench EventStreams -benchtime 1x ./internal/httpapi
func BenchmarkEventStreams(b *testing.B) {
	const people, perPerson = 20, 16
	for range b.N {
		b.StopTimer()
		sim := falsim.NewTest(b, falsim.Options{QueuePolls: 1, RunPolls: 1})
		st := testutil.NewStudio(b, testutil.StudioOptions{Env: sim.URLs().Env(), App: fastRunner})
		var clients []*testutil.Client
		for i := range people {
			c := st.NewClient(b)
			c.SignUp("stream"+strconv.Itoa(i)+"@example.com", goodPassword)
			c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"})
			clients = append(clients, c)
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		streams := make([][]readyStream, people)
		for i, c := range clients {
			for range perPerson {
				streams[i] = append(streams[i], openReady(b, c))
			}
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		open := float64(people * perPerson)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/open/1024, "KiB/stream")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/open, "goroutines/stream")

		b.StartTimer()
		start := time.Now()
		for i, c := range clients {
			r := c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "bench"})
			if r.Status != 202 {
				b.Fatalf("submit: %d %s", r.Status, r.Body)
			}
			id := r.JSON()["generation"].(map[string]any)["id"].(string)
			for _, s := range streams[i] {
				s.st.untilDone(b, s.cursor, map[string]bool{id: true})
			}
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds())/people, "ms/job-to-16-streams")
		b.StopTimer()
		for _, list := range streams {
			for _, s := range list {
				s.st.cancel()
			}
		}
	}
}
