package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/account"
	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/testutil"
)

// Wrong guesses at one email from ever-changing addresses spend the email's shared cap, which
// locks out every browser without a device cookie; the owner's browser, which signed in before,
// still logs in (and has its own small budget for wrong passwords).
func TestDeviceCookieKeepsTheOwnerIn(t *testing.T) {
	limits := app.Options{PerEmail: account.Limit{Every: time.Hour, Burst: 3}, PerEmailAnyIP: account.Limit{Every: time.Hour, Burst: 5}}
	s := testutil.NewStudio(t, testutil.StudioOptions{App: limits, Env: map[string]string{"TRUSTED_PROXIES": "127.0.0.1"}})
	s.NewClient(t).SignUp("owner@example.com", goodPassword)
	creds := func(pw string) map[string]string {
		return map[string]string{"email": "owner@example.com", "password": pw}
	}

	owner := s.NewClient(t)
	r := owner.Do("POST", "/api/auth/login", creds(goodPassword), "X-Forwarded-For", "198.51.100.7")
	if r.Status != 200 {
		t.Fatalf("owner's first login: %d %s", r.Status, r.Body)
	}
	var device string
	for _, ck := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(ck, "falstudio_device=") {
			device = ck
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/", fmt.Sprintf("Max-Age=%d", int(account.DeviceTTL/time.Second))} {
		if !strings.Contains(device, want) {
			t.Fatalf("device cookie %q lacks %q", device, want)
		}
	}
	// Logging out keeps the device cookie.
	if r := owner.Do("POST", "/api/auth/logout", nil); r.Status != 204 || r.Header.Get("Clear-Site-Data") != "" {
		t.Fatalf("logout: %d %v", r.Status, r.Header)
	}
	base, err := url.Parse(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	kept := false
	for _, ck := range owner.HTTP.Jar.Cookies(base) {
		kept = kept || ck.Name == "falstudio_device"
	}
	if !kept {
		t.Fatal("the device cookie went at logout")
	}

	// The attack: one wrong guess from each of many addresses spends the email's cap (5, two of
	// which the owner's sign-up and first login took).
	var got []int
	for i := range 6 {
		got = append(got, s.NewClient(t).Do("POST", "/api/auth/login", creds("wrong password!"), "X-Forwarded-For", fmt.Sprintf("2001:db8:%x::1", i+1)).Status)
	}
	if fmt.Sprint(got) != "[401 401 401 429 429 429]" {
		t.Fatalf("distributed guesses: %v", got)
	}
	// A browser without the cookie, even with the right password from a fresh address, is refused…
	if r := s.NewClient(t).Do("POST", "/api/auth/login", creds(goodPassword), "X-Forwarded-For", "192.0.2.55"); r.Status != 429 || r.ErrorCode() != "rate_limited" {
		t.Fatalf("unknown browser during the attack: %d %s", r.Status, r.Body)
	}
	// …and so is a made-up device cookie.
	forged := s.NewClient(t)
	forged.HTTP.Jar.SetCookies(base, []*http.Cookie{{Name: "falstudio_device", Value: strings.Repeat("A", 26)}})
	if r := forged.Do("POST", "/api/auth/login", creds(goodPassword), "X-Forwarded-For", "192.0.2.56"); r.Status != 429 {
		t.Fatalf("forged device cookie during the attack: %d %s", r.Status, r.Body)
	}
	// The owner's browser logs in, from any address.
	if r := owner.Do("POST", "/api/auth/login", creds(goodPassword), "X-Forwarded-For", "203.0.113.9"); r.Status != 200 {
		t.Fatalf("the owner's known browser was locked out: %d %s", r.Status, r.Body)
	}
	// Its own budget (3, one spent) still stops guessing with a stolen device cookie.
	got = got[:0]
	for range 3 {
		got = append(got, owner.Do("POST", "/api/auth/login", creds("wrong password!"), "X-Forwarded-For", "203.0.113.9").Status)
	}
	if fmt.Sprint(got) != "[401 401 429]" {
		t.Fatalf("wrong passwords from the known browser: %v", got)
	}
}
