package switchboard

// RouteExplanation is a routing decision as the API shows it
// (GET /v1/phone-numbers/{id}/route, and the route of a test call): the
// server writes it and the SDK reads it, so both use this one type. The
// members before Targets describe the first target.
type RouteExplanation struct {
	PhoneNumberID string                 `json:"phone_number_id"`
	Number        string                 `json:"number"`
	Decision      string                 `json:"decision"`
	EndpointID    *string                `json:"endpoint_id"`
	UsedFallback  bool                   `json:"used_fallback"`
	Reason        string                 `json:"reason"`
	SIPStatus     *int                   `json:"sip_status"`
	Endpoint      *EndpointSummary       `json:"endpoint,omitempty"`
	Targets       []ExplainedRouteTarget `json:"targets"`
}

// ExplainedRouteTarget is one endpoint of a RouteExplanation's failover
// chain.
type ExplainedRouteTarget struct {
	EndpointID string          `json:"endpoint_id"`
	Fallback   bool            `json:"fallback"`
	Endpoint   EndpointSummary `json:"endpoint"`
}

// ExplainRoute describes d, the decision for a call to pn, as the API
// shows it.
func ExplainRoute(pn *PhoneNumber, d Decision) RouteExplanation {
	b := RouteExplanation{PhoneNumberID: pn.ID, Number: pn.Number, Decision: d.Result(), Reason: d.Reason,
		Targets: make([]ExplainedRouteTarget, len(d.Targets))}
	if d.Reject != nil {
		b.SIPStatus = &d.Reject.SIPStatus
	}
	for i, t := range d.Targets {
		e := t.Endpoint
		b.Targets[i] = ExplainedRouteTarget{EndpointID: e.ID, Fallback: t.Fallback,
			Endpoint: EndpointSummary{ID: e.ID, Name: e.Name, Type: e.Type, Provider: e.Provider(), Status: e.Status}}
	}
	if len(b.Targets) > 0 {
		first := &b.Targets[0]
		b.EndpointID, b.UsedFallback, b.Endpoint = &first.EndpointID, first.Fallback, &first.Endpoint
	}
	return b
}
