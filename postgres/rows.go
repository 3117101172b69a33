package postgres

import (
	"context"

	"github.com/switchboard-voice/switchboard"
)

// rowSQL is this store's SQL for the rows switchboard.RowReader and
// RowWriter read and write, built from the column lists the root package
// declares, so a new endpoint field needs no change here.
var rowSQL = switchboard.RowSQL{
	Codec:  &codec,
	NoRows: noRows,

	FindEndpoint:    withLocks(`SELECT `+switchboard.EndpointColumns+` FROM endpoints WHERE organization_id = $1 AND id = $2`, ""),
	FindPhoneNumber: withLocks(phoneNumberSelect+` WHERE p.organization_id = $1 AND p.id = $2`, " OF p"), // the number's row alone
	FindWebhook:     withLocks(`SELECT `+switchboard.WebhookColumns+` FROM webhooks WHERE organization_id = $1 AND id = $2`, ""),
	// KEY SHARE: a concurrent delete waits for the row that will point at
	// the endpoint or subscription to be committed, and then sees it.
	ShareEndpoint:  `SELECT 1 FROM endpoints WHERE organization_id = $1 AND id = $2 FOR KEY SHARE`,
	ShareWebhook:   `SELECT 1 FROM webhooks WHERE organization_id = $1 AND id = $2 FOR KEY SHARE`,
	InsertEndpoint: insertSQL("endpoints", switchboard.EndpointColumns),
	UpdateEndpoint: updateSQL("endpoints", switchboard.EndpointValueColumns),
	InsertWebhook:  insertSQL("webhooks", switchboard.WebhookColumns),
	UpdateWebhook:  updateSQL("webhooks", switchboard.WebhookValueColumns),
	DeleteEndpoint: `DELETE FROM endpoints WHERE organization_id = $1 AND id = $2`,
	DeleteWebhook:  `DELETE FROM webhooks WHERE organization_id = $1 AND id = $2`,
	FindTrunk:      withLocks(`SELECT `+switchboard.TrunkColumns+` FROM trunks WHERE organization_id = $1 AND id = $2`, ""),
	ShareTrunk:     `SELECT 1 FROM trunks WHERE organization_id = $1 AND id = $2 FOR KEY SHARE`,
	InsertTrunk:    insertSQL("trunks", switchboard.TrunkColumns),
	UpdateTrunk:    updateSQL("trunks", switchboard.TrunkValueColumns),
	DeleteTrunk:    `DELETE FROM trunks WHERE organization_id = $1 AND id = $2`,
	SetSIPCredentials: `UPDATE phone_numbers SET sip_username = $1, sip_ha1_md5 = $2, sip_ha1_sha256 = $3, updated_at = $4
		WHERE organization_id = $5 AND id = $6`,

	InventoryIDs: `SELECT id FROM inventory_numbers WHERE `,
	Where: func(cs []switchboard.Cond) (string, []any) {
		var w where
		w.eqs(cs)
		return w.String(), w.args
	},
}

// withLocks returns query with the row lock of each switchboard.Lock, on
// the rows of the tables named by of ("" for all). LockUpdate keeps the
// key, so claims that attach numbers to an endpoint (ShareEndpoint's KEY
// SHARE) need not wait.
func withLocks(query, of string) [switchboard.LockDelete + 1]string {
	return [...]string{
		switchboard.LockNone:   query,
		switchboard.LockUpdate: query + " FOR NO KEY UPDATE" + of,
		switchboard.LockDelete: query + " FOR UPDATE" + of,
	}
}

// Row runs a lookup by key on the pool.
func (db *Driver) Row(ctx context.Context, query, orgID, id string) switchboard.Scanner {
	return db.pool.QueryRow(ctx, query, orgID, id)
}

// Row runs a lookup by key in the transaction.
func (t *txn) Row(ctx context.Context, query, orgID, id string) switchboard.Scanner {
	return t.Tx.QueryRow(ctx, query, orgID, id)
}

// Select runs a query in the transaction.
func (t *txn) Select(ctx context.Context, query string, args ...any) switchboard.Scanner {
	return t.Tx.QueryRow(ctx, query, args...)
}

// Change runs a statement in the transaction.
func (t *txn) Change(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := t.Tx.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}
