package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-voice/switchboard"
)

// RoutingEntries returns the active numbers organisations hold and the
// endpoints they point at, of one organisation or, when orgID is "", of
// all (switchboard.RoutingService). Endpoints carry their digest password
// and signing secret. Both come in no particular order, as from the SQLite
// store, from one snapshot (a repeatable-read transaction), so a number
// never names an endpoint that the same answer lacks.
//
// It is at most two queries whatever the size (the second only when a
// number points at an endpoint): no query per number or organisation.
func (db *Driver) RoutingEntries(ctx context.Context, orgID string) ([]*switchboard.PhoneNumber, []*switchboard.Endpoint, error) {
	if !storable(orgID) {
		return nil, nil, nil // no organisation has such an ID
	}
	var nums where
	nums.eq("p.status", switchboard.NumberActive)
	if orgID != "" {
		nums.eq("p.organization_id", orgID)
	}
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, nil, fmt.Errorf("routing entries of %q: %w", orgID, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // read-only: nothing to commit
	rows, err := tx.Query(ctx, phoneNumberSelect+` WHERE `+nums.String(), nums.args...)
	if err != nil {
		return nil, nil, fmt.Errorf("routing entries of %q: numbers: %w", orgID, err)
	}
	numbers, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*switchboard.PhoneNumber, error) { return codec.ScanPhoneNumber(r) })
	if err != nil {
		return nil, nil, fmt.Errorf("routing entries of %q: numbers: %w", orgID, err)
	}
	ids := switchboard.RoutedEndpointIDs(numbers)
	if len(ids) == 0 {
		return numbers, nil, nil
	}
	rows, err = tx.Query(ctx, `SELECT `+switchboard.EndpointColumns+` FROM endpoints WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("routing entries of %q: endpoints: %w", orgID, err)
	}
	endpoints, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*switchboard.Endpoint, error) { return codec.ScanEndpoint(r) })
	if err != nil {
		return nil, nil, fmt.Errorf("routing entries of %q: endpoints: %w", orgID, err)
	}
	return numbers, endpoints, nil
}
