package testutil

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"testing"

	"golang.org/x/image/webp"
)

// DecodeImage decodes a PNG, JPEG or (any other type) WebP file, failing the test if it cannot.
func DecodeImage(t testing.TB, b []byte, contentType string) image.Image {
	t.Helper()
	var img image.Image
	var err error
	switch contentType {
	case "image/png":
		img, err = png.Decode(bytes.NewReader(b))
	case "image/jpeg":
		img, err = jpeg.Decode(bytes.NewReader(b))
	default:
		img, err = webp.Decode(bytes.NewReader(b))
	}
	if err != nil {
		t.Fatalf("decode %s: %v", contentType, err)
	}
	return img
}

// PixelDiff describes the first difference between two images ("" when they have the same
// bounds and the same colours, alpha included).
func PixelDiff(a, b image.Image) string {
	if a.Bounds() != b.Bounds() {
		return fmt.Sprintf("bounds %v vs %v", a.Bounds(), b.Bounds())
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return fmt.Sprintf("pixel %d,%d changed", x, y)
			}
		}
	}
	return ""
}
