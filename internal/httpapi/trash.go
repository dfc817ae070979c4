package httpapi

import (
	"net/http"
)

// The trash (SPEC §13.1).

// listTrash answers a page of the caller's trash and the retention in seconds (0: off).
func (s *Server) listTrash(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		return err
	}
	page, err := s.Library.Trash(r.Context(), currentUser(r.Context()).ID, q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	var next *string
	if page.NextCursor != "" {
		next = &page.NextCursor
	}
	writeJSON(w, http.StatusOK, map[string]any{"assets": assetViews(s.urls, page.Assets), "nextCursor": next,
		"retentionSeconds": int64(s.Library.Retention().Seconds())})
	return nil
}

// readAssetIDs reads {"assetIds":[…]}; the service checks the list (1–500 ids).
func readAssetIDs(w http.ResponseWriter, r *http.Request) ([]string, error) {
	var in struct {
		AssetIDs []string `json:"assetIds" required:"true"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return nil, err
	}
	return in.AssetIDs, nil
}

func (s *Server) restoreTrash(w http.ResponseWriter, r *http.Request) error {
	ids, err := readAssetIDs(w, r)
	if err != nil {
		return err
	}
	n, err := s.Library.Restore(r.Context(), currentUser(r.Context()).ID, ids)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"restored": n})
	return nil
}

func (s *Server) purgeTrash(w http.ResponseWriter, r *http.Request) error {
	ids, err := readAssetIDs(w, r)
	if err != nil {
		return err
	}
	n, err := s.Library.Purge(r.Context(), currentUser(r.Context()).ID, ids)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"purged": n})
	return nil
}

// emptyTrash takes no body, or an empty object.
func (s *Server) emptyTrash(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength != 0 {
		var in struct{}
		if err := readJSON(w, r, &in); err != nil {
			return err
		}
	}
	n, err := s.Library.EmptyTrash(r.Context(), currentUser(r.Context()).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"purged": n})
	return nil
}
