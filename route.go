package switchboard

import (
	"context"
)

// RouteReject is the decision name of a rejected call, beside the endpoint
// types (EndpointAgent, EndpointWebhook) a routed call's first target has.
const RouteReject = "reject"

// Route reasons. A rejection carries the reason it was rejected; a call
// routed to the fallback carries the reason the primary endpoint could not
// take it; a call routed to the primary endpoint carries ReasonRouted.
const (
	ReasonRouted           = "routed"
	ReasonNumberNotFound   = "number_not_found"
	ReasonInboundDisabled  = "inbound_disabled"
	ReasonNoEndpoint       = "no_endpoint"
	ReasonEndpointInactive = "endpoint_inactive"
)

// SIP final responses of a rejected call (reference/sip-notes.md §5).
const (
	sipNotFound               = 404 // number not ours, or inbound calls disabled
	sipTemporarilyUnavailable = 480 // no endpoint, or none active
)

// RouteInput is what a routing decision looks at: the called number and
// the endpoints it points at. Each is nil when absent: a number that is not
// held (or not found), a number with no endpoint or fallback attached, or an
// attached endpoint that no longer exists.
type RouteInput struct {
	Number   *PhoneNumber
	Endpoint *Endpoint // the number's endpoint_id
	Fallback *Endpoint // the number's fallback_endpoint_id
}

// Decision is where a call goes: the endpoints to try, in failover order,
// or the rejection the caller is answered with. Exactly one of Targets
// and Reject is set.
type Decision struct {
	// Targets are the active endpoints the call may go to: the number's
	// endpoint, then its fallback when that is another active endpoint.
	// The SIP edge tries them in this order. Empty when rejected.
	Targets []RouteTarget
	// Reject is the SIP answer of a call that goes nowhere; nil when
	// routed.
	Reject *Reject
	// Reason is why: ReasonRouted when the number's own endpoint takes
	// the call, else why it cannot (the rejection's reason, or why the
	// first target is the fallback).
	Reason string
}

// RouteTarget is one endpoint a call may go to.
type RouteTarget struct {
	Endpoint *Endpoint
	// Fallback is set when Endpoint is the number's fallback endpoint.
	Fallback bool
}

// Reject is how a call that goes nowhere is answered.
type Reject struct {
	SIPStatus int // the SIP final response
}

// Result names the decision: the first target's endpoint type
// (EndpointAgent or EndpointWebhook), or RouteReject.
func (d Decision) Result() string {
	if len(d.Targets) == 0 {
		return RouteReject
	}
	return d.Targets[0].Endpoint.Type
}

// Route decides where a call to in.Number goes. It is pure: the SIP edge
// and the explain-route API both call it, so they cannot disagree.
//
//   - no number: reject, number_not_found, 404;
//   - inbound calls disabled: reject, inbound_disabled, 404;
//   - an active endpoint: routed, to it and then to the fallback when that
//     is another active endpoint;
//   - no (existing) endpoint, or an inactive one: the fallback alone if it
//     exists and is active (with the primary's reason), else reject with
//     no_endpoint or endpoint_inactive, 480.
func Route(in RouteInput) Decision {
	switch {
	case in.Number == nil:
		return reject(ReasonNumberNotFound, sipNotFound)
	case !in.Number.AllowInbound:
		return reject(ReasonInboundDisabled, sipNotFound)
	}
	fb := in.Fallback
	if fb != nil && fb.Status != StatusActive {
		fb = nil
	}
	switch ep := in.Endpoint; {
	case ep == nil:
		return fallbackOnly(fb, ReasonNoEndpoint)
	case ep.Status != StatusActive:
		return fallbackOnly(fb, ReasonEndpointInactive)
	case fb == nil || fb.ID == ep.ID:
		return Decision{Targets: []RouteTarget{{Endpoint: ep}}, Reason: ReasonRouted}
	default:
		return Decision{Targets: []RouteTarget{{Endpoint: ep}, {Endpoint: fb, Fallback: true}}, Reason: ReasonRouted}
	}
}

// fallbackOnly routes to the active fallback fb, when there is one, for
// the reason the number's endpoint cannot take the call.
func fallbackOnly(fb *Endpoint, reason string) Decision {
	if fb == nil {
		return reject(reason, sipTemporarilyUnavailable)
	}
	return Decision{Targets: []RouteTarget{{Endpoint: fb, Fallback: true}}, Reason: reason}
}

func reject(reason string, status int) Decision {
	return Decision{Reject: &Reject{SIPStatus: status}, Reason: reason}
}

// RoutingService gives the SIP edge what it routes from, so that it can
// keep every number and endpoint in memory and read nothing per call.
type RoutingService interface {
	// RoutingEntries returns the active numbers organisations hold and
	// the endpoints those numbers point at (as endpoint or fallback), of
	// one organisation or, when orgID is "", of all. Endpoints carry their
	// digest password and signing secret. Endpoints no number points at
	// are left out: an organisation may hold thousands of webhook-type
	// endpoints that receive events only, and every node reloads its
	// organisation's entries after each change.
	RoutingEntries(ctx context.Context, orgID string) ([]*PhoneNumber, []*Endpoint, error)
	// RoutingTrunks returns every trunk, whatever its status and with its
	// password, of one organisation or, when orgID is "", of all: what
	// the edge needs to trust a carrier's networks (TrunkNetworks) and to
	// send a number's outbound calls (SelectTrunk) without a read per call.
	RoutingTrunks(ctx context.Context, orgID string) ([]*Trunk, error)
}

// RoutedEndpointIDs returns, once each, the IDs of the endpoints the
// numbers point at, as endpoint or as fallback: the endpoints
// RoutingEntries returns with them.
func RoutedEndpointIDs(numbers []*PhoneNumber) []string {
	seen := make(map[string]bool, len(numbers))
	ids := []string{}
	for _, n := range numbers {
		for _, id := range [2]*string{n.EndpointID, n.FallbackEndpointID} {
			if id != nil && !seen[*id] {
				seen[*id] = true
				ids = append(ids, *id)
			}
		}
	}
	return ids
}

// ChangeFeed tells every node that an organisation's routing data (its
// numbers, endpoints or trunks) or its API keys (a revocation) changed,
// whichever node made the change.
type ChangeFeed interface {
	// SubscribeChanges calls fn with the organisation's ID after each
	// committed change to its numbers or endpoints, until ctx ends. It
	// calls fn with "" when changes may have been missed (a lost
	// connection), meaning "reload everything".
	SubscribeChanges(ctx context.Context, fn func(orgID string)) error
}
