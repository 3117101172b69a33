package switchboard

import (
	"context"
	"encoding/json"
	"time"
)

// API-originated calls (POST /v1/outbound-calls, DESIGN §10): the Service
// checks the request against the organisation's number, endpoint and
// trunk, and hands the call to a CallOriginator (the SIP edge) to place:
// the callee first, through the trunk, then the agent.

// Error codes of outbound calls (KrosAI's outbound guide).
const (
	ECodeNumberNotOwned    = "NUMBER_NOT_OWNED"
	ECodeOutboundDisabled  = "OUTBOUND_DISABLED"
	ECodeNoTrunk           = "NO_TRUNK"
	ECodeConcurrentLimit   = "CONCURRENT_LIMIT_EXCEEDED"
	DefaultOutboundRing    = 60 // seconds the callee may ring when the request names no ring_timeout
	MaxOutboundRingTimeout = 300
)

// OutboundCall is an API-originated call, checked by the Service and
// ready to place: everything the edge needs, secrets included, so that it
// reads nothing.
type OutboundCall struct {
	OrganizationID string
	// Number is the organisation's number the call comes from; it allows
	// outbound calls.
	Number *PhoneNumber
	// To is the callee, E.164.
	To string
	// Endpoint is the agent the callee is connected to once they answer,
	// with its digest password and signing secret.
	Endpoint *Endpoint
	// Trunk is the carrier connection the callee is reached through, with
	// its password.
	Trunk *Trunk
	// Metadata is the request's JSON object, kept on the call and its
	// events; nil when the request had none.
	Metadata json.RawMessage
	// MaxDuration ends the call this long after the answer; 0 means the
	// node's limit.
	MaxDuration time.Duration
	// RingTimeout is how long the callee may ring before the call ends as
	// no_answer.
	RingTimeout time.Duration
}

// CallOriginator places API-originated calls: the SIP edge.
type CallOriginator interface {
	// Originate starts placing the call and returns its record (status
	// initiated, direction outbound) once that record is in the store, so
	// that a GET which follows finds it; the call goes on after it returns. An *Error with ECodeConcurrentLimit means
	// the trunk or the number is at its limit of live calls.
	Originate(ctx context.Context, oc *OutboundCall) (*Call, error)
}
