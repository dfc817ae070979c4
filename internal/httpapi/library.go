package httpapi

import (
	"net/http"
)

// favoriteAsset (PUT) and unfavoriteAsset (DELETE) mark one asset.
func (s *Server) favoriteAsset(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Library.SetFavorite(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"), r.Method == http.MethodPut)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"asset": assetView(s.urls, a)})
	return nil
}

// bulkDeleteAssets deletes the caller's assets among assetIds (others are ignored, not counted):
// to the trash while it is on (SPEC §13.1).
func (s *Server) bulkDeleteAssets(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		AssetIDs []string `json:"assetIds"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	deleted, trashed, err := s.Library.BulkDelete(r.Context(), currentUser(r.Context()).ID, in.AssetIDs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"deleted": deleted, "trashed": trashed})
	return nil
}

// bulkFavoriteAssets marks (favorite true) or unmarks the caller's assets among assetIds.
func (s *Server) bulkFavoriteAssets(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		AssetIDs []string `json:"assetIds"`
		Favorite *bool    `json:"favorite"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	fav := in.Favorite == nil || *in.Favorite
	n, err := s.Library.BulkFavorite(r.Context(), currentUser(r.Context()).ID, in.AssetIDs, fav)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"updated": n})
	return nil
}
