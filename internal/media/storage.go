package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/falstudio/falstudio/internal/metrics"
)

// Storage routes objects to S3 (when configured) or local disk, and falls back to local disk
// when S3 fails.
//
// Save streams the provider's bytes to local disk first (synced, renamed into place), then
// uploads that file to S3 and removes the local copy. Memory stays bounded (a copy buffer, and
// the multipart parts in flight), and because the bytes are already on disk, an S3 failure or
// timeout at any point leaves a complete local file: nothing is lost and the caller learns it
// (FellBack). MoveToS3 later re-syncs such files.
type Storage struct {
	local   *Local
	s3      *S3              // nil: local only
	metrics *metrics.Metrics // nil: not recorded
}

// NewStorage combines the backends; s3 may be nil, m may be nil (no metrics).
func NewStorage(local *Local, s3 *S3, m ...*metrics.Metrics) *Storage {
	st := &Storage{local: local, s3: s3}
	if len(m) > 0 {
		st.metrics = m[0]
	}
	return st
}

// S3Configured reports whether S3 is the primary store.
func (s *Storage) S3Configured() bool { return s.s3 != nil }

// Name is the primary backend: "s3" or "local".
func (s *Storage) Name() string {
	if s.s3 != nil {
		return "s3"
	}
	return "local"
}

// Saved says where a file went.
type Saved struct {
	Storage  string // "s3" | "local"
	Bytes    int64
	FellBack bool // S3 is configured but the file stayed on local disk
}

// Save stores r under key.
func (s *Storage) Save(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Saved, error) {
	n, err := s.local.Put(ctx, key, r, size, contentType)
	if err != nil {
		return Saved{}, err
	}
	if s.s3 == nil {
		return Saved{Storage: "local", Bytes: n}, nil
	}
	if err := s.upload(ctx, key, contentType, n); err != nil {
		if ctx.Err() != nil {
			return Saved{}, ctx.Err() // shutdown: the caller retries the whole save later
		}
		s.metrics.S3Fallback()
		return Saved{Storage: "local", Bytes: n, FellBack: true}, nil
	}
	_ = s.local.Delete(context.WithoutCancel(ctx), key)
	return Saved{Storage: "s3", Bytes: n}, nil
}

// upload copies a local file to S3 and verifies the stored size.
func (s *Storage) upload(ctx context.Context, key, contentType string, size int64) error {
	f, _, err := s.local.Open(ctx, key, 0, -1)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := s.s3.Put(ctx, key, f, size, contentType); err != nil {
		return err
	}
	obj, err := s.s3.Stat(ctx, key)
	if err != nil {
		return err
	}
	if obj.Size != size {
		return fmt.Errorf("media: s3 holds %d bytes, want %d", obj.Size, size)
	}
	return nil
}

// MoveToS3 re-syncs a local file: upload, verify the size, let the caller update its row, then
// delete the local file — in that order, so a crash at any step loses nothing.
func (s *Storage) MoveToS3(ctx context.Context, key, contentType string, size int64, update func() error) error {
	if s.s3 == nil {
		return errors.New("media: S3 is not configured")
	}
	if err := s.upload(ctx, key, contentType, size); err != nil {
		s.metrics.Resync(false)
		return err
	}
	s.metrics.Resync(true)
	if err := update(); err != nil {
		return err
	}
	return s.local.Delete(ctx, key)
}

func (s *Storage) backend(storage string) (Store, error) {
	switch storage {
	case "local":
		return s.local, nil
	case "s3":
		if s.s3 == nil {
			return nil, errors.New("media: object is in S3 but S3 is not configured")
		}
		return s.s3, nil
	}
	return nil, fmt.Errorf("media: unknown storage %q", storage)
}

// Open reads a range of an object in the given backend.
func (s *Storage) Open(ctx context.Context, storage, key string, offset, length int64) (io.ReadCloser, Object, error) {
	b, err := s.backend(storage)
	if err != nil {
		return nil, Object{}, err
	}
	return b.Open(ctx, key, offset, length)
}

// Stat describes an object.
func (s *Storage) Stat(ctx context.Context, storage, key string) (Object, error) {
	b, err := s.backend(storage)
	if err != nil {
		return Object{}, err
	}
	return b.Stat(ctx, key)
}

// Delete removes an object.
func (s *Storage) Delete(ctx context.Context, storage, key string) error {
	b, err := s.backend(storage)
	if err != nil {
		return err
	}
	return b.Delete(ctx, key)
}

// URL is a presigned/public URL for an S3 object, or ErrNoURL.
func (s *Storage) URL(ctx context.Context, storage, key string, expiry time.Duration) (string, error) {
	b, err := s.backend(storage)
	if err != nil {
		return "", err
	}
	return b.URL(ctx, key, expiry)
}
