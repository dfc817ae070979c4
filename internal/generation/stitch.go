package generation

// Stitch (SPEC §15.7): clips joined into one MP4 by ffmpeg, as a local job — recorded through
// Submit like any job (durable, fair, cancelable, with events), run by the runner without fal.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Stitch limits (SPEC §15.7).
const (
	MinStitchClips   = 2
	MaxStitchClips   = 20
	MaxCrossfade     = 2.0
	stitchMediaRetry = 10 * time.Minute // a clip on another replica's disk: wait for the re-sync
)

// StitchInput is a stitch request.
type StitchInput struct {
	AssetIDs         []string
	CrossfadeSeconds float64
	CollectionID     string
	Via              *model.Via // the token it came through; nil from the browser
}

// stitchParams are a stitch job's params as stored and shown.
type stitchParams struct {
	AssetIDs         []string `json:"assetIds"`
	CrossfadeSeconds float64  `json:"crossfadeSeconds"`
}

// noFFmpeg is the 501 of video work without ffmpeg.
var noFFmpeg = model.Errf(model.CodeFFmpegUnavailable, NoFFmpegMsg)

// VideoAvailable reports that ffmpeg and ffprobe are installed.
func (s *Service) VideoAvailable() bool { return s.opts.Video.Available() }

// Stitch checks a stitch request — every clip the caller's video, decodable, longer than the
// crossfade, all within StitchMaxSeconds — and submits it as a local job. A refusal creates
// nothing.
func (s *Service) Stitch(ctx context.Context, caller *model.User, in StitchInput) (*model.Generation, error) {
	if !s.opts.Video.Available() {
		return nil, noFFmpeg
	}
	if len(in.AssetIDs) < MinStitchClips || len(in.AssetIDs) > MaxStitchClips {
		return nil, model.Errf(model.CodeInvalidInput, "Choose %d to %d clips to stitch.", MinStitchClips, MaxStitchClips)
	}
	c := in.CrossfadeSeconds
	if math.IsNaN(c) || c < 0 || c > MaxCrossfade {
		return nil, model.Errf(model.CodeInvalidInput, "crossfadeSeconds must be from 0 to %g.", MaxCrossfade)
	}
	for _, id := range in.AssetIDs {
		if id == "" || len(id) > 64 {
			return nil, model.Errf(model.CodeInvalidInput, "assetIds must list asset ids.")
		}
	}
	found, err := s.st.LiveAssets(ctx, caller.ID, in.AssetIDs)
	if err != nil {
		return nil, err
	}
	for _, id := range in.AssetIDs {
		if found[id] == nil {
			return nil, model.Errf(model.CodeNotFound, "Asset %s was not found in your library.", id)
		}
	}
	for _, id := range in.AssetIDs {
		if found[id].Kind != model.KindVideo {
			return nil, model.Errf(model.CodeUnsupportedInput, "Only videos can be stitched (%s is a %s).", id, found[id].Kind)
		}
	}
	// Each distinct clip is probed once: decodable, long enough, and the total within the limit.
	durations := map[string]float64{}
	total := 0.0
	for _, id := range in.AssetIDs {
		d, ok := durations[id]
		if !ok {
			cl, err := s.runner.openClip(ctx, found[id])
			if err != nil {
				if errors.Is(err, media.ErrVideoUnreadable) {
					return nil, model.Errf(model.CodeVideoUnreadable, "ffmpeg could not decode clip %s.", id)
				}
				return nil, err
			}
			cl.done()
			d = cl.info.Duration
			durations[id] = d
		}
		if d <= c {
			return nil, model.Errf(model.CodeInvalidInput, "Clip %s (%.2f s) is not longer than the crossfade.", id, d)
		}
		total += d
	}
	if limit := s.opts.StitchMaxSeconds; limit > 0 && total > float64(limit) {
		return nil, model.Errf(model.CodeInvalidInput, "The clips last %.0f s together; a stitch may last at most %d s.", total, limit)
	}
	params := map[string]any{"assetIds": in.AssetIDs, "crossfadeSeconds": c}
	first := found[in.AssetIDs[0]]
	return s.Submit(ctx, caller, SubmitInput{Model: model.ModelStitch, Prompt: first.Prompt, Params: params, Via: in.Via,
		CollectionID: in.CollectionID, ParentAssetID: first.ID, Relation: model.RelationStitch, Local: true})
}

