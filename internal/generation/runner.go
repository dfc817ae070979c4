package generation

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // image sizes for the gallery
	_ "image/jpeg"
	_ "image/png"
	"io"
	"math"
	"math/big"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/falstudio/falstudio/internal/events"
	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/secret"
	"github.com/falstudio/falstudio/internal/store"
)

// The runner follows every active generation. The generations table is the queue: rows are
// claimed with a lease that names this instance and expires, so a crashed replica's jobs are
// picked up by another (or by itself after a restart), and a bounded pool of workers advances
// each job one step at a time, renewing the lease while the step runs. Every update of a job is
// a named transition that checks the lease holder (store/generations.go).

const interruptedMsg = "The studio stopped while sending this job to fal. It may have run at fal, so it was not sent again; check fal's dashboard before retrying."

// internalMsg is what a person sees for a fault of the studio's own (logged with details).
const internalMsg = "Something went wrong in the studio while working on this job. It was not retried; try again, and tell the operator if it happens again."

// errLeaseLost ends a step whose lease another worker took over.
var errLeaseLost = errors.New("generation: lease lost")

// Recover prepares the queue at start-up, before the server accepts requests: this instance's own
// jobs caught mid-submit by a crash, and any whose submitter's lease expired, end as interrupted
// (never resent: fal has no idempotency key); leases this instance held before a restart are
// released so its jobs resume at once. Other replicas' live leases are never touched.
func (s *Service) Recover(ctx context.Context) error {
	if err := s.failInterrupted(ctx); err != nil {
		return err
	}
	return s.st.ReleaseOwnLeases(ctx, s.instance)
}

func (s *Service) failInterrupted(ctx context.Context) error {
	n, err := s.st.FailInterrupted(ctx, s.instance, interruptedMsg)
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Warn("generations interrupted mid-submit", "count", n)
	}
	return nil
}

// Wake makes the runner look for due work now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run follows jobs until ctx ends. In-flight steps finish (or are cut by ctx) and leave their
// rows resumable; nothing is marked failed because of a shutdown.
func (s *Service) Run(ctx context.Context) {
	sem := make(chan struct{}, s.opts.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() { defer wg.Done(); s.runJournal(ctx) }() // power: the event journal writer (journal.go)
	// Housekeeping (delete retries, the orphan sweep, re-syncing local files to S3, submits a
	// dead replica left behind) may upload large files: it runs beside the job loop.
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.housekeeping(ctx)
			}
		}
	}()
	for {
		free := s.opts.Concurrency - len(sem)
		if free > 0 {
			jobs, err := s.st.ClaimDue(ctx, s.instance, free, s.opts.PerUser, s.opts.Lease)
			if err != nil && ctx.Err() == nil {
				s.log.Error("runner: claim failed", "err", err)
			}
			for _, j := range jobs {
				sem <- struct{}{}
				wg.Add(1)
				s.opts.Metrics.JobsInFlight(1)
				go func() {
					defer func() { <-sem; s.opts.Metrics.JobsInFlight(-1); wg.Done(); s.Wake() }()
					s.work(ctx, j)
				}()
			}
		}
		wait := s.opts.PollMax
		if next, err := s.st.NextDue(ctx); err == nil && !next.IsZero() {
			wait = min(max(time.Until(next), 5*time.Millisecond), s.opts.PollMax)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// work runs one step of a claimed job while keeping its lease alive. A panic fails that job as
// internal and leaves the process serving.
func (s *Service) work(ctx context.Context, j store.Claimed) {
	g := j.Generation
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		s.keepLease(sctx, cancel, g.ID)
	}()
	defer func() { cancel(nil); <-renewed }()
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("runner: a job step panicked", "generation_id", g.ID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			s.fail(context.WithoutCancel(ctx), g, model.CodeInternal, internalMsg)
		}
	}()
	if s.opts.BeforeStep != nil {
		s.opts.BeforeStep(g)
	}
	s.step(sctx, g, j.SealedFalKey)
}

