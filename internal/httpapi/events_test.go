package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/dbtest"
	"github.com/falstudio/falstudio/internal/falsim"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/testutil"
)

// sseMsg is one message of an event stream: an id-only message has no Event and no Data.
type sseMsg struct {
	ID, Event, Data string
}

// eventStream reads a server-sent event stream in the background.
type eventStream struct {
	msgs   chan sseMsg
	closed chan struct{} // closed when the server ends the stream
	cancel context.CancelFunc
}

const streamWait = 20 * time.Second

// openStream opens path as an event stream; a non-200 answer is returned as a Response.
func openStream(t testing.TB, c *testutil.Client, path string, hdr ...string) (*eventStream, *testutil.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", c.Base+path, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	client := *c.HTTP
	client.Timeout = 0 // the context bounds the stream
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("open %s: %v", path, err)
	}
	if resp.StatusCode != 200 {
		defer cancel()
		return nil, testutil.ReadResponse(t, resp)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	s := &eventStream{msgs: make(chan sseMsg, 256), closed: make(chan struct{}), cancel: cancel}
	t.Cleanup(cancel)
	go func() {
		defer close(s.closed)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 4<<10), 1<<20) // grows for a large event only
		var m sseMsg
		fields := 0
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if fields > 0 && (m.ID != "" || m.Data != "") {
					s.msgs <- m
				}
				m, fields = sseMsg{}, 0
			case strings.HasPrefix(line, "id: "):
				m.ID, fields = strings.TrimPrefix(line, "id: "), fields+1
			case strings.HasPrefix(line, "event: "):
				m.Event, fields = strings.TrimPrefix(line, "event: "), fields+1
			case strings.HasPrefix(line, "data: "):
				m.Data, fields = strings.TrimPrefix(line, "data: "), fields+1
			}
		}
	}()
	return s, nil
}

// next returns the next message, failing the test when none comes in time.
func (s *eventStream) next(t testing.TB) sseMsg {
	t.Helper()
	select {
	case m := <-s.msgs:
		return m
	case <-s.closed:
		select {
		case m := <-s.msgs:
			return m
		default:
		}
		t.Fatal("the stream ended")
	case <-time.After(streamWait):
		t.Fatal("no event in time")
	}
	return sseMsg{}
}

// ready reads the snapshot up to its id-only cursor message and returns the snapshot.
func (s *eventStream) ready(t testing.TB) (snapshot []genEvent, cursor int64) {
	t.Helper()
	for {
		m := s.next(t)
		if m.Data == "" {
			n, err := strconv.ParseInt(m.ID, 10, 64)
			if err != nil {
				t.Fatalf("cursor %q: %v", m.ID, err)
			}
			return snapshot, n
		}
		snapshot = append(snapshot, decodeEvent(t, m))
	}
}

type genEvent struct {
	Seq int64
	generationJSON
	Group  *string         `json:"group"`
	Params map[string]any  `json:"params"`
	Raw    json.RawMessage `json:"-"`
}

func decodeEvent(t testing.TB, m sseMsg) genEvent {
	t.Helper()
	if m.Event != "generation" {
		t.Fatalf("event type %q (%+v)", m.Event, m)
	}
	var g genEvent
	if err := json.Unmarshal([]byte(m.Data), &g); err != nil {
		t.Fatalf("event data %s: %v", m.Data, err)
	}
	var whole map[string]json.RawMessage
	if err := json.Unmarshal([]byte(m.Data), &whole); err != nil {
		t.Fatalf("event data: %v", err)
	}
	for _, k := range []string{"id", "model", "prompt", "params", "status", "queuePosition", "logs", "error", "notice", "assets", "createdAt", "updatedAt", "completedAt", "group"} {
		if _, ok := whole[k]; !ok {
			t.Fatalf("event data lacks %q: %s", k, m.Data)
		}
	}
	if m.ID != "" {
		n, err := strconv.ParseInt(m.ID, 10, 64)
		if err != nil {
			t.Fatalf("event id %q: %v", m.ID, err)
		}
		g.Seq = n
	}
	g.Raw = json.RawMessage(m.Data)
	return g
}

func isTerminal(status string) bool {
	return status == "succeeded" || status == "failed" || status == "canceled"
}

