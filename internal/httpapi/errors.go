package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/model"
)

// statusFor maps a SPEC error code to its HTTP status. 401/403 are only ever the studio's own
// session and permissions: fal-side rejections are 422/502 so the UI never logs the user out.
var statusFor = map[string]int{
	model.CodeUnauthenticated:    http.StatusUnauthorized,
	model.CodeCrossOrigin:        http.StatusForbidden,
	model.CodeInvalidInput:       http.StatusBadRequest,
	model.CodeWeakPassword:       http.StatusBadRequest,
	model.CodeTooLarge:           http.StatusRequestEntityTooLarge,
	model.CodeEmailTaken:         http.StatusConflict,
	model.CodeInvalidCredentials: http.StatusUnauthorized,
	model.CodeSignupClosed:       http.StatusForbidden,
	model.CodeRateLimited:        http.StatusTooManyRequests,
	model.CodeNotFound:           http.StatusNotFound,
	model.CodeFalKeyMissing:      http.StatusConflict,
	model.CodeBudgetExceeded:     http.StatusConflict,
	model.CodeForbidden:          http.StatusForbidden,
	model.CodeInviteRequired:     http.StatusForbidden,
	model.CodeInviteInvalid:      http.StatusBadRequest,
	model.CodeAccountDisabled:    http.StatusForbidden,
	model.CodeResetInvalid:       http.StatusBadRequest,
	model.CodeLastAdmin:          http.StatusConflict,
	model.CodeNameTaken:          http.StatusConflict,
	model.CodeTooManyStreams:     http.StatusTooManyRequests,
	model.CodeTooManyExports:     http.StatusTooManyRequests,
	model.CodeNoReferenceField:   http.StatusBadRequest,
	"unsupported_media_type":     http.StatusUnsupportedMediaType,
	model.CodeMethodNotAllowed:   http.StatusMethodNotAllowed,
	model.CodeNotReady:           http.StatusServiceUnavailable,
	model.CodeConflict:           http.StatusConflict,
	model.CodeQuotaExceeded:      http.StatusConflict,
	model.CodeMediaUnavailable:   http.StatusServiceUnavailable,
	model.CodeWebhookInvalid:     http.StatusUnauthorized,
	model.CodeInternal:           http.StatusInternalServerError,
	model.CodeUnsupportedInput:   http.StatusBadRequest,
	model.CodeNoStartFrameField:  http.StatusBadRequest,
	model.CodeNoEndFrameField:    http.StatusBadRequest,
	model.CodeVideoUnreadable:    http.StatusUnprocessableEntity,
	model.CodeFFmpegUnavailable:  http.StatusNotImplemented,
	// Single sign-on and policies (SPEC §12.3).
	model.CodeSSOUnavailable:        http.StatusServiceUnavailable,
	model.CodeSSOAlreadyLinked:      http.StatusConflict,
	model.CodePasswordRequired:      http.StatusConflict,
	model.CodePasswordLoginDisabled: http.StatusForbidden,
	model.CodeModelNotAllowed:       http.StatusForbidden,
	model.CodePromptBlocked:         http.StatusUnprocessableEntity,
	model.CodeFlaggedContent:        http.StatusConflict,
	model.CodePolicyInUse:           http.StatusConflict,
	model.CodeInsufficientScope:     http.StatusForbidden,
	model.CodeTooManyTokens:         http.StatusConflict,
	model.CodeCastAmbiguous:         http.StatusBadRequest,
	model.CodeUnsupportedFile:       http.StatusBadRequest,
	model.CodeInvalidPushEndpoint:   http.StatusBadRequest,
	// fal's verdicts on the user's key, account or input are the user's to fix (422); fal being
	// unreachable is a bad gateway. Never 401/403: those would log the user out of the studio.
	fal.CodeKeyInvalid:       http.StatusUnprocessableEntity,
	fal.CodeAdminKeyRequired: http.StatusUnprocessableEntity,
	fal.CodeAccountLocked:    http.StatusUnprocessableEntity,
	fal.CodeContentBlocked:   http.StatusUnprocessableEntity,
	fal.CodeInvalidInput:     http.StatusUnprocessableEntity,
	fal.CodeUnavailable:      http.StatusBadGateway,
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// codedError is an error that carries a SPEC code and a human message (fal.Error).
type codedError interface {
	error
	ErrorCode() string
	ErrorMessage() string
}

// writeError renders err as the SPEC error body. Unknown errors are logged once, here, and
// answered with an opaque 500 so no internal detail (or secret) reaches the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var me *model.Error
	var ce codedError
	code, msg, status := "", "", 0
	switch {
	case errors.As(err, &me):
		code, msg = me.Code, me.Message
		if me.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(me.RetryAfter))
		}
	case errors.As(err, &ce):
		code, msg = ce.ErrorCode(), ce.ErrorMessage()
	case errors.Is(err, model.ErrNotFound):
		code, msg = model.CodeNotFound, "Not found."
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return // the client went away
	}
	if status == 0 {
		status = statusFor[code]
	}
	if status == 0 {
		if code != "" {
			status = http.StatusUnprocessableEntity
		} else {
			s.log.ErrorContext(r.Context(), "request failed", "err", err, "method", r.Method, "path", redactPath(r.URL.Path), "request_id", requestID(r.Context()))
			status, code, msg = http.StatusInternalServerError, model.CodeInternal, "Something went wrong on the server. Try again; if it keeps happening, check the server log."
		}
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}

func errorJSON(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}
