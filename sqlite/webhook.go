package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// ListWebhooks returns one page of the organisation's subscriptions, newest
// first, and their total.
func (db *Driver) ListWebhooks(ctx context.Context, orgID string, p switchboard.Page) ([]*switchboard.Webhook, int, error) {
	return listPage(ctx, db, `SELECT COUNT(*) FROM webhooks WHERE organization_id = ?`,
		`SELECT `+switchboard.WebhookColumns+` FROM webhooks WHERE organization_id = ? ORDER BY created_at DESC, id DESC`,
		[]any{orgID}, p, scanWebhook)
}

func scanWebhook(s scanner) (*switchboard.Webhook, error) { return codec.ScanWebhook(s) }

// timeOrNil reads a nullable time column.
func timeOrNil(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := fromMicros(us.Int64)
	return &t
}
