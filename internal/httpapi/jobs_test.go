package httpapi_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/testutil"
)

func runnerWith(o generation.Options) app.Options {
	o.PollMin, o.PollMax = 5*time.Millisecond, 20*time.Millisecond
	return app.Options{Generation: o}
}

// A file one replica had to keep on its own disk (S3 down) is served by that replica; another
// replica answers 503 media_unavailable with Retry-After until the file is re-synced to S3.
func TestFileOnAnotherReplicaIsUnavailable(t *testing.T) {
	srv := testutil.StartS3(t, false)
	makeBucket(t, srv, "shared")
	sim := falsim.NewTest(t, falsim.Options{})
	env := sim.URLs().Env()
	for k, v := range srv.Env("shared") {
		env[k] = v
	}
	env["DATABASE_URL"] = dbtest.URL(t)
	env["SESSION_SECRET"], env["ENCRYPTION_KEY"] = "replica-secret-replica-secret-0123456789", "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
	a := testutil.NewStudio(t, testutil.StudioOptions{Env: env, App: fastRunner})
	b := testutil.NewStudio(t, testutil.StudioOptions{Env: env, App: fastRunner})
	ca := a.NewClient(t)
	ca.SignUp("replica@example.com", goodPassword)
	ca.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"})
	srv.Stop()
	ev := waitDone(t, ca, submit(t, ca, "fal-ai/flux/schnell", "kept on replica a", nil).ID)
	last := ev[len(ev)-1]
	if last.Status != "succeeded" || last.Assets[0].Storage != "local" {
		t.Fatalf("with S3 down: %+v", last)
	}
	url := last.Assets[0].URL
	// Either replica's runner may have worked the job: the one that did holds the file.
	var holder string
	if err := testutil.OpenURL(t, env["DATABASE_URL"]).QueryRow(`SELECT local_holder FROM assets WHERE id = $1`, last.Assets[0].ID).Scan(&holder); err != nil {
		t.Fatal(err)
	}
	switch holder {
	case a.Config.InstanceID:
	case b.Config.InstanceID:
		a, b = b, a
	default:
		t.Fatalf("the asset names holder %q, neither replica", holder)
	}
	ca = a.NewClient(t)
	cb := b.NewClient(t)
	cb.HTTP.Jar = ca.HTTP.Jar // the same browser: sessions are valid on every replica
	ca.Do("POST", "/api/auth/login", map[string]string{"email": "replica@example.com", "password": goodPassword})
	if r := ca.Do("GET", url, nil); r.Status != 200 {
		t.Fatalf("the holding replica: %d", r.Status)
	}
	r := cb.Do("GET", url, nil)
	if r.Status != 503 || r.ErrorCode() != "media_unavailable" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("another replica: %d %s %v", r.Status, r.Body, r.Header)
	}
	// Only the holder re-syncs it; afterwards every replica serves it from S3.
	srv.Restart(t)
	if n := b.App.Cleaner().ResyncLocal(context.Background()); n != 0 {
		t.Fatalf("replica b re-synced %d files it does not have", n)
	}
	if n := a.App.Cleaner().ResyncLocal(context.Background()); n != 1 {
		t.Fatalf("replica a re-synced %d files", n)
	}
	if r := cb.Do("GET", url, nil); r.Status != 200 {
		t.Fatalf("after re-sync, replica b: %d %s", r.Status, r.Body)
	}
}

func failedWith(t *testing.T, c *testutil.Client, id, code string) generationJSON {
	t.Helper()
	ev := waitDone(t, c, id)
	last := ev[len(ev)-1]
	if last.Status != "failed" || last.Error == nil || last.Error.Code != code {
		t.Fatalf("want failed with %s, got %+v", code, last)
	}
	return last
}

// An output over the per-job byte cap fails at once as output_too_large: not retried, nothing kept.
func TestOutputTooLargeFailsAtOnce(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(), App: runnerWith(generation.Options{MaxJobBytes: 100})})
	c := st.NewClient(t)
	c.SignUp("big@example.com", goodPassword)
	c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"})
	failedWith(t, c, submit(t, c, "fal-ai/flux/schnell", "too big to keep", nil).ID, "output_too_large")
	if n := countFiles(t, filepath.Join(st.DataDir, "media")); n != 0 {
		t.Fatalf("%d files kept for a refused output", n)
	}
	if n := sim.Count("cdn"); n != 1 {
		t.Fatalf("the output was downloaded %d times; a refusal is never retried", n)
	}
}

