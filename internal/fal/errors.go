package fal

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Error codes (SPEC §3) a fal failure is classified into.
const (
	CodeKeyInvalid         = "fal_key_invalid"
	CodeAdminKeyRequired   = "fal_admin_key_required"
	CodeAccountLocked      = "fal_account_locked"
	CodeContentBlocked     = "content_blocked"
	CodeInvalidInput       = "fal_invalid_input"
	CodeUnavailable        = "fal_unavailable"
	msgKeyInvalid          = "fal rejected your API key. Check the key saved in Account."
	msgAdminKeyRequired    = "Reading the fal balance needs a key with billing access (ADMIN scope or a billing permission). Your current key can run models but cannot read the balance."
	msgNoPricingAccess     = "Your fal key lacks pricing access (fal's pricing API refused it), so there is no price. Generation still works."
	contentBlockedPrefix   = "Blocked by provider safety/content policy: "
	msgUnavailableFallback = "fal could not be reached or answered with an error. Try again in a moment."
)

// DetailItem is one entry of a FastAPI-style detail list.
type DetailItem struct {
	Loc  []any           `json:"loc"`
	Msg  string          `json:"msg"`
	Type string          `json:"type"`
	URL  string          `json:"url,omitempty"`
	Ctx  json.RawMessage `json:"ctx,omitempty"`
}

// Error is every failure of a fal call: fal's answer, and its classification.
type Error struct {
	Status      int             // HTTP status fal answered (0: no answer: network error or timeout)
	Detail      string          // detail as text (a string detail, or the items joined)
	Items       []DetailItem    // detail when it was a list
	RawDetail   json.RawMessage // detail exactly as fal sent it (list, string or object)
	Type        string          // error_type, X-Fal-Error-Type, or the first item's type
	Retryable   bool            // X-Fal-Retryable
	UserTimeout bool            // X-Fal-Request-Timeout-Type: user (never retried)
	RequestID   string          // x-fal-request-id
	Code        string          // SPEC code
	Message     string          // a sentence for the user
	Op          string          // which call
	cause       error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("fal: %s: %s", e.Op, e.Code)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.cause != nil {
		s += ": " + e.cause.Error()
	} else if e.Detail != "" {
		s += ": " + truncate(e.Detail, 300)
	}
	return s
}

func (e *Error) Unwrap() error { return e.cause }

// ErrorCode and ErrorMessage let the HTTP layer render the SPEC error body.
func (e *Error) ErrorCode() string    { return e.Code }
func (e *Error) ErrorMessage() string { return e.Message }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// parseError reads a non-2xx answer into an *Error and classifies it. billing marks the billing
// route, where any non-lock 403 means the key lacks billing access (the ADMIN scope, or a
// billing permission of fal's newer key presets).
func parseError(op string, status int, h http.Header, body []byte, billing bool) *Error {
	e := &Error{Op: op, Status: status, RequestID: h.Get("X-Fal-Request-Id"),
		Retryable:   strings.EqualFold(h.Get("X-Fal-Retryable"), "true"),
		UserTimeout: strings.EqualFold(h.Get("X-Fal-Request-Timeout-Type"), "user"),
		Type:        h.Get("X-Fal-Error-Type")}
	var raw struct {
		Detail    json.RawMessage `json:"detail"`
		ErrorType string          `json:"error_type"`
		Error     json.RawMessage `json:"error"`
		Message   string          `json:"message"`
	}
	if json.Unmarshal(body, &raw) == nil {
		if raw.ErrorType != "" {
			e.Type = raw.ErrorType
		}
		if len(raw.Detail) > 0 {
			e.RawDetail = append(json.RawMessage(nil), raw.Detail...)
			var s string
			if json.Unmarshal(raw.Detail, &s) == nil {
				e.Detail = s
			} else if json.Unmarshal(raw.Detail, &e.Items) == nil {
				msgs := make([]string, 0, len(e.Items))
				for _, it := range e.Items {
					msgs = append(msgs, it.Msg)
					if e.Type == "" && it.Type != "" {
						e.Type = it.Type
					}
				}
				e.Detail = strings.Join(msgs, "; ")
			} else {
				e.Detail = string(raw.Detail)
			}
		}
		if len(raw.Error) > 0 { // platform envelope {"error":{"type","message"}}
			var pe struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			}
			if json.Unmarshal(raw.Error, &pe) == nil {
				if e.Type == "" {
					e.Type = pe.Type
				}
				if e.Detail == "" {
					e.Detail = pe.Message
				}
			} else if s := ""; json.Unmarshal(raw.Error, &s) == nil && e.Detail == "" {
				e.Detail = s
			}
		}
		if e.Detail == "" {
			e.Detail = raw.Message
		}
	}
	if e.Detail == "" {
		e.Detail = strings.TrimSpace(truncate(string(body), 500))
	}
	classify(e, billing)
	return e
}

