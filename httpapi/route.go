package httpapi

import (
	"context"
	"net/http"

	"github.com/switchboard-voice/switchboard"
)

// routeBody is GET /phone-numbers/{id}/route: the routing decision the SIP
// edge would take for a call to the number now. The members before
// Targets describe its first target.
type routeBody struct {
	PhoneNumberID string                       `json:"phone_number_id"`
	Number        string                       `json:"number"`
	Decision      string                       `json:"decision"`
	EndpointID    *string                      `json:"endpoint_id"`
	UsedFallback  bool                         `json:"used_fallback"`
	Reason        string                       `json:"reason"`
	SIPStatus     *int                         `json:"sip_status"`
	Endpoint      *switchboard.EndpointSummary `json:"endpoint,omitempty"`
	Targets       []routeTargetBody            `json:"targets"`
}

// routeTargetBody is one endpoint of the failover chain.
type routeTargetBody struct {
	EndpointID string                      `json:"endpoint_id"`
	Fallback   bool                        `json:"fallback"`
	Endpoint   switchboard.EndpointSummary `json:"endpoint"`
}

// newRouteBody maps a routing decision to its response.
func newRouteBody(pn *switchboard.PhoneNumber, d switchboard.Decision) routeBody {
	b := routeBody{PhoneNumberID: pn.ID, Number: pn.Number, Decision: d.Result(), Reason: d.Reason,
		Targets: make([]routeTargetBody, len(d.Targets))}
	if d.Reject != nil {
		b.SIPStatus = &d.Reject.SIPStatus
	}
	for i, t := range d.Targets {
		e := t.Endpoint
		b.Targets[i] = routeTargetBody{EndpointID: e.ID, Fallback: t.Fallback,
			Endpoint: switchboard.EndpointSummary{ID: e.ID, Name: e.Name, Type: e.Type, Provider: e.Provider(), Status: e.Status}}
	}
	if len(b.Targets) > 0 {
		first := &b.Targets[0]
		b.EndpointID, b.UsedFallback, b.Endpoint = &first.EndpointID, first.Fallback, &first.Endpoint
	}
	return b
}

// handleExplainRoute loads the number and its endpoints and answers with
// switchboard.Route's decision. An attached endpoint that cannot be found
// is absent, as it is to the SIP edge.
func (s *Server) handleExplainRoute(w http.ResponseWriter, r *http.Request) error {
	ctx, org := r.Context(), apiKey(r.Context()).OrganizationID
	pn, err := s.store.FindPhoneNumber(ctx, org, r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := s.explainRoute(ctx, org, pn)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

// explainRoute is switchboard.Route's decision for a call to the
// organisation's number pn now, as GET /phone-numbers/{id}/route answers
// it.
func (s *Server) explainRoute(ctx context.Context, org string, pn *switchboard.PhoneNumber) (routeBody, error) {
	var err error
	in := switchboard.RouteInput{Number: pn}
	if in.Endpoint, err = s.findRouteEndpoint(ctx, org, pn.EndpointID); err != nil {
		return routeBody{}, err
	}
	if in.Fallback, err = s.findRouteEndpoint(ctx, org, pn.FallbackEndpointID); err != nil {
		return routeBody{}, err
	}
	return newRouteBody(pn, switchboard.Route(in)), nil
}

// findRouteEndpoint loads an attached endpoint; nil when none is attached
// or it no longer exists.
func (s *Server) findRouteEndpoint(ctx context.Context, org string, id *string) (*switchboard.Endpoint, error) {
	if id == nil {
		return nil, nil
	}
	e, err := s.store.FindEndpoint(ctx, org, *id)
	if switchboard.ErrorCode(err) == switchboard.ECodeEndpointNotFound {
		return nil, nil
	}
	return e, err
}
