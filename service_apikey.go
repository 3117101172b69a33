package switchboard

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// CreateAPIKey stores key, setting its ID and CreatedAt once stored. The
// caller sets OrganizationID; only the hash of the secret is stored. No
// rule limits its scopes: this is the operator's way in (the CLI, the
// first start), which IssueAPIKey is not.
func (s *Service) CreateAPIKey(ctx context.Context, key *APIKey) error {
	k := *key
	k.ID, k.CreatedAt = NewID(PrefixAPIKey), s.now()
	if err := s.d.Write(ctx, func(tx Tx) error { return tx.InsertAPIKey(ctx, &k) }); err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	key.ID, key.CreatedAt = k.ID, k.CreatedAt
	return nil
}

// IssueAPIKey creates a key from in for by's organisation. A key never
// grants a scope it does not hold: asking for one is INSUFFICIENT_SCOPE,
// naming the scopes, so a key with keys:write cannot mint a stronger key
// than itself. The secret is returned only here.
func (s *Service) IssueAPIKey(ctx context.Context, by *APIKey, in APIKeyInput) (string, *APIKey, error) {
	secret, key, err := NewAPIKey(in, s.now())
	if err != nil {
		return "", nil, err
	}
	var missing []string
	for _, sc := range key.Scopes {
		if !by.HasScope(sc) {
			missing = append(missing, string(sc))
		}
	}
	if len(missing) > 0 {
		return "", nil, &Error{
			Code:    ECodeInsufficientScope,
			Message: fmt.Sprintf("an API key cannot grant scopes it does not hold: %v", missing),
			Details: map[string]any{"field": "scopes", "scopes_not_held": missing},
		}
	}
	key.OrganizationID = by.OrganizationID
	if err := s.CreateAPIKey(ctx, key); err != nil {
		return "", nil, err
	}
	return secret, key, nil
}

// FindAPIKeyByHash returns the key with this hash if it may be used now,
// or an INVALID_API_KEY error saying why not (unknown, revoked, expired).
// It runs whenever the API's key cache misses: one lookup on the unique
// hash index.
func (s *Service) FindAPIKeyByHash(ctx context.Context, hash string) (*APIKey, error) {
	k, err := s.d.APIKeyByHash(ctx, hash)
	if errors.Is(err, ErrNoRows) {
		return nil, Errorf(ECodeInvalidAPIKey, "Invalid API key.")
	}
	if err != nil {
		return nil, fmt.Errorf("find api key: %w", err)
	}
	if err := k.CheckUsable(s.now()); err != nil {
		return nil, err
	}
	return k, nil
}

// FindAPIKey returns the organisation's key, revoked or not, or
// API_KEY_NOT_FOUND.
func (s *Service) FindAPIKey(ctx context.Context, orgID, id string) (*APIKey, error) {
	return lookup("find api key", PrefixAPIKey, id, apiKeyNotFound,
		func() (*APIKey, error) { return s.d.APIKey(ctx, orgID, id) })
}

// FindAPIKeyByID returns the key with this ID, whatever its organisation,
// or API_KEY_NOT_FOUND. Operator tools only: it crosses organisations.
func (s *Service) FindAPIKeyByID(ctx context.Context, id string) (*APIKey, error) {
	return lookup("find api key", PrefixAPIKey, id, apiKeyNotFound,
		func() (*APIKey, error) { return s.d.APIKeyByID(ctx, id) })
}

// ListAPIKeys returns one page of the organisation's keys, newest first,
// and the total that match the filter.
func (s *Service) ListAPIKeys(ctx context.Context, orgID string, f APIKeyFilter) ([]*APIKey, int, error) {
	if f.Mode != "" && f.Mode != ModeLive && f.Mode != ModeTest {
		return nil, 0, FieldError("mode", "mode must be %s or %s", ModeLive, ModeTest)
	}
	list, total, err := s.d.ListAPIKeys(ctx, orgID, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list api keys: %w", err)
	}
	return list, total, nil
}

// RevokeAPIKey revokes the organisation's key and returns it. Revoking a
// revoked key changes nothing (its revoked_at stays the first one), so a
// retried DELETE answers the same. The change feed carries the revocation
// to every node, whose API key caches drop the organisation's keys on it
// (the routing caches that follow the same feed reload the organisation
// too: a revocation is rare enough for that not to matter).
func (s *Service) RevokeAPIKey(ctx context.Context, orgID, id string) (*APIKey, error) {
	if !ValidID(PrefixAPIKey, id) {
		return nil, apiKeyNotFound(id)
	}
	var out *APIKey
	err := s.d.Write(ctx, func(tx Tx) error {
		k, err := tx.RevokeAPIKey(ctx, orgID, id, s.now())
		if errors.Is(err, ErrNoRows) {
			return apiKeyNotFound(id)
		}
		if err != nil {
			return err
		}
		out = k
		return tx.NotifyRoutingChanged(ctx, orgID)
	})
	if err != nil {
		return nil, fmt.Errorf("revoke api key %s: %w", id, err)
	}
	return out, nil
}

// TouchAPIKey records that the organisation's key was used now, unless a
// use within APIKeyUsedResolution is recorded. The API calls it at most
// once per key and resolution on each node (httpapi's key cache), and the
// condition keeps nodes from writing the same minute twice.
func (s *Service) TouchAPIKey(ctx context.Context, orgID, id string) error {
	now := s.now()
	if err := s.d.TouchAPIKey(ctx, orgID, id, now, now.Add(-APIKeyUsedResolution)); err != nil {
		return fmt.Errorf("touch api key %s: %w", id, err)
	}
	return nil
}

// GrantableScopes returns the scopes of AllScopes that by may grant, in
// AllScopes' order (the dashboard offers only these).
func GrantableScopes(by *APIKey) []Scope {
	return slices.DeleteFunc(slices.Clone(AllScopes), func(sc Scope) bool { return !by.HasScope(sc) })
}

// apiKeyNotFound is the error for a key the organisation does not have.
func apiKeyNotFound(id string) error {
	return Errorf(ECodeAPIKeyNotFound, "API key %s not found.", id)
}
