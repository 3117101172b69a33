package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-voice/switchboard"
)

const webhookColumns = `id, organization_id, url, events, active, description, secret,
	previous_secret, previous_secret_expires_at, created_at, updated_at`

const findWebhookSQL = `SELECT ` + webhookColumns + ` FROM webhooks WHERE organization_id = ? AND id = ?`

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
	cols, err := webhookValues(w)
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	err = db.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webhooks (`+webhookColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append([]any{w.ID, w.OrganizationID}, cols...)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	return nil
}

// FindWebhook returns the organisation's subscription, or WEBHOOK_NOT_FOUND.
// The delivery worker reads it before every attempt, so it is a prepared
// primary-key lookup on the reader pool.
func (db *Driver) FindWebhook(ctx context.Context, orgID, id string) (*switchboard.Webhook, error) {
	w, err := lookup(switchboard.PrefixWebhook, id, webhookNotFound,
		func() *sql.Row { return db.queryRow(ctx, findWebhookSQL, orgID, id) }, scanWebhook)
	if err != nil && switchboard.ErrorCode(err) == switchboard.ECodeInternal {
		return nil, fmt.Errorf("find webhook %s: %w", id, err)
	}
	return w, err
}

// findWebhook is FindWebhook inside a write transaction.
func findWebhook(ctx context.Context, q querier, orgID, id string) (*switchboard.Webhook, error) {
	return lookup(switchboard.PrefixWebhook, id, webhookNotFound,
		func() *sql.Row { return q.QueryRowContext(ctx, findWebhookSQL, orgID, id) }, scanWebhook)
}

// ListWebhooks returns one page of the organisation's subscriptions, newest
// first, and their total.
func (db *Driver) ListWebhooks(ctx context.Context, orgID string, p switchboard.Page) ([]*switchboard.Webhook, int, error) {
	list, total, err := listPage(ctx, db, `SELECT COUNT(*) FROM webhooks WHERE organization_id = ?`,
		`SELECT `+webhookColumns+` FROM webhooks WHERE organization_id = ? ORDER BY created_at DESC, id DESC`,
		[]any{orgID}, p, scanWebhook)
	if err != nil {
		return nil, 0, fmt.Errorf("list webhooks: %w", err)
	}
	return list, total, nil
}

// UpdateWebhook reads the subscription, calls fn with it and stores what fn
// returns, in one write transaction. The store owns the ID, organisation,
// CreatedAt and the secrets (only RotateWebhookSecret changes them): they
// are kept whatever fn returns. UpdatedAt is set from the clock. fn must
// not call the store.
func (db *Driver) UpdateWebhook(ctx context.Context, orgID, id string, fn func(*switchboard.Webhook) (*switchboard.Webhook, error)) (*switchboard.Webhook, error) {
	if !switchboard.ValidID(switchboard.PrefixWebhook, id) {
		return nil, webhookNotFound(id)
	}
	var out *switchboard.Webhook
	err := db.write(ctx, func(tx *txn) error {
		cur, err := findWebhook(ctx, tx, orgID, id)
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
		if err := db.storeWebhook(ctx, tx, &n); err != nil {
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
		w, err := findWebhook(ctx, tx, orgID, id)
		if err != nil {
			return err
		}
		now := db.now()
		expires := now.Add(switchboard.SecretOverlap)
		w.PreviousSecret, w.PreviousSecretExpiresAt = w.Secret, &expires
		w.Secret = switchboard.NewSigningSecret()
		w.UpdatedAt = now
		if err := db.storeWebhook(ctx, tx, w); err != nil {
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
func (db *Driver) storeWebhook(ctx context.Context, tx *txn, w *switchboard.Webhook) error {
	cols, err := webhookValues(w)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE webhooks SET url = ?, events = ?, active = ?, description = ?,
		secret = ?, previous_secret = ?, previous_secret_expires_at = ?, created_at = ?, updated_at = ?
		WHERE organization_id = ? AND id = ?`, append(cols, w.OrganizationID, w.ID)...)
	return err
}

// DeleteWebhook deletes the subscription. Its deliveries stay, still
// listed under its ID; pending ones are left for the delivery worker,
// which drops a delivery whose subscription is gone instead of sending it.
func (db *Driver) DeleteWebhook(ctx context.Context, orgID, id string) error {
	if !switchboard.ValidID(switchboard.PrefixWebhook, id) {
		return webhookNotFound(id)
	}
	err := db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE organization_id = ? AND id = ?`, orgID, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = webhookNotFound(id)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete webhook %s: %w", id, err)
	}
	return nil
}

// webhookValues returns the columns of w after id and organization_id, in
// webhookColumns order.
func webhookValues(w *switchboard.Webhook) ([]any, error) {
	events, err := json.Marshal(w.Events)
	if err != nil {
		return nil, err
	}
	var prev, prevExpires any // nil is NULL
	if w.PreviousSecret != "" {
		prev = w.PreviousSecret
	}
	if w.PreviousSecretExpiresAt != nil {
		prevExpires = micros(*w.PreviousSecretExpiresAt)
	}
	return []any{w.URL, string(events), w.Active, w.Description, w.Secret, prev, prevExpires,
		micros(w.CreatedAt), micros(w.UpdatedAt)}, nil
}

func scanWebhook(s scanner) (*switchboard.Webhook, error) {
	var w switchboard.Webhook
	var events string
	var prev sql.NullString
	var prevExpires sql.NullInt64
	var createdAt, updatedAt int64
	err := s.Scan(&w.ID, &w.OrganizationID, &w.URL, &events, &w.Active, &w.Description, &w.Secret,
		&prev, &prevExpires, &createdAt, &updatedAt)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return nil, fmt.Errorf("webhook %s: events: %w", w.ID, err)
	}
	w.PreviousSecret = prev.String
	w.PreviousSecretExpiresAt = timeOrNil(prevExpires)
	w.CreatedAt, w.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
	return &w, nil
}

// timeOrNil reads a nullable time column.
func timeOrNil(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := fromMicros(us.Int64)
	return &t
}
