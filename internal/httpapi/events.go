package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

// Event stream bounds (SPEC §10): a person holds at most a few open streams across both event
// routes, and every stream ends after a maximum lifetime (the browser reconnects and resumes),
// so one person cannot pin memory, goroutines or file descriptors.
const (
	defaultStreamsPerUser = 16
	// maxStreamsTotal bounds every person's streams together, so many accounts cannot exhaust
	// file descriptors either.
	maxStreamsTotal = 4096
	// reservedStreams is how many of a person's streams the last quarter of the total is kept
	// for: a crowd opening many streams each fills only the first three quarters, so another
	// person's first tabs are still admitted.
	reservedStreams       = 2
	defaultStreamLifetime = 30 * time.Minute
	keepAliveEvery        = 15 * time.Second
	sseWriteTimeout       = 30 * time.Second
	sseRetryMs            = 3000 // how soon a browser reconnects after a stream ends
)

// streamLimiter counts each person's open event streams.
type streamLimiter struct {
	mu       sync.Mutex
	open     map[int64]int
	total    int
	max      int // per person
	maxTotal int
}

func newStreamLimiter(max int) *streamLimiter {
	if max <= 0 {
		max = defaultStreamsPerUser
	}
	return &streamLimiter{open: map[int64]int{}, max: max, maxTotal: maxStreamsTotal}
}

// acquire takes one of the user's stream slots; release gives it back (once).
func (l *streamLimiter) acquire(userID int64) (release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[userID] >= l.max {
		e := model.Errf(model.CodeTooManyStreams, "You have %d live connections to the studio open, the most allowed. Close some studio tabs and try again.", l.max)
		e.RetryAfter = 5
		return nil, e
	}
	// Streams beyond a person's first reservedStreams stop at three quarters of the total; the
	// rest is kept for people holding fewer, so one crowd cannot lock everyone else out.
	if l.total >= l.maxTotal || (l.open[userID] >= reservedStreams && l.total >= l.maxTotal-l.maxTotal/4) {
		e := model.Errf(model.CodeTooManyStreams, "The studio has as many live connections open as it allows. Try again in a moment.")
		e.RetryAfter = 30
		return nil, e
	}
	l.open[userID]++
	l.total++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.total--
			if l.open[userID]--; l.open[userID] <= 0 {
				delete(l.open, userID)
			}
		})
	}, nil
}

// sse writes server-sent events; each write has its own deadline, so a client that stops
// reading frees its goroutine instead of holding it forever.
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// startSSE sends the stream's headers.
func startSSE(w http.ResponseWriter) *sse {
	rc := http.NewResponseController(w)
	// The server's ReadTimeout would otherwise cancel a stream that outlives it.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return &sse{w: w, rc: rc}
}

func (e *sse) write(s string) error {
	_ = e.rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
	if _, err := e.w.Write([]byte(s)); err != nil {
		return err
	}
	return e.rc.Flush()
}

// send writes one event; an empty id or name leaves that field out.
func (e *sse) send(id, name string, data []byte) error {
	var b strings.Builder
	if id != "" {
		b.WriteString("id: " + id + "\n")
	}
	if name != "" {
		b.WriteString("event: " + name + "\n")
	}
	b.WriteString("data: ")
	b.Write(data)
	b.WriteString("\n\n")
	return e.write(b.String())
}

// streamLoop runs a stream: step sends what changed, then the loop waits for the next wake-up,
// sending keep-alives, until the client leaves, the server shuts down, the lifetime passes or
// step says it is done.
type streamLoop struct {
	wake      <-chan struct{}
	shutdown  <-chan struct{}
	lifetime  time.Duration
	keepAlive time.Duration
	// alive is asked at each keep-alive whether the session still holds (logout, disable,
	// revocation end the stream within one keep-alive period); nil means always.
	alive func() bool
}

func (l streamLoop) run(ctx context.Context, out *sse, step func() (done bool, err error)) {
	end := time.NewTimer(l.lifetime)
	defer end.Stop()
	ka := time.NewTicker(l.keepAlive)
	defer ka.Stop()
	for {
		if done, err := step(); done || err != nil {
			return
		}
		if !l.wait(ctx, out, end.C, ka.C) {
			return
		}
	}
}

