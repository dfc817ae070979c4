package httpapi

import (
	"net/http"
	"testing"

	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/model"
)

// Every code has its status in statusFor, and none of fal's is 401/403 (those mean the studio's
// own session: the UI would log the user out).
func TestStatusForEveryCode(t *testing.T) {
	for _, code := range []string{fal.CodeKeyInvalid, fal.CodeAdminKeyRequired, fal.CodeAccountLocked, fal.CodeContentBlocked, fal.CodeInvalidInput, fal.CodeUnavailable} {
		s, ok := statusFor[code]
		if !ok || s == http.StatusUnauthorized || s == http.StatusForbidden {
			t.Fatalf("%s → %d (listed: %v)", code, s, ok)
		}
	}
	for code, want := range map[string]int{model.CodeInternal: 500, model.CodeMediaUnavailable: 503, model.CodeQuotaExceeded: 409, fal.CodeUnavailable: 502} {
		if statusFor[code] != want {
			t.Fatalf("%s → %d, want %d", code, statusFor[code], want)
		}
	}
}
