package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/switchboard-voice/switchboard"
)

// RoutingEntries returns the active numbers organisations hold and all of
// their endpoints (those no number points at too: the SIP edge then needs
// no second rule for which to keep), of one organisation or, when orgID is
// "", of all. Endpoints carry their digest password and signing secret.
// Both come in no particular order (sorting 10,000 numbers would cost a
// third more, for a caller that indexes them anyway), from one read
// snapshot, so a number never names an endpoint that the same answer lacks.
//
// It is two queries whatever the size: no query per number or organisation.
func (db *DB) RoutingEntries(ctx context.Context, orgID string) ([]*switchboard.PhoneNumber, []*switchboard.Endpoint, error) {
	var numCond, epCond string
	args := []any{switchboard.NumberActive}
	var epArgs []any
	if orgID != "" {
		numCond, epCond = ` AND p.organization_id = ?`, ` WHERE organization_id = ?`
		args, epArgs = append(args, orgID), []any{orgID}
	}
	var nums []*switchboard.PhoneNumber
	var eps []*switchboard.Endpoint
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		nums, err = routingRows(ctx, tx, phoneNumberSelect+` WHERE p.status = ?`+numCond, args, scanPhoneNumber)
		if err != nil {
			return fmt.Errorf("numbers: %w", err)
		}
		eps, err = routingRows(ctx, tx, `SELECT `+endpointColumns+` FROM endpoints`+epCond, epArgs, scanEndpoint)
		if err != nil {
			return fmt.Errorf("endpoints: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("routing entries of %q: %w", orgID, err)
	}
	return nums, eps, nil
}

// routingRows runs query and reads every row with scan.
func routingRows[T any](ctx context.Context, q querier, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
