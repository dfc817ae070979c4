package httpapi_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/testutil"
)

// pushService is a Web Push service on 127.0.0.1 (RFC 8030): it records every message and
// answers each endpoint with the statuses scripted for it (then 201).
type pushService struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []pushReq
	// script: endpoint path → statuses to answer, in order.
	script map[string][]int
	in     chan pushReq
}

type pushReq struct {
	Path   string
	Header http.Header
	Body   []byte
}

func newPushService(t *testing.T) *pushService {
	p := &pushService{script: map[string][]int{}, in: make(chan pushReq, 64)}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("push service read: %v", err)
			return
		}
		req := pushReq{Path: r.URL.Path, Header: r.Header.Clone(), Body: b}
		p.mu.Lock()
		status := http.StatusCreated
		if s := p.script[r.URL.Path]; len(s) > 0 {
			status, p.script[r.URL.Path] = s[0], s[1:]
			if status == http.StatusGone {
				p.script[r.URL.Path] = append(p.script[r.URL.Path], http.StatusGone)
			}
		}
		p.got = append(p.got, req)
		p.mu.Unlock()
		w.WriteHeader(status)
		if status < 300 {
			p.in <- req
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *pushService) all() []pushReq {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]pushReq(nil), p.got...)
}

// browser is one browser profile's push keys (the user agent side of RFC 8291).
type browser struct {
	priv *ecdh.PrivateKey
	auth []byte
}

func newBrowser(t *testing.T) *browser {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	if _, err := rand.Read(auth); err != nil {
		t.Fatal(err)
	}
	return &browser{priv: k, auth: auth}
}

func (b *browser) subscription(endpoint string) map[string]any {
	return map[string]any{"endpoint": endpoint, "expirationTime": nil, "keys": map[string]string{
		"p256dh": base64.RawURLEncoding.EncodeToString(b.priv.PublicKey().Bytes()),
		"auth":   base64.RawURLEncoding.EncodeToString(b.auth)}}
}

// decrypt opens an aes128gcm Web Push body (RFC 8291 over RFC 8188) with the browser's keys.
func (b *browser) decrypt(t *testing.T, body []byte) []byte {
	t.Helper()
	if len(body) > 4096 || len(body) < 21+65+17 {
		t.Fatalf("body of %d bytes", len(body))
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if idlen != 65 || rs < 18 {
		t.Fatalf("header: rs %d idlen %d", rs, idlen)
	}
	asPublic := body[21 : 21+65]
	ct := body[21+65:]
	if len(ct) > int(rs) {
		t.Fatalf("more than one record: %d > rs %d", len(ct), rs)
	}
	as, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		t.Fatalf("as_public: %v", err)
	}
	secret, err := b.priv.ECDH(as)
	if err != nil {
		t.Fatal(err)
	}
	info := append(append([]byte("WebPush: info\x00"), b.priv.PublicKey().Bytes()...), asPublic...)
	ikm, err := hkdf.Key(sha256.New, secret, b.auth, string(info), 32)
	if err != nil {
		t.Fatal(err)
	}
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		t.Fatal(err)
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := aes.NewCipher(cek)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	plain = bytes.TrimRight(plain, "\x00")
	if len(plain) == 0 || plain[len(plain)-1] != 2 {
		t.Fatalf("the last record's delimiter is not 0x02")
	}
	return plain[:len(plain)-1]
}