// keepLease renews the lease every third of its length until ctx ends; when the lease is lost
// (another worker took the job over after an expiry) it cancels the step.
func (s *Service) keepLease(ctx context.Context, cancel context.CancelCauseFunc, id string) {
	t := time.NewTicker(s.opts.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ok, err := s.st.RenewLease(ctx, id, s.instance, s.now().Add(s.opts.Lease))
			if err != nil && ctx.Err() == nil {
				s.log.Warn("runner: lease renewal failed", "generation_id", id, "err", err)
				continue // try again at the next tick; the lease still has two thirds left
			}
			if !ok && ctx.Err() == nil {
				s.log.Warn("runner: lease lost; stopping this step", "generation_id", id)
				cancel(errLeaseLost)
				return
			}
		}
	}
}

// step advances one claimed job by one stage. Every path ends the lease: a transition releases
// it, or a back-off does, or (shutdown, lost lease) ReleaseLease.
func (s *Service) step(ctx context.Context, g *model.Generation, sealedKey string) {
	defer func(phase string, start time.Time) { s.opts.Metrics.JobPhase(phase, time.Since(start)) }(g.Status, time.Now())
	var err error
	switch g.Status {
	case model.StatusQueued, model.StatusRunning:
		err = s.follow(ctx, g, sealedKey)
	case model.StatusSaving:
		err = s.save(ctx, g)
	}
	if err == nil {
		return
	}
	if ctx.Err() != nil {
		// Shutdown or a lost lease: leave the row as it is; whoever holds it next resumes it.
		_, _ = s.st.ReleaseLease(context.WithoutCancel(ctx), g.ID, s.instance)
		return
	}
	code, msg := classify(err)
	if fe := (*fal.Error)(nil); errors.As(err, &fe) {
		s.opts.Metrics.FalError(fe.Code)
	}
	// A transient failure (fal or the provider's file host unreachable) is retried with backoff
	// until failures have lasted GiveUpAfter without a success in between — a long queue at fal
	// is no failure. Anything else (a verdict, or a fault of our own) ends the job now.
	since := g.FailingSince
	if since.IsZero() {
		since = s.now()
	}
	if transient(err) && s.now().Sub(since) < s.opts.GiveUpAfter {
		failures := g.Failures + 1
		next := s.now().Add(backoff(failures, s.opts.PollMin, time.Minute))
		s.log.Warn("runner: step failed; will retry", "generation_id", g.ID, "failures", failures, "err", err)
		if _, err := s.st.BackOff(ctx, g.ID, s.instance, failures, since, next); err != nil {
			s.log.Error("runner: back off not recorded", "generation_id", g.ID, "err", err)
		}
		return
	}
	if code == model.CodeInternal {
		s.log.Error("runner: job failed on an internal error", "generation_id", g.ID, "err", err)
	} else {
		s.log.Info("generation failed", "generation_id", g.ID, "code", code)
	}
	s.fail(ctx, g, code, msg)
}

// transient reports failures worth retrying: fal or the provider's file host unreachable. A
// verdict (invalid input, moderation, an unsafe or oversized file) and any fault of the studio's
// own (database, disk) are not.
func transient(err error) bool {
	var fe *fal.Error
	if errors.As(err, &fe) {
		return fe.Code == fal.CodeUnavailable
	}
	return errors.Is(err, media.ErrDownload)
}

// backoff grows exponentially from base to limit, with full jitter.
func backoff(attempt int, base, limit time.Duration) time.Duration {
	d := float64(base) * math.Pow(2, float64(min(attempt, 20)))
	if d > float64(limit) {
		d = float64(limit)
	}
	j, _ := rand.Int(rand.Reader, big.NewInt(int64(d)/2+1))
	return time.Duration(d/2) + time.Duration(j.Int64())
}

