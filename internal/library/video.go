package library

// Frames and filmstrips of the library's videos (SPEC §15.3, §15.8): a frame becomes an ordinary
// image asset; a filmstrip sprite is kept beside its video, made once per tile count.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// NoFFmpegMsg is the refusal of video work on a studio without ffmpeg (SPEC §15.1).
const NoFFmpegMsg = "This studio has no ffmpeg installed, so it cannot cut or join videos. Ask the operator to install ffmpeg."

// errNoFFmpeg is the 501 every video route answers without ffmpeg.
var errNoFFmpeg = model.Errf(model.CodeFFmpegUnavailable, NoFFmpegMsg)

// maxVideoBytes bounds the copy of a video ffmpeg reads (the largest output a job may store).
const maxVideoBytes = 64 << 30

// VideoAvailable reports that ffmpeg and ffprobe are installed; without them the video routes
// answer 501 before any other check.
func (s *Service) VideoAvailable() bool { return s.video.Available() }

// RequireVideo is the 501 a video route answers first when ffmpeg is missing.
func (s *Service) RequireVideo() error {
	if !s.video.Available() {
		return errNoFFmpeg
	}
	return nil
}

// videoAsset is one of the caller's videos: another person's or a missing id is not found, an
// image or audio asset is the wrong kind.
func (s *Service) videoAsset(ctx context.Context, userID int64, id string) (*model.Asset, error) {
	a, err := s.st.Asset(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	if a.Kind != model.KindVideo {
		return nil, model.Errf(model.CodeUnsupportedInput, "This is not a video: only videos have frames.")
	}
	return a, nil
}

// probed is a video copied to a temporary file and probed; done removes the copy.
type probed struct {
	file string
	info *media.VideoInfo
}

func (p *probed) done() { os.Remove(p.file) }

func (s *Service) probe(ctx context.Context, a *model.Asset) (*probed, error) {
	f, err := s.storage.TempCopy(ctx, a.Storage, a.StorageKey, maxVideoBytes)
	if err != nil {
		return nil, fmt.Errorf("library: copy video %s: %w", a.ID, err)
	}
	info, err := s.video.Probe(ctx, f)
	if err != nil {
		os.Remove(f)
		return nil, videoErr(err)
	}
	return &probed{file: f, info: info}, nil
}

// videoErr turns ffmpeg's refusal into the SPEC error.
func videoErr(err error) error {
	if errors.Is(err, media.ErrVideoUnreadable) {
		return model.Errf(model.CodeVideoUnreadable, "ffmpeg could not decode this video.")
	}
	return err
}

// GrabFrame saves the frame on screen at atSeconds of one of the caller's videos as a PNG
// image asset (SPEC §15.3).
func (s *Service) GrabFrame(ctx context.Context, userID int64, id string, atSeconds float64) (*model.Asset, error) {
	if err := s.RequireVideo(); err != nil {
		return nil, err
	}
	if math.IsNaN(atSeconds) || atSeconds < 0 {
		return nil, model.Errf(model.CodeInvalidInput, "atSeconds must be a number from 0 up to the video's length.")
	}
	v, err := s.videoAsset(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	p, err := s.probe(ctx, v)
	if err != nil {
		return nil, err
	}
	defer p.done()
	if atSeconds > p.info.Duration+1e-9 {
		return nil, model.Errf(model.CodeInvalidInput, "atSeconds is past the end of the video (%.3f s).", p.info.Duration)
	}
	png, err := s.video.Frame(ctx, p.file, p.info.FrameAt(atSeconds), p.info)
	if err != nil {
		return nil, videoErr(err)
	}
	params, err := json.Marshal(map[string]float64{"atSeconds": atSeconds})
	if err != nil {
		return nil, err
	}
	return s.saveImage(ctx, userID, v.Model, v.Prompt, png, "image/png", params, v.ID, model.RelationFrame)
}

// saveImage stores an image the studio made or was given as an ordinary asset without a
// generation: the object first, then its row (an object without a row is removed again).
// parent and relation are its lineage ("" for none).
func (s *Service) saveImage(ctx context.Context, userID int64, modelID, prompt string, data []byte, contentType string, params json.RawMessage, parent, relation string) (*model.Asset, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("library: image size: %w", err)
	}
	id := newID()
	key := media.ObjectKey(userID, model.KindImage, prompt, id, contentType, s.now())
	res, err := s.storage.Save(ctx, key, bytes.NewReader(data), int64(len(data)), contentType)
	if err != nil {
		return nil, fmt.Errorf("library: store image: %w", err)
	}
	a := &model.Asset{ID: id, UserID: userID, Model: modelID, Prompt: prompt, Kind: model.KindImage, StorageKey: key,
		Storage: res.Storage, ContentType: contentType, Bytes: res.Bytes, Width: cfg.Width, Height: cfg.Height, Params: params,
		CreatedAt: s.now(), ParentID: parent, ParentRelation: relation}
	if res.Storage == model.StorageLocal {
		a.LocalHolder = s.instance
	}
	if _, err := s.st.InsertAsset(ctx, a); err != nil {
		if derr := s.storage.Delete(context.WithoutCancel(ctx), res.Storage, key); derr != nil {
			s.log.Warn("orphan object left for the sweep", "key", key, "err", derr)
		}
		return nil, err
	}
	if s.afterSaved != nil {
		s.afterSaved(a)
	}
	return a, nil
}

// Filmstrip is a video's sprite of frames (SPEC §15.8).
type Filmstrip struct {
	AssetID                 string
	Count                   int
	FrameWidth, FrameHeight int
	DurationSeconds         float64
	Times                   []float64
}

// durationMarker precedes the duration in the sprite's JPEG comment: a later request (on any
// replica) answers from the stored sprite alone, without copying and probing the video again.
const durationMarker = "falstudio-duration="

// Filmstrip returns the video's sprite of count tiles, making and storing it the first time.
func (s *Service) Filmstrip(ctx context.Context, userID int64, id string, count int) (*Filmstrip, error) {
	if err := s.RequireVideo(); err != nil {
		return nil, err
	}
	v, err := s.videoAsset(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	if fs, err := s.storedFilmstrip(ctx, v, count); err == nil {
		return fs, nil
	} else if !errors.Is(err, media.ErrNotFound) {
		s.log.Info("stored filmstrip unreadable; making it again", "asset_id", v.ID, "err", err)
	}
	p, err := s.probe(ctx, v)
	if err != nil {
		return nil, err
	}
	defer p.done()
	jpg, tw, th, err := s.video.Filmstrip(ctx, p.file, p.info, count)
	if err != nil {
		return nil, videoErr(err)
	}
	jpg = withComment(jpg, durationMarker+strconv.FormatFloat(p.info.Duration, 'f', -1, 64))
	if err := s.storage.PutFilmstrip(ctx, v.Storage, v.StorageKey, count, jpg); err != nil {
		return nil, fmt.Errorf("library: store filmstrip: %w", err)
	}
	return &Filmstrip{AssetID: v.ID, Count: count, FrameWidth: tw, FrameHeight: th, DurationSeconds: p.info.Duration,
		Times: media.FilmstripTimes(p.info.Duration, count)}, nil
}

// storedFilmstrip reads a sprite made earlier: its size from the JPEG header, the duration from
// its comment.
func (s *Service) storedFilmstrip(ctx context.Context, v *model.Asset, count int) (*Filmstrip, error) {
	rc, _, err := s.storage.Open(ctx, v.Storage, media.FilmstripKey(v.StorageKey, count), 0, 64<<10)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	head, err := io.ReadAll(io.LimitReader(rc, 64<<10))
	if err != nil {
		return nil, err
	}
	d, ok := readComment(head, durationMarker)
	dur, perr := strconv.ParseFloat(d, 64)
	if !ok || perr != nil || dur <= 0 {
		return nil, errors.New("library: filmstrip without its duration")
	}
	cfg, err := decodeJPEGConfig(head)
	if err != nil {
		return nil, err
	}
	return &Filmstrip{AssetID: v.ID, Count: count, FrameWidth: cfg.Width / count, FrameHeight: cfg.Height, DurationSeconds: dur,
		Times: media.FilmstripTimes(dur, count)}, nil
}

// FilmstripObject is what serves a stored sprite: the video (for its storage) and the key.
func (s *Service) FilmstripObject(ctx context.Context, userID int64, id string, count int) (*model.Asset, media.Object, error) {
	v, err := s.videoAsset(ctx, userID, id)
	if err != nil {
		return nil, media.Object{}, err
	}
	obj, err := s.storage.Stat(ctx, v.Storage, media.FilmstripKey(v.StorageKey, count))
	if errors.Is(err, media.ErrNotFound) {
		return nil, media.Object{}, store.ErrNotFound
	}
	return v, obj, err
}

// withComment puts a COM segment right after the JPEG's SOI marker.
func withComment(jpg []byte, text string) []byte {
	if len(jpg) < 2 || len(text) > 60000 {
		return jpg
	}
	n := len(text) + 2
	seg := append([]byte{0xFF, 0xFE, byte(n >> 8), byte(n)}, text...)
	out := make([]byte, 0, len(jpg)+len(seg))
	out = append(out, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// readComment finds the COM segment right after SOI that starts with prefix.
func readComment(jpg []byte, prefix string) (string, bool) {
	if len(jpg) < 6 || jpg[0] != 0xFF || jpg[1] != 0xD8 || jpg[2] != 0xFF || jpg[3] != 0xFE {
		return "", false
	}
	n := int(jpg[4])<<8 | int(jpg[5])
	if n < 2 || 4+n > len(jpg) {
		return "", false
	}
	text := string(jpg[6 : 4+n])
	if len(text) < len(prefix) || text[:len(prefix)] != prefix {
		return "", false
	}
	return text[len(prefix):], true
}

func decodeJPEGConfig(head []byte) (image.Config, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(head))
	if err != nil {
		return cfg, fmt.Errorf("library: filmstrip header: %w", err)
	}
	return cfg, nil
}

// Import limits (SPEC §15.4): the size of uploads, and the largest side of an image.
const (
	MaxImportBytes = 20 << 20
	maxImportSide  = 16384
)

// ImportInput is an image the browser sends (its own frame grab, without ffmpeg).
type ImportInput struct {
	Data          []byte
	ParentAssetID string
	Relation      string
	AtSeconds     string // "" when not given
}

// ImportImage stores an image the person sends as an ordinary image asset: the type from its
// bytes (PNG, JPEG or WebP only), the size from its header, the bytes kept as sent. With a
// parent video it becomes that video's frame. Bad input creates nothing.
func (s *Service) ImportImage(ctx context.Context, userID int64, in ImportInput) (*model.Asset, error) {
	ctype, _ := media.Sniff(in.Data[:min(len(in.Data), 512)])
	switch ctype {
	case "image/png", "image/jpeg", "image/webp":
	default:
		return nil, model.Errf(model.CodeUnsupportedInput, "Import a PNG, JPEG or WebP image.")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(in.Data))
	if err != nil {
		return nil, model.Errf(model.CodeUnsupportedInput, "This file is not a readable PNG, JPEG or WebP image.")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxImportSide || cfg.Height > maxImportSide {
		return nil, model.Errf(model.CodeInvalidInput, "The image is larger than %d pixels on a side.", maxImportSide)
	}
	params := json.RawMessage(`{}`)
	if in.AtSeconds != "" {
		at, err := strconv.ParseFloat(in.AtSeconds, 64)
		if err != nil || at < 0 || math.IsInf(at, 0) || math.IsNaN(at) {
			return nil, model.Errf(model.CodeInvalidInput, "atSeconds must be a number of seconds, 0 or more.")
		}
		if params, err = json.Marshal(map[string]float64{"atSeconds": at}); err != nil {
			return nil, err
		}
	}
	if in.ParentAssetID == "" {
		if in.Relation != "" {
			return nil, model.Errf(model.CodeInvalidInput, "A relation needs parentAssetId.")
		}
		return s.saveImage(ctx, userID, "studio/import", "", in.Data, ctype, params, "", "")
	}
	if in.Relation != "" && in.Relation != model.RelationFrame {
		return nil, model.Errf(model.CodeInvalidInput, "An import's relation can only be \"frame\".")
	}
	found, err := s.st.LiveAssets(ctx, userID, []string{in.ParentAssetID})
	if err != nil {
		return nil, err
	}
	p := found[in.ParentAssetID]
	if p == nil {
		return nil, model.Errf(model.CodeNotFound, "Asset %s was not found in your library.", in.ParentAssetID)
	}
	if p.Kind != model.KindVideo {
		return nil, model.Errf(model.CodeUnsupportedInput, "Only a video can be the parent of a frame.")
	}
	return s.saveImage(ctx, userID, p.Model, p.Prompt, in.Data, ctype, params, p.ID, model.RelationFrame)
}
