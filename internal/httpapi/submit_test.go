package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/testutil"
)

// holdSubmits lets fal's queue accept the first pass submits at once and holds every later one
// until release is closed; arrived is closed when the first is held: a fal slow to accept.
type holdSubmits struct {
	queueHost string
	pass      int32
	n         atomic.Int32
	arrived   chan struct{}
	release   chan struct{}
	once      sync.Once
}

func newHoldSubmits(t *testing.T, sim *falsim.Server, pass int32) *holdSubmits {
	t.Helper()
	u, err := url.Parse(sim.URLs().QueueURL)
	if err != nil {
		t.Fatal(err)
	}
	return &holdSubmits{queueHost: u.Host, pass: pass, arrived: make(chan struct{}), release: make(chan struct{})}
}

func (h *holdSubmits) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && r.URL.Host == h.queueHost && !strings.Contains(r.URL.Path, "/requests/") && h.n.Add(1) > h.pass {
		h.once.Do(func() { close(h.arrived) })
		select {
		case <-h.release:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// A submit that fal holds open across the interrupted-submit sweep — past its first lease —
// keeps its row: the sweep fails only submits whose lease expired, and a live submit renews its
// lease while fal answers. The job then runs to success.
func TestSubmitHeldAtFalSurvivesTheSweep(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	hold := newHoldSubmits(t, sim, 0)
	lease := 300 * time.Millisecond
	opts := app.Options{Generation: generation.Options{PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond, Lease: lease},
		FalHTTPClient: &http.Client{Transport: hold}}
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(), App: opts})
	g := &genEnv{sim: sim, studio: st}
	c := g.user(t, "held@example.com", "sim-key")

	answer := make(chan *testutil.Response, 1)
	go func() {
		answer <- c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "a patient fox"})
	}()
	select {
	case <-hold.arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the submit never reached fal")
	}
	db := testutil.OpenDB(t, st.DataDir)
	ctx := context.Background()
	// Wait (bounded) until the first lease has run out and been renewed, then sweep: a submit
	// that was not renewed, or that the sweep took for a dead one, would fail here.
	var first, status string
	var firstUntil int64
	if err := db.QueryRowContext(ctx, `SELECT id, lease_until FROM generations`).Scan(&first, &firstUntil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var until int64
		if err := db.QueryRowContext(ctx, `SELECT status, lease_until FROM generations WHERE id = $1`, first).Scan(&status, &until); err != nil {
			t.Fatal(err)
		}
		if status != model.StatusSubmitting {
			t.Fatalf("the held submit is %s before fal answered", status)
		}
		if until > firstUntil && time.Now().UnixMilli() > firstUntil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the held submit's lease was never renewed")
		}
		time.Sleep(lease / 10)
	}
	for range 3 {
		if err := st.App.Runner().SweepInterrupted(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.QueryRowContext(ctx, `SELECT status FROM generations WHERE id = $1`, first).Scan(&status); err != nil {
		t.Fatal(err)
	}
	if status != model.StatusSubmitting {
		t.Fatalf("the sweep moved a live submit to %s", status)
	}
	close(hold.release)
	r := <-answer
	if r.Status != http.StatusAccepted {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	gen := decodeGen(t, r)
	if gen.Status != model.StatusQueued && gen.Status != model.StatusRunning || gen.Error != nil {
		t.Fatalf("the held submit answered %+v", gen)
	}
	if ev := waitDone(t, c, gen.ID); ev[len(ev)-1].Status != model.StatusSucceeded {
		t.Fatalf("the held submit ended %+v", ev[len(ev)-1])
	}
}

// A submit whose collection is not the caller's is refused before anything is stored: no row is
// left for the sweep to call interrupted, and fal never sees it.
func TestSubmitToAnotherCollectionStoresNothing(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	owner := g.user(t, "owner@example.com", "sim-key")
	other := g.user(t, "other@example.com", "sim-key")
	r := owner.Do("POST", "/api/collections", map[string]string{"name": "Mine"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create collection: %d %s", r.Status, r.Body)
	}
	var col struct {
		Collection struct{ ID string } `json:"collection"`
	}
	if err := json.Unmarshal(r.Body, &col); err != nil || col.Collection.ID == "" {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	for _, id := range []string{col.Collection.ID, "no-such-collection"} {
		r := other.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "x", "collectionId": id})
		if r.Status != http.StatusNotFound {
			t.Fatalf("submit into %q: %d %s, want 404", id, r.Status, r.Body)
		}
	}
	var n int
	if err := testutil.OpenDB(t, g.studio.DataDir).QueryRowContext(context.Background(), `SELECT count(*) FROM generations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d generations stored for refused submits", n)
	}
	if got := len(g.sim.Jobs()); got != 0 {
		t.Fatalf("fal saw %d submits", got)
	}
}
