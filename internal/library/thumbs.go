package library

// Previews: image thumbnails and video posters, made by a worker after each save and by a
// resumable backfill for older assets.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// ThumbOptions tune the previews; zero values take defaults.
type ThumbOptions struct {
	// MaxPixels refuses larger images before decoding (default media.DefaultMaxPixels).
	MaxPixels int64
	// MaxBytes refuses larger originals (default 200 MB for images, 2 GB for videos).
	MaxImageBytes, MaxVideoBytes int64
	// FFmpeg is the ffmpeg binary for video posters; "" makes none (see DetectFFmpeg).
	FFmpeg string
	// Timeout bounds one preview (default 2 minutes).
	Timeout time.Duration
	// Batch is how many assets one backfill step handles (default 20).
	Batch  int
	Logger *slog.Logger
	// Made runs after the worker stored a new asset's preview (the generation's event stream
	// then shows it); nil does nothing.
	Made func(*model.Asset)
}

// queueLen bounds the previews waiting for the worker; past it the backfill makes them later.
const queueLen = 256

// Thumbs makes, records and backfills previews. One preview is made at a time: decoding a large
// image holds up to MaxPixels×4 bytes, and two at once would double that on a small machine.
type Thumbs struct {
	st      *store.Store
	storage *media.Storage
	o       ThumbOptions
	log     *slog.Logger
	sem     chan struct{}
	queue   chan *model.Asset
}

// NewThumbs builds the service.
func NewThumbs(st *store.Store, storage *media.Storage, o ThumbOptions) *Thumbs {
	if o.MaxPixels <= 0 {
		o.MaxPixels = media.DefaultMaxPixels
	}
	if o.MaxImageBytes <= 0 {
		o.MaxImageBytes = 200 << 20
	}
	if o.MaxVideoBytes <= 0 {
		o.MaxVideoBytes = 2 << 30
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Batch <= 0 {
		o.Batch = 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Thumbs{st: st, storage: storage, o: o, log: o.Logger, sem: make(chan struct{}, 1), queue: make(chan *model.Asset, queueLen)}
}

// Enqueue hands a freshly saved asset to the preview worker without waiting, so a job's success
// never waits behind another image's preview. When the queue is full the backfill makes it.
func (t *Thumbs) Enqueue(a *model.Asset) {
	if !t.wants(a.Kind) {
		return
	}
	select {
	case t.queue <- a:
	default:
		t.log.Info("preview queue full; the backfill will make this one", "asset_id", a.ID)
	}
}

// Run makes the queued previews until ctx ends.
func (t *Thumbs) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-t.queue:
			t.Make(ctx, a)
			if a.ThumbBytes > 0 && t.o.Made != nil {
				t.o.Made(a)
			}
		}
	}
}

// DetectFFmpeg finds ffmpeg once at start-up: its path, or "" when it is not installed (video
// tiles then load only the video's metadata).
func DetectFFmpeg() string {
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		return ""
	}
	return p
}

// errPermanent marks an asset no preview can be made of; it is recorded, never retried.
var errPermanent = errors.New("library: no preview possible")

// Make creates and records the preview of one asset, if it has none. The worker calls it for
// each saved asset, and the backfill for older ones; a failure is logged and never reaches the caller's
// work (a generation succeeds without its thumbnail; the backfill tries again later).
func (t *Thumbs) Make(ctx context.Context, a *model.Asset) {
	if a.ThumbBytes != 0 || !t.wants(a.Kind) {
		return
	}
	n, err := t.make(ctx, a)
	switch {
	case err == nil:
		a.ThumbBytes = n
	case errors.Is(err, errPermanent):
		t.log.Info("no preview for this asset", "asset_id", a.ID, "err", err)
		if err := t.st.SetThumb(context.WithoutCancel(ctx), a.ID, -1); err != nil {
			t.log.Warn("preview state not saved", "asset_id", a.ID, "err", err)
		}
		a.ThumbBytes = -1
	case ctx.Err() == nil:
		t.log.Warn("preview not made; the backfill will retry", "asset_id", a.ID, "err", err)
	}
}

func (t *Thumbs) wants(kind string) bool {
	return kind == model.KindImage || kind == model.KindVideo && t.o.FFmpeg != ""
}

func (t *Thumbs) make(ctx context.Context, a *model.Asset) (int64, error) {
	select {
	case t.sem <- struct{}{}:
		defer func() { <-t.sem }()
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, t.o.Timeout)
	defer cancel()
	var th *media.Thumb
	var err error
	if a.Kind == model.KindVideo {
		th, err = t.poster(ctx, a)
	} else {
		th, err = t.image(ctx, a)
	}
	if err != nil {
		return 0, err
	}
	if err := t.storage.PutThumb(ctx, a.Storage, a.StorageKey, th.JPEG); err != nil {
		return 0, fmt.Errorf("library: store preview: %w", err)
	}
	n := int64(len(th.JPEG))
	// Recorded only if the original is still where the preview was written: a re-sync that moved
	// it meanwhile would otherwise leave the row pointing at a preview in the other backend.
	ok, err := t.st.SetThumbIf(ctx, a.ID, a.Storage, n)
	if err != nil {
		return 0, err
	}
	if !ok {
		_ = t.storage.Delete(context.WithoutCancel(ctx), a.Storage, media.ThumbKey(a.StorageKey))
		return 0, errors.New("library: the asset moved or was deleted while its preview was made")
	}
	return n, nil
}