// clip is a stored video copied to a temporary file and probed.
type clip struct {
	file string
	info *media.VideoInfo
}

func (c *clip) done() { os.Remove(c.file) }

// openClip copies a stored video to TMPDIR (ffmpeg reads files, never URLs) and probes it.
func (r *Runner) openClip(ctx context.Context, a *model.Asset) (*clip, error) {
	f, err := r.storage.TempCopy(ctx, a.Storage, a.StorageKey, max(r.opts.MaxJobBytes, a.Bytes))
	if err != nil {
		return nil, fmt.Errorf("generation: copy clip %s: %w", a.ID, err)
	}
	info, err := r.opts.Video.Probe(ctx, f)
	if err != nil {
		os.Remove(f)
		return nil, err
	}
	return &clip{file: f, info: info}, nil
}

// stitch runs a stitch job from the start — whether it is new, or resumed after a restart in
// running or saving — and stores its one output under the key chosen the first time.
func (r *Runner) stitch(ctx context.Context, g *model.Generation) error {
	var p stitchParams
	if err := json.Unmarshal(g.Params, &p); err != nil || len(p.AssetIDs) < MinStitchClips {
		r.fail(ctx, g, model.CodeInternal, internalMsg)
		return nil
	}
	if !r.opts.Video.Available() {
		r.fail(ctx, g, model.CodeFFmpegUnavailable, NoFFmpegMsg)
		return nil
	}
	if g.Status == model.StatusQueued && r.opts.Video.Busy() {
		// Every VIDEO_WORKERS slot is taken: wait in the queue, not in a runner worker.
		err := r.st.MarkPolled(ctx, g.ID, r.opts.Instance, model.StatusQueued, nil, g.Logs, g.Attempts+1, r.now().Add(time.Second))
		if errors.Is(err, store.ErrStale) {
			r.transitionFailed("wait for a video slot", g, err)
			return nil
		}
		return err
	}
	logs := append([]model.LogLine{}, g.Logs...)
	logf := func(format string, args ...any) {
		logs = append(logs, model.LogLine{Time: r.now().UTC().Format(time.RFC3339), Message: fmt.Sprintf(format, args...)})
		if len(logs) > 200 {
			logs = logs[len(logs)-200:]
		}
	}
	if g.Status != model.StatusSaving {
		logf("Stitching %d clips.", len(p.AssetIDs))
		if err := r.st.MarkLocalRunning(ctx, g.ID, r.opts.Instance, logs); err != nil {
			if errors.Is(err, store.ErrStale) {
				r.transitionFailed("local running", g, err)
				return nil
			}
			return err
		}
		g.Status = model.StatusRunning
		r.changed(g)
	}

	// The clips, read now: one deleted (or trashed) since the request fails the job.
	found, err := r.st.LiveAssets(ctx, g.UserID, p.AssetIDs)
	if err != nil {
		return err
	}
	clips := map[string]*clip{}
	defer func() {
		for _, c := range clips {
			c.done()
		}
	}()
	var in []media.StitchInput
	for _, id := range p.AssetIDs {
		a := found[id]
		if a == nil {
			r.fail(ctx, g, model.CodeInputMissing, "A clip of this stitch was deleted before it could be read.")
			return nil
		}
		c := clips[id]
		if c == nil {
			c, err = r.openClip(ctx, a)
			switch {
			case err == nil:
				clips[id] = c
			case errors.Is(err, media.ErrVideoUnreadable):
				r.fail(ctx, g, model.CodeVideoUnreadable, "ffmpeg could not decode one of the clips.")
				return nil
			case errors.Is(err, media.ErrNotFound) && a.Storage == model.StorageLocal && a.LocalHolder != "" && a.LocalHolder != r.opts.Instance:
				return r.waitForClip(ctx, g)
			default:
				return err
			}
		}
		in = append(in, media.StitchInput{File: c.file, Info: c.info})
	}

	// Cancel stops ffmpeg: the row is watched while it runs.
	sctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		r.watchCancel(sctx, stop, g.ID)
	}()
	defer func() { stop(nil); <-watchDone }()

	dir, err := os.MkdirTemp("", "falstudio-stitch-*")
	if err != nil {
		return fmt.Errorf("generation: stitch temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "stitch.mp4")
	limit, err := r.saveLimit(ctx, g.UserID, 0)
	if err != nil {
		code, msg := Describe(err)
		r.fail(ctx, g, code, msg)
		return nil
	}
	total := -p.CrossfadeSeconds * float64(len(in)-1)
	for _, c := range in {
		total += c.Info.Duration
	}
	lastLog := time.Time{}
	_, err = r.opts.Video.Stitch(sctx, in, p.CrossfadeSeconds, out, limit.n, limit.err, func(done float64) {
		// A progress line at most every 2 s, so the events stay few.
		if time.Since(lastLog) < 2*time.Second || total <= 0 {
			return
		}
		lastLog = time.Now()
		logf("Stitched %.0f%% (%.1f of %.1f s).", min(100, 100*done/total), done, total)
		if err := r.st.SetLogs(ctx, g.ID, r.opts.Instance, logs); err == nil {
			r.changed(g)
		}
	})
	if cause := context.Cause(sctx); errors.Is(cause, errCanceledByOwner) {
		r.log.Info("stitch canceled; nothing stored", "generation_id", g.ID)
		r.opts.Metrics.JobFinished(model.StatusCanceled, g.Model, r.now().Sub(g.CreatedAt))
		return nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		code, msg := Describe(err)
		if errors.Is(err, media.ErrVideoUnreadable) {
			msg = "ffmpeg could not join these clips."
		}
		r.log.Info("stitch failed", "generation_id", g.ID, "code", code, "err", err)
		r.fail(ctx, g, code, msg)
		return nil
	}
	logf("Stitched; saving.")
	return r.saveLocal(ctx, g, out, logs)
}

// errCanceledByOwner stops ffmpeg when the job's owner canceled it.
var errCanceledByOwner = errors.New("generation: canceled by its owner")

// watchCancel polls the row while ffmpeg runs and stops it once the job is no longer this
// worker's (canceled by its owner, or taken over).
func (r *Runner) watchCancel(ctx context.Context, stop context.CancelCauseFunc, id string) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			g, err := r.st.GenerationByID(ctx, id)
			if err != nil {
				if errors.Is(err, store.ErrNotFound) {
					stop(errCanceledByOwner)
					return
				}
				continue
			}
			if g.Status == model.StatusCanceled || g.CancelAsked {
				stop(errCanceledByOwner)
				return
			}
			if model.Terminal(g.Status) || g.LeaseOwner != r.opts.Instance {
				stop(errLeaseLost)
				return
			}
		}
	}
}

