package postgres

import (
	"context"

	"github.com/switchboard-voice/switchboard"
)

// The subscription SQL, built from the column list the root package
// declares.
var (
	findWebhookSQL   = `SELECT ` + switchboard.WebhookColumns + ` FROM webhooks WHERE organization_id = $1 AND id = $2`
	insertWebhookSQL = insertSQL("webhooks", switchboard.WebhookColumns)
	updateWebhookSQL = updateSQL("webhooks", switchboard.WebhookValueColumns)
)

// Webhook reads the organisation's subscription on the pool.
func (db *Driver) Webhook(ctx context.Context, orgID, id string) (*switchboard.Webhook, error) {
	w, err := scanWebhook(db.pool.QueryRow(ctx, findWebhookSQL, orgID, id))
	return w, noRows(err)
}

// Webhook reads the organisation's subscription in the transaction.
func (t *txn) Webhook(ctx context.Context, orgID, id string) (*switchboard.Webhook, error) {
	return t.LockWebhook(ctx, orgID, id, switchboard.LockNone)
}

// LockWebhook reads the subscription with its row lock.
func (t *txn) LockWebhook(ctx context.Context, orgID, id string, lock switchboard.Lock) (*switchboard.Webhook, error) {
	w, err := scanWebhook(t.QueryRow(ctx, findWebhookSQL+lockClause[lock], orgID, id))
	return w, noRows(err)
}

// ShareWebhook takes a key-share lock on the subscription, which keeps it
// from being deleted until the transaction ends.
func (t *txn) ShareWebhook(ctx context.Context, orgID, id string) error {
	var one int
	return noRows(t.QueryRow(ctx, `SELECT 1 FROM webhooks WHERE organization_id = $1 AND id = $2 FOR KEY SHARE`,
		orgID, id).Scan(&one))
}

// ListWebhooks returns one page of the organisation's subscriptions, newest
// first, and their total.
func (db *Driver) ListWebhooks(ctx context.Context, orgID string, p switchboard.Page) ([]*switchboard.Webhook, int, error) {
	var w where
	w.eq("organization_id", orgID)
	return list(ctx, db.pool, switchboard.WebhookColumns, "webhooks", w, `created_at DESC, id COLLATE "C" DESC`, p, scanWebhook)
}

// InsertWebhook stores a new subscription.
func (t *txn) InsertWebhook(ctx context.Context, w *switchboard.Webhook) error {
	_, err := t.Exec(ctx, insertWebhookSQL, w.ColumnValues(&codec)...)
	return err
}

// UpdateWebhook writes every column of an existing subscription.
func (t *txn) UpdateWebhook(ctx context.Context, w *switchboard.Webhook) error {
	_, err := t.Exec(ctx, updateWebhookSQL, append(w.ColumnValues(&codec)[2:], w.OrganizationID, w.ID)...)
	return err
}

// DeleteWebhook deletes the organisation's subscription.
func (t *txn) DeleteWebhook(ctx context.Context, orgID, id string) (bool, error) {
	tag, err := t.Exec(ctx, `DELETE FROM webhooks WHERE organization_id = $1 AND id = $2`, orgID, id)
	return err == nil && tag.RowsAffected() > 0, err
}

// scanWebhook scans switchboard.WebhookColumns, then extra.
func scanWebhook(s scanner, extra ...any) (*switchboard.Webhook, error) {
	var ws switchboard.WebhookScan
	if err := s.Scan(append(ws.Dest(&codec), extra...)...); err != nil {
		return nil, err
	}
	return ws.Webhook(), nil
}
