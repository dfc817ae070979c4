// Package push sends Web Push messages (SPEC §16.3) when a person's generation ends: it owns
// the subscriptions, the notification settings, the record of open event streams (is a studio
// tab open?) and the sending, with retries, to the browsers' push services.
package push

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/events"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

const (
	// MaxSubscriptions a person holds; a new one past that removes their oldest.
	MaxSubscriptions = 20
	maxEndpoint      = 2048
	maxUserAgent     = 200
	// touchEvery refreshes this replica's open streams; a row not refreshed for staleAfter (a
	// replica that died) no longer counts as an open tab. Rows are kept keepStreams after they
	// close, so a job's end is judged as of the moment it ended, however late it is looked at.
	touchEvery  = 10 * time.Second
	staleAfter  = 45 * time.Second
	keepStreams = recentEnd
	// recentEnd: a generation that ended longer ago is never pushed (a later change, such as a
	// thumbnail made by the backfill, is not its end).
	recentEnd = time.Hour
	keepSent  = 7 * 24 * time.Hour
	queueLen  = 1024
	// sendersMax bounds the messages in flight at once.
	sendersMax = 16
)

// Errors the HTTP layer maps to SPEC codes.
var (
	ErrInvalidEndpoint = errors.New("push: endpoint is not an allowed push service")
	ErrInvalidKeys     = errors.New("push: keys.p256dh must be a P-256 public key and keys.auth 16 bytes (base64url)")
)

// Options configure the service.
type Options struct {
	Key                   []byte // the 32-byte VAPID private scalar
	Subject               string // mailto: or https:
	Hosts                 []string
	AllowInsecureLoopback bool
	Instance              string
	// ModelName gives a model's catalogue name ("" when unknown: the id is shown).
	ModelName func(id string) string
	Logger    *slog.Logger
	Now       func() time.Time
	// RetryBase is the first retry's wait (1 s; tests shorten it).
	RetryBase time.Duration
}

// Service owns subscriptions and sending.
type Service struct {
	st      *store.Store
	guard   *media.HostGuard
	client  *http.Client
	opts    Options
	log     *slog.Logger
	pub     string // base64url of the uncompressed public key
	priv    string // base64url of the private scalar (handed to the sender only)
	ended   chan events.Change
	slots   chan struct{}
	wg      sync.WaitGroup
	streams sync.Map // id → struct{}: this replica's open streams
}

