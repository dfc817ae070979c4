package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", as the store uses

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/media"
)

// The scale scenario (SPEC §17; docs/benchmarks.md "A million assets"): three studio replicas
// (separate processes of a built falstudio binary) on one PostgreSQL, versitygw for S3 with
// presigned media, the simulator in this process. It seeds people and assets straight into
// PostgreSQL (INSERT … SELECT over generate_series, in chunks), measures the same gallery
// mix — first pages, a deep cursor, search, filters, a collection — cached and uncached at a
// small and at the full size, and runs jobs across the replicas twice: polling only (webhooks
// off), then with fal webhooks (PUBLIC_URL set), counting fal requests per finished job and
// sampling each replica's RSS. Everything listens on 127.0.0.1; every count is bounded.

const (
	maxScaleAssets = 1_000_000
	maxScalePeople = 1000
	maxScaleRun    = 45 * time.Minute
	scaleDrivers   = 20 // people who sign up through the API and drive the load
)

type scaleOpts struct {
	bin, versitygw string
	people         int
	small, assets  int
	jobs           int
	conns, reqs    int
}

// replica is one falstudio process.
type replica struct {
	url      string
	cmd      *exec.Cmd
	dir      string
	webhooks bool
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitHTTP(ctx context.Context, u string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer within %s", u, d)
}

func startReplica(ctx context.Context, bin string, env map[string]string, webhooks bool) (*replica, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "falload-replica-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "DATA_DIR=" + dir, "ADDR=" + addr}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if webhooks {
		cmd.Env = append(cmd.Env, "PUBLIC_URL=http://"+addr, "FAL_WEBHOOKS=true")
	} else {
		cmd.Env = append(cmd.Env, "FAL_WEBHOOKS=false")
	}
	logf, err := os.Create(filepath.Join(dir, "studio.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &replica{url: "http://" + addr, cmd: cmd, dir: dir, webhooks: webhooks}
	if err := waitHTTP(ctx, r.url+"/readyz", 2*time.Minute); err != nil {
		r.stop()
		return nil, fmt.Errorf("replica (log %s): %w", logf.Name(), err)
	}
	return r, nil
}

func (r *replica) stop() {
	if r.cmd.Process != nil {
		_ = r.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = r.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = r.cmd.Process.Kill()
			<-done
		}
	}
}

// rssKiB is a process's resident set from /proc.
func rssKiB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func scale(ctx context.Context, o options, so scaleOpts) error {
	if o.databaseURL == "" || !strings.HasPrefix(o.databaseURL, "postgres") {
		return errors.New("scale needs -database-url postgres://127.0.0.1… (an empty database)")
	}
	if so.bin == "" {
		return errors.New("scale needs -studio-bin, a built falstudio binary (go build -o /tmp/falstudio ./cmd/falstudio)")
	}
	ctx, cancel := context.WithTimeout(ctx, maxScaleRun)
	defer cancel()
	out := o.out
	say := func(format string, args ...any) {
		fmt.Fprintf(out, "%s  "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
	}

	// S3: versitygw on loopback, one private bucket.
	s3dir, err := os.MkdirTemp("", "falload-s3-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(s3dir)
	s3addr, err := freeAddr()
	if err != nil {
		return err
	}
	gw := exec.Command(so.versitygw, "--access", "loadkey", "--secret", "loadsecret123", "--port", s3addr, "--quiet", "posix", s3dir)
	if err := gw.Start(); err != nil {
		return fmt.Errorf("versitygw: %w", err)
	}
	defer func() { _ = gw.Process.Kill(); _ = gw.Wait() }()
	s3url := "http://" + s3addr
	if err := waitHTTP(ctx, s3url+"/", 20*time.Second); err != nil {
		return err
	}
	s3c, err := media.NewS3(media.S3Config{Endpoint: s3url, Region: "us-east-1", Bucket: "load", AccessKeyID: "loadkey", SecretAccessKey: "loadsecret123", ForcePathStyle: true})
	if err != nil {
		return err
	}
	if err := s3c.EnsureBucket(ctx); err != nil {
		return err
	}

	sim := falsim.New(falsim.Options{RunTime: o.jobTime, WebhookRetryBase: 2 * time.Second, MaxImageSide: 64})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return err
	}
	defer sim.Close()
	env := sim.URLs().Env()
	for k, v := range map[string]string{"DATABASE_URL": o.databaseURL, "SESSION_SECRET": randHex(32), "ENCRYPTION_KEY": randHex(32),
		"S3_ENDPOINT": s3url, "S3_BUCKET": "load", "S3_ACCESS_KEY_ID": "loadkey", "S3_SECRET_ACCESS_KEY": "loadsecret123",
		"S3_FORCE_PATH_STYLE": "true", "S3_PRESIGN": "true", "JOB_CONCURRENCY": strconv.Itoa(o.concurrency), "LOG_LEVEL": "warn",
		"FAL_FALLBACK_POLL": "60s"} {
		env[k] = v
	}
	db, err := sql.Open("pgx", o.databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()

	reps, err := startReplicas(ctx, so.bin, env, false)
	if err != nil {
		return err
	}
	say("3 replicas up (webhooks off), PostgreSQL, versitygw %s, simulator %s", s3url, sim.Addr())

	// Drivers sign up through the API (the first is the heavy user); the rest of the people are
	// seeded in SQL with the first driver's password hash.
	drivers := make([]*user, scaleDrivers)
	for i := range drivers {
		drivers[i] = newUser(reps[i%3].url, 16)
		if err := drivers[i].signUp(ctx, fmt.Sprintf("p%d@load.test", i)); err != nil {
			stopAll(reps)
			return err
		}
	}
	ids, err := seedPeople(ctx, db, so.people)
	if err != nil {
		stopAll(reps)
		return err
	}
	heavy := ids[0]
	say("%d people (%d signed up, the rest seeded)", len(ids), scaleDrivers)

	t := time.Now()
	if err := seedScaleAssets(ctx, db, ids, heavy, 0, so.small); err != nil {
		stopAll(reps)
		return err
	}
	colID, err := seedCollection(ctx, db, heavy)
	if err != nil {
		stopAll(reps)
		return err
	}
	say("seeded %d assets in %.1fs", so.small, time.Since(t).Seconds())
	small, err := galleryMix(ctx, drivers[0], drivers[1], colID, so)
	if err != nil {
		stopAll(reps)
		return err
	}
	pollJobs, err := scaleJobs(ctx, db, sim, reps, drivers, so.jobs, say)
	stopAll(reps)
	if err != nil {
		return err
	}

	t = time.Now()
	for from := so.small; from < so.assets; from += 100_000 {
		to := min(from+100_000, so.assets)
		if err := seedScaleAssets(ctx, db, ids, heavy, from, to); err != nil {
			return err
		}
		say("seeded %d/%d assets (%.0fs)", to, so.assets, time.Since(t).Seconds())
	}
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		return err
	}
	say("seeded up to %d assets in %.1fs (ANALYZE done)", so.assets, time.Since(t).Seconds())
	// The heavy user's collection grows with the library (every 10th of their assets).
	if _, err := db.ExecContext(ctx, `INSERT INTO collection_assets (collection_id, asset_id, asset_created_at, added_at)
		SELECT $1, id, created_at, created_at FROM assets WHERE user_id = $2 AND seq % 10 = 0 ON CONFLICT DO NOTHING`, colID, heavy); err != nil {
		return err
	}

	reps, err = startReplicas(ctx, so.bin, env, true)
	if err != nil {
		return err
	}
	defer stopAll(reps)
	for i, d := range drivers { // their sessions live in the database: any replica knows them
		d.base = reps[i%3].url
	}
	say("3 replicas up (webhooks on)")
	big, err := galleryMix(ctx, drivers[0], drivers[1], colID, so)
	if err != nil {
		return err
	}
	hookJobs, err := scaleJobs(ctx, db, sim, reps, drivers, so.jobs, say)
	if err != nil {
		return err
	}
	var heavyN, total int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE user_id = $1), count(*) FROM assets`, heavy).Scan(&heavyN, &total); err != nil {
		return err
	}

	fmt.Fprintf(out, "\n### Gallery: the same requests at %d and at %d assets (heavy user: %d of them at the end)\n\n", so.small, total, heavyN)
	fmt.Fprintf(out, "%d connections, %d requests per row; p50 / p99 in ms; every answer checked 200.\n\n", so.conns, so.reqs)
	fmt.Fprintln(out, "| request | cached @small | uncached @small | cached @full | uncached @full | uncached full/small (p50) | errors |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|")
	for i := range small {
		s, b := small[i], big[i]
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %.2fx | %d |\n", s.name, pp(s.cached), pp(s.uncached), pp(b.cached), pp(b.uncached),
			float64(b.uncached.p50)/float64(max(s.uncached.p50, 1)), s.errors+b.errors)
	}
	fmt.Fprintf(out, "\n### Jobs across 3 replicas (%d each run, JOB_CONCURRENCY=%d per replica, each %s at the simulator)\n\n", so.jobs, o.concurrency, o.jobTime)
	fmt.Fprintln(out, "| mode | finished | failed | took | fal submit / status / result | fal requests per finished job | replica RSS MiB before → max → after |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|")
	for _, j := range []jobFigures{pollJobs, hookJobs} {
		fmt.Fprintf(out, "| %s | %d | %d | %.1fs | %d / %d / %d | %.2f | %s |\n", j.mode, j.finished, j.failed, j.took.Seconds(), j.submit, j.status, j.result,
			float64(j.submit+j.status+j.result)/float64(max(j.finished, 1)), j.rss)
	}
	return nil
}

func startReplicas(ctx context.Context, bin string, env map[string]string, webhooks bool) ([]*replica, error) {
	var reps []*replica
	for range 3 {
		r, err := startReplica(ctx, bin, env, webhooks)
		if err != nil {
			stopAll(reps)
			return nil, err
		}
		reps = append(reps, r)
	}
	return reps, nil
}

func stopAll(reps []*replica) {
	for _, r := range reps {
		r.stop()
		os.RemoveAll(r.dir)
	}
}

// seedPeople adds people up to n (sharing the first driver's password hash) and returns every
// id, oldest first.
func seedPeople(ctx context.Context, db *sql.DB, n int) ([]int64, error) {
	if _, err := db.ExecContext(ctx, `INSERT INTO users (email, password_hash, created_at, updated_at)
		SELECT 'seed' || g || '@load.test', (SELECT password_hash FROM users ORDER BY id LIMIT 1), 0, 0
		FROM generate_series(1, $1::bigint - (SELECT count(*) FROM users)) g`, n); err != nil {
		return nil, fmt.Errorf("seed people: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT id FROM users ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// seedScaleAssets inserts assets [from, to): every 10th belongs to the heavy user, the others are
// spread over everybody; newest last, one per second.
func seedScaleAssets(ctx context.Context, db *sql.DB, ids []int64, heavy int64, from, to int) error {
	arr := make([]string, len(ids))
	for i, id := range ids {
		arr[i] = strconv.FormatInt(id, 10)
	}
	base := time.Now().Add(-40 * 24 * time.Hour).UnixMilli()
	_, err := db.ExecContext(ctx, `INSERT INTO assets (id, user_id, generation_id, model, prompt, result_kind, storage_key, storage,
			content_type, bytes, width, height, params_json, created_at, local_holder, favorite, thumb_bytes)
		SELECT 'seed' || lpad(g::text, 8, '0'),
			CASE WHEN g % 10 = 0 THEN $1::bigint ELSE ($2::bigint[])[(g / 10) % $3 + 1] END,
			'', (ARRAY['fal-ai/flux/schnell','fal-ai/flux/dev','fal-ai/recraft-v3'])[g % 3 + 1],
			'a ' || (ARRAY['fox','whale','lighthouse','forest','city','portrait','mountain','river'])[g % 8 + 1] || ' and a ' ||
				(ARRAY['storm','garden','robot','castle','desert','harbor','owl','train'])[(g / 8) % 8 + 1] || ', study ' || g,
			CASE WHEN g % 7 = 0 THEN 'video' ELSE 'image' END,
			'seed/' || g || '.bin', 's3', CASE WHEN g % 7 = 0 THEN 'video/mp4' ELSE 'image/png' END,
			100000, 512, 512, '{}', $4::bigint + g * 1000, '', CASE WHEN g % 13 = 0 THEN 1 ELSE 0 END, 2000
		FROM generate_series($5::bigint, $6::bigint - 1) g`,
		heavy, "{"+strings.Join(arr, ",")+"}", len(ids), base, from, to)
	if err != nil {
		return fmt.Errorf("seed assets %d-%d: %w", from, to, err)
	}
	return nil
}

func seedCollection(ctx context.Context, db *sql.DB, heavy int64) (string, error) {
	id := "loadcol" + randHex(6)
	if _, err := db.ExecContext(ctx, `INSERT INTO collections (id, user_id, name, name_key, created_at, updated_at) VALUES ($1, $2, 'Favourites of the load', 'favourites of the load', 0, 0)`, id, heavy); err != nil {
		return "", err
	}
	_, err := db.ExecContext(ctx, `INSERT INTO collection_assets (collection_id, asset_id, asset_created_at, added_at)
		SELECT $1, id, created_at, created_at FROM assets WHERE user_id = $2 AND seq % 10 = 0`, id, heavy)
	return id, err
}

type mixRow struct {
	name             string
	cached, uncached stats
	errors           int64
}

func pp(s stats) string { return fmt.Sprintf("%.1f / %.1f", msf(s.p50), msf(s.p99)) }
func msf(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// galleryMix measures each gallery request cached (the same URL again: the page cache answers)
// and uncached (a unique ignored parameter: the query runs).
func galleryMix(ctx context.Context, heavy, typical *user, colID string, so scaleOpts) ([]mixRow, error) {
	// The deep cursor: 40 pages into the heavy user's gallery.
	cursor := ""
	for range 40 {
		code, b, err := heavy.do(ctx, "GET", "/api/assets?limit=50&cursor="+cursor, nil)
		if err != nil || code != 200 {
			return nil, fmt.Errorf("walking the gallery: %d %v", code, err)
		}
		var p struct {
			NextCursor *string `json:"nextCursor"`
		}
		if err := json.Unmarshal(b, &p); err != nil || p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	reqs := []struct {
		name string
		u    *user
		path string
	}{
		{"first page (heavy user)", heavy, "/api/assets?limit=50"},
		{"first page (typical user)", typical, "/api/assets?limit=50"},
		{"deep cursor, page 41 (heavy)", heavy, "/api/assets?limit=50&cursor=" + cursor},
		{"search q=fox (heavy)", heavy, "/api/assets?limit=50&q=fox"},
		{"search q=lighthouse owl (heavy)", heavy, "/api/assets?limit=50&q=lighthouse+owl"},
		{"kind=video (heavy)", heavy, "/api/assets?limit=50&kind=video"},
		{"model=fal-ai/flux/dev (heavy)", heavy, "/api/assets?limit=50&model=fal-ai%2Fflux%2Fdev"},
		{"favorites (heavy)", heavy, "/api/assets?limit=50&favorite=1"},
		{"collection (heavy)", heavy, "/api/assets?limit=50&collection=" + colID},
		{"collections list (heavy)", heavy, "/api/collections"},
	}
	var rows []mixRow
	for _, r := range reqs {
		row := mixRow{name: r.name}
		for _, uncached := range []bool{false, true} {
			var mu sync.Mutex
			var lat []time.Duration
			var next atomic.Int64
			var wg sync.WaitGroup
			for range so.conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						n := next.Add(1)
						if n > int64(so.reqs) || ctx.Err() != nil {
							return
						}
						p := r.path
						if uncached {
							sep := "&"
							if !strings.Contains(p, "?") {
								sep = "?"
							}
							p += sep + "n=" + strconv.FormatInt(n, 10) + randHex(3)
						}
						t := time.Now()
						code, _, err := r.u.do(ctx, "GET", p, nil)
						d := time.Since(t)
						mu.Lock()
						if err != nil || code != 200 {
							row.errors++
						} else {
							lat = append(lat, d)
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if uncached {
				row.uncached = summarise(lat)
			} else {
				row.cached = summarise(lat)
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

type jobFigures struct {
	mode                   string
	finished, failed       int
	took                   time.Duration
	submit, status, result int
	rss                    string
}

// scaleJobs submits jobs from the drivers to the replicas in turn and waits for all of them,
// sampling the replicas' RSS; it counts the simulator's queue requests over the run.
func scaleJobs(ctx context.Context, db *sql.DB, sim *falsim.Server, reps []*replica, drivers []*user, n int, say func(string, ...any)) (jobFigures, error) {
	mode := "polling (webhooks off)"
	if reps[0].webhooks {
		mode = "fal webhooks"
	}
	f := jobFigures{mode: mode}
	s0, st0, r0 := sim.Count("submit"), sim.Count("status"), sim.Count("result")
	before := make([]int64, len(reps))
	peak := make([]int64, len(reps))
	for i, r := range reps {
		before[i] = rssKiB(r.cmd.Process.Pid)
		peak[i] = before[i]
	}
	var since int64
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(created_at), 0) FROM generations`).Scan(&since); err != nil {
		return f, err
	}
	start := time.Now()
	var next atomic.Int64
	var subErr atomic.Value
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || ctx.Err() != nil {
					return
				}
				d := drivers[int(i)%len(drivers)]
				u := *d
				u.base = reps[int(i)%len(reps)].url
				if _, err := u.submit(ctx, fmt.Sprintf("scale job %d by %d", i, w)); err != nil {
					subErr.Store(err)
					return
				}
			}
		}()
	}
	sample := func() {
		for i, r := range reps {
			peak[i] = max(peak[i], rssKiB(r.cmd.Process.Pid))
		}
	}
	for done := false; !done; {
		select {
		case <-ctx.Done():
			return f, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		sample()
		if err, _ := subErr.Load().(error); err != nil {
			wg.Wait()
			return f, err
		}
		var active, fin, failed int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE status IN ('submitting','queued','running','saving')),
				count(*) FILTER (WHERE status = 'succeeded'), count(*) FILTER (WHERE status IN ('failed','canceled'))
			FROM generations WHERE created_at > $1`, since).Scan(&active, &fin, &failed); err != nil {
			return f, err
		}
		f.finished, f.failed = fin, failed
		done = fin+failed >= n
		if time.Since(start) > 15*time.Minute {
			return f, fmt.Errorf("jobs: %d of %d finished after 15 minutes", fin+failed, n)
		}
	}
	wg.Wait()
	f.took = time.Since(start)
	f.submit, f.status, f.result = sim.Count("submit")-s0, sim.Count("status")-st0, sim.Count("result")-r0
	var parts []string
	for i, r := range reps {
		parts = append(parts, fmt.Sprintf("%.0f → %.0f → %.0f", float64(before[i])/1024, float64(peak[i])/1024, float64(rssKiB(r.cmd.Process.Pid))/1024))
	}
	f.rss = strings.Join(parts, "; ")
	say("%s: %d jobs finished (%d failed) in %.1fs", mode, f.finished, f.failed, f.took.Seconds())
	return f, nil
}
