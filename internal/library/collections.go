package library

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// CollectionView is the SPEC Collection object.
type CollectionView struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	Count        int64   `json:"count"`
	CoverURL     *string `json:"coverUrl"`
	CoverAssetID *string `json:"coverAssetId"`
	CreatedAt    string  `json:"createdAt"`
	UpdatedAt    string  `json:"updatedAt"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// cleanName trims a collection name and checks it: 1–100 characters, no control characters.
func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", model.Errf(model.CodeInvalidInput, "Give the collection a name.")
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameChars {
		return "", model.Errf(model.CodeInvalidInput, "A collection name has at most %d characters.", MaxNameChars)
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", model.Errf(model.CodeInvalidInput, "A collection name cannot hold control characters.")
	}
	if model.HasInvisible(name, true) {
		return "", model.Errf(model.CodeInvalidInput, "A collection name cannot hold invisible or direction-changing characters.")
	}
	return name, nil
}

func nameTaken(name string) error {
	return model.Errf(model.CodeNameTaken, "You already have a collection named %q. Choose another name.", name)
}

// collectionViews renders collections with their cover URLs (one query for every cover).
func (s *Service) collectionViews(ctx context.Context, userID int64, list []*model.Collection) ([]CollectionView, error) {
	var coverIDs []string
	for _, c := range list {
		if c.CoverAssetID != "" {
			coverIDs = append(coverIDs, c.CoverAssetID)
		}
	}
	covers, err := s.st.AssetsByIDs(ctx, userID, coverIDs)
	if err != nil {
		return nil, err
	}
	urls := map[string]string{}
	for _, a := range covers {
		urls[a.ID] = s.urls.Asset(a)
	}
	out := make([]CollectionView, 0, len(list))
	for _, c := range list {
		v := CollectionView{ID: c.ID, Name: c.Name, Count: c.Count, CreatedAt: rfc3339(c.CreatedAt), UpdatedAt: rfc3339(c.UpdatedAt)}
		if u, ok := urls[c.CoverAssetID]; ok {
			id := c.CoverAssetID
			v.CoverURL, v.CoverAssetID = &u, &id
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Service) collectionView(ctx context.Context, userID int64, id string) (*CollectionView, error) {
	c, err := s.st.Collection(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	vs, err := s.collectionViews(ctx, userID, []*model.Collection{c})
	if err != nil {
		return nil, err
	}
	return &vs[0], nil
}

// Collections lists the user's collections by name.
func (s *Service) Collections(ctx context.Context, userID int64) ([]CollectionView, error) {
	list, err := s.st.Collections(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.collectionViews(ctx, userID, list)
}

// CreateCollection makes a new, empty collection.
func (s *Service) CreateCollection(ctx context.Context, userID int64, name string) (*CollectionView, error) {
	name, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	n, err := s.st.CountCollections(ctx, userID)
	if err != nil {
		return nil, err
	}
	if n >= MaxCollections {
		return nil, model.Errf(model.CodeInvalidInput, "You have %d collections, the most there can be. Delete one first.", n)
	}
	c, err := s.st.InsertCollection(ctx, userID, newID(), name)
	if errors.Is(err, store.ErrConflict) {
		return nil, nameTaken(name)
	}
	if err != nil {
		return nil, err
	}
	vs, err := s.collectionViews(ctx, userID, []*model.Collection{c})
	if err != nil {
		return nil, err
	}
	return &vs[0], nil
}

// CollectionUpdate is a change to a collection; nil fields stay as they are.
type CollectionUpdate struct {
	Name         *string
	CoverAssetID *string // "" goes back to the newest asset
}

// UpdateCollection renames a collection and/or chooses its cover.
func (s *Service) UpdateCollection(ctx context.Context, userID int64, id string, u CollectionUpdate) (*CollectionView, error) {
	if _, err := s.st.Collection(ctx, userID, id); err != nil {
		return nil, err
	}
	if u.Name != nil {
		name, err := cleanName(*u.Name)
		if err != nil {
			return nil, err
		}
		err = s.st.RenameCollection(ctx, userID, id, name)
		if errors.Is(err, store.ErrConflict) {
			return nil, nameTaken(name)
		}
		if err != nil {
			return nil, err
		}
	}
	if u.CoverAssetID != nil {
		err := s.st.SetCollectionCover(ctx, userID, id, strings.TrimSpace(*u.CoverAssetID))
		if errors.Is(err, store.ErrNotFound) {
			return nil, model.Errf(model.CodeInvalidInput, "The cover must be an asset in this collection.")
		}
		if err != nil {
			return nil, err
		}
	}
	return s.collectionView(ctx, userID, id)
}

// DeleteCollection removes a collection; its assets stay in the gallery.
func (s *Service) DeleteCollection(ctx context.Context, userID int64, id string) error {
	return s.st.DeleteCollection(ctx, userID, id)
}

// AddToCollection adds those of ids that are the user's assets; others are ignored.
func (s *Service) AddToCollection(ctx context.Context, userID int64, id string, ids []string) (*CollectionView, error) {
	ids, err := cleanIDs(ids)
	if err != nil {
		return nil, err
	}
	if _, err := s.st.AddToCollection(ctx, userID, id, ids); err != nil {
		return nil, err
	}
	return s.collectionView(ctx, userID, id)
}

// RemoveFromCollection takes assets out of a collection (they stay in the gallery).
func (s *Service) RemoveFromCollection(ctx context.Context, userID int64, id string, ids []string) (*CollectionView, error) {
	ids, err := cleanIDs(ids)
	if err != nil {
		return nil, err
	}
	if _, err := s.st.RemoveFromCollection(ctx, userID, id, ids); err != nil {
		return nil, err
	}
	return s.collectionView(ctx, userID, id)
}
