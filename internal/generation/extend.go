package generation

// Extend (SPEC §15.6): the last frame of a clip, uploaded as the start frame of the next one,
// through Submit like any job; the clips of a chain share a sequence id.

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
)

// ExtendInput is an extend request. Params nil means "not given".
type ExtendInput struct {
	AssetID      string
	Prompt       string
	Model        string // "" for the clip's own
	Params       map[string]any
	CollectionID string
	Via          *model.Via // the token it came through; nil from the browser
}

// Extend submits the next clip of a video from its last frame.
func (s *Service) Extend(ctx context.Context, caller *model.User, in ExtendInput) (*model.Generation, error) {
	if !s.opts.Video.Available() {
		return nil, noFFmpeg
	}
	found, err := s.st.LiveAssets(ctx, caller.ID, []string{in.AssetID})
	if err != nil {
		return nil, err
	}
	v := found[in.AssetID]
	if v == nil || len(in.AssetID) > 64 {
		return nil, model.Errf(model.CodeNotFound, "Asset %s was not found in your library.", in.AssetID)
	}
	if v.Kind != model.KindVideo {
		return nil, model.Errf(model.CodeUnsupportedInput, "Only a video can be extended.")
	}
	if strings.TrimSpace(in.Prompt) == "" {
		return nil, model.Errf(model.CodeInvalidInput, "Describe what happens next: the prompt is required.")
	}
	modelID := strings.TrimSpace(in.Model)
	if modelID == "" {
		modelID = v.Model
	}
	if !ValidModelID(modelID) {
		return nil, model.Errf(model.CodeInvalidInput, "Choose a model, or enter a fal model id like fal-ai/flux/dev.")
	}
	// The policy before anything else: a custom model's schema is fetched from fal, and the
	// clip gets its chain id, before Submit applies it again (SPEC §12.2).
	if _, err := s.ApplyPolicy(ctx, caller, modelID, in.Prompt, in.Params, true); err != nil {
		return nil, err
	}
	fr, err := s.FramesOf(ctx, caller, modelID)
	if err != nil {
		return nil, err
	}
	if fr == nil {
		return nil, model.Errf(model.CodeNoStartFrameField, "%s takes no start frame. Choose an image-to-video model to extend this clip.", modelID)
	}
	if _, err := s.keys.Of(caller); err != nil {
		return nil, err // fal_key_missing before any ffmpeg work
	}
	params := in.Params
	if params == nil {
		params = map[string]any{}
		if modelID == v.Model && len(v.Params) > 0 {
			// The same settings as the clip, without its end frame.
			if err := json.Unmarshal(v.Params, &params); err != nil {
				params = map[string]any{}
			}
			if fr.End != nil {
				delete(params, *fr.End)
			}
		}
	}
	delete(params, fr.Start) // replaced by the last frame

	cl, err := s.runner.openClip(ctx, v)
	if err != nil {
		if errors.Is(err, media.ErrVideoUnreadable) {
			return nil, model.Errf(model.CodeVideoUnreadable, "ffmpeg could not decode this video.")
		}
		return nil, err
	}
	defer cl.done()
	png, err := s.opts.Video.Frame(ctx, cl.file, len(cl.info.Frames)-1, cl.info)
	if err != nil {
		if errors.Is(err, media.ErrVideoUnreadable) {
			return nil, model.Errf(model.CodeVideoUnreadable, "ffmpeg could not decode the last frame of this video.")
		}
		return nil, err
	}
	// The chain's id, given to the clip before the answer; the new clip takes it when saved.
	if _, err := s.st.EnsureSequence(ctx, caller.ID, v.ID, newID()); err != nil {
		return nil, err
	}
	return s.Submit(ctx, caller, SubmitInput{Model: modelID, Prompt: in.Prompt, Params: params, CollectionID: in.CollectionID, Via: in.Via,
		ParentAssetID: v.ID, Relation: model.RelationExtend, StartFramePNG: png})
}
