package switchboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Call directions. Switchboard answers inbound calls; outbound is part of
// KrosAI's vocabulary and accepted as a filter value.
const (
	DirectionInbound  = "inbound"
	DirectionOutbound = "outbound"
)

// Call statuses (DESIGN §8, KrosAI's vocabulary). A call moves
// initiated → ringing → in_progress → completed (an outbound call placed
// through the API passes answered, the callee picked up, on the way to
// in_progress), or ends in one of the failure statuses.
const (
	CallInitiated = "initiated"
	CallRinging   = "ringing"
	// CallAnswered is an outbound call whose callee picked up while the
	// agent is being connected.
	CallAnswered   = "answered"
	CallInProgress = "in_progress"
	CallCompleted  = "completed"
	CallFailed     = "failed"
	CallBusy       = "busy"
	CallNoAnswer   = "no_answer"
	CallCanceled   = "canceled"
)

// CallStatuses lists every status, for validating filters.
var CallStatuses = []string{
	CallInitiated, CallRinging, CallAnswered, CallInProgress, CallCompleted,
	CallFailed, CallBusy, CallNoAnswer, CallCanceled,
}

// CallEnded reports whether status is final.
func CallEnded(status string) bool {
	switch status {
	case CallCompleted, CallFailed, CallBusy, CallNoAnswer, CallCanceled:
		return true
	}
	return false
}

// Hangup causes (KrosAI's vocabulary).
const (
	HangupNormalClearing = "normal_clearing" // ended through the API
	HangupUser           = "user_hangup"     // the caller hung up or cancelled
	HangupAgent          = "agent_hangup"    // the agent or endpoint hung up
	HangupNoAnswer       = "no_answer"       // nobody answered before the ring timeout
	HangupBusy           = "busy"            // the agent answered busy (486/600)
	HangupRejected       = "rejected"        // routing or the endpoint rejected the call
	HangupNetworkError   = "network_error"   // the agent could not be reached
	HangupTimeout        = "timeout"         // the maximum call duration elapsed
	HangupShutdown       = "system_shutdown" // the node drained before the call ended
)

// Who ended a call.
const (
	HangupByCaller = "caller"
	HangupByAgent  = "agent"
	HangupByAPI    = "api"
	HangupBySystem = "system"
)

