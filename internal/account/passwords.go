package account

import (
	"context"
	_ "embed"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/audit"
	"github.com/falstudio/falstudio/internal/model"
)

// commonPasswords is every password of at least 8 characters among the 30,000 most common ones
// in zxcvbn's frequency list (MIT licence, Dropbox): 11,611 entries (ASVS 5.0 6.2.4 asks ≥ 3,000).
//
//go:embed commonpasswords.txt
var commonPasswordsText string

var commonPasswords = func() map[string]struct{} {
	m := make(map[string]struct{}, 12000)
	for _, p := range strings.Split(commonPasswordsText, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			m[strings.ToLower(p)] = struct{}{}
		}
	}
	return m
}()

// Password limits: bcrypt reads at most 72 bytes and would silently ignore the rest.
const (
	MinPasswordChars = 8
	MaxPasswordBytes = 72
	maxEmailBytes    = 254
)

// NormalizeEmail trims and lower-cases an address and checks it is one plain address.
func NormalizeEmail(raw string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(raw))
	if e == "" || len(e) > maxEmailBytes || strings.ContainsAny(e, " \t\r\n<>\"(),;:") || model.HasInvisible(e, false) {
		return "", model.Errf(model.CodeInvalidInput, "Enter a valid email address.")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e {
		return "", model.Errf(model.CodeInvalidInput, "Enter a valid email address.")
	}
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", model.Errf(model.CodeInvalidInput, "Enter a valid email address.")
	}
	return e, nil
}

// checkPasswordShape enforces the length rules (used at login too: never truncate).
func checkPasswordShape(p string) error {
	if !utf8.ValidString(p) {
		return model.Errf(model.CodeInvalidInput, "The password is not valid text.")
	}
	if utf8.RuneCountInString(p) < MinPasswordChars {
		return model.Errf(model.CodeInvalidInput, "The password must be at least 8 characters long.")
	}
	if len(p) > MaxPasswordBytes {
		return model.Errf(model.CodeInvalidInput, "The password must be at most 72 bytes long.")
	}
	return nil
}

// CheckNewPassword applies the length rules and refuses the most common passwords.
func CheckNewPassword(p string) error {
	if err := checkPasswordShape(p); err != nil {
		return err
	}
	if _, common := commonPasswords[strings.ToLower(p)]; common {
		return model.Errf(model.CodeWeakPassword, "This password is one of the most common passwords. Choose another one.")
	}
	return nil
}

// ChangePassword checks the current password, stores the new one, ends every other session and
// replaces the current one; it returns the new session token. Checks are throttled per account
// and per address like login (ip is the client's).
//
// An account made by single sign-on has no password: its first one is set without current.
func (s *Service) ChangePassword(ctx context.Context, ip string, u *model.User, sessionID, current, next string) (string, error) {
	if u.HasPassword() {
		if current == "" {
			return "", model.Errf(model.CodeInvalidInput, "currentPassword is required.")
		}
		if err := s.checkOwnPassword(ctx, ip, u, current, "The current password is incorrect."); err != nil {
			return "", err
		}
	}
	if err := CheckNewPassword(next); err != nil {
		return "", err
	}
	h, err := s.hashIn(ctx, s.ownSem, next)
	if err != nil {
		return "", err
	}
	// Ends all other sessions; then this one is rotated too.
	if err := s.st.UpdatePassword(ctx, u.ID, h, sessionID); err != nil {
		return "", err
	}
	tok, err := s.newSession(ctx, u.ID)
	if err != nil {
		return "", err
	}
	if err := s.st.DeleteSession(ctx, sessionID); err != nil {
		return "", err
	}
	s.log.Info("password changed", "user_id", u.ID)
	s.audit.Record(ctx, audit.Entry{Actor: audit.ActorOf(u), Action: audit.ActionPasswordChange, Target: audit.User(u.ID)})
	return tok, nil
}

// CheckPassword checks the user's own password (before deleting the account), throttled per
// account and per address like login (ip is the client's).
func (s *Service) CheckPassword(ctx context.Context, ip string, u *model.User, password string) error {
	return s.checkOwnPassword(ctx, ip, u, password, "The password is incorrect.")
}

// checkOwnPassword is a signed-in person's password check: it spends an attempt of the account
// and of the address, and its bcrypt work holds a slot of ownSem, never one sign-in needs.
func (s *Service) checkOwnPassword(ctx context.Context, ip string, u *model.User, password, wrong string) error {
	if err := s.throttleUser(ip, u.ID); err != nil {
		return err
	}
	ok, err := s.compareIn(ctx, s.ownSem, []byte(u.PasswordHash), password)
	if err != nil {
		return err
	}
	if !ok || checkPasswordShape(password) != nil {
		return &model.Error{Code: model.CodeInvalidCredentials, Message: wrong}
	}
	return nil
}
