package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

var pngHead = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

func TestSniff(t *testing.T) {
	cases := []struct {
		head  []byte
		ctype string
		kind  string
	}{
		{pngHead, "image/png", "image"},
		{[]byte("\xff\xd8\xff\xe0\x00\x10JFIF"), "image/jpeg", "image"},
		{[]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), "image/webp", "image"},
		{[]byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00"), "video/mp4", "video"},
		{[]byte("\x00\x00\x00\x1cftypavif"), "image/avif", "image"},
		{[]byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81"), "video/webm", "video"},
		{[]byte("ID3\x03\x00\x00\x00"), "audio/mpeg", "audio"},
		{[]byte("RIFF\x00\x00\x00\x00WAVEfmt "), "audio/wav", "audio"},
		{[]byte("<!doctype html><script>"), "text/html", ""},
		{[]byte(`<svg xmlns="http://www.w3.org/2000/svg">`), "text/xml", ""},
		{[]byte("%PDF-1.4"), "application/pdf", ""},
		{[]byte("just text"), "text/plain", ""},
	}
	for _, c := range cases {
		ct, kind := Sniff(c.head)
		if kind != c.kind || (c.kind != "" && ct != c.ctype) {
			t.Errorf("%q: got %s/%s want %s/%s", c.head, ct, kind, c.ctype, c.kind)
		}
	}
}

func FuzzSniff(f *testing.F) {
	f.Add(pngHead)
	f.Add([]byte("<html>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ct, kind := Sniff(b)
		if kind != "" && !strings.HasPrefix(ct, kind+"/") {
			t.Fatalf("%q → %s %s", b, ct, kind)
		}
		if strings.Contains(ct, "html") || strings.Contains(ct, "svg") || strings.Contains(ct, "xml") {
			if kind != "" {
				t.Fatalf("markup passed: %q", b)
			}
		}
	})
}

func TestInternalAddresses(t *testing.T) {
	for _, a := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "64:ff9b::a00:1"} {
		if !internal(netip.MustParseAddr(a)) {
			t.Errorf("%s allowed", a)
		}
	}
	for _, a := range []string{"8.8.8.8", "34.120.0.1", "2606:4700::1111"} {
		if internal(netip.MustParseAddr(a)) {
			t.Errorf("%s refused", a)
		}
	}
}

func TestHostRules(t *testing.T) {
	rules := parseRules([]string{"fal.media", "*.fal.media", "127.0.0.1:9000", "cdn.example:8443"})
	for raw, ok := range map[string]bool{
		"https://fal.media/x": true, "https://v3.fal.media/files/a.png": true, "https://evilfal.media/x": false,
		"https://fal.media.evil.com/x": false, "http://127.0.0.1:9000/x": true, "http://127.0.0.1:9001/x": false,
		"ftp://fal.media/x": false, "https://user:pw@fal.media/x": false, "https://storage.googleapis.com/x": false,
		// An entry without a port means 443 only.
		"https://fal.media:443/x": true, "https://fal.media:8443/x": false, "http://fal.media/x": false,
		"https://v3.fal.media:444/x": false, "http://v3.fal.media/x": false,
		"https://cdn.example:8443/x": true, "https://cdn.example/x": false,
		// An IP literal matches only itself, in any spelling of the same address.
		"http://[::ffff:127.0.0.1]:9000/x": true, "http://127.0.0.2:9000/x": false, "http://localhost:9000/x": false,
	} {
		u, _ := url.Parse(raw)
		if got := checkURL(u, rules) == nil; got != ok {
			t.Errorf("%s: allowed=%v want %v", raw, got, ok)
		}
	}
}

func FuzzHostRules(f *testing.F) {
	rules := parseRules([]string{"*.fal.media", "fal.media"})
	f.Add("https://v3.fal.media/a")
	f.Add("http://169.254.169.254/")
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		if checkURL(u, rules) == nil {
			h := strings.ToLower(u.Hostname())
			if h != "fal.media" && !strings.HasSuffix(h, ".fal.media") {
				t.Fatalf("%q allowed", raw)
			}
			if portOf(u) != "443" {
				t.Fatalf("%q allowed on port %s", raw, portOf(u))
			}
		}
		// No name is ever trusted at dial time: only IP literals listed as such.
		if literalAllowed(u.Hostname(), portOf(u), rules) {
			t.Fatalf("%q trusted at dial time", raw)
		}
	})
}

