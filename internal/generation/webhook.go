package generation

import (
	"context"
	"errors"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// ErrUnknownRequest is a webhook for a request id this studio never submitted.
var ErrUnknownRequest = errors.New("generation: no job has this fal request id")

// Webhook wakes the job fal called back about (its signature already verified): the job's
// worker then asks fal's queue for the status and result with the owner's key, exactly as a
// poll would — nothing from the delivery's body is trusted. A job already being saved or
// finished is left as it is (fal retries and may deliver twice). With several replicas the
// wake-up is in the database: whichever replica claims the job next works it, this one first.
// Only fal's "OK" and "ERROR" deliveries wake a job; another status is acknowledged and ignored.
func (s *Service) Webhook(ctx context.Context, requestID, falStatus string) (status string, err error) {
	wake := falStatus == "OK" || falStatus == "ERROR"
	status, err = s.st.WakeByRequestID(ctx, requestID, wake)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrUnknownRequest
	}
	if err != nil {
		return "", err
	}
	if wake && (status == model.StatusQueued || status == model.StatusRunning) {
		s.runner.Wake()
	}
	return status, nil
}
