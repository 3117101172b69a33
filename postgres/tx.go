package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-voice/switchboard"
)

var _ switchboard.Tx = (*txn)(nil)

// noRows maps pgx's missing row to the driver-neutral one.
func noRows(err error) error {
	if isNoRows(err) {
		return switchboard.ErrNoRows
	}
	return err
}

// ActiveSubscriptions reads the organisation's active subscriptions through
// the partial index webhooks_org_active.
func (t *txn) ActiveSubscriptions(ctx context.Context, orgID string) ([]switchboard.Subscription, error) {
	rows, err := t.Query(ctx, `SELECT id, url, events FROM webhooks
		WHERE organization_id = $1 AND active ORDER BY id COLLATE "C"`, orgID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[switchboard.Subscription])
}

// WebhookURL returns the URL of the organisation's subscription. The
// key-share lock holds off a concurrent delete until the delivery to the
// subscription is committed.
func (t *txn) WebhookURL(ctx context.Context, orgID, id string) (string, error) {
	var url string
	err := t.QueryRow(ctx, `SELECT url FROM webhooks WHERE organization_id = $1 AND id = $2 FOR KEY SHARE`,
		orgID, id).Scan(&url)
	return url, noRows(err)
}

// WebhookEndpointURL returns the URL of the organisation's webhook-type
// endpoint, key-share locked like WebhookURL's subscription.
func (t *txn) WebhookEndpointURL(ctx context.Context, orgID, id string) (string, error) {
	var url string
	err := t.QueryRow(ctx, `SELECT url FROM endpoints WHERE organization_id = $1 AND id = $2 AND type = $3 FOR KEY SHARE`,
		orgID, id, switchboard.EndpointWebhook).Scan(&url)
	return url, noRows(err)
}

// outboxSQL writes a batch of events and their deliveries in one
// statement: the deliveries' foreign key to their event is checked at its
// end, when both are in.
//
// The events take the next positions of the organisation's log from its
// row of event_seqs, whose lock the transaction then holds until it ends,
// so the positions grow in commit order (0012_event_log.sql). The event
// feed is notified after the commit (eventnotify.go). An event whose ID is
// stored already (a call entry saved again: switchboard.CallEventID) is
// skipped, and so are its deliveries; its position stays unused.
const outboxSQL = `WITH s AS (
		INSERT INTO event_seqs AS s (organization_id, last_seq) VALUES ($1, cardinality($3::text[]))
		ON CONFLICT (organization_id) DO UPDATE SET last_seq = s.last_seq + cardinality($3::text[])
		RETURNING last_seq - cardinality($3::text[]) AS base
	), ev AS (
		INSERT INTO events (id, organization_id, type, created_at, data, seq)
		SELECT e.id, $1, e.type, $2, e.data::json, s.base + e.n
		FROM s, unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS e(id, type, data, n)
		ON CONFLICT (id) DO NOTHING
		RETURNING id
	)
	INSERT INTO deliveries (id, organization_id, webhook_id, endpoint_id, event_id, event, url, status,
		attempt_count, next_attempt_at, created_at, updated_at)
	SELECT id, $1, webhook_id, endpoint_id, event_id, event, url, '` + switchboard.DeliveryPending + `', 0, $2, $2, $2
	FROM unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
		AS d(id, webhook_id, endpoint_id, event_id, event, url)
	WHERE d.event_id IN (SELECT id FROM ev)`

// InsertOutbox writes the batch in one statement.
func (t *txn) InsertOutbox(ctx context.Context, b *switchboard.OutboxBatch) error {
	if !slices.Contains(t.evented, b.OrganizationID) {
		t.evented = append(t.evented, b.OrganizationID)
	}
	_, err := t.Exec(ctx, outboxSQL, b.OrganizationID, b.At, b.EventIDs, b.EventTypes, b.EventData,
		b.DeliveryIDs, b.DeliveryWebhookIDs, b.DeliveryEndpointIDs, b.DeliveryEventIDs, b.DeliveryTypes, b.DeliveryURLs)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// NotifyRoutingChanged tells every listener, when the transaction commits,
// that the organisation's numbers or endpoints changed.
func (t *txn) NotifyRoutingChanged(_ context.Context, orgID string) error {
	return t.notifyChange(orgID)
}
