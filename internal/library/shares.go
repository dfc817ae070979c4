package library

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// maxShareDays bounds an expiry (a far-future date is almost certainly a typo).
const maxShareDays = 3650

// ShareView is the SPEC Share object. URL holds the token and is only ever set in the answer
// that created the share: the studio keeps only the token's hash.
type ShareView struct {
	ID        string  `json:"id"`
	URL       *string `json:"url"`
	Kind      string  `json:"kind"`
	TargetID  string  `json:"targetId"`
	CreatedAt string  `json:"createdAt"`
	ExpiresAt *string `json:"expiresAt"`
	Expired   bool    `json:"expired"`
}

func (s *Service) shareView(sh *model.Share) ShareView {
	v := ShareView{ID: sh.ID, Kind: sh.Kind, TargetID: sh.TargetID, CreatedAt: rfc3339(sh.CreatedAt)}
	if sh.ExpiresAt != nil {
		e := rfc3339(*sh.ExpiresAt)
		v.ExpiresAt = &e
		v.Expired = !sh.ExpiresAt.After(s.now())
	}
	return v
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// ShareInput is a request to share an asset or a collection.
type ShareInput struct {
	AssetID, CollectionID string
	ExpiresAt             *time.Time
}

// CreateShare makes a link to one of the user's assets or collections. The token (256 random
// bits) is returned once, inside the URL; only its SHA-256 is stored, and it is never logged.
func (s *Service) CreateShare(ctx context.Context, userID int64, in ShareInput) (*ShareView, error) {
	sh := &model.Share{ID: newID(), UserID: userID}
	switch {
	case in.AssetID != "" && in.CollectionID != "":
		return nil, model.Errf(model.CodeInvalidInput, "Share either an asset or a collection, not both.")
	case in.AssetID != "":
		sh.Kind, sh.TargetID = model.ShareAsset, in.AssetID
		if len(in.AssetID) <= 100 {
			if a, err := s.st.Asset(ctx, userID, in.AssetID); err == nil {
				if err := s.CheckDownload(ctx, a); err != nil {
					return nil, err
				}
			}
		}
	case in.CollectionID != "":
		sh.Kind, sh.TargetID = model.ShareCollection, in.CollectionID
	default:
		return nil, model.Errf(model.CodeInvalidInput, "Choose an asset or a collection to share.")
	}
	if len(sh.TargetID) > 100 {
		return nil, store.ErrNotFound
	}
	if in.ExpiresAt != nil {
		now := s.now()
		if !in.ExpiresAt.After(now) {
			return nil, model.Errf(model.CodeInvalidInput, "The expiry must be in the future.")
		}
		if in.ExpiresAt.After(now.AddDate(0, 0, maxShareDays)) {
			return nil, model.Errf(model.CodeInvalidInput, "The expiry is too far away (at most %d days).", maxShareDays)
		}
		e := in.ExpiresAt.UTC()
		sh.ExpiresAt = &e
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	sh.TokenHash = hashToken(token)
	if err := s.st.InsertShare(ctx, sh); err != nil {
		return nil, err
	}
	s.log.Info("share created", "share_id", sh.ID, "user_id", userID, "kind", sh.Kind, "target_id", sh.TargetID)
	s.record(ctx, userID, audit.ActionShareCreate, sh.ID, map[string]any{"kind": sh.Kind, "targetId": sh.TargetID, "expires": sh.ExpiresAt != nil})
	v := s.shareView(sh)
	u := "/s/" + token
	v.URL = &u
	return &v, nil
}

func (s *Service) shareViews(list []*model.Share) []ShareView {
	out := make([]ShareView, 0, len(list))
	for _, sh := range list {
		out = append(out, s.shareView(sh))
	}
	return out
}

// Shares lists the user's share links (without their tokens).
func (s *Service) Shares(ctx context.Context, userID int64) ([]ShareView, error) {
	list, err := s.st.Shares(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.shareViews(list), nil
}

// RevokeShare ends a share link at once.
func (s *Service) RevokeShare(ctx context.Context, userID int64, id string) error {
	if err := s.st.DeleteShare(ctx, userID, id); err != nil {
		return err
	}
	s.log.Info("share revoked", "share_id", id, "user_id", userID)
	s.record(ctx, userID, audit.ActionShareRevoke, id, nil)
	return nil
}

// UserShares lists a person's links that still serve by their expiry, for an admin (SPEC §18:
// what to take down). The URL is null, as in the owner's own list: only hashes are kept. A
// person who does not exist answers not_found.
func (s *Service) UserShares(ctx context.Context, userID int64) ([]ShareView, error) {
	list, err := s.st.LiveShares(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.shareViews(list), nil
}

// AdminRevokeShare takes down anyone's share link at once (an admin's act, audited as a share
// revoked with the admin as the actor and the owner in the detail); an unknown or already
// revoked link answers not_found.
func (s *Service) AdminRevokeShare(ctx context.Context, adminID int64, id string) error {
	if id == "" || len(id) > 100 {
		return store.ErrNotFound
	}
	sh, err := s.st.DeleteShareByID(ctx, id)
	if err != nil {
		return err
	}
	s.log.Info("share revoked by an admin", "share_id", sh.ID, "user_id", sh.UserID, "admin_id", adminID)
	s.record(ctx, adminID, audit.ActionShareRevoke, sh.ID, map[string]any{"ownerId": sh.UserID, "kind": sh.Kind})
	return nil
}

// record writes an audit event (never the token: it is not known here after creation).
func (s *Service) record(ctx context.Context, userID int64, action, shareID string, detail map[string]any) {
	if s.audit == nil {
		return
	}
	u, err := s.st.UserByID(ctx, userID)
	if err != nil {
		s.log.Warn("audit: share actor not found", "user_id", userID, "err", err)
		return
	}
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: action, Target: &audit.Target{Type: audit.TargetShare, ID: shareID}, Detail: detail})
}

// validToken is the shape CreateShare makes; anything else is refused before a query.
func validToken(t string) bool {
	if len(t) != 43 {
		return false
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (s *Service) share(ctx context.Context, token string) (*model.Share, error) {
	if !validToken(token) {
		return nil, store.ErrNotFound
	}
	sh, err := s.st.ShareByToken(ctx, hashToken(token))
	if err != nil {
		return nil, err
	}
	// The store drops expired links by its clock; this checks the service's own, the one that
	// also decides "expired" in the owner's list, so both always agree.
	if sh.ExpiresAt != nil && !sh.ExpiresAt.After(s.now()) {
		return nil, store.ErrNotFound
	}
	return sh, nil
}

// CheckShare answers as Public would (not_found for a revoked, expired or unknown link, one
// whose owner is disabled, or one whose asset or collection is gone) without reading the shared
// assets: the share page's status.
func (s *Service) CheckShare(ctx context.Context, token string) error {
	sh, err := s.share(ctx, token)
	if err != nil {
		return err
	}
	if sh.Kind == model.ShareAsset {
		_, err = s.st.SharedAsset(ctx, sh, sh.TargetID)
	} else {
		_, err = s.st.Collection(ctx, sh.UserID, sh.TargetID)
	}
	return err
}

// PublicAsset is what a share link shows of an asset: the media and its prompt, nothing else
// of the owner.
type PublicAsset struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	URL         string `json:"url"`
	ContentType string `json:"contentType"`
	Width       *int   `json:"width"`
	Height      *int   `json:"height"`
	Prompt      string `json:"prompt"`
	Model       string `json:"model"`
	CreatedAt   string `json:"createdAt"`
	// AIGenerated: a model made it (SPEC §13.3); the page labels it "AI-generated".
	AIGenerated bool `json:"aiGenerated"`
}

// PublicShare is the JSON of GET /api/s/{token}: one page of the shared assets.
type PublicShare struct {
	Kind       string        `json:"kind"`
	Name       *string       `json:"name"` // the collection's name; null for an asset
	ExpiresAt  *string       `json:"expiresAt"`
	Assets     []PublicAsset `json:"assets"`
	NextCursor *string       `json:"nextCursor"` // null on the last page (and for an asset share)
}

// Public resolves a share link (no session) and returns a page of what it shares: a collection
// newest first, keyset-paged like the gallery (limit 1–100, 0 for the default 50), read without
// params; an asset share its one asset. Revoked, expired or unknown answers not_found, and so
// does a link whose owner is disabled.
func (s *Service) Public(ctx context.Context, token, cursor string, limit int) (*PublicShare, error) {
	if limit < 0 || limit > maxPageSize {
		return nil, model.Errf(model.CodeInvalidInput, "limit must be a number from 1 to %d.", maxPageSize)
	}
	if limit == 0 {
		limit = defaultPageSize
	}
	sh, err := s.share(ctx, token)
	if err != nil {
		return nil, err
	}
	var list []*model.Asset
	out := &PublicShare{Kind: sh.Kind, Assets: []PublicAsset{}}
	if sh.ExpiresAt != nil {
		e := rfc3339(*sh.ExpiresAt)
		out.ExpiresAt = &e
	}
	switch sh.Kind {
	case model.ShareAsset:
		a, err := s.st.SharedAsset(ctx, sh, sh.TargetID)
		if err != nil {
			return nil, err
		}
		if a.Flagged && s.CheckDownload(ctx, a) != nil {
			return nil, store.ErrNotFound // shared before; now hidden by the owner's policy
		}
		list = []*model.Asset{a}
	default:
		c, err := s.st.Collection(ctx, sh.UserID, sh.TargetID)
		if err != nil {
			return nil, err
		}
		out.Name = &c.Name
		var next string
		list, next, err = s.st.SharedCollectionPage(ctx, sh.UserID, sh.TargetID, cursor, limit)
		if errors.Is(err, store.ErrBadCursor) {
			return nil, model.Errf(model.CodeInvalidInput, "The cursor is not valid; start from the first page.")
		}
		if err != nil {
			return nil, err
		}
		if next != "" {
			out.NextCursor = &next
		}
		if list, err = s.withoutHidden(ctx, sh.UserID, list); err != nil {
			return nil, err
		}
	}
	base := "/s/" + token + "/media/"
	for _, a := range list {
		p := PublicAsset{ID: a.ID, Kind: a.Kind, URL: base + url.PathEscape(a.ID), ContentType: a.ContentType, Prompt: a.Prompt,
			Model: a.Model, CreatedAt: rfc3339(a.CreatedAt), AIGenerated: AIGenerated(a)}
		if a.Width > 0 && a.Height > 0 {
			w, h := a.Width, a.Height
			p.Width, p.Height = &w, &h
		}
		out.Assets = append(out.Assets, p)
	}
	return out, nil
}

// PublicMedia returns a shared asset for its media route: it must be the shared asset, or in
// the shared collection, and the link must be live.
func (s *Service) PublicMedia(ctx context.Context, token, assetID string) (*model.Asset, error) {
	sh, err := s.share(ctx, token)
	if err != nil {
		return nil, err
	}
	assetID = strings.TrimSpace(assetID)
	if assetID == "" || len(assetID) > 100 {
		return nil, store.ErrNotFound
	}
	a, err := s.st.SharedAsset(ctx, sh, assetID)
	if err != nil {
		return nil, err
	}
	if a.Flagged && s.CheckDownload(ctx, a) != nil {
		return nil, store.ErrNotFound
	}
	return a, nil
}

// withoutHidden leaves out flagged outputs when the owner's policy hides them.
func (s *Service) withoutHidden(ctx context.Context, ownerID int64, list []*model.Asset) ([]*model.Asset, error) {
	hide, err := s.HidesFlagged(ctx, ownerID)
	if err != nil || !hide {
		return list, err
	}
	kept := list[:0]
	for _, a := range list {
		if !a.Flagged {
			kept = append(kept, a)
		}
	}
	return kept, nil
}
