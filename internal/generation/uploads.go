package generation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// UploadReference sends an image to fal storage with the user's key and returns its CDN URL.
// The type is taken from the bytes: only images pass.
func (s *Service) UploadReference(ctx context.Context, caller *model.User, fileName string, body io.Reader) (string, error) {
	key, err := s.keys.Of(caller)
	if err != nil {
		return "", err
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(body, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("generation: read upload: %w", err)
	}
	head = head[:n]
	ctype, kind := media.Sniff(head)
	if kind != model.KindImage {
		return "", model.Errf(model.CodeInvalidInput, "Upload an image (PNG, JPEG, WebP, GIF or AVIF).")
	}
	return s.fal.Upload(ctx, key.Reveal(), ctype, safeFileName(fileName, ctype), io.MultiReader(bytes.NewReader(head), body), -1)
}

// UploadAssetReference sends one of the user's own image assets to fal storage; one in the
// trash answers as a missing one (SPEC §13.1).
func (s *Service) UploadAssetReference(ctx context.Context, caller *model.User, assetID string) (string, error) {
	a, err := s.st.Asset(ctx, caller.ID, assetID)
	if err != nil {
		return "", err
	}
	if a.Trashed() {
		return "", store.ErrNotFound
	}
	if a.Kind != model.KindImage {
		return "", model.Errf(model.CodeInvalidInput, "Only images can be used as references.")
	}
	key, err := s.keys.Of(caller)
	if err != nil {
		return "", err
	}
	return s.uploadAsset(ctx, key.Reveal(), a)
}

func safeFileName(name, ctype string) string {
	base := media.Slug(strings.TrimSuffix(name, extOf(name)))
	return base + "." + media.ExtFor(ctype)
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}
