package httpapi

// Video continuity (SPEC §15): frame grabs, filmstrips, imports, Extend and Stitch. Every video
// route answers 501 ffmpeg_unavailable right after the session check when ffmpeg is missing.

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/library"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
)

// FilmstripView is the SPEC Filmstrip object.
type FilmstripView struct {
	URL             string    `json:"url"`
	Count           int       `json:"count"`
	FrameWidth      int       `json:"frameWidth"`
	FrameHeight     int       `json:"frameHeight"`
	DurationSeconds float64   `json:"durationSeconds"`
	Times           []float64 `json:"times"`
}

func (s *Server) grabFrame(w http.ResponseWriter, r *http.Request) error {
	if err := s.Library.RequireVideo(); err != nil {
		return err
	}
	var req struct {
		AtSeconds *float64 `json:"atSeconds" required:"true"`
	}
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	a, err := s.Library.GrabFrame(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"), *req.AtSeconds)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"asset": assetView(s.urls, a)})
	return nil
}

// filmstripCount reads ?count= (1–60, default 10).
func filmstripCount(r *http.Request) (int, error) {
	v := r.URL.Query().Get("count")
	if !r.URL.Query().Has("count") {
		return 10, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > media.MaxFilmstrip || strconv.Itoa(n) != v {
		return 0, model.Errf(model.CodeInvalidInput, "count must be a whole number from 1 to %d.", media.MaxFilmstrip)
	}
	return n, nil
}

func (s *Server) getFilmstrip(w http.ResponseWriter, r *http.Request) error {
	if err := s.Library.RequireVideo(); err != nil {
		return err
	}
	n, err := filmstripCount(r)
	if err != nil {
		return err
	}
	fs, err := s.Library.Filmstrip(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"), n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"filmstrip": filmstripView(fs)})
	return nil
}

func filmstripView(fs *library.Filmstrip) FilmstripView {
	return FilmstripView{URL: "/media/" + fs.AssetID + "/filmstrip/" + strconv.Itoa(fs.Count), Count: fs.Count,
		FrameWidth: fs.FrameWidth, FrameHeight: fs.FrameHeight, DurationSeconds: fs.DurationSeconds, Times: fs.Times}
}

// serveFilmstrip streams a stored sprite to the video's owner only, like serveMedia.
func (s *Server) serveFilmstrip(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.Atoi(r.PathValue("count"))
	if err != nil || n < 1 || n > media.MaxFilmstrip || strconv.Itoa(n) != r.PathValue("count") {
		return model.Errf(model.CodeNotFound, "No such filmstrip.")
	}
	a, obj, err := s.Library.FilmstripObject(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"), n)
	if err != nil {
		return err
	}
	media.Serve(w, r, s.Library.Storage(), media.ObjectInfo{
		Key: obj.Key, Storage: a.Storage, ContentType: media.ThumbContentType, Size: obj.Size,
		ModTime: obj.ModTime, FileName: a.ID + "-filmstrip",
	}, media.ServeOptions{})
	return nil
}

func (s *Server) createStitch(w http.ResponseWriter, r *http.Request) error {
	if !s.Generations.VideoAvailable() {
		return model.Errf(model.CodeFFmpegUnavailable, library.NoFFmpegMsg)
	}
	var in struct {
		AssetIDs         []string `json:"assetIds" required:"true"`
		CrossfadeSeconds *float64 `json:"crossfadeSeconds"`
		CollectionID     string   `json:"collectionId"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	c := 0.0
	if in.CrossfadeSeconds != nil {
		c = *in.CrossfadeSeconds
	}
	g, err := s.Generations.Stitch(r.Context(), currentUser(r.Context()), generation.StitchInput{
		AssetIDs: in.AssetIDs, CrossfadeSeconds: c, CollectionID: in.CollectionID, Via: s.via(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"generation": generationView(s.urls, g)})
	return nil
}

func (s *Server) extendAsset(w http.ResponseWriter, r *http.Request) error {
	if !s.Generations.VideoAvailable() {
		return model.Errf(model.CodeFFmpegUnavailable, library.NoFFmpegMsg)
	}
	var in struct {
		Prompt       string         `json:"prompt" required:"true"`
		Model        string         `json:"model"`
		Params       map[string]any `json:"params"`
		CollectionID string         `json:"collectionId"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	g, err := s.Generations.Extend(r.Context(), currentUser(r.Context()), generation.ExtendInput{
		AssetID: r.PathValue("id"), Prompt: in.Prompt, Model: in.Model, Params: in.Params, CollectionID: in.CollectionID, Via: s.via(r)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"generation": generationView(s.urls, g)})
	return nil
}

// importImage stores an image the browser sends (SPEC §15.4): multipart file, and optional
// parentAssetId, relation and atSeconds. Needs neither fal nor ffmpeg.
func (s *Server) importImage(w http.ResponseWriter, r *http.Request) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return model.Errf("unsupported_media_type", "Send the image as multipart/form-data.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, library.MaxImportBytes+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return model.Errf(model.CodeInvalidInput, "The upload is not a valid multipart form.")
	}
	var in library.ImportInput
	haveFile := false
	tooLarge := model.Errf(model.CodeTooLarge, "The image is larger than 20 MB.")
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return tooLarge
			}
			return model.Errf(model.CodeInvalidInput, "The upload is not a valid multipart form.")
		}
		name := part.FormName()
		limit := int64(1 << 10) // the text fields are short
		if name == "file" {
			limit = library.MaxImportBytes
		}
		b, err := io.ReadAll(io.LimitReader(part, limit+1))
		part.Close()
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return tooLarge
			}
			return model.Errf(model.CodeInvalidInput, "The upload is not a valid multipart form.")
		}
		if int64(len(b)) > limit {
			if name == "file" {
				return tooLarge
			}
			return model.Errf(model.CodeInvalidInput, "The field %s is too long.", name)
		}
		if name != "file" && (!utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0) {
			return model.Errf(model.CodeInvalidInput, "The field %s is not valid text.", name)
		}
		switch name {
		case "file":
			in.Data, haveFile = b, true
		case "parentAssetId":
			in.ParentAssetID = string(b)
		case "relation":
			in.Relation = string(b)
		case "atSeconds":
			in.AtSeconds = string(b)
		}
	}
	if !haveFile || len(in.Data) == 0 {
		return model.Errf(model.CodeInvalidInput, "Send the image in a form field named file.")
	}
	a, err := s.Library.ImportImage(r.Context(), currentUser(r.Context()).ID, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"asset": assetView(s.urls, a)})
	return nil
}
