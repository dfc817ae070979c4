package httpapi_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/testutil"
)

func makeBucket(t *testing.T, srv *testutil.S3Server, bucket string) {
	s, err := media.NewS3(media.S3Config{Endpoint: srv.Endpoint, Region: srv.Region, Bucket: bucket, AccessKeyID: srv.AccessKey,
		SecretAccessKey: srv.SecretKey, ForcePathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestS3StorageOutageAndResync(t *testing.T) {
	srv := testutil.StartS3(t, false)
	makeBucket(t, srv, "studio")
	env := srv.Env("studio")
	env["TRASH_DAYS"] = "0" // deletes remove the objects at once (the trash's purge: trash_test.go)
	g := newGenEnv(t, falsim.Options{}, env, "")
	if s := g.studio.NewClient(t).Do("GET", "/api/status", nil).JSON(); s["storage"] != "s3" {
		t.Fatalf("status storage %v", s["storage"])
	}
	c := g.user(t, "s3@example.com", "sim-key")
	ev := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "stored in s3", nil).ID)
	last := ev[len(ev)-1]
	if last.Status != "succeeded" || last.Assets[0].Storage != "s3" || last.Notice != nil {
		t.Fatalf("s3 generation: %+v", last)
	}
	m := c.Do("GET", last.Assets[0].URL, nil, "Range", "bytes=8-15")
	if m.Status != 206 || len(m.Body) != 8 || m.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("s3 media range: %d %v", m.Status, m.Header)
	}
	if n := countFiles(t, filepath.Join(g.studio.DataDir, "media")); n != 0 {
		t.Fatalf("%d local files left after an S3 save", n)
	}

	// S3 goes down: the file is kept on local disk and the generation says so.
	srv.Stop()
	ev = waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "during the outage", nil).ID)
	last = ev[len(ev)-1]
	if last.Status != "succeeded" || last.Assets[0].Storage != "local" || last.Notice == nil || *last.Notice != "saved locally instead" {
		t.Fatalf("outage generation: %+v", last)
	}
	if m := c.Do("GET", last.Assets[0].URL, nil); m.Status != 200 || m.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("local media during outage: %d", m.Status)
	}

	// S3 is back: the re-sync moves the file and the row, then removes the local copy.
	srv.Restart(t)
	if n := g.studio.App.Cleaner().ResyncLocal(context.Background()); n != 1 {
		t.Fatalf("re-synced %d files", n)
	}
	a := c.Do("GET", "/api/assets/"+last.Assets[0].ID, nil).JSON()["asset"].(map[string]any)
	if a["storage"] != "s3" {
		t.Fatalf("after re-sync: %v", a)
	}
	if n := countFiles(t, filepath.Join(g.studio.DataDir, "media")); n != 0 {
		t.Fatalf("%d local files after re-sync", n)
	}
	if m := c.Do("GET", last.Assets[0].URL, nil); m.Status != 200 {
		t.Fatalf("media after re-sync: %d", m.Status)
	}
	// Delete removes the S3 object too.
	if r := c.Do("DELETE", "/api/assets/"+last.Assets[0].ID, nil); r.Status != 204 {
		t.Fatal("delete")
	}
	if n := countFiles(t, filepath.Join(srv.Dir, "studio")); n != 1 {
		t.Fatalf("bucket holds %d objects, want 1", n)
	}

	// A delete while S3 is down removes the row at once and the object once S3 is back.
	list := c.Do("GET", "/api/assets", nil).JSON()["assets"].([]any)
	remaining := list[0].(map[string]any)["id"].(string)
	srv.Stop()
	if r := c.Do("DELETE", "/api/assets/"+remaining, nil); r.Status != 204 {
		t.Fatalf("delete during outage: %d", r.Status)
	}
	if r := c.Do("GET", "/api/assets/"+remaining, nil); r.Status != 404 {
		t.Fatal("the row outlived the delete")
	}
	if n := g.studio.App.Cleaner().RetryDeletes(context.Background()); n != 0 {
		t.Fatalf("retried %d deletes while S3 is still down", n)
	}
	srv.Restart(t)
	// Make the queued retry due now instead of waiting out its back-off.
	mustExec(t, openDB(t, g.studio.DataDir), `UPDATE pending_deletes SET next_at = 0`)
	if n := g.studio.App.Cleaner().RetryDeletes(context.Background()); n > 1 {
		t.Fatalf("%d deletes done for one queued object", n)
	}
	if n := countFiles(t, filepath.Join(srv.Dir, "studio")); n != 0 {
		t.Fatalf("%d objects left after the retried delete", n)
	}
}

