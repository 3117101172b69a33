package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// DefaultOutboundCallRate is the rate limit of POST /v1/outbound-calls per
// organisation, in requests per second, when Config names none: each call
// reaches a carrier, so a runaway client must not place hundreds.
const DefaultOutboundCallRate = 10

// outboundCallBody is POST /v1/outbound-calls in both spellings.
type outboundCallBody struct {
	FromNumber       switchboard.Optional[string] `json:"from_number"`
	FromNumberCamel  switchboard.Optional[string] `json:"fromNumber"`
	ToNumber         switchboard.Optional[string] `json:"to_number"`
	ToNumberCamel    switchboard.Optional[string] `json:"toNumber"`
	EndpointID       switchboard.Optional[string] `json:"endpoint_id"`
	EndpointIDCamel  switchboard.Optional[string] `json:"endpointId"`
	MaxDuration      switchboard.Optional[int]    `json:"max_duration"`
	MaxDurationCamel switchboard.Optional[int]    `json:"maxDuration"`
	RingTimeout      switchboard.Optional[int]    `json:"ring_timeout"`
	RingTimeoutCamel switchboard.Optional[int]    `json:"ringTimeout"`
	// Metadata is kept as sent (the Service checks it is an object):
	// decoding it would turn large integers into floats.
	Metadata json.RawMessage `json:"metadata"`
}

// request merges the spellings into the Service's request; null is the
// same as absent.
func (b *outboundCallBody) request() (switchboard.OutboundCallRequest, error) {
	var req switchboard.OutboundCallRequest
	from, err := pick("from_number", b.FromNumber, b.FromNumberCamel)
	if err != nil {
		return req, err
	}
	to, err := pick("to_number", b.ToNumber, b.ToNumberCamel)
	if err != nil {
		return req, err
	}
	ep, err := pick("endpoint_id", b.EndpointID, b.EndpointIDCamel)
	if err != nil {
		return req, err
	}
	maxDur, err := pick("max_duration", b.MaxDuration, b.MaxDurationCamel)
	if err != nil {
		return req, err
	}
	ring, err := pick("ring_timeout", b.RingTimeout, b.RingTimeoutCamel)
	if err != nil {
		return req, err
	}
	req.FromNumber, req.ToNumber, req.EndpointID = from.Value, to.Value, ep.Value
	req.MaxDuration, req.Metadata = maxDur.Value, b.Metadata
	if ring.Set && !ring.Null {
		req.RingTimeout = &ring.Value
	}
	// The text rule for the metadata's strings: checkBodyText does not
	// look inside raw JSON.
	if len(b.Metadata) > 0 && mayHoldControl(b.Metadata) {
		var v any
		if json.Unmarshal(b.Metadata, &v) == nil {
			if field, bad := badText(reflect.ValueOf(v), "metadata"); bad {
				return req, textError(field)
			}
		}
	}
	return req, nil
}

// outboundCallResponse is the 201 of POST /v1/outbound-calls: KrosAI's
// fields (call_id, and id for the rest of this API), from the call's
// record as the originator stored it.
type outboundCallResponse struct {
	CallID     string          `json:"call_id"`
	ID         string          `json:"id"`
	Status     string          `json:"status"`
	Direction  string          `json:"direction,omitempty"`
	FromNumber string          `json:"from_number"`
	ToNumber   string          `json:"to_number"`
	EndpointID string          `json:"endpoint_id"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
}

// handleCreateOutboundCall places a call from one of the organisation's
// numbers (POST /v1/outbound-calls): the Service checks the request, the
// originator (the SIP edge) records the call and starts it, and the 201
// comes at once, the call going on asynchronously.
func (s *Server) handleCreateOutboundCall(w http.ResponseWriter, r *http.Request) error {
	var b outboundCallBody
	if err := s.decode(r, &b); err != nil {
		return err
	}
	req, err := b.request()
	if err != nil {
		return err
	}
	orgID := apiKey(r.Context()).OrganizationID
	oc, err := s.store.PrepareOutboundCall(r.Context(), orgID, req)
	if err != nil {
		return err
	}
	if s.originator == nil {
		return switchboard.Errorf(switchboard.ECodeUnavailable, "The call plane is not running here: outbound calls cannot be placed.")
	}
	call, err := s.originator.Originate(r.Context(), oc)
	if err != nil {
		return err
	}
	resp := outboundCallResponse{
		CallID: call.ID, ID: call.ID, Status: call.Status, Direction: call.Direction,
		FromNumber: call.FromNumber, ToNumber: call.ToNumber, EndpointID: oc.Endpoint.ID,
		Metadata: call.Metadata, CreatedAt: call.CreatedAt,
	}
	if call.EndpointID != nil {
		resp.EndpointID = *call.EndpointID
	}
	writeJSON(w, http.StatusCreated, resp)
	return nil
}
