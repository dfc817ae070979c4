// Package model holds the plain types every layer shares. It imports nothing internal.
package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is what every layer's "missing or not yours" wraps (store.ErrNotFound does), so
// the HTTP layer can answer 404 without reaching into the store.
var ErrNotFound = errors.New("not found")

// User is a studio account. FalKey holds the sealed (encrypted) fal key, never plaintext.
type User struct {
	ID           int64
	Email        string
	PasswordHash string
	FalKey       string // sealed by package secret; "" when none is saved
	CreatedAt    time.Time
	Role         string     // RoleAdmin | RoleMember
	DisabledAt   *time.Time // nil: the account may log in
	PolicyID     string     // the policy an admin assigned ("" for none); binds members only
}

// HasFalKey reports whether the user saved a fal key.
func (u *User) HasFalKey() bool { return u.FalKey != "" }

// IsAdmin reports whether the user administers the studio.
func (u *User) IsAdmin() bool { return u.Role == RoleAdmin }

// HasPassword reports whether the account can sign in with a password (SSO accounts may not).
func (u *User) HasPassword() bool { return u.PasswordHash != "" }

// Disabled reports whether an admin disabled the account.
func (u *User) Disabled() bool { return u.DisabledAt != nil }

// Roles (SPEC §6): the first account is admin, every later one member.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// Session is a server-side login. Only an HMAC of the cookie secret (keyed by SESSION_SECRET)
// is stored.
type Session struct {
	ID         string
	UserID     int64
	SecretHash []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// Generation statuses. queued/running/saving are active; the rest are terminal.
const (
	StatusSubmitting = "submitting" // internal: being sent to fal; shown as queued
	StatusQueued     = "queued"
	StatusRunning    = "running"
	StatusSaving     = "saving"
	StatusSucceeded  = "succeeded"
	StatusFailed     = "failed"
	StatusCanceled   = "canceled"
)

// Terminal reports whether a status is final.
func Terminal(status string) bool {
	return status == StatusSucceeded || status == StatusFailed || status == StatusCanceled
}

// Active lists the statuses of unfinished generations.
var Active = []string{StatusSubmitting, StatusQueued, StatusRunning, StatusSaving}

// transitions is the one table of allowed status changes; the store's named transitions
// (store/generations.go) move a generation only along these edges, and a test holds them to it.
var transitions = map[string][]string{
	StatusSubmitting: {StatusQueued, StatusRunning, StatusFailed},                               // submitted; refused or interrupted
	StatusQueued:     {StatusQueued, StatusRunning, StatusSaving, StatusFailed, StatusCanceled}, // polled; completed; failed; canceled
	StatusRunning:    {StatusQueued, StatusRunning, StatusSaving, StatusFailed, StatusCanceled}, // fal may requeue a job whose runner died
	StatusSaving:     {StatusSucceeded, StatusFailed},
}

// CanTransition reports whether a generation may move from one status to another.
func CanTransition(from, to string) bool {
	for _, t := range transitions[from] {
		if t == to {
			return true
		}
	}
	return false
}

// Result kinds.
const (
	KindImage = "image"
	KindVideo = "video"
	KindAudio = "audio"
)

// Storage backends.
const (
	StorageS3    = "s3"
	StorageLocal = "local"
)

// NoticeSavedLocally is the generation notice when S3 failed and a file was kept on local disk.
const NoticeSavedLocally = "saved locally instead"

// LogLine is one line of a fal job's log.
type LogLine struct {
	Time    string `json:"time"`
	Message string `json:"message"`
}

// Generation is one job submitted to fal.
type Generation struct {
	ID            string
	UserID        int64
	Model         string
	Prompt        string
	Params        json.RawMessage
	FalRequestID  string
	Status        string
	QueuePosition *int
	Logs          []LogLine
	ErrorCode     string
	ErrorMessage  string
	Notice        string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	CompletedAt   *time.Time
	// Runner bookkeeping.
	Attempts     int       // status polls so far
	Failures     int       // consecutive transient failures
	FailingSince time.Time // zero when the last step succeeded
	NextPollAt   time.Time
	LeaseOwner   string // the instance working it now ("" when free)
	LeaseUntil   time.Time
	ResultJSON   json.RawMessage // fal's result, kept so saving can resume after a crash
	CancelAsked  bool
	// GroupID joins the variations of one submit, or the runs of a compare ("" when on its own).
	GroupID string
	// Cast lists the ids of the cast members the generation used, in order (never nil once read).
	Cast []string
	// CollectionID is the person's collection the outputs join ("" for none).
	CollectionID string
	// CostUSD is the estimate recorded at submit (or fal's billed amount); nil when fal had no
	// price. CostSource says which ("estimate" | "billed" | "" when unknown).
	CostUSD    *float64
	CostSource string
	// Lineage (SPEC §13.2): the caller's assets the job took as references, in order; the
	// relation its outputs have to their parent; and that parent (the first reference, or the
	// asset another action took as its input; "" for none).
	ReferenceAssetIDs []string
	Relation          string
	ParentAssetID     string
	// TokenID and TokenName are the personal access token it was made through and that token's
	// name at submit time ("" from the browser).
	TokenID, TokenName string
	// Assets are the stored outputs, filled by the reads that show a generation (not the runner).
	Assets []*Asset
}

// Preset is a saved model and its settings, under a name unique to its owner.
type Preset struct {
	ID        string
	UserID    int64
	Name      string
	Model     string
	Params    json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Asset is one stored output file.
type Asset struct {
	ID           string
	UserID       int64
	GenerationID string
	Model        string
	Prompt       string
	Kind         string
	StorageKey   string
	Storage      string
	LocalHolder  string // with Storage local: the instance whose disk has the file
	ContentType  string
	Bytes        int64
	Width        int
	Height       int
	Params       json.RawMessage
	CreatedAt    time.Time
	// ThumbBytes is the stored preview's size: 0 none yet, -1 none can be made (thumbs).
	ThumbBytes int64
	// The library (SPEC §8).
	Favorite      bool
	CollectionIDs []string // the user's collections holding it, oldest membership first
	// Lineage (SPEC §13.2): the asset of the same person it was made from, and how; "" for none.
	// ParentMissing is filled by the reads that show an asset: the parent is not in the library.
	ParentID       string
	ParentRelation string
	ParentMissing  bool
	// The trash (SPEC §13.1): both nil while the asset is in the library.
	TrashedAt *time.Time
	PurgeAt   *time.Time
	// C2PA says the stored original holds a C2PA manifest store (SPEC §13.3).
	C2PA bool
	// SequenceID is shared by the clips of one extend chain (SPEC §15.6); "" for none.
	SequenceID string
	// Flagged: fal's result flagged this output as unsafe (has_nsfw_concepts), SPEC §12.2.
	Flagged bool
}

// Trashed reports whether the asset is in the trash.
func (a *Asset) Trashed() bool { return a.TrashedAt != nil }

// Relations of an asset to its parent (SPEC §13.2, §14, §15).
const (
	RelationReference        = "reference"
	RelationEdit             = "edit"
	RelationAnimate          = "animate"
	RelationVariation        = "variation"
	RelationUpscale          = "upscale"
	RelationRemoveBackground = "remove-background"
	RelationFrame            = "frame"
	RelationExtend           = "extend"
	RelationStitch           = "stitch"
)

// ValidRelation reports whether r is one of the relations above.
func ValidRelation(r string) bool {
	switch r {
	case RelationReference, RelationEdit, RelationAnimate, RelationVariation, RelationUpscale,
		RelationRemoveBackground, RelationFrame, RelationExtend, RelationStitch:
		return true
	}
	return false
}

// Collection is a board of a user's assets.
type Collection struct {
	ID           string
	UserID       int64
	Name         string
	Count        int64
	CoverAssetID string // chosen cover, else the newest asset; "" when empty
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Share kinds.
const (
	ShareAsset      = "asset"
	ShareCollection = "collection"
)

// Share is a public read-only link to an asset or a collection. Only the token's hash is kept.
type Share struct {
	ID        string
	UserID    int64
	TokenHash []byte
	Kind      string // ShareAsset | ShareCollection
	TargetID  string // the asset or collection id
	CreatedAt time.Time
	ExpiresAt *time.Time
}

// Error is a failure a person can act on: a SPEC error code and a sentence. The HTTP layer maps
// the code to a status; services never import net/http.
type Error struct {
	Code    string
	Message string
	// RetryAfter is set for rate_limited.
	RetryAfter int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errf builds an *Error.
func Errf(code, format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Code: code, Message: format}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error codes of SPEC §3.
const (
	CodeUnauthenticated    = "unauthenticated"
	CodeCrossOrigin        = "cross_origin"
	CodeInvalidInput       = "invalid_input"
	CodeWeakPassword       = "weak_password"
	CodeTooLarge           = "too_large"
	CodeEmailTaken         = "email_taken"
	CodeInvalidCredentials = "invalid_credentials"
	CodeSignupClosed       = "signup_closed"
	CodeRateLimited        = "rate_limited"
	CodeNotFound           = "not_found"
	CodeFalKeyMissing      = "fal_key_missing"
	CodeUnsafeOutput       = "unsafe_output"
	CodeOutputExpired      = "output_expired"
	CodeInterrupted        = "interrupted"
	CodeInternal           = "internal"
	CodeConflict           = "conflict"
	CodeOutputTooLarge     = "output_too_large"
	CodeQuotaExceeded      = "storage_quota_exceeded"
	CodeMediaUnavailable   = "media_unavailable"
	// CodeWebhookInvalid is a call to fal's webhook route that is not fal's (SPEC §17.3).
	CodeWebhookInvalid = "webhook_invalid"
	// CodeMethodNotAllowed: a known route asked with another method (405).
	CodeMethodNotAllowed = "method_not_allowed"
	// CodeNotReady: /readyz found the database or the media store not answering (503).
	CodeNotReady  = "not_ready"
	CodeNameTaken = "name_taken" // a collection or preset name already used by this person
	// CodeBudgetExceeded: a submit would take the person over their monthly budget (SPEC §7).
	CodeBudgetExceeded = "budget_exceeded"
	CodeTooManyStreams = "too_many_streams" // too many open event streams for this person
	CodeTooManyExports = "too_many_exports" // more ZIP exports at once than allowed, per person or in all (SPEC §18)
	// CodeNoReferenceField: referenceAssetIds for a model without a reference field (SPEC §13.2, §14).
	CodeNoReferenceField = "no_reference_field"
)

// Error codes of SPEC §15 (video continuity).
const (
	CodeUnsupportedInput  = "unsupported_input"    // an asset or file of the wrong kind for the action (400)
	CodeNoStartFrameField = "no_start_frame_field" // a start frame for a model without one (400)
	CodeNoEndFrameField   = "no_end_frame_field"   // an end frame for a model without one (400)
	CodeVideoUnreadable   = "video_unreadable"     // ffmpeg cannot decode the video (422; also a job error)
	CodeFFmpegUnavailable = "ffmpeg_unavailable"   // no ffmpeg/ffprobe on PATH (501)
	CodeInputMissing      = "input_missing"        // a stitch input deleted before the job read it (job error)
)

// ModelStitch is the model of a stitch job: a local job, no fal call, cost 0.
const ModelStitch = "studio/stitch"

// Error codes of SPEC §6 (teams).
const (
	CodeForbidden       = "forbidden"
	CodeInviteRequired  = "invite_required"
	CodeInviteInvalid   = "invite_invalid"
	CodeAccountDisabled = "account_disabled"
	CodeResetInvalid    = "reset_invalid"
	CodeLastAdmin       = "last_admin"

	// Single sign-on and policies (SPEC §12).
	CodeSSOUnavailable        = "sso_unavailable"
	CodeSSOAlreadyLinked      = "sso_already_linked"
	CodePasswordRequired      = "password_required"
	CodePasswordLoginDisabled = "password_login_disabled"
	CodeModelNotAllowed       = "model_not_allowed"
	CodePromptBlocked         = "prompt_blocked"
	CodeFlaggedContent        = "flagged_content"
	CodePolicyInUse           = "policy_in_use"
	CodeStateInvalid          = "state_invalid"
	CodeSSOFailed             = "sso_failed"
	CodeSSOEmailMissing       = "sso_email_missing"
	CodeAccountExists         = "account_exists"
	CodeSSONotRegistered      = "sso_not_registered"
)

// Invite is a sign-up invitation (SPEC §6); its token is stored hashed elsewhere, never here.
type Invite struct {
	ID        int64
	Email     string // "" : anyone with the link
	CreatedBy int64  // 0 when the admin who made it was deleted
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	UsedBy    int64  // 0 when unused or the account is gone
	UsedEmail string // the email that used it, kept after that account is deleted
	RevokedAt *time.Time
}

// Policy is what an admin lets a member generate (SPEC §12.2). It binds members only.
type Policy struct {
	ID            string
	Name          string
	ForcedParams  map[string]any // replace (or add) these params on every submit
	AllowedModels []string       // nil: every model
	BlockedTerms  []string       // refused in prompts, as whole words, any case
	HideFlagged   bool           // outputs fal flagged are blurred and never leave the studio
	UserCount     int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Cast kinds (SPEC §14).
const (
	CastPerson  = "person"
	CastPet     = "pet"
	CastProduct = "product"
	CastStyle   = "style"
)

// CastMember is a reusable person, pet, product or style: a name, a kind, a description and
// its own copies of 1–8 pictures. Shared members may be used by everyone on the instance.
type CastMember struct {
	ID          string
	UserID      int64
	OwnerEmail  string
	Name        string
	Kind        string
	Description string
	Shared      bool
	Images      []CastImage
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// CastImage is one of a member's pictures: its own stored object (never a source asset's).
type CastImage struct {
	ID          string
	CastID      string
	Storage     string
	StorageKey  string
	ContentType string
	Bytes       int64
}

// Error codes of SPEC §14.
const (
	// unsupported_input (§15's code) also answers a derive model that does not take the asset's kind.
	CodeCastAmbiguous = "cast_ambiguous" // an @name several other people shared, none of the caller's
)
