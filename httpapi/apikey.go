package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/switchboard-voice/switchboard"
)

// API keys (/v1/api-keys). The rules are the Service's: a key grants only
// scopes it holds (IssueAPIKey), and another organisation's key is
// API_KEY_NOT_FOUND.

func (s *Server) handleListAPIKeys(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "mode", "revoked")
	f := switchboard.APIKeyFilter{
		Mode: q.oneOf("mode", switchboard.ModeLive, switchboard.ModeTest),
		Page: q.page(),
	}
	switch q.oneOf("revoked", "true", "false") {
	case "true":
		f.Revoked = new(bool)
		*f.Revoked = true
	case "false":
		f.Revoked = new(bool)
	}
	if q.err != nil {
		return q.err
	}
	keys, total, err := s.store.ListAPIKeys(r.Context(), apiKey(r.Context()).OrganizationID, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listBody("api_keys", keys, total, f.Page))
	return nil
}

// createdAPIKey is the answer to a create: the key and, this once, its
// secret.
type createdAPIKey struct {
	*switchboard.APIKey
	Secret string
}

// MarshalJSON writes the key's JSON with "key", the secret, first.
func (c createdAPIKey) MarshalJSON() ([]byte, error) {
	b, err := c.APIKey.MarshalJSON()
	if err != nil {
		return nil, err
	}
	secret, err := json.Marshal(c.Secret)
	if err != nil {
		return nil, err
	}
	out := append([]byte(`{"key":`), secret...)
	return append(append(out, ','), b[1:]...), nil // b is a non-empty object
}

func (s *Server) handleCreateAPIKey(w http.ResponseWriter, r *http.Request) error {
	var in switchboard.APIKeyInput
	if err := s.decode(r, &in); err != nil {
		return err
	}
	secret, key, err := s.store.IssueAPIKey(r.Context(), apiKey(r.Context()), in)
	if err != nil {
		return err
	}
	// The secret is shown once: an Idempotency-Key replay gets the key
	// without it, so the secret is never written to the database.
	storeInstead(w, key)
	writeJSON(w, http.StatusCreated, createdAPIKey{APIKey: key, Secret: secret})
	return nil
}

func (s *Server) handleGetAPIKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.store.FindAPIKey(r.Context(), apiKey(r.Context()).OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, k)
	return nil
}

// handleRevokeAPIKey revokes the key and answers 200 with it, revoked_at
// set; revoking it again answers the same. This node's key cache forgets
// the organisation's keys at once (the change feed tells the other nodes).
func (s *Server) handleRevokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	orgID := apiKey(r.Context()).OrganizationID
	k, err := s.store.RevokeAPIKey(r.Context(), orgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.keys.invalidate(orgID)
	writeJSON(w, http.StatusOK, k)
	return nil
}

// KeysChanged drops the organisation's keys from the key cache, or every
// key when orgID is "": feed it the store's change feed, which carries
// revocations made through any node, so a revoked key is refused
// everywhere at once rather than when its cache entry expires.
func (s *Server) KeysChanged(orgID string) { s.keys.invalidate(orgID) }
