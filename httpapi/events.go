package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// Defaults of the event stream (Config).
const (
	DefaultStreamHeartbeat    = 15 * time.Second
	DefaultStreamBuffer       = 1000
	DefaultStreamWriteTimeout = 30 * time.Second
)

// ECodeSlowConsumer is the code of the last message of a stream whose
// reader fell too far behind.
const ECodeSlowConsumer = "SLOW_CONSUMER"

// eventTypes reads the type parameter of the event routes: a
// comma-separated list of event types, aliases and wildcards, as a
// subscription's events accept them; absent means every event.
func eventTypes(q *query) []string {
	raw := q.str("type")
	if raw == "" {
		return nil
	}
	norm, err := switchboard.NormalizeEventFilters(strings.Split(raw, ","))
	if err != nil {
		var e *switchboard.Error
		if errors.As(err, &e) {
			err = switchboard.FieldError("type", "%s", e.Message)
		}
		q.fail(err)
		return nil
	}
	return norm
}

// handleListEvents is GET /v1/events: the organisation's event log, newest
// first.
func (s *Server) handleListEvents(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "type", "since")
	f := switchboard.EventFilter{Types: eventTypes(q), Page: q.page()}
	if v := q.str("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			q.fail(switchboard.FieldError("since", "since must be an RFC 3339 time such as 2026-11-28T00:00:00Z"))
		}
		f.Since = t
	}
	if q.err != nil {
		return q.err
	}
	list, total, err := s.store.ListEvents(r.Context(), apiKey(r.Context()).OrganizationID, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listBody("events", list, total, f.Page))
	return nil
}

// handleGetEvent is GET /v1/events/{id}.
func (s *Server) handleGetEvent(w http.ResponseWriter, r *http.Request) error {
	ev, err := s.store.FindEvent(r.Context(), apiKey(r.Context()).OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ev)
	return nil
}

// streamHub wakes the event streams of an organisation when its events are
// written. It holds no events: each stream reads the log itself, after
// the last event it sent, so a stream costs one wake-up channel however
// far behind it is, and replay and live delivery are the same read.
type streamHub struct {
	mu     sync.Mutex
	subs   map[string]map[*streamSub]struct{} // by organisation
	closed chan struct{}                      // closed by CloseStreams
	once   sync.Once
}

// streamSub is one open stream.
type streamSub struct {
	wake chan struct{} // capacity 1: there may be events to read
}

func newStreamHub() *streamHub {
	return &streamHub{subs: map[string]map[*streamSub]struct{}{}, closed: make(chan struct{})}
}

func (h *streamHub) add(orgID string) *streamSub {
	sub := &streamSub{wake: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[orgID] == nil {
		h.subs[orgID] = map[*streamSub]struct{}{}
	}
	h.subs[orgID][sub] = struct{}{}
	return sub
}

func (h *streamHub) remove(orgID string, sub *streamSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs[orgID], sub)
	if len(h.subs[orgID]) == 0 {
		delete(h.subs, orgID)
	}
}

// publish wakes the organisation's streams, or every stream for "". It
// never blocks.
func (h *streamHub) publish(orgID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	wake := func(subs map[*streamSub]struct{}) {
		for sub := range subs {
			select {
			case sub.wake <- struct{}{}:
			default:
			}
		}
	}
	if orgID != "" {
		wake(h.subs[orgID])
		return
	}
	for _, subs := range h.subs {
		wake(subs)
	}
}

// count is the number of open streams.
func (h *streamHub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, subs := range h.subs {
		n += len(subs)
	}
	return n
}

// FollowEvents wakes the event streams when events are written, through
// the store's event feed (every node's, with PostgreSQL), until ctx ends.
// Without it, streams still see new events at each heartbeat.
func (s *Server) FollowEvents(ctx context.Context) error {
	return s.store.SubscribeEvents(ctx, s.streams.publish)
}

// CloseStreams ends every event stream, each with a last comment saying
// why, and refuses new ones: a server draining calls it (http.Server's
// RegisterOnShutdown), since Shutdown waits for handlers to return and a
// stream would not.
func (s *Server) CloseStreams() { s.streams.once.Do(func() { close(s.streams.closed) }) }

// OpenStreams is the number of event streams open now.
func (s *Server) OpenStreams() int { return s.streams.count() }

