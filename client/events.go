package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// ListEventsParams filters ListEvents.
type ListEventsParams struct {
	// Types are event types, KrosAI's aliases or wildcards (call.*, *), as
	// a subscription's events accept them; empty means every event.
	Types []string
	// Since keeps the events created at or after it, when set.
	Since time.Time
	ListOptions
}

func (p ListEventsParams) query() url.Values {
	q := url.Values{}
	setIf(q, "type", strings.Join(p.Types, ","))
	if !p.Since.IsZero() {
		q.Set("since", p.Since.UTC().Format(time.RFC3339Nano))
	}
	return q
}

// ListEvents iterates over the organisation's event log, newest first
// (GET /v1/events).
func (c *Client) ListEvents(ctx context.Context, p ListEventsParams) iter.Seq2[*switchboard.Event, error] {
	return listAll(ctx, c, "/events", "events", p.query(), p.ListOptions, func(e *switchboard.Event) string { return e.ID })
}

// ListEventsPage fetches one page of the event log.
func (c *Client) ListEventsPage(ctx context.Context, p ListEventsParams) (*Page[switchboard.Event], error) {
	return listPage[switchboard.Event](ctx, c, "/events", "events", p.query(), p.ListOptions)
}

// GetEvent reads one event of the log (GET /v1/events/{id}).
func (c *Client) GetEvent(ctx context.Context, id string) (*switchboard.Event, error) {
	return call[switchboard.Event](ctx, c, "GET", "/events/"+pathID(id), nil, nil)
}

// StreamEventsParams configures StreamEvents.
type StreamEventsParams struct {
	// Types filter the events as ListEventsParams.Types does.
	Types []string
	// LastEventID resumes after this event: the stream first gives every
	// event written after it. Empty: the events written from now on.
	LastEventID string
	// OnReconnect, when set, is called before each reconnection with the
	// reason the stream ended (a network error, the server draining, or
	// an *Error with code SLOW_CONSUMER).
	OnReconnect func(err error)
}

// StreamEvents follows the organisation's events as they are written
// (GET /v1/events/stream, Server-Sent Events), until ctx ends or the API
// refuses the stream. When the stream breaks (the network, a draining
// server, a reader too slow) it reconnects with backoff and resumes after
// the last event it yielded, so no event is missed or yielded twice. The
// iterator yields an error, and stops, for what reconnecting cannot mend
// (a bad key or filter, an unknown LastEventID); when ctx ends it just
// stops.
func (c *Client) StreamEvents(ctx context.Context, p StreamEventsParams) iter.Seq2[*switchboard.Event, error] {
	return func(yield func(*switchboard.Event, error) bool) {
		hc := *c.hc
		hc.Timeout = 0 // a stream lasts; ctx ends it
		last := p.LastEventID
		for attempt := 0; ; attempt++ {
			got, err := c.streamOnce(ctx, &hc, p.Types, &last, yield)
			if ctx.Err() != nil || errors.Is(err, errStop) {
				return
			}
			var apiErr *Error
			if errors.As(err, &apiErr) && apiErr.Code != ECodeSlowConsumer && !apiErr.Retryable() {
				yield(nil, err)
				return
			}
			if got {
				attempt = 0 // it worked for a while: reconnect promptly
			}
			if p.OnReconnect != nil {
				p.OnReconnect(err)
			}
			wait := c.backoff(attempt)
			if apiErr != nil && apiErr.RetryAfter > 0 {
				wait = apiErr.RetryAfter
			}
			if c.sleep(ctx, wait) != nil {
				return
			}
		}
	}
}

// ECodeSlowConsumer is the code of the error that ends a stream whose
// reader fell too far behind; StreamEvents reconnects after it.
const ECodeSlowConsumer = "SLOW_CONSUMER"

// errStop is streamOnce's report that the caller stopped iterating.
var errStop = errors.New("stop")

// streamOnce reads one connection of the stream, yielding its events and
// moving *last on, and returns why it ended and whether it yielded any.
func (c *Client) streamOnce(ctx context.Context, hc *http.Client, types []string, last *string,
	yield func(*switchboard.Event, error) bool) (got bool, err error) {
	q := url.Values{}
	setIf(q, "type", strings.Join(types, ","))
	u := c.api + "/events/stream"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return false, fmt.Errorf("switchboard: GET /v1/events/stream: %w", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("User-Agent", c.userAgent)
	if c.key != "" {
		req.Header.Set("x-api-key", c.key)
	}
	if *last != "" {
		req.Header.Set("Last-Event-ID", *last)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, fmt.Errorf("switchboard: GET /v1/events/stream: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return false, parseError(resp, raw)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var id, event string
	var data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch {
		case line == "":
			// The end of a message.
			msg := data.String()
			data.Reset()
			msgID, msgEvent := id, event
			id, event = "", ""
			switch {
			case msgEvent == "error":
				e := &Error{Status: http.StatusOK, RequestID: resp.Header.Get("X-Request-Id")}
				var env struct{ Code, Message string }
				if json.Unmarshal([]byte(msg), &env) == nil {
					e.Code, e.Message = env.Code, env.Message
				}
				return got, e
			case msg == "":
				if msgID != "" {
					*last = msgID // where the stream started: resume from here
				}
				continue
			}
			var ev switchboard.Event
			if err := json.Unmarshal([]byte(msg), &ev); err != nil {
				return got, fmt.Errorf("switchboard: event stream: decoding %s: %w", msgID, err)
			}
			got = true
			*last = ev.ID
			if !yield(&ev, nil) {
				return got, errStop
			}
		case field == "": // a comment: heartbeat or notice
		case field == "id":
			id = value
		case field == "event":
			event = value
		case field == "data":
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(value)
		}
	}
	if err := sc.Err(); err != nil {
		return got, fmt.Errorf("switchboard: event stream: %w", err)
	}
	return got, io.ErrUnexpectedEOF // the server ended the stream (a drain): resume
}