// fail ends a job the runner holds as failed.
func (s *Service) fail(ctx context.Context, g *model.Generation, code, msg string) {
	if _, err := s.st.MarkFailed(context.WithoutCancel(ctx), g.ID, s.instance, code, msg); err != nil {
		s.log.Error("runner: failing a job not recorded", "generation_id", g.ID, "err", err)
	} else {
		s.opts.Metrics.JobFinished(model.StatusFailed, g.Model, s.now().Sub(g.CreatedAt))
	}
	s.changed(g)
}

// canceled ends a job fal stopped after a cancel request.
func (s *Service) canceled(ctx context.Context, g *model.Generation) {
	if _, err := s.st.MarkCanceled(context.WithoutCancel(ctx), g.ID, s.instance); err != nil {
		s.log.Error("runner: cancel not recorded", "generation_id", g.ID, "err", err)
	} else {
		s.opts.Metrics.JobFinished(model.StatusCanceled, g.Model, s.now().Sub(g.CreatedAt))
	}
	s.changed(g)
}

// changed tells the event streams (on every replica) that g changed.
func (s *Service) changed(g *model.Generation) {
	s.publish(events.Change{UserID: g.UserID, GenerationID: g.ID}) // power: journaled, then published (journal.go)
}

// falKey opens the sealed key a claim read with the job. Decrypted keys are cached by their
// sealed value, so following a job does not decrypt on every poll, and a key the person
// replaced (a new sealed value) is never used again.
func (s *Service) falKey(userID int64, sealed string) (secret.Secret, error) {
	s.keysMu.Lock()
	if k, ok := s.keys[userID]; ok && k.sealed == sealed {
		s.keysMu.Unlock()
		return k.key, nil
	}
	s.keysMu.Unlock()
	k, err := s.accounts.OpenFalKey(userID, sealed)
	if err != nil {
		return secret.Secret{}, err
	}
	s.keysMu.Lock()
	if len(s.keys) >= 1024 { // bounded: a simple reset is enough at this size
		clear(s.keys)
	}
	s.keys[userID] = cachedKey{sealed: sealed, key: k}
	s.keysMu.Unlock()
	return k, nil
}

type cachedKey struct {
	sealed string
	key    secret.Secret
}

// follow polls fal's status; on completion it fetches the result, plans the outputs and saves.
func (s *Service) follow(ctx context.Context, g *model.Generation, sealedKey string) error {
	key, err := s.falKey(g.UserID, sealedKey)
	if err != nil {
		return err
	}
	st, err := s.fal.Status(ctx, key.Reveal(), g.Model, g.FalRequestID)
	if err != nil {
		return err
	}
	logs := mergeLogs(g.Logs, st.Logs)
	if st.State != fal.StateCompleted {
		status := model.StatusQueued
		if st.State == fal.StateInProgress {
			status = model.StatusRunning
		}
		polls := g.Attempts + 1
		next := s.now().Add(min(s.opts.PollMin*time.Duration(1+polls/4), s.opts.PollMax))
		moved, err := s.st.MarkPolled(ctx, g.ID, s.instance, status, st.QueuePosition, logs, polls, next)
		if err != nil {
			return err
		}
		if moved && (status != g.Status || !samePos(st.QueuePosition, g.QueuePosition) || len(logs) != len(g.Logs)) {
			s.changed(g)
		}
		return nil
	}
	if st.Error != "" {
		// An infrastructure failure fal reports on the status itself.
		if g.CancelAsked {
			s.canceled(ctx, g)
			return nil
		}
		s.fail(ctx, g, fal.CodeUnavailable, "fal could not run this job: "+st.Error)
		return nil
	}
	result, err := s.fal.Result(ctx, key.Reveal(), g.Model, g.FalRequestID)
	if err != nil {
		var fe *fal.Error
		if g.CancelAsked && (!transient(err) || errors.As(err, &fe) && fe.Status != 0) {
			s.canceled(ctx, g)
			return nil
		}
		return err
	}
	outs := fal.ExtractOutputs(result)
	if len(outs) == 0 {
		s.fail(ctx, g, model.CodeUnsafeOutput, "The model finished but returned no image, video or audio file.")
		return nil
	}
	plan := make([]store.Output, len(outs))
	for i, o := range outs {
		plan[i] = store.Output{GenerationID: g.ID, Index: i, AssetID: newID(), SourceURL: o.URL}
	}
	if err := s.st.PlanOutputs(ctx, plan); err != nil {
		return err
	}
	moved, err := s.st.MarkSaving(ctx, g.ID, s.instance, logs, result)
	if err != nil {
		return err
	}
	if !moved {
		return nil // canceled meanwhile, or the lease went to another worker
	}
	s.changed(g)
	g.Status, g.ResultJSON = model.StatusSaving, result
	return s.save(ctx, g)
}

