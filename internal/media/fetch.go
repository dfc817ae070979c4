package media

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Errors a caller maps to generation error codes.
var (
	// ErrUnsafeOutput: a host not allowed, a refused address, too many redirects, or bytes that are
	// not image, video or audio media.
	ErrUnsafeOutput = errors.New("media: unsafe output")
	// ErrOutputExpired: the provider no longer has the file (404/410).
	ErrOutputExpired = errors.New("media: output expired")
	// ErrTooLarge: the file is over the size limit.
	ErrTooLarge = errors.New("media: output too large")
	// ErrDownload: the provider could not be reached or broke off; worth retrying later.
	ErrDownload = errors.New("media: download failed")
)

// FetchConfig bounds provider downloads.
type FetchConfig struct {
	AllowedHosts []string      // host, host:port or *.suffix (FAL_MEDIA_HOSTS)
	MaxBytes     int64         // default 2 GiB
	Timeout      time.Duration // whole download; default 10 min
}

// Fetcher downloads provider outputs safely: only allow-listed hosts, resolved addresses checked
// at dial time (so DNS rebinding cannot slip through), at most 3 redirects each re-checked, no
// proxy, bounded size and time, and the type taken from the bytes.
type Fetcher struct {
	cfg        FetchConfig
	client     *http.Client
	rulesCheck func(*url.URL) error
}

// Download is a provider file being streamed.
type Download struct {
	Body        io.ReadCloser // the whole file, sniffed head included
	ContentType string        // from the bytes
	Kind        string        // image | video | audio
	Size        int64         // -1 when unknown
}

// hostRule is one FAL_MEDIA_HOSTS entry. An entry without a port allows port 443 only.
type hostRule struct {
	host, port string
	wildcard   bool // host is a suffix (".example.com")
	literal    bool // host is an IP address, trusted as written (internal ranges included)
}

// NewFetcher builds a fetcher.
func NewFetcher(cfg FetchConfig) *Fetcher {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 2 << 30
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Minute
	}
	f := &Fetcher{cfg: cfg}
	rules := parseRules(cfg.AllowedHosts)
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would hide the real destination from the dial-time check
		DialContext:           guardedDial(rules),
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	f.client = &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > 3 {
				return fmt.Errorf("%w: more than 3 redirects", ErrUnsafeOutput)
			}
			return checkURL(req.URL, rules)
		},
	}
	f.rulesCheck = func(u *url.URL) error { return checkURL(u, rules) }
	return f
}

func parseRules(hosts []string) []hostRule {
	var out []hostRule
	for _, h := range hosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		r := hostRule{}
		if strings.HasPrefix(h, "*.") {
			r.wildcard, h = true, h[1:]
		}
		r.port = "443"
		if hh, p, err := net.SplitHostPort(h); err == nil {
			h, r.port = hh, p
		}
		r.host = strings.Trim(h, "[]")
		if a, err := netip.ParseAddr(r.host); err == nil && !r.wildcard {
			r.literal, r.host = true, a.Unmap().String()
		}
		out = append(out, r)
	}
	return out
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

func matchRule(u *url.URL, r hostRule) bool {
	host := strings.ToLower(u.Hostname())
	if r.port != portOf(u) {
		return false
	}
	if r.literal {
		a, err := netip.ParseAddr(host)
		return err == nil && a.Unmap().String() == r.host
	}
	if r.wildcard {
		return strings.HasSuffix(host, r.host) && len(host) > len(r.host)
	}
	return host == r.host
}

func checkURL(u *url.URL, rules []hostRule) error {
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("%w: scheme %q", ErrUnsafeOutput, u.Scheme)
	}
	if u.User != nil {
		return fmt.Errorf("%w: credentials in URL", ErrUnsafeOutput)
	}
	for _, r := range rules {
		if matchRule(u, r) {
			return nil
		}
	}
	// host:port as an allow-list entry is written, so an admin can add exactly that; never the
	// path or query, which may carry a signature.
	return &HostNotAllowedError{HostPort: net.JoinHostPort(strings.ToLower(u.Hostname()), portOf(u))}
}

// HostNotAllowedError is an output on a host FAL_MEDIA_HOSTS does not list (errors.Is
// ErrUnsafeOutput); HostPort is written as an allow-list entry, so an admin can add exactly that.
type HostNotAllowedError struct{ HostPort string }

func (e *HostNotAllowedError) Error() string {
	return ErrUnsafeOutput.Error() + ": from " + e.HostPort + ", a host not in FAL_MEDIA_HOSTS"
}

func (e *HostNotAllowedError) Is(target error) bool { return target == ErrUnsafeOutput }

