package client

import (
	"context"
	"iter"
	"net/url"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// WebhookCreate is the body of CreateWebhook.
type WebhookCreate = switchboard.WebhookInput

// WebhookUpdate is the body of UpdateWebhook: only the fields set are sent.
type WebhookUpdate = switchboard.WebhookPatch

// WebhookDeleted is the answer to DeleteWebhook.
type WebhookDeleted struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

// Replayed is the answer to ReplayWebhookDeliveries: how many failed
// deliveries were queued again.
type Replayed struct {
	WebhookID string    `json:"webhook_id"`
	Since     time.Time `json:"since"`
	Replayed  int       `json:"replayed"`
}

// ListDeliveriesParams filters ListWebhookDeliveries.
type ListDeliveriesParams struct {
	WebhookID string
	Status    string // pending, delivered or failed
	Event     string // an event type, e.g. call.completed
	ListOptions
}

func (p ListDeliveriesParams) query() url.Values {
	q := url.Values{}
	setIf(q, "webhook_id", p.WebhookID)
	setIf(q, "status", p.Status)
	setIf(q, "event", p.Event)
	return q
}

// ListWebhooks iterates over the organisation's subscriptions
// (GET /v1/webhooks).
func (c *Client) ListWebhooks(ctx context.Context, o ListOptions) iter.Seq2[*switchboard.Webhook, error] {
	return listAll(ctx, c, "/webhooks", "webhooks", nil, o, func(w *switchboard.Webhook) string { return w.ID })
}

// ListWebhooksPage fetches one page of subscriptions.
func (c *Client) ListWebhooksPage(ctx context.Context, o ListOptions) (*Page[switchboard.Webhook], error) {
	return listPage[switchboard.Webhook](ctx, c, "/webhooks", "webhooks", nil, o)
}

// CreateWebhook subscribes a URL to events (POST /v1/webhooks). The
// answer carries the signing secret.
func (c *Client) CreateWebhook(ctx context.Context, in WebhookCreate) (*switchboard.Webhook, error) {
	return call[switchboard.Webhook](ctx, c, "POST", "/webhooks", nil, in)
}

// GetWebhook reads one subscription (GET /v1/webhooks/{id}).
func (c *Client) GetWebhook(ctx context.Context, id string) (*switchboard.Webhook, error) {
	return call[switchboard.Webhook](ctx, c, "GET", "/webhooks/"+pathID(id), nil, nil)
}

// UpdateWebhook changes the fields set in p (PATCH /v1/webhooks/{id}).
func (c *Client) UpdateWebhook(ctx context.Context, id string, p WebhookUpdate) (*switchboard.Webhook, error) {
	return call[switchboard.Webhook](ctx, c, "PATCH", "/webhooks/"+pathID(id), nil, p)
}

// DeleteWebhook deletes a subscription (DELETE /v1/webhooks/{id}).
func (c *Client) DeleteWebhook(ctx context.Context, id string) (*WebhookDeleted, error) {
	return call[WebhookDeleted](ctx, c, "DELETE", "/webhooks/"+pathID(id), nil, nil)
}

// RotateWebhookSecret gives the subscription a new signing secret; the
// old one keeps signing during the overlap
// (POST /v1/webhooks/{id}/rotate-secret).
func (c *Client) RotateWebhookSecret(ctx context.Context, id string) (*switchboard.Webhook, error) {
	return call[switchboard.Webhook](ctx, c, "POST", "/webhooks/"+pathID(id)+"/rotate-secret", nil, nil)
}

// TestWebhook queues a webhook.test event for this subscription only and
// returns the event (POST /v1/webhooks/{id}/test).
func (c *Client) TestWebhook(ctx context.Context, id string) (*switchboard.Event, error) {
	return call[switchboard.Event](ctx, c, "POST", "/webhooks/"+pathID(id)+"/test", nil, nil)
}

// ReplayWebhookDeliveries queues one more attempt of every failed delivery
// of the subscription created since since (POST /v1/webhooks/{id}/replay).
func (c *Client) ReplayWebhookDeliveries(ctx context.Context, id string, since time.Time) (*Replayed, error) {
	body := map[string]string{"since": since.UTC().Format(time.RFC3339Nano)}
	return call[Replayed](ctx, c, "POST", "/webhooks/"+pathID(id)+"/replay", nil, body)
}

// ListWebhookDeliveries iterates over the delivery log, newest first
// (GET /v1/webhook-deliveries).
func (c *Client) ListWebhookDeliveries(ctx context.Context, p ListDeliveriesParams) iter.Seq2[*switchboard.Delivery, error] {
	return listAll(ctx, c, "/webhook-deliveries", "webhook_deliveries", p.query(), p.ListOptions, func(d *switchboard.Delivery) string { return d.ID })
}

// ListWebhookDeliveriesPage fetches one page of the delivery log.
func (c *Client) ListWebhookDeliveriesPage(ctx context.Context, p ListDeliveriesParams) (*Page[switchboard.Delivery], error) {
	return listPage[switchboard.Delivery](ctx, c, "/webhook-deliveries", "webhook_deliveries", p.query(), p.ListOptions)
}

// GetWebhookDelivery reads one delivery with its attempts and payload
// (GET /v1/webhook-deliveries/{id}).
func (c *Client) GetWebhookDelivery(ctx context.Context, id string) (*switchboard.Delivery, error) {
	return call[switchboard.Delivery](ctx, c, "GET", "/webhook-deliveries/"+pathID(id), nil, nil)
}

// RetryWebhookDelivery queues one more attempt of a delivery
// (POST /v1/webhook-deliveries/{id}/retry).
func (c *Client) RetryWebhookDelivery(ctx context.Context, id string) (*switchboard.Delivery, error) {
	return call[switchboard.Delivery](ctx, c, "POST", "/webhook-deliveries/"+pathID(id)+"/retry", nil, nil)
}
