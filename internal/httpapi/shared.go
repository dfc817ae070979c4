package httpapi

import (
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/shared"
)

// The share target (SPEC §16.2): what a device's share sheet sends, kept as the person's shared
// uploads, or stashed until they sign in.

// shareCookie names the stash of a share made before signing in.
const shareCookie = "fs_share"

// shareBodyMax bounds a whole share: four of the largest files and the text fields.
const shareBodyMax = shared.MaxFiles*shared.MaxVideo + 1<<20

type sharedView struct {
	ID          string  `json:"id"`
	Kind        string  `json:"kind"`
	ContentType string  `json:"contentType"`
	Bytes       int64   `json:"bytes"`
	Width       *int    `json:"width"`
	Height      *int    `json:"height"`
	Name        *string `json:"name"`
	Text        *string `json:"text"`
	URL         string  `json:"url"`
	CreatedAt   string  `json:"createdAt"`
	ExpiresAt   string  `json:"expiresAt"`
}

func viewShared(u *model.SharedUpload) sharedView {
	return sharedView{ID: u.ID, Kind: u.Kind, ContentType: u.ContentType, Bytes: u.Bytes, Width: u.Width, Height: u.Height,
		Name: u.Name, Text: u.Text, URL: "/api/shared/" + url.PathEscape(u.ID) + "/file", CreatedAt: rfc3339(u.CreatedAt), ExpiresAt: rfc3339(u.ExpiresAt)}
}

func viewShareds(ups []*model.SharedUpload) []sharedView {
	out := make([]sharedView, 0, len(ups))
	for _, u := range ups {
		out = append(out, viewShared(u))
	}
	return out
}

// createURL is where Create opens a share: its uploads, else its text.
func createURL(ups []*model.SharedUpload, text *string) string {
	if len(ups) == 0 {
		t := ""
		if text != nil {
			t = *text
		}
		return "/create?text=" + url.QueryEscape(t)
	}
	ids := make([]string, len(ups))
	for i, u := range ups {
		ids[i] = u.ID
	}
	return "/create?shared=" + strings.Join(ids, ",")
}

