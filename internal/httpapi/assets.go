package httpapi

import (
	"github.com/falstudio/falstudio/internal/generation"
	"net/http"
	"time"

	"github.com/falstudio/falstudio/internal/library"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
)

func (s *Server) listAssets(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		return err
	}
	fav := q.Get("favorite")
	page, err := s.Library.Assets(r.Context(), currentUser(r.Context()).ID, library.Filter{
		Kind: q.Get("kind"), Q: q.Get("q"), Cursor: q.Get("cursor"), Limit: limit,
		Favorite: fav == "1" || fav == "true", Model: q.Get("model"), From: q.Get("from"), To: q.Get("to"), Collection: q.Get("collection"),
		Sequence: q.Get("sequence"), Cast: q.Get("cast"),
	})
	if err != nil {
		return err
	}
	out := &AssetPage{Assets: assetViews(s.urls, page.Assets)}
	if page.NextCursor != "" {
		out.NextCursor = &page.NextCursor
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getAsset(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Library.Asset(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"asset": assetView(s.urls, a)})
	return nil
}

// assetLineage answers an asset's ancestors and children (SPEC §13.2); the caller's asset in
// the trash answers too.
func (s *Server) assetLineage(w http.ResponseWriter, r *http.Request) error {
	ancestors, children, err := s.Library.Lineage(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ancestors": assetViews(s.urls, ancestors), "children": assetViews(s.urls, children)})
	return nil
}

func (s *Server) deleteAsset(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Library.DeleteAsset(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if a == nil { // the trash is off: gone at once
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"asset": assetView(s.urls, a)})
	return nil
}

// serveMedia streams an asset to its owner only; anyone else gets the same 404 as a missing one.
func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Library.Asset(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if r.URL.Query().Get("download") == "1" {
		if err := s.Library.CheckDownload(r.Context(), a); err != nil {
			return err
		}
	}
	if err := s.onThisReplica(r, a); err != nil {
		return err
	}
	q := r.URL.Query()
	opts := media.ServeOptions{Download: q.Get("download") == "1", PresignTTL: s.presignTTL()}
	// A download is the marked copy (SPEC §13.3); ?original=1 and inline views are the stored
	// bytes, unchanged.
	if opts.Download && q.Get("original") != "1" {
		if opts.Marked, opts.MarkedETag, err = s.Library.MarkedCopy(r.Context(), a); err != nil {
			return err
		}
	}
	media.Serve(w, r, s.Library.Storage(), media.ObjectInfo{
		Key: a.StorageKey, Storage: a.Storage, ContentType: a.ContentType, Size: a.Bytes, ModTime: a.CreatedAt,
		FileName: a.ID,
	}, opts)
	return nil
}

// onThisReplica refuses, for now, a file that another replica kept on its own disk while S3 was
// down (SPEC §5): that replica serves it and re-syncs it to S3, after which every replica can.
// A file found here is served whoever recorded it (a restored backup, a shared disk).
func (s *Server) onThisReplica(r *http.Request, a *model.Asset) error {
	if a.Storage != model.StorageLocal || a.LocalHolder == "" || a.LocalHolder == s.Instance {
		return nil
	}
	if _, err := s.Library.Storage().Stat(r.Context(), model.StorageLocal, a.StorageKey); err == nil {
		return nil
	}
	return &model.Error{Code: model.CodeMediaUnavailable, RetryAfter: 30,
		Message: "This file is still on another studio server's disk and is being copied to shared storage. Try again in a minute."}
}

// serveThumb streams an asset's preview to its owner only, like serveMedia; an asset without
// one (yet) answers 404 and the UI falls back as it does for a null thumbUrl.
func (s *Server) serveThumb(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Library.Asset(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if a.ThumbBytes <= 0 {
		return model.Errf(model.CodeNotFound, "This asset has no preview.")
	}
	if err := s.onThisReplica(r, a); err != nil { // the preview sits beside its original
		return err
	}
	media.Serve(w, r, s.Library.Storage(), media.ObjectInfo{
		Key: media.ThumbKey(a.StorageKey), Storage: a.Storage, ContentType: media.ThumbContentType, Size: a.ThumbBytes,
		ModTime: a.CreatedAt, FileName: a.ID + "-preview",
	}, media.ServeOptions{PresignTTL: s.presignTTL()})
	return nil
}

// presignTTL is the lifetime of the presigned redirects media routes answer with (S3_PRESIGN,
// SPEC §17.2); 0 streams every file.
func (s *Server) presignTTL() time.Duration {
	if !s.cfg.S3.Presign || !s.cfg.S3.Enabled() {
		return 0
	}
	return s.cfg.S3.PresignTTL
}

// deriveAsset makes a new generation from one of the caller's assets: upscale or remove the
// background (SPEC §14).
func (s *Server) deriveAsset(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Action string         `json:"action"`
		Model  string         `json:"model"`
		Params map[string]any `json:"params"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	g, err := s.Generations.Derive(r.Context(), currentUser(r.Context()), generation.DeriveInput{AssetID: r.PathValue("id"),
		Action: in.Action, Model: in.Model, Params: in.Params, Via: s.via(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"generation": generationView(s.urls, g)})
	return nil
}