func samePos(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// mergeLogs appends new fal log lines, keeping the last 200.
func mergeLogs(have []model.LogLine, fresh []fal.Log) []model.LogLine {
	out := append([]model.LogLine{}, have...)
	seen := map[model.LogLine]bool{}
	for _, l := range have {
		seen[l] = true
	}
	for _, l := range fresh {
		ll := model.LogLine{Time: l.Timestamp, Message: strings.TrimSpace(l.Message)}
		if ll.Message == "" || seen[ll] {
			continue
		}
		seen[ll] = true
		out = append(out, ll)
	}
	if len(out) > 200 {
		out = out[len(out)-200:]
	}
	return out
}

// save stores every planned output. Each output's key is chosen and saved before its upload, and
// its asset row can be inserted only once, so a save resumed after a crash rewrites the same
// objects and never duplicates an asset.
func (s *Service) save(ctx context.Context, g *model.Generation) error {
	outs, err := s.st.Outputs(ctx, g.ID)
	if err != nil {
		return err
	}
	existing, err := s.st.AssetsOfGeneration(ctx, g.UserID, g.ID)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	var jobBytes int64
	for _, a := range existing[g.ID] {
		have[a.ID] = true
		jobBytes += a.Bytes
	}
	var failed error
	saved, fellBack := len(have), false
	for _, a := range existing[g.ID] {
		fellBack = fellBack || (s.storage.S3Configured() && a.Storage == model.StorageLocal)
	}
	for _, o := range outs {
		if have[o.AssetID] {
			continue
		}
		limit, err := s.saveLimit(ctx, g.UserID, jobBytes)
		if err != nil {
			return err
		}
		a, fb, err := s.saveOutput(ctx, g, o, limit)
		if err != nil {
			if transient(err) || ctx.Err() != nil {
				return err
			}
			s.log.Warn("output not saved", "generation_id", g.ID, "index", o.Index, "err", err)
			failed = err
			if errors.Is(err, errQuota) || errors.Is(err, media.ErrTooLarge) {
				break // the next output cannot fit either
			}
			continue
		}
		saved++
		jobBytes += a.Bytes
		fellBack = fellBack || fb
		s.changed(g)
	}
	if saved == 0 {
		code, msg := classify(failed)
		s.fail(ctx, g, code, msg)
		return nil
	}
	notice := ""
	if fellBack {
		notice = model.NoticeSavedLocally
	}
	if _, err := s.st.MarkSucceeded(ctx, g.ID, s.instance, notice); err != nil {
		return err
	}
	s.log.Info("generation succeeded", "generation_id", g.ID, "assets", saved, "saved_locally", fellBack)
	s.opts.Metrics.JobFinished(model.StatusSucceeded, g.Model, s.now().Sub(g.CreatedAt))
	s.changed(g)
	return nil
}

// errQuota: saving the file would take the person past STORAGE_QUOTA_MB.
var errQuota = model.Errf(model.CodeQuotaExceeded, "Your storage quota is full, so this result could not be saved. Delete some files from the gallery and run it again.")

// saveLimit is how many more bytes this job may store: the per-job cap less what it stored,
// and, with a storage quota, what is left of the person's quota. The error for hitting each
// limit is returned with it.
type saveLimit struct {
	n   int64
	err error
}

func (s *Service) saveLimit(ctx context.Context, userID int64, jobBytes int64) (saveLimit, error) {
	l := saveLimit{n: s.opts.MaxJobBytes - jobBytes, err: media.ErrTooLarge}
	if s.opts.StorageQuotaBytes > 0 {
		used, err := s.st.UserBytes(ctx, userID)
		if err != nil {
			return l, err
		}
		if left := s.opts.StorageQuotaBytes - used; left < l.n {
			l = saveLimit{n: left, err: errQuota}
		}
	}
	if l.n <= 0 {
		return l, l.err
	}
	return l, nil
}

// capReader fails with err once more than n bytes were read: the file is refused, never
// truncated.
type capReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *capReader) Read(p []byte) (int, error) {
	if int64(len(p)) > c.n+1 {
		p = p[:c.n+1]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	if c.n < 0 {
		return 0, c.err
	}
	return n, err
}

// saveOutput streams one provider file into storage and records its asset.
func (s *Service) saveOutput(ctx context.Context, g *model.Generation, o store.Output, limit saveLimit) (*model.Asset, bool, error) {
	dl, err := s.fetcher.Fetch(ctx, o.SourceURL)
	if err != nil {
		return nil, false, err
	}
	defer dl.Body.Close()
	if dl.Size > limit.n {
		return nil, false, limit.err
	}
	key := o.StorageKey
	if key == "" {
		key = media.ObjectKey(g.UserID, dl.Kind, g.Prompt, o.AssetID, dl.ContentType, s.now())
		// Saved before the upload: a retry writes this same object.
		if err := s.st.SetOutputKey(ctx, g.ID, o.Index, key, ""); err != nil {
			return nil, false, err
		}
	}
	head := &headCapture{max: 64 << 10}
	body := &capReader{r: io.TeeReader(dl.Body, head), n: limit.n, err: limit.err}
	res, err := s.storage.Save(ctx, key, body, dl.Size, dl.ContentType)
	if err != nil {
		return nil, false, fmt.Errorf("generation: store output: %w", err)
	}
	if err := s.st.SetOutputKey(ctx, g.ID, o.Index, key, res.Storage); err != nil {
		return nil, false, err
	}
	w, h := 0, 0
	if dl.Kind == model.KindImage {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(head.buf)); err == nil {
			w, h = cfg.Width, cfg.Height
		}
	}
	a := &model.Asset{ID: o.AssetID, UserID: g.UserID, GenerationID: g.ID, Model: g.Model, Prompt: g.Prompt, Kind: dl.Kind,
		StorageKey: key, Storage: res.Storage, ContentType: dl.ContentType, Bytes: res.Bytes, Width: w, Height: h, Params: g.Params}
	if res.Storage == model.StorageLocal {
		a.LocalHolder = s.instance // with several replicas, only this one has the file
	}
	if res.Storage == model.StorageS3 && s.publicBase != "" {
		a.StorageURL = s.publicBase + "/" + media.EscapeKey(key)
	}
	if _, err := s.st.InsertAsset(ctx, a); err != nil {
		// The row did not land: remove the object so nothing is left that no asset owns.
		if derr := s.storage.Delete(context.WithoutCancel(ctx), res.Storage, key); derr != nil {
			s.log.Warn("orphan object left for the sweep", "key", key, "err", derr)
		}
		return nil, false, err
	}
	// library (issue 12): the output joins the collection named at submit, if any. A failure
	// here keeps the asset (the save succeeded) and is only logged.
	if err := s.st.AddOutputToCollection(ctx, g.ID, a.ID); err != nil {
		s.log.Warn("output not added to its collection", "generation_id", g.ID, "asset_id", a.ID, "err", err)
	}
	// thumbs (issue 15): the preview is made once the row exists; it never fails the save.
	if s.opts.AfterAssetSaved != nil {
		s.opts.AfterAssetSaved(ctx, a)
	}
	return a, res.FellBack, nil
}

