package account

import (
	"context"
	"strings"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/model"
)

// MaxFalKeyBytes bounds a fal key (real ones are about 70 characters).
const MaxFalKeyBytes = 512

// SetFalKey seals and stores the user's fal key (opening it is package falkey's).
func (s *Service) SetFalKey(ctx context.Context, userID int64, key string) (*model.User, error) {
	key = strings.TrimSpace(key)
	if key == "" || len(key) > MaxFalKeyBytes {
		return nil, model.Errf(model.CodeInvalidInput, "Paste your fal API key (from fal.ai → Account → Keys).")
	}
	for _, r := range key {
		if r <= ' ' || r > '~' {
			return nil, model.Errf(model.CodeInvalidInput, "The fal API key contains characters a key never has.")
		}
	}
	sealed, err := s.keys.Seal(userID, key)
	if err != nil {
		return nil, err
	}
	if err := s.st.SetFalKey(ctx, userID, sealed); err != nil {
		return nil, err
	}
	s.log.Info("fal key saved", "user_id", userID)
	u, err := s.st.UserByID(ctx, userID)
	if err == nil {
		s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: audit.ActionFalKeySave, Target: audit.User(u.ID)})
	}
	return u, err
}

// RemoveFalKey deletes the user's fal key.
func (s *Service) RemoveFalKey(ctx context.Context, userID int64) (*model.User, error) {
	if err := s.st.SetFalKey(ctx, userID, ""); err != nil {
		return nil, err
	}
	s.log.Info("fal key removed", "user_id", userID)
	u, err := s.st.UserByID(ctx, userID)
	if err == nil {
		s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: audit.ActionFalKeyRemove, Target: audit.User(u.ID)})
	}
	return u, err
}
