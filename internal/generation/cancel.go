package generation

import (
	"context"
	"errors"
	"time"

	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Cancel outcomes.
const (
	CancelCanceled  = "canceled"
	CancelRequested = "requested"
	CancelTooLate   = "too_late"
)

// CancelResult says what a cancel achieved.
type CancelResult struct {
	Generation *model.Generation
	Outcome    string // CancelCanceled | CancelRequested | CancelTooLate
	Message    string
}

// Cancel asks fal to cancel the job. A queued job is removed and never runs; a job that already
// started can only be asked to stop, and may still finish (and be billed) — the result says so.
func (s *Service) Cancel(ctx context.Context, caller *model.User, id string) (*CancelResult, error) {
	g, err := s.st.Generation(ctx, caller.ID, id)
	if err != nil {
		return nil, err
	}
	res := &CancelResult{}
	switch {
	case model.Terminal(g.Status):
		res.Outcome, res.Message = CancelTooLate, "This generation has already finished."
	case g.Status == model.StatusSubmitting:
		return nil, model.Errf(model.CodeConflict, "The job is still being sent to fal. Try again in a moment.")
	case g.Status == model.StatusSaving:
		res.Outcome, res.Message = CancelTooLate, "The job had already finished at fal; its result is being saved."
	case isLocal(g):
		// A local job stops here: the runner's watch sees the row and stops ffmpeg.
		switch err := s.st.CancelQueued(ctx, caller.ID, g.ID); {
		case err == nil:
			res.Outcome, res.Message = CancelCanceled, "Canceled; nothing was stored."
		case errors.Is(err, store.ErrStale):
			res.Outcome, res.Message = CancelTooLate, "The job finished while it was being canceled."
		default:
			return nil, err
		}
		s.journal.Changed(g.UserID, g.ID)
		s.runner.Wake()
	default:
		if err := s.cancelAtFal(ctx, caller, g, res); err != nil {
			return nil, err
		}
		s.log.Info("cancel", "generation_id", g.ID, "user_id", caller.ID, "outcome", res.Outcome)
		s.journal.Changed(g.UserID, g.ID)
		s.runner.Wake()
	}
	res.Generation, err = s.Get(ctx, caller.ID, id)
	return res, err
}

func (s *Service) cancelAtFal(ctx context.Context, caller *model.User, g *model.Generation, res *CancelResult) error {
	key, err := s.keys.Of(caller)
	if err != nil {
		return err
	}
	out, err := s.fal.Cancel(ctx, key.Reveal(), g.Model, g.FalRequestID)
	if err != nil {
		return err
	}
	switch out {
	case fal.CancelRemoved, fal.CancelNotFound:
		err := s.st.CancelQueued(ctx, caller.ID, g.ID)
		switch {
		case err == nil:
			res.Outcome, res.Message = CancelCanceled, "Canceled before it ran; fal does not bill it."
		case errors.Is(err, store.ErrStale):
			res.Outcome, res.Message = CancelTooLate, "The job finished while it was being canceled."
		default:
			return err
		}
	case fal.CancelRequested:
		err := s.st.RequestCancel(ctx, caller.ID, g.ID)
		switch {
		case err == nil:
			res.Outcome, res.Message = CancelRequested, "The job had already started, so fal was asked to stop it. It may still finish, and fal may bill it."
		case errors.Is(err, store.ErrStale):
			res.Outcome, res.Message = CancelTooLate, "The job finished while it was being canceled."
		default:
			return err
		}
	default: // already completed
		res.Outcome, res.Message = CancelTooLate, "The job had already finished at fal; its result will be saved."
	}
	return nil
}

// CancelActive asks fal to stop a person's unfinished jobs before their account (and key) is
// deleted: the results would be thrown away, and fal bills only what runs. Best effort and
// bounded: whatever cannot be canceled in time is deleted with the account.
func (s *Service) CancelActive(ctx context.Context, userID int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	u, err := s.st.UserByID(ctx, userID)
	if err != nil {
		s.log.Info("jobs not canceled before the account delete", "user_id", userID, "err", err)
		return
	}
	active, err := s.st.Generations(ctx, userID, true, maxListed)
	if err != nil {
		s.log.Info("jobs not canceled before the account delete", "user_id", userID, "err", err)
		return
	}
	for _, g := range active {
		if _, err := s.Cancel(ctx, u, g.ID); err != nil {
			s.log.Info("job not canceled before the account delete", "generation_id", g.ID, "err", err)
		}
	}
}