// checkVAPID verifies the Authorization header (RFC 8292): the ES256 JWT signed by the key the
// studio publishes, with aud, exp and sub as SPEC §16.3 says.
func checkVAPID(t *testing.T, h http.Header, publicKey, aud, sub string) {
	t.Helper()
	v, ok := strings.CutPrefix(h.Get("Authorization"), "vapid ")
	if !ok {
		t.Fatalf("Authorization %q", h.Get("Authorization"))
	}
	var tok, k string
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if s, ok := strings.CutPrefix(part, "t="); ok {
			tok = s
		} else if s, ok := strings.CutPrefix(part, "k="); ok {
			k = s
		}
	}
	if k != publicKey {
		t.Fatalf("k=%q, the key GET /api/push/key gives is %q", k, publicKey)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT %q", tok)
	}
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("JWT part %q: %v", s, err)
		}
		return b
	}
	var hdr map[string]string
	if err := json.Unmarshal(dec(parts[0]), &hdr); err != nil || hdr["alg"] != "ES256" || hdr["typ"] != "JWT" {
		t.Fatalf("JWT header %s (%v)", dec(parts[0]), err)
	}
	var claims struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(dec(parts[1]), &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Aud != aud || claims.Sub != sub {
		t.Fatalf("claims %+v, want aud %q sub %q", claims, aud, sub)
	}
	if until := time.Until(time.Unix(claims.Exp, 0)); until <= 0 || until > 24*time.Hour {
		t.Fatalf("exp is %v ahead", until)
	}
	sig := dec(parts[2])
	if len(sig) != 64 {
		t.Fatalf("signature of %d bytes, want r‖s (64)", len(sig))
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), dec(k))
	if err != nil {
		t.Fatalf("public key: %v", err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, digest[:], r, s) {
		t.Fatal("the VAPID signature does not verify with the studio's public key")
	}
}

type pushEnv struct {
	sim    *falsim.Server
	studio *testutil.Studio
	ps     *pushService
}

func newPushEnv(t *testing.T) *pushEnv {
	ps := newPushService(t)
	sim := falsim.NewTest(t, falsim.Options{})
	env := sim.URLs().Env()
	env["PUSH_HOSTS"] = strings.TrimPrefix(ps.srv.URL, "http://")
	env["PUSH_ALLOW_INSECURE_LOOPBACK"] = "true"
	env["VAPID_SUBJECT"] = "mailto:ops@example.com"
	opts := app.Options{Generation: generation.Options{PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond},
		PushRetryBase: 5 * time.Millisecond}
	return &pushEnv{sim: sim, studio: testutil.NewStudio(t, testutil.StudioOptions{Env: env, App: opts}), ps: ps}
}

