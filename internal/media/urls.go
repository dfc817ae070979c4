package media

import (
	"net/url"
	"strings"

	"github.com/falstudio/falstudio/internal/model"
)

// URLs builds the address a browser loads a stored object from — the one place that does. With
// S3_PUBLIC_BASE_URL, an object in S3 is loaded straight from there; anything else goes through
// the studio's own /media route (with the owner's session, and across replicas).
type URLs struct{ publicBase string }

// NewURLs builds the URLs for publicBase (S3_PUBLIC_BASE_URL; "" for none).
func NewURLs(publicBase string) URLs { return URLs{publicBase: strings.TrimRight(publicBase, "/")} }

// Asset is the URL of an asset's file.
func (u URLs) Asset(a *model.Asset) string {
	if a.Storage == model.StorageS3 && u.publicBase != "" {
		return u.publicBase + "/" + EscapeKey(a.StorageKey)
	}
	return "/media/" + url.PathEscape(a.ID)
}

// Thumb is the URL of an asset's preview; it follows Asset (public when the file is).
func (u URLs) Thumb(a *model.Asset) string {
	if a.Storage == model.StorageS3 && u.publicBase != "" {
		return u.publicBase + "/" + EscapeKey(ThumbKey(a.StorageKey))
	}
	return "/media/" + url.PathEscape(a.ID) + "/thumb"
}
