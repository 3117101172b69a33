package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-voice/switchboard"
)

const webhookColumns = `id, organization_id, url, events, active, description, secret,
	previous_secret, previous_secret_expires_at, created_at, updated_at`

const findWebhookSQL = `SELECT ` + webhookColumns + ` FROM webhooks WHERE organization_id = $1 AND id = $2`

func webhookNotFound(id string) error {
	return switchboard.Errorf(switchboard.ECodeWebhookNotFound, "Webhook %s not found.", id)
}

func deliveryNotFound(id string) error {
	return switchboard.Errorf(switchboard.ECodeDeliveryNotFound, "Webhook delivery %s not found.", id)
}

// CreateWebhook stores the subscription w for the organisation, setting its
// ID, OrganizationID, CreatedAt and UpdatedAt. w must already be valid and
// carry its secret (switchboard.NewWebhook).
func (db *Driver) CreateWebhook(ctx context.Context, orgID string, w *switchboard.Webhook) error {
	w.ID = switchboard.NewID(switchboard.PrefixWebhook)
	w.OrganizationID = orgID
	w.CreatedAt = db.now()
	w.UpdatedAt = w.CreatedAt
	_, err := db.pool.Exec(ctx, `INSERT INTO webhooks (`+webhookColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, append([]any{w.ID, w.OrganizationID}, webhookValues(w)...)...)
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	return nil
}

// FindWebhook returns the organisation's subscription, or WEBHOOK_NOT_FOUND.
func (db *Driver) FindWebhook(ctx context.Context, orgID, id string) (*switchboard.Webhook, error) {
	w, err := findWebhook(ctx, db.pool, orgID, id, "")
	if err != nil {
		return nil, fmt.Errorf("find webhook %s: %w", id, err)
	}
	return w, nil
}

// findWebhook reads the organisation's subscription; lock is "" or a
// locking clause.
func findWebhook(ctx context.Context, q querier, orgID, id, lock string) (*switchboard.Webhook, error) {
	if !switchboard.ValidID(switchboard.PrefixWebhook, id) {
		return nil, webhookNotFound(id)
	}
	w, err := scanWebhook(q.QueryRow(ctx, findWebhookSQL+` `+lock, orgID, id))
	if isNoRows(err) {
		return nil, webhookNotFound(id)
	}
	return w, err
}

// ListWebhooks returns one page of the organisation's subscriptions, newest
// first, and their total.
func (db *Driver) ListWebhooks(ctx context.Context, orgID string, p switchboard.Page) ([]*switchboard.Webhook, int, error) {
	var w where
	w.eq("organization_id", orgID)
	out, total, err := list(ctx, db.pool, webhookColumns, "webhooks", w, `created_at DESC, id COLLATE "C" DESC`, p, scanWebhook)
	if err != nil {
		return nil, 0, fmt.Errorf("list webhooks: %w", err)
	}
	return out, total, nil
}

// UpdateWebhook reads the subscription, calls fn with it and stores what fn
// returns, in one transaction that holds the subscription's row lock. The
// store owns the ID, organisation, CreatedAt and the secrets (only
// RotateWebhookSecret changes them): they are kept whatever fn returns.
// UpdatedAt is set from the clock. fn must not call the store, and may be
// called again if PostgreSQL aborts the transaction to break a deadlock.
func (db *Driver) UpdateWebhook(ctx context.Context, orgID, id string, fn func(*switchboard.Webhook) (*switchboard.Webhook, error)) (*switchboard.Webhook, error) {
	if !switchboard.ValidID(switchboard.PrefixWebhook, id) {
		return nil, webhookNotFound(id)
	}
	var out *switchboard.Webhook
	err := db.write(ctx, func(tx *txn) error {
		cur, err := findWebhook(ctx, tx, orgID, id, "FOR NO KEY UPDATE")
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
		n.UpdatedAt = db.now()
		if err := storeWebhook(ctx, tx, &n); err != nil {
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
func (db *Driver) RotateWebhookSecret(ctx context.Context, orgID, id string) (*switchboard.Webhook, error) {
	if !switchboard.ValidID(switchboard.PrefixWebhook, id) {
		return nil, webhookNotFound(id)
	}
	var out *switchboard.Webhook
	err := db.write(ctx, func(tx *txn) error {
		w, err := findWebhook(ctx, tx, orgID, id, "FOR NO KEY UPDATE")
		if err != nil {
			return err
		}
		now := db.now()
		expires := now.Add(switchboard.SecretOverlap)
		w.PreviousSecret, w.PreviousSecretExpiresAt = w.Secret, &expires
		w.Secret = switchboard.NewSigningSecret()
		w.UpdatedAt = now
		if err := storeWebhook(ctx, tx, w); err != nil {
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

// storeWebhook writes every column of an existing subscription.
func storeWebhook(ctx context.Context, q querier, w *switchboard.Webhook) error {
	_, err := q.Exec(ctx, `UPDATE webhooks SET url = $1, events = $2, active = $3, description = $4,
		secret = $5, previous_secret = $6, previous_secret_expires_at = $7, created_at = $8, updated_at = $9
		WHERE organization_id = $10 AND id = $11`, append(webhookValues(w), w.OrganizationID, w.ID)...)
	return err
}

// DeleteWebhook deletes the subscription. Its deliveries stay, still
// listed under its ID; pending ones are left for the delivery worker,
// which drops a delivery whose subscription is gone instead of sending it.
func (db *Driver) DeleteWebhook(ctx context.Context, orgID, id string) error {
	if !switchboard.ValidID(switchboard.PrefixWebhook, id) {
		return webhookNotFound(id)
	}
	tag, err := db.pool.Exec(ctx, `DELETE FROM webhooks WHERE organization_id = $1 AND id = $2`, orgID, id)
	if err != nil {
		return fmt.Errorf("delete webhook %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete webhook %s: %w", id, webhookNotFound(id))
	}
	return nil
}

// webhookValues returns the columns of w after id and organization_id, in
// webhookColumns order.
func webhookValues(w *switchboard.Webhook) []any {
	events := w.Events
	if events == nil {
		events = []string{} // NOT NULL
	}
	var prev, prevExpires any // nil is NULL
	if w.PreviousSecret != "" {
		prev = w.PreviousSecret
	}
	if w.PreviousSecretExpiresAt != nil {
		prevExpires = ts(*w.PreviousSecretExpiresAt)
	}
	return []any{w.URL, events, w.Active, w.Description, w.Secret, prev, prevExpires,
		ts(w.CreatedAt), ts(w.UpdatedAt)}
}

// scanWebhook scans webhookColumns, then extra.
func scanWebhook(s scanner, extra ...any) (*switchboard.Webhook, error) {
	var w switchboard.Webhook
	var prev *string
	dest := append([]any{&w.ID, &w.OrganizationID, &w.URL, &w.Events, &w.Active, &w.Description, &w.Secret,
		&prev, &w.PreviousSecretExpiresAt, &w.CreatedAt, &w.UpdatedAt}, extra...)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	w.PreviousSecret = deref(prev)
	return &w, nil
}
