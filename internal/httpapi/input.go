package httpapi

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/model"
)

// Text that reaches the database must be storable the same way on both: PostgreSQL refuses a
// NUL byte or invalid UTF-8 in a text value (SQLSTATE 22021, which would surface as a 500),
// while SQLite stores either. So such text is refused where it enters, before any handler:
//
//   - the request path (every id in a path) → 404 not_found, as an unknown id answers;
//   - the query string, names and values as decoded → 400 invalid_input (checkInput);
//   - a JSON body → 400 invalid_input: raw bytes that are not UTF-8 anywhere in the body, and a
//     NUL (the escape \u0000) in any key or string at any depth (readJSON, scanJSON).
//
// A JSON escape of a lone UTF-16 surrogate (\ud800) is valid JSON grammar and is what
// JavaScript's JSON.stringify writes for a string cut inside a surrogate pair; encoding/json
// decodes it to U+FFFD, which both databases store alike, so it is accepted. Raw invalid bytes
// are not JSON at all (RFC 8259 §8.1 requires UTF-8) and are refused rather than silently
// replaced, so what is stored is always what was sent.
//
// Headers need no check of their own: net/http refuses control characters (NUL included) in
// header values, and the ones that reach the store are parsed first (Last-Event-ID as a number,
// the session cookie by net/http's cookie grammar, X-Forwarded-For as an IP address). An upload's
// file name is reduced to an ASCII slug and never stored.

// validText reports whether s can be stored as text on every database: UTF-8 without NUL.
func validText(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// checkInput refuses a request whose path or query string holds a NUL byte or invalid UTF-8
// (after percent-decoding), before routing and so before any handler reaches the database.
func checkInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !validText(r.URL.Path) {
			// No route serves such a path, and no id can hold such bytes: it names nothing.
			errorJSON(w, http.StatusNotFound, model.CodeNotFound, "Not found.")
			return
		}
		if r.URL.RawQuery != "" {
			for k, vs := range r.URL.Query() {
				if !validText(k) {
					errorJSON(w, http.StatusBadRequest, model.CodeInvalidInput, "A query parameter's name holds a NUL byte or invalid UTF-8.")
					return
				}
				for _, v := range vs {
					if !validText(v) {
						errorJSON(w, http.StatusBadRequest, model.CodeInvalidInput, "The query parameter "+k+" holds a NUL byte or invalid UTF-8.")
						return
					}
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
