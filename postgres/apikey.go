package postgres

import (
	"context"
	"fmt"

	"github.com/switchboard-voice/switchboard"
)

// CreateAPIKey stores key, setting its ID and CreatedAt. The caller sets
// OrganizationID; only the hash of the secret is stored.
func (db *Driver) CreateAPIKey(ctx context.Context, key *switchboard.APIKey) error {
	id, at := switchboard.NewID(switchboard.PrefixAPIKey), db.now()
	scopes := make([]string, len(key.Scopes))
	for i, s := range key.Scopes {
		scopes[i] = string(s)
	}
	var revoked any // nil is NULL
	if key.RevokedAt != nil {
		revoked = ts(*key.RevokedAt)
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO api_keys
		(id, organization_id, name, key_prefix, hash, scopes, live, created_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		id, key.OrganizationID, key.Name, key.KeyPrefix, key.Hash, scopes, key.Live, at, revoked)
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	key.ID, key.CreatedAt = id, at
	return nil
}

// FindAPIKeyByHash returns the unrevoked key with this hash, or an
// INVALID_API_KEY error. It runs on every API request: one lookup on the
// unique hash index, through a statement pgx prepares once per connection.
func (db *Driver) FindAPIKeyByHash(ctx context.Context, hash string) (*switchboard.APIKey, error) {
	invalid := switchboard.Errorf(switchboard.ECodeInvalidAPIKey, "Invalid API key.")
	if !storable(hash) {
		return nil, invalid
	}
	var k switchboard.APIKey
	var scopes []string
	err := db.pool.QueryRow(ctx, `SELECT id, organization_id, name, key_prefix, hash, scopes, live, created_at
		FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`, hash).
		Scan(&k.ID, &k.OrganizationID, &k.Name, &k.KeyPrefix, &k.Hash, &scopes, &k.Live, &k.CreatedAt)
	if isNoRows(err) {
		return nil, invalid
	}
	if err != nil {
		return nil, fmt.Errorf("find api key: %w", err)
	}
	for _, s := range scopes {
		if s != "" {
			k.Scopes = append(k.Scopes, switchboard.Scope(s))
		}
	}
	return &k, nil // RevokedAt stays nil: revoked keys are not found
}
