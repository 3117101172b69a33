package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	sdk "github.com/switchboard-voice/switchboard/client"
)

// sseMsg is one message of an event stream: an event (id and data), an
// error (event: error), or a comment.
type sseMsg struct {
	id, event, data, comment string
}

// sseStream reads GET /v1/events/stream line by line in the background.
type sseStream struct {
	t      *testing.T
	resp   *http.Response
	msgs   chan sseMsg
	cancel context.CancelFunc
}

// openStream opens the event stream at path (with its query) with key,
// resuming after lastID when set, and fails unless it answers 200 as an
// event stream. It is closed when the test ends.
func openStream(t *testing.T, base, key, path, lastID string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-key", key)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("X-Accel-Buffering") != "no" {
		cancel()
		t.Fatalf("GET %s = %d %v, want 200 text/event-stream unbuffered", path, resp.StatusCode, resp.Header)
	}
	// The response's status and headers against the OpenAPI document; the
	// body is the stream itself, checked message by message below.
	specValidator(t).Check(t, req, resp, []byte(": stream\n\n"))
	s := &sseStream{t: t, resp: resp, msgs: make(chan sseMsg, 1000), cancel: cancel}
	go func() {
		defer close(s.msgs)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var m sseMsg
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if m != (sseMsg{}) {
					s.msgs <- m
				}
				m = sseMsg{}
			case strings.HasPrefix(line, ":"):
				s.msgs <- sseMsg{comment: strings.TrimSpace(line[1:])}
			case strings.HasPrefix(line, "id: "):
				m.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				m.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				m.data += line[6:]
			}
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *sseStream) close() {
	s.cancel()
	s.resp.Body.Close()
}

// next returns the next message that is not a comment (or, with comments,
// any message); ok is false when the stream ended first.
func (s *sseStream) next(what string, comments bool) (sseMsg, bool) {
	s.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-s.msgs:
			if !ok {
				return sseMsg{}, false
			}
			if (m.comment != "" || (m.data == "" && m.event == "")) && !comments {
				continue // a comment, or an id-only message naming where the stream starts
			}
			return m, true
		case <-deadline:
			s.t.Fatalf("%s: nothing on the stream within 10 s", what)
		}
	}
}

// event returns the next event and its envelope.
func (s *sseStream) event(what string) (sseMsg, envelope) {
	s.t.Helper()
	m, ok := s.next(what, false)
	if !ok {
		s.t.Fatalf("%s: the stream ended", what)
	}
	var env envelope
	if err := json.Unmarshal([]byte(m.data), &env); err != nil || m.event != "" || env.ID != m.id {
		s.t.Fatalf("%s: message %+v is not an event whose id is its envelope's (%v)", what, m, err)
	}
	return m, env
}

// quiet fails if an event arrives before a heartbeat does: nothing more
// was written, so nothing more may come.
func (s *sseStream) quiet(what string) {
	s.t.Helper()
	for {
		m, ok := s.next(what, true)
		if !ok {
			s.t.Fatalf("%s: the stream ended", what)
		}
		if m.comment == "heartbeat" {
			return
		}
		if m.comment == "" {
			s.t.Fatalf("%s: unexpected %+v", what, m)
		}
	}
}

