package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/switchboard-voice/switchboard"
)

// txn is one write transaction (switchboard.Tx). It collects the
// organisations whose routing changed, to announce after the commit.
type txn struct {
	*sql.Tx
	switchboard.RowWriter // the lookups and writes of endpoints, numbers and subscriptions
	db                    *Driver
	changed               []string
	evented               []string // organisations whose events it wrote, to tell SubscribeEvents at commit
	// The answer of WebhookEndpoints and the endpoint IDs it asks for, the
	// timeline UpsertCalls encodes, and the events InsertOutbox found
	// stored already, whose arrays the next transaction reuses.
	hooks    []bool
	ids      []string
	timeline []byte
	skipped  []string

	// The outbox INSERTs, prepared at first use: a batch of call records
	// writes hundreds of events in one transaction. The commit closes them.
	insertEvent, insertDelivery *sql.Stmt
}

var _ switchboard.Tx = (*txn)(nil)

// NotifyRoutingChanged tells the change subscribers about orgID once the
// transaction commits.
func (tx *txn) NotifyRoutingChanged(_ context.Context, orgID string) error {
	tx.changed = append(tx.changed, orgID)
	return nil
}

// noRows maps database/sql's missing row to the driver-neutral one.
func noRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return switchboard.ErrNoRows
	}
	return err
}

// returningIDs runs a statement that returns one ID per row: the
// UPDATE … RETURNING id of DetachEndpoint, DetachTrunk and
// ClearDefaultTrunk.
func (tx *txn) returningIDs(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return switchboard.CollectRows(rows, func(s switchboard.Scanner) (string, error) {
		var id string
		return id, s.Scan(&id)
	})
}

// ActiveSubscriptions reads the organisation's active subscriptions through
// the partial index webhooks_org_active.
func (tx *txn) ActiveSubscriptions(ctx context.Context, orgID string) ([]switchboard.Subscription, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, url, events FROM webhooks
		WHERE organization_id = ? AND active = 1 ORDER BY id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return switchboard.CollectRows(rows, func(r scanner) (switchboard.Subscription, error) {
		var s switchboard.Subscription
		err := r.Scan(&s.ID, &s.URL, codec.ListDest(&s.Events))
		return s, err
	})
}

// WebhookURL returns the URL of the organisation's subscription.
func (tx *txn) WebhookURL(ctx context.Context, orgID, id string) (string, error) {
	var url string
	err := tx.QueryRowContext(ctx, `SELECT url FROM webhooks WHERE organization_id = ? AND id = ?`, orgID, id).Scan(&url)
	return url, noRows(err)
}

// WebhookEndpointURL returns the URL of the organisation's webhook-type
// endpoint.
func (tx *txn) WebhookEndpointURL(ctx context.Context, orgID, id string) (string, error) {
	var url string
	err := tx.QueryRowContext(ctx, `SELECT url FROM endpoints WHERE organization_id = ? AND id = ? AND type = ?`,
		orgID, id, switchboard.EndpointWebhook).Scan(&url)
	return url, noRows(err)
}

// InsertOutbox writes the events and deliveries row by row, through
// statements prepared once per transaction (SQLite runs in process, so a
// row costs no round trip).
func (tx *txn) InsertOutbox(ctx context.Context, b *switchboard.OutboxBatch) error {
	var err error
	if tx.insertEvent == nil {
		if tx.insertEvent, err = tx.PrepareContext(ctx, `INSERT INTO events (id, organization_id, type, created_at, data)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`); err != nil {
			return err
		}
	}
	if !slices.Contains(tx.evented, b.OrganizationID) {
		tx.evented = append(tx.evented, b.OrganizationID)
	}
	at := micros(b.At)
	skipped := tx.skipped[:0] // the events stored already: a call entry saved again
	for i, id := range b.EventIDs {
		res, err := tx.insertEvent.ExecContext(ctx, id, b.OrganizationID, b.EventTypes[i], at, b.EventData[i])
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			skipped = append(skipped, id)
		}
	}
	tx.skipped = skipped
	if len(b.DeliveryIDs) == 0 {
		return nil
	}
	if tx.insertDelivery == nil {
		tx.insertDelivery, err = tx.PrepareContext(ctx, `INSERT INTO deliveries
			(id, organization_id, webhook_id, endpoint_id, event_id, event, url, status,
			 attempt_count, next_attempt_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, '`+switchboard.DeliveryPending+`', 0, ?, ?, ?)`)
		if err != nil {
			return err
		}
	}
	for i, id := range b.DeliveryIDs {
		if len(skipped) > 0 && slices.Contains(skipped, b.DeliveryEventIDs[i]) {
			continue
		}
		_, err := tx.insertDelivery.ExecContext(ctx, id, b.OrganizationID, b.DeliveryWebhookIDs[i], b.DeliveryEndpointIDs[i],
			b.DeliveryEventIDs[i], b.DeliveryTypes[i], b.DeliveryURLs[i], at, at, at)
		if err != nil {
			return fmt.Errorf("delivery: %w", err)
		}
	}
	return nil
}
