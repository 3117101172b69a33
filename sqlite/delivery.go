package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/switchboard-voice/switchboard"
)

const deliveryColumns = `d.id, d.organization_id, d.webhook_id, d.endpoint_id, d.event_id, d.event, d.url,
	d.status, d.attempt_count, d.next_attempt_at, d.last_status_code, d.delivered_at, d.created_at, d.updated_at`

// ListDeliveries returns one page of the organisation's deliveries, newest
// first, and the total that match the filter, without payloads or
// attempts. The filters match exactly: WebhookID (also a deleted
// subscription's), Status, and Event, a canonical event type.
func (db *Driver) ListDeliveries(ctx context.Context, orgID string, f switchboard.DeliveryFilter) ([]*switchboard.Delivery, int, error) {
	var w where
	w.add("d.organization_id = ?", orgID)
	if f.WebhookID != "" {
		w.add("d.webhook_id = ?", f.WebhookID)
	}
	if f.Status != "" {
		w.add("d.status = ?", f.Status)
	}
	if f.Event != "" {
		w.add("d.event = ?", f.Event)
	}
	list, total, err := listPage(ctx, db, `SELECT COUNT(*) FROM deliveries d WHERE `+w.String(),
		`SELECT `+deliveryColumns+` FROM deliveries d WHERE `+w.String()+` ORDER BY d.created_at DESC, d.id DESC`,
		w.args, f.Page, func(s scanner) (*switchboard.Delivery, error) { return scanDelivery(s) })
	if err != nil {
		return nil, 0, fmt.Errorf("list deliveries: %w", err)
	}
	return list, total, nil
}

// FindDelivery returns the organisation's delivery with its payload, the
// event envelope exactly as it is sent, and its attempts in order; or
// DELIVERY_NOT_FOUND.
func (db *Driver) FindDelivery(ctx context.Context, orgID, id string) (*switchboard.Delivery, error) {
	if !switchboard.ValidID(switchboard.PrefixDelivery, id) {
		return nil, deliveryNotFound(id)
	}
	var d *switchboard.Delivery
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		d, err = findDelivery(ctx, tx, orgID, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find delivery %s: %w", id, err)
	}
	return d, nil
}

// findDelivery is FindDelivery inside a transaction, read or write.
func findDelivery(ctx context.Context, q querier, orgID, id string) (*switchboard.Delivery, error) {
	var eventAt int64
	var data string
	d, err := scanDelivery(q.QueryRowContext(ctx, `SELECT `+deliveryColumns+`, e.created_at, e.data
		FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.organization_id = ? AND d.id = ?`, orgID, id), &eventAt, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, deliveryNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	if d.Payload, err = eventEnvelope(d.EventID, d.Event, eventAt, data); err != nil {
		return nil, err
	}
	d.Attempts, err = deliveryAttempts(ctx, q, id)
	return d, err
}

// eventEnvelope returns the payload of a delivery of the event id, of type
// typ, created at eventAt (unix microseconds) with the JSON data: the
// envelope exactly as it is signed and sent. FindDelivery and
// ClaimDeliveries both build it here, so the log shows the bytes the
// receiver got.
func eventEnvelope(id, typ string, eventAt int64, data string) (json.RawMessage, error) {
	b, err := json.Marshal(&switchboard.Event{
		ID: id, Type: typ, Timestamp: fromMicros(eventAt), Data: json.RawMessage(data),
	})
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", id, err)
	}
	return b, nil
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

// scanDelivery scans deliveryColumns, then extra.
func scanDelivery(s scanner, extra ...any) (*switchboard.Delivery, error) {
	var d switchboard.Delivery
	var nextAt, deliveredAt, lastCode sql.NullInt64
	var createdAt, updatedAt int64
	dest := append([]any{&d.ID, &d.OrganizationID, &d.WebhookID, &d.EndpointID, &d.EventID, &d.Event, &d.URL,
		&d.Status, &d.AttemptCount, &nextAt, &lastCode, &deliveredAt, &createdAt, &updatedAt}, extra...)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	d.NextAttemptAt, d.DeliveredAt = timeOrNil(nextAt), timeOrNil(deliveredAt)
	if lastCode.Valid {
		code := int(lastCode.Int64)
		d.LastStatusCode = &code
	}
	d.CreatedAt, d.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
	return &d, nil
}
