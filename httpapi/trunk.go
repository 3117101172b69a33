package httpapi

import (
	"net/http"

	"github.com/switchboard-voice/switchboard"
)

// A trunk's JSON never carries its password (Trunk.MarshalJSON), so every
// key that may read trunks gets the same view.

func (s *Server) handleListTrunks(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "status")
	f := switchboard.TrunkFilter{
		Status: q.oneOf("status", switchboard.StatusActive, switchboard.StatusInactive),
		Page:   q.page(),
	}
	if q.err != nil {
		return q.err
	}
	trunks, total, err := s.store.ListTrunks(r.Context(), apiKey(r.Context()).OrganizationID, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listBody("trunks", trunks, total, f.Page))
	return nil
}

func (s *Server) handleCreateTrunk(w http.ResponseWriter, r *http.Request) error {
	var in switchboard.TrunkInput
	if err := s.decode(r, &in); err != nil {
		return err
	}
	t, err := switchboard.NewTrunk(in)
	if err != nil {
		return err
	}
	if err := s.store.CreateTrunk(r.Context(), apiKey(r.Context()).OrganizationID, t); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) handleGetTrunk(w http.ResponseWriter, r *http.Request) error {
	t, err := s.store.FindTrunk(r.Context(), apiKey(r.Context()).OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) handleUpdateTrunk(w http.ResponseWriter, r *http.Request) error {
	var p switchboard.TrunkPatch
	if err := s.decode(r, &p); err != nil {
		return err
	}
	t, err := s.store.UpdateTrunk(r.Context(), apiKey(r.Context()).OrganizationID, r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) handleDeleteTrunk(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	detached, err := s.store.DeleteTrunk(r.Context(), apiKey(r.Context()).OrganizationID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "deleted": true, "detached_phone_numbers": detached})
	return nil
}
