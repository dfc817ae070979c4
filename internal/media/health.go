package media

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
)

// Check probes the media store for /readyz: local disk must take a small write (a full or
// read-only disk fails here, not in the middle of a job), and S3, when configured, must answer
// for the bucket. ctx bounds the S3 call.
func (s *Storage) Check(ctx context.Context) error {
	if err := s.local.Check(ctx); err != nil {
		return err
	}
	if s.s3 != nil {
		if err := s.s3.Check(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Check writes, syncs and removes a small probe file in the media folder.
func (l *Local) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	name := ".readyz-" + rand.Text()[:8]
	f, err := l.root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("media: local disk probe: %w", err)
	}
	_, werr := f.Write([]byte("ok"))
	err = errors.Join(werr, f.Sync(), f.Close(), l.root.Remove(name))
	if err != nil {
		return fmt.Errorf("media: local disk probe: %w", err)
	}
	return nil
}
