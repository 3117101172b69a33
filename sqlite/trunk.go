package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// Trunks returns the organisation's trunks with these IDs, ordered by ID.
func (tx *txn) Trunks(ctx context.Context, orgID string, ids []string) ([]*switchboard.Trunk, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+switchboard.TrunkColumns+` FROM trunks WHERE organization_id = ?
		AND id IN (SELECT value FROM json_each(?)) ORDER BY id`, orgID, idList(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return switchboard.CollectRows(rows, scanTrunk)
}

// ClearDefaultTrunk clears the organisation's default in one UPDATE …
// RETURNING; the single writer serialises it already.
func (tx *txn) ClearDefaultTrunk(ctx context.Context, orgID, except string, now time.Time) ([]string, error) {
	return tx.returningIDs(ctx, `UPDATE trunks SET is_default = 0, updated_at = ?
		WHERE organization_id = ? AND is_default AND id <> ? RETURNING id`, micros(now), orgID, except)
}

// DetachTrunk clears the trunk from the organisation's numbers in one
// UPDATE … RETURNING.
func (tx *txn) DetachTrunk(ctx context.Context, orgID, id string, now func() time.Time) ([]string, error) {
	return tx.returningIDs(ctx, `UPDATE phone_numbers SET trunk_id = NULL, updated_at = ?
		WHERE organization_id = ? AND trunk_id = ? RETURNING id`, micros(now()), orgID, id)
}

// scanTrunk reads one row of switchboard.TrunkColumns.
func scanTrunk(s scanner) (*switchboard.Trunk, error) { return codec.ScanTrunk(s) }

// RoutingTrunks returns every trunk of one organisation, or of all when
// orgID is "", password included, in one query.
func (db *Driver) RoutingTrunks(ctx context.Context, orgID string) ([]*switchboard.Trunk, error) {
	query, args := switchboard.RoutingTrunksSQL, []any{}
	if orgID != "" {
		query, args = query+` WHERE organization_id = ?`, append(args, orgID)
	}
	trunks, err := routingRows(ctx, db.reader, query, args, scanTrunk)
	if err != nil {
		return nil, fmt.Errorf("routing trunks of %q: %w", orgID, err)
	}
	return trunks, nil
}
