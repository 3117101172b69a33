package switchboard

import (
	"context"
	"errors"
	"fmt"
	"time"
)

func deliveryNotFound(id string) error {
	return Errorf(ECodeDeliveryNotFound, "Webhook delivery %s not found.", id)
}

// CreateWebhook stores the subscription w for the organisation, setting its
// ID, OrganizationID, CreatedAt and UpdatedAt. w must already be valid and
// carry its secret (NewWebhook).
func (s *Service) CreateWebhook(ctx context.Context, orgID string, w *Webhook) error {
	w.ID = NewID(PrefixWebhook)
	w.OrganizationID = orgID
	w.CreatedAt = s.now()
	w.UpdatedAt = w.CreatedAt
	if err := s.d.Write(ctx, func(tx Tx) error { return tx.InsertWebhook(ctx, w) }); err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	return nil
}

// FindWebhook returns the organisation's subscription, or WEBHOOK_NOT_FOUND.
// The delivery worker reads it before every attempt: one primary-key lookup.
func (s *Service) FindWebhook(ctx context.Context, orgID, id string) (*Webhook, error) {
	return lookup("find webhook", PrefixWebhook, id, webhookNotFound,
		func() (*Webhook, error) { return s.d.Webhook(ctx, orgID, id) })
}

// ListWebhooks returns one page of the organisation's subscriptions, newest
// first, and their total.
func (s *Service) ListWebhooks(ctx context.Context, orgID string, p Page) ([]*Webhook, int, error) {
	list, total, err := s.d.ListWebhooks(ctx, orgID, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list webhooks: %w", err)
	}
	return list, total, nil
}

// lockWebhook reads the organisation's subscription in tx, locked for an
// update, or WEBHOOK_NOT_FOUND.
func lockWebhook(ctx context.Context, tx Tx, orgID, id string) (*Webhook, error) {
	w, err := tx.LockWebhook(ctx, orgID, id, LockUpdate)
	if errors.Is(err, ErrNoRows) {
		return nil, webhookNotFound(id)
	}
	return w, err
}