// Call is the record of one call through Switchboard. OrganizationID is
// empty for a call to a number no organisation holds: it is recorded (as
// failed, number_not_found) but no organisation can list it.
type Call struct {
	ID             string  `json:"id"`
	OrganizationID string  `json:"organization_id"`
	Direction      string  `json:"direction"`
	FromNumber     string  `json:"from_number"`        // E.164, or "" when the caller's From user is not a number
	FromRaw        string  `json:"from_raw,omitempty"` // that From user then (printable, ≤ 64 bytes); else ""
	ToNumber       string  `json:"to_number"`
	PhoneNumberID  *string `json:"phone_number_id"`
	EndpointID     *string `json:"endpoint_id"`
	Status         string  `json:"status"`
	HangupCause    string  `json:"hangup_cause,omitempty"`
	HangupBy       string  `json:"hangup_by,omitempty"`
	FailureReason  string  `json:"failure_reason,omitempty"` // route reason or SIP failure, for failed calls
	SIPStatus      int     `json:"sip_status,omitempty"`     // the final status the caller got, when not 200
	Duration       int     `json:"duration"`                 // whole seconds from answer to end
	SIPCallID      string  `json:"sip_call_id"`              // the carrier leg's Call-ID
	Node           string  `json:"node,omitempty"`           // the Switchboard node that handled the call
	// Metadata is the JSON object an API-originated call was placed with,
	// returned on the call and in its events.
	Metadata json.RawMessage `json:"metadata,omitempty"`
	// Test marks a call placed by the node's own test user agent (POST
	// /v1/phone-numbers/{id}/test-call), not by a carrier or an agent.
	Test        bool       `json:"test"`
	CreatedAt   time.Time  `json:"created_at"`
	AnsweredAt  *time.Time `json:"answered_at"`
	CompletedAt *time.Time `json:"completed_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	// Timeline is the call's timeline so far, oldest first, as its row
	// holds it (call_timeline.go): the writer of a call's updates keeps it,
	// and each row write stores it whole. The API lists it on its own
	// (GET /v1/calls/{id}/events), so it is not part of the call's JSON.
	Timeline []CallEvent `json:"-"`
}

// CallEventData is the data of a call.* event: the call with KrosAI's
// field names (call_id rather than id).
type CallEventData struct {
	CallID        string          `json:"call_id"`
	Direction     string          `json:"direction"`
	FromNumber    string          `json:"from_number"`
	FromRaw       string          `json:"from_raw,omitempty"`
	ToNumber      string          `json:"to_number"`
	PhoneNumberID *string         `json:"phone_number_id"`
	EndpointID    *string         `json:"endpoint_id"`
	Status        string          `json:"status"`
	HangupCause   string          `json:"hangup_cause,omitempty"`
	HangupBy      string          `json:"hangup_by,omitempty"`
	FailureReason string          `json:"failure_reason,omitempty"`
	SIPStatus     int             `json:"sip_status,omitempty"`
	Duration      int             `json:"duration"`
	CreatedAt     time.Time       `json:"created_at"`
	AnsweredAt    *time.Time      `json:"answered_at,omitempty"`
	CompletedAt   *time.Time      `json:"completed_at,omitempty"`
	Metadata      json.RawMessage `json:"metadata,omitempty"`
	// Test is set (and only then present) on the events of a test call.
	Test bool `json:"test,omitempty"`
}

// Caller is who called, as people read it: the number, else the From user
// as the carrier sent it.
func (c *Call) Caller() string {
	if c.FromNumber != "" {
		return c.FromNumber
	}
	return c.FromRaw
}

// EventData returns the call as the data of a call.* event.
func (c *Call) EventData() CallEventData {
	return CallEventData{
		CallID: c.ID, Direction: c.Direction, FromNumber: c.FromNumber, FromRaw: c.FromRaw, ToNumber: c.ToNumber,
		PhoneNumberID: c.PhoneNumberID, EndpointID: c.EndpointID, Status: c.Status,
		HangupCause: c.HangupCause, HangupBy: c.HangupBy, FailureReason: c.FailureReason,
		SIPStatus: c.SIPStatus, Duration: c.Duration, CreatedAt: c.CreatedAt,
		AnsweredAt: c.AnsweredAt, CompletedAt: c.CompletedAt, Metadata: c.Metadata, Test: c.Test,
	}
}

// CallEvent is one entry of a call's timeline (GET /v1/calls/{id}/events).
// Types are the call.* event types; Detail says more where there is more
// to say (the SIP status of a failed target, the failover reason).
type CallEvent struct {
	ID        string    `json:"id"`
	CallID    string    `json:"call_id"`
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Status    string    `json:"status"`
	Detail    string    `json:"detail,omitempty"`
	// SkipEndpoint leaves the call's endpoint out of the event's receivers:
	// a webhook endpoint already got call.initiated synchronously, as the
	// question of what to do with the call.
	SkipEndpoint bool `json:"-"`
	// Data, when set, is the event's data; otherwise the data is the
	// update's call. A writer that merges several updates of one call
	// keeps each entry's own state here.
	Data *CallEventData `json:"-"`
}

// CallUpdate is one change to a call: its whole state after the change,
// and the timeline entries the change adds (each is also emitted through
// the event plane when the call belongs to an organisation).
type CallUpdate struct {
	Call   *Call
	Events []*CallEvent
	// EventsOnly emits the events of the entries without writing the
	// call's row: the row is written when the call is answered or fails
	// and when it ends (Call.Record), with the Timeline that holds these
	// entries by then. A call so far saved events-only has no record yet.
	EventsOnly bool
}

// PrepareCallUpdates checks what every store relies on, so that a bad
// update fails a batch with a clear error rather than a database's, and
// names each timeline entry: its CallID, and an ID when it has none.
func PrepareCallUpdates(updates []CallUpdate) error {
	for i, u := range updates {
		c := u.Call
		if c == nil {
			return fmt.Errorf("update %d: no call", i)
		}
		if !ValidID(PrefixCall, c.ID) {
			return fmt.Errorf("update %d: invalid call ID %q", i, c.ID)
		}
		for k, ev := range u.Events {
			switch {
			case ev == nil:
				return fmt.Errorf("call %s: event %d is nil", c.ID, k)
			case ev.CallID != "" && ev.CallID != c.ID:
				return fmt.Errorf("call %s: event %d belongs to call %s", c.ID, k, ev.CallID)
			}
			if ev.CallID == "" { // written only when unset: a Timeline may share the entry
				ev.CallID = c.ID
			}
			if ev.ID == "" {
				ev.ID = NewID(PrefixCallEvent)
			}
		}
	}
	return nil
}

// IsCallEvent reports whether a timeline entry type is also an event of
// the catalogue (call.initiated … call.failed) and so is emitted; the
// others ("call.failover") are the timeline's own.
func IsCallEvent(typ string) bool {
	return strings.HasPrefix(typ, "call.") && slices.Contains(EventTypes, typ)
}

// CallFilter selects an organisation's calls. From and To bound created_at
// (inclusive); zero values do not filter.
type CallFilter struct {
	Status        string
	Direction     string
	PhoneNumberID string
	EndpointID    string
	From, To      time.Time
	// Live keeps only the calls not yet ended (the dashboard's live view).
	Live bool
	Page
}

// CallService stores call records. SaveCalls writes a batch in one
// transaction: each call's row, unless the update is EventsOnly, is
// inserted or replaced with its timeline, and each entry is emitted as an
// event (to the organisation's subscriptions and, unless SkipEndpoint, to
// the call's webhook endpoint), so a call's record and its events are
// committed together.
type CallService interface {
	SaveCalls(ctx context.Context, updates []CallUpdate) error
	// FindCall answers CALL_NOT_FOUND for an unknown call or another
	// organisation's.
	FindCall(ctx context.Context, orgID, id string) (*Call, error)
	// ListCalls lists newest first.
	ListCalls(ctx context.Context, orgID string, f CallFilter) ([]*Call, int, error)
	// ListCallEvents returns the call's timeline, oldest first, or
	// CALL_NOT_FOUND.
	ListCallEvents(ctx context.Context, orgID, callID string) ([]*CallEvent, error)
	// EndOrphanCalls marks every call of node that is not yet final as
	// ended at now: completed (cause system_shutdown) when it was answered,
	// else failed. A node calls it at start for calls a crash left open.
	EndOrphanCalls(ctx context.Context, node string, now time.Time) (int, error)
}

// CallControl acts on live calls. The SIP edge implements it; the API's
// hangup calls it.
type CallControl interface {
	// Hangup ends the organisation's live call: BYE on both legs, or
	// CANCEL/487 before answer. CALL_NOT_FOUND when no such live call.
	Hangup(ctx context.Context, orgID, callID string) error
}

// HangupRelay carries a hangup to the node that holds the call: the API
// may be asked through any node, but only the node that took the INVITE
// holds the call's SIP dialogs.
type HangupRelay interface {
	// RequestHangup asks node to hang up the organisation's call. It does
	// not wait for the node: the call's record says when it ended.
	RequestHangup(ctx context.Context, node, orgID, callID string) error
	// SubscribeHangups calls fn for each request addressed to node, from
	// any node, until ctx ends.
	SubscribeHangups(ctx context.Context, node string, fn func(orgID, callID string)) error
}

// CallColumns are the stored columns of a call, in the order of
// AppendColumnValues and CallScan.Dest; its timeline column is read and
// written apart (TimelineDest, AppendTimeline), so that lists do not read
// it. metadata is written by a call's
// first save and kept: an update does not change it (the stores' upserts
// leave it out of their SET); so is test.
const CallColumns = `id, organization_id, direction, from_number, to_number, phone_number_id, endpoint_id,
	status, hangup_cause, hangup_by, failure_reason, sip_status, duration, sip_call_id, node,
	created_at, answered_at, completed_at, updated_at, metadata, test, from_raw`

// AppendColumnValues appends c's stored columns, in CallColumns order, to
// dst; a call of no organisation has a NULL organization_id, and one
// without metadata a NULL metadata. A batch reuses one dst for all its
// calls.
func (c *Call) AppendColumnValues(dst []any, cc *ColumnCodec) []any {
	var org any
	if c.OrganizationID != "" {
		org = c.OrganizationID
	}
	return append(dst, c.ID, org, c.Direction, c.FromNumber, c.ToNumber, c.PhoneNumberID, c.EndpointID,
		c.Status, c.HangupCause, c.HangupBy, c.FailureReason, c.SIPStatus, c.Duration, c.SIPCallID, c.Node,
		cc.Time(c.CreatedAt), cc.optTime(c.AnsweredAt), cc.optTime(c.CompletedAt), cc.Time(c.UpdatedAt),
		c.MetadataColumn(), c.Test, c.FromRaw)
}

// MetadataColumn is the value of the call's metadata column: its JSON
// object as text, or nil (NULL) when it has none.
func (c *Call) MetadataColumn() *string {
	if len(c.Metadata) == 0 {
		return nil
	}
	m := string(c.Metadata)
	return &m
}

// CallScan reads one row of CallColumns.
type CallScan struct {
	c         Call
	org, meta nullText
}

// Dest returns the scan destinations of CallColumns, in order.
func (s *CallScan) Dest(cc *ColumnCodec) []any {
	c := &s.c
	return []any{&c.ID, &s.org, &c.Direction, &c.FromNumber, &c.ToNumber, &c.PhoneNumberID, &c.EndpointID,
		&c.Status, &c.HangupCause, &c.HangupBy, &c.FailureReason, &c.SIPStatus, &c.Duration, &c.SIPCallID, &c.Node,
		cc.TimeDest(&c.CreatedAt), cc.OptTimeDest(&c.AnsweredAt), cc.OptTimeDest(&c.CompletedAt), cc.TimeDest(&c.UpdatedAt),
		&s.meta, &c.Test, &c.FromRaw}
}

// Call returns the call scanned.
func (s *CallScan) Call() *Call {
	c := s.c
	c.OrganizationID = string(s.org.b)
	if s.meta.valid {
		c.Metadata = json.RawMessage(bytes.Clone(s.meta.b))
	}
	return &c
}

// StoredCall returns c as it reads back: its times in UTC, truncated to
// microseconds. Events carry this copy, so their data matches FindCall.
func StoredCall(c *Call) *Call {
	n := *c
	n.CreatedAt = n.CreatedAt.UTC().Truncate(time.Microsecond)
	n.UpdatedAt = n.UpdatedAt.UTC().Truncate(time.Microsecond)
	if n.AnsweredAt != nil {
		t := n.AnsweredAt.UTC().Truncate(time.Microsecond)
		n.AnsweredAt = &t
	}
	if n.CompletedAt != nil {
		t := n.CompletedAt.UTC().Truncate(time.Microsecond)
		n.CompletedAt = &t
	}
	return &n
}

// CallIdentityError is the error of an update that would change a call's
// identity: its organisation, direction, numbers, phone number, SIP
// Call-ID, node or creation time, fixed by its first save.
type CallIdentityError struct{ CallID string }

func (e *CallIdentityError) Error() string {
	return fmt.Sprintf("call %s: an update cannot change a call's organisation, direction, numbers, "+
		"phone number, SIP Call-ID, node or creation time", e.CallID)
}
