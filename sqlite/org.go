package sqlite

import (
	"context"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// EnsureOrganization inserts the organisation unless one has the name, and
// reads the one that does, in one write transaction. ON CONFLICT keeps
// "create if missing" a single statement, so two callers racing on one
// name both end with the same row.
func (db *Driver) EnsureOrganization(ctx context.Context, id, name string, at time.Time) (org *switchboard.Organization, created bool, err error) {
	err = db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			id, name, micros(at))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		created = n == 1
		var o switchboard.Organization
		var createdAt int64
		err = tx.QueryRowContext(ctx, `SELECT id, name, created_at FROM organizations WHERE name = ?`, name).
			Scan(&o.ID, &o.Name, &createdAt)
		o.CreatedAt = fromMicros(createdAt)
		org = &o
		return err
	})
	return org, created, err
}

// CountOrganizations returns how many organisations exist.
func (db *Driver) CountOrganizations(ctx context.Context) (int, error) {
	var n int
	err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM organizations`).Scan(&n)
	return n, err
}

// InsertAPIKey stores a key, its scopes comma-separated.
func (tx *txn) InsertAPIKey(ctx context.Context, key *switchboard.APIKey) error {
	_, err := tx.ExecContext(ctx, insertSQL("api_keys", switchboard.APIKeyColumns), codec.APIKeyValues(key)...)
	return err
}

// RevokeAPIKey stamps the key revoked unless it is, and returns it.
func (tx *txn) RevokeAPIKey(ctx context.Context, orgID, id string, now time.Time) (*switchboard.APIKey, error) {
	k, err := codec.ScanAPIKey(tx.QueryRowContext(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?)
		WHERE organization_id = ? AND id = ? RETURNING `+switchboard.APIKeyColumns, micros(now), orgID, id))
	return k, noRows(err)
}

// APIKeyByHash reads the key with this hash through a statement prepared
// once on the reader pool: it runs whenever the API's key cache misses.
func (db *Driver) APIKeyByHash(ctx context.Context, hash string) (*switchboard.APIKey, error) {
	k, err := codec.ScanAPIKey(db.queryRow(ctx, `SELECT `+switchboard.APIKeyColumns+` FROM api_keys WHERE hash = ?`, hash))
	return k, noRows(err)
}

// APIKey reads the organisation's key.
func (db *Driver) APIKey(ctx context.Context, orgID, id string) (*switchboard.APIKey, error) {
	k, err := codec.ScanAPIKey(db.Row(ctx, `SELECT `+switchboard.APIKeyColumns+` FROM api_keys WHERE organization_id = ? AND id = ?`, orgID, id))
	return k, noRows(err)
}

// APIKeyByID reads the key with this ID.
func (db *Driver) APIKeyByID(ctx context.Context, id string) (*switchboard.APIKey, error) {
	k, err := codec.ScanAPIKey(db.reader.QueryRowContext(ctx, `SELECT `+switchboard.APIKeyColumns+` FROM api_keys WHERE id = ?`, id))
	return k, noRows(err)
}

// OrganizationByName reads the organisation with this name.
func (db *Driver) OrganizationByName(ctx context.Context, name string) (*switchboard.Organization, error) {
	var o switchboard.Organization
	var createdAt int64
	err := db.reader.QueryRowContext(ctx, `SELECT id, name, created_at FROM organizations WHERE name = ?`, name).
		Scan(&o.ID, &o.Name, &createdAt)
	if err != nil {
		return nil, noRows(err)
	}
	o.CreatedAt = fromMicros(createdAt)
	return &o, nil
}

// TouchAPIKey records a use of the key unless one since is recorded.
func (db *Driver) TouchAPIKey(ctx context.Context, orgID, id string, now, since time.Time) error {
	return db.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ?
			WHERE organization_id = ? AND id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`,
			micros(now), orgID, id, micros(since))
		return err
	})
}
