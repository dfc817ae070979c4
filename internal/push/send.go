package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/falstudio/falstudio/internal/backoff"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/store"
)

const (
	ttl          = 86400
	maxAttempts  = 5
	maxRetryWait = 60 * time.Second
	maxTitle     = 100
	maxBody      = 120
)

// Message is the payload a notification carries: nothing about the person or the job beyond
// the model, the outcome and the start of the prompt (SPEC §16.3).
type Message struct {
	Type   string `json:"type"`
	ID     string `json:"id"`
	Status string `json:"status"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	URL    string `json:"url"`
}

func (s *Service) payload(g *model.Generation) ([]byte, error) {
	name := s.opts.ModelName(g.Model)
	if name == "" {
		name = g.Model
	}
	outcome := "ready"
	if g.Status == model.StatusFailed {
		outcome = "failed"
	}
	suffix := " · " + outcome
	title := cut(name, maxTitle-len([]rune(suffix))) + suffix
	return json.Marshal(Message{Type: "generation", ID: g.ID, Status: g.Status, Title: title,
		Body: cut(strings.Join(strings.Fields(g.Prompt), " "), maxBody), URL: "/create?generation=" + g.ID})
}

// cut shortens s to at most n characters, at a word where it can, ending with "…".
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	r = r[:n-1]
	if i := strings.LastIndexFunc(string(r), unicode.IsSpace); i > 0 {
		r = []rune(strings.TrimRightFunc(string(r)[:i], unicode.IsSpace))
	}
	return string(r) + "…"
}

// outcome is what a push service's answer means for the studio.
type outcome int

const (
	delivered outcome = iota
	gone              // 404, 410: the subscription is removed
	retry             // 429, 5xx, timeout, network error
	refused           // another 4xx or a redirect: dropped, subscription kept
)

func classify(status int) outcome {
	switch {
	case status >= 200 && status < 300:
		return delivered
	case status == http.StatusNotFound || status == http.StatusGone:
		return gone
	case status == http.StatusTooManyRequests || status >= 500:
		return retry
	default:
		return refused
	}
}

// deliver sends one message to one subscription, retrying a busy push service (at most
// maxAttempts in all, about 1 s, 2 s, 4 s, 8 s apart, or its Retry-After up to a minute).
func (s *Service) deliver(ctx context.Context, sub *store.PushSubscription, body []byte) {
	host := hostOf(sub.Endpoint)
	for attempt := 0; attempt < maxAttempts; attempt++ {
		status, retryAfter, err := s.send(ctx, sub, body)
		if errors.Is(err, ErrInvalidEndpoint) {
			s.log.Warn("push: endpoint no longer allowed; message dropped", "host", host)
			return
		}
		o := retry
		if err == nil {
			o = classify(status)
		}
		switch o {
		case delivered:
			return
		case gone:
			if derr := s.st.DeletePushSubscriptionByID(context.WithoutCancel(ctx), sub.ID); derr != nil {
				s.log.Warn("push: gone subscription not removed", "host", host, "err", derr)
			}
			return
		case refused:
			s.log.Warn("push: message refused by the push service", "host", host, "status", status)
			return
		}
		if attempt == maxAttempts-1 {
			s.log.Warn("push: message dropped after retries", "host", host, "status", status)
			return
		}
		wait := backoff.Around(attempt, s.opts.RetryBase, 8*s.opts.RetryBase, 0.2)
		if retryAfter > 0 {
			wait = min(retryAfter, maxRetryWait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// send makes one attempt; errors never carry the endpoint (its path is a credential).
func (s *Service) send(ctx context.Context, sub *store.PushSubscription, body []byte) (status int, retryAfter time.Duration, err error) {
	if err := s.CheckEndpoint(sub.Endpoint); err != nil { // PUSH_HOSTS may have changed since
		return 0, 0, err
	}
	// The library appends its padding to the slice it is given: each send gets its own copy.
	resp, err := webpush.SendNotificationWithContext(ctx, slices.Clip(bytes.Clone(body)), &webpush.Subscription{
		Endpoint: sub.Endpoint,
		Keys:     webpush.Keys{P256dh: b64(sub.P256dh), Auth: b64(sub.Auth)},
	}, &webpush.Options{
		HTTPClient: s.client,
		// The library writes "mailto:" itself before anything that is not an https: URL.
		Subscriber:      strings.TrimPrefix(s.opts.Subject, "mailto:"),
		TTL:             ttl,
		Urgency:         webpush.UrgencyNormal,
		VAPIDPublicKey:  s.pub,
		VAPIDPrivateKey: s.priv,
	})
	if err != nil {
		return 0, 0, errors.New("push: send failed") // the library's error may quote the URL
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // drain so the connection is reused
	if v := resp.Header.Get("Retry-After"); v != "" {
		if n, perr := strconv.Atoi(v); perr == nil && n >= 0 {
			retryAfter = time.Duration(n) * time.Second
		} else if t, perr := http.ParseTime(v); perr == nil {
			retryAfter = time.Until(t)
		}
	}
	return resp.StatusCode, retryAfter, nil
}
