package switchboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Limits of an outbound call request.
const (
	// MaxOutboundMetadata is the most bytes a call's metadata may take,
	// compacted: it is stored on the call and sent in each of its events.
	MaxOutboundMetadata = 16 << 10
	// MaxOutboundDuration is the longest max_duration a request may ask
	// for, in seconds (a day); the node's --max-call-duration still applies.
	MaxOutboundDuration = 24 * 60 * 60
)

// OutboundCallService checks API-originated calls (Service implements it).
type OutboundCallService interface {
	// PrepareOutboundCall checks the request against the organisation's
	// number, endpoint and trunks and returns the call ready for a
	// CallOriginator.
	PrepareOutboundCall(ctx context.Context, orgID string, req OutboundCallRequest) (*OutboundCall, error)
}

// OutboundCallRequest is the body of POST /v1/outbound-calls, as sent.
type OutboundCallRequest struct {
	// FromNumber is the organisation's number the call comes from and
	// ToNumber the callee; both E.164 (separators tolerated).
	FromNumber, ToNumber string
	// EndpointID is the agent to connect the callee to; "" means the
	// number's endpoint.
	EndpointID string
	// Metadata is a JSON object kept on the call and its events; nil or
	// JSON null means none.
	Metadata json.RawMessage
	// MaxDuration is in seconds; 0 means the node's limit.
	MaxDuration int
	// RingTimeout is in seconds; nil means DefaultOutboundRing.
	RingTimeout *int
}

// outboundRequest is a request whose fields are each valid on their own:
// what PrepareOutboundCall then checks against the organisation's rows.
type outboundRequest struct {
	from, to, endpointID string
	metadata             json.RawMessage
	maxDuration          time.Duration
	ringTimeout          time.Duration
}

// check validates the fields of the request that need no database:
// numbers in E.164, metadata a JSON object within its limit, durations in
// range. Errors name the field in its snake_case spelling.
func (req OutboundCallRequest) check() (outboundRequest, error) {
	var out outboundRequest
	var err error
	if out.from, err = e164Field("from_number", req.FromNumber); err != nil {
		return out, err
	}
	if out.to, err = e164Field("to_number", req.ToNumber); err != nil {
		return out, err
	}
	if out.metadata, err = metadataObject(req.Metadata); err != nil {
		return out, err
	}
	if req.EndpointID != "" && !ValidID(PrefixEndpoint, req.EndpointID) {
		return out, endpointNotFound(req.EndpointID) // an ID of another kind, as lookup answers it
	}
	out.endpointID = req.EndpointID
	if req.MaxDuration < 0 || req.MaxDuration > MaxOutboundDuration {
		return out, FieldError("max_duration", "max_duration must be between 0 (the node's limit) and %d seconds", MaxOutboundDuration)
	}
	out.maxDuration = time.Duration(req.MaxDuration) * time.Second
	ring := DefaultOutboundRing
	if req.RingTimeout != nil {
		ring = *req.RingTimeout
	}
	if ring < 1 || ring > MaxOutboundRingTimeout {
		return out, FieldError("ring_timeout", "ring_timeout must be between 1 and %d seconds", MaxOutboundRingTimeout)
	}
	out.ringTimeout = time.Duration(ring) * time.Second
	return out, nil
}

// e164Field normalises a number of the request to E.164, the way the API
// reads every number (no default country: the + and country code are
// required), or answers a VALIDATION_ERROR naming the field.
func e164Field(field, raw string) (string, error) {
	if raw == "" {
		return "", FieldError(field, "%s is required", field)
	}
	n, err := NormalizeE164(raw, "")
	if err != nil {
		return "", FieldError(field, "%s: %s", field, ErrorMessage(err))
	}
	return n, nil
}