func TestFetcher(t *testing.T) {
	png := append(append([]byte{}, pngHead...), bytes.Repeat([]byte{1}, 5000)...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok.png":
			w.Write(png)
		case "/lying.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("<html><script>alert(1)</script></html>"))
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/big":
			w.Write(png)
			w.Write(bytes.Repeat([]byte{0}, 20000))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	f := NewFetcher(FetchConfig{AllowedHosts: []string{host}, MaxBytes: 10000})
	ctx := context.Background()
	d, err := f.Fetch(ctx, srv.URL+"/ok.png")
	if err != nil || d.Kind != "image" || d.ContentType != "image/png" {
		t.Fatalf("ok: %v", err)
	}
	got, err := io.ReadAll(d.Body)
	if err != nil {
		t.Fatalf("reading d.Body: %v", err)
	}
	d.Body.Close()
	if !bytes.Equal(got, png) {
		t.Fatal("body differs")
	}
	for path, want := range map[string]error{"/lying.png": ErrUnsafeOutput, "/gone": ErrOutputExpired, "/loop": ErrUnsafeOutput, "/to-metadata": ErrUnsafeOutput} {
		if _, err := f.Fetch(ctx, srv.URL+path); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", path, err, want)
		}
	}
	d, err = f.Fetch(ctx, srv.URL+"/big")
	if err == nil {
		_, err = io.ReadAll(d.Body)
		d.Body.Close()
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("big: %v", err)
	}
	// The same loopback server reached through a name listed exactly (resolved by /etc/hosts)
	// is refused at dial time: only the IP literal is trusted as written.
	_, port, _ := net.SplitHostPort(host)
	byName := NewFetcher(FetchConfig{AllowedHosts: []string{"localhost:" + port}})
	for _, u := range []string{"http://localhost:" + port + "/ok.png"} {
		if _, err := byName.Fetch(ctx, u); !errors.Is(err, ErrUnsafeOutput) {
			t.Errorf("%s: internal address reached through a listed name: %v", u, err)
		}
	}
	// A literal entry without a port is port 443 only: the test server's port is refused.
	noPort := NewFetcher(FetchConfig{AllowedHosts: []string{"127.0.0.1"}})
	if _, err := noPort.Fetch(ctx, srv.URL+"/ok.png"); !errors.Is(err, ErrUnsafeOutput) {
		t.Errorf("port %s allowed by an entry without a port: %v", port, err)
	}
	if _, err := f.Fetch(ctx, "http://localhost:"+port+"/ok.png"); !errors.Is(err, ErrUnsafeOutput) {
		t.Errorf("unlisted host: %v", err)
	}
}

// A refused host is named as the allow-list entry that would admit it (host:port), so an admin
// knows what to add to FAL_MEDIA_HOSTS; the path and query (a signature, say) are never repeated.
func TestRefusalNamesTheHostToAdd(t *testing.T) {
	f := NewFetcher(FetchConfig{AllowedHosts: []string{"fal.media", "*.fal.media"}})
	for raw, want := range map[string]string{
		"https://fal-api-audio-uploads.s3.amazonaws.com/out.mp3?X-Amz-Signature=SECRETSIG": "from fal-api-audio-uploads.s3.amazonaws.com:443, a host not in FAL_MEDIA_HOSTS",
		"http://127.0.0.3:8091/cdn/files/x.png?token=SECRETSIG":                            "from 127.0.0.3:8091, a host not in FAL_MEDIA_HOSTS",
		"https://CDN.Example.COM:8443/a/SECRETSIG.png":                                     "from cdn.example.com:8443, a host not in FAL_MEDIA_HOSTS",
	} {
		_, err := f.Fetch(context.Background(), raw)
		if !errors.Is(err, ErrUnsafeOutput) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", raw, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "SECRETSIG") {
			t.Errorf("%s: the refusal repeats the path or query: %v", raw, err)
		}
		// The name given is an entry that admits the URL.
		host := strings.TrimSuffix(strings.TrimPrefix(want, "from "), ", a host not in FAL_MEDIA_HOSTS")
		u, _ := url.Parse(raw)
		if err := checkURL(u, parseRules([]string{host})); err != nil {
			t.Errorf("%s: adding %q does not admit it: %v", raw, host, err)
		}
	}
}
