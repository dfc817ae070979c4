// Command oidcprovider runs a real OpenID provider (internal/oidctest: zitadel's op with its
// example storage, in memory) on loopback, for the browser tests and for trying single sign-on
// locally. Test-only: its people and client secret are fixed, printed below.
//
//	go run ./cmd/oidcprovider -redirect http://127.0.0.1:8080/api/auth/oidc/callback
//
// It prints OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET, then "Ctrl+C stops" once it
// serves; scripts (e2e/lib/harness.mjs) wait for that line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/falstudio/falstudio/internal/oidctest"
)

// Password is every test person's password at this provider.
const Password = "provider-password"

// People are the provider's accounts (username, then email and groups).
var People = []oidctest.User{
	{ID: "sub-ann", Username: "ann", Password: Password, Email: "ann@example.com", Groups: []string{"studio-admins"}},
	{ID: "sub-bob", Username: "bob", Password: Password, Email: "bob@example.com", Groups: []string{"family"}},
	{ID: "sub-cy", Username: "cy", Password: Password, Email: "cy@example.com"},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "oidcprovider:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("oidcprovider", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	redirect := fs.String("redirect", "", "the studio's redirect URL: PUBLIC_URL/api/auth/oidc/callback")
	clientID := fs.String("client-id", "studio", "the studio's client id")
	secret := fs.String("client-secret", "studio-test-secret", "the studio's client secret (a test value)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !strings.HasPrefix(*redirect, "http://127.0.0.1:") && !strings.HasPrefix(*redirect, "http://localhost:") {
		return errors.New("-redirect must be a loopback http URL ending in /api/auth/oidc/callback")
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
		return errors.New("-addr must be a loopback address")
	}
	p, err := oidctest.Start(*addr, People, []oidctest.Client{{ID: *clientID, Secret: *secret, RedirectURIs: []string{*redirect}}})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "OIDC_ISSUER=%s\nOIDC_CLIENT_ID=%s\nOIDC_CLIENT_SECRET=%s\n", p.Issuer, *clientID, *secret)
	for _, u := range People {
		fmt.Fprintf(stdout, "person %s (%s) password %s\n", u.Username, u.Email, u.Password)
	}
	fmt.Fprintln(stdout, "Ctrl+C stops")
	<-ctx.Done()
	return p.Close()
}
