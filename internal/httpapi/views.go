package httpapi

import (
	"encoding/json"
	"time"

	"github.com/falstudio/falstudio/internal/cost"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
)

// The SPEC's JSON shapes of generations and assets, built from the services' model types in
// one place (the gallery's page encoder is in viewjson.go).

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
	Group      *string  `json:"group"` // the variations' or compare's set, null on its own
	Cast       []string `json:"cast"`  // the cast members it used (SPEC §14), [] when none
	// Lineage (SPEC §13.2): the references it was submitted with ([] when none) and the
	// relation its outputs have to their parent (null when none).
	ReferenceAssetIDs []string `json:"referenceAssetIds"`
	Relation          *string  `json:"relation"`
	// Via is the personal access token that made it (SPEC §11), null from the browser.
	Via *ViaView `json:"via"`
}

// ViaView names the token a generation was made through, by its name at submit time.
type ViaView struct {
	TokenID string `json:"tokenId"`
	Name    string `json:"name"`
}

// ErrorView is a generation's failure.
type ErrorView struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// AssetView is the SPEC Asset object.
type AssetView struct {
	ID           string          `json:"id"`
	GenerationID *string         `json:"generationId"` // null for an asset no job made (a frame, an import, an upload)
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
	// Lineage (SPEC §13.2): null, or the asset it was made from and how.
	Parent *ParentView `json:"parent"`
	// The trash (SPEC §13.1): both null unless the asset is in the trash.
	TrashedAt *string `json:"trashedAt"`
	PurgeAt   *string `json:"purgeAt"`
	// ContentCredentials says whether the stored original holds a C2PA manifest (SPEC §13.3).
	ContentCredentials ContentCredentialsView `json:"contentCredentials"`
	// SequenceID is shared by the clips of one extend chain (SPEC §15.6); null for none.
	SequenceID *string `json:"sequenceId"`
	// Flagged: fal flagged it as unsafe (SPEC §12.2).
	Flagged bool `json:"flagged"`
}

// ParentView is an asset's parent; Missing says the parent is not in the library (trashed or
// purged): the field is only there when true.
type ParentView struct {
	AssetID  string `json:"assetId"`
	Relation string `json:"relation"`
	Missing  bool   `json:"missing,omitempty"`
}

// ContentCredentialsView says whether an original carries C2PA content credentials.
type ContentCredentialsView struct {
	Present bool `json:"present"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Cost sources of GenerationView.CostSource beside cost's own.
const costSourceNone = "not_billed" // failed or canceled: fal bills successful outputs only

// assetView is the SPEC Asset of a stored asset.
func assetView(urls media.URLs, a *model.Asset) AssetView {
	v := AssetView{ID: a.ID, Model: a.Model, Prompt: a.Prompt, Kind: a.Kind, URL: urls.Asset(a),
		ContentType: a.ContentType, Bytes: a.Bytes, Storage: a.Storage, Params: a.Params, CreatedAt: rfc3339(a.CreatedAt),
		Favorite: a.Favorite, CollectionIDs: a.CollectionIDs, Flagged: a.Flagged}
	if v.CollectionIDs == nil {
		v.CollectionIDs = []string{}
	}
	if a.GenerationID != "" {
		g := a.GenerationID
		v.GenerationID = &g
	}
	if a.SequenceID != "" {
		seq := a.SequenceID
		v.SequenceID = &seq
	}
	if a.Width > 0 && a.Height > 0 {
		w, h := a.Width, a.Height
		v.Width, v.Height = &w, &h
	}
	if len(v.Params) == 0 {
		v.Params = json.RawMessage("{}")
	}
	if a.ThumbBytes > 0 {
		u := urls.Thumb(a)
		v.ThumbURL = &u
	}
	if a.ParentID != "" {
		v.Parent = &ParentView{AssetID: a.ParentID, Relation: a.ParentRelation, Missing: a.ParentMissing}
	}
	if a.TrashedAt != nil {
		t := rfc3339(*a.TrashedAt)
		v.TrashedAt = &t
	}
	if a.PurgeAt != nil {
		t := rfc3339(*a.PurgeAt)
		v.PurgeAt = &t
	}
	v.ContentCredentials.Present = a.C2PA
	return v
}

func assetViews(urls media.URLs, list []*model.Asset) []AssetView {
	out := make([]AssetView, 0, len(list))
	for _, a := range list {
		out = append(out, assetView(urls, a))
	}
	return out
}

// generationView is the SPEC Generation: the internal submitting state shows as queued; costUsd
// is the recorded estimate (or fal's billed amount), 0 once failed or canceled (but for a
// submit interrupted mid-way, which fal may have billed), null when fal had no price.
func generationView(urls media.URLs, g *model.Generation) GenerationView {
	status := g.Status
	if status == model.StatusSubmitting {
		status = model.StatusQueued // internal state; the contract knows it as queued
	}
	v := GenerationView{ID: g.ID, Model: g.Model, Prompt: g.Prompt, Params: g.Params, Status: status, QueuePosition: g.QueuePosition,
		Logs: g.Logs, Assets: assetViews(urls, g.Assets), CreatedAt: rfc3339(g.CreatedAt), UpdatedAt: rfc3339(g.UpdatedAt)}
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
	v.Cast = g.Cast
	if v.Cast == nil {
		v.Cast = []string{}
	}
	v.ReferenceAssetIDs = g.ReferenceAssetIDs
	if v.ReferenceAssetIDs == nil {
		v.ReferenceAssetIDs = []string{}
	}
	if g.Relation != "" {
		rel := g.Relation
		v.Relation = &rel

	}
	if g.TokenID != "" {
		v.Via = &ViaView{TokenID: g.TokenID, Name: g.TokenName}
	}
	if g.CompletedAt != nil {
		c := rfc3339(*g.CompletedAt)
		v.CompletedAt = &c
	}
	switch {
	case g.Status == model.StatusFailed && g.ErrorCode == model.CodeInterrupted && g.CostUSD != nil:
		// Interrupted mid-submit: fal may have run and billed it, so its estimate counts as
		// spent (the budget's rule, store.spent) and is shown as such.
		usd, src := *g.CostUSD, cost.SourceEstimate
		v.CostUSD, v.CostSource = &usd, &src
	case g.Status == model.StatusFailed || g.Status == model.StatusCanceled:
		zero, src := 0.0, costSourceNone
		v.CostUSD, v.CostSource = &zero, &src
	case g.CostUSD != nil:
		usd, src := *g.CostUSD, g.CostSource
		if src == "" {
			src = cost.SourceEstimate
		}
		v.CostUSD, v.CostSource = &usd, &src
	}
	return v
}

func generationViews(urls media.URLs, gens []*model.Generation) []GenerationView {
	out := make([]GenerationView, 0, len(gens))
	for _, g := range gens {
		out = append(out, generationView(urls, g))
	}
	return out
}
