package httpapi

import (
	"net/http"
	"strings"

	"github.com/switchboard-voice/switchboard"
)

func (s *Server) handleListEndpoints(w http.ResponseWriter, r *http.Request) {
	q := newQuery(r.URL.Query(), "type", "status")
	f := switchboard.EndpointFilter{
		Type:   q.oneOf("type", switchboard.EndpointAgent, switchboard.EndpointWebhook),
		Status: q.oneOf("status", switchboard.StatusActive, switchboard.StatusInactive),
		Page:   q.page(),
	}
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	eps, total, err := s.store.ListEndpoints(r.Context(), apiKey(r.Context()).OrganizationID, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if eps == nil {
		eps = []*switchboard.Endpoint{}
	}
	writeJSON(w, http.StatusOK, listBody("endpoints", eps, total, f.Page))
}

func (s *Server) handleCreateEndpoint(w http.ResponseWriter, r *http.Request) {
	var in switchboard.EndpointInput
	if err := s.decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	ep, err := switchboard.NewEndpoint(in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if ep.Type == switchboard.EndpointWebhook {
		if err := s.checkURL(r, ep.URL); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if err := s.store.CreateEndpoint(r.Context(), apiKey(r.Context()).OrganizationID, ep); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, ep)
}

func (s *Server) handleGetEndpoint(w http.ResponseWriter, r *http.Request) {
	ep, err := s.store.FindEndpoint(r.Context(), apiKey(r.Context()).OrganizationID, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ep)
}

func (s *Server) handleUpdateEndpoint(w http.ResponseWriter, r *http.Request) {
	var p switchboard.EndpointPatch
	if err := s.decode(r, &p); err != nil {
		s.writeError(w, r, err)
		return
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
			s.writeError(w, r, err)
			return
		}
	}
	ep, err := s.store.UpdateEndpoint(r.Context(), orgID, id,
		func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) { return cur.Apply(p) })
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ep)
}

func (s *Server) handleDeleteEndpoint(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	detached, err := s.store.DeleteEndpoint(r.Context(), apiKey(r.Context()).OrganizationID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "deleted": true, "detached_phone_numbers": detached})
}

// decode reads and strictly decodes a JSON request body into v.
func (s *Server) decode(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}
