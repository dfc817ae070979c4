package media

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"time"
)

// Provenance in served files (SPEC §13.3). A marked copy is the stored original with one XMP
// packet added (replacing one already there): every other chunk or segment and the image data
// are copied unchanged, never decoded, so the pixels stay the original's. A copy is described
// by a Splice (ranges of the original and literal bytes) planned from the file's header
// structure, and streamed from storage piece by piece, so memory stays bounded whatever the
// file's size, and Range requests count the marked copy.

// Provenance is what a marked copy says about the file.
type Provenance struct {
	Model     string    // the model id (Iptc4xmpExt:AISystemUsed)
	Prompt    string    // "" leaves Iptc4xmpExt:AIPromptInformation out
	CreatedAt time.Time // xmp:CreateDate
}

// XMP property values and namespaces.
const (
	DigitalSourceTypeAI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
	nsIptcExt           = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
	nsXMP               = "http://ns.adobe.com/xap/1.0/"
	creatorTool         = "fal-studio"
	// maxPacket keeps a packet inside one JPEG APP1 segment (65535 less the length field and
	// the namespace header).
	maxPacket = 65535 - 2 - len(jpegXMPHeader)
)

// XMPPacket is the XMP packet of p: well-formed UTF-8 XML, values escaped. A prompt too long to
// fit one JPEG segment is left out (the studio's prompts always fit: 10,000 characters).
func XMPPacket(p Provenance) []byte {
	build := func(withPrompt bool) []byte {
		var b bytes.Buffer
		esc := func(s string) {
			if err := xml.EscapeText(&b, []byte(s)); err != nil {
				b.WriteString("") // EscapeText writes to a bytes.Buffer, which cannot fail
			}
		}
		b.WriteString("<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
		b.WriteString(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">`)
		b.WriteString(`<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="` + nsIptcExt + `" xmlns:xmp="` + nsXMP + `">`)
		b.WriteString(`<Iptc4xmpExt:DigitalSourceType>` + DigitalSourceTypeAI + `</Iptc4xmpExt:DigitalSourceType>`)
		b.WriteString(`<Iptc4xmpExt:AISystemUsed>`)
		esc(p.Model)
		b.WriteString(`</Iptc4xmpExt:AISystemUsed>`)
		if withPrompt && p.Prompt != "" {
			b.WriteString(`<Iptc4xmpExt:AIPromptInformation>`)
			esc(p.Prompt)
			b.WriteString(`</Iptc4xmpExt:AIPromptInformation>`)
		}
		b.WriteString(`<xmp:CreatorTool>` + creatorTool + `</xmp:CreatorTool>`)
		b.WriteString(`<xmp:CreateDate>` + p.CreatedAt.UTC().Format(time.RFC3339) + `</xmp:CreateDate>`)
		b.WriteString("</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end=\"w\"?>")
		return b.Bytes()
	}
	if b := build(true); len(b) <= maxPacket {
		return b
	}
	return build(false)
}

// Markable reports the content types a marked copy is made for.
func Markable(contentType string) bool {
	switch contentType {
	case "image/png", "image/jpeg", "image/webp":
		return true
	}
	return false
}

// piece is a part of a spliced file: literal bytes, or n bytes of the original from off.
type piece struct {
	lit    []byte
	off, n int64
}

func (p piece) size() int64 {
	if p.lit != nil {
		return int64(len(p.lit))
	}
	return p.n
}

// Splice is a marked copy: pieces of the original and literal bytes, in order.
type Splice struct {
	pieces []piece
	Size   int64
}

func newSplice(pieces []piece) *Splice {
	s := &Splice{}
	for _, p := range pieces {
		if p.size() == 0 {
			continue
		}
		// Adjacent ranges of the original become one: one open reads them.
		if n := len(s.pieces); n > 0 && p.lit == nil && s.pieces[n-1].lit == nil && s.pieces[n-1].off+s.pieces[n-1].n == p.off {
			s.pieces[n-1].n += p.n
		} else {
			s.pieces = append(s.pieces, p)
		}
		s.Size += p.size()
	}
	return s
}

// errNotMarkable says a file is served as stored: not a format we mark, malformed, or
// carrying a C2PA manifest (anything added would break its signature).
var errNotMarkable = errors.New("media: not markable")

// PlanMark reads the header structure of a stored PNG, JPEG or WebP image and plans its marked
// copy with packet. It answers nil (serve as stored) for another type, a file it cannot
// parse, or one holding a C2PA manifest; an error only when storage fails.
func (s *Storage) PlanMark(ctx context.Context, storage, key, contentType string, size int64, packet []byte) (*Splice, error) {
	if !Markable(contentType) {
		return nil, nil
	}
	rc, _, err := s.Open(ctx, storage, key, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("media: plan mark: %w", err)
	}
	defer rc.Close()
	sp, err := planMark(rc, contentType, size, packet)
	if errors.Is(err, errNotMarkable) {
		return nil, nil
	}
	return sp, err
}

func planMark(r io.Reader, contentType string, size int64, packet []byte) (*Splice, error) {
	w := &walker{r: bufio.NewReaderSize(r, 32<<10)}
	var sp *Splice
	var err error
	switch contentType {
	case "image/png":
		sp, err = planPNG(w, size, packet)
	case "image/jpeg":
		sp, err = planJPEG(w, size, packet)
	case "image/webp":
		sp, err = planWebP(w, size, packet)
	default:
		return nil, errNotMarkable
	}
	if err != nil && !errors.Is(err, errNotMarkable) {
		// A short or malformed file is served as stored; only storage errors reach the caller.
		var se *storageReadError
		if errors.As(err, &se) {
			return nil, se.err
		}
		return nil, errNotMarkable
	}
	return sp, err
}

// HasC2PA reports whether a PNG, JPEG or WebP file holds a C2PA manifest store: a PNG caBX
// chunk, JPEG APP11 (JPEG XT "JP") segments carrying a JUMBF box labelled c2pa, or a WebP C2PA
// chunk. It reads r to the end (the caller tees a save through it).
func HasC2PA(r io.Reader, contentType string) bool {
	w := &walker{r: bufio.NewReaderSize(r, 32<<10)}
	defer func() { _, _ = io.Copy(io.Discard, w.r) }()
	var l *layout
	var err error
	switch contentType {
	case "image/png":
		l, err = walkPNG(w, true)
	case "image/jpeg":
		l, err = walkJPEG(w)
	case "image/webp":
		l, err = walkWebP(w)
	default:
		return false
	}
	_ = err // a file cut short still says what it held so far
	return l != nil && l.c2pa
}

// walker reads a file's structure, counting its offset.
type walker struct {
	r   *bufio.Reader
	off int64
}

// storageReadError marks a read failure that is not the file's fault.
type storageReadError struct{ err error }

func (e *storageReadError) Error() string { return e.err.Error() }

func (w *walker) read(n int) ([]byte, error) {
	b := make([]byte, n)
	k, err := io.ReadFull(w.r, b)
	w.off += int64(k)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return b[:k], io.ErrUnexpectedEOF
		}
		return nil, &storageReadError{err}
	}
	return b, nil
}

