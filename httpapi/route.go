package httpapi

import (
	"context"
	"net/http"

	"github.com/switchboard-voice/switchboard"
)

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
func (s *Server) explainRoute(ctx context.Context, org string, pn *switchboard.PhoneNumber) (switchboard.RouteExplanation, error) {
	var err error
	in := switchboard.RouteInput{Number: pn}
	if in.Endpoint, err = s.findRouteEndpoint(ctx, org, pn.EndpointID); err != nil {
		return switchboard.RouteExplanation{}, err
	}
	if in.Fallback, err = s.findRouteEndpoint(ctx, org, pn.FallbackEndpointID); err != nil {
		return switchboard.RouteExplanation{}, err
	}
	return switchboard.ExplainRoute(pn, switchboard.Route(in)), nil
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
