package sqlite

import (
	"context"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// DetachEndpoint clears the endpoint from the organisation's numbers in one
// UPDATE … RETURNING; the single writer already holds every row.
func (tx *txn) DetachEndpoint(ctx context.Context, orgID, id string, now func() time.Time) ([]string, error) {
	return tx.returningIDs(ctx, `UPDATE phone_numbers SET
		endpoint_id = CASE WHEN endpoint_id = ?1 THEN NULL ELSE endpoint_id END,
		fallback_endpoint_id = CASE WHEN fallback_endpoint_id = ?1 THEN NULL ELSE fallback_endpoint_id END,
		updated_at = ?2
		WHERE organization_id = ?3 AND (endpoint_id = ?1 OR fallback_endpoint_id = ?1)
		RETURNING id`,
		id, micros(now()), orgID)
}

// PhoneNumbers returns the organisation's numbers with these IDs.
func (tx *txn) PhoneNumbers(ctx context.Context, orgID string, ids []string) ([]*switchboard.PhoneNumber, error) {
	return findPhoneNumbers(ctx, tx, orgID, ids)
}

// scanEndpoint reads one row of switchboard.EndpointColumns.
func scanEndpoint(s scanner) (*switchboard.Endpoint, error) { return codec.ScanEndpoint(s) }
