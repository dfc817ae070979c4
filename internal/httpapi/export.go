package httpapi

import (
	"mime"
	"net/http"
	"time"

	"github.com/falstudio/falstudio/internal/library"
)

// exportZip streams a ZIP of the caller's chosen assets (?ids=a,b) or of a collection
// (?collection=id). Access and the export slots are checked before the headers go out; after
// that, a failure can only cut the connection, so the client sees a broken download rather
// than a short archive.
func (s *Server) exportZip(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	uid := currentUser(r.Context()).ID
	ex, err := s.Library.PrepareExport(r.Context(), uid, library.SplitIDs(q.Get("ids")), q.Get("collection"))
	if err != nil {
		return err
	}
	defer ex.Close() // the export's slot (SPEC §18: a few at once per person and in all)
	rc := http.NewResponseController(w)
	// A large archive outlives the API's write deadline and the server's ReadTimeout.
	_ = rc.SetWriteDeadline(time.Now().Add(6 * time.Hour))
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": ex.FileName}))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	n, err := ex.WriteTo(r.Context(), w)
	if err != nil {
		if r.Context().Err() == nil {
			s.log.Warn("export cut short", "user_id", uid, "bytes", n, "err", err, "request_id", requestID(r.Context()))
		}
		panic(http.ErrAbortHandler)
	}
	s.log.Info("export", "user_id", uid, "files", ex.Count(), "bytes", n)
	return nil
}
