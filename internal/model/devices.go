package model

// Error codes of SPEC §16 (installable app, share target, push).
const (
	// CodeUnsupportedFile: a shared file that is neither an image nor a video of the kinds allowed.
	CodeUnsupportedFile = "unsupported_file"
	// CodeInvalidPushEndpoint: a push subscription endpoint not https:// on an allowed push service.
	CodeInvalidPushEndpoint = "invalid_push_endpoint"
)