var blockedWords = []string{"safety", "policy", "moderation", "sensitive", "unsafe", "content_policy_violation", "nsfw"}

func classify(e *Error, billing bool) {
	lower := strings.ToLower(e.Detail + " " + e.Type)
	for _, it := range e.Items {
		lower += " " + strings.ToLower(it.Type)
	}
	switch {
	case e.Status == http.StatusUnauthorized:
		e.Code, e.Message = CodeKeyInvalid, msgKeyInvalid
	case e.Status == http.StatusForbidden && strings.Contains(lower, "user is locked"):
		e.Code, e.Message = CodeAccountLocked, "Your fal account is locked: "+reason(e.Detail)
	case e.Type == "content_policy_violation" || hasItemType(e, "content_policy_violation") ||
		((e.Status == http.StatusForbidden || e.Status == http.StatusUnprocessableEntity) && containsAny(lower, blockedWords)):
		e.Code, e.Message = CodeContentBlocked, contentBlockedPrefix+nonEmpty(e.Detail, "the request was refused.")
	case e.Status == http.StatusForbidden && (billing || strings.Contains(lower, "admin")):
		e.Code, e.Message = CodeAdminKeyRequired, msgAdminKeyRequired
	case e.Status == http.StatusForbidden && strings.HasPrefix(e.Op, "pricing"):
		// A valid key without the pricing permission, not a rejected key.
		e.Code, e.Message = CodeKeyInvalid, msgNoPricingAccess
	case e.Status == http.StatusUnprocessableEntity || e.Status == http.StatusBadRequest:
		e.Code, e.Message = CodeInvalidInput, invalidInputMessage(e)
	case e.Status == http.StatusForbidden:
		e.Code, e.Message = CodeKeyInvalid, "fal refused this request for your key: "+nonEmpty(e.Detail, "access denied.")
	default:
		e.Code = CodeUnavailable
		e.Message = msgUnavailableFallback
		if e.Status >= 500 && e.Detail != "" && len(e.Detail) < 300 && !strings.Contains(lower, "<html") {
			e.Message = "fal could not run the request: " + e.Detail
		}
	}
}

func hasItemType(e *Error, t string) bool {
	for _, it := range e.Items {
		if it.Type == t {
			return true
		}
	}
	return false
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func nonEmpty(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func reason(detail string) string {
	if _, r, ok := strings.Cut(detail, "Reason:"); ok {
		return strings.TrimSpace(r)
	}
	return nonEmpty(detail, "no reason given.")
}

// invalidInputMessage lists "field: msg" for each detail item.
func invalidInputMessage(e *Error) string {
	if len(e.Items) == 0 {
		return "fal refused the input: " + nonEmpty(e.Detail, "invalid request.")
	}
	parts := make([]string, 0, len(e.Items))
	for _, it := range e.Items {
		field := "input"
		if n := len(it.Loc); n > 0 {
			field = fmt.Sprint(it.Loc[n-1])
			if field == "body" {
				field = "input"
			}
		}
		parts = append(parts, field+": "+it.Msg)
	}
	return strings.Join(parts, "; ")
}

// redact removes the key from everything fal echoed back, in case a body ever quotes it.
func (e *Error) redact(key string) {
	if len(key) < 6 {
		return // too short to tell apart from ordinary text
	}
	r := strings.NewReplacer(key, "[redacted]")
	e.Detail, e.Message = r.Replace(e.Detail), r.Replace(e.Message)
	for i := range e.Items {
		e.Items[i].Msg = r.Replace(e.Items[i].Msg)
	}
	if strings.Contains(string(e.RawDetail), key) {
		e.RawDetail = json.RawMessage(`"[redacted]"`)
	}
}

// networkError wraps a failure to get any answer.
func networkError(op string, err error) *Error {
	return &Error{Op: op, Code: CodeUnavailable, Message: msgUnavailableFallback, cause: err}
}
