// Command falload is a bounded load test for fal-studio on loopback. By default it starts its own
// studio (a temporary DATA_DIR, SQLite or DATABASE_URL) and fal simulator on 127.0.0.1, so no
// traffic leaves the machine; -target points the gallery and sse scenarios at a studio already
// running on loopback instead (any other host is refused). Every scenario is bounded in count
// and time.
//
//	go run ./cmd/falload -scenario gallery -conns 64 -duration 10s [-q fox] [-kind image]
//	go run ./cmd/falload -scenario sse -streams 256
//	go run ./cmd/falload -scenario jobs -users 20 -jobs 200
//	go run ./cmd/falload -scenario scale -database-url postgres://127.0.0.1… -studio-bin /tmp/falstudio
//
// Figures go to docs/benchmarks.md.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/falstudio/falstudio/internal/account"
	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/config"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/model"
)

// Hard bounds, whatever the flags say.
const (
	maxConns    = 256
	maxDuration = 60 * time.Second
	maxRequests = 1_000_000
	maxStreams  = 1024
	maxJobs     = 1000
	maxUsers    = 100
	maxRunTime  = 5 * time.Minute // the whole run
)

type options struct {
	scenario            string
	target              string
	email, password     string
	conns               int
	duration            time.Duration
	requests            int
	q, kind, model      string
	uncached            bool
	assets              int
	streams, perUser    int
	users, jobs, light  int
	jobTime             time.Duration
	concurrency         int
	databaseURL         string
	out                 io.Writer
	log                 *slog.Logger
	jobsTimeout         time.Duration
	statusProbeRequests int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "falload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("falload", flag.ContinueOnError)
	o := options{out: out, log: slog.New(slog.DiscardHandler)}
	fs.StringVar(&o.scenario, "scenario", "gallery", "gallery | sse | jobs | all")
	fs.StringVar(&o.target, "target", "", "a running studio on loopback (gallery, sse); empty starts one")
	fs.StringVar(&o.email, "email", "", "with -target: an existing account")
	fs.StringVar(&o.password, "password", "", "with -target: its password")
	fs.IntVar(&o.conns, "conns", 64, "gallery: concurrent connections (max 256)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "gallery: how long (max 60s)")
	fs.IntVar(&o.requests, "requests", 0, "gallery: stop after this many requests (0: by duration)")
	fs.StringVar(&o.q, "q", "", "gallery: search text")
	fs.StringVar(&o.kind, "kind", "", "gallery: image | video")
	fs.StringVar(&o.model, "model", "", "gallery: model filter")
	fs.BoolVar(&o.uncached, "uncached", false, "gallery: a unique ignored parameter on every request, so no cached page can answer")
	fs.IntVar(&o.assets, "assets", 5000, "gallery: assets seeded in the studio it starts")
	fs.IntVar(&o.streams, "streams", 256, "sse: streams opened at once (max 1024)")
	fs.IntVar(&o.perUser, "per-user", 16, "sse: streams per person (the studio caps them)")
	fs.IntVar(&o.users, "users", 20, "jobs: people (one light, the rest heavy)")
	fs.IntVar(&o.jobs, "jobs", 200, "jobs: total jobs (max 1000)")
	fs.IntVar(&o.light, "light-jobs", 5, "jobs: the light user's jobs, one after the other")
	fs.DurationVar(&o.jobTime, "job-time", time.Second, "jobs: how long each job runs at the simulator")
	fs.IntVar(&o.concurrency, "concurrency", 4, "jobs: JOB_CONCURRENCY of the studio it starts")
	fs.StringVar(&o.databaseURL, "database-url", "", "DATABASE_URL of the studio it starts (postgres://127.0.0.1…); empty: SQLite")
	var so scaleOpts
	fs.StringVar(&so.bin, "studio-bin", "", "scale: a built falstudio binary, run as 3 replicas")
	fs.StringVar(&so.versitygw, "versitygw", ".tools/bin/versitygw", "scale: the versitygw binary")
	fs.IntVar(&so.people, "people", 1000, "scale: people (max 1000)")
	fs.IntVar(&so.small, "assets-small", 10_000, "scale: assets at the first measurement")
	fs.IntVar(&so.assets, "assets-total", maxScaleAssets, "scale: assets at the second measurement (max 1,000,000)")
	fs.IntVar(&so.jobs, "scale-jobs", 1000, "scale: jobs per run (max 1000)")
	fs.IntVar(&so.conns, "scale-conns", 8, "scale: gallery connections (max 64)")
	fs.IntVar(&so.reqs, "scale-requests", 300, "scale: requests per gallery row (max 5000)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	so.people = clamp(so.people, scaleDrivers+1, maxScalePeople)
	so.assets = clamp(so.assets, 1000, maxScaleAssets)
	so.small = clamp(so.small, 1000, so.assets)
	so.jobs = clamp(so.jobs, 1, maxJobs)
	so.conns = clamp(so.conns, 1, 64)
	so.reqs = clamp(so.reqs, 10, 5000)
	o.conns = clamp(o.conns, 1, maxConns)
	o.duration = min(max(o.duration, time.Second), maxDuration)
	o.requests = clamp(o.requests, 0, maxRequests)
	o.streams = clamp(o.streams, 1, maxStreams)
	o.perUser = clamp(o.perUser, 1, maxStreams)
	o.users = clamp(o.users, 2, maxUsers)
	o.jobs = clamp(o.jobs, o.users, maxJobs)
	o.light = clamp(o.light, 1, o.jobs/2)
	o.assets = clamp(o.assets, 0, 100_000)
	o.jobTime = min(max(o.jobTime, 0), 30*time.Second)
	o.jobsTimeout = 3 * time.Minute
	o.statusProbeRequests = 200
	if o.target != "" {
		if err := loopbackOnly(o.target); err != nil {
			return err
		}
		if o.scenario == "jobs" || o.scenario == "all" {
			return errors.New("-target works with the gallery and sse scenarios; jobs needs the studio falload starts (wired to its simulator)")
		}
	}
	if o.databaseURL != "" {
		if err := loopbackOnly(o.databaseURL); err != nil {
			return fmt.Errorf("-database-url: %w", err)
		}
	}
	fmt.Fprintf(o.out, "falload: %s, GOMAXPROCS=%d, %s\n", o.scenario, runtime.GOMAXPROCS(0), dbName(o.databaseURL))
	if o.scenario == "scale" {
		if o.target != "" {
			return errors.New("-target does not work with scale: it starts its own replicas")
		}
		return scale(ctx, o, so) // bounded by maxScaleRun
	}
	ctx, cancel := context.WithTimeout(ctx, maxRunTime)
	defer cancel()
	switch o.scenario {
	case "gallery":
		return gallery(ctx, o)
	case "sse":
		return sseFlood(ctx, o)
	case "jobs":
		return jobs(ctx, o)
	case "all":
		return errors.Join(gallery(ctx, o), sseFlood(ctx, o), jobs(ctx, o))
	}
	return fmt.Errorf("unknown scenario %q (gallery, sse, jobs, all)", o.scenario)
}

func clamp(v, lo, hi int) int { return min(max(v, lo), hi) }

func dbName(u string) string {
	if u == "" {
		return "SQLite"
	}
	return "PostgreSQL"
}

// loopbackOnly refuses any target that is not on this machine's loopback interface.
func loopbackOnly(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("target %q is not a URL", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Unmap().IsLoopback() {
		return fmt.Errorf("refusing target %s: falload only loads loopback (127.0.0.0/8, ::1, localhost)", host)
	}
	return nil
}

// studio is a studio (and its simulator) started in this process.
type studio struct {
	url  string
	app  *app.App
	sim  *falsim.Server
	stop func()
}

func startStudio(ctx context.Context, o options, simOpts falsim.Options, env map[string]string) (*studio, error) {
	sim := falsim.New(simOpts)
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "falload-")
	if err != nil {
		sim.Close()
		return nil, err
	}
	vars := sim.URLs().Env()
	vars["DATA_DIR"], vars["ADDR"] = dir, "127.0.0.1:0"
	if o.databaseURL != "" {
		vars["DATABASE_URL"] = o.databaseURL
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		sim.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	generous := account.Limit{Every: time.Millisecond, Burst: 100_000}
	sctx, cancel := context.WithCancel(ctx)
	a, err := app.New(sctx, cfg, app.Options{Logger: o.log, BcryptCost: 4, PerIP: generous, PerEmail: generous, PerEmailAnyIP: generous})
	if err != nil {
		cancel()
		sim.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		a.Close()
		sim.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(sctx, ln) }()
	return &studio{url: "http://" + ln.Addr().String(), app: a, sim: sim, stop: func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				fmt.Fprintln(os.Stderr, "falload: studio:", err)
			}
		case <-time.After(30 * time.Second):
			fmt.Fprintln(os.Stderr, "falload: the studio did not stop within 30s")
		}
		sim.Close()
		os.RemoveAll(dir)
	}}, nil
}

