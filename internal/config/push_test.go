package config

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVAPIDKey(t *testing.T) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw := base64.RawURLEncoding.EncodeToString(k.Bytes())
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pk8, err := x509.MarshalPKCS8PrivateKey(ek)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(ek)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ek.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{
		"base64url":        raw,
		"padded":           raw + "=",
		"PKCS #8":          string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk8})),
		"SEC 1":            string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})),
		"SEC 1 and spaces": "\n" + string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})) + "  ",
	} {
		c, err := Load(env(map[string]string{"DATA_DIR": t.TempDir(), "VAPID_PRIVATE_KEY": v}))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name == "base64url" || name == "padded" {
			if string(c.Push.VAPIDKey) != string(k.Bytes()) {
				t.Fatalf("%s: another key", name)
			}
		} else if string(c.Push.VAPIDKey) != string(want) {
			t.Fatalf("%s: another key", name)
		}
	}
	// Malformed: one line naming the variable, never the value.
	secret := "c2VjcmV0LXNlY3JldC1zZWNyZXQ"
	for _, v := range []string{secret, "-----BEGIN PRIVATE KEY-----\n" + secret + "\n-----END PRIVATE KEY-----", base64.RawURLEncoding.EncodeToString(make([]byte, 32))} {
		_, err := Load(env(map[string]string{"DATA_DIR": t.TempDir(), "VAPID_PRIVATE_KEY": v}))
		if err == nil || !strings.Contains(err.Error(), "VAPID_PRIVATE_KEY") || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("malformed key: %v", err)
		}
	}
	// The file variant; the variable wins over it; an unreadable file names itself.
	f := filepath.Join(t.TempDir(), "vapid")
	if err := os.WriteFile(f, []byte(raw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"DATA_DIR": t.TempDir(), "VAPID_PRIVATE_KEY_FILE": f}))
	if err != nil || string(c.Push.VAPIDKey) != string(k.Bytes()) {
		t.Fatalf("from a file: %v", err)
	}
	other := base64.RawURLEncoding.EncodeToString(want)
	if c, err := Load(env(map[string]string{"DATA_DIR": t.TempDir(), "VAPID_PRIVATE_KEY_FILE": f, "VAPID_PRIVATE_KEY": other})); err != nil || string(c.Push.VAPIDKey) != string(want) {
		t.Fatalf("the variable must win: %v", err)
	}
	if _, err := Load(env(map[string]string{"DATA_DIR": t.TempDir(), "VAPID_PRIVATE_KEY_FILE": f + "-missing"})); err == nil || !strings.Contains(err.Error(), "VAPID_PRIVATE_KEY_FILE") {
		t.Fatalf("unreadable file: %v", err)
	}

	// Generated once into DATA_DIR (0600), in the format web-push prints, and kept.
	dir := filepath.Join(t.TempDir(), "data")
	c1, err := Load(env(map[string]string{"DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureSecrets(c1); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, VAPIDKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("generated key file: %v %v", st, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, VAPIDKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ParseVAPIDKey(string(b)); err != nil || string(got) != string(c1.Push.VAPIDKey) {
		t.Fatalf("the file holds another key: %v", err)
	}
	c2, err := Load(env(map[string]string{"DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureSecrets(c2); err != nil || string(c2.Push.VAPIDKey) != string(c1.Push.VAPIDKey) {
		t.Fatalf("the key must be kept: %v", err)
	}
}

func TestPushConfig(t *testing.T) {
	c, err := Load(env(map[string]string{"DATA_DIR": t.TempDir()}))
	if err != nil || c.Push.Subject != "mailto:admin@localhost" || !c.Push.SubjectDefaulted || len(c.Push.Hosts) != len(DefaultPushHosts) || c.Push.AllowInsecureLoopback {
		t.Fatalf("defaults: %+v %v", c.Push, err)
	}
	c, err = Load(env(map[string]string{"DATA_DIR": t.TempDir(), "PUBLIC_URL": "https://studio.example.com", "PUSH_HOSTS": " 127.0.0.1:9300 , *.push.example ",
		"PUSH_ALLOW_INSECURE_LOOPBACK": "true"}))
	if err != nil || c.Push.Subject != "mailto:admin@studio.example.com" || c.Push.SubjectDefaulted || strings.Join(c.Push.Hosts, ",") != "127.0.0.1:9300,*.push.example" || !c.Push.AllowInsecureLoopback {
		t.Fatalf("configured: %+v %v", c.Push, err)
	}
	for k, v := range map[string]string{"VAPID_SUBJECT": "admin@example.com", "PUSH_HOSTS": "https://fcm.googleapis.com/x", "PUSH_ALLOW_INSECURE_LOOPBACK": "maybe"} {
		if _, err := Load(env(map[string]string{"DATA_DIR": t.TempDir(), k: v})); err == nil || !strings.Contains(err.Error(), k) {
			t.Fatalf("%s=%s: %v", k, v, err)
		}
	}
}
