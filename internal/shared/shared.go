// Package shared keeps what a person shares to the studio from a device's share sheet (SPEC
// §16.2): files checked by their bytes and stored under users/{id}/shared/ for 24 hours, and a
// share made before signing in, stashed 15 minutes under a random token until it is claimed.
package shared

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	_ "image/gif"  // image.DecodeConfig reads these
	_ "image/jpeg" // (PNG below)
	_ "image/png"

	_ "golang.org/x/image/webp"

	"github.com/falstudio/falstudio/internal/cleaner"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Limits of SPEC §16.2.
const (
	MaxFiles   = 4
	MaxImage   = 20 << 20
	MaxVideo   = 200 << 20
	MaxText    = 2000
	maxName    = 200
	Keep       = 24 * time.Hour
	StashKeep  = 15 * time.Minute
	headerScan = 64 << 10
)

// Errors the HTTP layer maps to SPEC codes.
var (
	ErrUnsupported = errors.New("shared: not an image or video of an accepted kind")
	ErrTooLarge    = errors.New("shared: file over its limit")
)

// accepted are the types a share may carry, by their bytes.
var accepted = map[string]string{
	"image/png": model.KindImage, "image/jpeg": model.KindImage, "image/webp": model.KindImage, "image/gif": model.KindImage,
	"video/mp4": model.KindVideo, "video/quicktime": model.KindVideo, "video/webm": model.KindVideo,
}

// Service keeps shared uploads and stashes.
type Service struct {
	st      *store.Store
	storage *media.Storage
	cleaner *cleaner.Cleaner
	log     *slog.Logger
	now     func() time.Time
	// AfterImport hears of each asset imported into the Gallery (its preview is made); set it
	// before serving.
	AfterImport func(*model.Asset)
}

// New builds the service; log and now may be nil.
func New(st *store.Store, storage *media.Storage, cl *cleaner.Cleaner, log *slog.Logger, now func() time.Time) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, storage: storage, cleaner: cl, log: log, now: now}
}

// File is one received file, already stored.
type File struct {
	Key         string  `json:"key"`
	Storage     string  `json:"storage"`
	Kind        string  `json:"kind"`
	ContentType string  `json:"contentType"`
	Bytes       int64   `json:"bytes"`
	Width       *int    `json:"width,omitempty"`
	Height      *int    `json:"height,omitempty"`
	Name        *string `json:"name,omitempty"`
}

// headCapture keeps the first bytes read, for the image's size.
type headCapture struct{ buf []byte }

