package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// S3Config configures the S3 backend.
type S3Config struct {
	Endpoint, Region, Bucket     string
	AccessKeyID, SecretAccessKey string
	ForcePathStyle               bool
	PublicBaseURL                string
	PartSize                     int64         // multipart part size; default 8 MiB (min 5 MiB)
	Concurrency                  int           // parts in flight; default 2 (memory ≈ PartSize × Concurrency)
	Timeout                      time.Duration // deadline of each small call; default 30s
	UploadTimeout                time.Duration // deadline of one whole upload; default 30m
	MaxAttempts                  int           // SDK retries; default 3
	ReadIdleTimeout              time.Duration // an object body that delivers no byte this long fails; default 60s
	HTTPClient                   *http.Client  // optional (tests)
}

// S3 stores objects in an S3-compatible bucket (Hetzner Object Storage, AWS, R2, MinIO…).
type S3 struct {
	cfg    S3Config
	client *s3.Client
	tm     *transfermanager.Client
	pre    *s3.PresignClient
}

// NewS3 builds the client; it does not contact the server (see Check).
func NewS3(cfg S3Config) (*S3, error) {
	u, err := url.Parse(cfg.Endpoint)
	if cfg.Endpoint != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return nil, fmt.Errorf("media: S3_ENDPOINT must be an http(s) URL")
	}
	if cfg.Bucket == "" {
		return nil, errors.New("media: S3_BUCKET is required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.PartSize < 5<<20 {
		cfg.PartSize = 8 << 20
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.UploadTimeout <= 0 {
		cfg.UploadTimeout = 30 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.ReadIdleTimeout <= 0 {
		cfg.ReadIdleTimeout = 60 * time.Second
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 8,
			ResponseHeaderTimeout: cfg.Timeout, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second}}
	}
	// Built without config.LoadDefaultConfig: no shared files, no environment credentials, no IMDS
	// probing — exactly what the studio's configuration says.
	awsCfg := aws.Config{
		Region:      cfg.Region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")),
		HTTPClient:  hc,
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = cfg.MaxAttempts; o.MaxBackoff = 5 * time.Second })
		},
		// Hetzner (Ceph) rejects the SDK's default aws-chunked CRC32 trailers with
		// XAmzContentSHA256Mismatch: send checksums only when an operation requires them.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		Logger:                     logging.Nop{},
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(strings.TrimRight(cfg.Endpoint, "/"))
		}
		o.UsePathStyle = cfg.ForcePathStyle
	})
	tm := transfermanager.New(client, func(o *transfermanager.Options) {
		o.PartSizeBytes = cfg.PartSize
		o.MultipartUploadThreshold = cfg.PartSize
		o.Concurrency = cfg.Concurrency
		o.FailTimeout = 30 * time.Second                                          // abort the multipart upload even when ctx was cancelled
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired // a separate knob from the client's
	})
	return &S3{cfg: cfg, client: client, tm: tm, pre: s3.NewPresignClient(client)}, nil
}

// Name is "s3".
func (s *S3) Name() string { return "s3" }

// Check verifies the bucket answers (start-up, health).
func (s *S3) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.cfg.Bucket})
	if err != nil {
		return fmt.Errorf("media: s3 bucket %s: %w", s.cfg.Bucket, err)
	}
	return nil
}

// EnsureBucket creates the bucket when missing (tests, first runs against a local server).
func (s *S3) EnsureBucket(ctx context.Context) error {
	if s.Check(ctx) == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	_, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &s.cfg.Bucket})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("media: create bucket: %w", err)
	}
	return nil
}

// Put streams r to the bucket: one PutObject for small known sizes, multipart (bounded parts in
// flight, aborted on failure) otherwise.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (int64, error) {
	if _, err := cleanKey(key); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.UploadTimeout)
	defer cancel()
	cr := &countingReader{r: r}
	in := &transfermanager.UploadObjectInput{Bucket: &s.cfg.Bucket, Key: &key, Body: cr, ContentType: &contentType}
	if size >= 0 {
		in.ContentLength = &size
	}
	if _, err := s.tm.UploadObject(ctx, in); err != nil {
		return 0, fmt.Errorf("media: s3 put: %w", err)
	}
	if size >= 0 && cr.n != size {
		return 0, fmt.Errorf("media: s3 put: sent %d of %d bytes", cr.n, size)
	}
	return cr.n, nil
}

// maxSinglePut is S3's limit for one PutObject.
const maxSinglePut = 5 << 30

// PutStream sends a stream of known size as one PutObject that starts at once: no part
// buffers, no second copy of the parts on the server when they are joined, no payload hash
// before sending (UNSIGNED-PAYLOAD, as the SDK already does over HTTPS). Such a stream cannot
// be replayed, so it is not retried; the relay keeps a local copy for exactly that case.
// Unknown or very large sizes go through Put's multipart upload.
func (s *S3) PutStream(ctx context.Context, key string, r io.Reader, size int64, contentType string) (int64, error) {
	if size < 0 || size > maxSinglePut {
		return s.Put(ctx, key, r, size, contentType)
	}
	if _, err := cleanKey(key); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.UploadTimeout)
	defer cancel()
	cr := &countingReader{r: r}
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.cfg.Bucket, Key: &key, Body: cr, ContentLength: &size, ContentType: &contentType},
		s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware), func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	if err != nil {
		return 0, fmt.Errorf("media: s3 put: %w", err)
	}
	if cr.n != size {
		return 0, fmt.Errorf("media: s3 put: sent %d of %d bytes", cr.n, size)
	}
	return cr.n, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Open reads a range of the object.
