package postgres

import (
	"context"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// EnsureOrganization inserts the organisation unless one has the name, and
// reads the one that does. Two nodes racing on one name both end with the
// same row: the insert is ON CONFLICT DO NOTHING on the unique name (it
// waits for a concurrent insert of the name to commit), and the read that
// follows sees the row whoever inserted it.
func (db *Driver) EnsureOrganization(ctx context.Context, id, name string, at time.Time) (*switchboard.Organization, bool, error) {
	if !storable(name) {
		return nil, false, switchboard.ErrUnstorable
	}
	var o switchboard.Organization
	err := db.pool.QueryRow(ctx, `INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING RETURNING id, name, created_at`,
		id, name, ts(at)).Scan(&o.ID, &o.Name, &o.CreatedAt)
	if err == nil {
		return &o, true, nil
	}
	if !isNoRows(err) {
		return nil, false, err
	}
	// A statement of its own, so that its snapshot includes the row the
	// conflicting insert committed.
	err = db.pool.QueryRow(ctx, `SELECT id, name, created_at FROM organizations WHERE name = $1`, name).
		Scan(&o.ID, &o.Name, &o.CreatedAt)
	if err != nil {
		return nil, false, err
	}
	return &o, false, nil
}

// CountOrganizations returns how many organisations exist.
func (db *Driver) CountOrganizations(ctx context.Context) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM organizations`).Scan(&n)
	return n, err
}

// InsertAPIKey stores a key, its scopes as text[].
func (t *txn) InsertAPIKey(ctx context.Context, key *switchboard.APIKey) error {
	var revoked any // nil is NULL
	if key.RevokedAt != nil {
		revoked = ts(*key.RevokedAt)
	}
	_, err := t.Exec(ctx, `INSERT INTO api_keys
		(id, organization_id, name, key_prefix, hash, scopes, live, created_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		key.ID, key.OrganizationID, key.Name, key.KeyPrefix, key.Hash, key.ScopeNames(), key.Live, ts(key.CreatedAt), revoked)
	return err
}

// APIKeyByHash reads the unrevoked key with this hash, through a statement
// pgx prepares once per connection: it runs on every API request.
func (db *Driver) APIKeyByHash(ctx context.Context, hash string) (*switchboard.APIKey, error) {
	if !storable(hash) {
		return nil, switchboard.ErrNoRows
	}
	var k switchboard.APIKey
	var scopes []string
	err := db.pool.QueryRow(ctx, `SELECT id, organization_id, name, key_prefix, hash, scopes, live, created_at
		FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`, hash).
		Scan(&k.ID, &k.OrganizationID, &k.Name, &k.KeyPrefix, &k.Hash, &scopes, &k.Live, &k.CreatedAt)
	if err != nil {
		return nil, noRows(err)
	}
	for _, s := range scopes {
		if s != "" {
			k.Scopes = append(k.Scopes, switchboard.Scope(s))
		}
	}
	return &k, nil // RevokedAt stays nil: revoked keys are not found
}