func (h *headCapture) Write(p []byte) (int, error) {
	if room := headerScan - len(h.buf); room > 0 {
		h.buf = append(h.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// Receive stores one shared file for userID (0: a stash for someone not signed in yet). Its type
// is taken from the bytes; a file over its kind's limit stops being read as soon as it passes it.
func (s *Service) Receive(ctx context.Context, userID int64, fileName string, r io.Reader) (*File, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("shared: read: %w", err)
	}
	head = head[:n]
	ctype, _ := media.Sniff(head)
	kind, ok := accepted[ctype]
	if !ok || n == 0 {
		return nil, ErrUnsupported
	}
	limit := int64(MaxImage)
	if kind == model.KindVideo {
		limit = MaxVideo
	}
	prefix := "shared-stash/"
	if userID != 0 {
		prefix = "users/" + strconv.FormatInt(userID, 10) + "/shared/"
	}
	key := prefix + media.NewAssetID() + "." + media.ExtFor(ctype)
	capture := &headCapture{}
	body := io.TeeReader(media.LimitReader(io.MultiReader(bytes.NewReader(head), r), limit), capture)
	saved, err := s.storage.Save(ctx, key, body, -1, ctype)
	if errors.Is(err, media.ErrTooLarge) {
		return nil, ErrTooLarge
	}
	if err != nil {
		return nil, fmt.Errorf("shared: store: %w", err)
	}
	f := &File{Key: key, Storage: saved.Storage, Kind: kind, ContentType: ctype, Bytes: saved.Bytes}
	if kind == model.KindImage {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(capture.buf)); err == nil {
			f.Width, f.Height = &cfg.Width, &cfg.Height
		}
	}
	if name := baseName(fileName); name != "" {
		f.Name = &name
	}
	return f, nil
}

// baseName is a file name as sent, without its folders, at most maxName characters.
func baseName(name string) string {
	name = strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", ""), "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(name)
	if r := []rune(name); len(r) > maxName {
		name = string(r[:maxName])
	}
	return name
}

// Discard removes stored files of a share that was refused or replaced.
func (s *Service) Discard(ctx context.Context, files []*File) {
	for _, f := range files {
		if err := s.cleaner.Remove(context.WithoutCancel(ctx), f.Storage, f.Key); err != nil {
			s.log.Warn("shared: file not removed", "err", err)
		}
	}
}

// Keep records a signed-in person's received files as their shared uploads, in order.
func (s *Service) Keep(ctx context.Context, userID int64, files []*File, text *string) ([]*model.SharedUpload, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	ups := make([]*model.SharedUpload, len(files))
	for i, f := range files {
		ups[i] = &model.SharedUpload{ID: strings.ToLower(rand.Text()), UserID: userID, Kind: f.Kind, ContentType: f.ContentType,
			Bytes: f.Bytes, Width: f.Width, Height: f.Height, Name: f.Name, Text: text, Storage: f.Storage, StorageKey: f.Key,
			CreatedAt: now.Add(time.Duration(i) * time.Millisecond), ExpiresAt: now.Add(Keep)}
	}
	if err := s.st.InsertSharedUploads(ctx, ups); err != nil {
		s.Discard(ctx, files)
		return nil, err
	}
	return ups, nil
}

// hashToken is what the database keeps of a stash token.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Stash keeps an anonymous share for 15 minutes and returns its new token (256 random bits);
// the same browser's earlier stash (oldToken) is replaced.
func (s *Service) Stash(ctx context.Context, oldToken string, files []*File, text *string) (string, error) {
	b, err := json.Marshal(files)
	if err != nil {
		return "", fmt.Errorf("shared: stash: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("shared: stash token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	var replace []byte
	if oldToken != "" {
		replace = hashToken(oldToken)
	}
	old, err := s.st.PutShareStash(ctx, hashToken(token), replace, store.ShareStash{Files: string(b), Text: text, ExpiresAt: s.now().Add(StashKeep)})
	if err != nil {
		s.Discard(ctx, files)
		return "", err
	}
	if old != nil {
		s.discardStash(ctx, old)
	}
	return token, nil
}

func (s *Service) discardStash(ctx context.Context, st *store.ShareStash) {
	var files []*File
	if err := json.Unmarshal([]byte(st.Files), &files); err != nil {
		s.log.Warn("shared: unreadable stash", "err", err)
		return
	}
	s.Discard(ctx, files)
}

// Claim turns the stash under token into userID's shared uploads (text-only: none) and returns
// the share's text. No stash, or an expired or used one, is model.ErrNotFound.
func (s *Service) Claim(ctx context.Context, userID int64, token string) ([]*model.SharedUpload, *string, error) {
	if token == "" {
		return nil, nil, store.ErrNotFound
	}
	st, err := s.st.TakeShareStash(ctx, hashToken(token))
	if err != nil {
		return nil, nil, err
	}
	if !st.ExpiresAt.After(s.now()) {
		s.discardStash(ctx, st)
		return nil, nil, store.ErrNotFound
	}
	var stashed []*File
	if err := json.Unmarshal([]byte(st.Files), &stashed); err != nil {
		return nil, nil, fmt.Errorf("shared: unreadable stash: %w", err)
	}
	// Each file moves under the person's own prefix (a copy, then the stash's copy goes).
	var moved []*File
	for _, f := range stashed {
		m, err := s.copyTo(ctx, userID, f)
		if err != nil {
			s.Discard(ctx, moved)
			s.Discard(ctx, stashed)
			return nil, nil, err
		}
		moved = append(moved, m)
	}
	ups, err := s.Keep(ctx, userID, moved, st.Text)
	s.Discard(ctx, stashed)
	if err != nil {
		return nil, nil, err
	}
	return ups, st.Text, nil
}

func (s *Service) copyTo(ctx context.Context, userID int64, f *File) (*File, error) {
	rc, _, err := s.storage.Open(ctx, f.Storage, f.Key, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("shared: open stashed file: %w", err)
	}
	defer rc.Close()
	key := "users/" + strconv.FormatInt(userID, 10) + "/shared/" + media.NewAssetID() + "." + media.ExtFor(f.ContentType)
	saved, err := s.storage.Save(ctx, key, rc, f.Bytes, f.ContentType)
	if err != nil {
		return nil, fmt.Errorf("shared: move stashed file: %w", err)
	}
	m := *f
	m.Key, m.Storage, m.Bytes = key, saved.Storage, saved.Bytes
	return &m, nil
}

// List is a person's unexpired shared uploads, newest first.
func (s *Service) List(ctx context.Context, userID int64) ([]*model.SharedUpload, error) {
	return s.st.SharedUploads(ctx, userID, s.now())
}

// Get is one of a person's unexpired shared uploads (another person's: model.ErrNotFound).
func (s *Service) Get(ctx context.Context, userID int64, id string) (*model.SharedUpload, error) {
	return s.st.SharedUpload(ctx, userID, id, s.now())
}

// Delete removes a person's shared upload and its file.
func (s *Service) Delete(ctx context.Context, userID int64, id string) error {
	u, err := s.st.DeleteSharedUpload(ctx, userID, id)
	if err != nil {
		return err
	}
	return s.cleaner.Remove(ctx, u.Storage, u.StorageKey)
}

// Storage is where the files are (for serving them).
func (s *Service) Storage() *media.Storage { return s.storage }

// Sweep removes expired shared uploads and stashes with their files.
func (s *Service) Sweep(ctx context.Context) {
	for range 10 {
		ups, err := s.st.ExpiredSharedUploads(ctx, s.now(), 100)
		if err != nil {
			s.log.Warn("shared: sweep failed", "err", err)
			return
		}
		for _, u := range ups {
			if err := s.cleaner.Remove(ctx, u.Storage, u.StorageKey); err != nil {
				s.log.Warn("shared: expired file not removed", "err", err)
			}
		}
		if len(ups) < 100 {
			break
		}
	}
	stashes, err := s.st.ExpiredShareStashes(ctx, s.now(), 100)
	if err != nil {
		s.log.Warn("shared: stash sweep failed", "err", err)
		return
	}
	for _, st := range stashes {
		s.discardStash(ctx, st)
	}
}

// Import moves a person's shared upload into their Gallery as an ordinary asset (SPEC §16.2):
// model "upload", no generation, its text (else its name) as the prompt; the shared upload is
// used up.
func (s *Service) Import(ctx context.Context, userID int64, id string) (*model.Asset, error) {
	u, err := s.st.SharedUpload(ctx, userID, id, s.now())
	if err != nil {
		return nil, err
	}
	prompt := ""
	switch {
	case u.Text != nil:
		prompt = *u.Text
	case u.Name != nil:
		prompt = *u.Name
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	assetID := strings.ToLower(rand.Text())
	key := media.ObjectKey(userID, u.Kind, prompt, assetID, u.ContentType, now)
	rc, _, err := s.storage.Open(ctx, u.Storage, u.StorageKey, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("shared: open: %w", err)
	}
	res, err := s.storage.Save(ctx, key, rc, u.Bytes, u.ContentType)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("shared: import: %w", err)
	}
	a := &model.Asset{ID: assetID, UserID: userID, Model: "upload", Prompt: prompt, Kind: u.Kind, StorageKey: key, Storage: res.Storage,
		ContentType: u.ContentType, Bytes: res.Bytes, Params: []byte("{}"), CreatedAt: now}
	if u.Width != nil && u.Height != nil {
		a.Width, a.Height = *u.Width, *u.Height
	}
	if _, err := s.st.InsertAsset(ctx, a); err != nil {
		if rerr := s.cleaner.Remove(context.WithoutCancel(ctx), res.Storage, key); rerr != nil {
			s.log.Warn("shared: import copy not removed", "err", rerr)
		}
		return nil, err
	}
	if gone, err := s.st.DeleteSharedUpload(ctx, userID, id); err == nil {
		if err := s.cleaner.Remove(ctx, gone.Storage, gone.StorageKey); err != nil {
			s.log.Warn("shared: imported file not removed", "err", err)
		}
	}
	if s.AfterImport != nil {
		s.AfterImport(a)
	}
	return a, nil
}

// Open streams a person's shared file (uploading it to fal as a reference).
func (s *Service) Open(ctx context.Context, userID int64, id string) (io.ReadCloser, *model.SharedUpload, error) {
	u, err := s.st.SharedUpload(ctx, userID, id, s.now())
	if err != nil {
		return nil, nil, err
	}
	rc, _, err := s.storage.Open(ctx, u.Storage, u.StorageKey, 0, -1)
	if err != nil {
		return nil, nil, fmt.Errorf("shared: open: %w", err)
	}
	return rc, u, nil
}
