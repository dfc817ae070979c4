package httpapi_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/falsim"
)

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

// The JSON API is gzipped for clients that ask; event streams, media and small answers are not.
func TestJSONCompressionScenarios(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "gzip@example.com", "sim-gzip-key")
	gen := submit(t, c, "fal-ai/flux/schnell", "a compressed fox", nil)
	waitDone(t, c, gen.ID)
	var assets struct {
		Assets []struct{ ID, URL string } `json:"assets"`
	}
	if err := json.Unmarshal(c.Do("GET", "/api/assets", nil).Body, &assets); err != nil || len(assets.Assets) != 1 {
		t.Fatalf("assets: %v %+v", err, assets)
	}
	// A raw client: Go's transport would ask for gzip by itself and undo it.
	raw := *c.HTTP
	raw.Transport = &http.Transport{DisableCompression: true}
	get := func(t *testing.T, path, accept string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", c.Base+path, nil)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		resp, err := raw.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		return resp, b
	}
	plainModels := c.Do("GET", "/api/models", nil, "Accept-Encoding", "identity").Body
	if len(plainModels) < 1024 {
		t.Fatalf("the model list is too small (%d bytes) to show compression", len(plainModels))
	}
	cases := []struct {
		name, path, accept string
		gzipped            bool
		vary               bool
	}{
		{"large JSON, gzip accepted", "/api/models", "gzip, deflate, br", true, true},
		{"large JSON, gzip rated", "/api/models", "br;q=1, gzip;q=0.5", true, true},
		{"large JSON, gzip refused", "/api/models", "gzip;q=0", false, true},
		{"large JSON, no header", "/api/models", "", false, true},
		{"small JSON", "/api/me", "gzip", false, true},
		{"small JSON error", "/api/no-such-route", "gzip", false, true},
		{"media", assets.Assets[0].URL, "gzip", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, tc.path, tc.accept)
			if gz := resp.Header.Get("Content-Encoding") == "gzip"; gz != tc.gzipped {
				t.Fatalf("Content-Encoding %q, want gzip: %v", resp.Header.Get("Content-Encoding"), tc.gzipped)
			}
			if v := strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Accept-Encoding"); v != tc.vary {
				t.Errorf("Vary %v, want Accept-Encoding: %v", resp.Header.Values("Vary"), tc.vary)
			}
			if tc.gzipped {
				if resp.Header.Get("Content-Length") != "" && resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
					t.Errorf("Content-Length %s for %d bytes", resp.Header.Get("Content-Length"), len(body))
				}
				plain := gunzip(t, body)
				if !bytes.Equal(plain, plainModels) {
					t.Fatalf("gzipped models differ from the plain answer")
				}
				if len(body)*2 > len(plain) {
					t.Errorf("gzip saved little: %d → %d bytes", len(plain), len(body))
				}
			} else if tc.path == "/api/models" && !bytes.Equal(body, plainModels) {
				t.Fatalf("plain models differ")
			}
			if tc.path == assets.Assets[0].URL && resp.Header.Get("Content-Type") != "image/png" {
				t.Errorf("media type %q", resp.Header.Get("Content-Type"))
			}
		})
	}

	t.Run("event stream", func(t *testing.T) {
		// A job that keeps running ("slow" in the simulator): its events arrive one by one while
		// the stream is open, so nothing buffers them, and uncompressed though gzip is offered.
		slow := submit(t, c, "fal-ai/flux/schnell", "a slow fox", nil)
		req, _ := http.NewRequest("GET", c.Base+"/api/generations/"+slow.ID+"/events", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		client := raw
		client.Timeout = 20 * time.Second
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.Header.Get("Content-Encoding") != "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("events: %v", resp.Header)
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		events := 0
		for events < 2 && sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var g generationJSON
				if err := json.Unmarshal([]byte(line), &g); err != nil {
					t.Fatalf("event %q: %v", line, err)
				}
				events++
			}
		}
		if events < 2 {
			t.Fatalf("%d events from an open stream (%v)", events, sc.Err())
		}
	})
}
