package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// Every event is written by an eventWriter inside the transaction of the
// change that causes it, together with one pending delivery per receiver,
// so an event exists, and is delivered, if and only if its change was
// committed (DESIGN §9). This is the store's one fan-out: every method that
// emits goes through emit.

// eventWriter writes the events of one transaction, stamped with one time.
// The organisation's active subscriptions are read once, at the first
// fan-out, and reused by every later event of the transaction
// (DeleteEndpoint emits one per detached number). The events and their
// deliveries are buffered and written by flush, in one statement, when the
// transaction commits.
type eventWriter struct {
	ctx   context.Context
	tx    *txn
	orgID string
	now   time.Time

	subs   []subscription
	loaded bool

	// The rows flush writes, column by column.
	evIDs, evTypes, evData         []string
	dIDs, dEventIDs, dTypes, dURLs []string
	dWebhookIDs, dEndpointIDs      []*string
}

// subscription is what fan-out needs of an active subscription.
type subscription struct {
	id, url string
	events  []string
}

// events returns a writer of the organisation's events in this
// transaction, stamped with now (the time of the change).
func (t *txn) events(orgID string, now time.Time) *eventWriter {
	w := &eventWriter{ctx: t.ctx, tx: t, orgID: orgID, now: now}
	t.writers = append(t.writers, w)
	return w
}

// emit records an event of type typ whose data is the JSON of data, and one
// pending delivery, due now, per receiver: every active subscription of
// the organisation whose filter matches typ, or, with opts.WebhookID, that
// one subscription whatever its filter and active flag (WEBHOOK_NOT_FOUND
// unless the organisation's); plus opts.EndpointID when it names a
// webhook-type endpoint of the organisation (anything else is ignored, so
// a call event still reaches the subscriptions after its endpoint is gone).
func (w *eventWriter) emit(typ string, data any, opts switchboard.EmitOptions) (*switchboard.Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("event %s: data: %w", typ, err)
	}
	ev := &switchboard.Event{
		ID: switchboard.NewID(switchboard.PrefixEvent), OrganizationID: w.orgID,
		Type: typ, Timestamp: w.now, Data: raw,
	}
	before := len(w.dIDs)
	add := func(webhookID, endpointID *string, url string) {
		w.dIDs = append(w.dIDs, switchboard.NewID(switchboard.PrefixDelivery))
		w.dWebhookIDs = append(w.dWebhookIDs, webhookID)
		w.dEndpointIDs = append(w.dEndpointIDs, endpointID)
		w.dEventIDs = append(w.dEventIDs, ev.ID)
		w.dTypes = append(w.dTypes, typ)
		w.dURLs = append(w.dURLs, url)
	}
	var endpointURL string
	var toEndpoint bool
	if opts.EndpointID != "" {
		if endpointURL, toEndpoint, err = w.endpoint(opts.EndpointID); err != nil {
			return nil, err
		}
	}
	if opts.WebhookID != "" {
		url, err := w.webhook(opts.WebhookID)
		if err != nil {
			return nil, err
		}
		add(&opts.WebhookID, nil, url)
	} else {
		if err := w.loadSubscriptions(); err != nil {
			return nil, err
		}
		for _, s := range w.subs {
			if switchboard.EventMatches(s.events, typ) {
				add(&s.id, nil, s.url)
			}
		}
	}
	if toEndpoint {
		add(nil, &opts.EndpointID, endpointURL)
	}
	if len(w.dIDs) == before && switchboard.UnobservedWithoutReceiver(typ) {
		return ev, nil
	}
	w.evIDs = append(w.evIDs, ev.ID)
	w.evTypes = append(w.evTypes, typ)
	w.evData = append(w.evData, string(raw))
	return ev, nil
}

