package httpapi_test

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

// rssBytes is this process's resident set size (Linux).
func rssBytes(b *testing.B) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range bytes.Split(raw, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			kb, err := strconv.ParseFloat(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb * 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// BenchmarkJobsInFlightAcrossReplicas keeps 200 generations in flight across 3 replicas (one
// database, in this process) against the simulator, then lets them finish. It reports the memory
// each job in flight costs and the goroutines left over once all are done (want 0).
//
//	FALSTUDIO_TEST_DATABASE_URL=… go test -run '^$' -bench JobsInFlight -benchtime 1x ./internal/httpapi
func BenchmarkJobsInFlightAcrossReplicas(b *testing.B) {
	for b.Loop() {
		sim := falsim.NewTest(b, falsim.Options{QueuePolls: 1 << 20})
		env := sim.URLs().Env()
		env["DATABASE_URL"] = dbtest.URL(b)
		env["SESSION_SECRET"], env["ENCRYPTION_KEY"] = "bench-secret-bench-secret-bench-secret-00", "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e"
		env["JOB_CONCURRENCY"] = "16"
		var reps []*testutil.Studio
		for range 3 {
			reps = append(reps, testutil.NewStudio(b, testutil.StudioOptions{Env: env, App: fastRunner}))
		}
		c := reps[0].NewClient(b)
		c.SignUp("inflight@example.com", goodPassword)
		c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"})
		clients := []*testutil.Client{c, reps[1].NewClient(b), reps[2].NewClient(b)}
		for _, o := range clients[1:] {
			o.HTTP.Jar = c.HTTP.Jar
		}
		runtime.GC()
		baseRSS, baseG := rssBytes(b), runtime.NumGoroutine()
		for i := range 200 {
			r := clients[i%3].Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "in flight " + strconv.Itoa(i)})
			if r.Status != 202 {
				b.Fatalf("submit %d: %d %s", i, r.Status, r.Body)
			}
		}
		wait := func(what string, cond func() bool) { testutil.WaitFor(b, 2*time.Minute, what, cond) }
		wait("every job polled", func() bool { return sim.Count("status") >= 400 })
		runtime.GC()
		b.ReportMetric((rssBytes(b)-baseRSS)/200/1024, "KiB-RSS/job-in-flight")
		sim.SetOptions(falsim.Options{})
		wait("all done", func() bool {
			list := c.Do("GET", "/api/generations?active=1", nil).JSON()["generations"].([]any)
			return len(list) == 0
		})
		// Goroutines settle once idle connections close; count after a short grace.
		wait("goroutines back to the baseline", func() bool {
			c.HTTP.CloseIdleConnections()
			runtime.GC()
			return runtime.NumGoroutine() <= baseG+2
		})
		b.ReportMetric(float64(runtime.NumGoroutine()-baseG), "goroutines-left")
		for _, r := range reps {
			r.Stop()
		}
	}
}