// metadataObject returns the request's metadata compacted, or nil when
// there is none (absent or null). Anything but a JSON object within
// MaxOutboundMetadata bytes is a VALIDATION_ERROR.
func metadataObject(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	// json.Valid does not look at the bytes inside strings, and the
	// metadata is stored as sent: invalid UTF-8 would be refused by
	// PostgreSQL, and returned garbled by either store.
	if raw[0] != '{' || !json.Valid(raw) || !utf8.Valid(raw) {
		return nil, FieldError("metadata", "metadata must be a JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, FieldError("metadata", "metadata must be a JSON object")
	}
	if buf.Len() > MaxOutboundMetadata {
		return nil, FieldError("metadata", "metadata must be at most %d bytes of JSON", MaxOutboundMetadata)
	}
	return json.RawMessage(buf.Bytes()), nil
}

// PrepareOutboundCall checks an API-originated call against the
// organisation's number, endpoint and trunks, and returns it ready for a
// CallOriginator, endpoint and trunk secrets included. from_number must be
// an active number of this organisation (NUMBER_NOT_OWNED otherwise,
// worded the same for a number another organisation holds as for one
// nobody does) that allows outbound calls (OUTBOUND_DISABLED); the
// endpoint, the request's or the number's, must be an active endpoint of
// the organisation (ENDPOINT_NOT_FOUND); the trunk is SelectTrunk's
// (NO_TRUNK with its reason otherwise).
func (s *Service) PrepareOutboundCall(ctx context.Context, orgID string, req OutboundCallRequest) (*OutboundCall, error) {
	r, err := req.check()
	if err != nil {
		return nil, err
	}
	pn, err := s.heldNumber(ctx, orgID, r.from)
	if err != nil {
		return nil, err
	}
	if !pn.AllowOutbound {
		return nil, Errorf(ECodeOutboundDisabled, "Number %s does not allow outbound calls (allow_outbound is false).", pn.Number)
	}
	epID := r.endpointID
	if epID == "" {
		if pn.EndpointID == nil {
			return nil, Errorf(ECodeEndpointNotFound,
				"Number %s has no endpoint: send endpoint_id, or attach an endpoint to the number.", pn.Number)
		}
		epID = *pn.EndpointID
	}
	ep, err := s.FindEndpoint(ctx, orgID, epID)
	if err != nil {
		return nil, err
	}
	if ep.Status != StatusActive {
		return nil, Errorf(ECodeEndpointNotFound, "Endpoint %s is not active.", ep.ID)
	}
	trunk, err := s.outboundTrunk(ctx, orgID, pn)
	if err != nil {
		return nil, err
	}
	return &OutboundCall{
		OrganizationID: orgID, Number: pn, To: r.to, Endpoint: ep, Trunk: trunk,
		Metadata: r.metadata, MaxDuration: r.maxDuration, RingTimeout: r.ringTimeout,
	}, nil
}

// heldNumber returns the organisation's active number e164, or
// NUMBER_NOT_OWNED. The lookup is scoped to the organisation, so another
// organisation's number is not told apart from a number nobody holds.
func (s *Service) heldNumber(ctx context.Context, orgID, e164 string) (*PhoneNumber, error) {
	list, _, err := s.d.ListPhoneNumbers(ctx, orgID, PhoneNumberFilter{Number: e164, Status: NumberActive, Page: Page{Limit: 1}})
	if err != nil {
		return nil, fmt.Errorf("outbound call: number %s: %w", e164, err)
	}
	if len(list) == 0 {
		return nil, Errorf(ECodeNumberNotOwned, "Number %s is not a number of this organization.", e164)
	}
	return list[0], nil
}

// outboundTrunk returns the trunk SelectTrunk picks for the number among
// the organisation's trunks (the edge's routing table reads the same
// ones), with its password, or NO_TRUNK with SelectTrunk's reason.
func (s *Service) outboundTrunk(ctx context.Context, orgID string, pn *PhoneNumber) (*Trunk, error) {
	if orgID == "" {
		return nil, errors.New("outbound call: no organisation") // RoutingTrunks("") is every organisation's
	}
	trunks, err := s.d.RoutingTrunks(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("outbound call: trunks: %w", err)
	}
	t, reason := SelectTrunk(pn, trunks)
	if t == nil {
		return nil, &Error{Code: ECodeNoTrunk, Message: fmt.Sprintf("No trunk to place the call from %s: %s.", pn.Number, reason),
			Details: map[string]any{"reason": reason}}
	}
	return t, nil
}
