package media

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// NewAssetID returns 128 random bits as 32 hex characters: an object key built from it cannot be
// guessed even when the bucket is public.
func NewAssetID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Slug turns a prompt into lower-case ASCII letters and digits, other runs becoming "-",
// at most 48 characters, "untitled" when nothing is left.
func Slug(prompt string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(prompt) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			if b.Len() >= 48 {
				break
			}
			continue
		}
		dash = true
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 48 {
		s = strings.Trim(s[:48], "-")
	}
	if s == "" {
		return "untitled"
	}
	return s
}

var extByType = map[string]string{
	"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif", "image/avif": "avif",
	"video/mp4": "mp4", "video/webm": "webm", "video/quicktime": "mov",
	"audio/mpeg": "mp3", "audio/wav": "wav", "audio/x-wav": "wav", "audio/ogg": "ogg", "audio/flac": "flac", "audio/mp4": "m4a", "audio/aac": "aac",
}

// ExtFor is the file extension for a content type ("bin" when unknown).
func ExtFor(contentType string) string {
	ct, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(contentType)), ";")
	if e, ok := extByType[strings.TrimSpace(ct)]; ok {
		return e
	}
	return "bin"
}

// ObjectKey is the SPEC §2 storage key: users/{userId}/{kind}/{unixMillis}-{slug}-{assetId}.{ext}.
func ObjectKey(userID int64, kind, prompt, assetID, contentType string, now time.Time) string {
	switch kind {
	case "image", "video", "audio":
	default:
		kind = "other"
	}
	id := strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') {
			return r
		}
		return -1
	}, assetID)
	if id == "" {
		id = NewAssetID()
	}
	return "users/" + strconv.FormatInt(userID, 10) + "/" + kind + "/" + strconv.FormatInt(now.UnixMilli(), 10) + "-" +
		Slug(prompt) + "-" + id + "." + ExtFor(contentType)
}

// EscapeKey escapes an object key for a URL path: each "/"-separated segment on its own, so
// the separators stay and nothing else in a key can end or redirect the path.
func EscapeKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
