package media

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/falstudio/falstudio/internal/metrics"
)

// Storage routes objects to S3 (when configured) or local disk, and falls back to local disk
// when S3 fails.
//
// Save reads the provider's stream once and feeds both a local spool file and the S3 upload at
// the same time, so a relay runs at the pace of the slower of the two instead of their sum.
// Memory stays bounded (a copy buffer, and the multipart parts in flight). The spool holds
// every byte read, so an S3 failure or timeout at any point still ends with a complete local
// file: nothing is lost and the caller learns it (FellBack). When S3 succeeds the spool is
// dropped unsynced, so the common path pays no fsync. MoveToS3 later re-syncs kept files.
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

// relayBuffer is the size of one read from the provider; each read goes to both destinations.
const relayBuffer = 256 << 10

// Save stores r under key.
func (s *Storage) Save(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Saved, error) {
	if s.s3 == nil {
		n, err := s.local.Put(ctx, key, r, size, contentType)
		if err != nil {
			return Saved{}, err
		}
		return Saved{Storage: "local", Bytes: n}, nil
	}
	sp, err := s.local.spool(key)
	if err != nil {
		return Saved{}, err
	}
	committed := false
	defer func() {
		if !committed {
			sp.discard()
		}
	}()

	pr, pw := io.Pipe()
	s3err := make(chan error, 1)
	go func() {
		_, err := s.s3.PutStream(ctx, key, pr, size, contentType)
		if err == nil {
			err = s.verify(ctx, key, size)
		}
		// Unblock the pump at once when S3 stopped early: it carries on with the spool alone.
		pr.CloseWithError(cmp.Or(err, io.ErrClosedPipe))
		s3err <- err
	}()
	n, readErr, localErr := pump(ctx, r, sp.f, pw)
	switch {
	case readErr != nil:
		pw.CloseWithError(readErr) // the S3 upload aborts: no object is completed from a cut stream
	case size >= 0 && n != size:
		readErr = fmt.Errorf("media: relay: read %d of %d bytes", n, size)
		pw.CloseWithError(readErr)
	default:
		pw.Close()
	}
	upErr := <-s3err
	if ctx.Err() != nil {
		return Saved{}, ctx.Err() // shutdown: the caller retries the whole save later
	}
	if readErr == nil && upErr == nil {
		return Saved{Storage: "s3", Bytes: n}, nil // the deferred discard drops the unsynced spool
	}
	if readErr == nil && localErr == nil && errors.Is(upErr, errSizeMismatch) {
		// S3 accepted every byte, yet holds another size: a write of the same key landed after
		// ours (a server finishing an earlier, cut request for it — versitygw does). The spool
		// holds the whole file, so send it once more, now as the last writer.
		err := s.resend(ctx, sp, key, n, contentType)
		if err == nil {
			return Saved{Storage: "s3", Bytes: n}, nil
		}
		upErr = errors.Join(upErr, err)
	}
	// A cut upload may still leave an object behind (some servers keep a truncated body): the
	// row will not point at it, so remove it rather than leave a short file in the bucket.
	if derr := s.s3.Delete(context.WithoutCancel(ctx), key); derr != nil {
		upErr = errors.Join(upErr, derr)
	}
	if readErr != nil {
		return Saved{}, fmt.Errorf("media: relay: %w", errors.Join(readErr, upErr))
	}
	if localErr != nil {
		return Saved{}, fmt.Errorf("media: relay: s3 failed (%w) and so did local disk (%w)", upErr, localErr)
	}
	if err := sp.commit(); err != nil {
		return Saved{}, fmt.Errorf("media: relay: s3 failed (%w); keep locally: %w", upErr, err)
	}
	committed = true
	s.metrics.S3Fallback()
	return Saved{Storage: "local", Bytes: n, FellBack: true}, nil
}

// pump reads r once and writes every chunk to the spool file and to the S3 pipe. A destination
// that fails is dropped and the other one continues; the copy stops only when the provider's
// stream ends (or fails), or when both destinations have failed.
func pump(ctx context.Context, r io.Reader, f *os.File, pw *io.PipeWriter) (n int64, readErr, localErr error) {
	buf := make([]byte, relayBuffer)
	s3ok := true
	cr := ctxReader{ctx, r}
	for {
		k, err := cr.Read(buf)
		if k > 0 {
			n += int64(k)
			if localErr == nil {
				if _, werr := f.Write(buf[:k]); werr != nil {
					localErr = werr
				}
			}
			if s3ok {
				if _, werr := pw.Write(buf[:k]); werr != nil {
					s3ok = false
				}
			}
			if localErr != nil && !s3ok {
				return n, fmt.Errorf("local disk failed and so did s3: %w", localErr), localErr
			}
		}
		if errors.Is(err, io.EOF) {
			return n, nil, localErr
		}
		if err != nil {
			return n, err, localErr
		}
	}
}

