package library

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// maxExportCollection bounds the assets of one collection export (the rows, not the bytes).
const maxExportCollection = 20_000

// exportPageRows is how many rows an export holds at a time: a row may carry a 10,000-character
// prompt and 64 KB of params, so a page is at most a few MB whatever the export's size.
const exportPageRows = 32

// Exports streaming at once, by default (SPEC §18): each holds a page of rows and a copy buffer
// for as long as its client takes to read, so they are bounded per person and in all.
const (
	DefaultExportsPerUser = 2
	DefaultExports        = 8
	exportRetryAfter      = 30 // seconds: exports take a while; a sooner retry would likely be refused again
)

// exportSlots counts the exports in progress, per person and in all (this process's: the memory
// they hold is the process's).
type exportSlots struct {
	mu                 sync.Mutex
	perUser            map[int64]int
	total              int
	maxPerUser, maxAll int
}

func newExportSlots(perUser, all int) *exportSlots {
	if perUser <= 0 {
		perUser = DefaultExportsPerUser
	}
	if all <= 0 {
		all = DefaultExports
	}
	return &exportSlots{perUser: map[int64]int{}, maxPerUser: perUser, maxAll: all}
}

// take claims a slot for the user, or answers too_many_exports with a Retry-After.
func (e *exportSlots) take(userID int64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.perUser[userID] >= e.maxPerUser {
		return &model.Error{Code: model.CodeTooManyExports, RetryAfter: exportRetryAfter,
			Message: fmt.Sprintf("You already have %d exports in progress. Try again when one has finished.", e.perUser[userID])}
	}
	if e.total >= e.maxAll {
		return &model.Error{Code: model.CodeTooManyExports, RetryAfter: exportRetryAfter,
			Message: fmt.Sprintf("The studio is making as many exports as it allows at once. Try again in %d seconds.", exportRetryAfter)}
	}
	e.perUser[userID]++
	e.total++
	return nil
}

func (e *exportSlots) give(userID int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.total--
	if e.perUser[userID]--; e.perUser[userID] <= 0 {
		delete(e.perUser, userID)
	}
}

// Export is a ZIP archive ready to be streamed: access is checked and the assets counted before
// a byte goes out, so a refusal is still a proper error response. It holds one of the export
// slots until Close.
type Export struct {
	s        *Service
	sel      store.ExportSelection
	count    int
	release  func()
	FileName string
}

// PrepareExport selects the assets of an export: the user's own among ids (≤ MaxBulk; others are
// left out, and none at all answers not_found), or the whole of one of their collections. It
// answers too_many_exports when the user, or the studio, has as many exports running as allowed;
// the caller must Close what it gets.
func (s *Service) PrepareExport(ctx context.Context, userID int64, ids []string, collectionID string) (*Export, error) {
	sel := store.ExportSelection{UserID: userID}
	limit := MaxBulk
	switch {
	case collectionID != "" && len(ids) > 0:
		return nil, model.Errf(model.CodeInvalidInput, "Export either ids or a collection, not both.")
	case collectionID != "":
		if _, err := s.st.Collection(ctx, userID, collectionID); err != nil {
			return nil, err
		}
		sel.Collection, limit = collectionID, maxExportCollection
	default:
		ids, err := cleanIDs(ids)
		if err != nil {
			return nil, err
		}
		sel.IDs = ids
	}
	hide, err := s.HidesFlagged(ctx, userID)
	if err != nil {
		return nil, err
	}
	if hide && len(sel.IDs) > 0 {
		as, err := s.st.AssetsByIDs(ctx, userID, sel.IDs)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if a.Flagged {
				return nil, errFlagged
			}
		}
	}
	sel.NoFlagged = hide // a collection's flagged outputs are left out
	if err := s.exports.take(userID); err != nil {
		return nil, err
	}
	var once sync.Once
	ex := &Export{s: s, sel: sel, release: func() { once.Do(func() { s.exports.give(userID) }) },
		FileName: "fal-studio-" + s.now().UTC().Format("20060102-150405") + ".zip"}
	if sel.Collection != "" {
		s.st.StampExport(&ex.sel)
	}
	n, err := s.st.CountExport(ctx, ex.sel, limit)
	if err == nil && n == 0 && sel.Collection == "" {
		err = store.ErrNotFound
	}
	if err != nil {
		ex.release()
		return nil, err
	}
	ex.count = n
	return ex, nil
}

// Close gives the export's slot back; it may be called more than once.
func (e *Export) Close() { e.release() }

// Count is how many files the archive holds (metadata.json aside).
func (e *Export) Count() int { return e.count }

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

// eachPage calls fn with every page of the export's assets, oldest first, up to its count.
func (e *Export) eachPage(ctx context.Context, withParams bool, fn func([]*model.Asset) error) error {
	var after *store.ExportCursor
	left := e.count
	for left > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := e.s.st.ExportPage(ctx, e.sel, after, min(exportPageRows, left), withParams)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		if err := fn(page); err != nil {
			return err
		}
		left -= len(page)
		last := page[len(page)-1]
		after = &store.ExportCursor{CreatedMs: last.CreatedAt.UnixMilli(), ID: last.ID}
	}
	return nil
}

