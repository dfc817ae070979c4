package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/model"
)

var allStatuses = []string{model.StatusSubmitting, model.StatusQueued, model.StatusRunning, model.StatusSaving,
	model.StatusSucceeded, model.StatusFailed, model.StatusCanceled}

// newJob inserts a generation, then forces it into status with a lease held by holder.
func newJob(t *testing.T, s *Store, userID int64, id, status, holder string, leaseUntil time.Time) {
	t.Helper()
	ctx := context.Background()
	if err := s.InsertGeneration(ctx, &model.Generation{ID: id, UserID: userID, Model: "fal-ai/flux/dev"}, holder, time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE generations SET status = $1, lease_owner = $2, lease_until = $3 WHERE id = $4`,
		status, holder, leaseUntil.UnixMilli(), id); err != nil {
		t.Fatal(err)
	}
}

func mustUser(t testing.TB, s *Store, email string) *model.User {
	t.Helper()
	u, err := s.InsertUser(context.Background(), email, "h")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// moved reads a transition's answer: nil moved the row, ErrStale did not (with the row's
// actual state), anything else is a failure of the statement.
func moved(err error) (bool, error) {
	var se *StaleError
	if errors.As(err, &se) {
		if !errors.Is(err, ErrStale) || se.Status == "" {
			return false, fmt.Errorf("a stale answer without ErrStale or the row's state: %v", err)
		}
		return false, nil
	}
	return err == nil, err
}

func status(t *testing.T, s *Store, id string) *model.Generation {
	t.Helper()
	g, err := s.GenerationByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Every named transition moves a job exactly along the edges of model's table, and only for the
// lease holder.
func TestTransitionsFollowTheModelTable(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	u := mustUser(t, s, "t@example.com")
	lease := time.Now().Add(time.Minute)
	type tr struct {
		name string
		from []string // the statuses this transition moves from: each edge must be in model's table
		to   string
		run  func(id, holder string) (bool, error)
	}
	sub, live, active := []string{model.StatusSubmitting}, []string{model.StatusQueued, model.StatusRunning}, model.Active
	pos := 3
	trs := []tr{
		{"submitted", sub, model.StatusQueued, func(id, h string) (bool, error) {
			return moved(s.MarkSubmitted(ctx, id, h, model.StatusQueued, "req", &pos))
		}},
		{"submitted running", sub, model.StatusRunning, func(id, h string) (bool, error) {
			return moved(s.MarkSubmitted(ctx, id, h, model.StatusRunning, "req", nil))
		}},
		{"polled queued", live, model.StatusQueued, func(id, h string) (bool, error) {
			return moved(s.MarkPolled(ctx, id, h, model.StatusQueued, &pos, nil, 1, time.Now()))
		}},
		{"polled running", live, model.StatusRunning, func(id, h string) (bool, error) {
			return moved(s.MarkPolled(ctx, id, h, model.StatusRunning, nil, []model.LogLine{{Message: "step"}}, 2, time.Now()))
		}},
		{"saving", live, model.StatusSaving, func(id, h string) (bool, error) { return moved(s.MarkSaving(ctx, id, h, nil, []byte(`{}`))) }},
		{"succeeded", []string{model.StatusSaving}, model.StatusSucceeded, func(id, h string) (bool, error) { return moved(s.MarkSucceeded(ctx, id, h, "")) }},
		{"failed", active, model.StatusFailed, func(id, h string) (bool, error) { return moved(s.MarkFailed(ctx, id, h, "x", "y")) }},
		{"canceled", live, model.StatusCanceled, func(id, h string) (bool, error) { return moved(s.MarkCanceled(ctx, id, h)) }},
		{"user cancel", live, model.StatusCanceled, func(id, _ string) (bool, error) { return moved(s.CancelQueued(ctx, u.ID, id)) }},
	}
	n := 0
	for _, tc := range trs {
		for _, from := range tc.from {
			if !model.CanTransition(from, tc.to) {
				t.Fatalf("%s: %s → %s is not in model's table of transitions", tc.name, from, tc.to)
			}
		}
		for _, from := range allStatuses {
			for _, holder := range []string{"w1", "intruder"} {
				n++
				id := fmt.Sprintf("g%d", n)
				newJob(t, s, u.ID, id, from, "w1", lease)
				moved, err := tc.run(id, holder)
				if err != nil {
					t.Fatalf("%s from %s: %v", tc.name, from, err)
				}
				want := slices.Contains(tc.from, from) && (holder == "w1" || tc.name == "user cancel")
				if moved != want {
					t.Fatalf("%s from %s by %s: moved=%v, want %v", tc.name, from, holder, moved, want)
				}
				g := status(t, s, id)
				if got := map[bool]string{true: tc.to, false: from}[moved]; g.Status != got {
					t.Fatalf("%s from %s: status %s, want %s", tc.name, from, g.Status, got)
				}
				if moved && model.Terminal(tc.to) && (g.CompletedAt == nil || g.LeaseOwner != "") {
					t.Fatalf("%s: a finished job keeps its lease or has no completion time: %+v", tc.name, g)
				}
			}
		}
	}
}

func TestLeaseRenewBackOffAndRelease(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	u := mustUser(t, s, "l@example.com")
	newJob(t, s, u.ID, "g", model.StatusRunning, "w1", time.Now().Add(time.Minute))
	later := time.Now().Add(5 * time.Minute).Truncate(time.Millisecond)
	if err := s.RenewLease(ctx, "g", "w2", later); !errors.Is(err, ErrStale) {
		t.Fatalf("another holder renewed the lease: %v", err)
	}
	if err := s.RenewLease(ctx, "g", "w1", later); err != nil {
		t.Fatalf("renew: %v", err)
	}
	if g := status(t, s, "g"); !g.LeaseUntil.Equal(later.UTC()) {
		t.Fatalf("lease until %v, want %v", g.LeaseUntil, later)
	}
	since, next := time.Now().Add(-time.Minute).Truncate(time.Millisecond), time.Now().Add(time.Hour).Truncate(time.Millisecond)
	if err := s.BackOff(ctx, "g", "w1", 3, since, next); err != nil {
		t.Fatalf("back off: %v", err)
	}
	g := status(t, s, "g")
	if g.Failures != 3 || !g.FailingSince.Equal(since.UTC()) || !g.NextPollAt.Equal(next.UTC()) || g.LeaseOwner != "" || g.Status != model.StatusRunning {
		t.Fatalf("after back off: %+v", g)
	}
	// The next poll ends the run of failures.
	newJob(t, s, u.ID, "h", model.StatusQueued, "w1", time.Now().Add(time.Minute))
	if err := s.BackOff(ctx, "h", "w1", 2, since, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE generations SET lease_owner = 'w1' WHERE id = 'h'`); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkPolled(ctx, "h", "w1", model.StatusRunning, nil, nil, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	if h := status(t, s, "h"); h.Failures != 0 || !h.FailingSince.IsZero() {
		t.Fatalf("failures not reset by a poll: %+v", h)
	}
	err := s.ReleaseLease(ctx, "h", "w2")
	var se *StaleError
	if !errors.As(err, &se) || se.Status != model.StatusRunning || se.LeaseOwner != "" {
		t.Fatalf("another holder released the lease, or the conflict does not name the row's state: %v", err)
	}
}

// The two interrupted-submit rules: at start-up this instance's own leftovers, while running only
// expired leases. A live submit — this instance's own included — is never touched while running.
func TestInterruptedSubmitRules(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	u := mustUser(t, s, "i@example.com")
	newJob(t, s, u.ID, "live", model.StatusSubmitting, "other", time.Now().Add(time.Minute))
	newJob(t, s, u.ID, "dead", model.StatusSubmitting, "other", time.Now().Add(-time.Second))
	newJob(t, s, u.ID, "mine", model.StatusSubmitting, "me", time.Now().Add(time.Minute))
	newJob(t, s, u.ID, "queued", model.StatusQueued, "other", time.Now().Add(-time.Second))
	check := func(when string, want map[string]string) {
		t.Helper()
		for id, st := range want {
			g := status(t, s, id)
			if g.Status != st {
				t.Fatalf("%s: %s is %s, want %s", when, id, g.Status, st)
			}
			if st == model.StatusFailed && (g.ErrorCode != model.CodeInterrupted || g.CompletedAt == nil) {
				t.Fatalf("%s: %s: %+v", when, id, g)
			}
		}
	}
	// The sweep while running: only the expired lease.
	n, err := s.FailExpiredSubmits(ctx, "interrupted")
	if err != nil || n != 1 {
		t.Fatalf("sweep failed %d (%v), want 1", n, err)
	}
	check("after the sweep", map[string]string{"live": model.StatusSubmitting, "dead": model.StatusFailed, "mine": model.StatusSubmitting, "queued": model.StatusQueued})
	// Start-up: this instance's own submits from before the restart.
	n, err = s.FailOwnSubmits(ctx, "me", "interrupted")
	if err != nil || n != 1 {
		t.Fatalf("start-up failed %d (%v), want 1", n, err)
	}
	check("after start-up", map[string]string{"live": model.StatusSubmitting, "mine": model.StatusFailed, "queued": model.StatusQueued})
	newJob(t, s, u.ID, "held", model.StatusRunning, "me", time.Now().Add(time.Minute))
	newJob(t, s, u.ID, "theirs", model.StatusRunning, "other", time.Now().Add(time.Minute))
	if err := s.ReleaseOwnLeases(ctx, "me"); err != nil {
		t.Fatal(err)
	}
	if status(t, s, "held").LeaseOwner != "" || status(t, s, "theirs").LeaseOwner != "other" {
		t.Fatal("ReleaseOwnLeases touched another holder's lease or kept its own")
	}
}

// Claims are fair: every person's first due job before anyone's second, and a per-person cap.
func TestClaimFairPerUserCap(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	heavy, light := mustUser(t, s, "heavy@example.com"), mustUser(t, s, "light@example.com")
	if err := s.SetFalKey(ctx, light.ID, "sealed-light"); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	for i := range 10 {
		newJob(t, s, heavy.ID, fmt.Sprintf("h%d", i), model.StatusQueued, "", past)
	}
	newJob(t, s, light.ID, "l0", model.StatusQueued, "", past)
	if _, err := s.w.ExecContext(ctx, `UPDATE generations SET next_poll_at = 0 WHERE status = 'queued'`); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimDue(ctx, "w1", 4, 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	per := map[int64]int{}
	for _, c := range got {
		per[c.UserID]++
		if c.LeaseOwner != "w1" {
			t.Fatalf("claimed row not leased to w1: %+v", c.Generation)
		}
		if c.UserID == light.ID && c.SealedFalKey != "sealed-light" {
			t.Fatalf("claim carried key %q", c.SealedFalKey)
		}
	}
	if per[light.ID] != 1 || per[heavy.ID] != 2 {
		t.Fatalf("claimed per user %v, want light 1 and heavy 2 (the cap)", per)
	}
	again, err := s.ClaimDue(ctx, "w2", 10, 2, time.Minute)
	if err != nil || len(again) != 0 {
		t.Fatalf("a second replica claimed %d jobs (%v) while the heavy user is at the cap", len(again), err)
	}
}

// A free worker goes to whoever holds the fewest: with two heavy users holding workers and an
// older backlog each, a light user's later job is claimed first.
func TestClaimFavoursFewestHeld(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	x1, x2, y := mustUser(t, s, "x1@example.com"), mustUser(t, s, "x2@example.com"), mustUser(t, s, "y@example.com")
	live := time.Now().Add(time.Hour)
	// x1 holds one worker (its other just finished), x2 holds two (at the cap of 2).
	newJob(t, s, x1.ID, "x1-held", model.StatusRunning, "w", live)
	newJob(t, s, x2.ID, "x2-held0", model.StatusRunning, "w", live)
	newJob(t, s, x2.ID, "x2-held1", model.StatusRunning, "w", live)
	for i := range 4 {
		newJob(t, s, x1.ID, fmt.Sprintf("x1-%d", i), model.StatusQueued, "", time.Time{})
		newJob(t, s, x2.ID, fmt.Sprintf("x2-%d", i), model.StatusQueued, "", time.Time{})
	}
	newJob(t, s, y.ID, "y0", model.StatusQueued, "", time.Time{})
	// The heavy backlog has been due for minutes; the light job just became due.
	old := time.Now().Add(-10 * time.Minute).UnixMilli()
	if _, err := s.w.ExecContext(ctx, `UPDATE generations SET next_poll_at = $1, lease_until = 0 WHERE status = 'queued' AND user_id <> $2`, old, y.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE generations SET next_poll_at = $1, lease_until = 0 WHERE id = 'y0'`, old+60_000); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimDue(ctx, "w", 1, 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "y0" {
		var ids []string
		for _, c := range got {
			ids = append(ids, c.ID)
		}
		t.Fatalf("claimed %v for the one free worker, want the light user's y0", ids)
	}
	// The next free worker goes to x1 (holding one) before x2 (at the cap).
	got, err = s.ClaimDue(ctx, "w", 1, 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].UserID != x1.ID {
		t.Fatalf("second claim %+v, want one of x1's jobs", got)
	}
}

// Nobody is given a worker past their share, workers ÷ people with unfinished jobs: with three
// people and four workers, two heavy users holding one worker each get no second one, so the
// free workers wait for the third person's job.
func TestClaimShare(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	x1, x2, y := mustUser(t, s, "x1@example.com"), mustUser(t, s, "x2@example.com"), mustUser(t, s, "y@example.com")
	live := time.Now().Add(time.Hour)
	newJob(t, s, x1.ID, "x1-held", model.StatusRunning, "w", live)
	newJob(t, s, x2.ID, "x2-held", model.StatusRunning, "w", live)
	for i := range 3 {
		newJob(t, s, x1.ID, fmt.Sprintf("x1-%d", i), model.StatusQueued, "", time.Time{})
		newJob(t, s, x2.ID, fmt.Sprintf("x2-%d", i), model.StatusQueued, "", time.Time{})
	}
	newJob(t, s, y.ID, "y0", model.StatusQueued, "", time.Time{})
	if _, err := s.w.ExecContext(ctx, `UPDATE generations SET next_poll_at = 0, lease_until = 0 WHERE status = 'queued'`); err != nil {
		t.Fatal(err)
	}
	// y's job is not due yet (it waits for fal), but it is unfinished, so y counts.
	if _, err := s.w.ExecContext(ctx, `UPDATE generations SET next_poll_at = $1 WHERE id = 'y0'`, live.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimShare(ctx, "w", 2, 4, 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("claimed %d jobs for people already holding their share (4 workers ÷ 3 people = 1)", len(got))
	}
	// Once y's job is done, two people share four workers: each may hold two.
	if _, err := s.w.ExecContext(ctx, `UPDATE generations SET status = 'succeeded' WHERE id = 'y0'`); err != nil {
		t.Fatal(err)
	}
	got, err = s.ClaimShare(ctx, "w", 2, 4, 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	per := map[int64]int{}
	for _, c := range got {
		per[c.UserID]++
	}
	if per[x1.ID] != 1 || per[x2.ID] != 1 {
		t.Fatalf("claimed per user %v, want one more each for x1 and x2", per)
	}
}

// Replicas claiming at once never take the same job: each of 60 jobs is claimed exactly once.
func TestConcurrentClaimsExclusive(t *testing.T) {
	u := dbtest.URL(t)
	s := openURL(t, u)
	ctx := context.Background()
	users := []*model.User{mustUser(t, s, "a@x.com"), mustUser(t, s, "b@x.com"), mustUser(t, s, "c@x.com")}
	for i := range 60 {
		newJob(t, s, users[i%3].ID, fmt.Sprintf("j%02d", i), model.StatusQueued, "", time.Time{})
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE generations SET next_poll_at = 0, lease_until = 0`); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for r := range 3 {
		rs := openURL(t, u) // each replica its own pool
		holder := fmt.Sprintf("r%d", r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 40 {
				got, err := rs.ClaimDue(ctx, holder, 3, 100, time.Hour)
				if err != nil {
					t.Errorf("%s: %v", holder, err)
					return
				}
				mu.Lock()
				for _, c := range got {
					if prev, dup := seen[c.ID]; dup {
						t.Errorf("%s claimed by %s and %s", c.ID, prev, holder)
					}
					seen[c.ID] = holder
				}
				mu.Unlock()
				if len(got) == 0 {
					mu.Lock()
					done := len(seen) == 60
					mu.Unlock()
					if done {
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != 60 {
		t.Fatalf("%d of 60 jobs claimed", len(seen))
	}
}
