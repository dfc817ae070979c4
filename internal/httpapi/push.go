package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/push"
)

// Web Push (SPEC §16.3): the server's public key, a person's subscriptions (one per browser)
// and their notification settings.

func (s *Server) getPushKey(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"publicKey": s.Push.PublicKey()})
	return nil
}

type subscriptionView struct {
	ID        string  `json:"id"`
	CreatedAt string  `json:"createdAt"`
	UserAgent *string `json:"userAgent"`
}

func (s *Server) createPushSubscription(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Endpoint       *string         `json:"endpoint" required:"true"`
		ExpirationTime json.RawMessage `json:"expirationTime"`
		Keys           *struct {
			P256dh *string `json:"p256dh"`
			Auth   *string `json:"auth"`
		} `json:"keys" required:"true"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.ExpirationTime) > 0 { // a number or null, and ignored
		var n *float64
		if json.Unmarshal(in.ExpirationTime, &n) != nil {
			return model.Errf(model.CodeInvalidInput, "The field \"expirationTime\" must be a number or null.")
		}
	}
	if in.Keys.P256dh == nil || in.Keys.Auth == nil {
		return model.Errf(model.CodeInvalidInput, "The fields \"keys.p256dh\" and \"keys.auth\" are required.")
	}
	sub, created, err := s.Push.Subscribe(r.Context(), currentUser(r.Context()).ID,
		push.Subscription{Endpoint: *in.Endpoint, P256dh: *in.Keys.P256dh, Auth: *in.Keys.Auth}, r.UserAgent())
	switch {
	case errors.Is(err, push.ErrInvalidEndpoint):
		return model.Errf(model.CodeInvalidPushEndpoint, "The endpoint must be an https:// address of a known push service.")
	case errors.Is(err, push.ErrInvalidKeys):
		return model.Errf(model.CodeInvalidInput, "keys.p256dh must be a P-256 public key and keys.auth 16 bytes, both base64url.")
	case err != nil:
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{"subscription": subscriptionView{ID: sub.ID, CreatedAt: rfc3339(sub.CreatedAt), UserAgent: sub.UserAgent}})
	return nil
}

func (s *Server) listPushSubscriptions(w http.ResponseWriter, r *http.Request) error {
	subs, err := s.Push.List(r.Context(), currentUser(r.Context()).ID)
	if err != nil {
		return err
	}
	out := make([]subscriptionView, 0, len(subs))
	for _, p := range subs {
		out = append(out, subscriptionView{ID: p.ID, CreatedAt: rfc3339(p.CreatedAt), UserAgent: p.UserAgent})
	}
	writeJSON(w, http.StatusOK, map[string]any{"subscriptions": out})
	return nil
}

func (s *Server) deletePushSubscription(w http.ResponseWriter, r *http.Request) error {
	if err := s.Push.Delete(r.Context(), currentUser(r.Context()).ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type notificationsView struct {
	Push         bool `json:"push"`
	OnlyWhenAway bool `json:"onlyWhenAway"`
}

func (s *Server) getNotifications(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Push.Prefs(r.Context(), currentUser(r.Context()).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": notificationsView{Push: p.Push, OnlyWhenAway: p.OnlyWhenAway}})
	return nil
}

func (s *Server) putNotifications(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Push         *bool `json:"push"`
		OnlyWhenAway *bool `json:"onlyWhenAway"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if in.Push == nil && in.OnlyWhenAway == nil {
		return model.Errf(model.CodeInvalidInput, "Send \"push\" or \"onlyWhenAway\" (true or false).")
	}
	p, err := s.Push.SetPrefs(r.Context(), currentUser(r.Context()).ID, in.Push, in.OnlyWhenAway)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": notificationsView{Push: p.Push, OnlyWhenAway: p.OnlyWhenAway}})
	return nil
}