// STORAGE_QUOTA_MB: a save that would pass the quota fails with a clear error, and a person at
// the quota cannot submit at all.
func TestStorageQuota(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	dir := t.TempDir()
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(), DataDir: dir, App: fastRunner})
	c := st.NewClient(t)
	c.SignUp("quota@example.com", goodPassword)
	c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"})
	first := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "same prompt", nil).ID)
	size := first[len(first)-1].Assets[0].Bytes
	st.Stop()

	login := func(st *testutil.Studio) *testutil.Client {
		c := st.NewClient(t)
		if r := c.Do("POST", "/api/auth/login", map[string]string{"email": "quota@example.com", "password": goodPassword}); r.Status != 200 {
			t.Fatalf("login: %d", r.Status)
		}
		return c
	}
	st = testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(), DataDir: dir, App: runnerWith(generation.Options{StorageQuotaBytes: size + 1})})
	c = login(st)
	last := failedWith(t, c, submit(t, c, "fal-ai/flux/schnell", "same prompt", nil).ID, model.CodeQuotaExceeded)
	if last.Error.Message == "" || len(last.Assets) != 0 {
		t.Fatalf("quota failure: %+v", last)
	}
	if n := countFiles(t, filepath.Join(dir, "media")); n != 1 {
		t.Fatalf("%d files on disk, want only the first job's", n)
	}
	st.Stop()

	st = testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(), DataDir: dir, App: runnerWith(generation.Options{StorageQuotaBytes: size})})
	c = login(st)
	submits := sim.Count("submit")
	r := c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "no room"})
	if r.Status != 409 || r.ErrorCode() != model.CodeQuotaExceeded {
		t.Fatalf("submit at the quota: %d %s", r.Status, r.Body)
	}
	if sim.Count("submit") != submits {
		t.Fatal("a submit refused for the quota still reached fal")
	}
}

// A panic in a worker fails that job as internal, and the studio goes on serving and working.
func TestPanicInAJobStepFailsOnlyThatJob(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	var boom atomic.Bool
	boom.Store(true)
	o := runnerWith(generation.Options{BeforeStep: func(g *model.Generation) {
		if g.Prompt == "explode" && boom.Load() {
			panic("injected fault")
		}
	}})
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(), App: o})
	c := st.NewClient(t)
	c.SignUp("panic@example.com", goodPassword)
	c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"})
	bad := failedWith(t, c, submit(t, c, "fal-ai/flux/schnell", "explode", nil).ID, model.CodeInternal)
	if bad.Error.Message == "" || strings.Contains(bad.Error.Message, "fal could not be reached") {
		t.Fatalf("internal failure message: %q", bad.Error.Message)
	}
	ev := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "still works", nil).ID)
	if ev[len(ev)-1].Status != "succeeded" {
		t.Fatalf("the next job after a panic: %+v", ev[len(ev)-1])
	}
	if !strings.Contains(st.Logs.String(), "injected fault") {
		t.Fatal("the panic was not logged")
	}
}

// A fault of the studio's own (here: the database loses a table mid-job) ends the job as
// internal at once — never reported as fal's and never retried for half an hour.
func TestDatabaseFaultIsInternalAndNotRetried(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{QueuePolls: 2})
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(), App: runnerWith(generation.Options{GiveUpAfter: time.Hour})})
	c := st.NewClient(t)
	c.SignUp("dbfault@example.com", goodPassword)
	c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"})
	db := testutil.OpenDB(t, st.DataDir)
	// Planning the outputs will fail: the database refuses every insert into outputs.
	if dbtest.Postgres() {
		mustExec(t, db, `CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql`)
		mustExec(t, db, `CREATE TRIGGER refuse BEFORE INSERT ON outputs FOR EACH ROW EXECUTE FUNCTION refuse()`)
	} else {
		mustExec(t, db, `CREATE TRIGGER refuse BEFORE INSERT ON outputs BEGIN SELECT RAISE(ABORT, 'injected fault'); END`)
	}
	last := failedWith(t, c, submit(t, c, "fal-ai/flux/schnell", "no outputs table", nil).ID, model.CodeInternal)
	if strings.Contains(last.Error.Message, "fal") {
		t.Fatalf("an internal fault was blamed on fal: %q", last.Error.Message)
	}
}

// One person's many slow jobs never stall another's: with 4 workers and at most 2 per person, a
// light user's single job finishes while the heavy user's queue is still long.
func TestFairWorkersAcrossPeople(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{QueuePolls: 1 << 20})
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(),
		App: runnerWith(generation.Options{Concurrency: 4, PerUser: 2})})
	heavy, light := st.NewClient(t), st.NewClient(t)
	heavy.SignUp("heavy@example.com", goodPassword)
	heavy.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-heavy"})
	light.SignUp("light@example.com", goodPassword)
	light.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-light"})
	for i := range 20 {
		submit(t, heavy, "fal-ai/flux/schnell", "heavy "+strconv.Itoa(i), nil)
	}
	// fal answers slowly from now on: every step holds a worker for a while.
	sim.SetOptions(falsim.Options{QueuePolls: 1 << 20, Latency: 100 * time.Millisecond})
	id := submit(t, light, "fal-ai/flux/schnell", "light", nil).ID
	sim.SetOptions(falsim.Options{Latency: 100 * time.Millisecond}) // jobs now complete on their next poll
	ev := waitDone(t, light, id)
	if ev[len(ev)-1].Status != "succeeded" {
		t.Fatalf("light job: %+v", ev[len(ev)-1])
	}
	list := heavy.Do("GET", "/api/generations?active=1", nil).JSON()["generations"].([]any)
	if len(list) < 10 {
		t.Fatalf("the light job waited for the heavy queue: only %d heavy jobs left unfinished", len(list))
	}
}
