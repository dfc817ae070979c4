package model

import "time"

// Error codes of SPEC §16 (installable app, share target, push).
const (
	// CodeUnsupportedFile: a shared file that is neither an image nor a video of the kinds allowed.
	CodeUnsupportedFile = "unsupported_file"
	// CodeInvalidPushEndpoint: a push subscription endpoint not https:// on an allowed push service.
	CodeInvalidPushEndpoint = "invalid_push_endpoint"
)

// SharedUpload is a file a person shared to the studio from a device (SPEC §16.2).
type SharedUpload struct {
	ID          string
	UserID      int64
	Kind        string
	ContentType string
	Bytes       int64
	Width       *int
	Height      *int
	Name        *string
	Text        *string
	Storage     string
	StorageKey  string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}
