package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// Every event is written by an eventWriter inside the write transaction of
// the change that causes it, together with one pending delivery per
// receiver, so an event exists, and is delivered, if and only if its
// change was committed (DESIGN §9).

// eventWriter writes the events of one write transaction. The
// organisation's active subscriptions are read once, at the first fan-out,
// and reused by every later event of the transaction (DeleteEndpoint emits
// one per detached number).
type eventWriter struct {
	ctx   context.Context
	tx    *sql.Tx
	orgID string
	now   time.Time

	subs     []subscription // nil until loaded
	loaded   bool
	insert   *sql.Stmt // the event INSERT, prepared at first use; closed by the commit
	delivery *sql.Stmt // the delivery INSERT, prepared at first use; closed by the commit
}

// subscription is what fan-out needs of an active subscription.
type subscription struct {
	id, url string
	events  []string
}

// receiver is where one delivery goes: a subscription or an endpoint.
type receiver struct {
	webhookID, endpointID *string
	url                   string
}

// events returns the event writer of the transaction tx, stamping events
// with now (the time of the change).
func (db *DB) events(ctx context.Context, tx *sql.Tx, orgID string, now time.Time) *eventWriter {
	return &eventWriter{ctx: ctx, tx: tx, orgID: orgID, now: now}
}

// emit writes an event of type typ whose data is the JSON of data, and one
// pending delivery, due now, per receiver: every active subscription of
// the organisation whose filter matches typ, or, with opts.WebhookID, that
// one subscription whatever its filter and active flag (WEBHOOK_NOT_FOUND
// unless the organisation's); plus opts.EndpointID when it names a
// webhook-type endpoint of the organisation (anything else is ignored, so
// a call event still reaches the subscriptions after its endpoint is gone).
func (w *eventWriter) emit(typ string, data any, opts switchboard.EmitOptions) (*switchboard.Event, error) {
	ev := &switchboard.Event{
		ID: switchboard.NewID(switchboard.PrefixEvent), OrganizationID: w.orgID,
		Type: typ, Timestamp: w.now,
	}
	var to []receiver
	if opts.WebhookID != "" {
		r, err := w.webhook(opts.WebhookID)
		if err != nil {
			return nil, err
		}
		to = append(to, r)
	} else {
		if err := w.loadSubscriptions(); err != nil {
			return nil, err
		}
		for _, s := range w.subs {
			if switchboard.EventMatches(s.events, typ) {
				to = append(to, receiver{webhookID: &s.id, url: s.url})
			}
		}
	}
	if opts.EndpointID != "" {
		r, ok, err := w.endpoint(opts.EndpointID)
		if err != nil {
			return nil, err
		}
		if ok {
			to = append(to, r)
		}
	}

	if len(to) == 0 && switchboard.UnobservedWithoutReceiver(typ) {
		return ev, nil // nobody will read it: not even encoded
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("event %s: data: %w", typ, err)
	}
	ev.Data = raw
	at := micros(w.now)
	if w.insert == nil {
		// A batch of call records emits hundreds of events in one
		// transaction: parse the statement once.
		if w.insert, err = w.tx.PrepareContext(w.ctx, `INSERT INTO events (id, organization_id, type, created_at, data)
		VALUES (?, ?, ?, ?, ?)`); err != nil {
			return nil, fmt.Errorf("event %s: %w", typ, err)
		}
	}
	if _, err = w.insert.ExecContext(w.ctx, ev.ID, w.orgID, typ, at, string(raw)); err != nil {
		return nil, fmt.Errorf("event %s: %w", typ, err)
	}
	if len(to) > 0 && w.delivery == nil {
		w.delivery, err = w.tx.PrepareContext(w.ctx, `INSERT INTO deliveries
			(id, organization_id, webhook_id, endpoint_id, event_id, event, url, status,
			 attempt_count, next_attempt_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, '`+switchboard.DeliveryPending+`', 0, ?, ?, ?)`)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", typ, err)
		}
	}
	for _, r := range to {
		_, err := w.delivery.ExecContext(w.ctx, switchboard.NewID(switchboard.PrefixDelivery), w.orgID,
			r.webhookID, r.endpointID, ev.ID, typ, r.url, at, at, at)
		if err != nil {
			return nil, fmt.Errorf("event %s: delivery: %w", typ, err)
		}
	}
	return ev, nil
}

