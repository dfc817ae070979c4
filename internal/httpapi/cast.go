package httpapi

import (
	"net/http"

	"github.com/falstudio/falstudio/internal/cast"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
)

// CastView is the SPEC Cast object.
type CastView struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Kind        string          `json:"kind"`
	Description string          `json:"description"`
	Shared      bool            `json:"shared"`
	Owner       CastOwnerView   `json:"owner"`
	Images      []CastImageView `json:"images"`
	CreatedAt   string          `json:"createdAt"`
	UpdatedAt   string          `json:"updatedAt"`
}

// CastOwnerView names a member's owner.
type CastOwnerView struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
}

// CastImageView is one of a member's pictures: its own id and where its bytes are served.
type CastImageView struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

func castView(c *model.CastMember) CastView {
	v := CastView{ID: c.ID, Name: c.Name, Kind: c.Kind, Description: c.Description, Shared: c.Shared,
		Owner: CastOwnerView{ID: c.UserID, Email: c.OwnerEmail}, Images: make([]CastImageView, 0, len(c.Images)),
		CreatedAt: rfc3339(c.CreatedAt), UpdatedAt: rfc3339(c.UpdatedAt)}
	for _, im := range c.Images {
		v.Images = append(v.Images, CastImageView{ID: im.ID, URL: "/api/cast/" + c.ID + "/images/" + im.ID})
	}
	return v
}

func (s *Server) listCast(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Cast.List(r.Context(), currentUser(r.Context()))
	if err != nil {
		return err
	}
	out := make([]CastView, 0, len(list))
	for _, c := range list {
		out = append(out, castView(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"cast": out})
	return nil
}

func (s *Server) createCast(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name        string   `json:"name" required:"true"`
		Kind        string   `json:"kind" required:"true"`
		AssetIDs    []string `json:"assetIds" required:"true"`
		Description string   `json:"description"`
		Shared      bool     `json:"shared"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.Cast.Create(r.Context(), currentUser(r.Context()), cast.CreateInput{Name: in.Name, Kind: in.Kind,
		Description: in.Description, Shared: in.Shared, AssetIDs: in.AssetIDs})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"cast": castView(c)})
	return nil
}

func (s *Server) getCast(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Cast.Get(r.Context(), currentUser(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"cast": castView(c)})
	return nil
}

func (s *Server) patchCast(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name        *string   `json:"name"`
		Kind        *string   `json:"kind"`
		Description *string   `json:"description"`
		Shared      *bool     `json:"shared"`
		ImageIDs    *[]string `json:"imageIds"`
		AddAssetIDs []string  `json:"addAssetIds"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.Cast.Update(r.Context(), currentUser(r.Context()), r.PathValue("id"), cast.Patch{Name: in.Name, Kind: in.Kind,
		Description: in.Description, Shared: in.Shared, ImageIDs: in.ImageIDs, AddAssetIDs: in.AddAssetIDs})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"cast": castView(c)})
	return nil
}

func (s *Server) deleteCast(w http.ResponseWriter, r *http.Request) error {
	if err := s.Cast.Delete(r.Context(), currentUser(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// serveCastImage streams a member's picture to everyone who may see the member (like /media/…:
// Range, nosniff); anyone else gets 404.
func (s *Server) serveCastImage(w http.ResponseWriter, r *http.Request) error {
	c, im, err := s.Cast.Image(r.Context(), currentUser(r.Context()), r.PathValue("id"), r.PathValue("imageId"))
	if err != nil {
		return err
	}
	media.Serve(w, r, s.Cast.Storage(), media.ObjectInfo{Key: im.StorageKey, Storage: im.Storage, ContentType: im.ContentType,
		Size: im.Bytes, ModTime: c.UpdatedAt, FileName: c.Name + "-" + im.ID}, media.ServeOptions{})
	return nil
}
