package sqlite

import (
	"context"

	"github.com/switchboard-voice/switchboard"
)

// rowSQL is this store's SQL for the rows switchboard.RowReader and
// RowWriter read and write, built from the column lists the root package
// declares, so a new endpoint field needs no change here. The single
// writer needs no row locks: every Lock reads the same.
var rowSQL = switchboard.RowSQL{
	Codec:  &codec,
	NoRows: noRows,

	FindEndpoint:    sameForEachLock(`SELECT ` + switchboard.EndpointColumns + ` FROM endpoints WHERE organization_id = ? AND id = ?`),
	FindPhoneNumber: sameForEachLock(phoneNumberSelect + ` WHERE p.organization_id = ? AND p.id = ?`),
	FindWebhook:     sameForEachLock(`SELECT ` + switchboard.WebhookColumns + ` FROM webhooks WHERE organization_id = ? AND id = ?`),
	ShareEndpoint:   `SELECT 1 FROM endpoints WHERE organization_id = ? AND id = ?`,
	ShareWebhook:    `SELECT 1 FROM webhooks WHERE organization_id = ? AND id = ?`,
	InsertEndpoint:  insertSQL("endpoints", switchboard.EndpointColumns),
	UpdateEndpoint:  updateSQL("endpoints", switchboard.EndpointValueColumns),
	InsertWebhook:   insertSQL("webhooks", switchboard.WebhookColumns),
	UpdateWebhook:   updateSQL("webhooks", switchboard.WebhookValueColumns),
	DeleteEndpoint:  `DELETE FROM endpoints WHERE organization_id = ? AND id = ?`,
	DeleteWebhook:   `DELETE FROM webhooks WHERE organization_id = ? AND id = ?`,
	FindTrunk:       sameForEachLock(`SELECT ` + switchboard.TrunkColumns + ` FROM trunks WHERE organization_id = ? AND id = ?`),
	ShareTrunk:      `SELECT 1 FROM trunks WHERE organization_id = ? AND id = ?`,
	InsertTrunk:     insertSQL("trunks", switchboard.TrunkColumns),
	UpdateTrunk:     updateSQL("trunks", switchboard.TrunkValueColumns),
	DeleteTrunk:     `DELETE FROM trunks WHERE organization_id = ? AND id = ?`,
	SetSIPCredentials: `UPDATE phone_numbers SET sip_username = ?, sip_ha1_md5 = ?, sip_ha1_sha256 = ?, updated_at = ?
		WHERE organization_id = ? AND id = ?`,

	InventoryIDs: `SELECT id FROM inventory_numbers WHERE `,
	Where: func(cs []switchboard.Cond) (string, []any) {
		var w where
		w.eqs(cs)
		return w.String(), w.args
	},
}

// sameForEachLock returns query for every switchboard.Lock.
func sameForEachLock(query string) [switchboard.LockDelete + 1]string {
	return [...]string{query, query, query}
}

// Row reads through a statement prepared once on the reader pool
// (queryRow): the endpoint and subscription lookups run on every call,
// most API requests and before every delivery attempt.
func (db *Driver) Row(ctx context.Context, query, orgID, id string) switchboard.Scanner {
	return db.queryRow(ctx, query, orgID, id)
}

// Row runs a lookup by key in the transaction.
func (tx *txn) Row(ctx context.Context, query, orgID, id string) switchboard.Scanner {
	return tx.QueryRowContext(ctx, query, orgID, id)
}

// Select runs a query in the transaction.
func (tx *txn) Select(ctx context.Context, query string, args ...any) switchboard.Scanner {
	return tx.QueryRowContext(ctx, query, args...)
}

// Change runs a statement in the transaction.
func (tx *txn) Change(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
