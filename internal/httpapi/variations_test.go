package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/testutil"
)

// Variations answer once the first is submitted; the rest are submitted in the background (a fal
// slow to accept them never holds the request), in the group, and all of them run.
func TestVariationsAnswerAfterTheFirstSubmit(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{QueuePolls: 1, RunPolls: 1})
	hold := newHoldSubmits(t, sim, 1)
	released := false
	defer func() {
		if !released {
			close(hold.release)
		}
	}()
	opts := app.Options{Generation: generation.Options{PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond},
		FalHTTPClient: &http.Client{Transport: hold}}
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(), App: opts})
	g := &genEnv{sim: sim, studio: st}
	c := g.user(t, "background@example.com", "sim-key")

	answer := make(chan *testutil.Response, 1)
	go func() {
		answer <- c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "a fox",
			"params": map[string]any{"seed": 7}, "variations": map[string]any{"count": 4}})
	}()
	var r *testutil.Response
	select {
	case r = <-answer:
	case <-time.After(20 * time.Second):
		t.Fatal("the variations request waited for fal to accept every variation")
	}
	out := decodeVariations(t, r)
	if r.Status != http.StatusAccepted || len(out.Generations) != 1 || out.Group == "" || out.Error != nil {
		t.Fatalf("variations answer %d %s", r.Status, r.Body)
	}
	close(hold.release)
	released = true

	db := testutil.OpenDB(t, st.DataDir)
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n, ok int
		if err := db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(CASE WHEN status = $1 THEN 1 ELSE 0 END), 0)
			FROM generations WHERE group_id = $2`, model.StatusSucceeded, out.Group).Scan(&n, &ok); err != nil {
			t.Fatal(err)
		}
		if n > 4 {
			t.Fatalf("%d generations in a group of 4", n)
		}
		if ok == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the group's %d generations succeeded within 30 s, want 4", ok, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
