package generation

// Start and end frames (SPEC §15.5): one of the person's images — or, for Extend, the last frame
// of a clip — uploaded to fal storage with their key and sent in the model's frame fields.

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/falstudio/falstudio/internal/model"
)

// pendingFrameURL holds a frame field's place while the request is checked (the field counts
// toward the reference field's arity); the upload's URL replaces it before the insert.
const pendingFrameURL = "https://frames.invalid/pending"

// frameUpload is a frame to upload into a field: a stored image asset, or PNG bytes.
type frameUpload struct {
	field string
	asset *model.Asset
	png   []byte
}

// FramesOf is a model's frame fields: the catalogue's, or for another fal model those its
// schema names; nil when it takes no start frame.
func (s *Service) FramesOf(ctx context.Context, caller *model.User, id string) (*Frames, error) {
	if m := modelByID(id); m != nil {
		return m.Frames, nil
	}
	if !ValidModelID(id) {
		return nil, model.Errf(model.CodeInvalidInput, "Choose a model, or enter a fal model id like fal-ai/flux/dev.")
	}
	if strings.HasPrefix(id, localPrefix) {
		return nil, nil
	}
	m, err := s.ModelFromSchema(ctx, caller, id)
	if err != nil {
		if me, ok := err.(*model.Error); ok && me.Code == model.CodeNotFound {
			return nil, nil
		}
		return nil, err
	}
	return m.Frames, nil
}

// resolveFrames checks a submit's start and end frames and returns what to upload. The frame
// fields of in.Params are filled with a placeholder so that the rest of the checks see them.
// Nothing reaches fal here.
func (s *Service) resolveFrames(ctx context.Context, caller *model.User, in *SubmitInput) ([]frameUpload, error) {
	if in.StartAssetID == "" && in.EndAssetID == "" && in.StartFramePNG == nil {
		return nil, nil
	}
	fr, err := s.FramesOf(ctx, caller, strings.TrimSpace(in.Model))
	if err != nil {
		return nil, err
	}
	if fr == nil {
		return nil, model.Errf(model.CodeNoStartFrameField, "%s takes no start frame; choose an image-to-video model.", in.Model)
	}
	if in.EndAssetID != "" && fr.End == nil {
		return nil, model.Errf(model.CodeNoEndFrameField, "%s takes no end frame.", in.Model)
	}
	params := make(map[string]any, len(in.Params)+2)
	for k, v := range in.Params {
		params[k] = v
	}
	var ups []frameUpload
	asset := func(id string) (*model.Asset, error) {
		if len(id) > 64 {
			return nil, model.Errf(model.CodeNotFound, "Asset %s was not found in your library.", id)
		}
		found, err := s.st.LiveAssets(ctx, caller.ID, []string{id})
		if err != nil {
			return nil, err
		}
		a := found[id]
		if a == nil {
			return nil, model.Errf(model.CodeNotFound, "Asset %s was not found in your library.", id)
		}
		if a.Kind != model.KindImage {
			return nil, model.Errf(model.CodeUnsupportedInput, "Only an image can be a start or end frame (%s is a %s).", id, a.Kind)
		}
		return a, nil
	}
	switch {
	case in.StartFramePNG != nil: // Extend: its frame replaces any value there
		ups = append(ups, frameUpload{field: fr.Start, png: in.StartFramePNG})
		params[fr.Start] = pendingFrameURL
	case in.StartAssetID != "":
		if params[fr.Start] != nil {
			return nil, model.Errf(model.CodeInvalidInput, "Give the start frame either as startAssetId or as %s, not both.", fr.Start)
		}
		a, err := asset(in.StartAssetID)
		if err != nil {
			return nil, err
		}
		ups = append(ups, frameUpload{field: fr.Start, asset: a})
		params[fr.Start] = pendingFrameURL
	}
	if in.EndAssetID != "" {
		if params[*fr.End] != nil {
			return nil, model.Errf(model.CodeInvalidInput, "Give the end frame either as endAssetId or as %s, not both.", *fr.End)
		}
		if params[fr.Start] == nil {
			return nil, model.Errf(model.CodeInvalidInput, "An end frame needs a start frame.")
		}
		a, err := asset(in.EndAssetID)
		if err != nil {
			return nil, err
		}
		ups = append(ups, frameUpload{field: *fr.End, asset: a})
		params[*fr.End] = pendingFrameURL
	}
	in.Params = params
	return ups, nil
}

// uploadFrames sends the frames to fal storage with the person's key and puts their URLs in
// params and in the generation's stored params (which show the fields as sent).
func (s *Service) uploadFrames(ctx context.Context, falKey string, ups []frameUpload, g *model.Generation, params map[string]any) error {
	if len(ups) == 0 {
		return nil
	}
	for _, u := range ups {
		var url string
		var err error
		if u.asset != nil {
			url, err = s.uploadAsset(ctx, falKey, u.asset)
		} else {
			url, err = s.fal.Upload(ctx, falKey, "image/png", "last-frame.png", bytes.NewReader(u.png), int64(len(u.png)))
		}
		if err != nil {
			return err
		}
		params[u.field] = url
	}
	stored, err := json.Marshal(params)
	if err != nil {
		return err
	}
	g.Params = stored
	return nil
}

// CheckFrames checks a submit's start and end frames as Submit does, without uploading
// (POST /api/generations/estimate).
func (s *Service) CheckFrames(ctx context.Context, caller *model.User, in SubmitInput) error {
	_, err := s.resolveFrames(ctx, caller, &in)
	return err
}
