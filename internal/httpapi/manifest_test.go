package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/testutil"
	"github.com/falstudio/falstudio/web"
)

// The built UI is installable (SPEC §16.1): the manifest, its icons (real PNGs of their declared
// sizes, a full-bleed maskable one) and the service worker answer without a session, and every
// UI address links them.
func TestInstallableManifest(t *testing.T) {
	st := testutil.NewStudio(t, testutil.StudioOptions{App: app.Options{UI: web.Dist()}})
	c := st.NewClient(t) // no session

	r := c.Do("GET", "/manifest.webmanifest", nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/manifest+json" {
		t.Fatalf("manifest: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	var m struct {
		ID, Name, ShortName, StartURL, Scope, Display, ThemeColor, BackgroundColor string
		Icons                                                                      []struct{ Src, Sizes, Type, Purpose string }
		ShareTarget                                                                struct {
			Action, Method, Enctype string
			Params                  struct {
				Title, Text, URL string
				Files            []struct {
					Name   string
					Accept []string
				}
			}
		}
	}
	// The manifest's keys are snake_case: decode through a renaming map.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &raw); err != nil {
		t.Fatalf("manifest %s: %v", r.Body, err)
	}
	renamed := map[string]json.RawMessage{}
	for k, v := range raw {
		renamed[strings.ReplaceAll(k, "_", "")] = v
	}
	b, err := json.Marshal(renamed)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	colour := regexp.MustCompile(`^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	if m.ID != "/" || m.StartURL != "/" || m.Scope != "/" || m.Display != "standalone" || m.Name == "" ||
		len([]rune(m.ShortName)) > 12 || !colour.MatchString(m.ThemeColor) || !colour.MatchString(m.BackgroundColor) {
		t.Fatalf("manifest %s", r.Body)
	}
	stt := m.ShareTarget
	if stt.Action != "/share-target" || stt.Method != "POST" || stt.Enctype != "multipart/form-data" || len(stt.Params.Files) != 1 ||
		stt.Params.Files[0].Name != "media" || strings.Join(stt.Params.Files[0].Accept, ",") != "image/*,video/*" || stt.Params.Text != "text" {
		t.Fatalf("share_target %+v", stt)
	}
	var any192, any512, maskable bool
	for _, ic := range m.Icons {
		var w, h int
		if _, err := fmt.Sscanf(ic.Sizes, "%dx%d", &w, &h); err != nil || ic.Type != "image/png" {
			t.Fatalf("icon %+v", ic)
		}
		img := getPNG(t, c, ic.Src)
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
			t.Fatalf("%s is %v, declared %s", ic.Src, b.Size(), ic.Sizes)
		}
		switch {
		case ic.Purpose == "any" && w == 192 && h == 192:
			any192 = true
		case ic.Purpose == "any" && w == 512 && h == 512:
			any512 = true
		case ic.Purpose == "maskable" && w >= 192:
			maskable = true
			for _, p := range []image.Point{{0, 0}, {w - 1, 0}, {0, h - 1}, {w - 1, h - 1}, {w / 2, 0}, {0, h / 2}} {
				if _, _, _, a := img.At(p.X, p.Y).RGBA(); a != 0xffff {
					t.Fatalf("the maskable icon is not opaque at %v", p)
				}
			}
		}
	}
	if !any192 || !any512 || !maskable {
		t.Fatalf("icons: any 192 %v, any 512 %v, maskable %v", any192, any512, maskable)
	}

	sw := c.Do("GET", "/sw.js", nil)
	if sw.Status != 200 || !strings.HasPrefix(sw.Header.Get("Content-Type"), "text/javascript") || sw.Header.Get("Cache-Control") != "no-cache" ||
		!bytes.Contains(sw.Body, []byte("'push'")) || !bytes.Contains(sw.Body, []byte("'notificationclick'")) {
		t.Fatalf("sw.js: %d %v", sw.Status, sw.Header)
	}
	for _, path := range []string{"/", "/create", "/login", "/gallery"} {
		page := c.Do("GET", path, nil)
		body := string(page.Body)
		if page.Status != 200 || !strings.Contains(body, `<link rel="manifest" href="/manifest.webmanifest"`) ||
			!strings.Contains(body, `<meta name="theme-color" content="`+m.ThemeColor+`"`) || !strings.Contains(body, `rel="apple-touch-icon"`) {
			t.Fatalf("%s: %d lacks the manifest, theme colour or touch icon", path, page.Status)
		}
		csp := page.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "worker-src") || strings.Contains(csp, "manifest-src") {
			t.Fatalf("%s CSP %q", path, csp)
		}
		if path == "/" {
			href := regexp.MustCompile(`rel="apple-touch-icon" href="([^"]+)"`).FindStringSubmatch(body)
			if href == nil {
				t.Fatal("no apple-touch-icon href")
			}
			if b := getPNG(t, c, href[1]).Bounds(); b.Dx() != 180 || b.Dy() != 180 {
				t.Fatalf("apple-touch-icon is %v", b.Size())
			}
		}
	}
}

func getPNG(t *testing.T, c *testutil.Client, path string) image.Image {
	t.Helper()
	r := c.Do("GET", path, nil)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("%s: %d %q", path, r.Status, r.Header.Get("Content-Type"))
	}
	img, err := png.Decode(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	return img
}
