package httpapi

import (
	"net/http"
	"strings"

	"github.com/switchboard-voice/switchboard"
)

func (s *Server) handleListEndpoints(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "type", "status")
	f := switchboard.EndpointFilter{
		Type:   q.oneOf("type", switchboard.EndpointAgent, switchboard.EndpointWebhook),
		Status: q.oneOf("status", switchboard.StatusActive, switchboard.StatusInactive),
		Page:   q.page(),
	}
	if q.err != nil {
		return q.err
	}
	orgID := apiKey(r.Context()).OrganizationID
	// The cached bytes are the full view: a key that may not see secrets
	// gets the page encoded for it, never the cached body.
	full := showsSecrets(r, switchboard.ScopeEndpointsWrite)
	if s.bodies != nil && full {
		b, err := s.bodies.ListEndpointsJSON(r.Context(), orgID, f, func(eps []*switchboard.Endpoint, total int) ([]byte, error) {
			return encodeJSON(listBody("endpoints", eps, total, f.Page))
		})
		if err != nil {
			return err
		}
		writeBody(w, http.StatusOK, b)
		return nil
	}
	eps, total, err := s.store.ListEndpoints(r.Context(), orgID, f)
	if err != nil {
		return err
	}
	if !full {
		view := make([]*switchboard.Endpoint, len(eps))
		for i, ep := range eps {
			view[i] = endpointWithoutSecret(ep)
		}
		eps = view
	}
	writeJSON(w, http.StatusOK, listBody("endpoints", eps, total, f.Page))
	return nil
}

func (s *Server) handleCreateEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in switchboard.EndpointInput
	if err := s.decode(r, &in); err != nil {
		return err
	}
	ep, err := switchboard.NewEndpoint(in)
	if err != nil {
		return err
	}
	if ep.Type == switchboard.EndpointWebhook {
		if err := s.checkURL(r, ep.URL); err != nil {
			return err
		}
	}
	if err := s.store.CreateEndpoint(r.Context(), apiKey(r.Context()).OrganizationID, ep); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ep)
	return nil
}

func (s *Server) handleGetEndpoint(w http.ResponseWriter, r *http.Request) error {
	orgID, id := apiKey(r.Context()).OrganizationID, r.PathValue("id")
	full := showsSecrets(r, switchboard.ScopeEndpointsWrite)
	if s.bodies != nil && full { // the cached bytes are the full view
		b, err := s.bodies.FindEndpointJSON(r.Context(), orgID, id, func(ep *switchboard.Endpoint) ([]byte, error) { return encodeJSON(ep) })
		if err != nil {
			return err
		}
		writeBody(w, http.StatusOK, b)
		return nil
	}
	ep, err := s.store.FindEndpoint(r.Context(), orgID, id)
	if err != nil {
		return err
	}
	if !full {
		ep = endpointWithoutSecret(ep)
	}
	writeJSON(w, http.StatusOK, ep)
	return nil
}

func (s *Server) handleUpdateEndpoint(w http.ResponseWriter, r *http.Request) error {
	var p switchboard.EndpointPatch
	if err := s.decode(r, &p); err != nil {
		return err
	}
	orgID, id := apiKey(r.Context()).OrganizationID, r.PathValue("id")
	if p.URL.Set && !p.URL.Null {
		// Vet a new webhook URL before the write transaction: DNS must not
		// run while the store holds its writer. The type never changes.
		cur, err := s.store.FindEndpoint(r.Context(), orgID, id)
		if err == nil && cur.Type == switchboard.EndpointWebhook {
			err = s.checkURL(r, strings.TrimSpace(p.URL.Value))
		}
		if err != nil {
			return err
		}
	}
	ep, err := s.store.UpdateEndpoint(r.Context(), orgID, id,
		func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) { return cur.Apply(p) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ep)
	return nil
}

func (s *Server) handleDeleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	detached, err := s.store.DeleteEndpoint(r.Context(), apiKey(r.Context()).OrganizationID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "deleted": true, "detached_phone_numbers": detached})
	return nil
}
