package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-voice/switchboard"
)

// Trunks returns the organisation's trunks with these IDs, ordered by ID.
func (t *txn) Trunks(ctx context.Context, orgID string, ids []string) ([]*switchboard.Trunk, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := t.Query(ctx, `SELECT `+switchboard.TrunkColumns+` FROM trunks
		WHERE organization_id = $1 AND id = ANY($2) ORDER BY id COLLATE "C"`, orgID, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*switchboard.Trunk, error) { return codec.ScanTrunk(r) })
}

// ClearDefaultTrunk first locks the organisation's row, which every change
// of its default takes before any trunk's row (the Service's order), so
// two trunks made default at once wait for each other instead of both
// passing and one failing the unique index; then it clears the default.
func (t *txn) ClearDefaultTrunk(ctx context.Context, orgID, except string, now time.Time) ([]string, error) {
	var one int
	if err := t.QueryRow(ctx, `SELECT 1 FROM organizations WHERE id = $1 FOR NO KEY UPDATE`, orgID).Scan(&one); err != nil {
		return nil, noRows(err)
	}
	rows, err := t.Query(ctx, `UPDATE trunks SET is_default = false, updated_at = $1
		WHERE organization_id = $2 AND is_default AND id <> $3 RETURNING id`, ts(now), orgID, except)
	if err != nil {
		return nil, err
	}
	return collectStrings(rows)
}

// DetachTrunk clears the trunk from the numbers that use it, through
// detachNumbers (none can start using it while the trunk's lock is held).
func (t *txn) DetachTrunk(ctx context.Context, orgID, id string, now func() time.Time) ([]string, error) {
	return t.detachNumbers(ctx, orgID, id, now, `trunk_id = $2`, `trunk_id = NULL`)
}

// RoutingTrunks returns every trunk of one organisation, or of all when
// orgID is "", password included, in one query.
func (db *Driver) RoutingTrunks(ctx context.Context, orgID string) ([]*switchboard.Trunk, error) {
	query, args := switchboard.RoutingTrunksSQL, []any{}
	if orgID != "" {
		query, args = query+` WHERE organization_id = $1`, append(args, orgID)
	}
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("routing trunks of %q: %w", orgID, err)
	}
	trunks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*switchboard.Trunk, error) { return codec.ScanTrunk(r) })
	if err != nil {
		return nil, fmt.Errorf("routing trunks of %q: %w", orgID, err)
	}
	return trunks, nil
}
