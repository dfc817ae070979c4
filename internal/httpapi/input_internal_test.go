package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// walkStrings calls f on every string of a decoded JSON value, keys included.
func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case []any:
		for _, e := range x {
			walkStrings(e, f)
		}
	case map[string]any:
		for k, e := range x {
			f(k)
			walkStrings(e, f)
		}
	}
}

// FuzzReadJSON: whatever body readJSON accepts decodes to text every database stores alike —
// no NUL and valid UTF-8 in every string and key, at any depth, also inside a raw (unparsed)
// field, which reaches the store byte for byte.
func FuzzReadJSON(f *testing.F) {
	for _, s := range []string{`{"name":"fox"}`, `{"name":"a\u0000b"}`, "{\"name\":\"a\xffb\"}", `{"params":{"k\u0000":1}}`,
		`{"ids":["a","b\u0000"]}`, `{"raw":{"x":["\u0000"]}}`, "{\"raw\":\"\xc3\"}", `{"name":"\ud800"}`, `{"name":"\\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var dst struct {
			Name   string          `json:"name"`
			IDs    []string        `json:"ids"`
			Params map[string]any  `json:"params"`
			Raw    json.RawMessage `json:"raw"`
		}
		r := httptest.NewRequest("POST", "/api/x", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if err := readJSON(httptest.NewRecorder(), r, &dst); err != nil {
			return
		}
		var raw any
		if len(dst.Raw) > 0 {
			if err := json.Unmarshal(dst.Raw, &raw); err != nil {
				t.Fatalf("%q: raw field does not decode: %v", body, err)
			}
		}
		check := func(s string) {
			if !validText(s) {
				t.Fatalf("%q: readJSON accepted the string %q", body, s)
			}
		}
		check(dst.Name)
		walkStrings(dst.Params, check)
		walkStrings(raw, check)
		for _, id := range dst.IDs {
			check(id)
		}
	})
}

// FuzzCheckInput: a request reaches the routes only with a path and query whose decoded text
// is valid; otherwise it is answered 404 (path) or 400 (query) with the SPEC error body.
func FuzzCheckInput(f *testing.F) {
	for _, s := range [][2]string{{"/api/assets/abc", "q=fox"}, {"/api/assets/a\x00b", ""}, {"/media/\xff", ""},
		{"/api/assets", "model=a%00b"}, {"/api/assets", "%FF=1"}, {"/", "x=%zz"}, {"/api/assets", "a=1;b=%00"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, path, rawQuery string) {
		reached := false
		h := checkInput(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
		r := &http.Request{Method: "GET", URL: &url.URL{Path: path, RawQuery: rawQuery}, Header: http.Header{}}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if reached {
			if !validText(path) {
				t.Fatalf("path %q reached the routes", path)
			}
			for k, vs := range r.URL.Query() {
				if !validText(k) || !validText(strings.Join(vs, "")) {
					t.Fatalf("query %q reached the routes", rawQuery)
				}
			}
			return
		}
		var body struct{ Error struct{ Code string } }
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("refusal body %q: %v", w.Body.Bytes(), err)
		}
		switch {
		case !validText(path):
			if w.Code != 404 || body.Error.Code != "not_found" {
				t.Fatalf("path %q: %d %s", path, w.Code, w.Body.Bytes())
			}
		case w.Code != 400 || body.Error.Code != "invalid_input":
			t.Fatalf("query %q: %d %s", rawQuery, w.Code, w.Body.Bytes())
		}
	})
}