// loadSubscriptions reads the organisation's active subscriptions, once
// per transaction, through the partial index webhooks_org_active.
func (w *eventWriter) loadSubscriptions() error {
	if w.loaded {
		return nil
	}
	rows, err := w.tx.QueryContext(w.ctx, `SELECT id, url, events FROM webhooks
		WHERE organization_id = ? AND active = 1 ORDER BY id`, w.orgID)
	if err != nil {
		return fmt.Errorf("load subscriptions: %w", err)
	}
	defer rows.Close()
	subs := []subscription{}
	for rows.Next() {
		var s subscription
		var events string
		if err := rows.Scan(&s.id, &s.url, &events); err != nil {
			return fmt.Errorf("load subscriptions: %w", err)
		}
		if err := json.Unmarshal([]byte(events), &s.events); err != nil {
			return fmt.Errorf("subscription %s: events: %w", s.id, err)
		}
		subs = append(subs, s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load subscriptions: %w", err)
	}
	w.subs, w.loaded = subs, true
	return nil
}

// webhook returns the organisation's subscription id as a receiver,
// active or not.
func (w *eventWriter) webhook(id string) (receiver, error) {
	if !switchboard.ValidID(switchboard.PrefixWebhook, id) {
		return receiver{}, webhookNotFound(id)
	}
	var url string
	err := w.tx.QueryRowContext(w.ctx, `SELECT url FROM webhooks WHERE organization_id = ? AND id = ?`, w.orgID, id).Scan(&url)
	if errors.Is(err, sql.ErrNoRows) {
		return receiver{}, webhookNotFound(id)
	}
	if err != nil {
		return receiver{}, err
	}
	return receiver{webhookID: &id, url: url}, nil
}

// endpoint returns the organisation's endpoint id as a receiver, and
// false when it is not one of its webhook-type endpoints.
func (w *eventWriter) endpoint(id string) (receiver, bool, error) {
	if !switchboard.ValidID(switchboard.PrefixEndpoint, id) {
		return receiver{}, false, nil
	}
	var url string
	err := w.tx.QueryRowContext(w.ctx, `SELECT url FROM endpoints WHERE organization_id = ? AND id = ? AND type = ?`,
		w.orgID, id, switchboard.EndpointWebhook).Scan(&url)
	if errors.Is(err, sql.ErrNoRows) {
		return receiver{}, false, nil
	}
	if err != nil {
		return receiver{}, false, err
	}
	return receiver{endpointID: &id, url: url}, true, nil
}

// EmitEvent records an event that no store change causes (call events,
// webhook.test): the event and its deliveries, in one transaction. typ must
// be in switchboard.EventTypes, or webhook.test with opts.WebhookID.
func (db *DB) EmitEvent(ctx context.Context, orgID, typ string, data any, opts switchboard.EmitOptions) (*switchboard.Event, error) {
	switch {
	case typ == switchboard.EventWebhookTest && opts.WebhookID == "":
		return nil, errors.New("emit event: webhook.test goes to one subscription: set EmitOptions.WebhookID")
	case typ != switchboard.EventWebhookTest && !slices.Contains(switchboard.EventTypes, typ):
		return nil, fmt.Errorf("emit event: unknown event type %q", typ)
	case opts.WebhookID != "" && !switchboard.ValidID(switchboard.PrefixWebhook, opts.WebhookID):
		return nil, webhookNotFound(opts.WebhookID) // without taking the write lock
	}
	var ev *switchboard.Event
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		ev, err = db.events(ctx, tx, orgID, db.now()).emit(typ, data, opts)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("emit event %s: %w", typ, err)
	}
	return ev, nil
}