type envelope struct {
	ID        string         `json:"id"`
	Event     string         `json:"event"`
	Timestamp time.Time      `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

func withEventStreams(heartbeat time.Duration, buffer int) serverOption {
	return func(c *ServeConfig) { c.EventsHeartbeat, c.EventsBuffer = heartbeat, buffer }
}

// TestEventStream follows GET /v1/events/stream through the real server:
// live events, resumption with Last-Event-ID (exactly the missed events,
// in order, then live), the type filter, heartbeats, and the log (GET
// /v1/events) agreeing with the stream.
func TestEventStream(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withEventStreams(200*time.Millisecond, 100))
	c := ts.client(ts.BootstrapKey)
	newEndpoint := func(name string) string {
		return c.must(201, c.do("POST", "/v1/endpoints", map[string]any{"name": name, "type": "webhook", "url": "https://x.example/" + name})).str("id")
	}

	s := openStream(t, ts.HTTPURL(), ts.BootstrapKey, "/v1/events/stream", "")
	ep1 := newEndpoint("one")
	m, env := s.event("first endpoint")
	if env.Event != "endpoint.created" || env.Data["id"] != ep1 || !strings.HasPrefix(m.id, "evt_") {
		t.Fatalf("first event = %+v, want endpoint.created of %s", env, ep1)
	}
	if _, ok := env.Data["secret"]; ok {
		t.Errorf("the stream carries an endpoint's secret: %s", m.data)
	}
	// The log has it, as the stream sent it.
	got := c.must(200, c.do("GET", "/v1/events/"+m.id, nil))
	var logged envelope
	if err := json.Unmarshal(got.Raw, &logged); err != nil || logged.ID != m.id || logged.Event != env.Event || !logged.Timestamp.Equal(env.Timestamp) {
		t.Fatalf("GET /v1/events/%s = %s, the stream sent %s", m.id, got.Raw, m.data)
	}
	s.quiet("after the first event") // a heartbeat, and no event twice
	s.close()

	// Missed while disconnected: three changes.
	ep2 := newEndpoint("two")
	c.must(200, c.do("PATCH", "/v1/endpoints/"+ep2, map[string]any{"name": "two v2"}))
	c.must(200, c.do("DELETE", "/v1/endpoints/"+ep1, nil))
	list := c.must(200, c.do("GET", "/v1/events?limit=3", nil)).list("events")
	var missed []string
	for _, e := range slices.Backward(list) {
		missed = append(missed, e.(map[string]any)["id"].(string))
	}

	s = openStream(t, ts.HTTPURL(), ts.BootstrapKey, "/api/v1/events/stream", m.id)
	var types, ids []string
	for range 3 {
		m, env := s.event("replay")
		types, ids = append(types, env.Event), append(ids, m.id)
	}
	if want := []string{"endpoint.created", "endpoint.updated", "endpoint.deleted"}; !slices.Equal(types, want) || !slices.Equal(ids, missed) {
		t.Fatalf("replay after %s = %v %v, want %v %v", m.id, types, ids, want, missed)
	}
	ep3 := newEndpoint("three")
	if _, env := s.event("live after the replay"); env.Event != "endpoint.created" || env.Data["id"] != ep3 {
		t.Fatalf("live after the replay = %+v, want endpoint.created of %s", env, ep3)
	}
	s.quiet("after the replay")

	// The type filter, with a wildcard and an alias.
	f := openStream(t, ts.HTTPURL(), ts.BootstrapKey, "/v1/events/stream?type=endpoint.deleted,number.*", "")
	ep4 := newEndpoint("four")
	c.must(200, c.do("DELETE", "/v1/endpoints/"+ep4, nil))
	if _, env := f.event("filtered"); env.Event != "endpoint.deleted" || env.Data["id"] != ep4 {
		t.Fatalf("filtered stream's first event = %+v, want endpoint.deleted of %s", env, ep4)
	}
	f.quiet("filtered")

	// The log's filters.
	l := c.must(200, c.do("GET", "/v1/events?type=endpoint.deleted", nil))
	if l.Body["total"] != float64(2) {
		t.Errorf("GET /v1/events?type=endpoint.deleted: %s", l.Raw)
	}
	if l := c.must(200, c.do("GET", "/v1/events?type=call.*&since=2020-01-01T00:00:00Z", nil)); l.Body["total"] != float64(0) {
		t.Errorf("GET /v1/events?type=call.*: %s", l.Raw)
	}
	c.mustErr(400, "VALIDATION_ERROR", c.do("GET", "/v1/events?type=call.nope", nil))
	c.mustErr(400, "VALIDATION_ERROR", c.do("GET", "/v1/events?since=yesterday", nil))
	c.mustErr(404, "EVENT_NOT_FOUND", c.do("GET", "/v1/events/evt_missing", nil))
	c.mustErr(404, "EVENT_NOT_FOUND", c.do("GET", "/v1/events/stream?last_event_id=evt_missing", nil))
	c.mustErr(400, "VALIDATION_ERROR", c.do("GET", "/v1/events/stream?type=nope", nil))
	(&client{t: t, base: ts.HTTPURL()}).mustErr(401, "MISSING_API_KEY", (&client{t: t, base: ts.HTTPURL()}).do("GET", "/v1/events/stream", nil))

	// Another organisation's stream sees none of this one's events, and
	// cannot resume from one.
	other := ts.newKey("globex")
	o := openStream(t, ts.HTTPURL(), other.key, "/v1/events/stream", "")
	newEndpoint("five")
	o.quiet("another organisation")
	other.mustErr(404, "EVENT_NOT_FOUND", other.do("GET", "/v1/events/stream?last_event_id="+m.id, nil))
}

// TestEventStreamSlowConsumer: a stream that falls more than
// --events-buffer events behind ends with a SLOW_CONSUMER error, and its
// reader catches up from the log with Last-Event-ID.
func TestEventStreamSlowConsumer(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withEventStreams(time.Hour, 2))
	c := ts.client(ts.BootstrapKey)
	ts.cli("inventory", "add", "+14155550101", "+14155550102")
	ep := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{"name": "one", "type": "webhook", "url": "https://x.example/1"})).str("id")
	for _, n := range []string{"+14155550101", "+14155550102"} {
		c.must(201, c.do("POST", "/v1/phone-numbers", map[string]any{"number": n, "endpoint_id": ep}))
	}
	s := openStream(t, ts.HTTPURL(), ts.BootstrapKey, "/v1/events/stream", "")
	s.next("the stream's opening comment", true)
	// One commit, three events: endpoint.deleted and two phone_number.updated.
	c.must(200, c.do("DELETE", "/v1/endpoints/"+ep, nil))
	m, ok := s.next("slow consumer", false)
	if !ok || m.event != "error" || !strings.Contains(m.data, `"SLOW_CONSUMER"`) {
		t.Fatalf("after 3 events at once with --events-buffer 2: %+v (stream open: %v), want an error event SLOW_CONSUMER", m, ok)
	}
	if m, ok := s.next("after the error", true); ok {
		t.Fatalf("the stream goes on after SLOW_CONSUMER: %+v", m)
	}
	// The log has all three; a reader resumes from the last event it saw.
	list := c.must(200, c.do("GET", "/v1/events?limit=4", nil)).list("events")
	before := list[3].(map[string]any)["id"].(string) // the last claim's event
	r := openStream(t, ts.HTTPURL(), ts.BootstrapKey, "/v1/events/stream", before)
	var types []string
	for range 3 {
		_, env := r.event("catch-up")
		types = append(types, env.Event)
	}
	if want := []string{"endpoint.deleted", "phone_number.updated", "phone_number.updated"}; !slices.Equal(types, want) {
		t.Fatalf("catch-up after SLOW_CONSUMER = %v, want %v", types, want)
	}
}

// TestEventStreamDrain: a draining server ends its streams with a comment
// instead of waiting for them until its shutdown timeout.
func TestEventStreamDrain(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	s := openStream(t, ts.HTTPURL(), ts.BootstrapKey, "/v1/events/stream", "")
	s.next("the stream's opening comment", true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	if err := ts.Close(ctx); err != nil {
		t.Fatalf("Close with a stream open: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Close took %v with a stream open", d)
	}
	m, ok := s.next("drain", true)
	if !ok || !strings.Contains(m.comment, "shutting down") {
		t.Fatalf("on drain the stream got %+v (open: %v), want a comment saying the server is shutting down", m, ok)
	}
	if m, ok := s.next("after the drain", true); ok {
		t.Fatalf("the stream goes on after the drain: %+v", m)
	}
}

// TestMultiNodeEventStream: an event written through node A reaches a
// stream open on node B (PostgreSQL's change feed), and B resumes a stream
// from an event A wrote.
func TestMultiNodeEventStream(t *testing.T) {
	t.Parallel()
	dsn := sharedSchema(t)
	a := startNode(t, dsn)
	key := a.bootstrapKey(t)
	b := startNode(t, dsn, "--events-heartbeat", "1h") // only the feed can wake B's stream
	ca := &client{t: t, base: a.httpURL, key: key}

	s := openStream(t, b.httpURL, key, "/v1/events/stream", "")
	s.next("the stream's opening comment", true)
	ep := ca.must(201, ca.do("POST", "/v1/endpoints", map[string]any{"name": "A", "type": "webhook", "url": "https://a.example/hook"})).str("id")
	first, env := s.event("an event written on node A")
	if env.Event != "endpoint.created" || env.Data["id"] != ep {
		t.Fatalf("node B's stream got %+v, want endpoint.created of %s", env, ep)
	}
	s.close()

	ca.must(200, ca.do("PATCH", "/v1/endpoints/"+ep, map[string]any{"name": "A2"}))
	ca.must(200, ca.do("DELETE", "/v1/endpoints/"+ep, nil))
	r := openStream(t, b.httpURL, key, "/v1/events/stream", first.id)
	var types []string
	for range 2 {
		_, env := r.event("replay on node B")
		types = append(types, env.Event)
	}
	if want := []string{"endpoint.updated", "endpoint.deleted"}; !slices.Equal(types, want) {
		t.Fatalf("node B's replay = %v, want %v", types, want)
	}
}

// TestSDKEvents drives the SDK's event methods against the real server:
// ListEvents and GetEvent agree with what StreamEvents yielded, and
// StreamEvents, ended by SLOW_CONSUMER, reconnects and resumes so that
// every event is yielded once, in order.
func TestSDKEvents(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withEventStreams(time.Hour, 2))
	c := ts.client(ts.BootstrapKey)
	sc := sdk.New(ts.HTTPURL(), ts.BootstrapKey, sdk.WithBackoff(10*time.Millisecond, 100*time.Millisecond))
	ts.cli("inventory", "add", "+14155550111", "+14155550112")
	ep := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{"name": "one", "type": "webhook", "url": "https://x.example/1"})).str("id")
	for _, n := range []string{"+14155550111", "+14155550112"} {
		c.must(201, c.do("POST", "/v1/phone-numbers", map[string]any{"number": n, "endpoint_id": ep}))
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reconnects := make(chan error, 10)
	got := make(chan *switchboard.Event, 10)
	go func() {
		for ev, err := range sc.StreamEvents(ctx, sdk.StreamEventsParams{OnReconnect: func(err error) { reconnects <- err }}) {
			if err != nil {
				t.Errorf("StreamEvents: %v", err)
				return
			}
			got <- ev
		}
	}()
	eventually(t, 5*time.Second, "the SDK's stream is open", func() bool { return ts.api().OpenStreams() == 1 })
	c.must(200, c.do("DELETE", "/v1/endpoints/"+ep, nil)) // three events at once: more than --events-buffer
	var types, ids []string
	for range 3 {
		select {
		case ev := <-got:
			types, ids = append(types, ev.Type), append(ids, ev.ID)
		case <-time.After(10 * time.Second):
			t.Fatalf("StreamEvents yielded %v, then nothing for 10 s", types)
		}
	}
	if want := []string{"endpoint.deleted", "phone_number.updated", "phone_number.updated"}; !slices.Equal(types, want) {
		t.Fatalf("StreamEvents yielded %v, want %v", types, want)
	}
	select {
	case err := <-reconnects:
		if sdk.ErrorCode(err) != sdk.ECodeSlowConsumer {
			t.Errorf("reconnected after %v, want SLOW_CONSUMER", err)
		}
	default:
		t.Error("StreamEvents did not reconnect: the stream must have ended with SLOW_CONSUMER")
	}
	select {
	case ev := <-got:
		t.Fatalf("StreamEvents yielded %s %s more than once or out of nowhere", ev.Type, ev.ID)
	case <-time.After(200 * time.Millisecond):
	}

	var listed []string
	for ev, err := range sc.ListEvents(ctx, sdk.ListEventsParams{Types: []string{"endpoint.deleted", "number.*"}}) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, ev.ID)
	}
	// The deletion's three events share one timestamp, so the log orders
	// them by ID; they come before the purchases.
	if len(listed) != 5 || !slices.Equal(slices.Sorted(slices.Values(listed[:3])), slices.Sorted(slices.Values(ids))) {
		t.Errorf("ListEvents = %v, want the deletion's 3 events %v first, then the 2 purchases", listed, ids)
	}
	ev, err := sc.GetEvent(ctx, ids[0])
	if err != nil || ev.Type != "endpoint.deleted" {
		t.Errorf("GetEvent(%s) = %+v, %v", ids[0], ev, err)
	}
	if _, err := sc.GetEvent(ctx, "evt_missing"); sdk.ErrorCode(err) != "EVENT_NOT_FOUND" {
		t.Errorf("GetEvent of a missing event = %v, want EVENT_NOT_FOUND", err)
	}
}
