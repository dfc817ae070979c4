package generation

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// follow polls fal's status; on completion it fetches the result, plans the outputs and saves.
func (r *Runner) follow(ctx context.Context, g *model.Generation, sealedKey string) error {
	key, err := r.keys.Open(g.UserID, sealedKey)
	if err != nil {
		return err
	}
	at, err := r.fal.Status(ctx, key.Reveal(), g.Model, g.FalRequestID)
	if err != nil {
		return err
	}
	logs := mergeLogs(g.Logs, at.Logs)
	if at.State != fal.StateCompleted {
		status := model.StatusQueued
		if at.State == fal.StateInProgress {
			status = model.StatusRunning
		}
		polls := g.Attempts + 1
		next := r.nextPoll(polls)
		err := r.st.MarkPolled(ctx, g.ID, r.opts.Instance, status, at.QueuePosition, logs, polls, next)
		if errors.Is(err, store.ErrStale) {
			r.transitionFailed("poll", g, err)
			return nil
		}
		if err != nil {
			return err
		}
		if status != g.Status || !samePos(at.QueuePosition, g.QueuePosition) || len(logs) != len(g.Logs) {
			r.changed(g)
		}
		return nil
	}
	if at.Error != "" {
		// An infrastructure failure fal reports on the status itself.
		if g.CancelAsked {
			r.canceled(ctx, g)
			return nil
		}
		r.fail(ctx, g, fal.CodeUnavailable, "fal could not run this job: "+at.Error)
		return nil
	}
	result, err := r.fal.Result(ctx, key.Reveal(), g.Model, g.FalRequestID)
	if err != nil {
		var fe *fal.Error
		if g.CancelAsked && (!transient(err) || errors.As(err, &fe) && fe.Status != 0) {
			r.canceled(ctx, g)
			return nil
		}
		return err
	}
	outs := fal.ExtractOutputs(result)
	if len(outs) == 0 {
		r.fail(ctx, g, model.CodeUnsafeOutput, "The model finished but returned no image, video or audio file.")
		return nil
	}
	plan := make([]store.Output, len(outs))
	for i, o := range outs {
		plan[i] = store.Output{GenerationID: g.ID, Index: i, AssetID: newID(), SourceURL: o.URL, Flagged: o.Flagged}
	}
	if err := r.st.PlanOutputs(ctx, plan); err != nil {
		return err
	}
	err = r.st.MarkSaving(ctx, g.ID, r.opts.Instance, logs, result)
	if errors.Is(err, store.ErrStale) {
		r.transitionFailed("saving", g, err) // canceled meanwhile, or the lease went to another worker
		return nil
	}
	if err != nil {
		return err
	}
	r.changed(g)
	g.Status, g.ResultJSON = model.StatusSaving, result
	return r.save(ctx, g)
}

// nextPoll is when a job still waiting on fal is asked again: polling backs off from PollMin to
// PollMax; while webhooks are on, fal's call wakes the job and the poll is only the fallback.
func (r *Runner) nextPoll(polls int) time.Time {
	if r.opts.Webhooks {
		return r.now().Add(r.opts.FallbackPoll)
	}
	return r.now().Add(min(r.opts.PollMin*time.Duration(1+polls/4), r.opts.PollMax))
}

func samePos(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// mergeLogs appends new fal log lines, keeping the last 200.
func mergeLogs(have []model.LogLine, fresh []fal.Log) []model.LogLine {
	out := append([]model.LogLine{}, have...)
	seen := map[model.LogLine]bool{}
	for _, l := range have {
		seen[l] = true
	}
	for _, l := range fresh {
		ll := model.LogLine{Time: l.Timestamp, Message: strings.TrimSpace(l.Message)}
		if ll.Message == "" || seen[ll] {
			continue
		}
		seen[ll] = true
		out = append(out, ll)
	}
	if len(out) > 200 {
		out = out[len(out)-200:]
	}
	return out
}