// housekeeping retries failed deletes, removes orphaned objects and moves local files to S3.
func (s *Service) housekeeping(ctx context.Context) {
	if err := s.failInterrupted(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("interrupted-submit sweep failed", "err", err)
	}
	s.RetryDeletes(ctx)
	s.SweepOrphans(ctx, s.now().Add(-10*time.Minute))
	if s.storage.S3Configured() {
		s.ResyncLocal(ctx)
	}
}

// RetryDeletes retries object deletes that failed, with growing intervals; it returns how many
// objects are now gone.
func (s *Service) RetryDeletes(ctx context.Context) int {
	dels, err := s.st.DuePendingDeletes(ctx, 100)
	if err != nil {
		return 0
	}
	done := 0
	for _, d := range dels {
		if err := s.storage.Delete(ctx, d.Storage, d.Key); err != nil {
			_ = s.st.AddPendingDelete(ctx, d.Storage, d.Key, s.now().Add(backoff(d.Attempts+1, s.opts.PollMax, 6*time.Hour)))
			continue
		}
		if err := s.st.DonePendingDelete(ctx, d.Storage, d.Key); err == nil {
			done++
		}
	}
	return done
}

// SweepOrphans deletes objects of outputs that no asset owns, for jobs finished before cutoff.
func (s *Service) SweepOrphans(ctx context.Context, cutoff time.Time) int {
	orphans, err := s.st.OrphanOutputs(ctx, cutoff, 100)
	if err != nil {
		s.log.Warn("orphan sweep failed", "err", err)
		return 0
	}
	n := 0
	for _, o := range orphans {
		storages := []string{o.Storage}
		if o.Storage == "" { // the upload may have been cut before its backend was recorded
			storages = []string{model.StorageLocal, model.StorageS3}
		}
		ok := true
		for _, st := range storages {
			if st == model.StorageS3 && !s.storage.S3Configured() {
				continue
			}
			if err := s.storage.Delete(ctx, st, o.StorageKey); err != nil {
				ok = false
			}
		}
		if ok {
			_ = s.st.ClearOutputKey(ctx, o.GenerationID, o.Index)
			n++
		}
	}
	return n
}