// flushSQL writes the buffered events and their deliveries in one
// statement: the deliveries' foreign key to their event is checked at its
// end, when both are in.
const flushSQL = `WITH ev AS (
		INSERT INTO events (id, organization_id, type, created_at, data)
		SELECT id, $1, type, $2, data::json FROM unnest($3::text[], $4::text[], $5::text[]) AS e(id, type, data)
	)
	INSERT INTO deliveries (id, organization_id, webhook_id, endpoint_id, event_id, event, url, status,
		attempt_count, next_attempt_at, created_at, updated_at)
	SELECT id, $1, webhook_id, endpoint_id, event_id, event, url, '` + switchboard.DeliveryPending + `', 0, $2, $2, $2
	FROM unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
		AS d(id, webhook_id, endpoint_id, event_id, event, url)`

// flush writes what emit buffered, and empties the buffer.
func (w *eventWriter) flush() error {
	if len(w.evIDs) == 0 {
		return nil
	}
	_, err := w.tx.Exec(w.ctx, flushSQL, w.orgID, w.now, w.evIDs, w.evTypes, w.evData,
		w.dIDs, w.dWebhookIDs, w.dEndpointIDs, w.dEventIDs, w.dTypes, w.dURLs)
	if err != nil {
		return fmt.Errorf("events %v: %w", w.evTypes, err)
	}
	w.evIDs, w.evTypes, w.evData = nil, nil, nil
	w.dIDs, w.dWebhookIDs, w.dEndpointIDs, w.dEventIDs, w.dTypes, w.dURLs = nil, nil, nil, nil, nil, nil
	return nil
}

// loadSubscriptions reads the organisation's active subscriptions, once
// per transaction, through the partial index webhooks_org_active.
func (w *eventWriter) loadSubscriptions() error {
	if w.loaded {
		return nil
	}
	rows, err := w.tx.Query(w.ctx, `SELECT id, url, events FROM webhooks
		WHERE organization_id = $1 AND active ORDER BY id COLLATE "C"`, w.orgID)
	if err != nil {
		return fmt.Errorf("load subscriptions: %w", err)
	}
	defer rows.Close()
	subs := []subscription{}
	for rows.Next() {
		var s subscription
		if err := rows.Scan(&s.id, &s.url, &s.events); err != nil {
			return fmt.Errorf("load subscriptions: %w", err)
		}
		subs = append(subs, s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load subscriptions: %w", err)
	}
	w.subs, w.loaded = subs, true
	return nil
}

// webhook returns the URL of the organisation's subscription id, active
// or not.
func (w *eventWriter) webhook(id string) (string, error) {
	if !switchboard.ValidID(switchboard.PrefixWebhook, id) {
		return "", webhookNotFound(id)
	}
	var url string
	// The key-share lock holds off a concurrent delete until the delivery
	// to the subscription is committed.
	err := w.tx.QueryRow(w.ctx, `SELECT url FROM webhooks WHERE organization_id = $1 AND id = $2 FOR KEY SHARE`,
		w.orgID, id).Scan(&url)
	if isNoRows(err) {
		return "", webhookNotFound(id)
	}
	return url, err
}

// endpoint returns the URL of the organisation's endpoint id, and false
// when it is not one of its webhook-type endpoints.
func (w *eventWriter) endpoint(id string) (string, bool, error) {
	if !switchboard.ValidID(switchboard.PrefixEndpoint, id) {
		return "", false, nil
	}
	var url string
	err := w.tx.QueryRow(w.ctx, `SELECT url FROM endpoints WHERE organization_id = $1 AND id = $2 AND type = $3 FOR KEY SHARE`,
		w.orgID, id, switchboard.EndpointWebhook).Scan(&url)
	if isNoRows(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return url, true, nil
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
		return nil, webhookNotFound(opts.WebhookID) // without a query
	}
	var ev *switchboard.Event
	err := db.write(ctx, func(tx *txn) error {
		var err error
		ev, err = tx.events(orgID, db.now()).emit(typ, data, opts)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("emit event %s: %w", typ, err)
	}
	return ev, nil
}
