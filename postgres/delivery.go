package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

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
	w.eq("d.organization_id", orgID)
	if f.WebhookID != "" {
		w.eq("d.webhook_id", f.WebhookID)
	}
	if f.Status != "" {
		w.eq("d.status", f.Status)
	}
	if f.Event != "" {
		w.eq("d.event", f.Event)
	}
	for _, v := range []string{f.WebhookID, f.Status, f.Event} {
		if !storable(v) {
			return nil, 0, nil // matches nothing
		}
	}
	out, total, err := list(ctx, db.pool, deliveryColumns, "deliveries d", w, `d.created_at DESC, d.id COLLATE "C" DESC`, f.Page, scanDelivery)
	if err != nil {
		return nil, 0, fmt.Errorf("list deliveries: %w", err)
	}
	return out, total, nil
}

// FindDelivery returns the organisation's delivery with its payload, the
// event envelope exactly as it is sent, and its attempts in order; or
// DELIVERY_NOT_FOUND.
func (db *Driver) FindDelivery(ctx context.Context, orgID, id string) (*switchboard.Delivery, error) {
	d, err := findDelivery(ctx, db.pool, orgID, id)
	if err != nil {
		return nil, fmt.Errorf("find delivery %s: %w", id, err)
	}
	return d, nil
}

// findDelivery reads a delivery, its event and its attempts in one
// statement, so that they agree (a finish committing meanwhile cannot add
// an attempt the delivery does not count).
func findDelivery(ctx context.Context, q querier, orgID, id string) (*switchboard.Delivery, error) {
	if !switchboard.ValidID(switchboard.PrefixDelivery, id) {
		return nil, deliveryNotFound(id)
	}
	var eventAt time.Time
	var data string
	var attempts []byte
	d, err := scanDelivery(q.QueryRow(ctx, `SELECT `+deliveryColumns+`, e.created_at, e.data::text,
			(SELECT json_agg(json_build_object(
				'number', a.number, 'at', (extract(epoch FROM a.attempted_at) * 1000000)::bigint, 'status_code', a.status_code,
				'latency_ms', a.latency_ms, 'error', a.error, 'response_excerpt', a.response_excerpt)
				ORDER BY a.number)
			FROM delivery_attempts a WHERE a.delivery_id = d.id)
		FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.organization_id = $1 AND d.id = $2`, orgID, id), &eventAt, &data, &attempts)
	if isNoRows(err) {
		return nil, deliveryNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	if d.Payload, err = eventEnvelope(d.EventID, d.Event, eventAt, data); err != nil {
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

// eventEnvelope returns the payload of a delivery of the event id, of type
// typ, created at eventAt with the JSON data: the envelope exactly as it is
// signed and sent. FindDelivery and ClaimDeliveries both build it here, so
// the log shows the bytes the receiver got.
func eventEnvelope(id, typ string, eventAt time.Time, data string) (json.RawMessage, error) {
	b, err := json.Marshal(&switchboard.Event{
		ID: id, Type: typ, Timestamp: eventAt.UTC(), Data: json.RawMessage(data),
	})
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", id, err)
	}
	return b, nil
}

// scanDelivery scans deliveryColumns, then extra.
func scanDelivery(s scanner, extra ...any) (*switchboard.Delivery, error) {
	var d switchboard.Delivery
	dest := append([]any{&d.ID, &d.OrganizationID, &d.WebhookID, &d.EndpointID, &d.EventID, &d.Event, &d.URL,
		&d.Status, &d.AttemptCount, &d.NextAttemptAt, &d.LastStatusCode, &d.DeliveredAt, &d.CreatedAt, &d.UpdatedAt}, extra...)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	return &d, nil
}
