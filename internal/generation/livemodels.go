package generation

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/model"
)

// LiveModel is an entry of fal's live catalogue.
type LiveModel struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Category    string `json:"category"`
	Description string `json:"description"`
}

// SearchModels searches fal's live model catalogue (with the user's key when one is saved,
// which fal rate-limits more generously; the catalogue itself is public).
func (s *Service) SearchModels(ctx context.Context, caller *model.User, q, category string) ([]LiveModel, error) {
	q, category = strings.TrimSpace(q), strings.TrimSpace(category)
	if len(q) > 100 || len(category) > 50 {
		return nil, model.Errf(model.CodeInvalidInput, "The search text is too long.")
	}
	page, err := s.fal.Models(ctx, s.optionalKey(caller), fal.ModelQuery{Q: q, Category: category, Limit: 20})
	if err != nil {
		return nil, err
	}
	out := make([]LiveModel, 0, len(page.Models))
	for _, m := range page.Models {
		if !ValidModelID(m.EndpointID) {
			continue
		}
		var meta struct {
			DisplayName string `json:"display_name"`
			Category    string `json:"category"`
			Description string `json:"description"`
		}
		if err := json.Unmarshal(m.Metadata, &meta); err != nil {
			meta.DisplayName, meta.Category, meta.Description = "", "", "" // unreadable metadata: the id alone
		}
		if meta.DisplayName == "" {
			meta.DisplayName = m.EndpointID
		}
		out = append(out, LiveModel{ID: m.EndpointID, Name: meta.DisplayName, Category: meta.Category, Description: meta.Description})
	}
	return out, nil
}