func TestPublicBaseURL(t *testing.T) {
	srv := testutil.StartS3(t, false)
	makeBucket(t, srv, "pub")
	env := srv.Env("pub")
	env["S3_PUBLIC_BASE_URL"] = "https://cdn.example.com/pub"
	g := newGenEnv(t, falsim.Options{}, env, "")
	c := g.user(t, "pub@example.com", "sim-key")
	ev := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "public", nil).ID)
	a := ev[len(ev)-1].Assets[0]
	if !strings.HasPrefix(a.URL, "https://cdn.example.com/pub/users/") || !strings.HasSuffix(a.URL, ".png") || len(strings.Split(a.URL, "-")) < 2 {
		t.Fatalf("public url %q", a.URL)
	}
}

// openDB opens the studio's database directly, as a crash would have left it.
func openDB(t *testing.T, dir string) *sql.DB { return testutil.OpenDB(t, dir) }

func TestRestartResumesEveryJobOnce(t *testing.T) {
	dir := t.TempDir()
	sim := falsim.NewTest(t, falsim.Options{QueuePolls: 1 << 20})
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(), DataDir: dir, App: fastRunner})
	c := st.NewClient(t)
	c.SignUp("restart@example.com", goodPassword)
	c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"})
	queued := submit(t, c, "fal-ai/flux/dev", "waiting in the queue", nil)
	saving := submit(t, c, "fal-ai/flux/dev", "caught while saving", map[string]any{"num_images": 2})
	waitStatus(t, c, queued.ID, "queued", func(g generationJSON) bool { return g.QueuePosition != nil })
	st.Stop()

	// Forge what a kill at the worst moments leaves behind:
	db := openDB(t, dir)
	// (1) a job caught mid-submit;
	mustExec(t, db, `INSERT INTO generations (id, user_id, model, prompt, status, created_at, updated_at)
		SELECT 'midsubmit', user_id, model, 'x', 'submitting', created_at, updated_at FROM generations WHERE id = $1`, queued.ID)
	// (2) a job killed while saving: fal finished, outputs planned, the first object uploaded
	//     under its chosen key, its asset row never inserted.
	sim.SetOptions(falsim.Options{})
	st = testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(), DataDir: dir, App: fastRunner})
	c2 := st.NewClient(t)
	c2.Do("POST", "/api/auth/login", map[string]string{"email": "restart@example.com", "password": goodPassword})
	for _, id := range []string{queued.ID, saving.ID} {
		ev := waitDone(t, c2, id)
		if last := ev[len(ev)-1]; last.Status != "succeeded" {
			t.Fatalf("%s after restart: %+v", id, last)
		}
	}
	g := decodeGen(t, c2.Do("GET", "/api/generations/midsubmit", nil))
	if g.Status != "failed" || g.Error == nil || g.Error.Code != "interrupted" {
		t.Fatalf("mid-submit job: %+v", g)
	}
	if sim.Count("submit") != 2 {
		t.Fatalf("fal got %d submits, want 2 (nothing resent)", sim.Count("submit"))
	}
	assertOneObjectPerAsset(t, st, db)

	// Now the crash while saving: rewind the second job to "saving" with its first asset row gone
	// but its object still on disk, as if the process died between upload and insert.
	st.Stop()
	var assetID, key string
	if err := db.QueryRow(`SELECT a.id, a.storage_key FROM assets a JOIN outputs o ON o.asset_id = a.id WHERE a.generation_id = $1 AND o.idx = 0`, saving.ID).Scan(&assetID, &key); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `DELETE FROM assets WHERE id = $1`, assetID)
	// The lease names this same instance (same DATA_DIR): the process that held it is gone, so
	// the restart takes it back at once instead of waiting for it to expire.
	mustExec(t, db, `UPDATE generations SET status = 'saving', completed_at = NULL, lease_until = 9999999999999, lease_owner = $1 WHERE id = $2`, st.Config.InstanceID, saving.ID)
	st = testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(), DataDir: dir, App: fastRunner})
	c3 := st.NewClient(t)
	c3.Do("POST", "/api/auth/login", map[string]string{"email": "restart@example.com", "password": goodPassword})
	ev := waitDone(t, c3, saving.ID)
	last := ev[len(ev)-1]
	if last.Status != "succeeded" || len(last.Assets) != 2 {
		t.Fatalf("resumed save: %+v", last)
	}
	if last.Assets[0].ID != assetID {
		t.Fatalf("the resumed save chose a new asset id")
	}
	var k2 string
	if err := db.QueryRow(`SELECT storage_key FROM assets WHERE id = $1`, assetID).Scan(&k2); err != nil {
		t.Fatal(err)
	}
	if k2 != key {
		t.Fatalf("the resumed save wrote a new object %s (was %s)", k2, key)
	}
	assertOneObjectPerAsset(t, st, db)
	if sim.Count("submit") != 2 {
		t.Fatal("a resumed job was resubmitted")
	}
}

