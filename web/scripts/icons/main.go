// Command icons draws the installable app's PNG icons (SPEC §16.1): the violet diamond of the
// favicon on the dark theme colour; the maskable one full-bleed with the mark inside the 80 % safe zone.
package main

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
)

// icon draws the studio's mark (a violet diamond) on a full-bleed dark background; r is the
// diamond's half-diagonal as a fraction of the size. 4×4 supersampling smooths the edges.
func icon(size int, r float64, rounded bool, path string) {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	bg := [3]float64{0x11, 0x13, 0x18}
	fg := [3]float64{0x8b, 0x5c, 0xf6}
	const ss = 4
	c := float64(size) / 2
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			in, inBg := 0, 0
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					px := float64(x) + (float64(sx)+0.5)/ss
					py := float64(y) + (float64(sy)+0.5)/ss
					if math.Abs(px-c)+math.Abs(py-c) <= r*float64(size) {
						in++
					}
					if !rounded || insideRounded(px, py, float64(size), 0.22) {
						inBg++
					}
				}
			}
			a := float64(in) / (ss * ss)
			var col [3]float64
			for i := range col {
				col[i] = bg[i]*(1-a) + fg[i]*a
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(col[0] + .5), uint8(col[1] + .5), uint8(col[2] + .5), uint8(255 * float64(inBg) / (ss * ss))})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(f, img); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}

func insideRounded(x, y, size, frac float64) bool {
	rad := size * frac
	cx := math.Min(math.Max(x, rad), size-rad)
	cy := math.Min(math.Max(y, rad), size-rad)
	return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= rad*rad
}

// main writes the icons into the folder given (go run ./web/scripts/icons web/public/icons).
func main() {
	d := os.Args[1]
	icon(192, 0.34, true, d+"/icon-192.png")
	icon(512, 0.34, true, d+"/icon-512.png")
	icon(512, 0.28, false, d+"/maskable-512.png")
	icon(180, 0.30, false, d+"/apple-touch-icon.png")
}
