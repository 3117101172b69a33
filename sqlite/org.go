package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/switchboard-voice/switchboard"
)

// EnsureOrganization returns the organisation named name, creating it if
// there is none; created reports which happened.
func (db *Driver) EnsureOrganization(ctx context.Context, name string) (org *switchboard.Organization, created bool, err error) {
	if strings.TrimSpace(name) == "" {
		return nil, false, switchboard.FieldError("name", "organization name is required")
	}
	err = db.write(ctx, func(tx *txn) error {
		// ON CONFLICT keeps "create if missing" a single statement, so two
		// callers racing on one name both end with the same row.
		res, err := tx.ExecContext(ctx,
			`INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			switchboard.NewID(switchboard.PrefixOrg), name, micros(db.now()))
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
	if err != nil {
		return nil, false, fmt.Errorf("ensure organization %q: %w", name, err)
	}
	return org, created, nil
}

// CountOrganizations returns how many organisations exist.
func (db *Driver) CountOrganizations(ctx context.Context) (int, error) {
	var n int
	if err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM organizations`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count organizations: %w", err)
	}
	return n, nil
}