func assertOneObjectPerAsset(t *testing.T, st *testutil.Studio, db *sql.DB) {
	t.Helper()
	var assets int
	if err := db.QueryRow(`SELECT count(*) FROM assets`).Scan(&assets); err != nil {
		t.Fatal(err)
	}
	if files := countFiles(t, filepath.Join(st.DataDir, "media")); files != assets {
		t.Fatalf("%d objects for %d assets", files, assets)
	}
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// waitStatus follows the generation's event stream (its current state first, then one event per
// change) until an event matches: no polling, no sleeping.
func waitStatus(t *testing.T, c *testutil.Client, id, status string, extra func(generationJSON) bool) {
	t.Helper()
	req, err := http.NewRequest("GET", c.Base+"/api/generations/"+id+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	client := *c.HTTP
	client.Timeout = 10 * time.Second
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var last generationJSON
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if err := json.Unmarshal([]byte(line), &last); err != nil {
			t.Fatalf("event %s: %v", line, err)
		}
		if last.Status == status && (extra == nil || extra(last)) {
			return
		}
	}
	t.Fatalf("%s never reached %s (stream ended: %v): %+v", id, status, sc.Err(), last)
}

func TestOrphanSweepAndFailedInsert(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "orphan@example.com", "sim-key")
	ev := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "orphan", map[string]any{"num_images": 2}).ID)
	gen := ev[len(ev)-1]
	db := openDB(t, g.studio.DataDir)
	// An object whose asset row is gone (a failed insert the process did not survive).
	mustExec(t, db, `DELETE FROM assets WHERE id = $1`, gen.Assets[0].ID)
	mustExec(t, db, `UPDATE generations SET completed_at = 0 WHERE id = $1`, gen.ID)
	before := countFiles(t, filepath.Join(g.studio.DataDir, "media"))
	if n := g.studio.App.Cleaner().SweepOrphans(context.Background(), time.Now()); n != 1 {
		t.Fatalf("swept %d", n)
	}
	if after := countFiles(t, filepath.Join(g.studio.DataDir, "media")); after != before-1 {
		t.Fatalf("objects %d → %d", before, after)
	}
	if m := c.Do("GET", gen.Assets[1].URL, nil); m.Status != 200 {
		t.Fatal("the sweep removed an owned object")
	}
}

