package switchboard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Service is the Store every adapter uses: the rules of each change
// (validate, mutate, which events, who receives them) written once, over a
// Driver that only runs SQL. It is safe for concurrent use.
type Service struct {
	d     Driver
	clock Clock

	states sync.Pool // of *callStates, the stored states of a SaveCalls batch
}

var _ Store = (*Service)(nil)

// NewService returns the Store over d, reading time from clock
// (SystemClock when nil).
func NewService(d Driver, clock Clock) *Service {
	if clock == nil {
		clock = SystemClock
	}
	s := &Service{d: d, clock: clock}
	s.states.New = func() any { return new(callStates) }
	return s
}

// now returns the clock's time as it reads back from either store: UTC,
// truncated to the microseconds the columns keep.
func (s *Service) now() time.Time { return s.clock().UTC().Truncate(time.Microsecond) }

// change is one organisation's change inside a write transaction: the
// transaction and the outbox its events go to.
type change struct {
	Tx
	out *outbox
}

// emit records an event of the change (outbox.emit).
func (c *change) emit(ctx context.Context, typ string, data any) error {
	_, err := c.out.emit(ctx, typ, data, EmitOptions{})
	return err
}

// write runs fn as the organisation's change in one write transaction and
// writes its events before the commit, stamped with the time fn gives the
// change (at). A driver may rerun fn, which then starts from a new change:
// nothing of a failed try survives outside the transaction.
func (s *Service) write(ctx context.Context, orgID string, fn func(c *change) error) error {
	return s.d.Write(ctx, func(tx Tx) error {
		c := &change{Tx: tx}
		c.out = newOutbox(tx, orgID, time.Time{})
		if err := fn(c); err != nil {
			return err
		}
		return c.out.flush(ctx)
	})
}

// at sets the time the change's events are stamped with.
func (c *change) at(t time.Time) { c.out.batch.At = t }

// stamp returns the clock a driver reads once it holds the rows it is
// about to change (DetachEndpoint, DetachTrunk): each read stamps the
// change with the time it returns.
func (s *Service) stamp(c *change) func() time.Time {
	return func() time.Time {
		c.at(s.now())
		return c.out.batch.At
	}
}

// emitAll emits an event of type typ for each of list.
func emitAll[T any](ctx context.Context, c *change, typ string, list []T) error {
	for _, v := range list {
		if err := c.emit(ctx, typ, v); err != nil {
			return err
		}
	}
	return nil
}

// numbersUpdated emits phone_number.updated for each of the
// organisation's numbers ids, which the change detached from something.
func (c *change) numbersUpdated(ctx context.Context, orgID string, ids []string) error {
	nums, err := c.PhoneNumbers(ctx, orgID, ids)
	if err != nil {
		return err
	}
	return emitAll(ctx, c, EventPhoneNumberUpdated, nums)
}

// detachAndDelete is the rest of a change that deletes a row numbers point
// at (an endpoint, a trunk), once it holds the row's lock: it detaches the
// numbers, deletes the row, emits typ with data (the row as it was) and
// phone_number.updated for each detached number, and returns how many it
// detached. It detaches before deleting: ON DELETE SET NULL would do it
// silently, without bumping the numbers' updated_at or telling us which.
func (s *Service) detachAndDelete(ctx context.Context, c *change, orgID, id string,
	detach func(ctx context.Context, orgID, id string, now func() time.Time) ([]string, error),
	del func(ctx context.Context, orgID, id string) error,
	typ string, data any) (int, error) {
	numIDs, err := detach(ctx, orgID, id, s.stamp(c))
	if err != nil {
		return 0, err
	}
	if err := del(ctx, orgID, id); err != nil {
		return 0, err
	}
	if err := c.NotifyRoutingChanged(ctx, orgID); err != nil {
		return 0, err
	}
	if err := c.emit(ctx, typ, data); err != nil {
		return 0, err
	}
	if err := c.numbersUpdated(ctx, orgID, numIDs); err != nil {
		return 0, err
	}
	return len(numIDs), nil
}

// lookup reads one object by ID: an ID of the wrong kind is notFound
// without a query (a mistyped ID is a 404, never a 500), and so is a
// missing row; any other error is wrapped with what and the ID.
func lookup[T any](what, prefix, id string, notFound func(string) error, get func() (T, error)) (T, error) {
	var zero T
	if !ValidID(prefix, id) {
		return zero, notFound(id)
	}
	v, err := get()
	switch {
	case errors.Is(err, ErrNoRows):
		return zero, notFound(id)
	case err != nil:
		return zero, fmt.Errorf("%s %s: %w", what, id, err)
	}
	return v, nil
}

// EmitEvent records an event that no change causes (call events,
// webhook.test): the event and its deliveries, in one transaction. typ must
// be in EventTypes, or webhook.test with opts.WebhookID.
func (s *Service) EmitEvent(ctx context.Context, orgID, typ string, data any, opts EmitOptions) (*Event, error) {
	switch {
	case typ == EventWebhookTest && opts.WebhookID == "":
		return nil, errors.New("emit event: webhook.test goes to one subscription: set EmitOptions.WebhookID")
	case typ != EventWebhookTest && !slices.Contains(EventTypes, typ):
		return nil, fmt.Errorf("emit event: unknown event type %q", typ)
	case opts.WebhookID != "" && !ValidID(PrefixWebhook, opts.WebhookID):
		return nil, webhookNotFound(opts.WebhookID) // without taking the write lock
	}
	var ev *Event
	err := s.write(ctx, orgID, func(c *change) error {
		c.at(s.now())
		var err error
		ev, err = c.out.emit(ctx, typ, data, opts)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("emit event %s: %w", typ, err)
	}
	return ev, nil
}

// ClaimDeliveries leases up to limit due deliveries to owner (the driver's
// one claim statement).
func (s *Service) ClaimDeliveries(ctx context.Context, owner string, limit int, lease time.Duration) ([]*DeliveryJob, error) {
	return s.d.ClaimDeliveries(ctx, owner, limit, lease)
}

// FinishDeliveries records the attempts of owner's leases, once each
// result is known to say what becomes of its delivery.
func (s *Service) FinishDeliveries(ctx context.Context, owner string, results []DeliveryResult) error {
	for _, r := range results {
		switch {
		case r.Status != DeliveryPending && r.Status != DeliveryDelivered && r.Status != DeliveryFailed:
			return fmt.Errorf("finish deliveries: %s: unknown status %q", r.ID, r.Status)
		case r.Status == DeliveryPending && r.NextAttemptAt.IsZero():
			return fmt.Errorf("finish deliveries: %s: pending without a next attempt time", r.ID)
		}
	}
	return s.d.FinishDeliveries(ctx, owner, results)
}

// CountPendingDeliveries is the queue depth.
func (s *Service) CountPendingDeliveries(ctx context.Context) (int, error) {
	return s.d.CountPendingDeliveries(ctx)
}

// SubscribeChanges calls fn after each committed routing change (ChangeFeed).
func (s *Service) SubscribeChanges(ctx context.Context, fn func(orgID string)) error {
	return s.d.SubscribeChanges(ctx, fn)
}

// Ping reports whether the database answers.
func (s *Service) Ping(ctx context.Context) error { return s.d.Ping(ctx) }

// Close closes the driver.
func (s *Service) Close() error { return s.d.Close() }
