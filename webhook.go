package switchboard

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// SecretOverlap is how long a rotated-out secret keeps signing beside the
// new one, so receivers can switch without dropping deliveries.
const SecretOverlap = 24 * time.Hour

const maxDescription = 500

// Webhook is a subscription: events matching Events are POSTed to URL,
// signed with Secret (and, during a rotation, the previous secret too).
type Webhook struct {
	ID                      string     `json:"id"`
	OrganizationID          string     `json:"organization_id"`
	URL                     string     `json:"url"`
	Events                  []string   `json:"events"`
	Active                  bool       `json:"active"`
	Description             string     `json:"description"`
	Secret                  string     `json:"secret,omitempty"`
	PreviousSecret          string     `json:"-"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty"`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
}

// SigningSecrets returns the secrets that sign a delivery at time now:
// the current one first, then the previous one while its overlap lasts.
func (w *Webhook) SigningSecrets(now time.Time) []string {
	s := []string{w.Secret}
	if w.PreviousSecret != "" && w.PreviousSecretExpiresAt != nil && now.Before(*w.PreviousSecretExpiresAt) {
		s = append(s, w.PreviousSecret)
	}
	return s
}

// WebhookInput is the body of POST /v1/webhooks.
type WebhookInput struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Active      *bool    `json:"active"`
	Description string   `json:"description"`
}

// WebhookPatch is the body of PATCH /v1/webhooks/{id}.
type WebhookPatch struct {
	URL         Optional[string]   `json:"url,omitzero"`
	Events      Optional[[]string] `json:"events,omitzero"`
	Active      Optional[bool]     `json:"active,omitzero"`
	Description Optional[string]   `json:"description,omitzero"`
}

// NewWebhook validates a create request and returns the subscription to
// store, with a fresh signing secret.
func NewWebhook(in WebhookInput) (*Webhook, error) {
	w := &Webhook{URL: strings.TrimSpace(in.URL), Active: true, Description: in.Description, Secret: NewSigningSecret()}
	if in.Active != nil {
		w.Active = *in.Active
	}
	events, err := NormalizeEventFilters(in.Events)
	if err != nil {
		return nil, err
	}
	w.Events = events
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return w, nil
}