// acceptsHTML reports whether the client is a browser navigating (its Accept lists text/html).
func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// sharePageError answers a refused share: the JSON error, or for a browser a short page with
// the same status that says what happened and links to Create.
func (s *Server) sharePageError(w http.ResponseWriter, r *http.Request, err error) {
	if !acceptsHTML(r) {
		s.writeError(w, r, err)
		return
	}
	var me *model.Error
	status, msg := http.StatusInternalServerError, "Something went wrong on the server. Try sharing again."
	if errors.As(err, &me) {
		status, msg = statusFor[me.Code], me.Message
		if status == 0 {
			status = http.StatusBadRequest
		}
	} else {
		s.log.ErrorContext(r.Context(), "share failed", "err", err, "request_id", requestID(r.Context()))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`+
		`<title>fal-studio · share not accepted</title><style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:32rem;padding:0 1rem}</style></head>`+
		`<body><main><h1>The share was not accepted</h1><p>`+html.EscapeString(msg)+`</p><p><a href="/create">Open the studio</a></p></main></body></html>`)
}

// shareTarget receives POST /share-target (a top-level navigation from the share sheet).
func (s *Server) shareTarget(w http.ResponseWriter, r *http.Request) {
	if err := s.receiveShare(w, r); err != nil {
		s.sharePageError(w, r, err)
	}
}

// shareUser is the signed-in person, or nil: a share may arrive before signing in.
func (s *Server) shareUser(r *http.Request) *model.User {
	c, err := r.Cookie(s.cookieName(sessionCookie))
	if err != nil || c.Value == "" {
		return nil
	}
	u, _, err := s.Accounts.Authenticate(r.Context(), c.Value)
	if err != nil {
		return nil
	}
	return u
}

func (s *Server) receiveShare(w http.ResponseWriter, r *http.Request) (err error) {
	ctx := r.Context()
	user := s.shareUser(r)
	var uid int64
	if user != nil {
		uid = user.ID
	}
	r.Body = http.MaxBytesReader(w, r.Body, shareBodyMax)
	mr, err := r.MultipartReader()
	if err != nil {
		return model.Errf(model.CodeInvalidInput, "A share is sent as multipart/form-data.")
	}
	var files []*shared.File
	kept := false
	defer func() {
		if !kept {
			s.Shared.Discard(ctx, files) // a refused share stores nothing
		}
	}()
	texts := map[string]string{}
	tooLarge := model.Errf(model.CodeTooLarge, "A shared image may be at most 20 MB and a video at most 200 MB.")
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge
		}
		if err != nil {
			return model.Errf(model.CodeInvalidInput, "The share is not a valid multipart form.")
		}
		switch name := part.FormName(); name {
		case "title", "text", "url":
			b, err := io.ReadAll(io.LimitReader(part, shared.MaxText*4+1))
			if err != nil {
				return model.Errf(model.CodeInvalidInput, "The share could not be read.")
			}
			v := string(b)
			if len(b) > shared.MaxText*4 || !utf8.ValidString(v) || strings.ContainsRune(v, 0) || utf8.RuneCountInString(v) > shared.MaxText {
				return model.Errf(model.CodeInvalidInput, "The shared %s must be text of at most 2,000 characters.", name)
			}
			if _, seen := texts[name]; !seen {
				texts[name] = strings.TrimSpace(v)
			}
		case "media":
			if part.FileName() == "" {
				continue // an empty file input
			}
			if len(files) == shared.MaxFiles {
				return model.Errf(model.CodeInvalidInput, "Share at most 4 files at once.")
			}
			f, err := s.Shared.Receive(ctx, uid, part.FileName(), part)
			switch {
			case errors.Is(err, shared.ErrUnsupported):
				return model.Errf(model.CodeUnsupportedFile, "Only images (PNG, JPEG, WebP, GIF) and videos (MP4, QuickTime, WebM) can be shared to the studio.")
			case errors.Is(err, shared.ErrTooLarge), errors.As(err, &mbe):
				return tooLarge
			case err != nil:
				return err
			}
			files = append(files, f)
		}
		part.Close()
	}
	var text *string
	for _, k := range []string{"text", "title", "url"} {
		if v := texts[k]; v != "" {
			text = &v
			break
		}
	}
	if len(files) == 0 && text == nil {
		return model.Errf(model.CodeInvalidInput, "Nothing was shared: send an image, a video or some text.")
	}
	if user == nil {
		old := ""
		if c, err := r.Cookie(shareCookie); err == nil {
			old = c.Value
		}
		token, err := s.Shared.Stash(ctx, old, files, text)
		if err != nil {
			return err
		}
		kept = true
		http.SetCookie(w, &http.Cookie{Name: shareCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies(),
			SameSite: http.SameSiteLaxMode, MaxAge: int(shared.StashKeep / time.Second)})
		http.Redirect(w, r, "/login?shared=pending", http.StatusSeeOther)
		return nil
	}
	var ups []*model.SharedUpload
	if len(files) > 0 {
		if ups, err = s.Shared.Keep(ctx, uid, files, text); err != nil {
			return err
		}
	}
	kept = true
	http.Redirect(w, r, createURL(ups, text), http.StatusSeeOther)
	return nil
}

func (s *Server) claimShared(w http.ResponseWriter, r *http.Request) error {
	token := ""
	if c, err := r.Cookie(shareCookie); err == nil {
		token = c.Value
	}
	ups, text, err := s.Shared.Claim(r.Context(), currentUser(r.Context()).ID, token)
	if token != "" && (err == nil || errors.Is(err, model.ErrNotFound)) {
		http.SetCookie(w, &http.Cookie{Name: shareCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies(),
			SameSite: http.SameSiteLaxMode, MaxAge: -1})
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"shared": viewShareds(ups), "url": createURL(ups, text)})
	return nil
}

func (s *Server) listShared(w http.ResponseWriter, r *http.Request) error {
	ups, err := s.Shared.List(r.Context(), currentUser(r.Context()).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"shared": viewShareds(ups)})
	return nil
}

func (s *Server) getShared(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Shared.Get(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"shared": viewShared(u)})
	return nil
}

func (s *Server) serveSharedFile(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Shared.Get(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	name := u.ID
	media.Serve(w, r, s.Shared.Storage(), media.ObjectInfo{Key: u.StorageKey, Storage: u.Storage, ContentType: u.ContentType,
		Size: u.Bytes, ModTime: u.CreatedAt, FileName: name}, media.ServeOptions{})
	return nil
}

func (s *Server) deleteShared(w http.ResponseWriter, r *http.Request) error {
	if err := s.Shared.Delete(r.Context(), currentUser(r.Context()).ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) importShared(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Shared.Import(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"asset": assetView(s.urls, a)})
	return nil
}

// uploadShared sends a shared image to fal storage with the caller's key ({"sharedId"}).
func (s *Server) uploadShared(r *http.Request, id string) (string, error) {
	caller := currentUser(r.Context())
	rc, u, err := s.Shared.Open(r.Context(), caller.ID, id)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	name := u.ID
	if u.Name != nil {
		name = *u.Name
	}
	return s.Generations.UploadReference(r.Context(), caller, name, rc)
}
