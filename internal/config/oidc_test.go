package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestOIDC(t *testing.T) {
	base := map[string]string{"OIDC_ISSUER": "https://auth.example.com/application/o/studio/", "OIDC_CLIENT_ID": "studio",
		"OIDC_CLIENT_SECRET": "s3cret-value", "PUBLIC_URL": "https://studio.example.com/"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	c, err := Load(env(base))
	if err != nil {
		t.Fatal(err)
	}
	o := c.OIDC
	if !o.Enabled() || o.ButtonLabel != "Sign in with SSO" || !o.AutoRegister || !o.PasswordLogin || o.AdminGroups != nil ||
		!slices.Equal(o.Scopes, []string{"openid", "email", "profile"}) || c.RedirectURL() != "https://studio.example.com/api/auth/oidc/callback" {
		t.Fatalf("OIDC defaults: %+v %s", o, c.RedirectURL())
	}
	if c, err := Load(env(nil)); err != nil || c.OIDC.Enabled() || !c.OIDC.PasswordLogin {
		t.Fatalf("off by default: %+v %v", c.OIDC, err)
	}
	c, err = Load(env(with("OIDC_SCOPES", "email groups", "OIDC_ADMIN_GROUPS", " admins , ops ,", "OIDC_PASSWORD_LOGIN", "false", "OIDC_AUTO_REGISTER", "no")))
	if err != nil || !slices.Equal(c.OIDC.Scopes, []string{"openid", "email", "groups"}) || !slices.Equal(c.OIDC.AdminGroups, []string{"admins", "ops"}) ||
		c.OIDC.PasswordLogin || c.OIDC.AutoRegister {
		t.Fatalf("settings: %+v %v", c.OIDC, err)
	}
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("  from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := with("OIDC_CLIENT_SECRET_FILE", file)
	delete(m, "OIDC_CLIENT_SECRET")
	if c, err := Load(env(m)); err != nil || c.OIDC.ClientSecret != "from-a-file" {
		t.Fatalf("secret file: %v", err)
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{with("PUBLIC_URL", ""), "PUBLIC_URL"},
		{with("OIDC_CLIENT_ID", ""), "OIDC_CLIENT_ID"},
		{with("OIDC_CLIENT_SECRET", ""), "OIDC_CLIENT_SECRET"},
		{with("OIDC_CLIENT_SECRET_FILE", file), "OIDC_CLIENT_SECRET_FILE"},
		{with("OIDC_CLIENT_SECRET", "", "OIDC_CLIENT_SECRET_FILE", "/nonexistent/secret"), "OIDC_CLIENT_SECRET_FILE"},
		{with("OIDC_ISSUER", "ftp://auth.example.com"), "OIDC_ISSUER"},
		{with("OIDC_ISSUER", "auth.example.com"), "OIDC_ISSUER"},
		{with("OIDC_PASSWORD_LOGIN", "maybe"), "OIDC_PASSWORD_LOGIN"},
	} {
		_, err := Load(env(tc.env))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != tc.want {
			t.Errorf("%v: %v, want an error naming %s", tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret-value") {
			t.Errorf("the error holds the secret: %v", err)
		}
	}
}
