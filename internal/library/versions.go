package library

import (
	"context"

	"github.com/falstudio/falstudio/internal/store"
)

// Versions reads the per-user asset version: it changes with every insert, change or delete of
// one of the user's assets (store triggers, collection membership included), so the gallery can
// answer a conditional request without building the page.
type Versions struct{ st *store.Store }

// NewVersions builds the reader.
func NewVersions(st *store.Store) *Versions { return &Versions{st: st} }

// Assets is the user's asset version (0 before the first asset).
func (v *Versions) Assets(ctx context.Context, userID int64) (int64, error) {
	return v.st.AssetVersion(ctx, userID)
}