func (w *walker) skip(n int64) error {
	k, err := io.CopyN(io.Discard, w.r, n)
	w.off += k
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return &storageReadError{err}
	}
	return nil
}

// layout is what a walk found.
type layout struct {
	c2pa     bool
	insertAt int64      // where the packet goes (PNG, JPEG)
	remove   [][2]int64 // [start, end) of packets already there
	// WebP
	chunks             []webpChunk
	vp8x               []byte // the existing VP8X data (10 bytes), nil when simple
	width, height      int
	alpha, anim        bool
	icc, exif, hasDims bool
}

type webpChunk struct {
	fourcc string
	off    int64
	total  int64 // header, data and padding
}

var pngSig = []byte("\x89PNG\r\n\x1a\n")

const pngXMPKeyword = "XML:com.adobe.xmp"

// walkPNG walks the chunks up to the first IDAT (full: to IEND).
func walkPNG(w *walker, full bool) (*layout, error) {
	sig, err := w.read(8)
	if err != nil || !bytes.Equal(sig, pngSig) {
		return nil, errNotMarkable
	}
	l := &layout{insertAt: -1}
	for {
		start := w.off
		h, err := w.read(8)
		if err != nil {
			if l.insertAt >= 0 && len(h) == 0 {
				return l, nil
			}
			return l, err
		}
		n := int64(binary.BigEndian.Uint32(h[:4]))
		typ := string(h[4:8])
		if n > 1<<31-1 {
			return l, errNotMarkable
		}
		switch {
		case typ == "caBX":
			l.c2pa = true
		case typ == "IDAT" && l.insertAt < 0:
			l.insertAt = start
			if !full {
				return l, nil
			}
		case typ == "iTXt" && l.insertAt < 0 && n >= int64(len(pngXMPKeyword))+1:
			kw, err := w.read(len(pngXMPKeyword) + 1)
			if err != nil {
				return l, err
			}
			if string(kw) == pngXMPKeyword+"\x00" {
				l.remove = append(l.remove, [2]int64{start, start + 12 + n})
			}
			n -= int64(len(kw))
		}
		if err := w.skip(n + 4); err != nil {
			return l, err
		}
		if typ == "IEND" {
			return l, nil
		}
	}
}

