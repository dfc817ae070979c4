package media_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/webp"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/testutil"
)

var prov = media.Provenance{Model: "fal-ai/flux/dev", Prompt: `a "fox" <in> the & snow 🦊`, CreatedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}

func testImage() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, 37, 23))
	for y := range 23 {
		for x := range 37 {
			img.Set(x, y, color.NRGBA{uint8(x * 7), uint8(y * 11), uint8(x * y), uint8(128 + x)})
		}
	}
	return img
}

func encodePNG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// jpegWithExif is a JPEG whose header starts with an Exif APP1 segment.
func jpegWithExif(t *testing.T) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	exif := []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x00")
	seg := append([]byte{0xFF, 0xE1}, binary.BigEndian.AppendUint16(nil, uint16(len(exif)+2))...)
	seg = append(seg, exif...)
	out := append([]byte{}, b.Bytes()[:2]...)
	out = append(out, seg...)
	return append(out, b.Bytes()[2:]...)
}

// mark plans and materialises a marked copy through local storage, reading it with seeks the
// way Range requests do.
func mark(t *testing.T, orig []byte, ctype string, packet []byte) []byte {
	t.Helper()
	local, err := media.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := media.NewStorage(local, nil)
	ctx := context.Background()
	if _, err := st.Save(ctx, "k/file", bytes.NewReader(orig), int64(len(orig)), ctype); err != nil {
		t.Fatal(err)
	}
	sp, err := st.PlanMark(ctx, "local", "k/file", ctype, int64(len(orig)), packet)
	if err != nil || sp == nil {
		t.Fatalf("plan: %v %v", sp, err)
	}
	r := st.Reader(ctx, "local", "k/file", sp)
	defer r.Close()
	whole, err := io.ReadAll(r)
	if err != nil || int64(len(whole)) != sp.Size {
		t.Fatalf("read %d of %d: %v", len(whole), sp.Size, err)
	}
	// Every range reads as the same bytes of the whole.
	for _, rg := range [][2]int{{0, 1}, {3, 40}, {len(whole) / 3, len(whole)/3 + 77}, {len(whole) - 5, len(whole)}} {
		if _, err := r.Seek(int64(rg[0]), io.SeekStart); err != nil {
			t.Fatal(err)
		}
		part := make([]byte, min(rg[1], len(whole))-rg[0])
		if _, err := io.ReadFull(r, part); err != nil || !bytes.Equal(part, whole[rg[0]:rg[0]+len(part)]) {
			t.Fatalf("range %v differs (%v)", rg, err)
		}
	}
	return whole
}

func checkPacket(t *testing.T, got string, withPrompt bool) {
	t.Helper()
	for _, want := range []string{"<x:xmpmeta", "<rdf:RDF", "<rdf:Description", `xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"`,
		"<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>",
		"<Iptc4xmpExt:AISystemUsed>fal-ai/flux/dev</Iptc4xmpExt:AISystemUsed>", "<xmp:CreatorTool>fal-studio</xmp:CreatorTool>",
		"<xmp:CreateDate>2026-12-01T10:00:00Z</xmp:CreateDate>"} {
		if !strings.Contains(got, want) {
			t.Fatalf("packet lacks %s:\n%s", want, got)
		}
	}
	hasPrompt := strings.Contains(got, "<Iptc4xmpExt:AIPromptInformation>a &#34;fox&#34; &lt;in&gt; the &amp; snow 🦊</Iptc4xmpExt:AIPromptInformation>")
	if hasPrompt != withPrompt || (!withPrompt && strings.Contains(got, "fox")) {
		t.Fatalf("prompt in the packet: %v, want %v:\n%s", hasPrompt, withPrompt, got)
	}
}

func samePixels(t *testing.T, a, b image.Image) {
	t.Helper()
	if d := testutil.PixelDiff(a, b); d != "" {
		t.Fatal(d)
	}
}

