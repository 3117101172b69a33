package switchboard

import (
	"context"
	"fmt"
	"time"
)

// DeliveryJob is a delivery claimed by a worker: everything needed to make
// one attempt without another database read.
type DeliveryJob struct {
	ID             string
	OrganizationID string
	WebhookID      *string
	EndpointID     *string
	EventID        string
	URL            string
	// AttemptCount is how many attempts were made before this one.
	AttemptCount int
	// MaxAttempts, when not 0, caps the attempts below the retry schedule's
	// length: a manual retry or replay sets it to allow exactly one more.
	MaxAttempts int
	// Payload is the event envelope exactly as it is signed and sent.
	Payload []byte
	// Secrets sign the attempt: the receiver's current secret first, then a
	// rotated-out secret while its overlap lasts.
	Secrets []string
	// Gone is set when the receiver was deleted or deactivated since the
	// delivery was queued; the worker records it as failed without a POST.
	Gone bool
}

// DeliveryResult is the outcome of one attempt, recorded by FinishDeliveries.
type DeliveryResult struct {
	ID      string
	Attempt DeliveryAttempt
	// Status is pending (retry at NextAttemptAt), delivered or failed.
	Status        string
	NextAttemptAt time.Time
	// DeactivateWebhook turns the subscription off (the receiver said 410 Gone).
	DeactivateWebhook bool
}

// DeliveryQueue is the durable outbox the delivery workers drain. Pending
// deliveries are written with their event (EventService); workers lease
// them, POST, and record the outcome. A lease that is not finished in
// time (the worker crashed) lapses and the delivery is claimed again, so
// delivery is at least once; two workers never hold the same lease.
type DeliveryQueue interface {
	// ClaimDeliveries leases up to limit due deliveries to owner for lease.
	ClaimDeliveries(ctx context.Context, owner string, limit int, lease time.Duration) ([]*DeliveryJob, error)
	// FinishDeliveries records attempts in one transaction. Results for
	// deliveries whose lease owner has changed are ignored: the new
	// owner's outcome wins.
	FinishDeliveries(ctx context.Context, owner string, results []DeliveryResult) error
	// RetryDelivery queues a failed or delivered delivery for one more
	// attempt now (DELIVERY_NOT_FOUND; CONFLICT when it is still pending).
	RetryDelivery(ctx context.Context, orgID, id string) (*Delivery, error)
	// ReplayDeliveries queues one more attempt of every failed delivery of
	// the subscription created at or after since, and says how many.
	ReplayDeliveries(ctx context.Context, orgID, webhookID string, since time.Time) (int, error)
	// CountPendingDeliveries is the queue depth, for metrics.
	CountPendingDeliveries(ctx context.Context) (int, error)
}

// DeliveryColumns are the stored columns of a delivery (alias d) that a
// list shows, in the order of DeliveryScan.Dest.
const DeliveryColumns = `d.id, d.organization_id, d.webhook_id, d.endpoint_id, d.event_id, d.event, d.url,
	d.status, d.attempt_count, d.next_attempt_at, d.last_status_code, d.delivered_at, d.created_at, d.updated_at`

// DeliveryScan reads one row of DeliveryColumns.
type DeliveryScan struct {
	d        Delivery
	lastCode nullInt
}

// Dest returns the scan destinations of DeliveryColumns, in order.
func (s *DeliveryScan) Dest(c *ColumnCodec) []any {
	d := &s.d
	return []any{&d.ID, &d.OrganizationID, &d.WebhookID, &d.EndpointID, &d.EventID, &d.Event, &d.URL,
		&d.Status, &d.AttemptCount, c.OptTimeDest(&d.NextAttemptAt), &s.lastCode, c.OptTimeDest(&d.DeliveredAt),
		c.TimeDest(&d.CreatedAt), c.TimeDest(&d.UpdatedAt)}
}

// Delivery returns the delivery scanned.
func (s *DeliveryScan) Delivery() *Delivery {
	d := s.d
	if s.lastCode.valid {
		code := int(s.lastCode.n)
		d.LastStatusCode = &code
	}
	return &d
}

// nullInt scans an integer column that may be NULL (an sql.Scanner).
type nullInt struct {
	n     int64
	valid bool
}

// Scan implements sql.Scanner.
func (n *nullInt) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		n.n, n.valid = 0, false
	case int64:
		n.n, n.valid = v, true
	case int32:
		n.n, n.valid = int64(v), true
	default:
		return fmt.Errorf("cannot scan %T into an integer column", src)
	}
	return nil
}
