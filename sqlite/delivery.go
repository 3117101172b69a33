package sqlite

import (
	"context"
	"database/sql"

	"github.com/switchboard-voice/switchboard"
)

// Delivery reads the delivery, its event and its attempts in one read
// transaction, so that they agree.
func (db *Driver) Delivery(ctx context.Context, orgID, id string) (*switchboard.Delivery, error) {
	var d *switchboard.Delivery
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		d, err = findDelivery(ctx, tx, orgID, id)
		return err
	})
	return d, noRows(err)
}

// Delivery reads the delivery in the write transaction.
func (tx *txn) Delivery(ctx context.Context, orgID, id string) (*switchboard.Delivery, error) {
	d, err := findDelivery(ctx, tx, orgID, id)
	return d, noRows(err)
}

func findDelivery(ctx context.Context, q querier, orgID, id string) (*switchboard.Delivery, error) {
	var eventAt int64
	var data string
	d, err := codec.ScanDelivery(q.QueryRowContext(ctx, `SELECT `+switchboard.DeliveryColumns+`, e.created_at, e.data
		FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.organization_id = ? AND d.id = ?`, orgID, id), &eventAt, &data)
	if err != nil {
		return nil, err
	}
	if d.Payload, err = switchboard.EventEnvelope(d.EventID, d.Event, fromMicros(eventAt), data); err != nil {
		return nil, err
	}
	d.Attempts, err = deliveryAttempts(ctx, q, id)
	return d, err
}

func deliveryAttempts(ctx context.Context, q querier, id string) ([]switchboard.DeliveryAttempt, error) {
	rows, err := q.QueryContext(ctx, `SELECT number, attempted_at, status_code, latency_ms, error, response_excerpt
		FROM delivery_attempts WHERE delivery_id = ? ORDER BY number`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []switchboard.DeliveryAttempt
	for rows.Next() {
		var a switchboard.DeliveryAttempt
		var at int64
		if err := rows.Scan(&a.Number, &at, &a.StatusCode, &a.LatencyMS, &a.Error, &a.ResponseExcerpt); err != nil {
			return nil, err
		}
		a.AttemptedAt = fromMicros(at)
		out = append(out, a)
	}
	return out, rows.Err()
}