// untilDone reads events until every id in want reached a terminal state, checking that event
// ids only grow; it returns every event read.
func (s *eventStream) untilDone(t testing.TB, after int64, want map[string]bool) []genEvent {
	t.Helper()
	return s.untilDoneAfter(t, after, want, nil)
}

// untilDoneAfter is untilDone where the generations in finished may show up again (a change
// journaled after the state a stream already read), but only in a terminal state.
func (s *eventStream) untilDoneAfter(t testing.TB, after int64, want, finished map[string]bool) []genEvent {
	t.Helper()
	var out []genEvent
	last := after
	done := map[string]bool{}
	for len(done) < len(want) {
		m := s.next(t)
		if m.Data == "" {
			continue
		}
		g := decodeEvent(t, m)
		if g.Seq <= last {
			t.Fatalf("event id %d after %d: ids must increase", g.Seq, last)
		}
		last = g.Seq
		if finished[g.ID] && isTerminal(g.Status) {
			continue
		}
		out = append(out, g)
		if !want[g.ID] {
			t.Fatalf("event for a generation not asked for: %s", g.ID)
		}
		if isTerminal(g.Status) {
			done[g.ID] = true
		}
	}
	return out
}

func TestUserEventsManyJobsOneConnection(t *testing.T) {
	g := newGenEnv(t, falsim.Options{QueuePolls: 2, RunPolls: 2}, nil, "")
	c := g.user(t, "many@example.com", "sim-key-1")
	st, _ := openStream(t, c, "/api/events")
	snap, cursor := st.ready(t)
	if len(snap) != 0 {
		t.Fatalf("a new user's snapshot has %d generations", len(snap))
	}
	want := map[string]bool{}
	for i := range 6 {
		want[submit(t, c, "fal-ai/flux/schnell", "job "+strconv.Itoa(i), nil).ID] = true
	}
	events := st.untilDone(t, cursor, want)
	final := map[string]genEvent{}
	for _, e := range events {
		final[e.ID] = e
	}
	for id := range want {
		if final[id].Status != "succeeded" || len(final[id].Assets) == 0 || !strings.HasPrefix(final[id].Assets[0].URL, "/media/") {
			t.Fatalf("generation %s ended %+v", id, final[id])
		}
	}
	// Previews are made by their own worker after the save; each one arrives as one more event
	// of its generation (the stream's next() bounds the wait).
	for id := range want {
		for !strings.Contains(string(final[id].Raw), `"thumbUrl":"/media/`) {
			m := st.next(t)
			if m.Data == "" {
				continue
			}
			e := decodeEvent(t, m)
			if !want[e.ID] || e.Status != "succeeded" {
				t.Fatalf("after success, an event for %s in %s", e.ID, e.Status)
			}
			final[e.ID] = e
		}
	}
	// An event is the whole Generation, exactly as GET /api/generations/{id} answers.
	for id, e := range final {
		var direct struct {
			Generation json.RawMessage `json:"generation"`
		}
		if err := json.Unmarshal(c.Do("GET", "/api/generations/"+id, nil).Body, &direct); err != nil {
			t.Fatalf("get: %v", err)
		}
		if string(direct.Generation) != string(e.Raw) {
			t.Fatalf("event differs from GET:\n%s\n%s", e.Raw, direct.Generation)
		}
	}
}

