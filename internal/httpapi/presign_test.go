package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/testutil"
)

// noFollow is c's client (its session cookie) without following redirects.
func noFollow(c *testutil.Client) *http.Client {
	h := *c.HTTP
	h.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &h
}

// get sends a GET and returns the answer with its body read.
func get(t *testing.T, hc *http.Client, u string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// With S3_PRESIGN, media held in S3 answers a 302 to a short-lived presigned GET on versitygw,
// its type and (for downloads) disposition signed in; access is checked first exactly as when
// streaming; a file kept on local disk still streams.
func TestPresignedMediaRedirects(t *testing.T) {
	srv := testutil.StartS3(t, false)
	makeBucket(t, srv, "presign")
	env := srv.Env("presign")
	env["S3_PRESIGN"], env["S3_PRESIGN_TTL"] = "true", "2m"
	g := thumbEnv(t, env)
	c := g.user(t, "presign@example.com", "sim-key")
	other := g.user(t, "other@example.com", "sim-key")
	anon := g.studio.NewClient(t)

	ev := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "a fox", nil).ID)
	a := getAsset(t, c, ev[len(ev)-1].Assets[0].ID)
	if a.Storage != "s3" || a.ThumbURL == nil || a.URL != "/media/"+a.ID {
		t.Fatalf("asset: %+v", a)
	}
	if r := c.Do("GET", "/api/assets/"+a.ID, nil); bytes.Contains(r.Body, []byte("X-Amz")) {
		t.Fatalf("a presigned URL in JSON: %s", r.Body)
	}
	hc, plain := noFollow(c), &http.Client{}
	base := g.studio.URL

	// /media/{id}: a 302 to the object, type signed in, no disposition for an inline image.
	resp, _ := get(t, hc, base+"/media/"+a.ID)
	loc := resp.Header.Get("Location")
	u, err := url.Parse(loc)
	if resp.StatusCode != 302 || err != nil || !strings.HasPrefix(loc, srv.Endpoint+"/presign/") {
		t.Fatalf("media: %d %q", resp.StatusCode, loc)
	}
	q := u.Query()
	if q.Get("X-Amz-Expires") != "120" || q.Get("response-content-type") != "image/png" || q.Has("response-content-disposition") ||
		!strings.Contains(q.Get("X-Amz-SignedHeaders"), "host") || q.Get("X-Amz-Signature") == "" {
		t.Fatalf("presigned query: %v", q)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "private, max-age=96" {
		t.Fatalf("redirect Cache-Control %q", cc)
	}
	obj, body := get(t, plain, loc)
	if obj.StatusCode != 200 || obj.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(body, []byte("\x89PNG")) {
		t.Fatalf("object: %d %v", obj.StatusCode, obj.Header)
	}
	// Range goes to S3 as the browser repeats it there.
	if part, b := get(t, plain, loc, "Range", "bytes=0-7"); part.StatusCode != 206 || len(b) != 8 {
		t.Fatalf("range at S3: %d %d bytes", part.StatusCode, len(b))
	}

	// Exactly what the studio sends when it streams a download.
	want := mime.FormatMediaType("attachment", map[string]string{"filename": a.ID + ".png"})
	// ?download=1 of an image is its marked copy (SPEC §13.3: XMP spliced in), which is never
	// replaced by a redirect to the original object: the studio streams it.
	resp, body = get(t, hc, base+"/media/"+a.ID+"?download=1")
	if resp.StatusCode != 200 || resp.Header.Get("Location") != "" || resp.Header.Get("Content-Disposition") != want ||
		!bytes.Contains(body, []byte("trainedAlgorithmicMedia")) {
		t.Fatalf("marked download: %d Location %q disposition %q", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Content-Disposition"))
	}
	// The original's download redirects, the studio's own Content-Disposition signed in; a
	// changed value is refused.
	resp, _ = get(t, hc, base+"/media/"+a.ID+"?download=1&original=1")
	dl := resp.Header.Get("Location")
	du, err := url.Parse(dl)
	if resp.StatusCode != 302 || err != nil || du.Query().Get("response-content-disposition") != want {
		t.Fatalf("download redirect: %d %q", resp.StatusCode, dl)
	}
	if obj, _ := get(t, plain, dl); obj.StatusCode != 200 || obj.Header.Get("Content-Disposition") != want {
		t.Fatalf("download at S3: %d %q", obj.StatusCode, obj.Header.Get("Content-Disposition"))
	}
	tq := du.Query()
	tq.Set("response-content-disposition", `attachment; filename="evil.html"`)
	du.RawQuery = tq.Encode()
	if obj, _ := get(t, plain, du.String()); obj.StatusCode != 403 {
		t.Fatalf("a changed disposition answered %d, want 403", obj.StatusCode)
	}

	// The thumbnail: its own object and type.
	resp, _ = get(t, hc, base+*a.ThumbURL)
	tl := resp.Header.Get("Location")
	if resp.StatusCode != 302 || !strings.Contains(tl, ".thumb.jpg") || !strings.Contains(tl, "response-content-type=image%2Fjpeg") {
		t.Fatalf("thumb: %d %q", resp.StatusCode, tl)
	}
	if obj, _ := get(t, plain, tl); obj.StatusCode != 200 || obj.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumb at S3: %d %v", obj.StatusCode, obj.Header)
	}

	// Access first: never a Location for another user, no session, a missing asset.
	for _, tc := range []struct {
		name string
		hc   *http.Client
		path string
		code int
	}{
		{"another user's media", noFollow(other), "/media/" + a.ID, 404},
		{"another user's thumb", noFollow(other), *a.ThumbURL, 404},
		{"no session", noFollow(anon), "/media/" + a.ID, 401},
		{"no session, thumb", noFollow(anon), *a.ThumbURL, 401},
		{"missing asset", hc, "/media/nope", 404},
	} {
		resp, body := get(t, tc.hc, base+tc.path)
		if resp.StatusCode != tc.code || resp.Header.Get("Location") != "" || bytes.Contains(body, []byte("X-Amz")) {
			t.Errorf("%s: %d Location %q", tc.name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}

	// Share media: a redirect that no cache keeps; a revoked link answers 404 without one.
	var sh shareJSON
	mustJSON(t, c.Do("POST", "/api/shares", map[string]any{"assetId": a.ID}), 201, &sh)
	m := tokenURL.FindStringSubmatch(*sh.Share.URL)
	if m == nil {
		t.Fatalf("share url %q", *sh.Share.URL)
	}
	// A shared image is its marked copy (SPEC §13.3), streamed, never a redirect to the original.
	resp, body = get(t, noFollow(anon), base+"/s/"+m[1]+"/media/"+a.ID+"?download=1")
	if resp.StatusCode != 200 || resp.Header.Get("Location") != "" || !bytes.Contains(body, []byte("trainedAlgorithmicMedia")) {
		t.Fatalf("shared image: %d %v", resp.StatusCode, resp.Header)
	}
	// Other shared media (a video) redirects.
	vev := waitDone(t, c, submit(t, c, "fal-ai/veo3", "a fox running", nil).ID)
	vid := vev[len(vev)-1].Assets[0].ID
	var vsh shareJSON
	mustJSON(t, c.Do("POST", "/api/shares", map[string]any{"assetId": vid}), 201, &vsh)
	vm := tokenURL.FindStringSubmatch(*vsh.Share.URL)
	resp, _ = get(t, noFollow(anon), base+"/s/"+vm[1]+"/media/"+vid+"?download=1")
	if resp.StatusCode != 302 || resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(resp.Header.Get("Location"), "response-content-disposition=attachment") {
		t.Fatalf("share media: %d %v", resp.StatusCode, resp.Header)
	}
	if r := c.Do("DELETE", "/api/shares/"+sh.Share.ID, nil); r.Status != 204 {
		t.Fatalf("revoke: %d", r.Status)
	}
	if resp, _ := get(t, noFollow(anon), base+"/s/"+m[1]+"/media/"+a.ID); resp.StatusCode != 404 || resp.Header.Get("Location") != "" {
		t.Fatalf("revoked share media: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// A presigned URL stops working when it expires (signed here for 1 s: the studio's shortest
	// is a minute).
	var key string
	if err := testutil.OpenDB(t, g.studio.DataDir).QueryRow(`SELECT storage_key FROM assets WHERE id = $1`, a.ID).Scan(&key); err != nil {
		t.Fatal(err)
	}
	short, err := g.studio.App.Storage().PresignGet(context.Background(), "s3", key, time.Second, "image/png", "")
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 15*time.Second, "the presigned URL to expire", func() bool {
		resp, _ := get(t, plain, short)
		return resp.StatusCode == 403
	})

	// S3 down: the file is kept on local disk and streamed, never redirected.
	srv.Stop()
	ev = waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "during the outage", nil).ID)
	kept := ev[len(ev)-1].Assets[0]
	if kept.Storage != "local" {
		t.Fatalf("outage asset: %+v", kept)
	}
	resp, body = get(t, hc, base+"/media/"+kept.ID)
	if resp.StatusCode != 200 || resp.Header.Get("Location") != "" || !bytes.HasPrefix(body, []byte("\x89PNG")) {
		t.Fatalf("local media: %d %v", resp.StatusCode, resp.Header)
	}
}
