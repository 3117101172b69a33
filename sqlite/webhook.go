package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// The subscription SQL, built from the column list the root package
// declares.
var (
	findWebhookSQL   = `SELECT ` + switchboard.WebhookColumns + ` FROM webhooks WHERE organization_id = ? AND id = ?`
	insertWebhookSQL = insertSQL("webhooks", switchboard.WebhookColumns)
	updateWebhookSQL = updateSQL("webhooks", switchboard.WebhookValueColumns)
)

// Webhook reads the organisation's subscription through a statement
// prepared once on the reader pool: the delivery worker reads it before
// every attempt.
func (db *Driver) Webhook(ctx context.Context, orgID, id string) (*switchboard.Webhook, error) {
	w, err := scanWebhook(db.queryRow(ctx, findWebhookSQL, orgID, id))
	return w, noRows(err)
}

// Webhook reads the organisation's subscription in the transaction.
func (tx *txn) Webhook(ctx context.Context, orgID, id string) (*switchboard.Webhook, error) {
	w, err := scanWebhook(tx.QueryRowContext(ctx, findWebhookSQL, orgID, id))
	return w, noRows(err)
}

// LockWebhook is Webhook: the single writer needs no row lock.
func (tx *txn) LockWebhook(ctx context.Context, orgID, id string, _ switchboard.Lock) (*switchboard.Webhook, error) {
	return tx.Webhook(ctx, orgID, id)
}

// ShareWebhook checks that the organisation has the subscription.
func (tx *txn) ShareWebhook(ctx context.Context, orgID, id string) error {
	var one int
	return noRows(tx.QueryRowContext(ctx, `SELECT 1 FROM webhooks WHERE organization_id = ? AND id = ?`, orgID, id).Scan(&one))
}

// ListWebhooks returns one page of the organisation's subscriptions, newest
// first, and their total.
func (db *Driver) ListWebhooks(ctx context.Context, orgID string, p switchboard.Page) ([]*switchboard.Webhook, int, error) {
	return listPage(ctx, db, `SELECT COUNT(*) FROM webhooks WHERE organization_id = ?`,
		`SELECT `+switchboard.WebhookColumns+` FROM webhooks WHERE organization_id = ? ORDER BY created_at DESC, id DESC`,
		[]any{orgID}, p, scanWebhook)
}

// InsertWebhook stores a new subscription.
func (tx *txn) InsertWebhook(ctx context.Context, w *switchboard.Webhook) error {
	_, err := tx.ExecContext(ctx, insertWebhookSQL, w.ColumnValues(&codec)...)
	return err
}

// UpdateWebhook writes every column of an existing subscription.
func (tx *txn) UpdateWebhook(ctx context.Context, w *switchboard.Webhook) error {
	_, err := tx.ExecContext(ctx, updateWebhookSQL, append(w.ColumnValues(&codec)[2:], w.OrganizationID, w.ID)...)
	return err
}

// DeleteWebhook deletes the organisation's subscription.
func (tx *txn) DeleteWebhook(ctx context.Context, orgID, id string) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE organization_id = ? AND id = ?`, orgID, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func scanWebhook(s scanner) (*switchboard.Webhook, error) {
	var ws switchboard.WebhookScan
	if err := s.Scan(ws.Dest(&codec)...); err != nil {
		return nil, err
	}
	return ws.Webhook(), nil
}

// timeOrNil reads a nullable time column.
func timeOrNil(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := fromMicros(us.Int64)
	return &t
}
