package library

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// maxExportCollection bounds the assets of one collection export (the rows, not the bytes).
const maxExportCollection = 20_000

// Export is a ZIP archive ready to be streamed: the rows are read (and access checked) before a
// byte goes out, so a refusal is still a proper error response.
type Export struct {
	s        *Service
	assets   []*model.Asset
	FileName string
}

// PrepareExport selects the assets of an export: the user's own among ids (≤ MaxBulk; others are
// left out, and none at all answers not_found), or the whole of one of their collections.
func (s *Service) PrepareExport(ctx context.Context, userID int64, ids []string, collectionID string) (*Export, error) {
	var list []*model.Asset
	switch {
	case collectionID != "" && len(ids) > 0:
		return nil, model.Errf(model.CodeInvalidInput, "Export either ids or a collection, not both.")
	case collectionID != "":
		if _, err := s.st.Collection(ctx, userID, collectionID); err != nil {
			return nil, err
		}
		var err error
		if list, err = s.st.CollectionAssetsAll(ctx, userID, collectionID, maxExportCollection, false); err != nil {
			return nil, err
		}
	default:
		ids, err := cleanIDs(ids)
		if err != nil {
			return nil, err
		}
		if list, err = s.st.AssetsByIDs(ctx, userID, ids); err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, store.ErrNotFound
		}
	}
	return &Export{s: s, assets: list, FileName: "fal-studio-" + s.now().UTC().Format("20060102-150405") + ".zip"}, nil
}

// Count is how many files the archive holds (metadata.json aside).
func (e *Export) Count() int { return len(e.assets) }

// ExportName is the readable, unique file name of an asset inside an export:
// {createdAt}-{slug}-{id}.{ext}, createdAt sortable and digits first (20261201-153000).
func ExportName(a *model.Asset) string {
	return a.CreatedAt.UTC().Format("20060102-150405") + "-" + media.Slug(a.Prompt) + "-" + a.ID + "." + media.ExtFor(a.ContentType)
}

// exportMeta is one asset in metadata.json: every prompt and setting, so another tool can read it.
type exportMeta struct {
	File         string          `json:"file"`
	ID           string          `json:"id"`
	GenerationID string          `json:"generationId"`
	Model        string          `json:"model"`
	Prompt       string          `json:"prompt"`
	Kind         string          `json:"kind"`
	ContentType  string          `json:"contentType"`
	Bytes        int64           `json:"bytes"`
	Width        *int            `json:"width"`
	Height       *int            `json:"height"`
	Params       json.RawMessage `json:"params"`
	Favorite     bool            `json:"favorite"`
	CreatedAt    string          `json:"createdAt"`
}

// WriteTo streams the archive to w as it is written: metadata.json first, then each file
// copied straight from storage through a fixed buffer (stored, not deflated: media is already
// compressed), so memory does not grow with the archive. An error mid-way leaves a truncated
// archive; the caller can only cut the response.
func (e *Export) WriteTo(ctx context.Context, w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	zw := zip.NewWriter(cw)
	meta := struct {
		Format     string       `json:"format"`
		ExportedAt string       `json:"exportedAt"`
		Assets     []exportMeta `json:"assets"`
	}{Format: "fal-studio-export/1", ExportedAt: rfc3339(e.s.now()), Assets: make([]exportMeta, 0, len(e.assets))}
	for _, a := range e.assets {
		m := exportMeta{File: ExportName(a), ID: a.ID, GenerationID: a.GenerationID, Model: a.Model, Prompt: a.Prompt, Kind: a.Kind,
			ContentType: a.ContentType, Bytes: a.Bytes, Params: a.Params, Favorite: a.Favorite, CreatedAt: rfc3339(a.CreatedAt)}
		if a.Width > 0 && a.Height > 0 {
			wd, ht := a.Width, a.Height
			m.Width, m.Height = &wd, &ht
		}
		if len(m.Params) == 0 {
			m.Params = json.RawMessage("{}")
		}
		meta.Assets = append(meta.Assets, m)
	}
	mw, err := zw.CreateHeader(&zip.FileHeader{Name: "metadata.json", Method: zip.Deflate, Modified: e.s.now().UTC()})
	if err != nil {
		return cw.n, fmt.Errorf("library: export: %w", err)
	}
	enc := json.NewEncoder(mw)
	enc.SetIndent("", "  ")
	if err := enc.Encode(meta); err != nil {
		return cw.n, fmt.Errorf("library: export: %w", err)
	}
	buf := make([]byte, 256<<10)
	for _, a := range e.assets {
		if err := ctx.Err(); err != nil {
			return cw.n, err
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: ExportName(a), Method: zip.Store, Modified: a.CreatedAt.UTC()})
		if err != nil {
			return cw.n, fmt.Errorf("library: export: %w", err)
		}
		rc, _, err := e.s.storage.Open(ctx, a.Storage, a.StorageKey, 0, -1)
		if err != nil {
			return cw.n, fmt.Errorf("library: export %s: %w", a.ID, err)
		}
		_, err = io.CopyBuffer(fw, rc, buf)
		rc.Close()
		if err != nil {
			return cw.n, fmt.Errorf("library: export %s: %w", a.ID, err)
		}
	}
	if err := zw.Close(); err != nil {
		return cw.n, fmt.Errorf("library: export: %w", err)
	}
	return cw.n, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// SplitIDs parses the ids=a,b,c query value.
func SplitIDs(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	return strings.Split(v, ",")
}
