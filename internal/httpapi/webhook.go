package httpapi

import (
	"errors"
	"io"
	"net/http"

	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/model"
)

// falWebhook is POST /api/fal/webhook (SPEC §17.1): fal's call when a job ends. It is verified
// on the raw body (size, headers, timestamp, Ed25519 signature against fal's JWKS, the body's
// request_id, a job this studio submitted) and then only wakes the job: its worker asks fal's
// queue for the status and result as a poll would, so the answer never waits on a download and
// nothing in the body is trusted. A failed check changes nothing and is logged with its reason,
// never the body or the signature.
func (s *Server) falWebhook(w http.ResponseWriter, r *http.Request) error {
	if s.Webhooks == nil {
		return model.Errf(model.CodeNotFound, "Not found.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, fal.MaxWebhookBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		s.log.Warn("fal webhook refused", "reason", "body larger than 1 MiB", "request_id", requestID(r.Context()))
		return model.Errf(model.CodeTooLarge, "The webhook body is larger than 1 MiB.")
	}
	if err != nil {
		return err
	}
	hook, err := s.Webhooks.Verify(r.Context(), r.Header, body)
	switch {
	case errors.Is(err, fal.ErrNoWebhookKeys):
		s.log.Warn("fal webhook not verified: fal's key set cannot be fetched", "request_id", requestID(r.Context()))
		return model.Errf(fal.CodeUnavailable, "fal's webhook keys cannot be fetched now.")
	case err != nil:
		return s.webhookInvalid(r, err.Error())
	}
	status, err := s.Generations.Webhook(r.Context(), hook.RequestID, hook.Status)
	if errors.Is(err, generation.ErrUnknownRequest) {
		return s.webhookInvalid(r, "no job of this studio has this request id")
	}
	if err != nil {
		return err
	}
	s.log.Info("fal webhook", "fal_request_id", hook.RequestID, "fal_status", hook.Status, "job_status", status)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

func (s *Server) webhookInvalid(r *http.Request, reason string) error {
	s.log.Warn("fal webhook refused", "reason", reason, "request_id", requestID(r.Context()))
	return model.Errf(model.CodeWebhookInvalid, "This call does not carry a valid fal webhook signature.")
}