func planPNG(w *walker, size int64, packet []byte) (*Splice, error) {
	l, err := walkPNG(w, false)
	if err != nil {
		return nil, err
	}
	if l.c2pa || l.insertAt < 0 {
		return nil, errNotMarkable
	}
	data := append([]byte(pngXMPKeyword+"\x00\x00\x00\x00\x00"), packet...) // keyword, compression flag and method 0, no language, no translated keyword
	chunk := make([]byte, 0, 12+len(data))
	chunk = binary.BigEndian.AppendUint32(chunk, uint32(len(data)))
	chunk = append(chunk, "iTXt"...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return spliceAt(size, l.insertAt, chunk, l.remove), nil
}

// spliceAt is the original with lit inserted at insertAt and the ranges in remove left out.
func spliceAt(size, insertAt int64, lit []byte, remove [][2]int64) *Splice {
	var pieces []piece
	pos := int64(0)
	emit := func(to int64) {
		for pos < to {
			next := to
			for _, r := range remove {
				if r[0] <= pos && pos < r[1] {
					pos = min(r[1], to)
					next = -1
					break
				}
				if r[0] > pos && r[0] < next {
					next = r[0]
				}
			}
			if next > pos {
				pieces = append(pieces, piece{off: pos, n: next - pos})
				pos = next
			}
		}
	}
	emit(insertAt)
	pieces = append(pieces, piece{lit: lit})
	emit(size)
	return newSplice(pieces)
}

const jpegXMPHeader = "http://ns.adobe.com/xap/1.0/\x00"

// walkJPEG walks the header segments up to the image data (SOS).
func walkJPEG(w *walker) (*layout, error) {
	soi, err := w.read(2)
	if err != nil || soi[0] != 0xFF || soi[1] != 0xD8 {
		return nil, errNotMarkable
	}
	l := &layout{insertAt: -1}
	for {
		start := w.off
		m, err := w.read(2)
		if err != nil {
			return l, err
		}
		if m[0] != 0xFF {
			return l, errNotMarkable
		}
		marker := m[1]
		for marker == 0xFF { // fill bytes
			b, err := w.read(1)
			if err != nil {
				return l, err
			}
			start++
			marker = b[0]
		}
		if marker == 0xDA || marker == 0xD9 || marker == 0x01 || marker >= 0xD0 && marker <= 0xD7 {
			if l.insertAt < 0 {
				l.insertAt = start
			}
			return l, nil
		}
		lb, err := w.read(2)
		if err != nil {
			return l, err
		}
		n := int64(binary.BigEndian.Uint16(lb)) - 2
		if n < 0 {
			return l, errNotMarkable
		}
		head, err := w.read(int(min(n, 64)))
		if err != nil {
			return l, err
		}
		isExif := marker == 0xE1 && bytes.HasPrefix(head, []byte("Exif\x00\x00"))
		if l.insertAt < 0 && marker != 0xE0 && !isExif {
			l.insertAt = start
		}
		if marker == 0xE1 && bytes.HasPrefix(head, []byte(jpegXMPHeader)) {
			l.remove = append(l.remove, [2]int64{start, start + 4 + n})
		}
		if marker == 0xEB && jumbfC2PA(head) {
			l.c2pa = true
		}
		if err := w.skip(n - int64(len(head))); err != nil {
			return l, err
		}
	}
}

// jumbfC2PA reads the start of an APP11 segment: JPEG XT common identifier "JP", box instance
// and sequence number, then a JUMBF superbox (jumb) whose description box (jumd) is labelled
// c2pa.
func jumbfC2PA(b []byte) bool {
	if len(b) < 12 || string(b[:2]) != "JP" {
		return false
	}
	box := b[8:]
	i := bytes.Index(box, []byte("jumb"))
	j := bytes.Index(box, []byte("jumd"))
	if i < 0 || j < i {
		return false
	}
	label := box[j+4:]
	if len(label) < 17 {
		return false
	}
	return bytes.HasPrefix(label[17:], []byte("c2pa")) // after the 16-byte type UUID and the toggles byte
}

func planJPEG(w *walker, size int64, packet []byte) (*Splice, error) {
	l, err := walkJPEG(w)
	if err != nil {
		return nil, err
	}
	if l.c2pa || l.insertAt < 0 {
		return nil, errNotMarkable
	}
	seg := make([]byte, 0, 4+len(jpegXMPHeader)+len(packet))
	seg = append(seg, 0xFF, 0xE1)
	seg = binary.BigEndian.AppendUint16(seg, uint16(2+len(jpegXMPHeader)+len(packet)))
	seg = append(seg, jpegXMPHeader...)
	seg = append(seg, packet...)
	return spliceAt(size, l.insertAt, seg, l.remove), nil
}

// walkWebP walks every top-level chunk of a RIFF WebP file.
func walkWebP(w *walker) (*layout, error) {
	h, err := w.read(12)
	if err != nil || string(h[:4]) != "RIFF" || string(h[8:12]) != "WEBP" {
		return nil, errNotMarkable
	}
	end := 8 + int64(binary.LittleEndian.Uint32(h[4:8]))
	l := &layout{}
	for w.off < end {
		start := w.off
		ch, err := w.read(8)
		if err != nil {
			return l, err
		}
		fourcc := string(ch[:4])
		n := int64(binary.LittleEndian.Uint32(ch[4:8]))
		padded := n + n&1
		var head []byte
		switch fourcc {
		case "VP8X", "VP8 ", "VP8L":
			if head, err = w.read(int(min(n, 10))); err != nil {
				return l, err
			}
		}
		switch fourcc {
		case "VP8X":
			if len(head) < 10 {
				return l, errNotMarkable
			}
			l.vp8x = head
		case "VP8 ":
			if len(head) == 10 && head[3] == 0x9d && head[4] == 0x01 && head[5] == 0x2a && !l.hasDims {
				l.width, l.height = int(binary.LittleEndian.Uint16(head[6:8])&0x3fff), int(binary.LittleEndian.Uint16(head[8:10])&0x3fff)
				l.hasDims = true
			}
		case "VP8L":
			if len(head) >= 5 && head[0] == 0x2f && !l.hasDims {
				v := binary.LittleEndian.Uint32(head[1:5])
				l.width, l.height = int(v&0x3fff)+1, int((v>>14)&0x3fff)+1
				l.alpha = l.alpha || (v>>28)&1 == 1
				l.hasDims = true
			}
		case "ALPH":
			l.alpha = true
		case "ANIM":
			l.anim = true
		case "ICCP":
			l.icc = true
		case "EXIF":
			l.exif = true
		case "C2PA":
			l.c2pa = true
		}
		l.chunks = append(l.chunks, webpChunk{fourcc: fourcc, off: start, total: 8 + padded})
		if err := w.skip(padded - int64(len(head))); err != nil {
			if fourcc != "" && w.off >= end-1 { // a last chunk missing its pad byte
				break
			}
			return l, err
		}
	}
	return l, nil
}

func planWebP(w *walker, size int64, packet []byte) (*Splice, error) {
	l, err := walkWebP(w)
	if err != nil {
		return nil, err
	}
	if l.c2pa {
		return nil, errNotMarkable
	}
	vp8x := make([]byte, 10)
	if l.vp8x != nil {
		copy(vp8x, l.vp8x)
	} else {
		if !l.hasDims || l.width < 1 || l.height < 1 {
			return nil, errNotMarkable
		}
		var flags byte
		if l.icc {
			flags |= 0x20
		}
		if l.alpha {
			flags |= 0x10
		}
		if l.exif {
			flags |= 0x08
		}
		if l.anim {
			flags |= 0x02
		}
		vp8x[0] = flags
		putUint24(vp8x[4:7], uint32(l.width-1))
		putUint24(vp8x[7:10], uint32(l.height-1))
	}
	vp8x[0] |= 0x04 // XMP metadata present
	pieces := []piece{{lit: nil}}
	body := int64(4) // "WEBP"
	pieces = append(pieces, piece{lit: append([]byte("VP8X\x0a\x00\x00\x00"), vp8x...)})
	body += 18
	for _, c := range l.chunks {
		if c.fourcc == "VP8X" || c.fourcc == "XMP " {
			continue
		}
		n := min(c.total, size-c.off)
		pieces = append(pieces, piece{off: c.off, n: n})
		body += n
		if n%2 == 1 { // a last chunk stored without its pad byte
			pieces = append(pieces, piece{lit: []byte{0}})
			body++
		}
	}
	xmpChunk := append([]byte("XMP "), binary.LittleEndian.AppendUint32(nil, uint32(len(packet)))...)
	xmpChunk = append(xmpChunk, packet...)
	if len(packet)%2 == 1 {
		xmpChunk = append(xmpChunk, 0)
	}
	pieces = append(pieces, piece{lit: xmpChunk})
	body += int64(len(xmpChunk))
	if body > 1<<32-1 {
		return nil, errNotMarkable
	}
	pieces[0] = piece{lit: append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(body))...), "WEBP"...)}
	return newSplice(pieces), nil
}