// verify checks the stored object's size.
func (s *Storage) verify(ctx context.Context, key string, size int64) error {
	if size < 0 {
		return nil
	}
	obj, err := s.s3.Stat(ctx, key)
	if err != nil {
		return err
	}
	if obj.Size != size {
		return fmt.Errorf("%w: s3 holds %d bytes, want %d", errSizeMismatch, obj.Size, size)
	}
	return nil
}

// errSizeMismatch is a stored object whose size is not what was sent.
var errSizeMismatch = errors.New("media: stored size differs")

// resend uploads the spool's bytes (all n of them already written) and verifies them.
func (s *Storage) resend(ctx context.Context, sp *spool, key string, n int64, contentType string) error {
	f, err := sp.l.root.Open(sp.tmp)
	if err != nil {
		return fmt.Errorf("media: reopen spool: %w", err)
	}
	defer f.Close()
	return s.putVerified(ctx, key, f, n, contentType)
}

// putVerified uploads a file's bytes to S3 and checks the stored size.
func (s *Storage) putVerified(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if _, err := s.s3.Put(ctx, key, r, size, contentType); err != nil {
		return err
	}
	return s.verify(ctx, key, size)
}

// upload copies a local file to S3 and verifies the stored size.
func (s *Storage) upload(ctx context.Context, key, contentType string, size int64) error {
	f, _, err := s.local.Open(ctx, key, 0, -1)
	if err != nil {
		return err
	}
	defer f.Close()
	return s.putVerified(ctx, key, f, size, contentType)
}

// MoveToS3 re-syncs a local file and its preview (when there is one): upload, verify the size,
// let the caller update its row, then delete the local files — in that order, so a crash at
// any step loses nothing.
func (s *Storage) MoveToS3(ctx context.Context, key, contentType string, size int64, update func() error) error {
	if s.s3 == nil {
		return errors.New("media: S3 is not configured")
	}
	if err := s.upload(ctx, key, contentType, size); err != nil {
		s.metrics.Resync(false)
		return err
	}
	thumb := ThumbKey(key)
	if obj, err := s.local.Stat(ctx, thumb); err == nil {
		if err := s.upload(ctx, thumb, ThumbContentType, obj.Size); err != nil {
			s.metrics.Resync(false)
			return err
		}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	s.metrics.Resync(true)
	if err := update(); err != nil {
		return err
	}
	return errors.Join(s.local.Delete(ctx, key), s.local.Delete(ctx, thumb))
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

// Delete removes an object and its preview: every caller that deletes an asset's object (a
// delete, a bulk delete, a queued retry, the orphan sweep) takes the preview with it.
func (s *Storage) Delete(ctx context.Context, storage, key string) error {
	b, err := s.backend(storage)
	if err != nil {
		return err
	}
	if IsThumbKey(key) {
		return b.Delete(ctx, key)
	}
	errs := []error{b.Delete(ctx, key), b.Delete(ctx, ThumbKey(key))}
	if isVideoKey(key) {
		// Filmstrips (SPEC §15.8) go with their video: one sprite per tile count at most.
		for n := 1; n <= MaxFilmstrip; n++ {
			errs = append(errs, b.Delete(ctx, FilmstripKey(key, n)))
		}
	}
	return errors.Join(errs...)
}

// URL is a presigned/public URL for an S3 object, or ErrNoURL.
func (s *Storage) URL(ctx context.Context, storage, key string, expiry time.Duration) (string, error) {
	b, err := s.backend(storage)
	if err != nil {
		return "", err
	}
	return b.URL(ctx, key, expiry)
}

// PresignGet is S3.PresignGet for an object held in S3; ErrNoURL for any other storage (a
// local file is streamed).
func (s *Storage) PresignGet(ctx context.Context, storage, key string, ttl time.Duration, contentType, disposition string) (string, error) {
	if storage != "s3" || s.s3 == nil {
		return "", ErrNoURL
	}
	return s.s3.PresignGet(ctx, key, ttl, contentType, disposition)
}

// spool is a local temporary file beside key's final place: commit syncs and renames it into
// place, discard removes it. Nothing else ever sees it.
type spool struct {
	l        *Local
	f        *os.File
	tmp, key string
}

func (l *Local) spool(key string) (*spool, error) {
	key, err := cleanKey(key)
	if err != nil {
		return nil, err
	}
	dir := path.Dir(key)
	if err := l.root.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("media: local mkdir: %w", err)
	}
	tmp := path.Join(dir, ".tmp-"+rand.Text())
	f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("media: local create: %w", err)
	}
	return &spool{l: l, f: f, tmp: tmp, key: key}, nil
}

func (s *spool) commit() error {
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.l.root.Rename(s.tmp, s.key)
	}
	if err != nil {
		_ = s.l.root.Remove(s.tmp)
		return fmt.Errorf("media: local put: %w", err)
	}
	return nil
}

func (s *spool) discard() {
	_ = s.f.Close()
	_ = s.l.root.Remove(s.tmp)
}
