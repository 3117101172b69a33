package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/url"

	"github.com/switchboard-voice/switchboard"
)

// APIKeyCreate is the body of CreateAPIKey: name, scopes, optionally
// expires_at (RFC 3339) and mode (live or test).
type APIKeyCreate = switchboard.APIKeyInput

// CreatedAPIKey is the answer to CreateAPIKey: the key and its secret,
// shown this once (empty on an Idempotency-Key replay).
type CreatedAPIKey struct {
	switchboard.APIKey
	Key string
}

// UnmarshalJSON reads the key's JSON and its "key".
func (k *CreatedAPIKey) UnmarshalJSON(b []byte) error {
	var secret struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal(b, &secret); err != nil {
		return err
	}
	k.Key = secret.Key
	return k.APIKey.UnmarshalJSON(b)
}

// ListAPIKeysParams filters ListAPIKeys.
type ListAPIKeysParams struct {
	Mode    string // live or test
	Revoked string // "true" or "false"; "" for both
	ListOptions
}

func (p ListAPIKeysParams) query() url.Values {
	q := url.Values{}
	setIf(q, "mode", p.Mode)
	setIf(q, "revoked", p.Revoked)
	return q
}

// ListAPIKeys iterates over the organisation's keys, revoked ones
// included (GET /v1/api-keys).
func (c *Client) ListAPIKeys(ctx context.Context, p ListAPIKeysParams) iter.Seq2[*switchboard.APIKey, error] {
	return listAll(ctx, c, "/api-keys", "api_keys", p.query(), p.ListOptions, func(k *switchboard.APIKey) string { return k.ID })
}

// ListAPIKeysPage fetches one page of keys.
func (c *Client) ListAPIKeysPage(ctx context.Context, p ListAPIKeysParams) (*Page[switchboard.APIKey], error) {
	return listPage[switchboard.APIKey](ctx, c, "/api-keys", "api_keys", p.query(), p.ListOptions)
}

// CreateAPIKey makes a key (POST /v1/api-keys); its secret is in Key.
func (c *Client) CreateAPIKey(ctx context.Context, in APIKeyCreate) (*CreatedAPIKey, error) {
	return call[CreatedAPIKey](ctx, c, "POST", "/api-keys", nil, in)
}

// GetAPIKey reads one key, never its secret (GET /v1/api-keys/{id}).
func (c *Client) GetAPIKey(ctx context.Context, id string) (*switchboard.APIKey, error) {
	return call[switchboard.APIKey](ctx, c, "GET", "/api-keys/"+pathID(id), nil, nil)
}

// RevokeAPIKey revokes a key and returns it with RevokedAt set
// (DELETE /v1/api-keys/{id}).
func (c *Client) RevokeAPIKey(ctx context.Context, id string) (*switchboard.APIKey, error) {
	return call[switchboard.APIKey](ctx, c, "DELETE", "/api-keys/"+pathID(id), nil, nil)
}

// MarshalJSON writes the key as the API does, with its secret in "key".
func (k CreatedAPIKey) MarshalJSON() ([]byte, error) {
	b, err := k.APIKey.MarshalJSON()
	if err != nil || k.Key == "" {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["key"], _ = json.Marshal(k.Key)
	return json.Marshal(m)
}
