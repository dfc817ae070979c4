package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/falstudio/falstudio/internal/model"
)

// maxJSONBody bounds every JSON request body.
const maxJSONBody = 1 << 20

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readJSON decodes one JSON object from an application/json body of bounded size.
func readJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return model.Errf("unsupported_media_type", "Send the request body as application/json.")
	}
	body := http.MaxBytesReader(w, r.Body, maxJSONBody)
	dec := json.NewDecoder(body)
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return model.Errf(model.CodeTooLarge, "The request body is too large.")
		}
		if errors.Is(err, io.EOF) {
			return model.Errf(model.CodeInvalidInput, "The request body is empty; send a JSON object.")
		}
		return model.Errf(model.CodeInvalidInput, "The request body is not valid JSON.")
	}
	if dec.More() {
		return model.Errf(model.CodeInvalidInput, "Send exactly one JSON object.")
	}
	return nil
}
