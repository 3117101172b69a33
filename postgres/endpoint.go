package postgres

import (
	"context"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// The endpoint SQL, built from the column list the root package declares,
// so a new endpoint field needs no change here.
var (
	findEndpointSQL   = `SELECT ` + switchboard.EndpointColumns + ` FROM endpoints WHERE organization_id = $1 AND id = $2`
	insertEndpointSQL = insertSQL("endpoints", switchboard.EndpointColumns)
	updateEndpointSQL = updateSQL("endpoints", switchboard.EndpointValueColumns)
)

// lockClause is the row lock of each switchboard.Lock. LockUpdate keeps
// the key, so claims that attach numbers to the endpoint (ShareEndpoint's
// KEY SHARE) need not wait.
var lockClause = map[switchboard.Lock]string{
	switchboard.LockUpdate: " FOR NO KEY UPDATE",
	switchboard.LockDelete: " FOR UPDATE",
}

// Endpoint reads the organisation's endpoint on the pool.
func (db *Driver) Endpoint(ctx context.Context, orgID, id string) (*switchboard.Endpoint, error) {
	e, err := scanEndpoint(db.pool.QueryRow(ctx, findEndpointSQL, orgID, id))
	return e, noRows(err)
}

// Endpoint reads the organisation's endpoint in the transaction.
func (t *txn) Endpoint(ctx context.Context, orgID, id string) (*switchboard.Endpoint, error) {
	e, err := scanEndpoint(t.QueryRow(ctx, findEndpointSQL, orgID, id))
	return e, noRows(err)
}

// LockEndpoint reads the endpoint with its row lock.
func (t *txn) LockEndpoint(ctx context.Context, orgID, id string, lock switchboard.Lock) (*switchboard.Endpoint, error) {
	e, err := scanEndpoint(t.QueryRow(ctx, findEndpointSQL+lockClause[lock], orgID, id))
	return e, noRows(err)
}

// ListEndpoints returns one page of the organisation's endpoints, newest
// first, and the total that match the filter.
func (db *Driver) ListEndpoints(ctx context.Context, orgID string, f switchboard.EndpointFilter) ([]*switchboard.Endpoint, int, error) {
	var w where
	w.eqs(f.Conds(orgID))
	return list(ctx, db.pool, switchboard.EndpointColumns, "endpoints", w, `created_at DESC, id COLLATE "C" DESC`, f.Page, scanEndpoint)
}

// InsertEndpoint stores a new endpoint.
func (t *txn) InsertEndpoint(ctx context.Context, e *switchboard.Endpoint) error {
	cols, err := e.ColumnValues(&codec)
	if err != nil {
		return err
	}
	_, err = t.Exec(ctx, insertEndpointSQL, cols...)
	return err
}

// UpdateEndpoint stores every column of an existing endpoint.
func (t *txn) UpdateEndpoint(ctx context.Context, e *switchboard.Endpoint) error {
	cols, err := e.ColumnValues(&codec)
	if err != nil {
		return err
	}
	_, err = t.Exec(ctx, updateEndpointSQL, append(cols[2:], e.OrganizationID, e.ID)...)
	return err
}

// DeleteEndpoint deletes the organisation's endpoint.
func (t *txn) DeleteEndpoint(ctx context.Context, orgID, id string) error {
	_, err := t.Exec(ctx, `DELETE FROM endpoints WHERE organization_id = $1 AND id = $2`, orgID, id)
	return err
}

// DetachEndpoint locks the numbers that point at the endpoint, in ID order
// (no number can start pointing at it while the endpoint's lock is held),
// reads the time only then, so a number's updated_at and events never go
// back in time, and clears the endpoint from them.
func (t *txn) DetachEndpoint(ctx context.Context, orgID, id string, now func() time.Time) ([]string, error) {
	rows, err := t.Query(ctx, `SELECT id FROM phone_numbers
		WHERE organization_id = $1 AND (endpoint_id = $2 OR fallback_endpoint_id = $2)
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
	_, err = t.Exec(ctx, `UPDATE phone_numbers SET
		endpoint_id = CASE WHEN endpoint_id = $1 THEN NULL ELSE endpoint_id END,
		fallback_endpoint_id = CASE WHEN fallback_endpoint_id = $1 THEN NULL ELSE fallback_endpoint_id END,
		updated_at = $2
		WHERE organization_id = $3 AND id = ANY($4)`, id, at, orgID, numIDs)
	if err != nil {
		return nil, err
	}
	return numIDs, nil
}

// PhoneNumbers returns the organisation's numbers with these IDs.
func (t *txn) PhoneNumbers(ctx context.Context, orgID string, ids []string) ([]*switchboard.PhoneNumber, error) {
	return findPhoneNumbers(ctx, t, orgID, ids)
}

// scanEndpoint scans switchboard.EndpointColumns, then extra.
func scanEndpoint(s scanner, extra ...any) (*switchboard.Endpoint, error) {
	var es switchboard.EndpointScan
	if err := s.Scan(append(es.Dest(&codec), extra...)...); err != nil {
		return nil, err
	}
	return es.Endpoint()
}
