package library

import (
	"context"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Provenance in files (SPEC §13.3): downloads, ZIP entries and shared images are served as
// marked copies, the stored original with an XMP packet saying it was made by AI, by which
// model, when, and (unless the owner opted out) from which prompt.

// AIGenerated reports whether a model made the asset: everything but a file imported without a
// parent (SPEC §15.4), which was not made here.
func AIGenerated(a *model.Asset) bool {
	return !(a.Model == media.ImportModel && a.ParentID == "")
}

// markable reports whether an asset's files are served marked: an image a model made, whose
// original holds no C2PA manifest (anything added would break its signature).
func markable(a *model.Asset) bool {
	return a.Kind == model.KindImage && media.Markable(a.ContentType) && !a.C2PA && AIGenerated(a)
}

// packet is the XMP packet of an asset's marked copy.
func packet(a *model.Asset, embedPrompt bool) []byte {
	p := media.Provenance{Model: a.Model, CreatedAt: a.CreatedAt}
	if embedPrompt {
		p.Prompt = a.Prompt
	}
	return media.XMPPacket(p)
}

// MarkedCopy plans the marked copy of an asset (its UserID is the owner, whose embedPrompt
// applies) and its ETag. A nil plan: the file is served as stored.
func (s *Service) MarkedCopy(ctx context.Context, a *model.Asset) (*media.Splice, string, error) {
	if !markable(a) {
		return nil, "", nil
	}
	prefs, err := s.st.Preferences(ctx, a.UserID)
	if err != nil {
		return nil, "", err
	}
	return s.markedCopy(ctx, a, prefs.EmbedPrompt)
}

func (s *Service) markedCopy(ctx context.Context, a *model.Asset, embedPrompt bool) (*media.Splice, string, error) {
	if !markable(a) {
		return nil, "", nil
	}
	pk := packet(a, embedPrompt)
	sp, err := s.storage.PlanMark(ctx, a.Storage, a.StorageKey, a.ContentType, a.Bytes, pk)
	if err != nil || sp == nil {
		return nil, "", err
	}
	return sp, media.MarkedETag(a.StorageKey, pk), nil
}

// Preferences returns the user's preferences.
func (s *Service) Preferences(ctx context.Context, userID int64) (store.Preferences, error) {
	return s.st.Preferences(ctx, userID)
}

// SetEmbedPrompt records whether the prompt goes into the user's files from now on.
func (s *Service) SetEmbedPrompt(ctx context.Context, userID int64, embed bool) (store.Preferences, error) {
	if err := s.st.SetEmbedPrompt(ctx, userID, embed); err != nil {
		return store.Preferences{}, err
	}
	return s.st.Preferences(ctx, userID)
}
