package sqlite

import (
	"context"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// The endpoint SQL, built from the column list the root package declares,
// so a new endpoint field needs no change here.
var (
	findEndpointSQL   = `SELECT ` + switchboard.EndpointColumns + ` FROM endpoints WHERE organization_id = ? AND id = ?`
	insertEndpointSQL = insertSQL("endpoints", switchboard.EndpointColumns)
	updateEndpointSQL = updateSQL("endpoints", switchboard.EndpointValueColumns)
)

// Endpoint reads the organisation's endpoint through a statement prepared
// once on the reader pool: it runs on every call and most API requests.
func (db *Driver) Endpoint(ctx context.Context, orgID, id string) (*switchboard.Endpoint, error) {
	e, err := scanEndpoint(db.queryRow(ctx, findEndpointSQL, orgID, id))
	return e, noRows(err)
}

// Endpoint reads the organisation's endpoint in the transaction.
func (tx *txn) Endpoint(ctx context.Context, orgID, id string) (*switchboard.Endpoint, error) {
	e, err := scanEndpoint(tx.QueryRowContext(ctx, findEndpointSQL, orgID, id))
	return e, noRows(err)
}

// LockEndpoint is Endpoint: the single writer needs no row lock.
func (tx *txn) LockEndpoint(ctx context.Context, orgID, id string, _ switchboard.Lock) (*switchboard.Endpoint, error) {
	return tx.Endpoint(ctx, orgID, id)
}

// ListEndpoints returns one page of the organisation's endpoints, newest
// first, and the total that match the filter.
func (db *Driver) ListEndpoints(ctx context.Context, orgID string, f switchboard.EndpointFilter) ([]*switchboard.Endpoint, int, error) {
	var w where
	w.eqs(f.Conds(orgID))
	return listPage(ctx, db, `SELECT COUNT(*) FROM endpoints WHERE `+w.String(),
		`SELECT `+switchboard.EndpointColumns+` FROM endpoints WHERE `+w.String()+` ORDER BY created_at DESC, id DESC`,
		w.args, f.Page, scanEndpoint)
}

// InsertEndpoint stores a new endpoint.
func (tx *txn) InsertEndpoint(ctx context.Context, e *switchboard.Endpoint) error {
	cols, err := e.ColumnValues(&codec)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, insertEndpointSQL, cols...)
	return err
}

// UpdateEndpoint stores every column of an existing endpoint.
func (tx *txn) UpdateEndpoint(ctx context.Context, e *switchboard.Endpoint) error {
	cols, err := e.ColumnValues(&codec)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, updateEndpointSQL, append(cols[2:], e.OrganizationID, e.ID)...)
	return err
}

// DeleteEndpoint deletes the organisation's endpoint.
func (tx *txn) DeleteEndpoint(ctx context.Context, orgID, id string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM endpoints WHERE organization_id = ? AND id = ?`, orgID, id)
	return err
}

// DetachEndpoint clears the endpoint from the organisation's numbers in one
// UPDATE … RETURNING; the single writer already holds every row.
func (tx *txn) DetachEndpoint(ctx context.Context, orgID, id string, now func() time.Time) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `UPDATE phone_numbers SET
		endpoint_id = CASE WHEN endpoint_id = ?1 THEN NULL ELSE endpoint_id END,
		fallback_endpoint_id = CASE WHEN fallback_endpoint_id = ?1 THEN NULL ELSE fallback_endpoint_id END,
		updated_at = ?2
		WHERE organization_id = ?3 AND (endpoint_id = ?1 OR fallback_endpoint_id = ?1)
		RETURNING id`,
		id, micros(now()), orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		ids = append(ids, n)
	}
	return ids, rows.Err()
}

// PhoneNumbers returns the organisation's numbers with these IDs.
func (tx *txn) PhoneNumbers(ctx context.Context, orgID string, ids []string) ([]*switchboard.PhoneNumber, error) {
	return findPhoneNumbers(ctx, tx, orgID, ids)
}

// scanEndpoint reads one row of switchboard.EndpointColumns.
func scanEndpoint(s scanner) (*switchboard.Endpoint, error) {
	var es switchboard.EndpointScan
	if err := s.Scan(es.Dest(&codec)...); err != nil {
		return nil, err
	}
	return es.Endpoint()
}
