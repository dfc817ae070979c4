package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/library"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/ratelimit"
)

func (s *Server) createShare(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		AssetID      string  `json:"assetId"`
		CollectionID string  `json:"collectionId"`
		ExpiresAt    *string `json:"expiresAt"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	si := library.ShareInput{AssetID: strings.TrimSpace(in.AssetID), CollectionID: strings.TrimSpace(in.CollectionID)}
	if in.ExpiresAt != nil && *in.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, *in.ExpiresAt)
		if err != nil {
			return model.Errf(model.CodeInvalidInput, "expiresAt must be a time like 2026-12-31T23:59:00Z.")
		}
		si.ExpiresAt = &t
	}
	sh, err := s.Library.CreateShare(r.Context(), currentUser(r.Context()).ID, si)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"share": sh})
	return nil
}

func (s *Server) listShares(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Library.Shares(r.Context(), currentUser(r.Context()).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"shares": list})
	return nil
}

func (s *Server) deleteShare(w http.ResponseWriter, r *http.Request) error {
	if err := s.Library.RevokeShare(r.Context(), currentUser(r.Context()).ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// limitShares spends one of the client's public share requests (unknown tokens included: they
// are what a guesser sends) and answers rate_limited with the wait once they run out.
func (s *Server) limitShares(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if ok, wait := s.shares.Take(ratelimit.ClientKey(s.clientIP(r)), time.Now()); !ok {
			secs := ratelimit.RetryAfter(wait)
			return &model.Error{Code: model.CodeRateLimited, Message: fmt.Sprintf("Too many requests for shared links. Try again in %d seconds.", secs), RetryAfter: secs}
		}
		return h(w, r)
	}
}

// publicShare is the JSON behind a share link (?cursor=&limit=, a page of a collection): no
// session, nothing of the owner but the media.
func (s *Server) publicShare(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := pageLimit(q)
	if err != nil {
		return err
	}
	p, err := s.Library.Public(r.Context(), r.PathValue("token"), q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// publicShareMedia serves a shared asset's bytes with the same Range and safe headers as /media.
func (s *Server) publicShareMedia(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Library.PublicMedia(r.Context(), r.PathValue("token"), r.PathValue("assetId"))
	if err != nil {
		return err
	}
	// Shared images are marked copies (SPEC §13.3), by the owner's embedPrompt.
	opts := media.ServeOptions{Download: r.URL.Query().Get("download") == "1", PresignTTL: s.presignTTL()}
	if opts.Marked, opts.MarkedETag, err = s.Library.MarkedCopy(r.Context(), a); err != nil {
		return err
	}
	media.Serve(noStore{w}, r, s.Library.Storage(), media.ObjectInfo{
		Key: a.StorageKey, Storage: a.Storage, ContentType: a.ContentType, Size: a.Bytes, ModTime: a.CreatedAt, FileName: a.ID,
	}, opts)
	return nil
}

// sharePage checks the link behind a share page (/s/{token}) as its JSON would, spending one of
// the client's share requests like the JSON and media routes do: the page answers a guess too.
func (s *Server) sharePage(r *http.Request, token string) error {
	return s.limitShares(func(_ http.ResponseWriter, r *http.Request) error {
		return s.Library.CheckShare(r.Context(), token)
	})(nil, r)
}

// shareError answers a share page whose check failed: a dead link is the UI with 404 (the app
// loads and tells the visitor), a refused or failed check the SPEC error body.
func (s *Server) shareError(w http.ResponseWriter, r *http.Request, index *uiFile, err error) {
	if errors.Is(err, model.ErrNotFound) {
		w.Header().Set("Content-Security-Policy", s.uiCSP())
		serveUIStatus(w, r, index, http.StatusNotFound)
		return
	}
	s.writeError(w, r, err)
}

// noStore replaces media's private caching: a link can be revoked at any moment, so no cache,
// not even the viewer's, keeps its bytes.
type noStore struct{ http.ResponseWriter }

func (n noStore) WriteHeader(code int) {
	n.Header().Set("Cache-Control", "no-store")
	n.ResponseWriter.WriteHeader(code)
}

func (n noStore) Write(b []byte) (int, error) {
	if n.Header().Get("Cache-Control") != "no-store" {
		n.WriteHeader(http.StatusOK)
	}
	return n.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the deadlines media.Serve sets.
func (n noStore) Unwrap() http.ResponseWriter { return n.ResponseWriter }

// redactPath hides share tokens from logs: /s/{token}… and /api/s/{token} keep only their shape.
func redactPath(p string) string {
	for _, prefix := range []string{"/s/", "/api/s/"} {
		if rest, ok := strings.CutPrefix(p, prefix); ok {
			_, tail, _ := strings.Cut(rest, "/")
			if tail != "" {
				tail = "/" + tail
			}
			return prefix + "[token]" + tail
		}
	}
	return p
}

// isSharePath reports the public share routes (no session, no referrer).
func isSharePath(p string) bool {
	return strings.HasPrefix(p, "/s/") || strings.HasPrefix(p, "/api/s/")
}
