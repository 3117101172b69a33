package switchboard

import "context"

// Route results: where a call to a number goes.
const (
	RouteAgent   = EndpointAgent   // B-leg INVITE to the agent endpoint's SIP URI
	RouteWebhook = EndpointWebhook // ask the webhook endpoint what to do
	RouteReject  = "reject"        // answer the caller with Decision.SIPStatus
)

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

// Decision is where a call goes. Result is RouteAgent or RouteWebhook with
// the EndpointID to use, or RouteReject with the SIPStatus to answer.
// SIPStatus is 0 when the call is routed: the final status then comes from
// the endpoint.
type Decision struct {
	Result       string
	EndpointID   string
	UsedFallback bool
	Reason       string
	SIPStatus    int
}

// Route decides where a call to in.Number goes. It is pure: the SIP edge
// and the explain-route API both call it, so they cannot disagree.
//
//   - no number: reject, number_not_found, 404;
//   - inbound calls disabled: reject, inbound_disabled, 404;
//   - no (existing) endpoint, or an inactive one: the fallback if it exists
//     and is active (UsedFallback, with the primary's reason), else reject
//     with no_endpoint or endpoint_inactive, 480;
//   - otherwise the endpoint, by its type (agent or webhook).
func Route(in RouteInput) Decision {
	switch {
	case in.Number == nil:
		return reject(ReasonNumberNotFound, sipNotFound)
	case !in.Number.AllowInbound:
		return reject(ReasonInboundDisabled, sipNotFound)
	}
	reason := ReasonRouted
	switch {
	case in.Endpoint == nil:
		reason = ReasonNoEndpoint
	case in.Endpoint.Status != StatusActive:
		reason = ReasonEndpointInactive
	default:
		return Decision{Result: in.Endpoint.Type, EndpointID: in.Endpoint.ID, Reason: reason}
	}
	if fb := in.Fallback; fb != nil && fb.Status == StatusActive {
		return Decision{Result: fb.Type, EndpointID: fb.ID, UsedFallback: true, Reason: reason}
	}
	return reject(reason, sipTemporarilyUnavailable)
}

func reject(reason string, status int) Decision {
	return Decision{Result: RouteReject, Reason: reason, SIPStatus: status}
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
// numbers or endpoints) changed, whichever node made the change.
type ChangeFeed interface {
	// SubscribeChanges calls fn with the organisation's ID after each
	// committed change to its numbers or endpoints, until ctx ends. It
	// calls fn with "" when changes may have been missed (a lost
	// connection), meaning "reload everything".
	SubscribeChanges(ctx context.Context, fn func(orgID string)) error
}
