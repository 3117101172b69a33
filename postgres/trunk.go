package postgres

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-voice/switchboard"
)

// The trunk SQL, built from the column list the root package declares.
var (
	findTrunkSQL   = `SELECT ` + switchboard.TrunkColumns + ` FROM trunks WHERE organization_id = $1 AND id = $2`
	lockTrunkSQL   = withLocks(findTrunkSQL, "")
	insertTrunkSQL = insertSQL("trunks", switchboard.TrunkColumns)
	updateTrunkSQL = updateSQL("trunks", switchboard.TrunkValueColumns)
)

// Trunk reads the organisation's trunk on the pool.
func (db *Driver) Trunk(ctx context.Context, orgID, id string) (*switchboard.Trunk, error) {
	t, err := scanTrunk(db.pool.QueryRow(ctx, findTrunkSQL, orgID, id))
	return t, noRows(err)
}

// Trunk reads the organisation's trunk in the transaction.
func (t *txn) Trunk(ctx context.Context, orgID, id string) (*switchboard.Trunk, error) {
	tr, err := scanTrunk(t.QueryRow(ctx, findTrunkSQL, orgID, id))
	return tr, noRows(err)
}

// LockTrunk reads the trunk with its row lock.
func (t *txn) LockTrunk(ctx context.Context, orgID, id string, lock switchboard.Lock) (*switchboard.Trunk, error) {
	tr, err := scanTrunk(t.QueryRow(ctx, lockTrunkSQL[lock], orgID, id))
	return tr, noRows(err)
}

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
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*switchboard.Trunk, error) { return scanTrunk(r) })
}

// InsertTrunk stores a new trunk.
func (t *txn) InsertTrunk(ctx context.Context, tr *switchboard.Trunk) error {
	cols, err := tr.ColumnValues(&codec)
	if err != nil {
		return err
	}
	_, err = t.Exec(ctx, insertTrunkSQL, cols...)
	return err
}

// UpdateTrunk stores every column of an existing trunk.
func (t *txn) UpdateTrunk(ctx context.Context, tr *switchboard.Trunk) error {
	cols, err := tr.ColumnValues(&codec)
	if err != nil {
		return err
	}
	_, err = t.Exec(ctx, updateTrunkSQL, append(cols[2:], tr.OrganizationID, tr.ID)...)
	return err
}

// DeleteTrunk deletes the organisation's trunk.
func (t *txn) DeleteTrunk(ctx context.Context, orgID, id string) error {
	_, err := t.Exec(ctx, `DELETE FROM trunks WHERE organization_id = $1 AND id = $2`, orgID, id)
	return err
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

// DetachTrunk locks the numbers that use the trunk, in ID order (none can
// start using it while the trunk's lock is held), reads the time only
// then, and clears the trunk from them.
func (t *txn) DetachTrunk(ctx context.Context, orgID, id string, now func() time.Time) ([]string, error) {
	rows, err := t.Query(ctx, `SELECT id FROM phone_numbers WHERE organization_id = $1 AND trunk_id = $2
		ORDER BY id COLLATE "C" FOR UPDATE`, orgID, id)
	if err != nil {
		return nil, err
	}
	numIDs, err := collectStrings(rows)
	if err != nil {
		return nil, err
	}
	at := now()
	if len(numIDs) == 0 {
		return nil, nil
	}
	_, err = t.Exec(ctx, `UPDATE phone_numbers SET trunk_id = NULL, updated_at = $1
		WHERE organization_id = $2 AND id = ANY($3)`, at, orgID, numIDs)
	if err != nil {
		return nil, err
	}
	return numIDs, nil
}

// ShareTrunk takes a key-share lock on the trunk until the transaction
// ends, so a concurrent DeleteTrunk waits for the number that will use it
// to be committed, and then detaches it.
func (t *txn) ShareTrunk(ctx context.Context, orgID, id string) error {
	var one int
	return noRows(t.QueryRow(ctx, `SELECT 1 FROM trunks WHERE organization_id = $1 AND id = $2 FOR KEY SHARE`, orgID, id).Scan(&one))
}

// scanTrunk scans switchboard.TrunkColumns, then extra.
func scanTrunk(s scanner, extra ...any) (*switchboard.Trunk, error) {
	return codec.ScanTrunk(s, extra...)
}

// TrunkNetworks returns the inbound networks of the active trunks of one
// organisation, or of all when orgID is "", in one query.
func (db *Driver) TrunkNetworks(ctx context.Context, orgID string) (map[string][]netip.Prefix, error) {
	query, args := switchboard.TrunkNetworksSQL, []any{}
	if orgID != "" {
		query, args = query+` AND organization_id = $1`, append(args, orgID)
	}
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("trunk networks of %q: %w", orgID, err)
	}
	defer rows.Close()
	return switchboard.CollectTrunkNetworks(rows, &codec)
}
