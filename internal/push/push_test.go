package push

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

func newTestService(t testing.TB, hosts []string, loopback bool) *Service {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(nil, Options{Key: k.Bytes(), Subject: "mailto:ops@example.com", Hosts: hosts, AllowInsecureLoopback: loopback})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCheckEndpoint(t *testing.T) {
	s := newTestService(t, []string{"fcm.googleapis.com", "*.push.apple.com", "127.0.0.1:9300"}, true)
	for _, ok := range []string{"https://127.0.0.1:9300/x", "https://fcm.googleapis.com/fcm/send/abc", "https://FCM.googleapis.com:443/x", "https://web.push.apple.com/x",
		"https://api.push.apple.com/x", "http://127.0.0.1:9300/push/1"} {
		if err := s.CheckEndpoint(ok); err != nil {
			t.Errorf("%s refused", ok)
		}
	}
	for _, bad := range []string{"https://push.apple.com/x", "https://fcm.googleapis.com.evil.example/x", "https://user@fcm.googleapis.com/x",
		"https://fcm.googleapis.com:8443/x", "http://fcm.googleapis.com/x", "ftp://fcm.googleapis.com/x", "/fcm/send", "fcm.googleapis.com/x",
		"https://fcm.googleapis.com/x#frag", "https://10.0.0.1/x", "https://[fd00::1]/x", "https://2130706433/x", "https://0x7f.1/x",
		"http://127.0.0.1:9301/x", "http://localhost:9300/x", "https://fcm.googleapis.com/" + strings.Repeat("a", 2048), ""} {
		if err := s.CheckEndpoint(bad); !errors.Is(err, ErrInvalidEndpoint) {
			t.Errorf("%q accepted", bad)
		}
	}
	// Without PUSH_ALLOW_INSECURE_LOOPBACK no http endpoint passes.
	if err := newTestService(t, []string{"127.0.0.1:9300"}, false).CheckEndpoint("http://127.0.0.1:9300/x"); err == nil {
		t.Error("http accepted without the loopback switch")
	}
}

// A host allowed by name that resolves to a loopback address is refused when dialing: nothing
// reaches it (DNS is not ours).
func TestSendRefusesANameThatResolvesInside(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	host := "localhost:" + u.Port()
	s := newTestService(t, []string{host}, false)
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sub := &store.PushSubscription{Endpoint: "https://" + host + "/push", P256dh: k.PublicKey().Bytes(), Auth: make([]byte, 16)}
	_, _, err = s.send(context.Background(), sub, []byte(`{}`))
	if err == nil || hits.Load() != 0 {
		t.Fatalf("sent to a name resolving to loopback: err %v, hits %d", err, hits.Load())
	}
	if strings.Contains(err.Error(), "/push") {
		t.Fatalf("the error names the endpoint's path: %v", err)
	}
}

func TestPayload(t *testing.T) {
	s := newTestService(t, nil, false)
	s.opts.ModelName = func(id string) string {
		if id == "fal-ai/flux/dev" {
			return "FLUX.1 [dev]"
		}
		return ""
	}
	long := strings.Repeat("a red fox in the snow at dawn, soft light ", 5)
	for _, tc := range []struct {
		g             model.Generation
		title, bodyIs string
	}{
		{model.Generation{ID: "g1", Model: "fal-ai/flux/dev", Prompt: "a fox", Status: model.StatusSucceeded}, "FLUX.1 [dev] · ready", "a fox"},
		{model.Generation{ID: "g2", Model: "owner/custom-model", Prompt: long, Status: model.StatusFailed}, "owner/custom-model · failed", ""},
		{model.Generation{ID: "g3", Model: strings.Repeat("m", 150), Prompt: strings.Repeat("é", 300), Status: model.StatusFailed}, "", ""},
	} {
		b, err := s.payload(&tc.g)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if len(m) != 6 || m["type"] != "generation" || m["id"] != tc.g.ID || m["status"] != tc.g.Status || m["url"] != "/create?generation="+tc.g.ID {
			t.Fatalf("payload %s", b)
		}
		if tc.title != "" && m["title"] != tc.title {
			t.Fatalf("title %q, want %q", m["title"], tc.title)
		}
		if utf8.RuneCountInString(m["title"]) > 100 || utf8.RuneCountInString(m["body"]) > 120 {
			t.Fatalf("too long: %q / %q", m["title"], m["body"])
		}
		if tc.bodyIs != "" && m["body"] != tc.bodyIs {
			t.Fatalf("body %q", m["body"])
		}
		if len([]rune(tc.g.Prompt)) > 120 && (!strings.HasSuffix(m["body"], "…") || strings.HasSuffix(strings.TrimSuffix(m["body"], "…"), " ")) {
			t.Fatalf("a long prompt is cut at a word with …: %q", m["body"])
		}
	}
}

func TestClassify(t *testing.T) {
	for status, want := range map[int]outcome{200: delivered, 201: delivered, 202: delivered, 404: gone, 410: gone, 429: retry, 500: retry,
		503: retry, 400: refused, 401: refused, 403: refused, 413: refused, 301: refused, 302: refused} {
		if got := classify(status); got != want {
			t.Errorf("%d: %v, want %v", status, got, want)
		}
	}
}

func FuzzCheckEndpoint(f *testing.F) {
	for _, s := range []string{"https://fcm.googleapis.com/x", "http://127.0.0.1:9300/x", "https://a.push.apple.com/x", "https://[::1]/x", "https://x@y/z"} {
		f.Add(s)
	}
	s := newTestService(f, []string{"fcm.googleapis.com", "*.push.apple.com", "127.0.0.1:9300"}, true)
	f.Fuzz(func(t *testing.T, raw string) {
		if s.CheckEndpoint(raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || u.User != nil || u.Fragment != "" || len(raw) > maxEndpoint {
			t.Fatalf("accepted %q", raw)
		}
		h := strings.ToLower(u.Hostname())
		switch {
		case u.Scheme == "https" && (h == "fcm.googleapis.com" || strings.HasSuffix(h, ".push.apple.com")) && (u.Port() == "" || u.Port() == "443"):
		case u.Scheme == "http" && h == "127.0.0.1" && u.Port() == "9300":
		default:
			t.Fatalf("accepted %q", raw)
		}
	})
}