// A job that ends while its owner has no studio tab open is pushed, encrypted and signed, to
// each of the owner's subscriptions (a busy service is retried, a gone one removed); a job that
// ends while a tab is open is not pushed.
func TestPushWhenAJobEnds(t *testing.T) {
	e := newPushEnv(t)
	c := e.studio.NewClient(t)
	c.SignUp("pushed@example.com", goodPassword)
	if r := c.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key-secret"}); r.Status != 200 {
		t.Fatalf("key: %d %s", r.Status, r.Body)
	}
	var key struct{ PublicKey string }
	mustJSON(t, c.Do("GET", "/api/push/key", nil), 200, &key)
	if pk, err := base64.RawURLEncoding.DecodeString(key.PublicKey); err != nil || len(pk) != 65 || pk[0] != 4 {
		t.Fatalf("public key %q (%v)", key.PublicKey, err)
	}
	phone, gone := newBrowser(t), newBrowser(t)
	e.ps.script["/push/phone"] = []int{http.StatusServiceUnavailable} // busy once: retried
	e.ps.script["/push/gone"] = []int{http.StatusGone}
	for _, sub := range []struct {
		b    *browser
		path string
	}{{phone, "/push/phone"}, {gone, "/push/gone"}} {
		if r := c.Do("POST", "/api/push/subscriptions", sub.b.subscription(e.ps.srv.URL+sub.path), "User-Agent", "TestPhone/1.0"); r.Status != 201 {
			t.Fatalf("subscribe: %d %s", r.Status, r.Body)
		}
	}

	// A tab is open: the job's end is shown there, not pushed.
	st, _ := openStream(t, c, "/api/events")
	st.ready(t)
	first := submit(t, c, "fal-ai/flux/schnell", "seen in the open tab", nil)
	for {
		ev := decodeEvent(t, st.next(t))
		if ev.ID == first.ID && ev.Status == "succeeded" {
			break
		}
	}
	st.cancel()
	<-st.closed
	waitNoOpenStream(t, e.studio)

	// Away: a failed job is pushed.
	prompt := strings.Repeat("a red fox in the snow at dawn, soft light ", 6) + "invalid"
	second := submit(t, c, "fal-ai/flux/schnell", prompt, nil)
	var got pushReq
	select {
	case got = <-e.ps.in:
	case <-time.After(30 * time.Second):
		t.Fatalf("no push arrived; the push service saw %d requests", len(e.ps.all()))
	}
	if got.Path != "/push/phone" {
		t.Fatalf("delivered to %s", got.Path)
	}
	for k, want := range map[string]string{"TTL": "86400", "Urgency": "normal", "Content-Encoding": "aes128gcm",
		"Content-Type": "application/octet-stream", "Cookie": ""} {
		if g := got.Header.Get(k); g != want {
			t.Fatalf("header %s = %q, want %q", k, g, want)
		}
	}
	checkVAPID(t, got.Header, key.PublicKey, e.ps.srv.URL, "mailto:ops@example.com")
	plain := phone.decrypt(t, got.Body)
	var msg map[string]string
	if err := json.Unmarshal(plain, &msg); err != nil {
		t.Fatalf("payload %s: %v", plain, err)
	}
	if len(msg) != 6 || msg["type"] != "generation" || msg["id"] != second.ID || msg["status"] != "failed" ||
		msg["url"] != "/create?generation="+second.ID || !strings.HasSuffix(msg["title"], " · failed") {
		t.Fatalf("payload %s", plain)
	}
	if body := []rune(msg["body"]); len(body) > 120 || !strings.HasSuffix(msg["body"], "…") || !strings.HasPrefix(prompt, strings.TrimSuffix(msg["body"], "…")) {
		t.Fatalf("body %q", msg["body"])
	}
	for _, secret := range []string{"pushed@example.com", "sim-key-secret", "invalid"} {
		if bytes.Contains(plain, []byte(secret)) {
			t.Fatalf("the payload carries %q: %s", secret, plain)
		}
	}

	// Stopping waits for the messages in flight: then exactly what is expected was sent.
	e.studio.Stop()
	// The VAPID private key never reaches a log line or a message.
	priv, err := os.ReadFile(filepath.Join(e.studio.DataDir, "vapid_private_key"))
	if err != nil {
		t.Fatal(err)
	}
	k := strings.TrimSpace(string(priv))
	if len(k) < 40 || strings.Contains(e.studio.Logs.String(), k) || strings.Contains(e.studio.Logs.String(), "/push/phone") {
		t.Fatalf("the key or an endpoint's path is in the log")
	}
	for _, r := range e.ps.all() {
		if bytes.Contains(r.Body, []byte(k)) || strings.Contains(fmt.Sprint(r.Header), k) {
			t.Fatal("the VAPID private key was sent")
		}
	}
	var phoneN, goneN int
	for _, r := range e.ps.all() {
		switch r.Path {
		case "/push/phone":
			phoneN++
		case "/push/gone":
			goneN++
		}
	}
	if phoneN != 2 || goneN != 1 { // the phone: 503 then delivered; gone: one 410, no retry
		t.Fatalf("the push service saw %d requests for the phone and %d for the gone one", phoneN, goneN)
	}
	var left []string
	rows, err := testutil.OpenDB(t, e.studio.DataDir).Query(`SELECT endpoint FROM push_subscriptions`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var ep string
		if err := rows.Scan(&ep); err != nil {
			t.Fatal(err)
		}
		left = append(left, ep)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || !strings.HasSuffix(left[0], "/push/phone") {
		t.Fatalf("subscriptions left: %v (the 410 one must be removed)", left)
	}
}

