package httpapi

import "net/http"

// listUserShares is an admin's view of one person's live share links (SPEC §18), so a link of
// a disabled or misbehaving account can be taken down without deleting the account.
func (s *Server) listUserShares(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	list, err := s.Library.UserShares(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"shares": list})
	return nil
}

// revokeAnyShare lets an admin take down anyone's share link at once (audited).
func (s *Server) revokeAnyShare(w http.ResponseWriter, r *http.Request) error {
	if err := s.Library.AdminRevokeShare(r.Context(), currentUser(r.Context()).ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