// user is one person's cookie jar.
type user struct {
	base string
	c    *http.Client
}

func newUser(base string, conns int) *user {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: 30 * time.Second, Proxy: nil}
	return &user{base: base, c: &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second}}
}

func (u *user) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := u.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (u *user) signUp(ctx context.Context, email string) error {
	code, b, err := u.do(ctx, "POST", "/api/auth/signup", map[string]string{"email": email, "password": "load test passphrase"})
	if err != nil || code != http.StatusCreated {
		return fmt.Errorf("sign-up %s: %d %s %v", email, code, b, err)
	}
	code, b, err = u.do(ctx, "PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"})
	if err != nil || code != http.StatusOK {
		return fmt.Errorf("fal key: %d %s %v", code, b, err)
	}
	return nil
}

func (u *user) submit(ctx context.Context, prompt string) (string, error) {
	code, b, err := u.do(ctx, "POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": prompt,
		"params": map[string]any{"image_size": map[string]any{"width": 64, "height": 64}}})
	if err != nil || code != http.StatusAccepted {
		return "", fmt.Errorf("submit: %d %s %v", code, b, err)
	}
	var g struct {
		Generation struct{ ID string } `json:"generation"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		return "", err
	}
	return g.Generation.ID, nil
}

// follow reads a generation's event stream until it closes (after the final state) and returns
// the last status.
func (u *user) follow(ctx context.Context, id string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u.base+"/api/generations/"+id+"/events", nil)
	if err != nil {
		return "", err
	}
	c := *u.c
	c.Timeout = 0 // ctx bounds it
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("events: %d", resp.StatusCode)
	}
	status := ""
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var g struct{ Status string }
			if json.Unmarshal([]byte(line), &g) == nil {
				status = g.Status
			}
		}
	}
	return status, sc.Err()
}

// stats summarises latencies.
type stats struct {
	n             int
	p50, p99, max time.Duration
}

func summarise(d []time.Duration) stats {
	if len(d) == 0 {
		return stats{}
	}
	slices.Sort(d)
	at := func(p float64) time.Duration { return d[min(len(d)-1, int(float64(len(d))*p))] }
	return stats{n: len(d), p50: at(0.50), p99: at(0.99), max: d[len(d)-1]}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// gallery: N connections list the gallery (optionally searching and filtering) as fast as they
// can, for a bounded time or count.
func gallery(ctx context.Context, o options) error {
	base := o.target
	var u *user
	if base == "" {
		st, err := startStudio(ctx, o, falsim.Options{}, nil)
		if err != nil {
			return err
		}
		defer st.stop()
		base = st.url
		u = newUser(base, o.conns)
		if err := u.signUp(ctx, "gallery@load.test"); err != nil {
			return err
		}
		if err := seedAssets(ctx, st.app, o.assets); err != nil {
			return err
		}
	} else {
		u = newUser(base, o.conns)
		code, b, err := u.do(ctx, "POST", "/api/auth/login", map[string]string{"email": o.email, "password": o.password})
		if err != nil || code != http.StatusOK {
			return fmt.Errorf("login to %s: %d %s %v", base, code, b, err)
		}
	}
	q := url.Values{"limit": {"50"}}
	for k, v := range map[string]string{"q": o.q, "kind": o.kind, "model": o.model} {
		if v != "" {
			q.Set(k, v)
		}
	}
	path := "/api/assets?" + q.Encode()
	code, b, err := u.do(ctx, "GET", path, nil)
	if err != nil || code != http.StatusOK {
		return fmt.Errorf("gallery: %d %s %v", code, b, err)
	}
	var first struct{ Assets []json.RawMessage }
	if err := json.Unmarshal(b, &first); err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var sent, failed atomic.Int64
	lat := make([][]time.Duration, o.conns)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range o.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; rctx.Err() == nil; n++ {
				if o.requests > 0 && sent.Add(1) > int64(o.requests) {
					return
				} else if o.requests == 0 {
					sent.Add(1)
				}
				p := path
				if o.uncached { // the studio ignores unknown parameters, but its page cache keys on them
					p += "&n=" + strconv.Itoa(i) + "." + strconv.Itoa(n)
				}
				t := time.Now()
				code, _, err := u.do(rctx, "GET", p, nil)
				if rctx.Err() != nil {
					return
				}
				if err != nil || code != http.StatusOK {
					failed.Add(1)
					continue
				}
				lat[i] = append(lat[i], time.Since(t))
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	s := summarise(all)
	if o.uncached {
		path += " (uncached)"
	}
	fmt.Fprintf(o.out, "gallery: %d connections, %s (page of %d of %d assets), %d requests in %.1fs = %.0f req/s, p50 %s, p99 %s, max %s, %d failed\n",
		o.conns, path, len(first.Assets), o.assets, s.n, took.Seconds(), float64(s.n)/took.Seconds(), ms(s.p50), ms(s.p99), ms(s.max), failed.Load())
	return nil
}

// seedAssets inserts n assets for the first user directly (a gallery to read; the jobs scenario
// exercises the real path).
func seedAssets(ctx context.Context, a *app.App, n int) error {
	st := a.Store()
	u, err := st.UserByEmail(ctx, "gallery@load.test")
	if err != nil {
		return err
	}
	words := []string{"fox", "whale", "lighthouse", "forest", "city", "portrait", "mountain", "river"}
	models := []string{"fal-ai/flux/schnell", "fal-ai/flux/dev", "fal-ai/recraft-v3"}
	base := time.Now().Add(-time.Duration(n) * time.Minute)
	for i := range n {
		kind, ct := model.KindImage, "image/png"
		if i%10 == 0 {
			kind, ct = model.KindVideo, "video/mp4"
		}
		a := &model.Asset{ID: fmt.Sprintf("load%06d", i), UserID: u.ID, Model: models[i%len(models)],
			Prompt: fmt.Sprintf("a %s and a %s, study %d", words[i%len(words)], words[(i/8)%len(words)], i), Kind: kind,
			StorageKey: fmt.Sprintf("users/%d/%s/load-%06d.bin", u.ID, kind, i), Storage: "local", ContentType: ct, Bytes: 1000,
			Width: 512, Height: 512, CreatedAt: base.Add(time.Duration(i) * time.Minute)}
		if _, err := st.InsertAsset(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// sseFlood opens many event streams at once (spread over people, each up to -per-user), measures
// how fast their first event comes, what the studio answers past a person's cap, and whether
// ordinary requests stay fast while they are open.
func sseFlood(ctx context.Context, o options) error {
	base := o.target
	people := (o.streams + o.perUser - 1) / o.perUser
	var st *studio
	if base == "" {
		var err error
		st, err = startStudio(ctx, o, falsim.Options{QueuePolls: 1 << 20}, nil) // jobs wait in fal's queue
		if err != nil {
			return err
		}
		defer st.stop()
		base = st.url
	} else {
		return errors.New("sse with -target: not supported (it needs fresh accounts with a queued job each)")
	}
	var ms0 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	g0 := runtime.NumGoroutine()
	type person struct {
		u  *user
		id string
	}
	ps := make([]person, people)
	for i := range people {
		u := newUser(base, o.perUser+2)
		if err := u.signUp(ctx, fmt.Sprintf("sse%d@load.test", i)); err != nil {
			return err
		}
		id, err := u.submit(ctx, "stays queued")
		if err != nil {
			return err
		}
		ps[i] = person{u, id}
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var firsts []time.Duration
	codes := map[int]int{}
	var opened sync.WaitGroup
	var streams sync.WaitGroup
	// One more stream per person than the cap: that one should be refused (429).
	for i := range people {
		for range o.perUser + 1 {
			opened.Add(1)
			streams.Add(1)
			go func() {
				defer streams.Done()
				t := time.Now()
				req, _ := http.NewRequestWithContext(sctx, "GET", base+"/api/generations/"+ps[i].id+"/events", nil)
				c := *ps[i].u.c
				c.Timeout = 0
				resp, err := c.Do(req)
				if err != nil {
					mu.Lock()
					codes[-1]++
					mu.Unlock()
					opened.Done()
					return
				}
				defer resp.Body.Close()
				br := bufio.NewReader(resp.Body)
				line, err := br.ReadString('\n')
				mu.Lock()
				codes[resp.StatusCode]++
				if resp.StatusCode == http.StatusOK && err == nil && strings.HasPrefix(line, "data: ") {
					firsts = append(firsts, time.Since(t))
				}
				mu.Unlock()
				opened.Done()
				if resp.StatusCode == http.StatusOK {
					_, _ = io.Copy(io.Discard, br) // hold it open until cancelled
				}
			}()
		}
	}
	opened.Wait()
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	g1 := runtime.NumGoroutine()
	// Ordinary requests while the streams are open.
	probe := newUser(base, 1)
	var probes []time.Duration
	for range o.statusProbeRequests {
		t := time.Now()
		if code, _, err := probe.do(ctx, "GET", "/api/status", nil); err != nil || code != http.StatusOK {
			return fmt.Errorf("status during the flood: %d %v", code, err)
		}
		probes = append(probes, time.Since(t))
	}
	cancel()
	streams.Wait()
	f, p := summarise(firsts), summarise(probes)
	fmt.Fprintf(o.out, "sse: %d people × %d streams (+1 over the cap each): answers %v; first event p50 %s, p99 %s; GET /api/status during the flood p50 %s, p99 %s; falload+studio heap +%.1f MiB, goroutines +%d (both sides of every stream are in this process)\n",
		people, o.perUser, codes, ms(f.p50), ms(f.p99), ms(p.p50), ms(p.p99),
		float64(int64(ms1.HeapInuse)-int64(ms0.HeapInuse))/(1<<20), g1-g0)
	return nil
}

// jobs: one light user runs a few jobs one after the other, first alone, then while heavy users
// have submitted everything else at once; fair workers keep the light user's jobs near their
// own time.
func jobs(ctx context.Context, o options) error {
	st, err := startStudio(ctx, o, falsim.Options{RunTime: o.jobTime}, map[string]string{"JOB_CONCURRENCY": fmt.Sprint(o.concurrency)})
	if err != nil {
		return err
	}
	defer st.stop()
	light := newUser(st.url, 4)
	if err := light.signUp(ctx, "light@load.test"); err != nil {
		return err
	}
	heavy := make([]*user, o.users-1)
	for i := range heavy {
		heavy[i] = newUser(st.url, 8)
		if err := heavy[i].signUp(ctx, fmt.Sprintf("heavy%d@load.test", i)); err != nil {
			return err
		}
	}
	jctx, cancel := context.WithTimeout(ctx, o.jobsTimeout)
	defer cancel()
	runLight := func(label string) ([]time.Duration, error) {
		var d []time.Duration
		for i := range o.light {
			t := time.Now()
			id, err := light.submit(jctx, fmt.Sprintf("light %s %d", label, i))
			if err != nil {
				return nil, err
			}
			status, err := light.follow(jctx, id)
			if err != nil || status != model.StatusSucceeded {
				return nil, fmt.Errorf("light job %s: %s %v", id, status, err)
			}
			d = append(d, time.Since(t))
		}
		return d, nil
	}
	alone, err := runLight("alone")
	if err != nil {
		return err
	}
	// The heavy users submit all their jobs at once.
	perHeavy := (o.jobs - o.light) / len(heavy)
	start := time.Now()
	var ids []struct {
		u  *user
		id string
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var submitErr atomic.Value
	for _, h := range heavy {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perHeavy {
				id, err := h.submit(jctx, fmt.Sprintf("heavy %d", i))
				if err != nil {
					submitErr.Store(err)
					return
				}
				mu.Lock()
				ids = append(ids, struct {
					u  *user
					id string
				}{h, id})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err, _ := submitErr.Load().(error); err != nil {
		return err
	}
	submitted := time.Since(start)
	loaded, err := runLight("loaded")
	if err != nil {
		return err
	}
	// Wait for every heavy job (following each stream, a few at a time).
	sem := make(chan struct{}, 32)
	var failed atomic.Int64
	for _, j := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if status, err := j.u.follow(jctx, j.id); err != nil || status != model.StatusSucceeded {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	all := time.Since(start)
	a, l := summarise(alone), summarise(loaded)
	fmt.Fprintf(o.out, "jobs: %d people, %d jobs (%d heavy submitted in %.1fs), JOB_CONCURRENCY=%d, each job %s at the simulator; light user's job alone p50 %s max %s; with the heavy backlog p50 %s max %s; all heavy jobs done in %.1fs, %d not succeeded\n",
		o.users, len(ids)+2*o.light, len(ids), submitted.Seconds(), o.concurrency, o.jobTime, ms(a.p50), ms(a.max), ms(l.p50), ms(l.max), all.Seconds(), failed.Load())
	return nil
}
