// Package falkey seals and opens the fal API keys people save. The account service seals a key
// when it is saved; the submission pipeline, the runner and the cost service open it to call fal
// on the person's behalf. The user id is the box's associated data, so a sealed key copied to
// another row never opens.
package falkey

import (
	"log/slog"
	"sync"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/secret"
)

// purpose separates fal keys from anything else the box seals.
const purpose = "fal_key"

// maxCached bounds the cache of opened keys; a simple reset is enough at this size.
const maxCached = 1024

// Keys seals and opens fal keys. Opened keys are cached by their sealed value, so following a job
// does not decrypt on every poll, and a key the person replaced (a new sealed value) is never
// used again.
type Keys struct {
	box *secret.Box
	log *slog.Logger

	mu    sync.Mutex
	cache map[int64]cached
}

type cached struct {
	sealed string
	key    secret.Secret
}

// New returns Keys over box; log may be nil.
func New(box *secret.Box, log *slog.Logger) *Keys {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Keys{box: box, log: log, cache: map[int64]cached{}}
}

// Seal encrypts a key for userID's row.
func (k *Keys) Seal(userID int64, key string) (string, error) {
	return k.box.Seal(purpose, userID, key)
}

// Of opens the key saved on u's row (as the auth layer or a job claim read it).
func (k *Keys) Of(u *model.User) (secret.Secret, error) { return k.Open(u.ID, u.FalKey) }

// Open decrypts a sealed key of userID. No key → fal_key_missing; a row that does not open
// (tampering, a copied row) is never used: the person saves the key again.
func (k *Keys) Open(userID int64, sealed string) (secret.Secret, error) {
	if sealed == "" {
		return secret.Secret{}, model.Errf(model.CodeFalKeyMissing, "Save your fal API key in Account first.")
	}
	k.mu.Lock()
	if c, ok := k.cache[userID]; ok && c.sealed == sealed {
		k.mu.Unlock()
		return c.key, nil
	}
	k.mu.Unlock()
	key, err := k.box.Open(purpose, userID, sealed)
	if err != nil {
		k.log.Error("stored fal key cannot be decrypted", "user_id", userID)
		return secret.Secret{}, model.Errf(model.CodeFalKeyMissing, "Your saved fal API key cannot be read. Save it again in Account.")
	}
	k.mu.Lock()
	if len(k.cache) >= maxCached {
		clear(k.cache)
	}
	k.cache[userID] = cached{sealed: sealed, key: key}
	k.mu.Unlock()
	return key, nil
}

// Current reports whether sealed is sealed with the current encryption key (rotation).
func (k *Keys) Current(sealed string) bool { return k.box.Current(sealed) }
