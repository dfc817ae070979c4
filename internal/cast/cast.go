// Package cast keeps reusable people, pets, products and styles (SPEC §14): a name, a kind, a
// description and 1–8 pictures copied from the owner's image assets into objects of their own,
// so deleting or purging a source asset never changes a member. Members are private to their
// owner unless shared, then every signed-in person may see and use them (read-only).
package cast

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/cleaner"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

// Limits (SPEC §14).
const (
	MaxImages         = 8
	MaxDescription    = 1000
	maxMembersPerUser = 500
)

// Kinds are the kinds a member may have.
var Kinds = []string{model.CastPerson, model.CastPet, model.CastProduct, model.CastStyle}

// Service manages cast members.
type Service struct {
	st      *store.Store
	storage *media.Storage
	clean   *cleaner.Cleaner
	log     *slog.Logger
	now     func() time.Time
}

// New builds the service.
func New(st *store.Store, storage *media.Storage, clean *cleaner.Cleaner, log *slog.Logger, now func() time.Time) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, storage: storage, clean: clean, log: log, now: now}
}

// Storage is where the pictures live (the HTTP layer serves them).
func (s *Service) Storage() *media.Storage { return s.storage }

// CreateInput is a new member.
type CreateInput struct {
	Name, Kind, Description string
	Shared                  bool
	AssetIDs                []string
}

// Patch changes an owner's member; nil fields stay.
type Patch struct {
	Name, Kind, Description *string
	Shared                  *bool
	ImageIDs                *[]string // the pictures to keep, in their new order
	AddAssetIDs             []string  // more of the caller's image assets, copied in at the end
}

func newID() string { return strings.ToLower(rand.Text()) }

func checkName(name string) error {
	if !generation.ValidCastName(name) {
		return model.Errf(model.CodeInvalidInput, "A name is 1–40 letters, digits, _ or -, starting with a letter or digit (so @name is one word).")
	}
	return nil
}

func checkKind(kind string) error {
	for _, k := range Kinds {
		if k == kind {
			return nil
		}
	}
	return model.Errf(model.CodeInvalidInput, "kind must be one of %s.", strings.Join(Kinds, ", "))
}

func checkDescription(d string) error {
	if utf8.RuneCountInString(d) > MaxDescription {
		return model.Errf(model.CodeInvalidInput, "A description is at most %d characters.", MaxDescription)
	}
	return nil
}

// sources checks asset ids to copy: distinct, each one of the caller's image assets.
func (s *Service) sources(ctx context.Context, userID int64, ids []string) ([]*model.Asset, error) {
	seen := map[string]bool{}
	out := make([]*model.Asset, 0, len(ids))
	for _, id := range ids {
		if id == "" || len(id) > 64 || seen[id] {
			return nil, model.Errf(model.CodeInvalidInput, "assetIds must list distinct asset ids.")
		}
		seen[id] = true
		a, err := s.st.Asset(ctx, userID, id)
		if err != nil {
			return nil, err
		}
		if a.Trashed() { // out of the library (SPEC §13.1): as missing
			return nil, store.ErrNotFound
		}
		if a.Kind != model.KindImage {
			return nil, model.Errf(model.CodeInvalidInput, "Only images can be cast pictures.")
		}
		out = append(out, a)
	}
	return out, nil
}

// copyImages stores a copy of each asset's original as an object of the member's own:
// users/{ownerId}/cast/{unixMillis}-{slug}-{imageId}.{ext}. On an error the copies made so
// far are removed.
func (s *Service) copyImages(ctx context.Context, ownerID int64, name string, assets []*model.Asset) ([]model.CastImage, error) {
	var out []model.CastImage
	for _, a := range assets {
		im, err := s.copyOne(ctx, ownerID, name, a)
		if err != nil {
			s.remove(ctx, out)
			return nil, err
		}
		out = append(out, im)
	}
	return out, nil
}

func (s *Service) copyOne(ctx context.Context, ownerID int64, name string, a *model.Asset) (model.CastImage, error) {
	id := newID()
	key := "users/" + strconv.FormatInt(ownerID, 10) + "/cast/" + strconv.FormatInt(s.now().UnixMilli(), 10) + "-" +
		media.Slug(name) + "-" + id + "." + media.ExtFor(a.ContentType)
	rc, obj, err := s.storage.Open(ctx, a.Storage, a.StorageKey, 0, -1)
	if err != nil {
		return model.CastImage{}, fmt.Errorf("cast: open asset: %w", err)
	}
	defer rc.Close()
	saved, err := s.storage.Save(ctx, key, rc, obj.Size, a.ContentType)
	if err != nil {
		return model.CastImage{}, fmt.Errorf("cast: copy picture: %w", err)
	}
	return model.CastImage{ID: id, Storage: saved.Storage, StorageKey: key, ContentType: a.ContentType, Bytes: saved.Bytes}, nil
}

// remove deletes copies no row names (or queues the delete when the store fails).
func (s *Service) remove(ctx context.Context, imgs []model.CastImage) {
	for _, im := range imgs {
		if err := s.clean.Remove(context.WithoutCancel(ctx), im.Storage, im.StorageKey); err != nil {
			s.log.Error("cast: picture left behind", "key", im.StorageKey, "err", err)
		}
	}
}

