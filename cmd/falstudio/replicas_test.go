package main_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/config"
	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/testutil"
)

// Three replicas of the built binary share one database and one S3 server (SPEC §5), started at
// once on an empty database (migrations run once). 30 jobs are submitted round-robin; one
// replica is killed with SIGKILL while it holds jobs; the survivors finish every job exactly
// once: 30 submits at fal, 30 assets, 30 objects. On PostgreSQL, event streams opened on one
// replica follow jobs that other replicas work. (On SQLite the replicas share one database file,
// which SQLite's locking allows; its event streams are in-process only, so the stream part is
// PostgreSQL's.)
func TestReplicasShareTheWorkAndSurviveAKill(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{QueuePolls: 1 << 20})
	s3 := testutil.StartS3(t, false)
	bucket := "replicas"
	b, err := media.NewS3(media.S3Config{Endpoint: s3.Endpoint, Region: s3.Region, Bucket: bucket, AccessKeyID: s3.AccessKey,
		SecretAccessKey: s3.SecretKey, ForcePathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.EnsureBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	db := dbtest.URL(t) // a PostgreSQL database, or a SQLite file shared by the three
	env := []string{"DATABASE_URL=" + db, "JOB_LEASE_SECONDS=3", "JOB_CONCURRENCY=8",
		"SESSION_SECRET=" + strings.Repeat("s", 40), "ENCRYPTION_KEY=" + strings.Repeat("ab", 32)}
	for k, v := range sim.URLs().Env() {
		env = append(env, k+"="+v)
	}
	for k, v := range s3.Env(bucket) {
		env = append(env, k+"="+v)
	}
	reps := make([]*proc, 3)
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	var wg sync.WaitGroup
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i] = start(t, dirs[i], env...)
		}()
	}
	wg.Wait()

	// One browser: the session cookie made on replica 0 is valid on every replica.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	do := func(rep int, method, path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, reps[rep].url+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		r, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil && r.StatusCode != http.StatusNoContent {
			t.Fatalf("%s %s on replica %d: %d %v", method, path, rep, r.StatusCode, err)
		}
		if r.StatusCode >= 300 {
			t.Fatalf("%s %s on replica %d: %d %v", method, path, rep, r.StatusCode, m)
		}
		return m
	}
	do(0, "POST", "/api/auth/signup", `{"email":"team@example.com","password":"three replicas one db"}`)
	do(1, "PUT", "/api/me/fal-key", `{"falKey":"sim-key"}`)
	if st := do(2, "GET", "/api/status", ""); st["database"] != map[bool]string{true: "postgres", false: "sqlite"}[dbtest.Postgres()] || st["storage"] != "s3" {
		t.Fatalf("status: %v", st)
	}
	ids := make([]string, 30)
	for i := range ids {
		g := do(i%3, "POST", "/api/generations", fmt.Sprintf(`{"model":"fal-ai/flux/schnell","prompt":"replica job %d"}`, i))
		ids[i] = g["generation"].(map[string]any)["id"].(string)
	}

	// Event streams on replica 1 for the jobs submitted on replica 0.
	type result struct {
		id, last string
		err      error
	}
	streams := make(chan result, 10)
	if dbtest.Postgres() {
		for i := 0; i < 30; i += 3 {
			r, err := c.Get(reps[1].url + "/api/generations/" + ids[i] + "/events")
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				defer r.Body.Close()
				sc := bufio.NewScanner(r.Body)
				sc.Buffer(make([]byte, 1<<20), 1<<20)
				last := ""
				for sc.Scan() {
					if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
						var g struct{ Status string }
						if err := json.Unmarshal([]byte(data), &g); err != nil {
							streams <- result{ids[i], last, err}
							return
						}
						last = g.Status
					}
				}
				streams <- result{ids[i], last, sc.Err()}
			}()
		}
	}

	// fal slows down, so each status poll holds its job's lease for a while; once replica 2 holds
	// some, it dies. Its leases are left behind until they expire.
	sim.SetOptions(falsim.Options{QueuePolls: 1 << 20, Latency: 3 * time.Second})
	sqldb := openSQL(t, db)
	victim := instanceID(t, dirs[2])
	testutil.WaitFor(t, 20*time.Second, "replica 2 holding leases", func() bool {
		var n int
		if err := sqldb.QueryRow(`SELECT count(*) FROM generations WHERE lease_owner = $1`, victim).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	})
	reps[2].signal(t, os.Kill)
	reps[2].wait(t)
	var orphaned int
	if err := sqldb.QueryRow(`SELECT count(*) FROM generations WHERE lease_owner = $1`, victim).Scan(&orphaned); err != nil || orphaned == 0 {
		t.Fatalf("the killed replica left %d leases (%v); the test needs some", orphaned, err)
	}
	sim.SetOptions(falsim.Options{})

	testutil.WaitFor(t, 120*time.Second, "all 30 jobs succeeded on the survivors", func() bool {
		list := do(0, "GET", "/api/generations", "")["generations"].([]any)
		done := 0
		for _, g := range list {
			if g.(map[string]any)["status"] == "succeeded" {
				done++
			}
		}
		return done == 30
	})
	if n := sim.Count("submit"); n != 30 {
		t.Fatalf("fal got %d submits for 30 jobs", n)
	}
	assets := do(1, "GET", "/api/assets?limit=100", "")["assets"].([]any)
	if len(assets) != 30 {
		t.Fatalf("%d assets for 30 single-image jobs", len(assets))
	}
	objects := 0
	if err := filepath.WalkDir(filepath.Join(s3.Dir, bucket, "users"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !media.IsThumbKey(d.Name()) { // originals; previews sit beside them
			objects++
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if objects != 30 {
		t.Fatalf("the bucket holds %d objects for 30 assets", objects)
	}
	for _, a := range assets {
		if st := a.(map[string]any)["storage"]; st != "s3" {
			t.Fatalf("asset stored in %v, want s3", st)
		}
	}
	if dbtest.Postgres() {
		for range 10 {
			select {
			case r := <-streams:
				if r.err != nil || r.last != "succeeded" {
					t.Fatalf("stream on replica 1 for %s ended at %q (%v)", r.id, r.last, r.err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("an event stream on replica 1 never saw its job, worked on another replica, end")
			}
		}
	}
}

func openSQL(t *testing.T, url string) *sql.DB {
	driver := "sqlite"
	if dbtest.Postgres() {
		driver = "pgx"
	}
	db, err := sql.Open(driver, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func instanceID(t *testing.T, dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "data", config.InstanceIDFile)) // DATA_DIR is ./data
	if err != nil || len(b) < 16 {
		t.Fatalf("instance id: %v", err)
	}
	return string(b[:16])
}