func (t *Thumbs) image(ctx context.Context, a *model.Asset) (*media.Thumb, error) {
	if a.Bytes > t.o.MaxImageBytes {
		return nil, fmt.Errorf("%w: %d bytes is over the image limit", errPermanent, a.Bytes)
	}
	rc, _, err := t.storage.Open(ctx, a.Storage, a.StorageKey, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("library: open original: %w", err)
	}
	defer rc.Close()
	th, err := media.MakeThumb(io.LimitReader(rc, t.o.MaxImageBytes), t.o.MaxPixels)
	if errors.Is(err, media.ErrNotImage) || errors.Is(err, media.ErrTooManyPixels) {
		if ctx.Err() != nil {
			return nil, ctx.Err() // a cut read is no verdict on the file
		}
		return nil, fmt.Errorf("%w: %w", errPermanent, err)
	}
	return th, err
}

// poster grabs one frame with ffmpeg from a temporary copy of the video (an MP4's index may sit
// at its end, so ffmpeg needs to seek) and turns it into a preview like any image.
func (t *Thumbs) poster(ctx context.Context, a *model.Asset) (*media.Thumb, error) {
	if a.Bytes > t.o.MaxVideoBytes {
		return nil, fmt.Errorf("%w: %d bytes is over the video limit", errPermanent, a.Bytes)
	}
	rc, _, err := t.storage.Open(ctx, a.Storage, a.StorageKey, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("library: open original: %w", err)
	}
	f, err := os.CreateTemp("", "falstudio-poster-*")
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("library: poster temp file: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = io.Copy(f, io.LimitReader(rc, t.o.MaxVideoBytes))
	rc.Close()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("library: copy video: %w", err)
	}
	// A frame one second in (past a fade from black), else the first frame of a short clip.
	for _, at := range []string{"1", "0"} {
		var out, stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, t.o.FFmpeg, "-nostdin", "-v", "error", "-ss", at, "-i", f.Name(),
			"-frames:v", "1", "-vf", fmt.Sprintf("scale=w=%d:h=%d:force_original_aspect_ratio=decrease", media.ThumbSize, media.ThumbSize),
			"-f", "image2", "-c:v", "mjpeg", "-q:v", "4", "pipe:1")
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%w: ffmpeg: %v: %.200s", errPermanent, err, stderr.String())
		}
		if out.Len() > 0 {
			// Through the same bounded decoder: what is stored is always our own small JPEG.
			th, err := media.MakeThumb(&out, t.o.MaxPixels)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", errPermanent, err)
			}
			return th, nil
		}
	}
	return nil, fmt.Errorf("%w: ffmpeg found no frame", errPermanent)
}

// backfillCursor is the meta key where the backfill remembers how far it got.
const backfillCursor = "thumbs_backfill_cursor"

// Backfill gives one bounded batch of existing assets their previews, oldest first, and saves
// its place after each asset, so it resumes where it stopped after a restart. done reports that
// the pass reached the newest asset; the next pass starts over and meets only the assets still
// waiting (ones whose storage was unreachable).
func (t *Thumbs) Backfill(ctx context.Context) (made int, done bool, err error) {
	kinds := []string{model.KindImage}
	if t.o.FFmpeg != "" {
		kinds = append(kinds, model.KindVideo)
	}
	v, _, err := t.st.GetMeta(ctx, backfillCursor)
	if err != nil {
		return 0, false, err
	}
	cur := store.ParseThumbCursor(v)
	list, err := t.st.ThumbsToDo(ctx, kinds, cur, t.o.Batch)
	if err != nil {
		return 0, false, err
	}
	for _, a := range list {
		if ctx.Err() != nil {
			return made, false, ctx.Err()
		}
		t.Make(ctx, a)
		if a.ThumbBytes > 0 {
			made++
		}
		cur = store.ThumbCursor{CreatedMs: a.CreatedAt.UnixMilli(), ID: a.ID}
		if err := t.st.SetMeta(ctx, backfillCursor, cur.String()); err != nil {
			return made, false, err
		}
	}
	if len(list) < t.o.Batch {
		return made, true, t.st.SetMeta(ctx, backfillCursor, "")
	}
	return made, false, nil
}

// RunBackfill works through the backlog at start-up and then every interval, batch by batch,
// until ctx ends. It runs beside everything else and makes one preview at a time.
func (t *Thumbs) RunBackfill(ctx context.Context, interval time.Duration) {
	for {
		total := 0
		for ctx.Err() == nil {
			made, done, err := t.Backfill(ctx)
			total += made
			if err != nil {
				if ctx.Err() == nil {
					t.log.Warn("thumbnail backfill failed; will retry", "err", err)
				}
				break
			}
			if done {
				break
			}
		}
		if total > 0 {
			t.log.Info("thumbnails backfilled", "count", total)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
