package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// Delivery reads the delivery on the pool.
func (db *Driver) Delivery(ctx context.Context, orgID, id string) (*switchboard.Delivery, error) {
	d, err := findDelivery(ctx, db.pool, orgID, id)
	return d, noRows(err)
}

// Delivery reads the delivery in the transaction.
func (t *txn) Delivery(ctx context.Context, orgID, id string) (*switchboard.Delivery, error) {
	d, err := findDelivery(ctx, t, orgID, id)
	return d, noRows(err)
}

// findDelivery reads a delivery, its event and its attempts in one
// statement, so that they agree (a finish committing meanwhile cannot add
// an attempt the delivery does not count).
func findDelivery(ctx context.Context, q querier, orgID, id string) (*switchboard.Delivery, error) {
	var eventAt time.Time
	var data string
	var attempts []byte
	d, err := codec.ScanDelivery(q.QueryRow(ctx, `SELECT `+switchboard.DeliveryColumns+`, e.created_at, e.data::text,
			(SELECT json_agg(json_build_object(
				'number', a.number, 'at', (extract(epoch FROM a.attempted_at) * 1000000)::bigint, 'status_code', a.status_code,
				'latency_ms', a.latency_ms, 'error', a.error, 'response_excerpt', a.response_excerpt)
				ORDER BY a.number)
			FROM delivery_attempts a WHERE a.delivery_id = d.id)
		FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.organization_id = $1 AND d.id = $2`, orgID, id), &eventAt, &data, &attempts)
	if err != nil {
		return nil, err
	}
	if d.Payload, err = switchboard.EventEnvelope(d.EventID, d.Event, eventAt, data); err != nil {
		return nil, err
	}
	if attempts != nil {
		// Times travel as unix microseconds: the JSON text of a timestamptz
		// depends on the session's time zone.
		var list []struct {
			switchboard.DeliveryAttempt
			At int64 `json:"at"`
		}
		if err := json.Unmarshal(attempts, &list); err != nil {
			return nil, fmt.Errorf("delivery %s: attempts: %w", id, err)
		}
		d.Attempts = make([]switchboard.DeliveryAttempt, len(list))
		for i, a := range list {
			d.Attempts[i] = a.DeliveryAttempt
			d.Attempts[i].AttemptedAt = time.UnixMicro(a.At).UTC()
		}
	}
	return d, nil
}