// A marked copy carries the packet where SPEC §13.3 puts it, replaces one already there, and
// decodes to exactly the original's pixels.
func TestMarkedCopies(t *testing.T) {
	webps := map[string]string{}
	for _, name := range []string{"lossy.webp", "lossless.webp", "alpha.webp"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		webps[name] = string(b)
	}
	cases := []struct {
		name, ctype string
		orig        []byte
	}{
		{"png", "image/png", encodePNG(t)},
		{"jpeg with exif", "image/jpeg", jpegWithExif(t)},
		{"webp lossy (VP8)", "image/webp", []byte(webps["lossy.webp"])},
		{"webp lossless (VP8L)", "image/webp", []byte(webps["lossless.webp"])},
		{"webp extended with alpha", "image/webp", []byte(webps["alpha.webp"])},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := testutil.DecodeImage(t, c.orig, c.ctype)
			for _, withPrompt := range []bool{true, false} {
				p := prov
				if !withPrompt {
					p.Prompt = ""
				}
				marked := mark(t, c.orig, c.ctype, media.XMPPacket(p))
				checkPacket(t, media.ReadXMP(marked), withPrompt)
				samePixels(t, before, testutil.DecodeImage(t, marked, c.ctype))
				// Marked again: the packet is replaced, never doubled.
				p2 := p
				p2.Model = "fal-ai/other"
				twice := mark(t, marked, c.ctype, media.XMPPacket(p2))
				if n := strings.Count(string(twice), "<x:xmpmeta"); n != 1 || !strings.Contains(media.ReadXMP(twice), "fal-ai/other") {
					t.Fatalf("marked twice holds %d packets", n)
				}
				samePixels(t, before, testutil.DecodeImage(t, twice, c.ctype))
				checkLayout(t, c.ctype, c.orig, marked)
			}
		})
	}
}

// checkLayout holds each format to its placement rules.
func checkLayout(t *testing.T, ctype string, orig, marked []byte) {
	t.Helper()
	switch ctype {
	case "image/png":
		xmp, idat := bytes.Index(marked, []byte("iTXtXML:com.adobe.xmp\x00\x00\x00\x00\x00")), bytes.Index(marked, []byte("IDAT"))
		if xmp < 0 || idat < xmp {
			t.Fatalf("iTXt at %d, first IDAT at %d", xmp, idat)
		}
		n := int(binary.BigEndian.Uint32(marked[xmp-4:]))
		if crc32.ChecksumIEEE(marked[xmp:xmp+4+n]) != binary.BigEndian.Uint32(marked[xmp+4+n:]) {
			t.Fatal("iTXt CRC")
		}
		if !bytes.Equal(marked[idat-4:], orig[bytes.Index(orig, []byte("IDAT"))-4:]) {
			t.Fatal("the image data and what follows changed")
		}
	case "image/jpeg":
		exif, xmp := bytes.Index(marked, []byte("Exif\x00\x00")), bytes.Index(marked, []byte("http://ns.adobe.com/xap/1.0/\x00"))
		if exif < 0 || xmp < exif || marked[xmp-4] != 0xFF || marked[xmp-3] != 0xE1 {
			t.Fatalf("Exif at %d, XMP APP1 at %d", exif, xmp)
		}
	case "image/webp":
		if string(marked[12:16]) != "VP8X" || marked[20]&0x04 == 0 || int(binary.LittleEndian.Uint32(marked[4:8])) != len(marked)-8 {
			t.Fatalf("webp header %q flags %08b size %d/%d", marked[12:16], marked[20], binary.LittleEndian.Uint32(marked[4:8]), len(marked)-8)
		}
		cfg, err := webp.DecodeConfig(bytes.NewReader(marked))
		w := int(marked[24]) | int(marked[25])<<8 | int(marked[26])<<16
		h := int(marked[27]) | int(marked[28])<<8 | int(marked[29])<<16
		if err != nil || cfg.Width != w+1 || cfg.Height != h+1 {
			t.Fatalf("canvas %dx%d vs image %+v (%v)", w+1, h+1, cfg, err)
		}
		if bytes.Contains(orig, []byte("ALPH")) != (marked[20]&0x10 != 0) && !bytes.Contains(orig, []byte("VP8L")) {
			t.Fatalf("alpha flag %08b", marked[20])
		}
	}
}

