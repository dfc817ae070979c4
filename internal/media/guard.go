package media

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// HostGuard is an allow-list of hosts written like FAL_MEDIA_HOSTS (host, host:port, *.domain;
// no port means 443; an IP literal is trusted as written) for other outbound clients, such as
// the Web Push sender (PUSH_HOSTS).
type HostGuard struct{ rules []hostRule }

// NewHostGuard parses hosts.
func NewHostGuard(hosts []string) *HostGuard { return &HostGuard{rules: parseRules(hosts)} }

// Allows reports whether u's host and port are listed (the scheme and user info are the
// caller's to judge).
func (g *HostGuard) Allows(u *url.URL) bool {
	for _, r := range g.rules {
		if matchRule(u, r) {
			return true
		}
	}
	return false
}

// Transport is an HTTP transport that re-checks every dialed address: a host allowed by name
// that resolves to a private, loopback, link-local or metadata address is refused; only an IP
// literal listed as written may be internal. No proxy, so the check sees the real destination.
func (g *HostGuard) Transport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           guardedDial(g.rules),
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
}

// guardedDial dials with the address check: internal addresses pass only for an IP literal
// allow-listed as written (the local simulator, "127.0.0.1:8090"). A host allow-listed by name is
// checked here, whatever it resolves to: DNS is not ours, so a listed name that turns into
// 127.0.0.1 or 169.254.169.254 is refused. Checked per dial, so each redirect hop is judged alone.
func guardedDial(rules []hostRule) func(ctx context.Context, network, addr string) (net.Conn, error) {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, _ := net.SplitHostPort(addr)
		d := *dialer
		trusted := literalAllowed(host, port, rules)
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: unparsable address", ErrUnsafeOutput)
			}
			if !trusted && internal(ap.Addr()) {
				return fmt.Errorf("%w: %s resolves to a private or internal address", ErrUnsafeOutput, host)
			}
			return nil
		}
		return d.DialContext(ctx, network, addr)
	}
}
