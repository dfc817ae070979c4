package config

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultPushHosts are the push services of the browsers in use (SPEC §16).
var DefaultPushHosts = []string{"fcm.googleapis.com", "updates.push.services.mozilla.com", "web.push.apple.com",
	"*.push.apple.com", "*.notify.windows.com"}

// VAPIDKeyFile holds the generated VAPID private key in DATA_DIR.
const VAPIDKeyFile = "vapid_private_key"

// Push is the Web Push configuration.
type Push struct {
	// VAPIDKey is the 32-byte P-256 private scalar; nil until EnsureSecrets when not configured.
	VAPIDKey []byte
	// Subject is the contact put in every push token (mailto: or https:).
	Subject string
	// SubjectDefaulted is true when Subject fell back to mailto:admin@localhost (start-up warns).
	SubjectDefaulted bool
	Hosts            []string
	// AllowInsecureLoopback accepts http:// endpoints on a loopback IP literal listed in Hosts.
	AllowInsecureLoopback bool
}

// loadPush reads the VAPID_* and PUSH_* variables.
func loadPush(c *Config, getenv func(string) string) error {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	key := get("VAPID_PRIVATE_KEY")
	name := "VAPID_PRIVATE_KEY"
	if key == "" { // VAPID_PRIVATE_KEY wins when both are set
		if p := get("VAPID_PRIVATE_KEY_FILE"); p != "" {
			name = "VAPID_PRIVATE_KEY_FILE"
			b, err := os.ReadFile(p)
			if err != nil {
				return bad(name, "cannot read the file")
			}
			key = strings.TrimSpace(string(b))
			if key == "" {
				return bad(name, "the file is empty")
			}
		}
	}
	if key != "" {
		k, err := ParseVAPIDKey(key)
		if err != nil {
			return bad(name, "%v", err)
		}
		c.Push.VAPIDKey = k
	}
	switch sub := get("VAPID_SUBJECT"); {
	case sub != "":
		if !strings.HasPrefix(sub, "mailto:") && !strings.HasPrefix(sub, "https://") {
			return bad("VAPID_SUBJECT", "must be a mailto: or https:// contact")
		}
		c.Push.Subject = sub
	case c.PublicURL != nil:
		c.Push.Subject = "mailto:admin@" + c.PublicURL.Hostname()
	default:
		c.Push.Subject, c.Push.SubjectDefaulted = "mailto:admin@localhost", true
	}
	c.Push.Hosts = DefaultPushHosts
	if v := get("PUSH_HOSTS"); v != "" {
		c.Push.Hosts = nil
		for _, h := range strings.Split(v, ",") {
			h = strings.ToLower(strings.TrimSpace(h))
			if h == "" {
				continue
			}
			if strings.ContainsAny(h, "/ @?#") {
				return bad("PUSH_HOSTS", "must be a comma-separated list of host names (host, host:port or *.domain)")
			}
			c.Push.Hosts = append(c.Push.Hosts, h)
		}
		if len(c.Push.Hosts) == 0 {
			return bad("PUSH_HOSTS", "lists no host")
		}
	}
	var err error
	if v := get("PUSH_ALLOW_INSECURE_LOOPBACK"); v != "" {
		if c.Push.AllowInsecureLoopback, err = parseBool(v); err != nil {
			return bad("PUSH_ALLOW_INSECURE_LOOPBACK", "must be true or false")
		}
	}
	return nil
}

// ParseVAPIDKey reads a P-256 private key given as base64url of the 32-byte scalar (as
// web-push generate-vapid-keys prints it; padding tolerated) or as PEM (PKCS #8 or SEC 1). The
// errors never quote the value.
func ParseVAPIDKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		blk, _ := pem.Decode([]byte(s))
		if blk == nil {
			return nil, errors.New("is not a readable PEM key")
		}
		var priv any
		var err error
		if blk.Type == "EC PRIVATE KEY" {
			priv, err = x509.ParseECPrivateKey(blk.Bytes)
		} else {
			priv, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
		}
		if err != nil {
			return nil, errors.New("is not a readable PEM key (PKCS #8 or SEC 1)")
		}
		ek, ok := priv.(*ecdsa.PrivateKey)
		if !ok {
			return nil, errors.New("is not a P-256 key")
		}
		k, err := ek.ECDH()
		if err != nil || k.Curve() != ecdh.P256() {
			return nil, errors.New("is not a P-256 key")
		}
		return k.Bytes(), nil
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(b) != 32 {
		return nil, errors.New("must be base64url of a 32-byte P-256 private key, or a PEM key")
	}
	if _, err := ecdh.P256().NewPrivateKey(b); err != nil {
		return nil, errors.New("is not a valid P-256 private key")
	}
	return b, nil
}

// ensureVAPIDKey loads, or generates once (mode 0600, O_EXCL), the VAPID key in DATA_DIR.
func ensureVAPIDKey(c *Config) (warnings []string, err error) {
	if c.Push.VAPIDKey != nil {
		return nil, nil
	}
	path := filepath.Join(c.DataDir, VAPIDKeyFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if st, serr := os.Stat(path); serr == nil && st.Mode().Perm()&0o077 != 0 {
			warnings = append(warnings, fmt.Sprintf("%s is readable by other users (mode %o); run chmod 600 on it", path, st.Mode().Perm()))
		}
		k, perr := ParseVAPIDKey(string(b))
		if perr != nil {
			return warnings, bad("VAPID_PRIVATE_KEY", "the generated file %s is damaged: %v", path, perr)
		}
		c.Push.VAPIDKey = k
		return warnings, nil
	case errors.Is(err, fs.ErrNotExist):
		k, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("config: generate VAPID_PRIVATE_KEY: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, bad("DATA_DIR", "cannot write %s", path)
		}
		_, werr := f.WriteString(base64.RawURLEncoding.EncodeToString(k.Bytes()) + "\n")
		if serr := f.Sync(); werr == nil {
			werr = serr
		}
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return nil, bad("DATA_DIR", "cannot write %s", path)
		}
		c.Push.VAPIDKey = k.Bytes()
		return nil, nil
	default:
		return nil, bad("DATA_DIR", "cannot read %s", path)
	}
}