// literalAllowed reports whether host:port (as dialed) is an IP-literal entry of the allow-list.
func literalAllowed(host, port string, rules []hostRule) bool {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	for _, r := range rules {
		if r.literal && r.port == port && r.host == a.Unmap().String() {
			return true
		}
	}
	return false
}

// internal reports addresses a provider URL must never reach: loopback, private, link-local
// (cloud metadata 169.254.169.254), CGNAT, unspecified, multicast, and IPv6 equivalents.
func internal(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsMulticast() ||
		a.IsUnspecified() || a.IsInterfaceLocalMulticast() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),     // CGNAT
	netip.MustParsePrefix("192.0.0.0/24"),      // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),     // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),       // reserved
	netip.MustParsePrefix("0.0.0.0/8"),         // "this network"
	netip.MustParsePrefix("fd00:ec2::254/128"), // AWS metadata over IPv6 (inside fc00::/7 too)
	netip.MustParsePrefix("64:ff9b::/96"),      // NAT64 can reach IPv4 internals
}

// Fetch starts a download and sniffs its type; the caller streams and closes Body.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (*Download, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: bad URL", ErrUnsafeOutput)
	}
	if err := f.rulesCheck(u); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%w: bad URL", ErrUnsafeOutput)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		cancel()
		if errors.Is(err, ErrUnsafeOutput) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrDownload, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		resp.Body.Close()
		cancel()
		return nil, ErrOutputExpired
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("%w: the provider answered %s", ErrDownload, resp.Status)
	}
	if resp.ContentLength > f.cfg.MaxBytes {
		resp.Body.Close()
		cancel()
		return nil, ErrTooLarge
	}
	br := bufio.NewReaderSize(resp.Body, 4096)
	head, _ := br.Peek(512)
	ctype, kind := Sniff(head)
	if kind == "" {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("%w: the file is %s, not image, video or audio media", ErrUnsafeOutput, ctype)
	}
	body := readCloser{LimitReader(downloadReader{br}, f.cfg.MaxBytes), closerFunc(func() error { cancel(); return resp.Body.Close() })}
	return &Download{Body: body, ContentType: ctype, Kind: kind, Size: resp.ContentLength}, nil
}

// downloadReader marks a read that broke off mid-stream as a download failure (retried later),
// not a fault of the studio's own.
type downloadReader struct{ r io.Reader }

func (d downloadReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %w", ErrDownload, err)
	}
	return n, err
}

type closerFunc func() error

func (c closerFunc) Close() error { return c() }

// LimitReader reads at most n bytes from r and fails with ErrTooLarge past that, instead of
// silently truncating like io.LimitReader.
func LimitReader(r io.Reader, n int64) io.Reader { return &limited{r: r, left: n} }

type limited struct {
	r    io.Reader
	left int64
}

func (l *limited) Read(p []byte) (int, error) {
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, ErrTooLarge
	}
	return n, err
}

// Sniff decides a file's type from its first bytes. Only image, video and audio types get a kind;
// HTML, SVG, scripts and everything else get "".
func Sniff(head []byte) (contentType, kind string) {
	switch {
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		brand := string(head[8:12])
		switch {
		case strings.HasPrefix(brand, "avif"), strings.HasPrefix(brand, "avis"):
			return "image/avif", "image"
		case strings.HasPrefix(brand, "qt"):
			return "video/quicktime", "video"
		case strings.HasPrefix(brand, "M4A"):
			return "audio/mp4", "audio"
		case strings.HasPrefix(brand, "heic"), strings.HasPrefix(brand, "heix"), strings.HasPrefix(brand, "mif1"):
			return "application/octet-stream", "" // HEIF: browsers cannot show it
		}
		return "video/mp4", "video"
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return "video/webm", "video"
	case bytes.HasPrefix(head, []byte("fLaC")):
		return "audio/flac", "audio"
	case len(head) >= 2 && head[0] == 0xFF && head[1]&0xF6 == 0xF0: // AAC ADTS
		return "audio/aac", "audio"
	}
	ct := http.DetectContentType(head)
	ct, _, _ = strings.Cut(ct, ";")
	switch ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif":
		return ct, "image"
	case "video/mp4", "video/webm", "video/avi":
		return ct, "video"
	case "audio/mpeg", "audio/wave", "audio/wav", "audio/ogg", "audio/aiff", "audio/basic", "audio/midi", "application/ogg":
		if ct == "audio/wave" {
			ct = "audio/wav"
		}
		if ct == "application/ogg" {
			ct = "audio/ogg"
		}
		return ct, "audio"
	}
	return ct, ""
}
