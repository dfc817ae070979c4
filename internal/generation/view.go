package generation

import (
	"encoding/json"
	"net/url"
	"time"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
)

// GenerationView is the SPEC Generation object; every field is always present.
type GenerationView struct {
	ID            string          `json:"id"`
	Model         string          `json:"model"`
	Prompt        string          `json:"prompt"`
	Params        json.RawMessage `json:"params"`
	Status        string          `json:"status"`
	QueuePosition *int            `json:"queuePosition"`
	Logs          []model.LogLine `json:"logs"`
	Error         *ErrorView      `json:"error"`
	Notice        *string         `json:"notice"`
	Assets        []AssetView     `json:"assets"`
	CreatedAt     string          `json:"createdAt"`
	UpdatedAt     string          `json:"updatedAt"`
	CompletedAt   *string         `json:"completedAt"`
	// CostUSD is the estimate recorded at submit, 0 once failed or canceled, null when fal had
	// no price; CostSource says which ("estimate" | "billed" | "not_billed", null when unknown).
	CostUSD    *float64 `json:"costUsd"`
	CostSource *string  `json:"costSource"`
	Group      *string  `json:"group"` // the variation group, null on its own
}

// ErrorView is a generation's failure.
type ErrorView struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// AssetView is the SPEC Asset object.
type AssetView struct {
	ID           string          `json:"id"`
	GenerationID string          `json:"generationId"`
	Model        string          `json:"model"`
	Prompt       string          `json:"prompt"`
	Kind         string          `json:"kind"`
	URL          string          `json:"url"`
	ContentType  string          `json:"contentType"`
	Bytes        int64           `json:"bytes"`
	Width        *int            `json:"width"`
	Height       *int            `json:"height"`
	Storage      string          `json:"storage"`
	Params       json.RawMessage `json:"params"`
	CreatedAt    string          `json:"createdAt"`
	// The library (SPEC §8).
	Favorite      bool     `json:"favorite"`
	CollectionIDs []string `json:"collectionIds"`
	ThumbURL      *string  `json:"thumbUrl"` // null until the preview exists
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// assetURL is always loadable by the owner's browser: the public S3 URL when configured for an
// object in S3, otherwise the studio's own /media route.
func (s *Service) assetURL(a *model.Asset) string {
	if a.Storage == model.StorageS3 && s.publicBase != "" {
		return s.publicBase + "/" + media.EscapeKey(a.StorageKey)
	}
	return "/media/" + url.PathEscape(a.ID)
}

// AssetView is the SPEC Asset of a stored asset (the library renders its pages with it).
func (s *Service) AssetView(a *model.Asset) AssetView { return s.assetView(a) }

func (s *Service) assetView(a *model.Asset) AssetView {
	v := AssetView{ID: a.ID, GenerationID: a.GenerationID, Model: a.Model, Prompt: a.Prompt, Kind: a.Kind, URL: s.assetURL(a),
		ContentType: a.ContentType, Bytes: a.Bytes, Storage: a.Storage, Params: a.Params, CreatedAt: rfc3339(a.CreatedAt),
		Favorite: a.Favorite, CollectionIDs: a.CollectionIDs}
	if v.CollectionIDs == nil {
		v.CollectionIDs = []string{}
	}
	if a.Width > 0 && a.Height > 0 {
		w, h := a.Width, a.Height
		v.Width, v.Height = &w, &h
	}
	if len(v.Params) == 0 {
		v.Params = json.RawMessage("{}")
	}
	if a.ThumbBytes > 0 {
		u := s.thumbURL(a)
		v.ThumbURL = &u
	}
	return v
}

// thumbURL follows url: the public S3 URL of the preview's key when url is public, otherwise the
// studio's own route, with the same access rules as /media.
func (s *Service) thumbURL(a *model.Asset) string {
	if a.Storage == model.StorageS3 && s.publicBase != "" {
		return s.publicBase + "/" + media.EscapeKey(media.ThumbKey(a.StorageKey))
	}
	return "/media/" + url.PathEscape(a.ID) + "/thumb"
}

func (s *Service) generationView(g *model.Generation, assets []*model.Asset) GenerationView {
	status := g.Status
	if status == model.StatusSubmitting {
		status = model.StatusQueued // internal state; the contract knows it as queued
	}
	v := GenerationView{ID: g.ID, Model: g.Model, Prompt: g.Prompt, Params: g.Params, Status: status, QueuePosition: g.QueuePosition,
		Logs: g.Logs, Assets: []AssetView{}, CreatedAt: rfc3339(g.CreatedAt), UpdatedAt: rfc3339(g.UpdatedAt)}
	if v.Logs == nil {
		v.Logs = []model.LogLine{}
	}
	if len(v.Params) == 0 {
		v.Params = json.RawMessage("{}")
	}
	if g.ErrorCode != "" {
		v.Error = &ErrorView{Code: g.ErrorCode, Message: g.ErrorMessage}
	}
	if g.Notice != "" {
		n := g.Notice
		v.Notice = &n
	}
	if g.GroupID != "" {
		grp := g.GroupID
		v.Group = &grp
	}
	if g.CompletedAt != nil {
		c := rfc3339(*g.CompletedAt)
		v.CompletedAt = &c
	}
	for _, a := range assets {
		v.Assets = append(v.Assets, s.assetView(a))
	}
	return v
}