// UpdateWebhook reads the subscription, calls fn with it and stores what fn
// returns, in one transaction that holds the subscription's row lock. The
// store owns the ID, organisation, CreatedAt and the secrets (only
// RotateWebhookSecret changes them): they are kept whatever fn returns.
// UpdatedAt is set from the clock. fn must not call the store, and may be
// called again if the driver reruns the transaction.
func (s *Service) UpdateWebhook(ctx context.Context, orgID, id string, fn func(*Webhook) (*Webhook, error)) (*Webhook, error) {
	if !ValidID(PrefixWebhook, id) {
		return nil, webhookNotFound(id)
	}
	var out *Webhook
	err := s.d.Write(ctx, func(tx Tx) error {
		cur, err := lockWebhook(ctx, tx, orgID, id)
		if err != nil {
			return err
		}
		next, err := fn(cur)
		if err != nil {
			return err
		}
		if next == nil {
			return errors.New("update function returned no webhook")
		}
		n := *next
		n.ID, n.OrganizationID, n.CreatedAt = cur.ID, cur.OrganizationID, cur.CreatedAt
		n.Secret, n.PreviousSecret, n.PreviousSecretExpiresAt = cur.Secret, cur.PreviousSecret, cur.PreviousSecretExpiresAt
		n.UpdatedAt = s.now()
		if err := tx.UpdateWebhook(ctx, &n); err != nil {
			return err
		}
		out = &n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update webhook %s: %w", id, err)
	}
	return out, nil
}

// RotateWebhookSecret gives the subscription a new secret; the old one
// keeps signing beside it until now+SecretOverlap. A second rotation within
// the overlap ends the first one's: only the latest previous secret is kept.
func (s *Service) RotateWebhookSecret(ctx context.Context, orgID, id string) (*Webhook, error) {
	if !ValidID(PrefixWebhook, id) {
		return nil, webhookNotFound(id)
	}
	var out *Webhook
	err := s.d.Write(ctx, func(tx Tx) error {
		w, err := lockWebhook(ctx, tx, orgID, id)
		if err != nil {
			return err
		}
		now := s.now()
		expires := now.Add(SecretOverlap)
		w.PreviousSecret, w.PreviousSecretExpiresAt = w.Secret, &expires
		w.Secret = NewSigningSecret()
		w.UpdatedAt = now
		if err := tx.UpdateWebhook(ctx, w); err != nil {
			return err
		}
		out = w
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rotate webhook secret %s: %w", id, err)
	}
	return out, nil
}

// DeleteWebhook deletes the subscription. Its deliveries stay, still
// listed under its ID; pending ones are left for the delivery worker,
// which drops a delivery whose subscription is gone instead of sending it.
func (s *Service) DeleteWebhook(ctx context.Context, orgID, id string) error {
	if !ValidID(PrefixWebhook, id) {
		return webhookNotFound(id)
	}
	err := s.d.Write(ctx, func(tx Tx) error {
		deleted, err := tx.DeleteWebhook(ctx, orgID, id)
		if err == nil && !deleted {
			err = webhookNotFound(id)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete webhook %s: %w", id, err)
	}
	return nil
}

// ListDeliveries returns one page of the organisation's deliveries, newest
// first, and the total that match the filter, without payloads or
// attempts. The filters match exactly: WebhookID (also a deleted
// subscription's), Status, and Event, a canonical event type.
func (s *Service) ListDeliveries(ctx context.Context, orgID string, f DeliveryFilter) ([]*Delivery, int, error) {
	for _, v := range []string{f.WebhookID, f.Status, f.Event} {
		if !storable(v) {
			return nil, 0, nil // matches nothing
		}
	}
	list, total, err := s.d.ListDeliveries(ctx, orgID, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list deliveries: %w", err)
	}
	return list, total, nil
}

// FindDelivery returns the organisation's delivery with its payload, the
// event envelope exactly as it is sent, and its attempts in order; or
// DELIVERY_NOT_FOUND.
func (s *Service) FindDelivery(ctx context.Context, orgID, id string) (*Delivery, error) {
	return lookup("find delivery", PrefixDelivery, id, deliveryNotFound,
		func() (*Delivery, error) { return s.d.Delivery(ctx, orgID, id) })
}

// RetryDelivery queues a failed or delivered delivery for one more attempt
// now, and returns it as FindDelivery does; DELIVERY_NOT_FOUND unless the
// organisation's, CONFLICT while it is still pending. The previous
// delivery time is cleared: the delivery is pending again.
func (s *Service) RetryDelivery(ctx context.Context, orgID, id string) (*Delivery, error) {
	if !ValidID(PrefixDelivery, id) {
		return nil, deliveryNotFound(id)
	}
	var d *Delivery
	err := s.d.Write(ctx, func(tx Tx) error {
		// The CONFLICT while pending is the UPDATE's own condition, so a
		// worker finishing the delivery meanwhile cannot slip between.
		requeued, err := tx.RequeueDelivery(ctx, orgID, id, s.now())
		if err != nil {
			return err
		}
		d, err = tx.Delivery(ctx, orgID, id)
		if errors.Is(err, ErrNoRows) {
			return deliveryNotFound(id) // not the organisation's
		}
		if err != nil {
			return err
		}
		if !requeued {
			return Errorf(ECodeConflict,
				"Webhook delivery %s is still pending: it will be attempted again without a retry.", id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("retry delivery %s: %w", id, err)
	}
	return d, nil
}

// ReplayDeliveries queues one more attempt, now, of every failed delivery
// of the organisation's subscription webhookID created at or after since,
// and returns how many; WEBHOOK_NOT_FOUND unless the subscription is the
// organisation's (a deleted one's deliveries cannot be replayed).
func (s *Service) ReplayDeliveries(ctx context.Context, orgID, webhookID string, since time.Time) (int, error) {
	if !ValidID(PrefixWebhook, webhookID) {
		return 0, webhookNotFound(webhookID)
	}
	var n int
	err := s.d.Write(ctx, func(tx Tx) error {
		err := tx.ShareWebhook(ctx, orgID, webhookID)
		if errors.Is(err, ErrNoRows) {
			return webhookNotFound(webhookID)
		}
		if err != nil {
			return err
		}
		n, err = tx.RequeueFailedDeliveries(ctx, orgID, webhookID, since, s.now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("replay deliveries of %s: %w", webhookID, err)
	}
	return n, nil
}
