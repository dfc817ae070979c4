package falkey

import (
	"context"
	"errors"

	"github.com/falstudio/falstudio/internal/store"
)

// canaryMeta is the meta row holding a value sealed with the current ENCRYPTION_KEY.
const canaryMeta = "encryption_canary"

// canaryPurpose keeps the canary apart from fal keys (a canary never opens as a key).
const canaryPurpose = "canary"

// CheckEncryptionKey proves ENCRYPTION_KEY is the key the database was sealed with: a canary is
// stored on first start; later it must open, or start-up stops instead of losing every key.
// Keys sealed with a previous key (ENCRYPTION_KEY_PREVIOUS) are re-sealed with the current one.
// It lives here, beside Seal and Open, because the fal keys are the only values the box seals.
func (k *Keys) CheckEncryptionKey(ctx context.Context, st *store.Store) error {
	c, ok, err := st.GetMeta(ctx, canaryMeta)
	if err != nil {
		return err
	}
	if !ok {
		sealed, err := st.SealedFalKeys(ctx)
		if err != nil {
			return err
		}
		for id, s := range sealed {
			if _, err := k.box.Open(purpose, id, s); err != nil {
				return errors.New("config: ENCRYPTION_KEY: does not decrypt the stored fal keys; start with the key this database was created with")
			}
		}
		return k.writeCanary(ctx, st)
	}
	if _, err := k.box.Open(canaryPurpose, 0, c); err != nil {
		return errors.New("config: ENCRYPTION_KEY: does not match the key this database was created with (set ENCRYPTION_KEY_PREVIOUS to rotate keys)")
	}
	if k.box.Current(c) {
		return nil
	}
	sealed, err := st.SealedFalKeys(ctx)
	if err != nil {
		return err
	}
	resealedCount := 0
	for id, s := range sealed {
		if k.box.Current(s) {
			continue
		}
		plain, err := k.box.Open(purpose, id, s)
		if err != nil {
			k.log.Warn("a stored fal key cannot be decrypted; the user must save it again", "user_id", id)
			continue
		}
		resealed, err := k.Seal(id, plain.Reveal())
		if err != nil {
			return err
		}
		if err := st.SetFalKey(ctx, id, resealed); err != nil {
			return err
		}
		resealedCount++
	}
	k.log.Info("fal keys re-encrypted with the current ENCRYPTION_KEY", "count", resealedCount)
	return k.writeCanary(ctx, st)
}

func (k *Keys) writeCanary(ctx context.Context, st *store.Store) error {
	sealed, err := k.box.Seal(canaryPurpose, 0, "falstudio")
	if err != nil {
		return err
	}
	return st.SetMeta(ctx, canaryMeta, sealed)
}
