package httpapi_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/testutil"
)

// seedFile stores body as one of the user's assets of content type ctype.
func (e *libEnv) seedFile(t *testing.T, userID int64, prompt, ctype string, body []byte, created time.Time) string {
	t.Helper()
	ctx := context.Background()
	id := strings.ToLower(strconv.FormatInt(time.Now().UnixNano(), 36)) + "x" + strconv.Itoa(len(e.files))
	key := media.ObjectKey(userID, model.KindImage, prompt, id, ctype, created)
	saved, err := e.studio.App.Library().Storage().Save(ctx, key, bytes.NewReader(body), int64(len(body)), ctype)
	if err != nil {
		t.Fatal(err)
	}
	a := &model.Asset{ID: id, UserID: userID, Model: "fal-ai/flux/dev", Prompt: prompt, Kind: model.KindImage, StorageKey: key,
		Storage: saved.Storage, ContentType: ctype, Bytes: saved.Bytes, Width: 37, Height: 23, CreatedAt: created}
	if ok, err := e.studio.App.Store().InsertAsset(ctx, a); err != nil || !ok {
		t.Fatalf("insert asset: %v %v", ok, err)
	}
	e.files[id] = body
	return id
}

func sampleImage() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, 37, 23))
	for y := range 23 {
		for x := range 37 {
			img.Set(x, y, color.NRGBA{uint8(x * 7), uint8(y * 11), uint8(x * y), 255})
		}
	}
	return img
}

func pixelsEqual(t *testing.T, what string, a, b image.Image) {
	t.Helper()
	if d := testutil.PixelDiff(a, b); d != "" {
		t.Fatalf("%s: %s", what, d)
	}
}

const provPrompt = "a fox & a <hare> under the \"moon\""

// Provenance (SPEC §13.3): downloads, ZIP entries and shared images carry the XMP packet with the
// pixels unchanged; inline views and ?original=1 are the stored bytes; the opt-out keeps the
// prompt out of every file and changes the ETag.
func TestProvenanceInServedFiles(t *testing.T) {
	e := newLibEnv(t)
	created := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var pngB, jpgB bytes.Buffer
	if err := png.Encode(&pngB, sampleImage()); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jpgB, sampleImage(), nil); err != nil {
		t.Fatal(err)
	}
	webpB, err := os.ReadFile("../media/testdata/lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"image/png": pngB.Bytes(), "image/jpeg": jpgB.Bytes(), "image/webp": webpB}
	ids := map[string]string{}
	for ctype, body := range files {
		ids[ctype] = e.seedFile(t, e.aID, provPrompt, ctype, body, created)
	}
	anon := e.studio.NewClient(t)
	escaped := "a fox &amp; a &lt;hare&gt; under the &#34;moon&#34;"

	check := func(what string, got []byte, ctype string, withPrompt bool) {
		t.Helper()
		x := media.ReadXMP(got)
		for _, want := range []string{media.DigitalSourceTypeAI, "<Iptc4xmpExt:AISystemUsed>fal-ai/flux/dev<", "<xmp:CreatorTool>fal-studio<",
			"<xmp:CreateDate>2026-12-01T10:00:00Z<"} {
			if !strings.Contains(x, want) {
				t.Fatalf("%s: the packet lacks %q: %q", what, want, x)
			}
		}
		if strings.Contains(x, "<Iptc4xmpExt:AIPromptInformation>"+escaped+"<") != withPrompt {
			t.Fatalf("%s: prompt in the packet %v, want %v", what, !withPrompt, withPrompt)
		}
		if !withPrompt && (bytes.Contains(got, []byte("hare")) || bytes.Contains(got, []byte("moon"))) {
			t.Fatalf("%s: the prompt is in the file after the opt-out", what)
		}
		pixelsEqual(t, what, testutil.DecodeImage(t, files[ctype], ctype), testutil.DecodeImage(t, got, ctype))
	}

	var sh shareJSON
	coll := createCollection(t, e.a, "Provenance")
	mustJSON(t, e.a.Do("POST", "/api/collections/"+coll+"/assets", map[string]any{"assetIds": []string{ids["image/png"], ids["image/jpeg"], ids["image/webp"]}}), 200, nil)
	mustJSON(t, e.a.Do("POST", "/api/shares", map[string]any{"collectionId": coll}), 201, &sh)
	token := tokenURL.FindStringSubmatch(*sh.Share.URL)[1]
	var pub struct {
		Assets []struct {
			ID          string
			AIGenerated *bool `json:"aiGenerated"`
		}
	}
	mustJSON(t, anon.Do("GET", "/api/s/"+token, nil), 200, &pub)
	if len(pub.Assets) != 3 || pub.Assets[0].AIGenerated == nil || !*pub.Assets[0].AIGenerated {
		t.Fatalf("share page assets: %+v", pub.Assets)
	}

	etags := map[string]string{}
	for _, withPrompt := range []bool{true, false} {
		if !withPrompt {
			var prefs struct{ Preferences struct{ EmbedPrompt *bool } }
			mustJSON(t, e.a.Do("PUT", "/api/me/preferences", map[string]any{"embedPrompt": false}), 200, &prefs)
			if prefs.Preferences.EmbedPrompt == nil || *prefs.Preferences.EmbedPrompt {
				t.Fatalf("preferences after the opt-out: %+v", prefs)
			}
		}
		for ctype, id := range ids {
			inline := e.a.Do("GET", "/media/"+id, nil)
			original := e.a.Do("GET", "/media/"+id+"?download=1&original=1", nil)
			if !bytes.Equal(inline.Body, files[ctype]) || !bytes.Equal(original.Body, files[ctype]) {
				t.Fatalf("%s: inline or original is not the stored bytes", ctype)
			}
			dl := e.a.Do("GET", "/media/"+id+"?download=1", nil)
			if dl.Status != 200 || dl.Header.Get("Content-Length") != strconv.Itoa(len(dl.Body)) || !strings.HasPrefix(dl.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("%s download: %d %v", ctype, dl.Status, dl.Header)
			}
			check(ctype+" download", dl.Body, ctype, withPrompt)
			tag := dl.Header.Get("ETag")
			if tag == "" || tag == inline.Header.Get("ETag") || tag == etags[ctype] {
				t.Fatalf("%s: download ETag %q (inline %q, before %q)", ctype, tag, inline.Header.Get("ETag"), etags[ctype])
			}
			etags[ctype] = tag
			// Range counts the marked copy.
			rg := e.a.Do("GET", "/media/"+id+"?download=1", nil, "Range", "bytes=10-49")
			if rg.Status != 206 || !bytes.Equal(rg.Body, dl.Body[10:50]) || rg.Header.Get("Content-Range") != "bytes 10-49/"+strconv.Itoa(len(dl.Body)) {
				t.Fatalf("%s range: %d %q", ctype, rg.Status, rg.Header.Get("Content-Range"))
			}
			if r := e.a.Do("GET", "/media/"+id+"?download=1", nil, "If-None-Match", tag); r.Status != 304 {
				t.Fatalf("%s: revalidation %d", ctype, r.Status)
			}
			shared := anon.Do("GET", "/s/"+token+"/media/"+id, nil)
			if shared.Status != 200 {
				t.Fatalf("%s share media: %d", ctype, shared.Status)
			}
			check(ctype+" share", shared.Body, ctype, withPrompt)
		}
		zr := e.a.Do("GET", "/api/export.zip?collection="+coll, nil)
		if zr.Status != 200 {
			t.Fatalf("export: %d", zr.Status)
		}
		entries := readZip(t, zr.Body)
		found := 0
		for name, body := range entries {
			for ctype, id := range ids {
				if strings.Contains(name, id) {
					check(ctype+" zip entry", body, ctype, withPrompt)
					found++
				}
			}
		}
		if found != 3 || !bytes.Contains(entries["metadata.json"], []byte("hare")) {
			t.Fatalf("zip: %d image entries; metadata lists the prompt: %v", found, bytes.Contains(entries["metadata.json"], []byte("hare")))
		}
	}

	// Preferences: only the keys named change; bad bodies change nothing.
	for _, body := range []string{`{"embedPrompt":"no"}`, `{"other":true}`, `[]`, `"x"`, `{"embedPrompt":null}`, `null`} {
		if r := e.a.Do("PUT", "/api/me/preferences", body, "Content-Type", "application/json"); r.Status != 400 || r.ErrorCode() != "invalid_input" {
			t.Fatalf("PUT %s: %d %s", body, r.Status, r.Body)
		}
	}
	var prefs struct{ Preferences map[string]any }
	mustJSON(t, e.a.Do("GET", "/api/me/preferences", nil), 200, &prefs)
	if prefs.Preferences["embedPrompt"] != false || len(prefs.Preferences) != 1 {
		t.Fatalf("preferences: %v", prefs.Preferences)
	}
	mustJSON(t, e.a.Do("PUT", "/api/me/preferences", map[string]any{}), 200, &prefs)
	if prefs.Preferences["embedPrompt"] != false {
		t.Fatalf("an empty PUT changed: %v", prefs.Preferences)
	}
	mustJSON(t, e.b.Do("GET", "/api/me/preferences", nil), 200, &prefs)
	if prefs.Preferences["embedPrompt"] != true {
		t.Fatalf("another person's default: %v", prefs.Preferences)
	}
}

