package generation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/falstudio/falstudio/internal/backoff"
	"github.com/falstudio/falstudio/internal/cleaner"
	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/falkey"
	"github.com/falstudio/falstudio/internal/journal"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// The runner follows every active generation. The generations table is the queue: rows are
// claimed with a lease that names this instance and expires, so a crashed replica's jobs are
// picked up by another (or by itself after a restart), and a bounded pool of workers advances
// each job one step at a time, renewing the lease while the step runs. Every update of a job is
// a named transition that checks the lease holder; one that finds its guard unmet moves nothing
// and is logged as a conflict with the row's actual state (store.ErrStale), never as a success.

// sweepEvery is how often submits whose submitter died are failed as interrupted.
const sweepEvery = time.Minute

// Runner is the durable worker pool.
type Runner struct {
	st      *store.Store
	keys    *falkey.Keys
	fal     *fal.Client
	storage *media.Storage
	fetcher *media.Fetcher
	cleaner *cleaner.Cleaner
	journal *journal.Journal
	log     *slog.Logger
	now     func() time.Time
	opts    Options
	wake    chan struct{}
}

// NewRunner builds the runner.
func NewRunner(st *store.Store, keys *falkey.Keys, fc *fal.Client, storage *media.Storage, fetcher *media.Fetcher, cl *cleaner.Cleaner, j *journal.Journal, o Options) *Runner {
	o = o.withDefaults()
	return &Runner{st: st, keys: keys, fal: fc, storage: storage, fetcher: fetcher, cleaner: cl, journal: j, log: o.Logger, now: o.Now, opts: o,
		wake: make(chan struct{}, 1)}
}

// Instance is the name this process's leases carry.
func (r *Runner) Instance() string { return r.opts.Instance }

// Recover prepares the queue at start-up, before the server accepts requests: this instance's own
// jobs caught mid-submit by a crash (and any whose submitter's lease expired) end as interrupted
// — never resent: fal has no idempotency key — and leases this instance held before a restart
// are released so its jobs resume at once. Other replicas' live leases are never touched.
func (r *Runner) Recover(ctx context.Context) error {
	n, err := r.st.FailOwnSubmits(ctx, r.opts.Instance, interruptedMsg)
	if err != nil {
		return err
	}
	if n > 0 {
		r.log.Warn("generations interrupted mid-submit by a restart", "count", n)
	}
	if err := r.SweepInterrupted(ctx); err != nil {
		return err
	}
	return r.st.ReleaseOwnLeases(ctx, r.opts.Instance)
}

// SweepInterrupted fails the submits whose submitter's lease expired (a replica died while fal
// answered). It runs every minute; a live submit, this instance's own included, renews its
// lease and is never touched.
func (r *Runner) SweepInterrupted(ctx context.Context) error {
	n, err := r.st.FailExpiredSubmits(ctx, interruptedMsg)
	if err != nil {
		return err
	}
	if n > 0 {
		r.log.Warn("generations interrupted mid-submit by a replica that stopped", "count", n)
	}
	return nil
}

