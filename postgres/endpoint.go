package postgres

import (
	"context"
	"time"

	"github.com/switchboard-voice/switchboard"
)

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