// ResyncLocal moves assets kept on local disk (after an S3 outage) to S3: upload, verify the
// size, update the row, then delete the local file — in that order, so a crash loses nothing.
func (s *Service) ResyncLocal(ctx context.Context) int {
	assets, err := s.st.LocalAssets(ctx, s.instance, 50)
	if err != nil {
		return 0
	}
	moved := 0
	for _, a := range assets {
		url := ""
		err := s.storage.MoveToS3(ctx, a.StorageKey, a.ContentType, a.Bytes, func() error {
			if s.publicBase != "" {
				url = s.publicBase + "/" + media.EscapeKey(a.StorageKey)
			}
			return s.st.MoveAsset(ctx, a.ID, model.StorageS3, url)
		})
		if err != nil {
			s.log.Info("re-sync to S3 postponed", "asset_id", a.ID, "err", err)
			return moved // S3 is likely still down; try again later
		}
		moved++
	}
	if moved > 0 {
		s.log.Info("local files moved to S3", "count", moved)
	}
	return moved
}

// headCapture keeps the first bytes of a stream (enough to read an image's size).
type headCapture struct {
	buf []byte
	max int
}

func (h *headCapture) Write(p []byte) (int, error) {
	if room := h.max - len(h.buf); room > 0 {
		h.buf = append(h.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
