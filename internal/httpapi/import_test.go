package httpapi_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"testing"

	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/testutil"
)

// importForm posts a multipart import with the given file bytes and text fields.
func importForm(t *testing.T, c *testutil.Client, file []byte, fields map[string]string) *testutil.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if file != nil {
		fw, err := mw.CreateFormFile("file", "frame.gif") // the name and part type are never trusted
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(file); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return c.Do("POST", "/api/assets/import", &body, "Content-Type", mw.FormDataContentType())
}

func encodeImage(t *testing.T, w, h int, asJPEG bool) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	var err error
	if asJPEG {
		err = jpeg.Encode(&b, img, nil)
	} else {
		err = png.Encode(&b, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A header claiming a huge image: only the header is read.
func hugePNGHeader(t *testing.T) []byte {
	t.Helper()
	b := encodeImage(t, 1, 1, false)
	// IHDR width at offset 16 (big endian).
	b[16], b[17], b[18], b[19] = 0, 0, 0x40, 0x01 // 16385
	binary.BigEndian.PutUint32(b[29:33], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestImportImage(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // import needs no ffmpeg
	g := thumbEnv(t, nil)
	c := g.user(t, "import@example.com", "sim-key")
	vid := videoAsset(t, c, "none")
	pngBytes := encodeImage(t, 64, 48, false)

	r := importForm(t, c, pngBytes, map[string]string{"parentAssetId": vid, "relation": "frame", "atSeconds": "0.75"})
	if r.Status != 201 {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	a := decodeAsset(t, r)
	if a.Kind != "image" || a.ContentType != "image/png" || a.GenerationID != nil || a.Model != "fal-ai/veo3" || a.Prompt != "a clip clip:none" ||
		*a.Width != 64 || *a.Height != 48 || string(a.Params) != `{"atSeconds":0.75}` ||
		!bytes.Contains(r.Body, []byte(`"parent":{"assetId":"`+vid+`","relation":"frame"`)) {
		t.Fatalf("imported frame: %s", r.Body)
	}
	if got := c.Do("GET", a.URL, nil); !bytes.Equal(got.Body, pngBytes) {
		t.Fatal("the stored bytes differ from those sent")
	}
	// Without a parent: studio/import, no prompt, params {}.
	jpg := encodeImage(t, 10, 20, true)
	r = importForm(t, c, jpg, nil)
	if a := decodeAsset(t, r); r.Status != 201 || a.ContentType != "image/jpeg" || a.Model != "studio/import" || a.Prompt != "" || string(a.Params) != `{}` ||
		!bytes.Contains(r.Body, []byte(`"parent":null`)) {
		t.Fatalf("plain import: %d %s", r.Status, r.Body)
	}

	imgEv := waitDone(t, c, submit(t, c, "fal-ai/flux/schnell", "an image", nil).ID)
	image := imgEv[len(imgEv)-1].Assets[0].ID
	other := g.user(t, "import-other@example.com", "sim-key")
	gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
	big := append(encodeImage(t, 1, 1, false), make([]byte, 20<<20)...)
	for _, tc := range []struct {
		name   string
		c      *testutil.Client
		file   []byte
		fields map[string]string
		status int
		code   string
	}{
		{"no file", c, nil, map[string]string{"atSeconds": "1"}, 400, "invalid_input"},
		{"a gif", c, gif, nil, 400, "unsupported_input"},
		{"an svg", c, []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), nil, 400, "unsupported_input"},
		{"text", c, []byte("hello"), nil, 400, "unsupported_input"},
		{"a video", c, falsim.SampleMP4(), nil, 400, "unsupported_input"},
		{"over 20 MB", c, big, nil, 413, "too_large"},
		{"over 16384 px", c, hugePNGHeader(t), nil, 400, "invalid_input"},
		{"bad atSeconds", c, pngBytes, map[string]string{"atSeconds": "soon"}, 400, "invalid_input"},
		{"negative atSeconds", c, pngBytes, map[string]string{"atSeconds": "-1"}, 400, "invalid_input"},
		{"relation without parent", c, pngBytes, map[string]string{"relation": "frame"}, 400, "invalid_input"},
		{"other relation", c, pngBytes, map[string]string{"parentAssetId": vid, "relation": "extend"}, 400, "invalid_input"},
		{"image parent", c, pngBytes, map[string]string{"parentAssetId": image}, 400, "unsupported_input"},
		{"garbage parent", c, pngBytes, map[string]string{"parentAssetId": "a\x00b"}, 400, "invalid_input"},
		{"invalid UTF-8 parent", c, pngBytes, map[string]string{"parentAssetId": "a\xffb"}, 400, "invalid_input"},
		{"unknown parent", c, pngBytes, map[string]string{"parentAssetId": "nope"}, 404, "not_found"},
		{"another's parent", other, pngBytes, map[string]string{"parentAssetId": vid}, 404, "not_found"},
	} {
		if r := importForm(t, tc.c, tc.file, tc.fields); r.Status != tc.status || r.ErrorCode() != tc.code {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	var page struct{ Assets []videoAssetJSON }
	if err := jsonInto(c.Do("GET", "/api/assets?kind=image", nil).Body, &page); err != nil || len(page.Assets) != 3 {
		t.Fatalf("images after the refusals: %d %v", len(page.Assets), err)
	}
}
