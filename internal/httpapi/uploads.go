package httpapi

import (
	"errors"
	"mime"
	"net/http"

	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
)

// createUpload sends a reference image to fal storage with the user's key: either a multipart
// file (≤ 20 MB, an image by its bytes), one of the user's own assets ({"assetId"}) or shared
// uploads ({"sharedId"}).
func (s *Server) createUpload(w http.ResponseWriter, r *http.Request) error {
	caller := currentUser(r.Context())
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var url string
	switch mt {
	case "application/json":
		var in struct {
			AssetID  string `json:"assetId"`
			SharedID string `json:"sharedId"` // a shared upload (SPEC §16.2)
		}
		if err := readJSON(w, r, &in); err != nil {
			return err
		}
		var u string
		var err error
		switch {
		case (in.AssetID == "") == (in.SharedID == ""):
			return model.Errf(model.CodeInvalidInput, "Send an image file, an assetId or a sharedId.")
		case in.SharedID != "":
			u, err = s.uploadShared(r, in.SharedID)
		default:
			u, err = s.Generations.UploadAssetReference(r.Context(), caller, in.AssetID)
		}
		if err != nil {
			return err
		}
		url = u
	case "multipart/form-data":
		r.Body = http.MaxBytesReader(w, r.Body, generation.MaxUploadBytes+64<<10)
		mr, err := r.MultipartReader()
		if err != nil {
			return model.Errf(model.CodeInvalidInput, "The upload is not a valid multipart form.")
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return model.Errf(model.CodeTooLarge, "The image is larger than 20 MB.")
				}
				return model.Errf(model.CodeInvalidInput, "Send the image in a form field named file.")
			}
			if part.FormName() != "file" {
				part.Close()
				continue
			}
			u, err := s.Generations.UploadReference(r.Context(), caller, part.FileName(), media.LimitReader(part, generation.MaxUploadBytes))
			part.Close()
			if errors.Is(err, media.ErrTooLarge) {
				return model.Errf(model.CodeTooLarge, "The image is larger than 20 MB.")
			}
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return model.Errf(model.CodeTooLarge, "The image is larger than 20 MB.")
			}
			if err != nil {
				return err
			}
			url = u
			break
		}
	default:
		return model.Errf("unsupported_media_type", "Send an image as multipart/form-data, or JSON {\"assetId\"}.")
	}
	writeJSON(w, http.StatusCreated, map[string]string{"url": url})
	return nil
}
