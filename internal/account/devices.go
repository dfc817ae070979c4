package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"time"
)

// A device token marks a browser that has signed in to an account before (OWASP "device
// cookies"). A login presenting one for the email it names is never refused because of others'
// wrong guesses at that email: it spends its own budget and the address's, not the email's
// shared cap. Only the token's SHA-256 is stored, bound to the account.
const (
	// DeviceTTL is how long a device stays known without a login from it (the cookie's Max-Age).
	DeviceTTL = 365 * 24 * time.Hour
	// devicesPerUser bounds the devices remembered per account (the most recently used).
	devicesPerUser = 20
	deviceTokenLen = 26 // rand.Text
)

func deviceHash(token string) []byte {
	h := sha256.Sum256([]byte("falstudio/device/" + token))
	return h[:]
}

// knownDevice returns the hash of token when it is a device of the account with this email
// (nil when not, or when it cannot be one).
func (s *Service) knownDevice(ctx context.Context, token, email string) ([]byte, error) {
	if len(token) != deviceTokenLen || email == "" {
		return nil, nil
	}
	h := deviceHash(token)
	ok, err := s.st.LoginDeviceOf(ctx, h, email, s.now().Add(-DeviceTTL))
	if err != nil || !ok {
		return nil, err
	}
	return h, nil
}

// rememberDevice answers the device token to set after a successful login: the known one
// (marked used), else a new one for this browser.
func (s *Service) rememberDevice(ctx context.Context, userID int64, known []byte, token string) (string, error) {
	if known != nil {
		return token, s.st.TouchLoginDevice(ctx, known)
	}
	tok := rand.Text()
	if err := s.st.AddLoginDevice(ctx, userID, deviceHash(tok), devicesPerUser, s.now().Add(-DeviceTTL)); err != nil {
		return "", err
	}
	return tok, nil
}
