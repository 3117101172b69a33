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
	_, err := t.Exec(ctx, `INSERT INTO api_keys (`+switchboard.APIKeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, codec.APIKeyValues(key)...)
	return err
}

// RevokeAPIKey stamps the key revoked unless it is, and returns it.
func (t *txn) RevokeAPIKey(ctx context.Context, orgID, id string, now time.Time) (*switchboard.APIKey, error) {
	if !storable(orgID) || !storable(id) {
		return nil, switchboard.ErrNoRows
	}
	k, err := codec.ScanAPIKey(t.QueryRow(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1)
		WHERE organization_id = $2 AND id = $3 RETURNING `+switchboard.APIKeyColumns, ts(now), orgID, id))
	return k, noRows(err)
}

// APIKeyByHash reads the key with this hash, through a statement pgx
// prepares once per connection: it runs whenever the API's key cache
// misses.
func (db *Driver) APIKeyByHash(ctx context.Context, hash string) (*switchboard.APIKey, error) {
	if !storable(hash) {
		return nil, switchboard.ErrNoRows
	}
	k, err := codec.ScanAPIKey(db.pool.QueryRow(ctx, `SELECT `+switchboard.APIKeyColumns+` FROM api_keys WHERE hash = $1`, hash))
	return k, noRows(err)
}

// APIKey reads the organisation's key.
func (db *Driver) APIKey(ctx context.Context, orgID, id string) (*switchboard.APIKey, error) {
	if !storable(orgID) || !storable(id) {
		return nil, switchboard.ErrNoRows
	}
	k, err := codec.ScanAPIKey(db.pool.QueryRow(ctx, `SELECT `+switchboard.APIKeyColumns+` FROM api_keys
		WHERE organization_id = $1 AND id = $2`, orgID, id))
	return k, noRows(err)
}

// APIKeyByID reads the key with this ID.
func (db *Driver) APIKeyByID(ctx context.Context, id string) (*switchboard.APIKey, error) {
	if !storable(id) {
		return nil, switchboard.ErrNoRows
	}
	k, err := codec.ScanAPIKey(db.pool.QueryRow(ctx, `SELECT `+switchboard.APIKeyColumns+` FROM api_keys WHERE id = $1`, id))
	return k, noRows(err)
}

// OrganizationByName reads the organisation with this name.
func (db *Driver) OrganizationByName(ctx context.Context, name string) (*switchboard.Organization, error) {
	if !storable(name) {
		return nil, switchboard.ErrNoRows
	}
	var o switchboard.Organization
	err := db.pool.QueryRow(ctx, `SELECT id, name, created_at FROM organizations WHERE name = $1`, name).
		Scan(&o.ID, &o.Name, &o.CreatedAt)
	if err != nil {
		return nil, noRows(err)
	}
	return &o, nil
}

// TouchAPIKey records a use of the key unless one since is recorded.
func (db *Driver) TouchAPIKey(ctx context.Context, orgID, id string, now, since time.Time) error {
	if !storable(orgID) || !storable(id) {
		return nil
	}
	_, err := db.pool.Exec(ctx, `UPDATE api_keys SET last_used_at = $1
		WHERE organization_id = $2 AND id = $3 AND (last_used_at IS NULL OR last_used_at <= $4)`,
		ts(now), orgID, id, ts(since))
	return err
}
