package httpapi

import (
	"net/http"

	"github.com/falstudio/falstudio/internal/library"
)

func (s *Server) listCollections(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Library.Collections(r.Context(), currentUser(r.Context()).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"collections": list})
	return nil
}

func (s *Server) createCollection(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.Library.CreateCollection(r.Context(), currentUser(r.Context()).ID, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"collection": c})
	return nil
}

// updateCollection renames it ({"name"}) and/or chooses its cover ({"coverAssetId"}, "" = newest).
func (s *Server) updateCollection(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name         *string `json:"name"`
		CoverAssetID *string `json:"coverAssetId"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.Library.UpdateCollection(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"),
		library.CollectionUpdate{Name: in.Name, CoverAssetID: in.CoverAssetID})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"collection": c})
	return nil
}

func (s *Server) deleteCollection(w http.ResponseWriter, r *http.Request) error {
	if err := s.Library.DeleteCollection(r.Context(), currentUser(r.Context()).ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// collectionAssets adds (POST) or removes (DELETE) assets; another user's ids are ignored.
func (s *Server) collectionAssets(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		AssetIDs []string `json:"assetIds"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	uid, id := currentUser(r.Context()).ID, r.PathValue("id")
	var c *library.CollectionView
	var err error
	if r.Method == http.MethodPost {
		c, err = s.Library.AddToCollection(r.Context(), uid, id, in.AssetIDs)
	} else {
		c, err = s.Library.RemoveFromCollection(r.Context(), uid, id, in.AssetIDs)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"collection": c})
	return nil
}
