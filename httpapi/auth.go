package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/switchboard-voice/switchboard"
)

// credential extracts the API key from x-api-key or Authorization: Bearer.
// Both may be sent, but then they must agree.
func credential(r *http.Request) (string, error) {
	hdr := strings.TrimSpace(r.Header.Get("X-Api-Key"))
	bearer := ""
	if a := r.Header.Get("Authorization"); a != "" {
		scheme, token, ok := strings.Cut(a, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", switchboard.Errorf(switchboard.ECodeInvalidAPIKey, "Authorization must use the Bearer scheme")
		}
		bearer = strings.TrimSpace(token)
	}
	switch {
	case hdr == "" && bearer == "":
		return "", switchboard.Errorf(switchboard.ECodeMissingAPIKey, "missing API key: send x-api-key or Authorization: Bearer")
	case hdr != "" && bearer != "" && hdr != bearer:
		return "", switchboard.Errorf(switchboard.ECodeInvalidAPIKey, "x-api-key and Authorization carry different keys")
	case hdr != "":
		return hdr, nil
	}
	return bearer, nil
}

// authenticate resolves the caller's key, checks the scope and the
// organisation the caller may name, then applies the rate limit.
func (s *Server) authenticate(scope switchboard.Scope, next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		secret, err := credential(r)
		if err != nil {
			return err
		}
		if !switchboard.CheckAPIKeyFormat(secret) {
			return switchboard.Errorf(switchboard.ECodeInvalidAPIKey, "invalid API key")
		}
		key, touch, err := s.keys.lookup(r.Context(), secret)
		if err != nil {
			return err
		}
		if touch {
			// The key's last use, once a minute at most (keyCache.lookup);
			// a failure to record it costs the request nothing.
			if err := s.store.TouchAPIKey(r.Context(), key.OrganizationID, key.ID); err != nil {
				s.logger.WarnContext(r.Context(), "record the API key's last use", "key_id", key.ID, "err", err)
			}
		}
		if st := stateOf(r.Context()); st != nil {
			st.key = key // seen by the handler and by withRequest's log line
		} else {
			r = r.WithContext(context.WithValue(r.Context(), ctxAPIKey, key))
		}
		if err := s.limiter.allow(w, key.ID); err != nil {
			return err
		}
		if !key.HasScope(scope) {
			return &switchboard.Error{
				Code:    switchboard.ECodeInsufficientScope,
				Message: "this API key lacks the " + string(scope) + " scope",
				Details: map[string]any{"required_scope": string(scope)},
			}
		}
		// The organisation always comes from the key; naming another one is refused.
		named := r.Header.Get("X-Organization-Id")
		if named == "" || named == key.OrganizationID {
			named = ""
			if r.URL.RawQuery != "" { // most requests have no query to parse
				named = r.URL.Query().Get("organization_id")
			}
		}
		if named != "" && named != key.OrganizationID {
			return switchboard.Errorf(switchboard.ECodeForbidden, "this API key does not belong to organization %q", named)
		}
		if err := checkURLText(r); err != nil {
			return err
		}
		return next(w, r)
	}
}
