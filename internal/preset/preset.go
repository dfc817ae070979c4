// Package preset keeps each person's saved model settings ("presets"): a name unique to its
// owner, a model id and the settings, applied in Create with one click.
package preset

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Limits keep one person's presets small.
const (
	MaxNameChars   = 100
	MaxParamsBytes = 64 << 10
	MaxParams      = 64
	MaxPerUser     = 200
)

// View is the SPEC Preset object.
type View struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Model     string          `json:"model"`
	Params    json.RawMessage `json:"params"`
	CreatedAt string          `json:"createdAt"`
	UpdatedAt string          `json:"updatedAt"`
}

// Service is the presets service.
type Service struct {
	st         *store.Store
	validModel func(string) bool
}

// New builds the service; validModel says whether a model id is well formed.
func New(st *store.Store, validModel func(string) bool) *Service {
	return &Service{st: st, validModel: validModel}
}

// Input is a new preset.
type Input struct {
	Name   string
	Model  string
	Params json.RawMessage
}

// Patch changes a preset; nil fields stay as they are.
type Patch struct {
	Name   *string
	Model  *string
	Params json.RawMessage
}

func view(p *model.Preset) View {
	return View{ID: p.ID, Name: p.Name, Model: p.Model, Params: p.Params,
		CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339Nano), UpdatedAt: p.UpdatedAt.UTC().Format(time.RFC3339Nano)}
}

// List returns the user's presets by name.
func (s *Service) List(ctx context.Context, userID int64) ([]View, error) {
	list, err := s.st.Presets(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(list))
	for _, p := range list {
		out = append(out, view(p))
	}
	return out, nil
}

// Create saves a new preset.
func (s *Service) Create(ctx context.Context, userID int64, in Input) (*View, error) {
	p := &model.Preset{ID: strings.ToLower(rand.Text()), UserID: userID}
	var err error
	if p.Name, err = cleanName(in.Name); err != nil {
		return nil, err
	}
	if p.Model, err = s.cleanModel(in.Model); err != nil {
		return nil, err
	}
	if p.Params, err = cleanParams(in.Params); err != nil {
		return nil, err
	}
	n, err := s.st.CountPresets(ctx, userID)
	if err != nil {
		return nil, err
	}
	if n >= MaxPerUser {
		return nil, model.Errf(model.CodeInvalidInput, "You already have %d presets, the most one person can keep. Delete one first.", MaxPerUser)
	}
	if err := s.st.InsertPreset(ctx, p); err != nil {
		return nil, nameTaken(err, p.Name)
	}
	v := view(p)
	return &v, nil
}

// Update renames a preset or replaces its model or settings.
func (s *Service) Update(ctx context.Context, userID int64, id string, in Patch) (*View, error) {
	p, err := s.st.Preset(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	if in.Name != nil {
		if p.Name, err = cleanName(*in.Name); err != nil {
			return nil, err
		}
	}
	if in.Model != nil {
		if p.Model, err = s.cleanModel(*in.Model); err != nil {
			return nil, err
		}
	}
	if in.Params != nil {
		if p.Params, err = cleanParams(in.Params); err != nil {
			return nil, err
		}
	}
	if err := s.st.UpdatePreset(ctx, p); err != nil {
		return nil, nameTaken(err, p.Name)
	}
	v := view(p)
	return &v, nil
}

// Delete removes a preset.
func (s *Service) Delete(ctx context.Context, userID int64, id string) error {
	return s.st.DeletePreset(ctx, userID, id)
}

func nameTaken(err error, name string) error {
	if errors.Is(err, store.ErrConflict) {
		return model.Errf(model.CodeNameTaken, "You already have a preset named %q. Choose another name.", name)
	}
	return err
}

func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", model.Errf(model.CodeInvalidInput, "Give the preset a name.")
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameChars {
		return "", model.Errf(model.CodeInvalidInput, "A preset name is at most %d characters.", MaxNameChars)
	}
	if strings.ContainsFunc(name, unicode.IsControl) {
		return "", model.Errf(model.CodeInvalidInput, "A preset name cannot contain control characters.")
	}
	if model.HasInvisible(name, true) {
		return "", model.Errf(model.CodeInvalidInput, "A preset name cannot contain invisible or direction-changing characters.")
	}
	return name, nil
}

func (s *Service) cleanModel(id string) (string, error) {
	id = strings.TrimSpace(id)
	if !s.validModel(id) {
		return "", model.Errf(model.CodeInvalidInput, "Choose a model, or enter a fal model id like fal-ai/flux/dev.")
	}
	return id, nil
}

// cleanParams accepts a JSON object of bounded size (absent or null is an empty object) and
// returns it compacted.
func cleanParams(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}"), nil
	}
	if len(raw) > MaxParamsBytes {
		return nil, model.Errf(model.CodeInvalidInput, "The preset's settings are too large (at most %d KB).", MaxParamsBytes>>10)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, model.Errf(model.CodeInvalidInput, "params must be a JSON object of settings.")
	}
	if len(obj) > MaxParams {
		return nil, model.Errf(model.CodeInvalidInput, "Too many settings (at most %d).", MaxParams)
	}
	for k := range obj {
		if k == "" || len(k) > 64 {
			return nil, model.Errf(model.CodeInvalidInput, "A setting name is empty or too long.")
		}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, model.Errf(model.CodeInvalidInput, "params must be a JSON object of settings.")
	}
	return buf.Bytes(), nil
}