// handleEventStream is GET /v1/events/stream: Server-Sent Events of the
// organisation's events as they are written. Each message's id is the
// event's ID and its data the event's envelope, as a webhook receives it.
// A client that reconnects with Last-Event-ID gets the events after that
// one from the log, then the live ones: positions in the log grow in
// commit order (switchboard.EventLog), so nothing is missed or repeated.
func (s *Server) handleEventStream(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	orgID := apiKey(ctx).OrganizationID
	q := newQuery(r.URL.Query(), "type", "last_event_id")
	types := eventTypes(q)
	if q.err != nil {
		return q.err
	}
	select {
	case <-s.streams.closed:
		return switchboard.Errorf(switchboard.ECodeUnavailable, "The server is shutting down; reconnect.")
	default:
	}
	// Subscribe before reading the position to start from, so that an
	// event committed in between wakes the stream rather than being lost.
	sub := s.streams.add(orgID)
	defer s.streams.remove(orgID, sub)
	var after int64
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = q.str("last_event_id") // for clients that cannot set headers
	}
	resumed := last != ""
	if resumed {
		ev, err := s.store.FindEvent(ctx, orgID, last)
		if err != nil {
			return err
		}
		after = ev.Seq
	} else {
		ev, err := s.store.LastEvent(ctx, orgID)
		if err != nil {
			return err
		}
		if ev != nil {
			after, last = ev.Seq, ev.ID
		}
	}

	st := &sseWriter{w: w, rc: http.NewResponseController(w), timeout: s.streamWriteTimeout}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	st.printf(": stream of %s's events\nretry: 2000\n\n", orgID)
	if !resumed && last != "" {
		// Where this stream starts, as an id-only message: a reader that
		// loses the stream before its first event resumes from here
		// (EventSource keeps the id as its Last-Event-ID).
		st.printf("id: %s\n\n", last)
	}
	if err := st.flush(); err != nil {
		return nil // the client is gone
	}

	heartbeat := time.NewTicker(s.streamHeartbeat)
	defer heartbeat.Stop()
	// live: past the replay of what followed Last-Event-ID, so that more
	// than a buffer of events waiting means the reader is behind. A stream
	// without one has nothing to replay: it is live from the start. (Of an
	// organisation without any event yet it names no start: a reader that
	// loses it before the first event starts again from then.)
	live := !resumed
	for {
		// Read what is new, a buffer at a time. The type filter is applied
		// here, not in the query, so that the position moves past the
		// events it drops: a filtered stream never reads them again.
		waiting := 0 // matching events read since the stream woke
		for {
			evs, next, err := s.store.EventsAfter(ctx, orgID, after, s.streamBuffer+1)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				s.logger.ErrorContext(ctx, "event stream: read the log", "request_id", requestID(ctx), "err", err)
				st.printf("event: error\ndata: {\"code\":%q,\"message\":\"The event log could not be read; reconnect with Last-Event-ID.\"}\n\n",
					switchboard.ECodeInternal)
				st.flush()
				return nil
			}
			full := len(evs) > s.streamBuffer // more may follow
			evs = slices.DeleteFunc(evs, func(ev *switchboard.Event) bool {
				return len(types) > 0 && !switchboard.EventMatches(types, ev.Type)
			})
			waiting += len(evs)
			if live && waiting > s.streamBuffer {
				// More arrived than the stream may hold back for its reader:
				// end it rather than let it lag without bound. The reader
				// resumes from the log with Last-Event-ID.
				st.printf("event: error\ndata: {\"code\":%q,\"message\":\"The stream fell more than %d events behind; reconnect with Last-Event-ID to catch up.\"}\n\n",
					ECodeSlowConsumer, s.streamBuffer)
				st.flush()
				return nil
			}
			for _, ev := range evs {
				if err := st.event(ev); err != nil {
					return nil
				}
			}
			if err := st.flush(); err != nil {
				return nil
			}
			after = next
			if !full {
				break
			}
		}
		live = true
		select {
		case <-ctx.Done():
			return nil
		case <-s.streams.closed:
			st.printf(": server shutting down; reconnect with Last-Event-ID\n\n")
			st.flush()
			return nil
		case <-sub.wake:
		case <-heartbeat.C:
			// A key revoked or expired since the stream opened ends it, as
			// it would refuse a new request.
			if err := s.stillAuthorized(r); err != nil {
				st.printf("event: error\ndata: {\"code\":%q,\"message\":%q}\n\n", switchboard.ErrorCode(err), switchboard.ErrorMessage(err))
				st.flush()
				return nil
			}
			// A comment keeps proxies from closing an idle stream; the read
			// that follows also catches events whose wake-up was lost.
			st.printf(": heartbeat\n\n")
			if err := st.flush(); err != nil {
				return nil
			}
		}
	}
}

// stillAuthorized checks the stream's key again, through the key cache
// (which the change feed clears when a key is revoked on any node).
func (s *Server) stillAuthorized(r *http.Request) error {
	secret, err := credential(r)
	if err != nil {
		return err
	}
	_, _, err = s.keys.lookup(r.Context(), secret)
	return err
}

// sseWriter writes Server-Sent Events, each write bounded by a deadline so
// that a reader that stops reading ends its stream instead of holding it.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	err     error
	buf     bytes.Buffer
}

func (s *sseWriter) printf(format string, args ...any) { fmt.Fprintf(&s.buf, format, args...) }

// event adds one event: its ID, and its envelope as data, one data line
// per line (the envelope is one line unless its data holds raw newlines).
func (s *sseWriter) event(ev *switchboard.Event) error {
	body, err := switchboard.EventEnvelope(ev.ID, ev.Type, ev.Timestamp, string(ev.Data))
	if err != nil {
		return err
	}
	s.buf.WriteString("id: " + ev.ID + "\n")
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		s.buf.WriteString("data: ")
		s.buf.Write(bytes.TrimSuffix(line, []byte("\r")))
		s.buf.WriteByte('\n')
	}
	s.buf.WriteByte('\n')
	if s.buf.Len() >= 32<<10 {
		return s.flush()
	}
	return nil
}

// flush writes what was added and flushes it to the client.
func (s *sseWriter) flush() error {
	if s.err != nil {
		return s.err
	}
	if s.buf.Len() == 0 {
		return nil
	}
	// A server's WriteTimeout would end the stream: each write gets its own.
	if err := s.rc.SetWriteDeadline(time.Now().Add(s.timeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.err = err
		return err
	}
	if _, err := s.w.Write(s.buf.Bytes()); err != nil {
		s.err = err
		return err
	}
	s.buf.Reset()
	if err := s.rc.Flush(); err != nil {
		s.err = err
		return err
	}
	return nil
}