// A file holding a C2PA manifest is never marked (anything added would break its signature),
// and HasC2PA says so.
func TestC2PAFilesAreNotMarked(t *testing.T) {
	pngFile := encodePNG(t)
	i := bytes.Index(pngFile, []byte("IDAT")) - 4
	cabx := append(binary.BigEndian.AppendUint32(nil, 4), []byte("caBXjumb")...)
	cabx = binary.BigEndian.AppendUint32(cabx, crc32.ChecksumIEEE(cabx[4:]))
	pngC2PA := append(append(append([]byte{}, pngFile[:i]...), cabx...), pngFile[i:]...)

	jpg := jpegWithExif(t)
	jumbf := []byte("JP\x00\x01\x00\x00\x00\x01\x00\x00\x00\x40jumb\x00\x00\x00\x20jumd")
	jumbf = append(jumbf, make([]byte, 16)...) // the type UUID
	jumbf = append(jumbf, 0x03)
	jumbf = append(jumbf, "c2pa\x00"...)
	app11 := append([]byte{0xFF, 0xEB}, binary.BigEndian.AppendUint16(nil, uint16(len(jumbf)+2))...)
	jpgC2PA := append(append(append([]byte{}, jpg[:2]...), append(app11, jumbf...)...), jpg[2:]...)

	w, err := os.ReadFile("testdata/lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	webpC2PA := append(append([]byte{}, w...), []byte("C2PA\x04\x00\x00\x00jumb")...)
	binary.LittleEndian.PutUint32(webpC2PA[4:], uint32(len(webpC2PA)-8))

	for _, c := range []struct {
		name, ctype string
		b           []byte
		c2pa        bool
	}{
		{"png", "image/png", pngFile, false}, {"png caBX", "image/png", pngC2PA, true},
		{"jpeg", "image/jpeg", jpg, false}, {"jpeg APP11 c2pa", "image/jpeg", jpgC2PA, true},
		{"webp", "image/webp", w, false}, {"webp C2PA", "image/webp", webpC2PA, true},
	} {
		if got := media.HasC2PA(bytes.NewReader(c.b), c.ctype); got != c.c2pa {
			t.Fatalf("%s: HasC2PA %v", c.name, got)
		}
		local, err := media.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		st := media.NewStorage(local, nil)
		if _, err := st.Save(context.Background(), "k", bytes.NewReader(c.b), int64(len(c.b)), c.ctype); err != nil {
			t.Fatal(err)
		}
		sp, err := st.PlanMark(context.Background(), "local", "k", c.ctype, int64(len(c.b)), media.XMPPacket(prov))
		if err != nil || (sp == nil) != c.c2pa {
			t.Fatalf("%s: plan %v %v", c.name, sp, err)
		}
	}
	// Other types and malformed files are served as stored.
	for _, c := range []struct{ ctype, body string }{{"video/mp4", "...."}, {"image/png", "not a png"}, {"image/jpeg", "\xff\xd8\xff"}, {"image/webp", "RIFF"}} {
		local, err := media.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		st := media.NewStorage(local, nil)
		if _, err := st.Save(context.Background(), "k", strings.NewReader(c.body), int64(len(c.body)), c.ctype); err != nil {
			t.Fatal(err)
		}
		if sp, err := st.PlanMark(context.Background(), "local", "k", c.ctype, int64(len(c.body)), media.XMPPacket(prov)); sp != nil || err != nil {
			t.Fatalf("%s %q: %v %v", c.ctype, c.body, sp, err)
		}
	}
}