func TestTransientFailuresRetryThenGiveUp(t *testing.T) {
	opts := fastRunner
	opts.FalBackoff = time.Millisecond
	// fal's status route fails 10 times in a row (more than one call's own retries), then recovers.
	sim := falsim.NewTest(t, falsim.Options{QueuePolls: 1})
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(), App: opts})
	c := st.NewClient(t)
	c.SignUp("flaky@example.com", goodPassword)
	c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"})
	sim.SetOptions(falsim.Options{QueuePolls: 1, FailStatus: 10})
	gen := submit(t, c, "fal-ai/flux/schnell", "survives a flaky fal", nil)
	ev := waitDone(t, c, gen.ID)
	if last := ev[len(ev)-1]; last.Status != "succeeded" {
		t.Fatalf("after transient failures: %+v", last)
	}
	var failures int
	if err := openDB(t, st.DataDir).QueryRow(`SELECT failures FROM generations WHERE id = $1`, gen.ID).Scan(&failures); err != nil {
		t.Fatal(err)
	}
	if failures != 0 {
		t.Fatalf("failures not reset after success: %d", failures)
	}
	if sim.Count("submit") != 1 {
		t.Fatal("a retry resubmitted the job")
	}

	// Failures that never stop end the job once they have lasted GiveUpAfter. The runner's clock
	// is moved past GiveUpAfter only after the first failure is recorded, so the job is retried
	// before and given up after, however fast or slow this machine runs. The jump stays under
	// the event journal's ten minutes, which the runner also measures with this clock.
	var ahead atomic.Int64
	opts.Generation.GiveUpAfter = 5 * time.Minute
	opts.Generation.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	sim2 := falsim.NewTest(t, falsim.Options{QueuePolls: 1})
	st2 := testutil.NewStudio(t, testutil.StudioOptions{Env: sim2.URLs().Env(), App: opts})
	c2 := st2.NewClient(t)
	c2.SignUp("down@example.com", goodPassword)
	c2.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"})
	sim2.SetOptions(falsim.Options{QueuePolls: 1, FailStatus: 1 << 30})
	down := submit(t, c2, "fal-ai/flux/schnell", "fal is down", nil)
	db2 := openDB(t, st2.DataDir)
	testutil.WaitFor(t, 20*time.Second, "the first failure recorded", func() bool {
		var status string
		if err := db2.QueryRow(`SELECT status, failures FROM generations WHERE id = $1`, down.ID).Scan(&status, &failures); err != nil {
			t.Fatal(err)
		}
		if status == "failed" || status == "succeeded" || status == "canceled" {
			t.Fatalf("the job ended %s before failures lasted GiveUpAfter", status)
		}
		return failures > 0
	})
	ahead.Store(int64(6 * time.Minute))
	ev = waitDone(t, c2, down.ID)
	if last := ev[len(ev)-1]; last.Status != "failed" || last.Error == nil || last.Error.Code != "fal_unavailable" {
		t.Fatalf("after a long outage: %+v", last)
	}
}

// A save cut between its upload and its asset row, resumed into the other backend, leaves the
// file stored once: the first attempt fell back to local disk (S3 down), the process stopped
// before the row; on restart S3 is back and takes the file, and the local copy goes.
func TestResumedSaveInAnotherBackendLeavesOneCopy(t *testing.T) {
	srv := testutil.StartS3(t, false)
	makeBucket(t, srv, "studio")
	dir := t.TempDir()
	sim := falsim.NewTest(t, falsim.Options{})
	env := sim.URLs().Env()
	for k, v := range srv.Env("studio") {
		env[k] = v
	}
	srv.Stop() // the first attempt finds S3 down and keeps the file locally
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: env, DataDir: dir, App: fastRunner})
	c := st.NewClient(t)
	c.SignUp("twice@example.com", goodPassword)
	c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"})
	ev := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "kept locally, then resumed", nil).ID)
	last := ev[len(ev)-1]
	if last.Status != "succeeded" || len(last.Assets) != 1 || last.Assets[0].Storage != "local" {
		t.Fatalf("first attempt: %+v", last)
	}
	st.Stop()

	// Rewind to the moment after the local upload was recorded and before the asset row.
	db := openDB(t, dir)
	mustExec(t, db, `DELETE FROM assets WHERE id = $1`, last.Assets[0].ID)
	mustExec(t, db, `UPDATE generations SET status = 'saving', completed_at = NULL, lease_until = 9999999999999, lease_owner = $1 WHERE id = $2`,
		st.Config.InstanceID, last.ID)
	if n := countFiles(t, filepath.Join(dir, "media")); n != 1 {
		t.Fatalf("%d local files before the resume, want the first attempt's 1", n)
	}

	srv.Restart(t)
	st = testutil.NewStudio(t, testutil.StudioOptions{Env: env, DataDir: dir, App: fastRunner})
	c = st.NewClient(t)
	c.Do("POST", "/api/auth/login", map[string]string{"email": "twice@example.com", "password": goodPassword})
	ev = waitDone(t, c, last.ID)
	resumed := ev[len(ev)-1]
	if resumed.Status != "succeeded" || len(resumed.Assets) != 1 || resumed.Assets[0].Storage != "s3" || resumed.Assets[0].ID != last.Assets[0].ID {
		t.Fatalf("resumed save: %+v", resumed)
	}
	if n := countFiles(t, filepath.Join(dir, "media")); n != 0 {
		t.Fatalf("%d local copies left beside the S3 one", n)
	}
	if m := c.Do("GET", resumed.Assets[0].URL, nil); m.Status != 200 {
		t.Fatalf("the S3 copy does not serve: %d", m.Status)
	}
}