// Apply applies a PATCH and validates the result; w is unchanged on error.
func (w *Webhook) Apply(p WebhookPatch) (*Webhook, error) {
	n := *w
	if p.URL.Set {
		n.URL = strings.TrimSpace(p.URL.Value)
	}
	if p.Events.Set {
		events, err := NormalizeEventFilters(p.Events.Value)
		if err != nil {
			return nil, err
		}
		n.Events = events
	}
	if p.Active.Set {
		if p.Active.Null {
			return nil, FieldError("active", "active cannot be null")
		}
		n.Active = p.Active.Value
	}
	if p.Description.Set {
		n.Description = p.Description.Value // null clears
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return &n, nil
}

// Validate checks the rules every stored subscription obeys. Whether the
// URL may point at a private address is checked by the webhook package.
func (w *Webhook) Validate() error {
	if err := ValidateWebhookURL(w.URL); err != nil {
		return err
	}
	if utf8.RuneCountInString(w.Description) > maxDescription || !utf8.ValidString(w.Description) {
		return FieldError("description", "description must be at most %d characters", maxDescription)
	}
	if len(w.Events) == 0 {
		return FieldError("events", "events must name at least one event")
	}
	return nil
}

// Delivery statuses: pending until a 2xx (delivered) or the retry
// schedule runs out (failed); a failed delivery can be retried by hand.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Delivery is one event on its way to one receiver: a subscription, or a
// webhook-type endpoint for call events.
type Delivery struct {
	ID             string            `json:"id"`
	OrganizationID string            `json:"organization_id"`
	WebhookID      *string           `json:"webhook_id"`
	EndpointID     *string           `json:"endpoint_id"`
	EventID        string            `json:"event_id"`
	Event          string            `json:"event"`
	URL            string            `json:"url"`
	Status         string            `json:"status"`
	AttemptCount   int               `json:"attempt_count"`
	NextAttemptAt  *time.Time        `json:"next_attempt_at"`
	LastStatusCode *int              `json:"last_status_code"`
	DeliveredAt    *time.Time        `json:"delivered_at"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	Payload        json.RawMessage   `json:"payload,omitempty"`
	Attempts       []DeliveryAttempt `json:"attempts,omitempty"`
}

// DeliveryAttempt is one POST of a delivery and what came back.
type DeliveryAttempt struct {
	Number          int       `json:"number"`
	AttemptedAt     time.Time `json:"attempted_at"`
	StatusCode      int       `json:"status_code"`
	LatencyMS       int64     `json:"latency_ms"`
	Error           string    `json:"error,omitempty"`
	ResponseExcerpt string    `json:"response_excerpt,omitempty"`
}

// DeliveryFilter selects deliveries in a list.
type DeliveryFilter struct {
	WebhookID string
	Status    string
	Event     string
	// CallID keeps the deliveries of the call's events (the dashboard's
	// call detail).
	CallID string
	Page
}

// WebhookService manages subscriptions and shows their delivery log. Every
// method is scoped to one organisation (WEBHOOK_NOT_FOUND,
// DELIVERY_NOT_FOUND for another's).
type WebhookService interface {
	CreateWebhook(ctx context.Context, orgID string, w *Webhook) error
	FindWebhook(ctx context.Context, orgID, id string) (*Webhook, error)
	ListWebhooks(ctx context.Context, orgID string, p Page) ([]*Webhook, int, error)
	UpdateWebhook(ctx context.Context, orgID, id string, fn func(*Webhook) (*Webhook, error)) (*Webhook, error)
	DeleteWebhook(ctx context.Context, orgID, id string) error
	// RotateWebhookSecret gives the subscription a new secret and keeps
	// the old one signing until now+SecretOverlap.
	RotateWebhookSecret(ctx context.Context, orgID, id string) (*Webhook, error)
	ListDeliveries(ctx context.Context, orgID string, f DeliveryFilter) ([]*Delivery, int, error)
	// FindDelivery returns the delivery with its payload and every attempt.
	FindDelivery(ctx context.Context, orgID, id string) (*Delivery, error)
}

// WebhookColumns are the stored columns of a subscription, in the order of
// ColumnValues and WebhookScan.Dest: the key (id, organization_id), then
// WebhookValueColumns.
const WebhookColumns = "id, organization_id, " + WebhookValueColumns

// WebhookValueColumns are the subscription's columns after its key.
const WebhookValueColumns = "url, events, active, description, secret, " +
	"previous_secret, previous_secret_expires_at, created_at, updated_at"

// ColumnValues returns w's stored columns in WebhookColumns order.
func (w *Webhook) ColumnValues(c *ColumnCodec) []any {
	events := w.Events
	if events == nil {
		events = []string{} // NOT NULL
	}
	var prev any // nil is NULL
	if w.PreviousSecret != "" {
		prev = w.PreviousSecret
	}
	return []any{w.ID, w.OrganizationID, w.URL, c.List(events), w.Active, w.Description, w.Secret,
		prev, c.optTime(w.PreviousSecretExpiresAt), c.Time(w.CreatedAt), c.Time(w.UpdatedAt)}
}

// WebhookScan reads one stored subscription.
type WebhookScan struct {
	w    Webhook
	prev nullText
}

// Dest returns the scan destinations of WebhookColumns, in order.
func (s *WebhookScan) Dest(c *ColumnCodec) []any {
	w := &s.w
	return []any{&w.ID, &w.OrganizationID, &w.URL, c.ListDest(&w.Events), &w.Active, &w.Description, &w.Secret,
		&s.prev, c.OptTimeDest(&w.PreviousSecretExpiresAt), c.TimeDest(&w.CreatedAt), c.TimeDest(&w.UpdatedAt)}
}

// Webhook returns the subscription scanned.
func (s *WebhookScan) Webhook() *Webhook {
	w := s.w
	w.PreviousSecret = string(s.prev.b)
	return &w
}