// waitForClip backs off while a clip waits for its re-sync from another replica, and fails the
// job media_unavailable after stitchMediaRetry.
func (r *Runner) waitForClip(ctx context.Context, g *model.Generation) error {
	since := g.FailingSince
	if since.IsZero() {
		since = r.now()
	}
	if r.now().Sub(since) >= stitchMediaRetry {
		r.fail(ctx, g, model.CodeMediaUnavailable, "A clip is still on another studio server's disk and was not copied to shared storage in time.")
		return nil
	}
	r.log.Info("stitch waits for a clip on another replica", "generation_id", g.ID)
	if err := r.st.BackOff(ctx, g.ID, r.opts.Instance, g.Failures+1, since, r.now().Add(15*time.Second)); err != nil {
		r.transitionFailed("back off", g, err)
	}
	return nil
}

// saveLocal stores a local job's file as its one output: the asset id and key are planned once
// (a resumed job writes the same object), the file streamed into storage, the row inserted.
func (r *Runner) saveLocal(ctx context.Context, g *model.Generation, file string, logs []model.LogLine) error {
	outs, err := r.st.Outputs(ctx, g.ID)
	if err != nil {
		return err
	}
	if len(outs) == 0 {
		outs = []store.Output{{GenerationID: g.ID, Index: 0, AssetID: newID(), SourceURL: "studio:" + g.Model}}
		if err := r.st.PlanOutputs(ctx, outs); err != nil {
			return err
		}
	}
	if g.Status != model.StatusSaving {
		err := r.st.MarkSaving(ctx, g.ID, r.opts.Instance, logs, json.RawMessage(`{}`))
		if errors.Is(err, store.ErrStale) {
			r.transitionFailed("saving", g, err)
			return nil
		}
		if err != nil {
			return err
		}
		g.Status = model.StatusSaving
		r.changed(g)
	}
	o := outs[0]
	existing, err := r.st.AssetsOfGeneration(ctx, g.UserID, g.ID)
	if err != nil {
		return err
	}
	fellBack := false
	if len(existing[g.ID]) == 0 {
		a, fb, err := r.storeLocalFile(ctx, g, o, file)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			code, msg := Describe(err)
			r.fail(ctx, g, code, msg)
			return nil
		}
		fellBack = fb
		r.log.Info("stitch stored", "generation_id", g.ID, "asset_id", a.ID, "bytes", a.Bytes)
	}
	notice := ""
	if fellBack {
		notice = model.NoticeSavedLocally
	}
	if err := r.st.MarkSucceeded(ctx, g.ID, r.opts.Instance, notice); err != nil {
		if errors.Is(err, store.ErrStale) {
			r.transitionFailed("success", g, err)
			return nil
		}
		return err
	}
	r.opts.Metrics.JobFinished(model.StatusSucceeded, g.Model, r.now().Sub(g.CreatedAt))
	r.changed(g)
	return nil
}

