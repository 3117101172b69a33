package postgres

import (
	"context"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// DetachEndpoint clears the endpoint from the numbers that point at it,
// through detachNumbers (no number can start pointing at it while the
// endpoint's lock is held).
func (t *txn) DetachEndpoint(ctx context.Context, orgID, id string, now func() time.Time) ([]string, error) {
	return t.detachNumbers(ctx, orgID, id, now, `(endpoint_id = $2 OR fallback_endpoint_id = $2)`,
		`endpoint_id = CASE WHEN endpoint_id = $2 THEN NULL ELSE endpoint_id END,
		fallback_endpoint_id = CASE WHEN fallback_endpoint_id = $2 THEN NULL ELSE fallback_endpoint_id END`)
}

// detachNumbers locks the organisation's numbers that match (where, with
// $1 the organisation and $2 the ID of what is detached), in ID order,
// reads the time only then, so a number's updated_at and events never go
// back in time, and applies set (the same $2) to them; the UPDATE repeats
// where, which the locked rows still match, so $2 has its type in both.
// It returns their IDs.
func (t *txn) detachNumbers(ctx context.Context, orgID, id string, now func() time.Time, where, set string) ([]string, error) {
	rows, err := t.Query(ctx, `SELECT id FROM phone_numbers WHERE organization_id = $1 AND `+where+`
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
	if _, err := t.Exec(ctx, `UPDATE phone_numbers SET `+set+`, updated_at = $3
		WHERE organization_id = $1 AND id = ANY($4) AND `+where, orgID, id, at, numIDs); err != nil {
		return nil, err
	}
	return numIDs, nil
}

// PhoneNumbers returns the organisation's numbers with these IDs.
func (t *txn) PhoneNumbers(ctx context.Context, orgID string, ids []string) ([]*switchboard.PhoneNumber, error) {
	return findPhoneNumbers(ctx, t, orgID, ids)
}