func TestUserEventsIsolationAndResume(t *testing.T) {
	g := newGenEnv(t, falsim.Options{QueuePolls: 1, RunPolls: 1}, nil, "")
	alice := g.user(t, "alice-ev@example.com", "sim-key-a")
	bob := g.user(t, "bob-ev@example.com", "sim-key-b")
	bobStream, _ := openStream(t, bob, "/api/events")
	_, bobCursor := bobStream.ready(t)

	a := openReady(t, alice)
	first := submit(t, alice, "fal-ai/flux/schnell", "first", nil)
	evs := a.st.untilDone(t, a.cursor, map[string]bool{first.ID: true})
	lastSeen := evs[len(evs)-1].Seq
	a.st.cancel() // the connection drops

	// While alice is away, a second job runs to its end.
	second := submit(t, alice, "fal-ai/flux/schnell", "second", nil)
	waitDone(t, alice, second.ID)

	// Resuming with Last-Event-ID replays what she missed, and nothing she had seen.
	resumed, _ := openStream(t, alice, "/api/events", "Last-Event-ID", strconv.FormatInt(lastSeen, 10))
	missed := resumed.untilDoneAfter(t, lastSeen, map[string]bool{second.ID: true}, map[string]bool{first.ID: true})
	if missed[len(missed)-1].Status != "succeeded" {
		t.Fatalf("resumed stream ended with %+v", missed[len(missed)-1])
	}

	// An id the journal does not hold starts from current state: the active generations, then
	// the cursor.
	for _, bad := range []string{"999999999999", "not-a-number", "-5"} {
		s, _ := openStream(t, alice, "/api/events", "Last-Event-ID", bad)
		snap, cur := s.ready(t)
		for _, e := range snap {
			if isTerminal(e.Status) {
				t.Fatalf("snapshot for %q holds a finished generation %+v", bad, e)
			}
		}
		if cur < lastSeen {
			t.Fatalf("cursor %d is behind %d", cur, lastSeen)
		}
		s.cancel()
	}

	// Bob's own job: his stream carries it and never one of alice's.
	mine := submit(t, bob, "fal-ai/flux/schnell", "bob's", nil)
	bobEvents := bobStream.untilDone(t, bobCursor, map[string]bool{mine.ID: true})
	for _, e := range bobEvents {
		if e.ID == first.ID || e.ID == second.ID || strings.Contains(string(e.Raw), "alice") {
			t.Fatalf("bob saw alice's generation: %s", e.Raw)
		}
	}
}

type readyStream struct {
	st     *eventStream
	cursor int64
}

func openReady(t testing.TB, c *testutil.Client) readyStream {
	t.Helper()
	st, r := openStream(t, c, "/api/events")
	if st == nil {
		t.Fatalf("open: %d %s", r.Status, r.Body)
	}
	_, cur := st.ready(t)
	return readyStream{st: st, cursor: cur}
}

func TestUserEventsSnapshotOfActiveJobs(t *testing.T) {
	// Jobs stay queued for an hour: the snapshot holds them, oldest first.
	g := newGenEnv(t, falsim.Options{QueueTime: time.Hour}, nil, "")
	c := g.user(t, "snap@example.com", "sim-key-1")
	a := submit(t, c, "fal-ai/flux/schnell", "a", nil)
	b := submit(t, c, "fal-ai/flux/schnell", "b", nil)
	st, _ := openStream(t, c, "/api/events")
	snap, _ := st.ready(t)
	if len(snap) != 2 || snap[0].ID != a.ID || snap[1].ID != b.ID || snap[0].Seq != 0 {
		t.Fatalf("snapshot %+v", snap)
	}
}

func TestEventStreamLimit(t *testing.T) {
	g := newGenEnv(t, falsim.Options{QueueTime: time.Hour}, nil, "")
	c := g.user(t, "greedy@example.com", "sim-key-1")
	other := g.user(t, "other@example.com", "sim-key-2")
	queued := submit(t, c, "fal-ai/flux/schnell", "waits", nil)
	// Both routes count: 15 person streams and one generation stream fill the 16 slots.
	var open []*eventStream
	for range 15 {
		s, r := openStream(t, c, "/api/events")
		if s == nil {
			t.Fatalf("stream %d refused: %d %s", len(open)+1, r.Status, r.Body)
		}
		open = append(open, s)
	}
	gs, r := openStream(t, c, "/api/generations/"+queued.ID+"/events")
	if gs == nil {
		t.Fatalf("generation stream refused: %d %s", r.Status, r.Body)
	}
	gs.next(t)
	for _, path := range []string{"/api/events", "/api/generations/" + queued.ID + "/events"} {
		s, r := openStream(t, c, path)
		if s != nil || r.Status != 429 || r.ErrorCode() != "too_many_streams" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("%s past the limit: %+v", path, r)
		}
	}
	// Another person is not affected.
	if s, r := openStream(t, other, "/api/events"); s == nil {
		t.Fatalf("another user refused: %d %s", r.Status, r.Body)
	}
	// A stream that ends gives its slot back: the generation stream ends with its job.
	if res := c.Do("POST", "/api/generations/"+queued.ID+"/cancel", nil); res.Status != 200 {
		t.Fatalf("cancel: %d %s", res.Status, res.Body)
	}
	select {
	case <-gs.closed:
	case <-time.After(streamWait):
		t.Fatal("the generation stream did not end after cancel")
	}
	// The slot is released before the handler returns, so before the client sees the end.
	if s, r := openStream(t, c, "/api/events"); s == nil {
		t.Fatalf("slot not released: %d %s", r.Status, r.Body)
	}
	for _, s := range open {
		s.cancel()
	}
}

