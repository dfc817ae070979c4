package generation

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/model"
)

// maxReferenceIDs bounds referenceAssetIds before any lookup; the model's reference field
// bounds it further.
const maxReferenceIDs = 16

// lineage is what a submit's references and parent resolved to (SPEC §13.2).
type lineage struct {
	field    *Reference     // the model's reference field; nil without references
	assets   []*model.Asset // the referenced assets, in the given order
	parent   string         // the outputs' parent ("" for none)
	relation string         // the outputs' relation to it ("" for none)
}

// CheckLineage checks a submit's referenceAssetIds, relation and parent the way Submit does,
// without uploading or creating anything (POST /api/generations/estimate calls it).
func (s *Service) CheckLineage(ctx context.Context, caller *model.User, in SubmitInput) error {
	_, err := s.resolveLineage(ctx, caller, &in)
	if err != nil {
		return err
	}
	if len(in.ReferenceAssetIDs) == 0 {
		return nil
	}
	ref, err := s.referenceModel(ctx, caller, strings.TrimSpace(in.Model))
	if err != nil {
		return err
	}
	params := in.Params
	if params == nil {
		params = map[string]any{}
	}
	return checkReferenceField(ref, params, len(in.ReferenceAssetIDs))
}

// resolveLineage validates in.ReferenceAssetIDs, in.Relation and in.ParentAssetID: the ids are
// distinct, each one of the caller's image assets in the library; the relation is known and
// has a parent. It answers the lineage to record, without the reference field.
func (s *Service) resolveLineage(ctx context.Context, caller *model.User, in *SubmitInput) (*lineage, error) {
	ids := in.ReferenceAssetIDs
	if len(ids) > maxReferenceIDs {
		return nil, model.Errf(model.CodeInvalidInput, "Too many reference images (at most %d).", maxReferenceIDs)
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == "" || len(id) > 64 || !utf8.ValidString(id) || strings.IndexByte(id, 0) >= 0 {
			return nil, model.Errf(model.CodeInvalidInput, "referenceAssetIds must list asset ids.")
		}
		if seen[id] {
			return nil, model.Errf(model.CodeInvalidInput, "referenceAssetIds names an asset twice.")
		}
		seen[id] = true
	}
	parent := strings.TrimSpace(in.ParentAssetID)
	if len(parent) > 64 || !utf8.ValidString(parent) || strings.IndexByte(parent, 0) >= 0 {
		return nil, model.Errf(model.CodeInvalidInput, "Not an asset id.")
	}
	if len(ids) > 0 {
		if parent != "" && parent != ids[0] {
			return nil, fmt.Errorf("generation: a submit's parent %q is not its first reference %q", parent, ids[0])
		}
		parent = ids[0]
	}
	relation := in.Relation
	switch {
	case relation == "" && parent != "":
		relation = model.RelationReference
	case relation != "" && !model.ValidRelation(relation):
		return nil, model.Errf(model.CodeInvalidInput, "Unknown relation %q.", relation)
	case relation != "" && parent == "":
		return nil, model.Errf(model.CodeInvalidInput, "A relation needs referenceAssetIds.")
	}
	l := &lineage{parent: parent, relation: relation}
	if parent == "" {
		return l, nil
	}
	want := ids
	if len(want) == 0 {
		want = []string{parent}
	}
	found, err := s.st.LiveAssets(ctx, caller.ID, want)
	if err != nil {
		return nil, err
	}
	for _, id := range want {
		if found[id] == nil {
			return nil, model.Errf(model.CodeNotFound, "Asset %s was not found in your library.", id)
		}
	}
	for _, id := range ids {
		a := found[id]
		if a.Kind != model.KindImage {
			return nil, model.Errf(model.CodeInvalidInput, "Only images can be used as references (%s is a %s).", id, a.Kind)
		}
		l.assets = append(l.assets, a)
	}
	return l, nil
}

// referenceModel is the reference field of a model: the catalogue's, or for another fal model
// the one its schema names. A model without one answers no_reference_field.
func (s *Service) referenceModel(ctx context.Context, caller *model.User, id string) (*Reference, error) {
	m := modelByID(id)
	if m == nil {
		if !ValidModelID(id) {
			return nil, model.Errf(model.CodeInvalidInput, "Choose a model, or enter a fal model id like fal-ai/flux/dev.")
		}
		var err error
		if m, err = s.ModelFromSchema(ctx, caller, id); err != nil {
			if me, ok := err.(*model.Error); ok && me.Code == model.CodeNotFound {
				m = nil
			} else {
				return nil, err
			}
		}
	}
	if m == nil || m.Reference == nil {
		return nil, model.Errf(model.CodeNoReferenceField, "%s takes no reference image.", id)
	}
	return m.Reference, nil
}

// checkReferenceField checks how many URLs the reference field gets: a single-URL field takes
// exactly one referenced asset and params must not set it too; a list field takes the URLs
// params set first, then extra referenced assets, within the field's min–max.
func checkReferenceField(r *Reference, p map[string]any, extra int) error {
	if r == nil {
		return nil
	}
	var urls []string
	switch v := p[r.Field].(type) {
	case nil:
	case string:
		if r.Multiple {
			return model.Errf(model.CodeInvalidInput, "%s must list image URLs.", r.Field)
		}
		urls = []string{v}
	case []any:
		if !r.Multiple {
			return model.Errf(model.CodeInvalidInput, "%s takes one image URL, not a list.", r.Field)
		}
		for _, x := range v {
			sv, ok := x.(string)
			if !ok {
				return model.Errf(model.CodeInvalidInput, "%s must list image URLs.", r.Field)
			}
			urls = append(urls, sv)
		}
	default:
		return model.Errf(model.CodeInvalidInput, "%s must be an image URL.", r.Field)
	}
	if extra > 0 && !r.Multiple && (extra != 1 || len(urls) > 0) {
		return model.Errf(model.CodeInvalidInput, "%s takes exactly one reference image.", r.Field)
	}
	if n := len(urls) + extra; n < r.Min {
		return model.Errf(model.CodeInvalidInput, "This model needs a reference image.")
	} else if n > r.Max {
		return model.Errf(model.CodeInvalidInput, "This model takes at most %d reference images.", r.Max)
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "data:image/") {
			return model.Errf(model.CodeInvalidInput, "Reference images must be uploaded first.")
		}
	}
	return nil
}

// uploadAsset sends one stored original to fal storage, unchanged.
func (s *Service) uploadAsset(ctx context.Context, falKey string, a *model.Asset) (string, error) {
	return s.uploadPicture(ctx, falKey, assetPicture(a))
}
