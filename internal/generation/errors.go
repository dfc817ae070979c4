package generation

import (
	"crypto/rand"
	"errors"
	"strings"

	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
)

const interruptedMsg = "The studio stopped while sending this job to fal. It may have run at fal, so it was not sent again; check fal's dashboard before retrying."

// internalMsg is what a person sees for a fault of the studio's own (logged with details).
const internalMsg = "Something went wrong in the studio while working on this job. It was not retried; try again, and tell the operator if it happens again."

// errLeaseLost ends a step whose lease another worker took over.
var errLeaseLost = errors.New("generation: lease lost")

// errQuota: saving the file would take the person past STORAGE_QUOTA_MB.
var errQuota = model.Errf(model.CodeQuotaExceeded, "Your storage quota is full, so this result could not be saved. Delete some files from the gallery and run it again.")

// NoFFmpegMsg names what is missing when video work is asked of a studio without ffmpeg.
const NoFFmpegMsg = "This studio has no ffmpeg installed, so it cannot cut or join videos. Ask the operator to install ffmpeg."

func newID() string { return strings.ToLower(rand.Text()) }

// Describe gives the SPEC code and message of any failure: fal's verdicts and the studio's own
// refusals as they are, storage and download failures in words a person can act on, anything
// else as an internal error (logged where it happened).
func Describe(err error) (code, message string) {
	var fe *fal.Error
	if errors.As(err, &fe) {
		return fe.Code, fe.Message
	}
	var me *model.Error
	if errors.As(err, &me) {
		return me.Code, me.Message
	}
	var he *media.HostNotAllowedError
	switch {
	case errors.As(err, &he):
		return model.CodeUnsafeOutput, "The model returned its file from " + he.HostPort + ", a host not in FAL_MEDIA_HOSTS, so it was not saved. An operator can add that host to FAL_MEDIA_HOSTS."
	case errors.Is(err, media.ErrUnsafeOutput):
		return model.CodeUnsafeOutput, "The model returned a file that is not an image, video or audio file, or from a host that is not allowed; it was not saved."
	case errors.Is(err, media.ErrOutputExpired):
		return model.CodeOutputExpired, "fal no longer has the output file, so it could not be saved."
	case errors.Is(err, media.ErrVideoUnreadable):
		return model.CodeVideoUnreadable, "ffmpeg could not decode this video."
	case errors.Is(err, media.ErrNoFFmpeg):
		return model.CodeFFmpegUnavailable, NoFFmpegMsg
	case errors.Is(err, media.ErrTooLarge):
		return model.CodeOutputTooLarge, "The model's output file is larger than this studio stores, so it was not saved."
	case errors.Is(err, media.ErrDownload):
		return fal.CodeUnavailable, "fal's file host could not be reached to download the result. Try again in a moment."
	}
	return model.CodeInternal, internalMsg
}

// transient reports failures worth retrying: fal or the provider's file host unreachable. A
// verdict (invalid input, moderation, an unsafe or oversized file) and any fault of the studio's
// own (database, disk) are not.
func transient(err error) bool {
	var fe *fal.Error
	if errors.As(err, &fe) {
		return fe.Code == fal.CodeUnavailable
	}
	return errors.Is(err, media.ErrDownload)
}
