package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/switchboard-voice/switchboard"
)

// RoutingEntries returns the active numbers organisations hold and the
// endpoints they point at, of one organisation or, when orgID is "", of
// all (switchboard.RoutingService). Endpoints carry their digest password
// and signing secret. Both come in no particular order (sorting 10,000
// numbers would cost a third more, for a caller that indexes them anyway),
// from one read snapshot, so a number never names an endpoint that the
// same answer lacks.
//
// It is at most two queries whatever the size (the second only when a
// number points at an endpoint): no query per number or organisation.
func (db *Driver) RoutingEntries(ctx context.Context, orgID string) ([]*switchboard.PhoneNumber, []*switchboard.Endpoint, error) {
	var numCond string
	args := []any{switchboard.NumberActive}
	if orgID != "" {
		numCond = ` AND p.organization_id = ?`
		args = append(args, orgID)
	}
	var nums []*switchboard.PhoneNumber
	var eps []*switchboard.Endpoint
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		nums, err = routingRows(ctx, tx, phoneNumberSelect+` WHERE p.status = ?`+numCond, args, scanPhoneNumber)
		if err != nil {
			return fmt.Errorf("numbers: %w", err)
		}
		ids := switchboard.RoutedEndpointIDs(nums)
		if len(ids) == 0 {
			return nil
		}
		eps, err = routingRows(ctx, tx, `SELECT `+switchboard.EndpointColumns+` FROM endpoints
			WHERE id IN (SELECT value FROM json_each(?))`, []any{idList(ids)}, scanEndpoint)
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
	return switchboard.CollectRows(rows, scan)
}
