package media

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

// Local keeps objects under a folder, opened through os.Root so no key can escape it.
type Local struct {
	root *os.Root
	dir  string
}

// NewLocal opens (creating) dir.
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("media: create %s: %w", dir, err)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("media: open %s: %w", dir, err)
	}
	return &Local{root: r, dir: dir}, nil
}

// Close releases the folder.
func (l *Local) Close() error { return l.root.Close() }

// Name is "local".
func (l *Local) Name() string { return "local" }

func cleanKey(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") || path.Clean(key) != key || strings.HasPrefix(key, "..") {
		return "", ErrBadKey
	}
	return key, nil
}

// Put writes to a temporary file in the same folder, syncs it and renames it into place, so a
// reader never sees half a file and a crash leaves at most a stray temporary file.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (int64, error) {
	key, err := cleanKey(key)
	if err != nil {
		return 0, err
	}
	dir := path.Dir(key)
	if err := l.root.MkdirAll(dir, 0o700); err != nil {
		return 0, fmt.Errorf("media: local mkdir: %w", err)
	}
	rnd := make([]byte, 8)
	_, _ = rand.Read(rnd)
	tmp := path.Join(dir, ".tmp-"+hex.EncodeToString(rnd))
	f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("media: local create: %w", err)
	}
	n, err := io.Copy(f, ctxReader{ctx, r})
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("media: local put: wrote %d of %d bytes", n, size)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = l.root.Rename(tmp, key)
	}
	if err != nil {
		_ = l.root.Remove(tmp)
		return 0, fmt.Errorf("media: local put: %w", err)
	}
	return n, nil
}

// ctxReader stops a copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Open reads a range of the object.
func (l *Local) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error) {
	key, err := cleanKey(key)
	if err != nil {
		return nil, Object{}, err
	}
	f, err := l.root.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Object{}, ErrNotFound
	}
	if err != nil {
		return nil, Object{}, fmt.Errorf("media: local open: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Object{}, fmt.Errorf("media: local stat: %w", err)
	}
	obj := Object{Key: key, Size: st.Size(), ModTime: st.ModTime()}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, Object{}, fmt.Errorf("media: local seek: %w", err)
		}
	}
	if length < 0 {
		return f, obj, nil
	}
	return readCloser{io.LimitReader(f, length), f}, obj, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// Stat describes the object.
func (l *Local) Stat(ctx context.Context, key string) (Object, error) {
	key, err := cleanKey(key)
	if err != nil {
		return Object{}, err
	}
	st, err := l.root.Stat(key)
	if errors.Is(err, fs.ErrNotExist) {
		return Object{}, ErrNotFound
	}
	if err != nil {
		return Object{}, fmt.Errorf("media: local stat: %w", err)
	}
	return Object{Key: key, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// Delete removes the object (missing is fine).
func (l *Local) Delete(ctx context.Context, key string) error {
	key, err := cleanKey(key)
	if err != nil {
		return err
	}
	if err := l.root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media: local delete: %w", err)
	}
	return nil
}

// URL is not available for local files: they are served by the studio.
func (l *Local) URL(context.Context, string, time.Duration) (string, error) { return "", ErrNoURL }