func TestEventStreamLifetimeAndShutdown(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	opts := app.Options{Generation: generation.Options{PollMin: 5 * time.Millisecond, PollMax: 20 * time.Millisecond},
		StreamLifetime: 300 * time.Millisecond}
	st := testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(), App: opts})
	c := st.NewClient(t)
	c.SignUp("life@example.com", goodPassword)

	s, r := openStream(t, c, "/api/events")
	if s == nil {
		t.Fatalf("open: %d %s", r.Status, r.Body)
	}
	s.ready(t)
	select {
	case <-s.closed: // the lifetime ended it; the browser reconnects after the retry delay
	case <-time.After(streamWait):
		t.Fatal("the stream outlived its lifetime")
	}

	// Shutdown ends a live stream at once (the default lifetime is far away).
	st2 := testutil.NewStudio(t, testutil.StudioOptions{Env: sim.URLs().Env(), App: fastRunner})
	c2 := st2.NewClient(t)
	c2.SignUp("shut@example.com", goodPassword)
	s2, r2 := openStream(t, c2, "/api/events")
	if s2 == nil {
		t.Fatalf("open: %d %s", r2.Status, r2.Body)
	}
	s2.ready(t)
	stopped := make(chan struct{})
	go func() { st2.Stop(); close(stopped) }()
	select {
	case <-s2.closed:
	case <-time.After(streamWait):
		t.Fatal("the stream did not end at shutdown")
	}
	<-stopped
}

func TestVariationsRunAsOneGroup(t *testing.T) {
	g := newGenEnv(t, falsim.Options{QueuePolls: 1, RunPolls: 1}, nil, "")
	c := g.user(t, "vary@example.com", "sim-key-1")
	a := openReady(t, c)

	r := c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "a fox",
		"params": map[string]any{"seed": 41, "num_images": 1}, "variations": map[string]any{"count": 3, "seeds": "increment"}})
	if r.Status != 202 {
		t.Fatalf("variations: %d %s", r.Status, r.Body)
	}
	// The answer comes after the first submit; the others follow in the background, in the group.
	out := decodeVariations(t, r)
	if len(out.Generations) != 1 || out.Group == "" || out.Error != nil || out.Generation.ID != out.Generations[0].ID {
		t.Fatalf("variations answer %s", r.Body)
	}
	if seed, _ := out.Generation.Params["seed"].(float64); seed != 41 {
		t.Fatalf("first variation's seed %v, want 41", out.Generation.Params["seed"])
	}
	seeds := map[string]float64{}
	done := map[string]bool{}
	for range 200 { // bounded: each of the 3 jobs sends a few events
		if len(done) == 3 {
			break
		}
		m := a.st.next(t)
		if m.Data == "" {
			continue
		}
		e := decodeEvent(t, m)
		if e.Group == nil || *e.Group != out.Group {
			t.Fatalf("event outside the group: %s", e.Raw)
		}
		seeds[e.ID], _ = e.Params["seed"].(float64)
		if isTerminal(e.Status) {
			if e.Status != "succeeded" {
				t.Fatalf("variation ended %s: %s", e.Status, e.Raw)
			}
			done[e.ID] = true
		}
	}
	if len(done) != 3 || len(seeds) != 3 {
		t.Fatalf("%d variations finished, %d seen; want 3", len(done), len(seeds))
	}
	got := map[float64]bool{}
	for _, sd := range seeds {
		got[sd] = true
	}
	if !got[41] || !got[42] || !got[43] {
		t.Fatalf("variation seeds %v, want 41, 42 and 43", seeds)
	}

	// Random seeds: each its own, all recorded.
	r = c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "a fox", "variations": map[string]any{"count": 2, "seeds": "random"}})
	if out = decodeVariations(t, r); r.Status != 202 || len(out.Generations) != 1 {
		t.Fatalf("random variations: %d %s", r.Status, r.Body)
	}
	for _, v := range out.Generations {
		if _, ok := v.Params["seed"].(float64); !ok {
			t.Fatalf("random variation without a seed: %s", r.Body)
		}
	}
	// A model without a seed runs the same settings again, with no seed made up.
	r = c.Do("POST", "/api/generations", map[string]any{"model": "fal-ai/nano-banana", "prompt": "a fox", "variations": map[string]any{"count": 2}})
	if out = decodeVariations(t, r); r.Status != 202 || len(out.Generations) != 1 {
		t.Fatalf("seedless variations: %d %s", r.Status, r.Body)
	}
	if _, ok := out.Generations[0].Params["seed"]; ok {
		t.Fatalf("seed added to a model without one: %s", r.Body)
	}

	for _, tc := range []struct {
		name string
		body map[string]any
		code string
	}{
		{"too many", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "x", "variations": map[string]any{"count": 9}}, "invalid_input"},
		{"none", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "x", "variations": map[string]any{"count": 0}}, "invalid_input"},
		{"bad seeds", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "x", "variations": map[string]any{"count": 2, "seeds": "fixed"}}, "invalid_input"},
		{"bad input refused once", map[string]any{"model": "fal-ai/flux/schnell", "prompt": "", "variations": map[string]any{"count": 3}}, "invalid_input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Do("POST", "/api/generations", tc.body)
			if r.Status != 400 || r.ErrorCode() != tc.code {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
		})
	}
}

