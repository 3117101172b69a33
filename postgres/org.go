package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/switchboard-voice/switchboard"
)

// EnsureOrganization returns the organisation named name, creating it if
// there is none; created reports which happened. Two nodes racing on one
// name both end with the same row: the insert is ON CONFLICT DO NOTHING on
// the unique name (it waits for a concurrent insert of the name to commit),
// and the read that follows sees the row whoever inserted it.
func (db *Driver) EnsureOrganization(ctx context.Context, name string) (*switchboard.Organization, bool, error) {
	if strings.TrimSpace(name) == "" {
		return nil, false, switchboard.FieldError("name", "organization name is required")
	}
	if !storable(name) {
		return nil, false, switchboard.FieldError("name", "organization name must be text")
	}
	var o switchboard.Organization
	err := db.pool.QueryRow(ctx, `INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING RETURNING id, name, created_at`,
		switchboard.NewID(switchboard.PrefixOrg), name, db.now()).Scan(&o.ID, &o.Name, &o.CreatedAt)
	if err == nil {
		return &o, true, nil
	}
	if !isNoRows(err) {
		return nil, false, fmt.Errorf("ensure organization %q: %w", name, err)
	}
	// A statement of its own, so that its snapshot includes the row the
	// conflicting insert committed.
	err = db.pool.QueryRow(ctx, `SELECT id, name, created_at FROM organizations WHERE name = $1`, name).
		Scan(&o.ID, &o.Name, &o.CreatedAt)
	if err != nil {
		return nil, false, fmt.Errorf("ensure organization %q: %w", name, err)
	}
	return &o, false, nil
}

// CountOrganizations returns how many organisations exist.
func (db *Driver) CountOrganizations(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM organizations`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count organizations: %w", err)
	}
	return n, nil
}
