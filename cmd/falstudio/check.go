package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/falstudio/falstudio/internal/config"
	"github.com/falstudio/falstudio/internal/media"
)

// checkStorage is `falstudio check-s3`: it proves the configured bucket accepts what the studio
// will send — a small PutObject and a multipart upload of unknown size, both without checksum
// trailers — reads them back and deletes them. Run it once against Hetzner before going live.
func checkStorage(ctx context.Context, cfg *config.Config, out io.Writer) error {
	if !cfg.S3.Enabled() {
		fmt.Fprintln(out, "S3 is not configured (S3_BUCKET is empty): media is kept under", cfg.MediaDir())
		return nil
	}
	s3, err := media.NewS3(media.S3Config{Endpoint: cfg.S3.Endpoint, Region: cfg.S3.Region, Bucket: cfg.S3.Bucket,
		AccessKeyID: cfg.S3.AccessKeyID, SecretAccessKey: cfg.S3.SecretAccessKey, ForcePathStyle: cfg.S3.ForcePathStyle,
		PublicBaseURL: cfg.S3.PublicBaseURL, PartSize: 5 << 20})
	if err != nil {
		return &config.Error{Var: "S3_ENDPOINT", Msg: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := s3.Check(ctx); err != nil {
		return fmt.Errorf("bucket %s: %w", cfg.S3.Bucket, err)
	}
	fmt.Fprintf(out, "ok: bucket %s answers at %s\n", cfg.S3.Bucket, cfg.S3.Endpoint)
	probes := []struct {
		name string
		size int
		hide bool // hide the size: the multipart uploader path
	}{{"small object", 4 << 10, false}, {"multipart upload", 11 << 20, true}}
	for _, p := range probes {
		data := make([]byte, p.size)
		_, _ = rand.Read(data)
		key := "falstudio-check/" + media.NewAssetID() + ".bin"
		var body io.Reader = bytes.NewReader(data)
		size := int64(p.size)
		if p.hide {
			body, size = io.MultiReader(body), -1
		}
		if _, err := s3.Put(ctx, key, body, size, "application/octet-stream"); err != nil {
			return fmt.Errorf("%s: upload: %w", p.name, err)
		}
		rc, _, err := s3.Open(ctx, key, 0, -1)
		if err != nil {
			return fmt.Errorf("%s: download: %w", p.name, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, data) {
			return fmt.Errorf("%s: the downloaded bytes differ", p.name)
		}
		if err := s3.Delete(ctx, key); err != nil {
			return fmt.Errorf("%s: delete: %w", p.name, err)
		}
		fmt.Fprintf(out, "ok: %s of %d bytes uploaded, read back and deleted\n", p.name, p.size)
	}
	return nil
}
