package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // decoders the previews read
	"image/jpeg"
	_ "image/png"
	"io"
	"path"
	"strings"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"
)

// Thumbnails: a JPEG preview of at most ThumbSize pixels on the long side, stored beside its
// original (same backend, a key derived from the original's), so the gallery grid never loads
// full-size files. See docs/decisions.md for the library choice.

// ThumbSize is the long side of a preview in pixels: a grid tile is at most ~250 CSS px wide,
// so 512 stays sharp on a 2× screen.
const ThumbSize = 512

// ThumbContentType is the type of every preview.
const ThumbContentType = "image/jpeg"

// DefaultMaxPixels bounds what a preview may decode: 50 megapixels (an 8K image) is ~200 MB of
// RGBA at most. Anything larger is refused before a pixel is decoded.
const DefaultMaxPixels = 50_000_000

const thumbSuffix = ".thumb.jpg"

// ThumbKey is the preview's key for an original's key: the same name with .thumb.jpg in place of
// the extension, so the two sit side by side and the preview is found from the asset row alone.
func ThumbKey(key string) string {
	return strings.TrimSuffix(key, path.Ext(key)) + thumbSuffix
}

// IsThumbKey reports a preview's key (originals end in -{assetId}.{ext}, never .thumb.jpg).
func IsThumbKey(key string) bool { return strings.HasSuffix(key, thumbSuffix) }

// ErrTooManyPixels refuses an image whose header claims more pixels than allowed: a
// decompression bomb (a tiny file that would expand to gigabytes) fails here, cheaply.
var ErrTooManyPixels = errors.New("media: image has too many pixels for a preview")

// ErrNotImage is an input no registered decoder understands.
var ErrNotImage = errors.New("media: not a decodable image")

// maxHeader bounds how much of the file DecodeConfig may read (JPEG metadata before the frame
// header can be long; a header that needs more than this is refused).
const maxHeader = 4 << 20

// Thumb is a finished preview.
type Thumb struct {
	JPEG          []byte
	Width, Height int
}

// MakeThumb decodes an image and returns its preview. The header is read first and the pixel
// count checked before decoding, so memory is bounded by maxPixels, whatever the file claims.
func MakeThumb(r io.Reader, maxPixels int64) (*Thumb, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	rec := &recorder{r: r, max: maxHeader}
	cfg, _, err := image.DecodeConfig(rec)
	if errors.Is(err, errHeaderTooLong) {
		return nil, fmt.Errorf("%w: header over %d bytes", ErrNotImage, maxHeader)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, fmt.Errorf("%w: %d×%d", ErrTooManyPixels, cfg.Width, cfg.Height)
	}
	// Decode from the start: the bytes DecodeConfig consumed, then the rest of the stream.
	src, _, err := image.Decode(io.MultiReader(bytes.NewReader(rec.buf), r))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if long := max(w, h); long > ThumbSize {
		w, h = max(1, w*ThumbSize/long), max(1, h*ThumbSize/long)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	// JPEG has no alpha: transparent parts become white rather than black.
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	// CatmullRom filters over the whole source footprint, so a large downscale does not alias.
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 80}); err != nil {
		return nil, fmt.Errorf("media: encode preview: %w", err)
	}
	return &Thumb{JPEG: out.Bytes(), Width: w, Height: h}, nil
}

var errHeaderTooLong = errors.New("media: image header too long")

// recorder keeps what the header decoder reads, so the full decode can replay it.
type recorder struct {
	r   io.Reader
	buf []byte
	max int
}

func (c *recorder) Read(p []byte) (int, error) {
	if len(c.buf) >= c.max {
		return 0, errHeaderTooLong
	}
	if room := c.max - len(c.buf); len(p) > room {
		p = p[:room]
	}
	n, err := c.r.Read(p)
	c.buf = append(c.buf, p[:n]...)
	return n, err
}

// PutThumb stores a preview beside the original key in the given backend.
func (s *Storage) PutThumb(ctx context.Context, storage, key string, jpegBytes []byte) error {
	b, err := s.backend(storage)
	if err != nil {
		return err
	}
	_, err = b.Put(ctx, ThumbKey(key), bytes.NewReader(jpegBytes), int64(len(jpegBytes)), ThumbContentType)
	return err
}