func (s *S3) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error) {
	in := &s3.GetObjectInput{Bucket: &s.cfg.Bucket, Key: &key}
	if offset > 0 || length >= 0 {
		rng := fmt.Sprintf("bytes=%d-", offset)
		if length >= 0 {
			if length == 0 {
				return io.NopCloser(strings.NewReader("")), Object{Key: key}, nil
			}
			rng = fmt.Sprintf("bytes=%d-%d", offset, offset+length-1)
		}
		in.Range = &rng
	}
	// The body streams for as long as the reader is used, so a whole-read deadline would cut long
	// downloads; instead each read must see a byte within ReadIdleTimeout, or the request's own
	// context is cancelled, which makes the transport drop the connection and fail the read.
	ctx, cancel := context.WithCancel(ctx)
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		cancel()
		if isNotFound(err) {
			return nil, Object{}, ErrNotFound
		}
		return nil, Object{}, fmt.Errorf("media: s3 get: %w", err)
	}
	obj := Object{Key: key, ContentType: aws.ToString(out.ContentType), ETag: aws.ToString(out.ETag)}
	if out.LastModified != nil {
		obj.ModTime = *out.LastModified
	}
	obj.Size = aws.ToInt64(out.ContentLength)
	if cr := aws.ToString(out.ContentRange); cr != "" { // bytes a-b/total
		if _, total, ok := strings.Cut(cr, "/"); ok {
			var n int64
			if _, err := fmt.Sscan(total, &n); err == nil {
				obj.Size = n
			}
		}
	}
	return newIdleBody(out.Body, s.cfg.ReadIdleTimeout, cancel), obj, nil
}

// ErrStalled is the error of a storage read that delivered no byte for the idle timeout.
var ErrStalled = errors.New("media: storage read stalled")

// idleBody fails a read that gets no byte within idle: cancel (the request's context) aborts
// the blocked read. A stalled object thus ends the download or export with an error — the
// client sees a broken transfer, never a short file that looks complete.
type idleBody struct {
	rc     io.ReadCloser
	idle   time.Duration
	cancel context.CancelFunc
	timer  *time.Timer
	fired  atomic.Bool
}

func newIdleBody(rc io.ReadCloser, idle time.Duration, cancel context.CancelFunc) *idleBody {
	b := &idleBody{rc: rc, idle: idle, cancel: cancel}
	b.timer = time.AfterFunc(idle, func() { b.fired.Store(true); cancel() })
	b.timer.Stop()
	return b
}

func (b *idleBody) Read(p []byte) (int, error) {
	if b.fired.Load() {
		return 0, fmt.Errorf("%w: no byte for %s", ErrStalled, b.idle)
	}
	b.timer.Reset(b.idle)
	n, err := b.rc.Read(p)
	b.timer.Stop()
	if b.fired.Load() {
		return n, fmt.Errorf("%w: no byte for %s", ErrStalled, b.idle)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	b.cancel()
	return b.rc.Close()
}

// Stat describes the object.
func (s *S3) Stat(ctx context.Context, key string) (Object, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.cfg.Bucket, Key: &key})
	if err != nil {
		if isNotFound(err) {
			return Object{}, ErrNotFound
		}
		return Object{}, fmt.Errorf("media: s3 head: %w", err)
	}
	obj := Object{Key: key, Size: aws.ToInt64(out.ContentLength), ContentType: aws.ToString(out.ContentType), ETag: aws.ToString(out.ETag)}
	if out.LastModified != nil {
		obj.ModTime = *out.LastModified
	}
	return obj, nil
}

// Delete removes the object (S3 answers success for a missing key).
func (s *S3) Delete(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: &key}); err != nil && !isNotFound(err) {
		return fmt.Errorf("media: s3 delete: %w", err)
	}
	return nil
}

// URL is the public URL when S3_PUBLIC_BASE_URL is set, else a presigned GET.
func (s *S3) URL(ctx context.Context, key string, expiry time.Duration) (string, error) {
	if s.cfg.PublicBaseURL != "" {
		return strings.TrimRight(s.cfg.PublicBaseURL, "/") + "/" + EscapeKey(key), nil
	}
	req, err := s.pre.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &s.cfg.Bucket, Key: &key}, s3.WithPresignExpires(expiry))
	if err != nil {
		return "", fmt.Errorf("media: presign: %w", err)
	}
	return req.URL, nil
}

// PresignGet signs a GET of key at the S3 endpoint (never S3_PUBLIC_BASE_URL) valid for ttl,
// with the response's Content-Type and, when not empty, Content-Disposition part of the
// signature (response-content-type, response-content-disposition): S3 serves the file as the
// studio would, and a changed value makes S3 refuse the URL. Signing is local; nothing is sent.
func (s *S3) PresignGet(ctx context.Context, key string, ttl time.Duration, contentType, disposition string) (string, error) {
	in := &s3.GetObjectInput{Bucket: &s.cfg.Bucket, Key: &key}
	if contentType != "" {
		in.ResponseContentType = &contentType
	}
	if disposition != "" {
		in.ResponseContentDisposition = &disposition
	}
	req, err := s.pre.PresignGetObject(ctx, in, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("media: presign get: %w", err)
	}
	return req.URL, nil
}

// PresignPut returns a presigned PUT URL (benchmarks compare with curl through it).
func (s *S3) PresignPut(ctx context.Context, key string, expiry time.Duration) (string, error) {
	req, err := s.pre.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: &s.cfg.Bucket, Key: &key}, s3.WithPresignExpires(expiry))
	if err != nil {
		return "", fmt.Errorf("media: presign put: %w", err)
	}
	return req.URL, nil
}

func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var ae smithy.APIError
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	return errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound")
}