func (r *Runner) storeLocalFile(ctx context.Context, g *model.Generation, o store.Output, file string) (*model.Asset, bool, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, false, fmt.Errorf("generation: open stitch: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("generation: stat stitch: %w", err)
	}
	limit, err := r.saveLimit(ctx, g.UserID, 0)
	if err != nil {
		return nil, false, err
	}
	if fi.Size() > limit.n {
		return nil, false, limit.err
	}
	info, err := r.opts.Video.Probe(ctx, file)
	if err != nil {
		return nil, false, err
	}
	const ctype = "video/mp4"
	key := o.StorageKey
	if key == "" {
		key = media.ObjectKey(g.UserID, model.KindVideo, g.Prompt, o.AssetID, ctype, r.now())
		if err := r.st.SetOutputKey(ctx, g.ID, o.Index, key, ""); err != nil {
			return nil, false, err
		}
	}
	res, err := r.storage.Save(ctx, key, f, fi.Size(), ctype)
	if err != nil {
		return nil, false, fmt.Errorf("generation: store stitch: %w", err)
	}
	if err := r.st.SetOutputKey(ctx, g.ID, o.Index, key, res.Storage); err != nil {
		return nil, false, err
	}
	if o.StorageKey != "" {
		r.removeOtherCopy(ctx, key, res.Storage)
	}
	a := &model.Asset{ID: o.AssetID, UserID: g.UserID, GenerationID: g.ID, Model: g.Model, Prompt: g.Prompt, Kind: model.KindVideo,
		StorageKey: key, Storage: res.Storage, ContentType: ctype, Bytes: res.Bytes, Width: info.DisplayWidth(), Height: info.Height,
		Params: g.Params, ParentID: g.ParentAssetID, ParentRelation: g.Relation}
	if res.Storage == model.StorageLocal {
		a.LocalHolder = r.opts.Instance
	}
	if _, err := r.st.InsertAsset(ctx, a); err != nil {
		if derr := r.storage.Delete(context.WithoutCancel(ctx), res.Storage, key); derr != nil {
			r.log.Warn("orphan object left for the sweep", "key", key, "err", derr)
		}
		return nil, false, err
	}
	if err := r.st.AddOutputToCollection(ctx, g.ID, a.ID); err != nil {
		r.log.Warn("output not added to its collection", "generation_id", g.ID, "asset_id", a.ID, "err", err)
	}
	if r.opts.AfterAssetSaved != nil {
		r.opts.AfterAssetSaved(a)
	}
	return a, res.FellBack, nil
}

// isLocal reports a job the studio runs itself.
func isLocal(g *model.Generation) bool { return strings.HasPrefix(g.Model, localPrefix) }