// wait blocks until the next wake-up or keep-alive (true), or until the stream must end (false).
func (l streamLoop) wait(ctx context.Context, out *sse, end, keepAlive <-chan time.Time) bool {
	select {
	case <-ctx.Done():
		return false
	case <-l.shutdown:
		return false
	case <-end:
		return false // the browser reconnects (Last-Event-ID) to a fresh stream
	case <-keepAlive:
		if l.alive != nil && !l.alive() {
			return false
		}
		// Read again after each keep-alive too: a wake-up lost between replicas then delays
		// an event by one keep-alive period at most.
		return out.write(": keep-alive\n\n") == nil
	case <-l.wake:
		return true
	}
}

// openStream takes a stream slot for the caller; the caller must release it.
// While it is open the person counts as having a studio tab open (no push, SPEC §16.3).
func (s *Server) openStream(r *http.Request) (func(), error) {
	userID := currentUser(r.Context()).ID
	release, err := s.streams.acquire(userID)
	if err != nil || s.Push == nil {
		return release, err
	}
	closed, err := s.Push.StreamOpened(r.Context(), userID)
	if err != nil {
		// The stream matters more than the record: at worst a push also reaches this person.
		s.log.WarnContext(r.Context(), "open event stream not recorded", "err", err)
		return release, nil
	}
	return func() { closed(); release() }, nil
}

func (s *Server) loop(r *http.Request, wake <-chan struct{}) streamLoop {
	lifetime := s.StreamLifetime
	if lifetime <= 0 {
		lifetime = defaultStreamLifetime
	}
	alive := func() bool {
		c, err := r.Cookie(s.cookieName(sessionCookie))
		if err != nil {
			return false
		}
		_, _, err = s.Accounts.Authenticate(r.Context(), c.Value)
		return err == nil
	}
	return streamLoop{wake: wake, shutdown: s.shutdown, lifetime: lifetime, keepAlive: keepAliveEvery, alive: alive}
}

// userEvents streams every change to the caller's generations (SPEC §10): `event: generation`,
// `id:` the journal seq of the change (the same on every replica), `data:` the whole Generation
// as it is now. With a Last-Event-ID still in the journal it resumes after that change;
// otherwise it starts with the current state of every active generation, then an id-only
// message carrying the cursor (it sets the browser's last event id without an event).
func (s *Server) userEvents(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	userID := currentUser(ctx).ID
	release, err := s.openStream(r)
	if err != nil {
		return err
	}
	defer release()
	// Subscribe before the first read, so a change between the two is not missed.
	changes, unsubscribe := s.Events.SubscribeUser(userID)
	defer unsubscribe()
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("lastEventId") // a client that reconnects by hand
	}
	cursor, resumed, err := s.Journal.Resume(ctx, userID, last)
	if err != nil {
		return err
	}
	var snapshot []byte
	if !resumed {
		active, err := s.Generations.List(ctx, userID, true)
		if err != nil {
			return err
		}
		var b strings.Builder
		for i := len(active) - 1; i >= 0; i-- { // oldest first, like the changes that follow
			data, err := json.Marshal(generationView(s.urls, active[i]))
			if err != nil {
				return err
			}
			b.WriteString("event: generation\ndata: " + string(data) + "\n\n")
		}
		b.WriteString("id: " + strconv.FormatInt(cursor, 10) + "\n\n")
		snapshot = []byte(b.String())
	}
	out := startSSE(w)
	if out.write("retry: "+strconv.Itoa(sseRetryMs)+"\n\n"+string(snapshot)) != nil {
		return nil
	}
	s.loop(r, changes).run(ctx, out, func() (bool, error) {
		for {
			list, next, more, err := s.Generations.ChangesAfter(ctx, userID, cursor)
			if err != nil {
				return true, err // the browser reconnects and resumes from its last id
			}
			for _, c := range list {
				data, err := json.Marshal(generationView(s.urls, c.Generation))
				if err != nil {
					return true, err
				}
				if err := out.send(strconv.FormatInt(c.Seq, 10), "generation", data); err != nil {
					return true, err
				}
			}
			cursor = next
			if !more {
				return false, nil
			}
		}
	})
	return nil
}
