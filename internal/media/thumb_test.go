package media_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/testutil"
)

// noisyPNG is a w×h PNG of random pixels: it compresses as badly as a real photo-like output
// (a 1024×1024 one is ~3 MB, the size of fal's real images), unlike the simulator's patterns.
func noisyPNG(t testing.TB, w, h int, seed uint64) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bombPNG is a valid PNG signature and header chunk claiming w×h pixels, followed by a tiny
// IDAT: a few dozen bytes that would decode into w×h×4 bytes.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		_ = binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func decodeJPEG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("preview is not a JPEG: %v", err)
	}
	return img
}

func TestMakeThumbSizes(t *testing.T) {
	cases := []struct {
		name          string
		w, h          int
		wantW, wantH  int
		transparentAt bool
	}{
		{"square", 768, 768, 512, 512, false},
		{"portrait", 300, 600, 256, 512, false},
		{"landscape", 1024, 256, 512, 128, false},
		{"smaller than a preview stays its size", 100, 50, 100, 50, false},
		{"transparent becomes white", 64, 64, 64, 64, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var data []byte
			if c.transparentAt {
				var buf bytes.Buffer
				_ = png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, c.w, c.h))) // all pixels transparent
				data = buf.Bytes()
			} else {
				data = noisyPNG(t, c.w, c.h, 1)
			}
			th, err := media.MakeThumb(bytes.NewReader(data), 0)
			if err != nil {
				t.Fatal(err)
			}
			img := decodeJPEG(t, th.JPEG)
			if b := img.Bounds(); b.Dx() != c.wantW || b.Dy() != c.wantH || th.Width != c.wantW || th.Height != c.wantH {
				t.Fatalf("preview %v (reported %d×%d), want %d×%d", b, th.Width, th.Height, c.wantW, c.wantH)
			}
			if c.transparentAt {
				r, g, b, _ := img.At(10, 10).RGBA()
				if r>>8 < 240 || g>>8 < 240 || b>>8 < 240 {
					t.Fatalf("transparent pixel became %v", color.RGBAModel.Convert(img.At(10, 10)))
				}
			}
			if len(th.JPEG) >= len(data) && c.w >= 512 {
				t.Fatalf("preview %d bytes is not smaller than the %d-byte original", len(th.JPEG), len(data))
			}
		})
	}
}

func TestMakeThumbRefusesDecompressionBomb(t *testing.T) {
	bomb := bombPNG(100_000, 100_000) // 10 gigapixels: 40 GB decoded
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := media.MakeThumb(bytes.NewReader(bomb), 0)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, media.ErrTooManyPixels) {
		t.Fatalf("bomb: %v, want ErrTooManyPixels", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("refusing the bomb allocated %d bytes", grew)
	}
	if took > time.Second {
		t.Fatalf("refusing the bomb took %v", took)
	}
	// Just over a lower limit is refused the same way; just under is decoded.
	if _, err := media.MakeThumb(bytes.NewReader(noisyPNG(t, 101, 100, 2)), 10_000); !errors.Is(err, media.ErrTooManyPixels) {
		t.Fatalf("10,100 pixels over a 10,000 limit: %v", err)
	}
	if _, err := media.MakeThumb(bytes.NewReader(noisyPNG(t, 100, 100, 2)), 10_000); err != nil {
		t.Fatalf("10,000 pixels at a 10,000 limit: %v", err)
	}
}

func TestMakeThumbRefusesWhatIsNotAnImage(t *testing.T) {
	full := noisyPNG(t, 64, 64, 3)
	for name, data := range map[string][]byte{
		"html":      []byte("<!doctype html><script>alert(1)</script>"),
		"empty":     nil,
		"truncated": full[:len(full)/2],
	} {
		if _, err := media.MakeThumb(bytes.NewReader(data), 0); !errors.Is(err, media.ErrNotImage) {
			t.Errorf("%s: %v, want ErrNotImage", name, err)
		}
	}
}

func TestThumbKey(t *testing.T) {
	k := "users/7/image/1764000000000-a-fox-0123456789abcdef0123456789abcdef.png"
	if got := media.ThumbKey(k); got != "users/7/image/1764000000000-a-fox-0123456789abcdef0123456789abcdef.thumb.jpg" {
		t.Fatalf("thumb key %q", got)
	}
	if media.IsThumbKey(k) || !media.IsThumbKey(media.ThumbKey(k)) {
		t.Fatal("IsThumbKey")
	}
}

// A preview lives and dies with its original: Delete removes both, MoveToS3 moves both.
func TestPreviewFollowsItsOriginal(t *testing.T) {
	srv := testutil.StartS3(t, false)
	s3 := newS3(t, srv, nil, 5*time.Second)
	local, _ := media.NewLocal(t.TempDir())
	defer local.Close()
	st := media.NewStorage(local, s3)
	ctx := context.Background()
	data := noisyPNG(t, 300, 200, 4)
	th, err := media.MakeThumb(bytes.NewReader(data), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, backend := range []string{"local", "s3"} {
		key := "users/1/image/1-x-" + backend + ".png"
		var b media.Store = local
		if backend == "s3" {
			b = s3
		}
		if _, err := b.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/png"); err != nil {
			t.Fatal(err)
		}
		if err := st.PutThumb(ctx, backend, key, th.JPEG); err != nil {
			t.Fatal(err)
		}
		if obj, err := b.Stat(ctx, media.ThumbKey(key)); err != nil || obj.Size != int64(len(th.JPEG)) {
			t.Fatalf("%s preview: %+v %v", backend, obj, err)
		}
		if err := st.Delete(ctx, backend, key); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{key, media.ThumbKey(key)} {
			if _, err := b.Stat(ctx, k); !errors.Is(err, media.ErrNotFound) {
				t.Fatalf("%s: %s survived the delete: %v", backend, k, err)
			}
		}
	}

	// Re-sync: a file kept locally during an outage moves to S3 with its preview.
	key := "users/1/image/2-y-kept.png"
	if _, err := local.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/png"); err != nil {
		t.Fatal(err)
	}
	if err := st.PutThumb(ctx, "local", key, th.JPEG); err != nil {
		t.Fatal(err)
	}
	if err := st.MoveToS3(ctx, key, "image/png", int64(len(data)), func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{key, media.ThumbKey(key)} {
		if _, err := local.Stat(ctx, k); !errors.Is(err, media.ErrNotFound) {
			t.Fatalf("%s still on local disk after the move: %v", k, err)
		}
	}
	if got := readS3(t, s3, media.ThumbKey(key)); !bytes.Equal(got, th.JPEG) {
		t.Fatal("the preview in S3 differs")
	}
}

// BenchmarkMakeThumb is the cost of one preview of a real-size output (1024×1024 noisy PNG,
// ~3 MB), decode to encode.
func BenchmarkMakeThumb(b *testing.B) {
	data := noisyPNG(b, 1024, 1024, 5)
	b.SetBytes(int64(len(data)))
	var out int
	for b.Loop() {
		th, err := media.MakeThumb(bytes.NewReader(data), 0)
		if err != nil {
			b.Fatal(err)
		}
		out = len(th.JPEG)
	}
	b.ReportMetric(float64(len(data)), "original-bytes")
	b.ReportMetric(float64(out), "preview-bytes")
}