// An output carrying a C2PA manifest is recognised when it is saved (contentCredentials) and
// served unchanged everywhere, downloads and shares included.
func TestContentCredentialsKeptIntact(t *testing.T) {
	g := newGenEnv(t, falsim.Options{}, nil, "")
	c := g.user(t, "c2pa@example.com", "sim-key")
	signed, _ := makeAsset(t, c, "fal-ai/flux/schnell", "a "+falsim.PromptC2PAOutput+" fox", nil)
	plain, _ := makeAsset(t, c, "fal-ai/flux/schnell", "a plain fox", nil)
	if signed.ContentCredentials == nil || !signed.ContentCredentials.Present || plain.ContentCredentials == nil || plain.ContentCredentials.Present {
		t.Fatalf("contentCredentials: signed %+v plain %+v", signed.ContentCredentials, plain.ContentCredentials)
	}
	stored := c.Do("GET", signed.URL, nil).Body
	if !bytes.Contains(stored, []byte("caBX")) {
		t.Fatal("the stored original lost its manifest")
	}
	if dl := c.Do("GET", signed.URL+"?download=1", nil); !bytes.Equal(dl.Body, stored) {
		t.Fatal("a download of a C2PA original was changed")
	}
	if dl := c.Do("GET", plain.URL+"?download=1", nil); media.ReadXMP(dl.Body) == "" {
		t.Fatal("a plain output's download is not marked")
	}
	var sh shareJSON
	mustJSON(t, c.Do("POST", "/api/shares", map[string]any{"assetId": signed.ID}), 201, &sh)
	if r := g.studio.NewClient(t).Do("GET", *sh.Share.URL+"/media/"+signed.ID, nil); !bytes.Equal(r.Body, stored) {
		t.Fatal("a shared C2PA original was changed")
	}
}
