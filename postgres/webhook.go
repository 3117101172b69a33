package postgres

import (
	"context"

	"github.com/switchboard-voice/switchboard"
)

// ListWebhooks returns one page of the organisation's subscriptions, newest
// first, and their total.
func (db *Driver) ListWebhooks(ctx context.Context, orgID string, p switchboard.Page) ([]*switchboard.Webhook, int, error) {
	var w where
	w.eq("organization_id", orgID)
	return list(ctx, db.pool, switchboard.WebhookColumns, "webhooks", w, `created_at DESC, id COLLATE "C" DESC`, p, scanWebhook)
}

// scanWebhook scans switchboard.WebhookColumns, then extra.
var scanWebhook = codec.ScanWebhook
