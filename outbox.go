package switchboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Every event is written inside the write transaction of the change that
// causes it, together with one pending delivery per receiver, so an event
// exists, and is delivered, if and only if its change was committed
// (DESIGN §9). outbox is the one place that decides who receives an event.

// outbox collects the events of one organisation's change in a write
// transaction, stamped with one time, and writes them with their
// deliveries in one batch at flush. The organisation's active
// subscriptions are read once, at the first fan-out, and reused by every
// later event (DeleteEndpoint emits one per detached number).
type outbox struct {
	tx     Tx
	subs   []Subscription
	loaded bool
	batch  OutboxBatch
	// lastData and lastRaw are the last call data encoded (encode).
	lastData *CallEventData
	lastRaw  string
}

// newOutbox returns the outbox of the organisation's change in tx, made at
// now. Call flush before the transaction commits.
func newOutbox(tx Tx, orgID string, now time.Time) *outbox {
	return &outbox{tx: tx, batch: OutboxBatch{OrganizationID: orgID, At: now}}
}

// emit records an event of type typ whose data is the JSON of data, and one
// pending delivery per receiver: every active subscription of the
// organisation whose filter matches typ, or, with opts.WebhookID, that one
// subscription whatever its filter and active flag (WEBHOOK_NOT_FOUND
// unless the organisation's); plus opts.EndpointID when it names a
// webhook-type endpoint of the organisation (anything else is ignored, so
// a call event still reaches the subscriptions after its endpoint is gone).
func (o *outbox) emit(ctx context.Context, typ string, data any, opts EmitOptions) (*Event, error) {
	b := &o.batch
	id := opts.ID
	switch {
	case id == "":
		id = NewID(PrefixEvent)
	case !ValidID(PrefixEvent, id):
		return nil, fmt.Errorf("event %s: invalid event ID %q", typ, id)
	}
	ev := &Event{ID: id, OrganizationID: b.OrganizationID, Type: typ, Timestamp: b.At}
	var endpointURL string
	toEndpoint := false
	if opts.EndpointID != "" && ValidID(PrefixEndpoint, opts.EndpointID) {
		url, err := o.tx.WebhookEndpointURL(ctx, b.OrganizationID, opts.EndpointID)
		switch {
		case err == nil:
			endpointURL, toEndpoint = url, true
		case !errors.Is(err, ErrNoRows):
			return nil, fmt.Errorf("event %s: endpoint %s: %w", typ, opts.EndpointID, err)
		}
	}
	before := len(b.DeliveryIDs)
	if opts.WebhookID != "" {
		if !ValidID(PrefixWebhook, opts.WebhookID) {
			return nil, webhookNotFound(opts.WebhookID)
		}
		url, err := o.tx.WebhookURL(ctx, b.OrganizationID, opts.WebhookID)
		if errors.Is(err, ErrNoRows) {
			return nil, webhookNotFound(opts.WebhookID)
		}
		if err != nil {
			return nil, fmt.Errorf("event %s: webhook %s: %w", typ, opts.WebhookID, err)
		}
		id := opts.WebhookID // its own variable, so opts stays on the stack
		o.deliver(ev, &id, nil, url)
	} else {
		if err := o.loadSubscriptions(ctx); err != nil {
			return nil, err
		}
		for i := range o.subs {
			if s := &o.subs[i]; EventMatches(s.Events, typ) {
				o.deliver(ev, &s.ID, nil, s.URL)
			}
		}
	}
	if toEndpoint {
		id := opts.EndpointID
		o.deliver(ev, nil, &id, endpointURL)
	}
	raw, err := o.encode(data)
	if err != nil {
		b.truncate(before)
		return nil, fmt.Errorf("event %s: data: %w", typ, err)
	}
	ev.Data = json.RawMessage(raw)
	b.EventIDs = append(b.EventIDs, ev.ID)
	b.EventTypes = append(b.EventTypes, typ)
	b.EventData = append(b.EventData, raw)
	return ev, nil
}

// encode returns the JSON of data. A call's update emits several events
// with the same data (one pointer), and every call event is stored, so
// the last encoding is reused for the same pointer: the call path pays for
// one encoding per update, not per event.
func (o *outbox) encode(data any) (string, error) {
	p, isCall := data.(*CallEventData)
	if isCall && p == o.lastData {
		return o.lastRaw, nil
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return "", err
	}
	if isCall {
		o.lastData, o.lastRaw = p, string(raw)
		return o.lastRaw, nil
	}
	return string(raw), nil
}

// deliver adds one pending delivery of ev.
func (o *outbox) deliver(ev *Event, webhookID, endpointID *string, url string) {
	b := &o.batch
	b.DeliveryIDs = append(b.DeliveryIDs, NewID(PrefixDelivery))
	b.DeliveryWebhookIDs = append(b.DeliveryWebhookIDs, webhookID)
	b.DeliveryEndpointIDs = append(b.DeliveryEndpointIDs, endpointID)
	b.DeliveryEventIDs = append(b.DeliveryEventIDs, ev.ID)
	b.DeliveryTypes = append(b.DeliveryTypes, ev.Type)
	b.DeliveryURLs = append(b.DeliveryURLs, url)
}

// truncate drops the deliveries from index n on.
func (b *OutboxBatch) truncate(n int) {
	b.DeliveryIDs, b.DeliveryWebhookIDs, b.DeliveryEndpointIDs = b.DeliveryIDs[:n], b.DeliveryWebhookIDs[:n], b.DeliveryEndpointIDs[:n]
	b.DeliveryEventIDs, b.DeliveryTypes, b.DeliveryURLs = b.DeliveryEventIDs[:n], b.DeliveryTypes[:n], b.DeliveryURLs[:n]
}

// loadSubscriptions reads the organisation's active subscriptions, once.
func (o *outbox) loadSubscriptions(ctx context.Context) error {
	if o.loaded {
		return nil
	}
	subs, err := o.tx.ActiveSubscriptions(ctx, o.batch.OrganizationID)
	if err != nil {
		return fmt.Errorf("load subscriptions: %w", err)
	}
	o.subs, o.loaded = subs, true
	return nil
}

// flush writes what emit collected, and empties the outbox.
func (o *outbox) flush(ctx context.Context) error {
	b := &o.batch
	if len(b.EventIDs) == 0 {
		return nil
	}
	if err := o.tx.InsertOutbox(ctx, b); err != nil {
		return fmt.Errorf("events %v: %w", b.EventTypes, err)
	}
	*b = OutboxBatch{OrganizationID: b.OrganizationID, At: b.At}
	return nil
}

// webhookNotFound is the error for a subscription the organisation does
// not have.
func webhookNotFound(id string) error {
	return Errorf(ECodeWebhookNotFound, "Webhook %s not found.", id)
}

// endpointNotFound is the error for an endpoint the organisation does not
// have.
func endpointNotFound(id string) error {
	return Errorf(ECodeEndpointNotFound, "Endpoint %s not found.", id)
}