// errExportChanged cuts an export whose assets changed between its two passes (one deleted
// meanwhile): metadata.json would list a file the archive does not hold.
var errExportChanged = errors.New("library: export: the assets changed while it was written")

// WriteTo streams the archive to w as it is written. metadata.json comes first, written an
// entry at a time from pages of rows; then each file, copied straight from storage through a
// fixed buffer (stored, not deflated: media is already compressed), the rows read again in pages
// without their params. So memory is a page of rows and a buffer, whatever the number of assets
// and the size of their prompts, params and files. An error mid-way leaves a truncated archive
// (no central directory); the caller can only cut the response.
func (e *Export) WriteTo(ctx context.Context, w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	zw := zip.NewWriter(cw)
	mw, err := zw.CreateHeader(&zip.FileHeader{Name: "metadata.json", Method: zip.Deflate, Modified: e.s.now().UTC()})
	if err != nil {
		return cw.n, fmt.Errorf("library: export: %w", err)
	}
	listed, err := e.writeMetadata(ctx, mw)
	if err != nil {
		return cw.n, err
	}
	written := sha256.New()
	buf := make([]byte, 256<<10)
	// Image entries are marked copies (SPEC §13.3), by the owner's embedPrompt as it is now.
	prefs, err := e.s.st.Preferences(ctx, e.sel.UserID)
	if err != nil {
		return cw.n, err
	}
	err = e.eachPage(ctx, false, func(page []*model.Asset) error {
		for _, a := range page {
			if err := ctx.Err(); err != nil {
				return err
			}
			written.Write([]byte(a.ID + "\n"))
			fw, err := zw.CreateHeader(&zip.FileHeader{Name: ExportName(a), Method: zip.Store, Modified: a.CreatedAt.UTC()})
			if err != nil {
				return fmt.Errorf("library: export: %w", err)
			}
			sp, _, err := e.s.markedCopy(ctx, a, prefs.EmbedPrompt)
			if err != nil {
				return fmt.Errorf("library: export %s: %w", a.ID, err)
			}
			var rc io.ReadCloser
			if sp != nil {
				rc = e.s.storage.Reader(ctx, a.Storage, a.StorageKey, sp)
			} else if rc, _, err = e.s.storage.Open(ctx, a.Storage, a.StorageKey, 0, -1); err != nil {
				return fmt.Errorf("library: export %s: %w", a.ID, err)
			}
			_, err = io.CopyBuffer(fw, rc, buf)
			rc.Close()
			if err != nil {
				return fmt.Errorf("library: export %s: %w", a.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return cw.n, err
	}
	if !bytes.Equal(written.Sum(nil), listed) {
		return cw.n, errExportChanged
	}
	if err := zw.Close(); err != nil {
		return cw.n, fmt.Errorf("library: export: %w", err)
	}
	return cw.n, nil
}

// writeMetadata writes metadata.json one entry at a time, each asset compact on its own line
// (indenting every entry measured twice the CPU of encoding it), and returns the SHA-256 of
// the ids it listed, in order.
func (e *Export) writeMetadata(ctx context.Context, w io.Writer) ([]byte, error) {
	exportedAt, err := json.Marshal(rfc3339(e.s.now()))
	if err != nil {
		return nil, fmt.Errorf("library: export: %w", err)
	}
	// bufio's error is sticky: a failed write shows again at the next one and at Flush.
	bw := bufio.NewWriterSize(w, 32<<10)
	if _, err := bw.WriteString(`{"format":"fal-studio-export/1","exportedAt":` + string(exportedAt) + `,"assets":[`); err != nil {
		return nil, fmt.Errorf("library: export: %w", err)
	}
	listed := sha256.New()
	sep := "\n"
	err = e.eachPage(ctx, true, func(page []*model.Asset) error {
		for _, a := range page {
			m := exportMeta{File: ExportName(a), ID: a.ID, GenerationID: a.GenerationID, Model: a.Model, Prompt: a.Prompt, Kind: a.Kind,
				ContentType: a.ContentType, Bytes: a.Bytes, Params: a.Params, Favorite: a.Favorite, CreatedAt: rfc3339(a.CreatedAt)}
			if a.Width > 0 && a.Height > 0 {
				wd, ht := a.Width, a.Height
				m.Width, m.Height = &wd, &ht
			}
			if len(m.Params) == 0 || !json.Valid(m.Params) {
				m.Params = json.RawMessage("{}")
			}
			b, err := json.Marshal(m)
			if err != nil {
				return fmt.Errorf("library: export %s: %w", a.ID, err)
			}
			if _, err := bw.WriteString(sep); err != nil {
				return fmt.Errorf("library: export: %w", err)
			}
			if _, err := bw.Write(b); err != nil {
				return fmt.Errorf("library: export: %w", err)
			}
			sep = ",\n"
			listed.Write([]byte(a.ID + "\n"))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	end := "]}\n"
	if sep != "\n" {
		end = "\n" + end
	}
	if _, err := bw.WriteString(end); err != nil {
		return nil, fmt.Errorf("library: export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("library: export: %w", err)
	}
	return listed.Sum(nil), nil
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
