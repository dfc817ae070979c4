package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
)

// serveThumb streams an asset's preview to its owner only, like serveMedia; an asset without
// one (yet) answers 404 and the UI falls back as it does for a null thumbUrl.
func (s *Server) serveThumb(w http.ResponseWriter, r *http.Request) error {
	a, _, err := s.Generations.Asset(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if a.ThumbBytes <= 0 {
		return model.Errf(model.CodeNotFound, "This asset has no preview.")
	}
	if err := s.onThisReplica(r, a); err != nil { // the preview sits beside its original
		return err
	}
	media.Serve(w, r, s.Generations.Storage(), media.ObjectInfo{
		Key: media.ThumbKey(a.StorageKey), Storage: a.Storage, ContentType: media.ThumbContentType, Size: a.ThumbBytes,
		ModTime: a.CreatedAt, FileName: a.ID + "-preview",
	}, media.ServeOptions{})
	return nil
}

// listNotModified answers a conditional GET /api/assets from the caller's asset version alone:
// it sets the page's ETag and, when the browser already holds that version, writes 304 and
// reports true — no query, no encoding. The ETag covers the user (a browser shared by two
// people never gets the other's page), the version, the query string and the build.
func (s *Server) listNotModified(w http.ResponseWriter, r *http.Request) (bool, error) {
	if s.AssetVersions == nil {
		return false, nil
	}
	uid := currentUser(r.Context()).ID
	v, err := s.AssetVersions.Assets(r.Context(), uid)
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256([]byte(s.Version + "\x00" + r.URL.RawQuery))
	etag := `W/"a` + strconv.FormatInt(uid, 36) + "." + strconv.FormatInt(v, 36) + "." + hex.EncodeToString(sum[:6]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	// Stored, but revalidated on every use: the page is current only while the version holds.
	h.Set("Cache-Control", "private, no-cache")
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return true, nil
	}
	return false, nil
}

// etagMatch is If-None-Match's weak comparison against one ETag.
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, c := range strings.Split(header, ",") {
		c = strings.TrimSpace(c)
		if c == "*" || strings.TrimPrefix(c, "W/") == want {
			return true
		}
	}
	return false
}