func putUint24(b []byte, v uint32) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }

// ReadXMP returns the XMP packet a PNG, JPEG or WebP file carries ("" when none): tests and
// tools read marked copies back with it.
func ReadXMP(b []byte) string {
	switch {
	case bytes.HasPrefix(b, pngSig):
		for i := 8; i+12 <= len(b); {
			n := int(binary.BigEndian.Uint32(b[i:]))
			if i+12+n > len(b) {
				break
			}
			if string(b[i+4:i+8]) == "iTXt" && n >= len(pngXMPKeyword)+5 && bytes.HasPrefix(b[i+8:], []byte(pngXMPKeyword+"\x00\x00\x00\x00\x00")) {
				return string(b[i+8+len(pngXMPKeyword)+5 : i+8+n])
			}
			i += 12 + n
		}
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8}):
		for i := 2; i+4 <= len(b) && b[i] == 0xFF && b[i+1] != 0xDA; {
			n := int(binary.BigEndian.Uint16(b[i+2:]))
			if n < 2 {
				break
			}
			seg := b[i+4 : min(len(b), i+2+n)]
			if b[i+1] == 0xE1 && bytes.HasPrefix(seg, []byte(jpegXMPHeader)) {
				return string(seg[len(jpegXMPHeader):])
			}
			i += 2 + n
		}
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		for i := 12; i+8 <= len(b); {
			n := int(binary.LittleEndian.Uint32(b[i+4:]))
			if n < 0 || n > len(b) {
				break
			}
			if string(b[i:i+4]) == "XMP " && i+8+n <= len(b) {
				return string(b[i+8 : i+8+n])
			}
			i += 8 + n + n&1
		}
	}
	return ""
}

