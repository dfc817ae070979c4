package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/falstudio/falstudio/internal/model"
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

// Preferences (SPEC §13.3).

type preferencesView struct {
	EmbedPrompt bool `json:"embedPrompt"`
}

func (s *Server) getPreferences(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Library.Preferences(r.Context(), currentUser(r.Context()).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"preferences": preferencesView{EmbedPrompt: p.EmbedPrompt}})
	return nil
}

// putPreferences changes only the keys it names; unknown keys and wrong types are refused by
// readJSON before anything changes.
func (s *Server) putPreferences(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		EmbedPrompt json.RawMessage `json:"embedPrompt"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	var embed *bool
	switch string(in.EmbedPrompt) {
	case "":
	case "true", "false":
		v := string(in.EmbedPrompt) == "true"
		embed = &v
	default: // null included: a preference is never unset
		return model.Errf(model.CodeInvalidInput, "embedPrompt must be true or false.")
	}
	uid := currentUser(r.Context()).ID
	p, err := s.Library.Preferences(r.Context(), uid)
	if err != nil {
		return err
	}
	if embed != nil {
		if p, err = s.Library.SetEmbedPrompt(r.Context(), uid, *embed); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"preferences": preferencesView{EmbedPrompt: p.EmbedPrompt}})
	return nil
}