// Wake makes the runner look for due work now.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run follows jobs until ctx ends. In-flight steps finish (or are cut by ctx) and leave their
// rows resumable; nothing is marked failed because of a shutdown.
func (r *Runner) Run(ctx context.Context) {
	sem := make(chan struct{}, r.opts.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	sweep := time.NewTicker(sweepEvery)
	defer sweep.Stop()
	for {
		if free := r.opts.Concurrency - len(sem); free > 0 {
			jobs, err := r.st.ClaimShare(ctx, r.opts.Instance, free, r.opts.Concurrency, r.opts.PerUser, r.opts.Lease)
			if err != nil && ctx.Err() == nil {
				r.log.Error("runner: claim failed", "err", err)
			}
			for _, j := range jobs {
				sem <- struct{}{}
				wg.Add(1)
				r.opts.Metrics.JobsInFlight(1)
				go func() {
					defer func() { <-sem; r.opts.Metrics.JobsInFlight(-1); wg.Done(); r.Wake() }()
					r.work(ctx, j)
				}()
			}
		}
		wait := r.opts.PollMax
		if next, err := r.st.NextDue(ctx); err == nil && !next.IsZero() {
			wait = min(max(time.Until(next), 5*time.Millisecond), r.opts.PollMax)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-sweep.C:
			if err := r.SweepInterrupted(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("interrupted-submit sweep failed", "err", err)
			}
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// work runs one step of a claimed job while keeping its lease alive. A panic fails that job as
// internal and leaves the process serving.
func (r *Runner) work(ctx context.Context, j store.Claimed) {
	g := j.Generation
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		r.keepLease(sctx, cancel, g.ID)
	}()
	defer func() { cancel(nil); <-renewed }()
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("runner: a job step panicked", "generation_id", g.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			r.fail(context.WithoutCancel(ctx), g, model.CodeInternal, internalMsg)
		}
	}()
	if r.opts.BeforeStep != nil {
		r.opts.BeforeStep(g)
	}
	r.step(sctx, g, j.SealedFalKey)
}

// whileLeased runs fn while renewing g's lease (the submit pipeline's wait for fal).
func (r *Runner) whileLeased(ctx context.Context, id string, fn func(context.Context) (*fal.Submitted, error)) (*fal.Submitted, error) {
	lctx, stop := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() { defer close(done); r.keepLease(lctx, stop, id) }()
	sub, err := fn(ctx)
	stop(nil)
	<-done
	return sub, err
}

// keepLease renews the lease every third of its length until ctx ends; when the lease is lost
// (another worker took the job over after an expiry) it cancels the step.
func (r *Runner) keepLease(ctx context.Context, cancel context.CancelCauseFunc, id string) {
	t := time.NewTicker(r.opts.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := r.st.RenewLease(ctx, id, r.opts.Instance, r.now().Add(r.opts.Lease))
			switch {
			case err == nil || ctx.Err() != nil:
			case errors.Is(err, store.ErrStale):
				r.log.Warn("runner: lease lost; stopping this step", "generation_id", id, "err", err)
				cancel(errLeaseLost)
				return
			default:
				// Try again at the next tick; the lease still has two thirds left.
				r.log.Warn("runner: lease renewal failed", "generation_id", id, "err", err)
			}
		}
	}
}

// step advances one claimed job by one stage. Every path ends the lease: a transition releases
// it, or a back-off does, or (shutdown, lost lease) ReleaseLease.
func (r *Runner) step(ctx context.Context, g *model.Generation, sealedKey string) {
	defer func(phase string, start time.Time) { r.opts.Metrics.JobPhase(phase, time.Since(start)) }(g.Status, time.Now())
	var err error
	switch {
	case isLocal(g):
		err = r.stitch(ctx, g)
	case g.Status == model.StatusQueued || g.Status == model.StatusRunning:
		err = r.follow(ctx, g, sealedKey)
	case g.Status == model.StatusSaving:
		err = r.save(ctx, g)
	}
	if err == nil {
		return
	}
	if ctx.Err() != nil {
		// Shutdown or a lost lease: leave the row as it is; whoever holds it next resumes it.
		if err := r.st.ReleaseLease(context.WithoutCancel(ctx), g.ID, r.opts.Instance); err != nil {
			r.transitionFailed("release", g, err)
		}
		return
	}
	code, msg := Describe(err)
	if fe := (*fal.Error)(nil); errors.As(err, &fe) {
		r.opts.Metrics.FalError(fe.Code)
	}
	// A transient failure (fal or the provider's file host unreachable) is retried with backoff
	// until failures have lasted GiveUpAfter without a success in between — a long queue at fal
	// is no failure. Anything else (a verdict, or a fault of our own) ends the job now.
	since := g.FailingSince
	if since.IsZero() {
		since = r.now()
	}
	if transient(err) && r.now().Sub(since) < r.opts.GiveUpAfter {
		failures := g.Failures + 1
		next := r.now().Add(backoff.Delay(failures, r.opts.PollMin, time.Minute))
		r.log.Warn("runner: step failed; will retry", "generation_id", g.ID, "failures", failures, "err", err)
		if err := r.st.BackOff(ctx, g.ID, r.opts.Instance, failures, since, next); err != nil {
			r.transitionFailed("back off", g, err)
		}
		return
	}
	if code == model.CodeInternal {
		r.log.Error("runner: job failed on an internal error", "generation_id", g.ID, "err", err)
	} else {
		r.log.Info("generation failed", "generation_id", g.ID, "code", code)
	}
	r.fail(ctx, g, code, msg)
}

// transitionFailed logs a transition that did not apply: a conflict (the row moved meanwhile —
// canceled by its owner, or taken over after a lost lease; the error names its actual state),
// or a database failure.
func (r *Runner) transitionFailed(name string, g *model.Generation, err error) {
	if errors.Is(err, store.ErrStale) {
		r.log.Info("runner: job changed meanwhile; "+name+" not applied", "generation_id", g.ID, "err", err)
		return
	}
	r.log.Error("runner: "+name+" not recorded", "generation_id", g.ID, "err", err)
}

// fail ends a job this instance holds as failed; only a job that really moved is counted.
func (r *Runner) fail(ctx context.Context, g *model.Generation, code, msg string) {
	if err := r.st.MarkFailed(context.WithoutCancel(ctx), g.ID, r.opts.Instance, code, msg); err != nil {
		r.transitionFailed("failing the job", g, err)
		return
	}
	g.Status, g.ErrorCode, g.ErrorMessage = model.StatusFailed, code, msg
	r.opts.Metrics.JobFinished(model.StatusFailed, g.Model, r.now().Sub(g.CreatedAt))
	r.changed(g)
}

// canceled ends a job fal stopped after a cancel request.
func (r *Runner) canceled(ctx context.Context, g *model.Generation) {
	if err := r.st.MarkCanceled(context.WithoutCancel(ctx), g.ID, r.opts.Instance); err != nil {
		r.transitionFailed("cancel", g, err)
		return
	}
	r.opts.Metrics.JobFinished(model.StatusCanceled, g.Model, r.now().Sub(g.CreatedAt))
	r.changed(g)
}

// changed journals that g changed; the journal wakes the event streams on every replica.
func (r *Runner) changed(g *model.Generation) { r.journal.Changed(g.UserID, g.ID) }
