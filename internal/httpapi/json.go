package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/model"
)

// maxJSONBody bounds every JSON request body.
const maxJSONBody = 1 << 20

// jsonAppender is a value that encodes itself exactly as encoding/json would, without
// reflection (the gallery page, library.AssetPage).
type jsonAppender interface{ AppendJSON([]byte) []byte }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if a, ok := v.(jsonAppender); ok {
		body := append(a.AppendJSON(make([]byte, 0, 32<<10)), '\n') // Encode's trailing newline
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readJSON decodes one JSON object from an application/json body of bounded size, strictly:
// unknown fields and duplicate keys (at any depth) are refused, and every struct field tagged
// `required:"true"` must be present and not null. Each failure is 400 invalid_input naming the
// field, so a client learns what to fix instead of meeting a confusing later check (a missing
// currentPassword is not a wrong password).
func readJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return model.Errf("unsupported_media_type", "Send the request body as application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return model.Errf(model.CodeTooLarge, "The request body is too large.")
		}
		return fmt.Errorf("httpapi: read body: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return model.Errf(model.CodeInvalidInput, "The request body is empty; send a JSON object.")
	}
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) { // decodes as "nothing", but is no object
		return model.Errf(model.CodeInvalidInput, "Send a JSON object.")
	}
	// encoding/json would quietly replace invalid bytes with U+FFFD (see input.go).
	if !utf8.Valid(body) {
		return model.Errf(model.CodeInvalidInput, "The request body is not valid UTF-8.")
	}
	present, err := scanJSON(body)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return model.Errf(model.CodeInvalidInput, "Unknown field %s in the request body.", f)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return model.Errf(model.CodeInvalidInput, "The field %q has the wrong type.", te.Field)
		}
		return model.Errf(model.CodeInvalidInput, "The request body is not valid JSON.")
	}
	if dec.More() {
		return model.Errf(model.CodeInvalidInput, "Send exactly one JSON object.")
	}
	return checkRequired(dst, present)
}

// scanJSON walks the tokens of one JSON value: it refuses a duplicate key in any object (Go's
// decoder silently keeps the last one, so two parsers could disagree on what was sent) and a
// NUL character in any key or string (no database column can hold it the same way, input.go),
// and returns the top-level keys whose value is not null.
func scanJSON(body []byte) (map[string]bool, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	invalid := model.Errf(model.CodeInvalidInput, "The request body is not valid JSON.")
	var stack []*frame
	present := map[string]bool{}
	lastTop, seen := "", false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if len(stack) > 0 || !seen { // empty, or cut off inside an object or array
				return nil, invalid
			}
			break
		}
		if err != nil {
			return nil, invalid
		}
		seen = true
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.keys != nil && top.expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				markValue(stack)
				continue
			}
			k, ok := tok.(string)
			if !ok {
				return nil, invalid
			}
			if strings.IndexByte(k, 0) >= 0 {
				return nil, model.Errf(model.CodeInvalidInput, "A key in the request body holds a NUL character (\\u0000).")
			}
			if top.keys[k] {
				return nil, model.Errf(model.CodeInvalidInput, "The key %q appears twice in the request body.", k)
			}
			top.keys[k] = true
			top.expectKey = false
			if len(stack) == 1 {
				lastTop = k
			}
			continue
		}
		// A value (or the end of an array).
		if v, ok := tok.(string); ok && strings.IndexByte(v, 0) >= 0 {
			if len(stack) == 0 {
				return nil, model.Errf(model.CodeInvalidInput, "The request body holds a NUL character (\\u0000).")
			}
			return nil, model.Errf(model.CodeInvalidInput, "The field %q holds a NUL character (\\u0000), which text cannot contain.", lastTop)
		}
		if len(stack) == 1 && top.keys != nil && tok != nil {
			present[lastTop] = true
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, expectKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			markValue(stack)
		default:
			markValue(stack)
		}
		if len(stack) == 0 {
			break
		}
	}
	return present, nil
}

// frame is one open object (keys seen so far) or array (keys nil) during scanJSON.
type frame struct {
	keys      map[string]bool
	expectKey bool
}

// markValue notes that the enclosing object's current key has its value: a key comes next.
func markValue(stack []*frame) {
	if len(stack) > 0 && stack[len(stack)-1].keys != nil {
		stack[len(stack)-1].expectKey = true
	}
}

// checkRequired refuses a body that lacks a field tagged `required:"true"` (or sends it null).
func checkRequired(dst any, present map[string]bool) error {
	v := reflect.ValueOf(dst)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("required") != "true" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if !present[name] {
			return model.Errf(model.CodeInvalidInput, "The field %q is required.", name)
		}
	}
	return nil
}

// pageLimit reads a paged list's ?limit= (0 when absent: the service's default). A number
// below 1 or not a number is refused here; the services refuse one above their maximum.
func pageLimit(q url.Values) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, model.Errf(model.CodeInvalidInput, "limit must be a number from 1 to 100.")
	}
	return n, nil
}
