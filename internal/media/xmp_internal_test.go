package media

import (
	"bytes"
	"os"
	"testing"
)

// The structure walkers read files fal returned: whatever the bytes, they never panic or loop,
// and a plan never reaches past the file.
func FuzzMarkParsers(f *testing.F) {
	for _, name := range []string{"testdata/lossy.webp", "testdata/lossless.webp", "testdata/alpha.webp"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x00IDAT"))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x10Exif\x00\x00\xff\xda"))
	packet := XMPPacket(Provenance{Model: "m"})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, ct := range []string{"image/png", "image/jpeg", "image/webp"} {
			HasC2PA(bytes.NewReader(b), ct)
			ReadXMP(b)
			sp, err := planMark(bytes.NewReader(b), ct, int64(len(b)), packet)
			if err != nil || sp == nil {
				continue
			}
			for _, p := range sp.pieces {
				if p.lit == nil && (p.off < 0 || p.off+p.n > int64(len(b))) {
					t.Fatalf("%s: piece %d+%d outside a %d-byte file", ct, p.off, p.n, len(b))
				}
			}
		}
	})
}
