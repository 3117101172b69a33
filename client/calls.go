package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/url"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// ListCallsParams filters ListCalls. FromDate and ToDate bound created_at,
// both inclusive: an RFC 3339 time, or a date (YYYY-MM-DD) read as that
// UTC day.
type ListCallsParams struct {
	Status        string // initiated, ringing, answered, in_progress, completed, failed, busy, no_answer, canceled
	Direction     string // inbound or outbound
	PhoneNumberID string
	EndpointID    string
	FromDate      string
	ToDate        string
	ListOptions
}

func (p ListCallsParams) query() url.Values {
	q := url.Values{}
	setIf(q, "status", p.Status)
	setIf(q, "direction", p.Direction)
	setIf(q, "phone_number_id", p.PhoneNumberID)
	setIf(q, "endpoint_id", p.EndpointID)
	setIf(q, "from_date", p.FromDate)
	setIf(q, "to_date", p.ToDate)
	return q
}

// HangupResult is the answer to HangupCall: the edge has taken the
// request (Status "hanging_up"); the record follows moments later.
type HangupResult struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// OutboundCallParams is the body of CreateOutboundCall.
type OutboundCallParams struct {
	FromNumber string `json:"from_number"` // the organisation's number, E.164
	ToNumber   string `json:"to_number"`   // the callee, E.164
	EndpointID string `json:"endpoint_id,omitempty"`
	// Metadata is a JSON object kept on the call and its events.
	Metadata json.RawMessage `json:"metadata,omitempty"`
	// MaxDuration is in seconds; 0 leaves it to the node.
	MaxDuration int `json:"max_duration,omitempty"`
	// RingTimeout is in seconds (1–300); 0 means the API's default (60).
	RingTimeout int `json:"ring_timeout,omitempty"`
}

// OutboundCall is the answer to CreateOutboundCall: the call, placed
// asynchronously.
type OutboundCall struct {
	CallID     string          `json:"call_id"`
	ID         string          `json:"id"`
	Status     string          `json:"status"`
	Direction  string          `json:"direction"`
	FromNumber string          `json:"from_number"`
	ToNumber   string          `json:"to_number"`
	EndpointID string          `json:"endpoint_id"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
}

// ListCalls iterates over the organisation's calls, newest first
// (GET /v1/calls).
func (c *Client) ListCalls(ctx context.Context, p ListCallsParams) iter.Seq2[*switchboard.Call, error] {
	return listAll(ctx, c, "/calls", "calls", p.query(), p.ListOptions, func(x *switchboard.Call) string { return x.ID })
}

// ListCallsPage fetches one page of calls.
func (c *Client) ListCallsPage(ctx context.Context, p ListCallsParams) (*Page[switchboard.Call], error) {
	return listPage[switchboard.Call](ctx, c, "/calls", "calls", p.query(), p.ListOptions)
}

// GetCall reads one call (GET /v1/calls/{id}).
func (c *Client) GetCall(ctx context.Context, id string) (*switchboard.Call, error) {
	return call[switchboard.Call](ctx, c, "GET", "/calls/"+pathID(id), nil, nil)
}

// ListCallEvents iterates over a call's timeline, oldest first
// (GET /v1/calls/{id}/events).
func (c *Client) ListCallEvents(ctx context.Context, id string, o ListOptions) iter.Seq2[*switchboard.CallEvent, error] {
	return listAll(ctx, c, "/calls/"+pathID(id)+"/events", "events", nil, o, func(e *switchboard.CallEvent) string { return e.ID })
}

// ListCallEventsPage fetches one page of a call's timeline.
func (c *Client) ListCallEventsPage(ctx context.Context, id string, o ListOptions) (*Page[switchboard.CallEvent], error) {
	return listPage[switchboard.CallEvent](ctx, c, "/calls/"+pathID(id)+"/events", "events", nil, o)
}

// HangupCall asks the SIP edge to end a live call
// (POST /v1/calls/{id}/hangup).
func (c *Client) HangupCall(ctx context.Context, id string) (*HangupResult, error) {
	return call[HangupResult](ctx, c, "POST", "/calls/"+pathID(id)+"/hangup", nil, nil)
}

// CreateOutboundCall calls p.ToNumber from p.FromNumber and connects the
// callee to an agent once they answer (POST /v1/outbound-calls; the API
// also serves it as /v1/outbound-call, the same operation).
func (c *Client) CreateOutboundCall(ctx context.Context, p OutboundCallParams) (*OutboundCall, error) {
	return call[OutboundCall](ctx, c, "POST", "/outbound-calls", nil, p)
}