// New builds the service; the key must be a valid P-256 scalar.
func New(st *store.Store, o Options) (*Service, error) {
	k, err := ecdh.P256().NewPrivateKey(o.Key)
	if err != nil {
		return nil, errors.New("push: invalid VAPID key")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RetryBase <= 0 {
		o.RetryBase = time.Second
	}
	if o.ModelName == nil {
		o.ModelName = func(string) string { return "" }
	}
	s := &Service{st: st, guard: media.NewHostGuard(o.Hosts), opts: o, log: o.Logger,
		pub:   base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()),
		priv:  base64.RawURLEncoding.EncodeToString(k.Bytes()),
		ended: make(chan events.Change, queueLen), slots: make(chan struct{}, sendersMax)}
	s.client = &http.Client{
		Transport: s.guard.Transport(),
		Timeout:   10 * time.Second,
		// A push service answers; it never sends us elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s, nil
}

// PublicKey is the browser's applicationServerKey: base64url of the 65-byte uncompressed point.
func (s *Service) PublicKey() string { return s.pub }

// CheckEndpoint reports whether raw is an endpoint the studio may send to (SPEC §16.3).
func (s *Service) CheckEndpoint(raw string) error {
	if len(raw) > maxEndpoint || strings.ContainsAny(raw, "#\\") || !utf8.ValidString(raw) {
		return ErrInvalidEndpoint
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil || u.Opaque != "" {
		return ErrInvalidEndpoint
	}
	switch u.Scheme {
	case "https":
	case "http":
		// Only a local push service (tests) on a listed loopback literal, and only when asked.
		a, err := netip.ParseAddr(u.Hostname())
		if !s.opts.AllowInsecureLoopback || err != nil || !a.IsLoopback() {
			return ErrInvalidEndpoint
		}
	default:
		return ErrInvalidEndpoint
	}
	if !s.guard.Allows(u) {
		return ErrInvalidEndpoint
	}
	return nil
}

// Subscription is what a browser's PushSubscription.toJSON() gives.
type Subscription struct {
	Endpoint string
	P256dh   string
	Auth     string
}

// Subscribe saves a person's subscription; created is false when the same endpoint was theirs.
func (s *Service) Subscribe(ctx context.Context, userID int64, in Subscription, userAgent string) (*store.PushSubscription, bool, error) {
	if err := s.CheckEndpoint(in.Endpoint); err != nil {
		return nil, false, err
	}
	p256dh, err := decodeKey(in.P256dh)
	if err != nil || len(p256dh) != 65 {
		return nil, false, ErrInvalidKeys
	}
	if _, err := ecdh.P256().NewPublicKey(p256dh); err != nil {
		return nil, false, ErrInvalidKeys
	}
	auth, err := decodeKey(in.Auth)
	if err != nil || len(auth) != 16 {
		return nil, false, ErrInvalidKeys
	}
	sub := &store.PushSubscription{ID: strings.ToLower(rand.Text()), UserID: userID, Endpoint: in.Endpoint, P256dh: p256dh, Auth: auth}
	if ua := strings.ToValidUTF8(strings.ReplaceAll(userAgent, "\x00", ""), ""); ua != "" {
		if r := []rune(ua); len(r) > maxUserAgent {
			ua = string(r[:maxUserAgent])
		}
		sub.UserAgent = &ua
	}
	return s.st.SavePushSubscription(ctx, sub, MaxSubscriptions)
}

func decodeKey(v string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(v, "="))
}

// List is a person's subscriptions, newest first.
func (s *Service) List(ctx context.Context, userID int64) ([]*store.PushSubscription, error) {
	return s.st.PushSubscriptions(ctx, userID)
}

// Delete removes a person's subscription (another person's: model.ErrNotFound).
func (s *Service) Delete(ctx context.Context, userID int64, id string) error {
	return s.st.DeletePushSubscription(ctx, userID, id)
}

// Prefs are a person's notification settings.
func (s *Service) Prefs(ctx context.Context, userID int64) (store.PushPrefs, error) {
	return s.st.PushPrefsOf(ctx, userID)
}

// SetPrefs changes the settings given (nil keeps a value) and returns them all.
func (s *Service) SetPrefs(ctx context.Context, userID int64, push, onlyWhenAway *bool) (store.PushPrefs, error) {
	p, err := s.st.PushPrefsOf(ctx, userID)
	if err != nil {
		return p, err
	}
	if push != nil {
		p.Push = *push
	}
	if onlyWhenAway != nil {
		p.OnlyWhenAway = *onlyWhenAway
	}
	return p, s.st.SetPushPrefs(ctx, userID, p)
}

// StreamOpened records an open event stream of a person (a studio tab) until the returned
// func is called, when the stream closes.
func (s *Service) StreamOpened(ctx context.Context, userID int64) (closed func(), err error) {
	id := strings.ToLower(rand.Text())
	if err := s.st.OpenStream(ctx, id, userID, s.opts.Instance); err != nil {
		return nil, err
	}
	s.streams.Store(id, struct{}{})
	return func() {
		s.streams.Delete(id)
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.st.CloseStream(cctx, id); err != nil {
			s.log.Warn("push: stream close not recorded", "err", err)
		}
	}, nil
}

// Changed is the journal's listener: it queues the changes for a look at whether the job ended.
// It never blocks the journal: when the queue is full a change is dropped (logged).
func (s *Service) Changed(changes []events.Change) {
	for _, c := range changes {
		select {
		case s.ended <- c:
		default:
			s.log.Warn("push: queue full, a change was not examined")
		}
	}
}

// Run handles queued changes and keeps this replica's open streams fresh until ctx ends, then
// waits for the messages in flight.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(touchEvery)
	defer t.Stop()
	defer s.wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.st.TouchStreams(ctx, s.opts.Instance, s.opts.Now().Add(-keepStreams)); err != nil && ctx.Err() == nil {
				s.log.Warn("push: open streams not refreshed", "err", err)
			}
		case c := <-s.ended:
			if err := s.examine(ctx, c); err != nil && ctx.Err() == nil {
				s.log.Warn("push: generation end not handled", "generation", c.GenerationID, "err", err)
			}
		}
	}
}

// examine pushes a generation that has just ended, once, to its owner's subscriptions, when
// the owner wants it and (with onlyWhenAway) has no studio tab open.
func (s *Service) examine(ctx context.Context, c events.Change) error {
	g, err := s.st.Generation(ctx, c.UserID, c.GenerationID)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if g.Status != model.StatusSucceeded && g.Status != model.StatusFailed {
		return nil
	}
	if g.CompletedAt == nil || s.opts.Now().Sub(*g.CompletedAt) > recentEnd {
		return nil
	}
	subs, err := s.st.PushSubscriptions(ctx, g.UserID)
	if err != nil || len(subs) == 0 {
		return err
	}
	// Claimed before deciding: the decision is taken once, at the end, and never again.
	claimed, err := s.st.ClaimPushSend(ctx, g.ID, s.opts.Now().Add(-keepSent))
	if err != nil || !claimed {
		return err
	}
	prefs, err := s.st.PushPrefsOf(ctx, g.UserID)
	if err != nil || !prefs.Push {
		return err
	}
	if prefs.OnlyWhenAway {
		// As of the moment the job ended, not of now: the worker may look a moment later.
		open, err := s.st.HadOpenStream(ctx, g.UserID, *g.CompletedAt, staleAfter)
		if err != nil || open {
			return err
		}
	}
	body, err := s.payload(g)
	if err != nil {
		return err
	}
	for _, sub := range subs {
		select {
		case s.slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.slots }()
			s.deliver(ctx, sub, body)
		}()
	}
	return nil
}

// hostOf names a push service in logs: its host only, never the endpoint's path (a token).
func hostOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "?"
	}
	if h, _, err := net.SplitHostPort(u.Host); err == nil {
		return h
	}
	return u.Host
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
