// Package media owns where generated files live and how they get there safely: one Store
// interface with a local-disk and an S3 implementation, a Storage that falls back from S3 to
// local disk and re-syncs later, an SSRF-safe fetcher for provider outputs, object key naming,
// and serving with ranges and sandboxing headers.
package media

import (
	"context"
	"errors"
	"io"
	"time"
)

// Object describes a stored object.
type Object struct {
	Key, ContentType, ETag string
	Size                   int64
	ModTime                time.Time
}

// Store is one storage backend.
type Store interface {
	Name() string // "s3" | "local"
	// Put streams r into key; size is -1 when unknown. It returns the bytes written.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (int64, error)
	// Open reads length bytes from offset (length -1: to the end).
	Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error)
	Stat(ctx context.Context, key string) (Object, error)
	// Delete removes key; a missing object is not an error.
	Delete(ctx context.Context, key string) error
	// URL is a presigned or public URL, or ErrNoURL.
	URL(ctx context.Context, key string, expiry time.Duration) (string, error)
}

// Errors.
var (
	ErrNotFound = errors.New("media: object not found")
	ErrNoURL    = errors.New("media: this storage has no URLs")
	ErrBadKey   = errors.New("media: bad object key")
)
