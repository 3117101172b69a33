package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/switchboard-voice/switchboard"
)

// CreateAPIKey stores key, setting its ID and CreatedAt. The caller sets
// OrganizationID; only the hash of the secret is stored.
func (db *Driver) CreateAPIKey(ctx context.Context, key *switchboard.APIKey) error {
	key.ID = switchboard.NewID(switchboard.PrefixAPIKey)
	key.CreatedAt = db.now()
	scopes := make([]string, len(key.Scopes))
	for i, s := range key.Scopes {
		scopes[i] = string(s)
	}
	var revoked any
	if key.RevokedAt != nil {
		revoked = micros(*key.RevokedAt)
	}
	err := db.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys
			(id, organization_id, name, key_prefix, hash, scopes, live, created_at, revoked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			key.ID, key.OrganizationID, key.Name, key.KeyPrefix, key.Hash,
			strings.Join(scopes, ","), key.Live, micros(key.CreatedAt), revoked)
		return err
	})
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	return nil
}

// FindAPIKeyByHash returns the unrevoked key with this hash, or an
// INVALID_API_KEY error. It runs on every API request: one lookup on the
// unique hash index, through a prepared statement on the reader pool.
func (db *Driver) FindAPIKeyByHash(ctx context.Context, hash string) (*switchboard.APIKey, error) {
	var k switchboard.APIKey
	var scopes string
	var createdAt int64
	err := db.queryRow(ctx, `SELECT id, organization_id, name, key_prefix, hash, scopes, live, created_at
		FROM api_keys WHERE hash = ? AND revoked_at IS NULL`, hash).
		Scan(&k.ID, &k.OrganizationID, &k.Name, &k.KeyPrefix, &k.Hash, &scopes, &k.Live, &createdAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, switchboard.Errorf(switchboard.ECodeInvalidAPIKey, "Invalid API key.")
	}
	if err != nil {
		return nil, fmt.Errorf("find api key: %w", err)
	}
	for s := range strings.SplitSeq(scopes, ",") {
		if s != "" {
			k.Scopes = append(k.Scopes, switchboard.Scope(s))
		}
	}
	k.CreatedAt = fromMicros(createdAt) // RevokedAt stays nil: revoked keys are not found
	return &k, nil
}