// splicedSeeker reads a Splice: literal pieces from memory, the others from storage through
// ranged opens (one open serves consecutive reads of a piece). http.ServeContent and the ZIP
// export read it.
type splicedSeeker struct {
	ctx          context.Context
	st           *Storage
	storage, key string
	sp           *Splice
	off          int64
	body         io.ReadCloser
	bodyAt       int64 // the original's offset body reads next
}

// Reader streams the marked copy of an object (the caller closes it).
func (s *Storage) Reader(ctx context.Context, storage, key string, sp *Splice) io.ReadSeekCloser {
	return &splicedSeeker{ctx: ctx, st: s, storage: storage, key: key, sp: sp}
}

func (l *splicedSeeker) Seek(offset int64, whence int) (int64, error) {
	var n int64
	switch whence {
	case io.SeekStart:
		n = offset
	case io.SeekCurrent:
		n = l.off + offset
	case io.SeekEnd:
		n = l.sp.Size + offset
	}
	if n < 0 {
		return 0, fmt.Errorf("media: seek before start")
	}
	l.off = n
	return n, nil
}

func (l *splicedSeeker) Read(p []byte) (int, error) {
	if l.off >= l.sp.Size {
		return 0, io.EOF
	}
	start := int64(0)
	for _, pc := range l.sp.pieces {
		end := start + pc.size()
		if l.off >= end {
			start = end
			continue
		}
		in := l.off - start
		want := min(int64(len(p)), end-l.off)
		if pc.lit != nil {
			n := copy(p[:want], pc.lit[in:])
			l.off += int64(n)
			return n, nil
		}
		at := pc.off + in
		if l.body == nil || l.bodyAt != at {
			if l.body != nil {
				l.body.Close()
			}
			b, _, err := l.st.Open(l.ctx, l.storage, l.key, at, -1)
			if err != nil {
				l.body = nil
				return 0, err
			}
			l.body, l.bodyAt = b, at
		}
		n, err := l.body.Read(p[:want])
		l.off += int64(n)
		l.bodyAt += int64(n)
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return 0, io.ErrUnexpectedEOF // the object is shorter than its row says
			}
			err = nil
		}
		return n, err
	}
	return 0, io.EOF
}

func (l *splicedSeeker) Close() error {
	if l.body != nil {
		return l.body.Close()
	}
	return nil
}

// ImportModel is the model of a file imported into the studio (SPEC §15.4); without a parent it
// was not made here and is never marked.
const ImportModel = "studio/import"

// MarkedETag is the ETag of a marked copy: it differs from the original's and changes with the
// packet (an owner's embedPrompt choice).
func MarkedETag(key string, packet []byte) string {
	return `"m` + strings.TrimPrefix(etagOf(key+"\x00"+string(packet)), `"`)
}
