// Package secret seals per-user secrets (the fal key) with AES-256-GCM and provides a Secret
// type that redacts itself wherever it might be printed.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// Secret is a plaintext secret in memory. Every way of printing it says [redacted];
// only Reveal gives the value, at the one place that builds the Authorization header.
type Secret struct{ v string }

// New wraps a plaintext secret.
func New(v string) Secret { return Secret{v: v} }

// Reveal returns the plaintext.
func (s Secret) Reveal() string { return s.v }

const redacted = "[redacted]"

func (s Secret) String() string                { return redacted }
func (s Secret) GoString() string              { return redacted }
func (s Secret) LogValue() slog.Value          { return slog.StringValue(redacted) }
func (s Secret) MarshalJSON() ([]byte, error)  { return []byte(`"` + redacted + `"`), nil }
func (s Secret) MarshalText() ([]byte, error)  { return []byte(redacted), nil }
func (s Secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(redacted)) }

// ErrDecrypt means a sealed value cannot be opened: wrong key, tampering, or another user's row.
var ErrDecrypt = errors.New("secret: cannot decrypt")

// Box seals and opens values. The current key seals; previous keys still open values sealed
// before a rotation. Each sealed value names its key by a short fingerprint, so a rotation can
// find and re-seal old values.
type Box struct {
	currentID string
	current   cipher.AEAD
	byID      map[string]cipher.AEAD
}

// NewBox builds a box sealing with key; previous keys (32 bytes each) only open.
func NewBox(key []byte, previous ...[]byte) (*Box, error) {
	box := &Box{byID: map[string]cipher.AEAD{}}
	for i, k := range append([][]byte{key}, previous...) {
		if len(k) != 32 {
			return nil, errors.New("secret: key must be 32 bytes")
		}
		blk, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
		aead, err := cipher.NewGCM(blk)
		if err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
		sum := sha256.Sum256(append([]byte("falstudio key id:"), k...))
		id := hex.EncodeToString(sum[:4])
		if i == 0 {
			box.currentID, box.current = id, aead
		}
		if _, dup := box.byID[id]; !dup {
			box.byID[id] = aead
		}
	}
	return box, nil
}

// Seal encrypts plaintext for a purpose and user, binding both as associated data so a value
// copied into another user's row does not open there.
// Format: "v1:" + key id + ":" + base64(nonce‖ciphertext‖tag).
func (b *Box) Seal(purpose string, userID int64, plaintext string) (string, error) {
	nonce := make([]byte, b.current.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secret: nonce: %w", err)
	}
	out := b.current.Seal(nonce, nonce, []byte(plaintext), aad(purpose, userID))
	return "v1:" + b.currentID + ":" + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a sealed value.
func (b *Box) Open(purpose string, userID int64, sealed string) (Secret, error) {
	parts := strings.SplitN(sealed, ":", 3)
	if len(parts) != 3 || parts[0] != "v1" {
		return Secret{}, ErrDecrypt
	}
	aead := b.byID[parts[1]]
	if aead == nil {
		return Secret{}, ErrDecrypt
	}
	raw, err := base64.RawStdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return Secret{}, ErrDecrypt
	}
	pt, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], aad(purpose, userID))
	if err != nil {
		return Secret{}, ErrDecrypt
	}
	return Secret{v: string(pt)}, nil
}

// Current reports whether a sealed value uses the current key (no re-seal needed).
func (b *Box) Current(sealed string) bool {
	return strings.HasPrefix(sealed, "v1:"+b.currentID+":")
}

func aad(purpose string, userID int64) []byte {
	return []byte("falstudio/" + purpose + "/user:" + strconv.FormatInt(userID, 10))
}