// Create adds a member of the caller's from 1–8 of their image assets.
func (s *Service) Create(ctx context.Context, caller *model.User, in CreateInput) (*model.CastMember, error) {
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	if err := checkKind(in.Kind); err != nil {
		return nil, err
	}
	if err := checkDescription(in.Description); err != nil {
		return nil, err
	}
	if len(in.AssetIDs) < 1 || len(in.AssetIDs) > MaxImages {
		return nil, model.Errf(model.CodeInvalidInput, "A cast member has 1 to %d pictures.", MaxImages)
	}
	assets, err := s.sources(ctx, caller.ID, in.AssetIDs)
	if err != nil {
		return nil, err
	}
	own, err := s.st.CastList(ctx, caller.ID)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, c := range own {
		if c.UserID != caller.ID {
			continue
		}
		n++
		if strings.EqualFold(c.Name, in.Name) {
			return nil, nameTaken(in.Name)
		}
	}
	if n >= maxMembersPerUser {
		return nil, model.Errf(model.CodeInvalidInput, "At most %d cast members per person.", maxMembersPerUser)
	}
	imgs, err := s.copyImages(ctx, caller.ID, in.Name, assets)
	if err != nil {
		return nil, err
	}
	c := &model.CastMember{ID: newID(), UserID: caller.ID, OwnerEmail: caller.Email, Name: in.Name, Kind: in.Kind,
		Description: in.Description, Shared: in.Shared, Images: imgs}
	if err := s.st.InsertCast(ctx, c); err != nil {
		s.remove(ctx, imgs)
		if errors.Is(err, store.ErrConflict) {
			return nil, nameTaken(in.Name)
		}
		return nil, err
	}
	s.log.Info("cast member created", "user_id", caller.ID, "cast_id", c.ID, "shared", c.Shared)
	return c, nil
}

func nameTaken(name string) error {
	return model.Errf(model.CodeNameTaken, "You already have a cast member called %s.", name)
}

// List is the members the caller may see: their own first, then the shared ones, by name.
func (s *Service) List(ctx context.Context, caller *model.User) ([]*model.CastMember, error) {
	return s.st.CastList(ctx, caller.ID)
}

// Get is a member the caller may see.
func (s *Service) Get(ctx context.Context, caller *model.User, id string) (*model.CastMember, error) {
	if id == "" || len(id) > 64 {
		return nil, store.ErrNotFound
	}
	return s.st.Cast(ctx, caller.ID, id)
}

// owned is the caller's own member: someone else's shared one is forbidden, a private one (or
// none) not found.
func (s *Service) owned(ctx context.Context, caller *model.User, id string) (*model.CastMember, error) {
	c, err := s.Get(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	if c.UserID != caller.ID {
		return nil, model.Errf(model.CodeForbidden, "Only its owner can change this cast member.")
	}
	return c, nil
}

// Update applies an owner's patch; after it the member has 1–8 pictures, else nothing changes.
func (s *Service) Update(ctx context.Context, caller *model.User, id string, p Patch) (*model.CastMember, error) {
	c, err := s.owned(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	var sp store.CastPatch
	if p.Name != nil {
		v := strings.TrimSpace(*p.Name)
		if err := checkName(v); err != nil {
			return nil, err
		}
		sp.Name = &v
	}
	if p.Kind != nil {
		if err := checkKind(*p.Kind); err != nil {
			return nil, err
		}
		sp.Kind = p.Kind
	}
	if p.Description != nil {
		v := strings.TrimSpace(*p.Description)
		if err := checkDescription(v); err != nil {
			return nil, err
		}
		sp.Description = &v
	}
	sp.Shared = p.Shared
	count := len(c.Images)
	if p.ImageIDs != nil {
		current := map[string]bool{}
		for _, im := range c.Images {
			current[im.ID] = true
		}
		seen := map[string]bool{}
		for _, imID := range *p.ImageIDs {
			if !current[imID] || seen[imID] {
				return nil, model.Errf(model.CodeInvalidInput, "imageIds must list this member's pictures, each once.")
			}
			seen[imID] = true
		}
		sp.Keep = append([]string{}, *p.ImageIDs...)
		count = len(sp.Keep)
	}
	if len(p.AddAssetIDs) > MaxImages {
		return nil, model.Errf(model.CodeInvalidInput, "A cast member has 1 to %d pictures.", MaxImages)
	}
	if count+len(p.AddAssetIDs) < 1 || count+len(p.AddAssetIDs) > MaxImages {
		return nil, model.Errf(model.CodeInvalidInput, "A cast member has 1 to %d pictures.", MaxImages)
	}
	assets, err := s.sources(ctx, caller.ID, p.AddAssetIDs)
	if err != nil {
		return nil, err
	}
	name := c.Name
	if sp.Name != nil {
		name = *sp.Name
	}
	if sp.Add, err = s.copyImages(ctx, caller.ID, name, assets); err != nil {
		return nil, err
	}
	removed, err := s.st.UpdateCast(ctx, caller.ID, id, sp)
	if err != nil {
		s.remove(ctx, sp.Add)
		if errors.Is(err, store.ErrConflict) {
			return nil, nameTaken(name)
		}
		return nil, err
	}
	s.clean.RemoveQueued(context.WithoutCancel(ctx), removed, true)
	return s.st.Cast(ctx, caller.ID, id)
}

// Delete removes an owner's member and its pictures.
func (s *Service) Delete(ctx context.Context, caller *model.User, id string) error {
	if _, err := s.owned(ctx, caller, id); err != nil {
		return err
	}
	removed, err := s.st.DeleteCast(ctx, caller.ID, id)
	if err != nil {
		return err
	}
	s.clean.RemoveQueued(context.WithoutCancel(ctx), removed, true)
	s.log.Info("cast member deleted", "user_id", caller.ID, "cast_id", id)
	return nil
}

// Image is one picture of a member the caller may see.
func (s *Service) Image(ctx context.Context, caller *model.User, castID, imageID string) (*model.CastMember, *model.CastImage, error) {
	c, err := s.Get(ctx, caller, castID)
	if err != nil {
		return nil, nil, err
	}
	for i := range c.Images {
		if c.Images[i].ID == imageID {
			return c, &c.Images[i], nil
		}
	}
	return nil, nil, store.ErrNotFound
}
