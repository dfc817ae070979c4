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
	"strings"
	"sync"
	"time"

	"github.com/falstudio/falstudio/internal/events"
	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// The runner follows every active generation. The generations table is the queue: rows are
// claimed with a lease, so a crashed run's jobs are picked up again after a restart, and a
// bounded pool of workers advances each job one step at a time.

// Recover prepares the queue at start-up, before the server accepts requests: jobs caught
// mid-submit end as interrupted (never resent: fal has no idempotency key), and leases held by
// the previous run are released so its jobs resume at once.
func (s *Service) Recover(ctx context.Context) error {
	n, err := s.st.FailInterrupted(ctx, "The studio stopped while sending this job to fal. It may have run at fal, so it was not sent again; check fal's dashboard before retrying.")
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Warn("generations interrupted mid-submit", "count", n)
	}
	return s.st.ReleaseAllLeases(ctx)
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
	owner := newID()
	sem := make(chan struct{}, s.opts.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	// Housekeeping (delete retries, the orphan sweep, re-syncing local files to S3) may upload
	// large files: it runs beside the job loop, never in its way.
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
			jobs, err := s.st.ClaimDue(ctx, owner, free, s.opts.Lease)
			if err != nil && ctx.Err() == nil {
				s.log.Error("runner: claim failed", "err", err)
			}
			for _, g := range jobs {
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer func() { <-sem; wg.Done(); s.Wake() }()
					s.step(ctx, g)
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

// step advances one claimed job by one stage and always releases its lease.
func (s *Service) step(ctx context.Context, g *model.Generation) {
	var err error
	switch g.Status {
	case model.StatusQueued, model.StatusRunning:
		err = s.follow(ctx, g)
	case model.StatusSaving:
		err = s.save(ctx, g)
	}
	if err == nil {
		if g.Failures > 0 { // the run of failures is over
			_, _ = s.st.UpdateGeneration(ctx, g.ID, store.GenerationUpdate{Failures: ptr(0), FailingSince: &time.Time{}})
		}
		return
	}
	if ctx.Err() != nil {
		// Shutdown: leave the row as it is; the next start resumes it.
		_, _ = s.st.UpdateGeneration(context.WithoutCancel(ctx), g.ID, store.GenerationUpdate{ReleaseLease: true})
		return
	}
	code, msg := classify(err)
	// A transient failure (fal or storage unreachable) is retried with backoff until failures
	// have lasted GiveUpAfter without a success in between — a long queue at fal is no failure.
	since := g.FailingSince
	if since.IsZero() {
		since = s.now()
	}
	if transient(err) && s.now().Sub(since) < s.opts.GiveUpAfter {
		failures := g.Failures + 1
		next := s.now().Add(backoff(failures, s.opts.PollMin, time.Minute))
		s.log.Warn("runner: step failed; will retry", "generation_id", g.ID, "failures", failures, "err", err)
		_, _ = s.st.UpdateGeneration(ctx, g.ID, store.GenerationUpdate{Failures: &failures, FailingSince: &since, NextPollAt: &next, ReleaseLease: true})
		return
	}
	s.log.Info("generation failed", "generation_id", g.ID, "code", code)
	s.finish(ctx, g, model.StatusFailed, code, msg)
}

// transient reports failures worth retrying: fal or storage unreachable, not a verdict.
func transient(err error) bool {
	var fe *fal.Error
	if errors.As(err, &fe) {
		return fe.Code == fal.CodeUnavailable
	}
	var me *model.Error
	if errors.As(err, &me) || errors.Is(err, media.ErrUnsafeOutput) || errors.Is(err, media.ErrOutputExpired) {
		return false
	}
	return true
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

func (s *Service) finish(ctx context.Context, g *model.Generation, status, code, msg string) {
	id := g.ID
	u := store.GenerationUpdate{Status: &status, ReleaseLease: true, OnlyIfStatus: []string{model.StatusSubmitting, model.StatusQueued, model.StatusRunning, model.StatusSaving}}
	if code != "" {
		u.ErrorCode, u.ErrorMessage = &code, &msg
	}
	if _, err := s.st.UpdateGeneration(context.WithoutCancel(ctx), id, u); err != nil {
		s.log.Error("runner: finish failed", "generation_id", id, "err", err)
	}
	s.changed(g)
}

// changed tells the event streams (on every replica) that g changed.
func (s *Service) changed(g *model.Generation) {
	s.record(g.UserID, g.ID) // power: journal first, so a woken per-person stream finds the change
	s.events.Publish(events.Change{UserID: g.UserID, GenerationID: g.ID})
}

// follow polls fal's status; on completion it fetches the result, plans the outputs and saves.
func (s *Service) follow(ctx context.Context, g *model.Generation) error {
	key, err := s.accounts.FalKey(ctx, g.UserID)
	if err != nil {
		return err
	}
	st, err := s.fal.Status(ctx, key.Reveal(), g.Model, g.FalRequestID)
	if err != nil {
		return err
	}
	if st.State != fal.StateCompleted {
		status := model.StatusQueued
		if st.State == fal.StateInProgress {
			status = model.StatusRunning
		}
		logs := mergeLogs(g.Logs, st.Logs)
		polls := g.Attempts + 1
		next := s.now().Add(min(s.opts.PollMin*time.Duration(1+polls/4), s.opts.PollMax))
		u := store.GenerationUpdate{Status: &status, QueuePosition: ptr(st.QueuePosition), Logs: logs, NextPollAt: &next,
			Attempts: &polls, ReleaseLease: true, OnlyIfStatus: []string{model.StatusQueued, model.StatusRunning}}
		if _, err := s.st.UpdateGeneration(ctx, g.ID, u); err != nil {
			return err
		}
		if status != g.Status || !samePos(st.QueuePosition, g.QueuePosition) || len(logs) != len(g.Logs) {
			s.changed(g)
		}
		return nil
	}
	logs := mergeLogs(g.Logs, st.Logs)
	if st.Error != "" {
		// An infrastructure failure fal reports on the status itself.
		if g.CancelAsked {
			s.finish(ctx, g, model.StatusCanceled, "", "")
			return nil
		}
		s.finish(ctx, g, model.StatusFailed, fal.CodeUnavailable, "fal could not run this job: "+st.Error)
		return nil
	}
	result, err := s.fal.Result(ctx, key.Reveal(), g.Model, g.FalRequestID)
	if err != nil {
		var fe *fal.Error
		if g.CancelAsked && (!transient(err) || errors.As(err, &fe) && fe.Status != 0) {
			s.finish(ctx, g, model.StatusCanceled, "", "")
			return nil
		}
		return err
	}
	outs := fal.ExtractOutputs(result)
	if len(outs) == 0 {
		s.finish(ctx, g, model.StatusFailed, model.CodeUnsafeOutput, "The model finished but returned no image, video or audio file.")
		return nil
	}
	plan := make([]store.Output, len(outs))
	for i, o := range outs {
		plan[i] = store.Output{GenerationID: g.ID, Index: i, AssetID: newID(), SourceURL: o.URL}
	}
	if err := s.st.PlanOutputs(ctx, plan); err != nil {
		return err
	}
	saving := model.StatusSaving
	if _, err := s.st.UpdateGeneration(ctx, g.ID, store.GenerationUpdate{Status: &saving, QueuePosition: ptr[*int](nil), Logs: logs, ResultJSON: result,
		OnlyIfStatus: []string{model.StatusQueued, model.StatusRunning}}); err != nil {
		return err
	}
	s.changed(g)
	g.Status, g.ResultJSON = saving, result
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
	for _, a := range existing[g.ID] {
		have[a.ID] = true
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
		fb, err := s.saveOutput(ctx, g, o)
		if err != nil {
			if transient(err) {
				return err
			}
			s.log.Warn("output not saved", "generation_id", g.ID, "index", o.Index, "err", err)
			failed = err
			continue
		}
		saved++
		fellBack = fellBack || fb
		s.changed(g)
	}
	if saved == 0 {
		code, msg := classify(failed)
		s.finish(ctx, g, model.StatusFailed, code, msg)
		return nil
	}
	u := store.GenerationUpdate{Status: ptr(model.StatusSucceeded), ReleaseLease: true, OnlyIfStatus: []string{model.StatusSaving}}
	if fellBack {
		u.Notice = ptr(model.NoticeSavedLocally)
	}
	if _, err := s.st.UpdateGeneration(ctx, g.ID, u); err != nil {
		return err
	}
	s.log.Info("generation succeeded", "generation_id", g.ID, "assets", saved, "saved_locally", fellBack)
	s.changed(g)
	return nil
}

// saveOutput streams one provider file into storage and records its asset.
func (s *Service) saveOutput(ctx context.Context, g *model.Generation, o store.Output) (fellBack bool, err error) {
	dl, err := s.fetcher.Fetch(ctx, o.SourceURL)
	if err != nil {
		return false, err
	}
	defer dl.Body.Close()
	key := o.StorageKey
	if key == "" {
		key = media.ObjectKey(g.UserID, dl.Kind, g.Prompt, o.AssetID, dl.ContentType, s.now())
		// Saved before the upload: a retry writes this same object.
		if err := s.st.SetOutputKey(ctx, g.ID, o.Index, key, ""); err != nil {
			return false, err
		}
	}
	head := &headCapture{max: 64 << 10}
	res, err := s.storage.Save(ctx, key, io.TeeReader(dl.Body, head), dl.Size, dl.ContentType)
	if err != nil {
		return false, fmt.Errorf("generation: store output: %w", err)
	}
	if err := s.st.SetOutputKey(ctx, g.ID, o.Index, key, res.Storage); err != nil {
		return false, err
	}
	w, h := 0, 0
	if dl.Kind == model.KindImage {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(head.buf)); err == nil {
			w, h = cfg.Width, cfg.Height
		}
	}
	a := &model.Asset{ID: o.AssetID, UserID: g.UserID, GenerationID: g.ID, Model: g.Model, Prompt: g.Prompt, Kind: dl.Kind,
		StorageKey: key, Storage: res.Storage, ContentType: dl.ContentType, Bytes: res.Bytes, Width: w, Height: h, Params: g.Params}
	if res.Storage == model.StorageS3 && s.publicBase != "" {
		a.StorageURL = s.publicBase + "/" + escapeKey(key)
	}
	if _, err := s.st.InsertAsset(ctx, a); err != nil {
		// The row did not land: remove the object so nothing is left that no asset owns.
		if derr := s.storage.Delete(context.WithoutCancel(ctx), res.Storage, key); derr != nil {
			s.log.Warn("orphan object left for the sweep", "key", key, "err", derr)
		}
		return false, err
	}
	return res.FellBack, nil
}

// housekeeping retries failed deletes, removes orphaned objects and moves local files to S3.
func (s *Service) housekeeping(ctx context.Context) {
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
	assets, err := s.st.LocalAssets(ctx, 50)
	if err != nil {
		return 0
	}
	moved := 0
	for _, a := range assets {
		url := ""
		err := s.storage.MoveToS3(ctx, a.StorageKey, a.ContentType, a.Bytes, func() error {
			if s.publicBase != "" {
				url = s.publicBase + "/" + escapeKey(a.StorageKey)
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
