package httpapi

import (
	"context"
	"net/http"

	"github.com/switchboard-voice/switchboard"
)

// routeBody is GET /phone-numbers/{id}/route: the routing decision the SIP
// edge would take for a call to the number now.
type routeBody struct {
	PhoneNumberID string                       `json:"phone_number_id"`
	Number        string                       `json:"number"`
	Decision      string                       `json:"decision"`
	EndpointID    *string                      `json:"endpoint_id"`
	UsedFallback  bool                         `json:"used_fallback"`
	Reason        string                       `json:"reason"`
	SIPStatus     *int                         `json:"sip_status"`
	Endpoint      *switchboard.EndpointSummary `json:"endpoint,omitempty"`
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
	in := switchboard.RouteInput{Number: pn}
	if in.Endpoint, err = s.findRouteEndpoint(ctx, org, pn.EndpointID); err != nil {
		return err
	}
	if in.Fallback, err = s.findRouteEndpoint(ctx, org, pn.FallbackEndpointID); err != nil {
		return err
	}
	d := switchboard.Route(in)
	b := routeBody{PhoneNumberID: pn.ID, Number: pn.Number, Decision: d.Result, UsedFallback: d.UsedFallback, Reason: d.Reason}
	if d.SIPStatus != 0 {
		b.SIPStatus = &d.SIPStatus
	}
	if d.EndpointID != "" {
		b.EndpointID = &d.EndpointID
		e := in.Endpoint
		if d.UsedFallback {
			e = in.Fallback
		}
		b.Endpoint = &switchboard.EndpointSummary{ID: e.ID, Name: e.Name, Type: e.Type, Provider: e.Provider(), Status: e.Status}
	}
	writeJSON(w, http.StatusOK, b)
	return nil
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
