package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// ObjectInfo is what the caller knows of an object (from its asset row).
type ObjectInfo struct {
	Key, Storage, ContentType, FileName string
	Size                                int64
	ModTime                             time.Time
}

// ServeOptions choose how to serve.
type ServeOptions struct {
	Download bool // Content-Disposition: attachment
	// PresignTTL > 0 answers an object held in S3 with a 302 to a presigned GET valid that
	// long (SPEC §17.2) instead of streaming it; a local file is still streamed.
	PresignTTL time.Duration
	// Marked serves this marked copy (SPEC §13.3) instead of the stored bytes: streamed, never
	// redirected, and revalidated on each use, since its ETag (MarkedETag) changes with the
	// packet.
	Marked     *Splice
	MarkedETag string
}

// etagOf is the ETag of an object's bytes: they never change for its key.
func etagOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// mediaCSP sandboxes anything opened directly: no scripts, no plugins, no same-origin access.
const mediaCSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"

// inlineType reports types that are shown inline; anything else is downloaded.
func inlineType(ct string) bool {
	return strings.HasPrefix(ct, "image/") && ct != "image/svg+xml" || strings.HasPrefix(ct, "video/") || strings.HasPrefix(ct, "audio/")
}

// Serve writes an object with Range, ETag/Last-Modified and conditional requests, nosniff, a
// sandboxing CSP and Content-Disposition; it streams from local disk or S3, or redirects to a
// presigned URL.
func Serve(w http.ResponseWriter, r *http.Request, st *Storage, obj ObjectInfo, opts ServeOptions) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", mediaCSP)
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	disp := "inline"
	if opts.Download || !inlineType(obj.ContentType) {
		disp = "attachment"
	}
	name := obj.FileName
	if name == "" {
		name = "file"
	}
	cd := mime.FormatMediaType(disp, map[string]string{"filename": name + "." + ExtFor(obj.ContentType)})
	h.Set("Content-Disposition", cd)

	if opts.Marked != nil {
		h.Set("ETag", opts.MarkedETag)
		h.Set("Cache-Control", "private, no-cache")
		h.Set("Content-Type", obj.ContentType)
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Now().Add(6 * time.Hour))
		_ = rc.SetReadDeadline(time.Time{})
		rs := st.Reader(r.Context(), obj.Storage, obj.Key, opts.Marked)
		defer rs.Close()
		http.ServeContent(w, r, "", obj.ModTime, rs)
		return
	}
	if opts.PresignTTL > 0 && obj.Storage == "s3" {
		// The disposition goes into the signature only when the studio would send attachment:
		// S3 shows everything else inline by default, as the studio does.
		signedCD := ""
		if disp == "attachment" {
			signedCD = cd
		}
		u, err := st.PresignGet(r.Context(), obj.Storage, obj.Key, opts.PresignTTL, obj.ContentType, signedCD)
		if err == nil {
			// A browser may reuse the redirect only while the URL still works (with a margin
			// for the time the request takes); share routes replace this with no-store.
			h.Set("Cache-Control", fmt.Sprintf("private, max-age=%d", int(opts.PresignTTL.Seconds()*0.8)))
			http.Redirect(w, r, u, http.StatusFound)
			return
		}
		// Signing is local and cannot fail for a valid key; stream if it ever does.
	}

	// An object's bytes never change for its key (a new file is a new asset id, and a re-sync
	// moves the same bytes), so the browser keeps it for a year without asking again; the ETag
	// answers the odd revalidation with a 304.
	h.Set("ETag", etagOf(obj.Key))
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("Content-Type", obj.ContentType)
	// Long downloads set their own deadline instead of a global WriteTimeout.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(6 * time.Hour))
	_ = rc.SetReadDeadline(time.Time{}) // ReadTimeout would cancel a long download's context

	rs := &lazySeeker{ctx: r.Context(), st: st, storage: obj.Storage, key: obj.Key, size: obj.Size}
	defer rs.Close()
	// A storage error after the headers went out shows as a short body; the browser retries.
	http.ServeContent(w, r, "", obj.ModTime, rs)
}

// lazySeeker is an io.ReadSeeker over ranged opens: Seek only moves the offset, the first Read
// opens the object from there. http.ServeContent needs nothing more.
type lazySeeker struct {
	ctx          context.Context
	st           *Storage
	storage, key string
	size, off    int64
	body         io.ReadCloser
}

func (l *lazySeeker) Seek(offset int64, whence int) (int64, error) {
	var n int64
	switch whence {
	case io.SeekStart:
		n = offset
	case io.SeekCurrent:
		n = l.off + offset
	case io.SeekEnd:
		n = l.size + offset
	}
	if n < 0 {
		return 0, fmt.Errorf("media: seek before start")
	}
	if n != l.off && l.body != nil {
		l.body.Close()
		l.body = nil
	}
	l.off = n
	return n, nil
}

func (l *lazySeeker) Read(p []byte) (int, error) {
	if l.off >= l.size {
		return 0, io.EOF
	}
	if l.body == nil {
		b, _, err := l.st.Open(l.ctx, l.storage, l.key, l.off, -1)
		if err != nil {
			return 0, err
		}
		l.body = b
	}
	n, err := l.body.Read(p)
	l.off += int64(n)
	return n, err
}

func (l *lazySeeker) Close() error {
	if l.body != nil {
		return l.body.Close()
	}
	return nil
}
