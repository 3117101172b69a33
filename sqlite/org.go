package sqlite

import (
	"context"
	"strings"
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
	var revoked any
	if key.RevokedAt != nil {
		revoked = micros(*key.RevokedAt)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO api_keys
		(id, organization_id, name, key_prefix, hash, scopes, live, created_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		key.ID, key.OrganizationID, key.Name, key.KeyPrefix, key.Hash,
		strings.Join(key.ScopeNames(), ","), key.Live, micros(key.CreatedAt), revoked)
	return err
}

// APIKeyByHash reads the unrevoked key with this hash through a statement
// prepared once on the reader pool: it runs on every API request.
func (db *Driver) APIKeyByHash(ctx context.Context, hash string) (*switchboard.APIKey, error) {
	var k switchboard.APIKey
	var scopes string
	var createdAt int64
	err := db.queryRow(ctx, `SELECT id, organization_id, name, key_prefix, hash, scopes, live, created_at
		FROM api_keys WHERE hash = ? AND revoked_at IS NULL`, hash).
		Scan(&k.ID, &k.OrganizationID, &k.Name, &k.KeyPrefix, &k.Hash, &scopes, &k.Live, &createdAt)
	if err != nil {
		return nil, noRows(err)
	}
	for s := range strings.SplitSeq(scopes, ",") {
		if s != "" {
			k.Scopes = append(k.Scopes, switchboard.Scope(s))
		}
	}
	k.CreatedAt = fromMicros(createdAt) // RevokedAt stays nil: revoked keys are not found
	return &k, nil
}
