package generation

import (
	"context"
	"strings"

	"github.com/falstudio/falstudio/internal/model"
)

// Derive actions (SPEC §14), each also the relation its outputs name.
const (
	ActionUpscale          = model.RelationUpscale
	ActionRemoveBackground = model.RelationRemoveBackground
)

// DeriveInput is a one-click action on one of the caller's assets.
type DeriveInput struct {
	AssetID string
	Action  string
	Model   string // "" for the action's default
	Params  map[string]any
	Via     *model.Via // the token it came through; nil from the browser
}

// Derive makes a new generation from one of the caller's assets: the asset's stored original is
// uploaded to fal storage with the person's key and sent in the action model's image field,
// through the one submission pipeline (validation, budget, insert, fal). The prompt is the
// source's, kept for the gallery and search, and not sent. defaults maps an action to its
// model (DERIVE_UPSCALE_MODEL, DERIVE_REMOVE_BACKGROUND_MODEL).
func (s *Service) Derive(ctx context.Context, caller *model.User, in DeriveInput) (*model.Generation, error) {
	if in.Action != ActionUpscale && in.Action != ActionRemoveBackground {
		return nil, model.Errf(model.CodeInvalidInput, "action must be %q or %q.", ActionUpscale, ActionRemoveBackground)
	}
	if in.AssetID == "" || len(in.AssetID) > 64 {
		return nil, model.Errf(model.CodeNotFound, "No such asset.")
	}
	src, err := s.st.Asset(ctx, caller.ID, in.AssetID)
	if err != nil {
		return nil, err
	}
	modelID := strings.TrimSpace(in.Model)
	if modelID == "" {
		modelID = s.opts.DeriveModels[in.Action]
	}
	m := modelByID(modelID)
	if modelID != s.opts.DeriveModels[in.Action] && (m == nil || m.Task != in.Action) {
		return nil, model.Errf(model.CodeInvalidInput, "%s is not a %s model of the catalogue.", modelID, in.Action)
	}
	takes := model.KindImage
	if m != nil && m.Reference != nil && m.Reference.Field == "video_url" {
		takes = model.KindVideo
	}
	if src.Kind != takes {
		return nil, model.Errf(model.CodeUnsupportedInput, "%s takes %s files; this is %s.", modelID, kindWord(takes), kindWord(src.Kind))
	}
	if src.Trashed() {
		return nil, model.Errf(model.CodeNotFound, "Asset %s was not found in your library.", src.ID)
	}
	// The source fills the image field and becomes the outputs' parent (SPEC §13.2).
	return s.Submit(ctx, caller, SubmitInput{Model: modelID, Prompt: src.Prompt, Params: in.Params, PromptNotSent: true, Via: in.Via,
		ReferenceAssetIDs: []string{src.ID}, Relation: in.Action})
}

func kindWord(kind string) string {
	switch kind {
	case model.KindVideo:
		return "a video"
	case model.KindAudio:
		return "an audio"
	}
	return "an image"
}