// waitNoOpenStream waits (bounded) until the server has noticed that the closed stream closed.
func waitNoOpenStream(t *testing.T, s *testutil.Studio) {
	t.Helper()
	db := testutil.OpenDB(t, s.DataDir)
	for range 200 {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM open_streams WHERE closed_at IS NULL`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("the closed event stream still counts as open after 5 s")
}

// Subscriptions: validated, listed without endpoint or keys, owned by one person at a time.
func TestPushSubscriptions(t *testing.T) {
	e := newPushEnv(t)
	a, b := e.studio.NewClient(t), e.studio.NewClient(t)
	a.SignUp("a@example.com", goodPassword)
	b.SignUp("b@example.com", goodPassword)
	br := newBrowser(t)
	good := br.subscription(e.ps.srv.URL + "/push/a")
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	keys := func(p256dh, auth any) map[string]any {
		return with("keys", map[string]any{"p256dh": p256dh, "auth": auth})
	}
	host := strings.TrimPrefix(e.ps.srv.URL, "http://")
	port := host[strings.LastIndex(host, ":"):]
	for _, tc := range []struct {
		name string
		body map[string]any
		code string
	}{
		{"no endpoint", with("endpoint", nil), "invalid_input"},
		{"endpoint a number", with("endpoint", 5), "invalid_input"},
		{"unknown field", with("extra", 1), "invalid_input"},
		{"expirationTime a string", with("expirationTime", "soon"), "invalid_input"},
		{"another host", with("endpoint", "https://push.example.com/x"), "invalid_push_endpoint"},
		{"look-alike", with("endpoint", "https://fcm.googleapis.com.evil.example/x"), "invalid_push_endpoint"},
		{"user info", with("endpoint", "http://user@"+host+"/x"), "invalid_push_endpoint"},
		{"fragment", with("endpoint", e.ps.srv.URL+"/x#f"), "invalid_push_endpoint"},
		{"another port", with("endpoint", "http://127.0.0.1:1"+port[1:]+"/x"), "invalid_push_endpoint"},
		{"relative", with("endpoint", "/push/a"), "invalid_push_endpoint"},
		{"other scheme", with("endpoint", "ftp://"+host+"/x"), "invalid_push_endpoint"},
		{"private literal", with("endpoint", "https://10.0.0.1/x"), "invalid_push_endpoint"},
		{"v6 literal", with("endpoint", "https://[fd00::1]/x"), "invalid_push_endpoint"},
		{"decimal literal", with("endpoint", "http://2130706433"+port+"/x"), "invalid_push_endpoint"},
		{"hex literal", with("endpoint", "http://0x7f.1"+port+"/x"), "invalid_push_endpoint"},
		{"too long", with("endpoint", e.ps.srv.URL+"/"+strings.Repeat("a", 2100)), "invalid_push_endpoint"},
		{"p256dh short", keys(base64.RawURLEncoding.EncodeToString(make([]byte, 64)), good["keys"].(map[string]string)["auth"]), "invalid_input"},
		{"p256dh off the curve", keys(base64.RawURLEncoding.EncodeToString(append([]byte{4}, make([]byte, 64)...)), good["keys"].(map[string]string)["auth"]), "invalid_input"},
		{"auth 15 bytes", keys(good["keys"].(map[string]string)["p256dh"], base64.RawURLEncoding.EncodeToString(make([]byte, 15))), "invalid_input"},
		{"auth a number", keys(good["keys"].(map[string]string)["p256dh"], 7), "invalid_input"},
	} {
		if r := a.Do("POST", "/api/push/subscriptions", tc.body); r.Status != 400 || r.ErrorCode() != tc.code {
			t.Errorf("%s: %d %s, want 400 %s", tc.name, r.Status, r.Body, tc.code)
		}
	}
	// The fcm default host is not allowed here (PUSH_HOSTS replaces the list).
	if r := a.Do("POST", "/api/push/subscriptions", with("endpoint", "https://fcm.googleapis.com/fcm/send/x")); r.ErrorCode() != "invalid_push_endpoint" {
		t.Errorf("a host PUSH_HOSTS does not list: %d %s", r.Status, r.Body)
	}
	var created struct {
		Subscription map[string]any `json:"subscription"`
	}
	mustJSON(t, a.Do("POST", "/api/push/subscriptions", good, "User-Agent", "Phone/1"), 201, &created)
	id := created.Subscription["id"].(string)
	if len(created.Subscription) != 3 || created.Subscription["userAgent"] != "Phone/1" {
		t.Fatalf("subscription %v", created.Subscription)
	}
	// Same endpoint again (padded keys): the same id, 200.
	padded := keys(good["keys"].(map[string]string)["p256dh"]+"=", good["keys"].(map[string]string)["auth"]+"==")
	var again struct{ Subscription struct{ ID string } }
	mustJSON(t, a.Do("POST", "/api/push/subscriptions", padded), 200, &again)
	if again.Subscription.ID != id {
		t.Fatalf("the same endpoint got id %s, was %s", again.Subscription.ID, id)
	}
	r := a.Do("GET", "/api/push/subscriptions", nil)
	if r.Status != 200 || bytes.Contains(r.Body, []byte("/push/a")) || bytes.Contains(r.Body, []byte("p256dh")) || !bytes.Contains(r.Body, []byte(id)) {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	if r := b.Do("DELETE", "/api/push/subscriptions/"+id, nil); r.Status != 404 {
		t.Fatalf("another person's delete: %d", r.Status)
	}
	// b signs in on the same browser profile: the endpoint moves to b.
	mustJSON(t, b.Do("POST", "/api/push/subscriptions", good), 201, &created)
	var list struct{ Subscriptions []map[string]any }
	mustJSON(t, a.Do("GET", "/api/push/subscriptions", nil), 200, &list)
	if len(list.Subscriptions) != 0 {
		t.Fatalf("a still holds %v", list.Subscriptions)
	}
	if r := b.Do("DELETE", "/api/push/subscriptions/"+created.Subscription["id"].(string), nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	// At most 20: the oldest goes.
	for i := range 21 {
		if r := a.Do("POST", "/api/push/subscriptions", newBrowser(t).subscription(fmt.Sprintf("%s/push/%d", e.ps.srv.URL, i))); r.Status != 201 {
			t.Fatalf("subscribe %d: %d %s", i, r.Status, r.Body)
		}
	}
	mustJSON(t, a.Do("GET", "/api/push/subscriptions", nil), 200, &list)
	if len(list.Subscriptions) != 20 {
		t.Fatalf("%d subscriptions kept", len(list.Subscriptions))
	}

	// Settings.
	var n struct{ Notifications map[string]bool }
	mustJSON(t, a.Do("GET", "/api/me/notifications", nil), 200, &n)
	if !n.Notifications["push"] || !n.Notifications["onlyWhenAway"] {
		t.Fatalf("defaults %v", n.Notifications)
	}
	mustJSON(t, a.Do("PUT", "/api/me/notifications", map[string]any{"onlyWhenAway": false}), 200, &n)
	if !n.Notifications["push"] || n.Notifications["onlyWhenAway"] {
		t.Fatalf("after PUT %v", n.Notifications)
	}
	for _, bad := range []map[string]any{{}, {"push": "yes"}, {"other": true}} {
		if r := a.Do("PUT", "/api/me/notifications", bad); r.Status != 400 || r.ErrorCode() != "invalid_input" {
			t.Errorf("PUT %v: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := e.studio.NewClient(t).Do("GET", "/api/push/subscriptions", nil); r.Status != 401 {
		t.Fatalf("without a session: %d", r.Status)
	}
}
