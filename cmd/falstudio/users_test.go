package main_test

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/testutil"
)

// users runs `falstudio users …` in dir with only the given environment.
func users(t *testing.T, dir string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"users"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	// On the PostgreSQL run the command opens the server's database, as an operator would.
	if dbtest.Postgres() && !slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, "DATA_DIR=") }) {
		cmd.Env = append(cmd.Env, "DATABASE_URL="+testutil.DatabaseFor(t, dir))
	}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

func post(t *testing.T, c *http.Client, u, body string) *http.Response {
	t.Helper()
	r, err := c.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	return r
}

func TestUsersCommandAgainstARealDataDir(t *testing.T) {
	dir := t.TempDir()
	// Before any account: a wrong DATA_DIR is named, not silently created.
	if out, code := users(t, dir, []string{"DATA_DIR=" + dir + "/nowhere"}, "list"); code != 1 || !strings.Contains(out, "DATA_DIR") || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("missing database: %d %q", code, out)
	}
	p := start(t, dir, "PUBLIC_URL=https://studio.example.com")
	jar, _ := cookiejar.New(nil)
	web := &http.Client{Jar: jar}
	for _, email := range []string{"owner@example.com", "locked-out@example.com"} {
		if r := post(t, &http.Client{}, p.url+"/api/auth/signup", `{"email":"`+email+`","password":"cli test passphrase"}`); r.StatusCode != 201 {
			t.Fatalf("signup %s: %d", email, r.StatusCode)
		}
	}

	// The commands run beside the running server, on its data directory.
	out, code := users(t, dir, nil, "list")
	if code != 0 || !regexp.MustCompile(`(?m)^1\s+owner@example\.com\s+admin\s+active`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^2\s+locked-out@example\.com\s+member\s+active`).MatchString(out) {
		t.Fatalf("list: %d\n%s", code, out)
	}
	if out, code := users(t, dir, nil, "promote", "Locked-Out@Example.com"); code != 0 || !strings.Contains(out, "locked-out@example.com is now an admin") {
		t.Fatalf("promote: %d %s", code, out)
	}
	if out, code := users(t, dir, nil, "promote", "locked-out@example.com"); code != 0 || !strings.Contains(out, "already an admin") {
		t.Fatalf("promote twice: %d %s", code, out)
	}
	if out, _ := users(t, dir, nil, "list"); !regexp.MustCompile(`(?m)^2\s+locked-out@example\.com\s+admin`).MatchString(out) {
		t.Fatalf("list after promote:\n%s", out)
	}

	out, code = users(t, dir, []string{"PUBLIC_URL=https://studio.example.com"}, "reset-password", "locked-out@example.com")
	m := regexp.MustCompile(`https://studio\.example\.com/reset#token=(\S+)`).FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, "works once") {
		t.Fatalf("reset-password: %d %s", code, out)
	}
	tok, _ := url.QueryUnescape(m[1])
	if r := post(t, web, p.url+"/api/auth/reset", `{"token":"`+tok+`","newPassword":"a fresh cli passphrase"}`); r.StatusCode != 204 {
		t.Fatalf("use the link: %d", r.StatusCode)
	}
	if r := post(t, web, p.url+"/api/auth/reset", `{"token":"`+tok+`","newPassword":"another cli passphrase"}`); r.StatusCode != 400 {
		t.Fatalf("the link twice: %d", r.StatusCode)
	}
	if r := post(t, web, p.url+"/api/auth/login", `{"email":"locked-out@example.com","password":"a fresh cli passphrase"}`); r.StatusCode != 200 {
		t.Fatalf("login with the new password: %d", r.StatusCode)
	}
	// The promoted account administers, and the log says the command line did it.
	resp, err := web.Get(p.url + "/api/admin/audit")
	if err != nil {
		t.Fatal(err)
	}
	var audit struct {
		Events []struct {
			Action string          `json:"action"`
			IP     string          `json:"ip"`
			Actor  json.RawMessage `json:"actor"`
		} `json:"events"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&audit); err != nil || resp.StatusCode != 200 {
		t.Fatalf("audit as the promoted admin: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	found := map[string]bool{}
	for _, e := range audit.Events {
		if e.IP == "command line" && string(e.Actor) == "null" {
			found[e.Action] = true
		}
	}
	if !found["user.role"] || !found["password.reset_link"] {
		t.Fatalf("command-line events not audited: %+v", audit.Events)
	}
	if strings.Contains(p.logs.String(), tok) {
		t.Fatal("the reset token is in the server log")
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "usage: falstudio users"},
		{[]string{"promote"}, "usage: falstudio users"},
		{[]string{"remove", "x@example.com"}, "usage: falstudio users"},
		{[]string{"promote", "nobody@example.com"}, "no account with the email nobody@example.com"},
		{[]string{"reset-password", "not an email"}, "email"},
	} {
		if out, code := users(t, dir, nil, tc.args...); code != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("users %v: %d %q", tc.args, code, out)
		}
	}
}
