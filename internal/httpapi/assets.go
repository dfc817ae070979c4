package httpapi

import (
	"net/http"
	"strconv"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
)

func (s *Server) listAssets(w http.ResponseWriter, r *http.Request) (err error) {
	if done, err := s.listNotModified(w, r); done || err != nil { // thumbs.go: ETag and 304
		return err
	}
	defer func() {
		if err != nil {
			w.Header().Del("ETag") // an error is no version of the page
		}
	}()
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return model.Errf(model.CodeInvalidInput, "limit must be a number from 1 to 100.")
		}
		limit = n
	}
	page, err := s.Generations.Assets(r.Context(), currentUser(r.Context()).ID, q.Get("kind"), q.Get("q"), q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) getAsset(w http.ResponseWriter, r *http.Request) error {
	_, v, err := s.Generations.Asset(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"asset": v})
	return nil
}

func (s *Server) deleteAsset(w http.ResponseWriter, r *http.Request) error {
	if err := s.Generations.DeleteAsset(r.Context(), currentUser(r.Context()).ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// serveMedia streams an asset to its owner only; anyone else gets the same 404 as a missing one.
func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request) error {
	a, _, err := s.Generations.Asset(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	media.Serve(w, r, s.Generations.Storage(), media.ObjectInfo{
		Key: a.StorageKey, Storage: a.Storage, ContentType: a.ContentType, Size: a.Bytes, ModTime: a.CreatedAt,
		FileName: a.ID,
	}, media.ServeOptions{Download: r.URL.Query().Get("download") == "1"})
	return nil
}