type variationsJSON struct {
	Generation  genEvent   `json:"generation"`
	Generations []genEvent `json:"generations"`
	Group       string     `json:"group"`
	Error       *struct{}  `json:"error"`
}

func decodeVariations(t *testing.T, r *testutil.Response) variationsJSON {
	t.Helper()
	var out variationsJSON
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	return out
}

// The event id is the shared journal's seq, so a browser resumes on whichever replica it reaches;
// with PostgreSQL's relay a stream on one replica also follows jobs another replica works.
func TestUserEventsAcrossReplicas(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{QueuePolls: 1, RunPolls: 1})
	env := sim.URLs().Env()
	env["DATABASE_URL"] = dbtest.URL(t)
	env["SESSION_SECRET"], env["ENCRYPTION_KEY"] = "replica-secret-replica-secret-0123456789", "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
	a := testutil.NewStudio(t, testutil.StudioOptions{Env: env, App: fastRunner})
	ca := a.NewClient(t)
	ca.SignUp("replicas-ev@example.com", goodPassword)
	ca.Do("PUT", "/api/me/fal-key", map[string]string{"falKey": "sim-key"})

	onA := openReady(t, ca)
	first := submit(t, ca, "fal-ai/flux/schnell", "first", nil)
	seen := onA.st.untilDone(t, onA.cursor, map[string]bool{first.ID: true})
	lastSeen := seen[len(seen)-1].Seq
	onA.st.cancel()
	second := submit(t, ca, "fal-ai/flux/schnell", "second", nil)
	waitDone(t, ca, second.ID)

	// Replica b starts only now, so on SQLite (no relay) replica a has worked every job so far.
	b := testutil.NewStudio(t, testutil.StudioOptions{Env: env, App: fastRunner})
	cb := b.NewClient(t)
	cb.HTTP.Jar = ca.HTTP.Jar // the same browser, behind a load balancer
	// Reconnecting to the other replica resumes after the same id.
	onB, r := openStream(t, cb, "/api/events", "Last-Event-ID", strconv.FormatInt(lastSeen, 10))
	if onB == nil {
		t.Fatalf("open on b: %d %s", r.Status, r.Body)
	}
	missed := onB.untilDoneAfter(t, lastSeen, map[string]bool{second.ID: true}, map[string]bool{first.ID: true})
	if missed[len(missed)-1].Status != "succeeded" {
		t.Fatalf("resumed on b: %+v", missed[len(missed)-1])
	}
	if dbtest.Postgres() {
		// Live: a job submitted through replica a reaches the stream held by replica b.
		third := submit(t, ca, "fal-ai/flux/schnell", "third", nil)
		onB.untilDoneAfter(t, missed[len(missed)-1].Seq, map[string]bool{third.ID: true}, map[string]bool{first.ID: true, second.ID: true})
	}
}
