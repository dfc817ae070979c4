package generation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // image sizes for the gallery
	_ "image/jpeg"
	_ "image/png"
	"io"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// save stores every planned output. Each output's key is chosen and saved before its upload, and
// its asset row can be inserted only once, so a save resumed after a crash rewrites the same
// objects and never duplicates an asset.
func (r *Runner) save(ctx context.Context, g *model.Generation) error {
	outs, err := r.st.Outputs(ctx, g.ID)
	if err != nil {
		return err
	}
	existing, err := r.st.SavedAssetsOfGeneration(ctx, g.UserID, g.ID)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	var jobBytes int64
	for _, a := range existing {
		have[a.ID] = true
		jobBytes += a.Bytes
	}
	var failed error
	saved, fellBack := len(have), false
	for _, a := range existing {
		fellBack = fellBack || (r.storage.S3Configured() && a.Storage == model.StorageLocal)
	}
	for _, o := range outs {
		if have[o.AssetID] {
			continue
		}
		limit, err := r.saveLimit(ctx, g.UserID, jobBytes)
		if err != nil {
			return err
		}
		a, fb, err := r.saveOutput(ctx, g, o, limit)
		if err != nil {
			if transient(err) || ctx.Err() != nil {
				return err
			}
			r.log.Warn("output not saved", "generation_id", g.ID, "index", o.Index, "err", err)
			failed = err
			if errors.Is(err, errQuota) || errors.Is(err, media.ErrTooLarge) {
				break // the next output cannot fit either
			}
			continue
		}
		saved++
		jobBytes += a.Bytes
		fellBack = fellBack || fb
		r.changed(g)
	}
	if saved == 0 {
		code, msg := Describe(failed)
		r.fail(ctx, g, code, msg)
		return nil
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
	r.log.Info("generation succeeded", "generation_id", g.ID, "assets", saved, "saved_locally", fellBack)
	r.opts.Metrics.JobFinished(model.StatusSucceeded, g.Model, r.now().Sub(g.CreatedAt))
	r.changed(g)
	return nil
}

// saveLimit is how many more bytes this job may store: the per-job cap less what it stored,
// and, with a storage quota, what is left of the person's quota. The error for hitting each
// limit is returned with it.
type saveLimit struct {
	n   int64
	err error
}

func (r *Runner) saveLimit(ctx context.Context, userID int64, jobBytes int64) (saveLimit, error) {
	l := saveLimit{n: r.opts.MaxJobBytes - jobBytes, err: media.ErrTooLarge}
	if r.opts.StorageQuotaBytes > 0 {
		used, err := r.st.UserBytes(ctx, userID)
		if err != nil {
			return l, err
		}
		if left := r.opts.StorageQuotaBytes - used; left < l.n {
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
func (r *Runner) saveOutput(ctx context.Context, g *model.Generation, o store.Output, limit saveLimit) (*model.Asset, bool, error) {
	dl, err := r.fetcher.Fetch(ctx, o.SourceURL)
	if err != nil {
		return nil, false, err
	}
	defer dl.Body.Close()
	if dl.Size > limit.n {
		return nil, false, limit.err
	}
	key := o.StorageKey
	if key == "" {
		key = media.ObjectKey(g.UserID, dl.Kind, g.Prompt, o.AssetID, dl.ContentType, r.now())
		// Saved before the upload: a retry writes this same object.
		if err := r.st.SetOutputKey(ctx, g.ID, o.Index, key, ""); err != nil {
			return nil, false, err
		}
	}
	head := &headCapture{max: 64 << 10}
	src := io.TeeReader(dl.Body, head)
	// Whether the file holds a C2PA manifest (SPEC §13.3) is read from the same stream as it is
	// stored: its structure is walked in step, nothing is read twice.
	var c2pa chan bool
	var pw *io.PipeWriter
	if dl.Kind == model.KindImage && media.Markable(dl.ContentType) {
		var pr *io.PipeReader
		pr, pw = io.Pipe()
		c2pa = make(chan bool, 1)
		go func() { c2pa <- media.HasC2PA(pr, dl.ContentType) }()
		src = io.TeeReader(src, pw)
	}
	body := &capReader{r: src, n: limit.n, err: limit.err}
	res, err := r.storage.Save(ctx, key, body, dl.Size, dl.ContentType)
	hasC2PA := false
	if pw != nil {
		pw.CloseWithError(err) // nil: EOF
		hasC2PA = <-c2pa
	}
	if err != nil {
		return nil, false, fmt.Errorf("generation: store output: %w", err)
	}
	if err := r.st.SetOutputKey(ctx, g.ID, o.Index, key, res.Storage); err != nil {
		return nil, false, err
	}
	if o.StorageKey != "" {
		// A resumed save: an earlier attempt may have stored this key in the other backend (it
		// fell back to local disk then and S3 took it now, or the reverse) before the process
		// stopped. The asset will point at this copy only, so the other one must go.
		r.removeOtherCopy(ctx, key, res.Storage)
	}
	w, h := 0, 0
	if dl.Kind == model.KindImage {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(head.buf)); err == nil {
			w, h = cfg.Width, cfg.Height
		}
	}
	a := &model.Asset{ID: o.AssetID, UserID: g.UserID, GenerationID: g.ID, Model: g.Model, Prompt: g.Prompt, Kind: dl.Kind,
		StorageKey: key, Storage: res.Storage, ContentType: dl.ContentType, Bytes: res.Bytes, Width: w, Height: h, Params: g.Params,
		ParentID: g.ParentAssetID, ParentRelation: g.Relation, C2PA: hasC2PA, Flagged: o.Flagged}
	if res.Storage == model.StorageLocal {
		a.LocalHolder = r.opts.Instance // with several replicas, only this one has the file
	}
	if g.Relation == model.RelationExtend && g.ParentAssetID != "" {
		// An extended clip joins its parent's chain (SPEC §15.6; the parent got its id at submit).
		if a.SequenceID, err = r.st.SequenceOf(ctx, g.UserID, g.ParentAssetID); err != nil {
			return nil, false, err
		}
	}
	if _, err := r.st.InsertAsset(ctx, a); err != nil {
		// The row did not land: remove the object so nothing is left that no asset owns.
		if derr := r.storage.Delete(context.WithoutCancel(ctx), res.Storage, key); derr != nil {
			r.log.Warn("orphan object left for the sweep", "key", key, "err", derr)
		}
		return nil, false, err
	}
	// The output joins the collection named at submit, if any. A failure here keeps the asset
	// (the save succeeded) and is only logged.
	if err := r.st.AddOutputToCollection(ctx, g.ID, a.ID); err != nil {
		r.log.Warn("output not added to its collection", "generation_id", g.ID, "asset_id", a.ID, "err", err)
	}
	// The preview is made by its own worker once the row exists: a job's success never waits
	// behind another image's preview, and a failure there never fails the save.
	if r.opts.AfterAssetSaved != nil {
		r.opts.AfterAssetSaved(a)
	}
	return a, res.FellBack, nil
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

// removeOtherCopy deletes key from the backend that does not hold the saved copy (the cleaner
// queues the delete for its retries when that backend is unreachable).
func (r *Runner) removeOtherCopy(ctx context.Context, key, saved string) {
	other := model.StorageS3
	if saved == model.StorageS3 {
		other = model.StorageLocal
	}
	if other == model.StorageS3 && !r.cleaner.S3Configured() {
		return
	}
	if err := r.cleaner.Remove(ctx, other, key); err != nil {
		r.log.Error("the copy of an earlier attempt is left behind", "key", key, "storage", other, "err", err)
	}
}
