package switchboard

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// The stored form of the domain types is declared once, here and beside
// each type (EndpointColumns, WebhookColumns, DeliveryColumns …), so the
// stores share it; a ColumnCodec carries what differs between databases.

// ColumnCodec is how one store keeps the column types whose form differs
// between databases: times (SQLite: integer microseconds; PostgreSQL:
// timestamptz) and lists of strings (SQLite: JSON text; PostgreSQL: text[]).
type ColumnCodec struct {
	// Time is the value of a time column.
	Time func(time.Time) any
	// TimeDest and OptTimeDest are the scan destinations of a time column
	// and of one that may be NULL.
	TimeDest    func(*time.Time) any
	OptTimeDest func(**time.Time) any
	// List and ListDest are the value and scan destination of a list of
	// strings.
	List     func([]string) any
	ListDest func(*[]string) any
	// Scopes and ScopesDest are the value and scan destination of an API
	// key's scopes, which SQLite keeps comma-separated (the form of its
	// first migration), not as JSON.
	Scopes     func([]string) any
	ScopesDest func(*[]string) any
}

// optTime is the value of a time column that may be NULL.
func (c *ColumnCodec) optTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return c.Time(*t)
}

// headersColumn is the value of a column of extra SIP headers: their JSON
// object as text, or NULL (nil) when there are none.
func headersColumn(h map[string]string) (any, error) {
	if h == nil {
		return nil, nil
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("headers: %w", err)
	}
	return string(b), nil
}

// EventEnvelope returns the payload of a delivery of the event id, of type
// typ, created at with the JSON data: the envelope exactly as it is signed
// and sent. Listing a delivery and claiming it both build it here, so the
// log shows the bytes the receiver got.
func EventEnvelope(id, typ string, at time.Time, data string) (json.RawMessage, error) {
	b, err := json.Marshal(&Event{ID: id, Type: typ, Timestamp: at.UTC(), Data: json.RawMessage(data)})
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", id, err)
	}
	return b, nil
}

// Scanner is one row to read: a *sql.Row or *sql.Rows, a pgx.Row or
// pgx.Rows.
type Scanner interface{ Scan(dest ...any) error }

// Rows is what *sql.Rows and pgx.Rows have in common, Close aside.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// CollectRows reads every row of rows with scan. The caller closes rows.
func CollectRows[T any](rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ScanEndpoint reads a row of EndpointColumns, then extra.
func (c *ColumnCodec) ScanEndpoint(s Scanner, extra ...any) (*Endpoint, error) {
	var es EndpointScan
	if err := s.Scan(append(es.Dest(c), extra...)...); err != nil {
		return nil, err
	}
	return es.Endpoint()
}

// ScanPhoneNumber reads a row in the order of PhoneNumberScan, then extra.
func (c *ColumnCodec) ScanPhoneNumber(s Scanner, extra ...any) (*PhoneNumber, error) {
	var ps PhoneNumberScan
	if err := s.Scan(append(ps.Dest(c), extra...)...); err != nil {
		return nil, err
	}
	return ps.PhoneNumber(), nil
}

// ScanWebhook reads a row of WebhookColumns, then extra.
func (c *ColumnCodec) ScanWebhook(s Scanner, extra ...any) (*Webhook, error) {
	var ws WebhookScan
	if err := s.Scan(append(ws.Dest(c), extra...)...); err != nil {
		return nil, err
	}
	return ws.Webhook(), nil
}

// ScanTrunk reads a row of TrunkColumns, then extra.
func (c *ColumnCodec) ScanTrunk(s Scanner, extra ...any) (*Trunk, error) {
	var ts TrunkScan
	if err := s.Scan(append(ts.Dest(c), extra...)...); err != nil {
		return nil, err
	}
	return ts.Trunk()
}

// ScanDelivery reads a row of DeliveryColumns, then extra.
func (c *ColumnCodec) ScanDelivery(s Scanner, extra ...any) (*Delivery, error) {
	var ds DeliveryScan
	if err := s.Scan(append(ds.Dest(c), extra...)...); err != nil {
		return nil, err
	}
	return ds.Delivery(), nil
}

// ScanCall reads a row of CallColumns, then extra.
func (c *ColumnCodec) ScanCall(s Scanner, extra ...any) (*Call, error) {
	var cs CallScan
	if err := s.Scan(append(cs.Dest(c), extra...)...); err != nil {
		return nil, err
	}
	return cs.Call(), nil
}

// APIKeyColumns are the stored columns of an API key, in the order of
// ScanAPIKey and APIKeyValues.
const APIKeyColumns = `id, organization_id, name, key_prefix, hash, scopes, live, created_at, expires_at, last_used_at, revoked_at`

// ScanAPIKey reads a row of APIKeyColumns, then extra.
func (c *ColumnCodec) ScanAPIKey(s Scanner, extra ...any) (*APIKey, error) {
	var k APIKey
	var scopes []string
	dest := []any{&k.ID, &k.OrganizationID, &k.Name, &k.KeyPrefix, &k.Hash, c.ScopesDest(&scopes), &k.Live,
		c.TimeDest(&k.CreatedAt), c.OptTimeDest(&k.ExpiresAt), c.OptTimeDest(&k.LastUsedAt), c.OptTimeDest(&k.RevokedAt)}
	if err := s.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	for _, sc := range scopes {
		if sc != "" {
			k.Scopes = append(k.Scopes, Scope(sc))
		}
	}
	return &k, nil
}

// APIKeyValues are the values of APIKeyColumns for k.
func (c *ColumnCodec) APIKeyValues(k *APIKey) []any {
	return []any{k.ID, k.OrganizationID, k.Name, k.KeyPrefix, k.Hash, c.Scopes(k.ScopeNames()), k.Live,
		c.Time(k.CreatedAt), c.optTime(k.ExpiresAt), c.optTime(k.LastUsedAt), c.optTime(k.RevokedAt)}
}

// InventoryColumns are the stored columns of an inventory number (alias
// i), in the order of ScanInventory.
const InventoryColumns = `i.id, i.number, i.country, i.type, i.created_at`

// ScanInventory reads a row of InventoryColumns, then extra.
func (c *ColumnCodec) ScanInventory(s Scanner, extra ...any) (*InventoryNumber, error) {
	var n InventoryNumber
	if err := s.Scan(append([]any{&n.ID, &n.Number, &n.Country, &n.Type, c.TimeDest(&n.CreatedAt)}, extra...)...); err != nil {
		return nil, err
	}
	return &n, nil
}

// RowQuerier runs a driver's lookups by key, on its pool or in a
// transaction: what RowReader needs of it. The key travels as two strings,
// not as ...any, so that the driver's own call boxes them where they need
// not escape: these lookups run on every call.
type RowQuerier interface {
	// Row runs query with the parameters orgID and id and returns its
	// first row, whose Scan reports a missing row in the driver's own words
	// (RowSQL.NoRows maps them).
	Row(ctx context.Context, query, orgID, id string) Scanner
}

// RowExecer runs a driver's statements in a write transaction: what
// RowWriter needs besides RowQuerier.
type RowExecer interface {
	// Select runs a query and returns its first row, as Row does.
	Select(ctx context.Context, query string, args ...any) Scanner
	// Change runs a statement and reports how many rows it changed.
	Change(ctx context.Context, query string, args ...any) (int64, error)
}

// RowSQL is a driver's SQL for the rows whose columns this package
// declares (endpoints, numbers, subscriptions), in its dialect, and what
// else RowReader and RowWriter need to know of the driver. Every statement
// named after a row takes the row's organization_id and id, in that
// order, as its last two parameters.
type RowSQL struct {
	Codec *ColumnCodec
	// NoRows maps the driver's missing row to ErrNoRows and returns any
	// other error as it is.
	NoRows func(error) error

	// FindEndpoint, FindPhoneNumber and FindWebhook select a row of
	// EndpointColumns, of PhoneNumberScan and of WebhookColumns, indexed by
	// the Lock each takes on the row.
	FindEndpoint, FindPhoneNumber, FindWebhook [LockDelete + 1]string
	// ShareEndpoint and ShareWebhook select 1 from the row, and keep it
	// from being deleted until the transaction ends where the database
	// needs it (PostgreSQL: FOR KEY SHARE).
	ShareEndpoint, ShareWebhook string
	// InsertEndpoint and InsertWebhook insert every column; UpdateEndpoint
	// and UpdateWebhook set the value columns (EndpointValueColumns,
	// WebhookValueColumns) in order.
	InsertEndpoint, UpdateEndpoint, InsertWebhook, UpdateWebhook string
	// DeleteEndpoint and DeleteWebhook delete the row.
	DeleteEndpoint, DeleteWebhook string
	// The same statements for trunks (TrunkColumns, TrunkValueColumns).
	FindTrunk                                         [LockDelete + 1]string
	ShareTrunk, InsertTrunk, UpdateTrunk, DeleteTrunk string
	// SetSIPCredentials sets a number's sip_username, sip_ha1_md5,
	// sip_ha1_sha256 and updated_at, in that order, where its
	// organization_id and id are the next two arguments.
	SetSIPCredentials string

	// InventoryIDs selects the id of the inventory numbers that match a
	// condition, which Where renders with its arguments.
	InventoryIDs string
	Where        func([]Cond) (cond string, args []any)
}

// RowReader is the Reader lookups of endpoints, numbers and subscriptions,
// written once over a driver's queries (Q) and RowSQL: a driver embeds it
// (Delivery and Call stay its own).
type RowReader struct {
	Q   RowQuerier
	SQL *RowSQL
}

// Endpoint returns the organisation's endpoint, or ErrNoRows.
func (r RowReader) Endpoint(ctx context.Context, orgID, id string) (*Endpoint, error) {
	return r.endpoint(ctx, orgID, id, LockNone)
}

// PhoneNumber returns the organisation's number, or ErrNoRows.
func (r RowReader) PhoneNumber(ctx context.Context, orgID, id string) (*PhoneNumber, error) {
	return r.phoneNumber(ctx, orgID, id, LockNone)
}

// Webhook returns the organisation's subscription, or ErrNoRows.
func (r RowReader) Webhook(ctx context.Context, orgID, id string) (*Webhook, error) {
	return r.webhook(ctx, orgID, id, LockNone)
}

// Trunk returns the organisation's trunk, or ErrNoRows.
func (r RowReader) Trunk(ctx context.Context, orgID, id string) (*Trunk, error) {
	return r.trunk(ctx, orgID, id, LockNone)
}

func (r RowReader) trunk(ctx context.Context, orgID, id string, lock Lock) (*Trunk, error) {
	t, err := r.SQL.Codec.ScanTrunk(r.Q.Row(ctx, r.SQL.FindTrunk[lock], orgID, id))
	return t, r.SQL.NoRows(err)
}

func (r RowReader) endpoint(ctx context.Context, orgID, id string, lock Lock) (*Endpoint, error) {
	e, err := r.SQL.Codec.ScanEndpoint(r.Q.Row(ctx, r.SQL.FindEndpoint[lock], orgID, id))
	return e, r.SQL.NoRows(err)
}

func (r RowReader) phoneNumber(ctx context.Context, orgID, id string, lock Lock) (*PhoneNumber, error) {
	pn, err := r.SQL.Codec.ScanPhoneNumber(r.Q.Row(ctx, r.SQL.FindPhoneNumber[lock], orgID, id))
	return pn, r.SQL.NoRows(err)
}

func (r RowReader) webhook(ctx context.Context, orgID, id string, lock Lock) (*Webhook, error) {
	w, err := r.SQL.Codec.ScanWebhook(r.Q.Row(ctx, r.SQL.FindWebhook[lock], orgID, id))
	return w, r.SQL.NoRows(err)
}

// RowWriter is RowReader in a write transaction, with the Tx methods that
// lock, check and write those rows through the transaction's statements
// (E): a driver's transaction embeds it.
type RowWriter struct {
	RowReader
	E RowExecer
}

// LockEndpoint is Endpoint with the row lock lock.
func (w RowWriter) LockEndpoint(ctx context.Context, orgID, id string, lock Lock) (*Endpoint, error) {
	return w.endpoint(ctx, orgID, id, lock)
}

// LockPhoneNumber is PhoneNumber with the number's row lock.
func (w RowWriter) LockPhoneNumber(ctx context.Context, orgID, id string, lock Lock) (*PhoneNumber, error) {
	return w.phoneNumber(ctx, orgID, id, lock)
}

// LockWebhook is Webhook with the subscription's row lock.
func (w RowWriter) LockWebhook(ctx context.Context, orgID, id string, lock Lock) (*Webhook, error) {
	return w.webhook(ctx, orgID, id, lock)
}

// ShareEndpoint returns ErrNoRows unless the organisation has the endpoint.
func (w RowWriter) ShareEndpoint(ctx context.Context, orgID, id string) error {
	return w.share(ctx, w.SQL.ShareEndpoint, orgID, id)
}

// ShareWebhook returns ErrNoRows unless the organisation has the
// subscription.
func (w RowWriter) ShareWebhook(ctx context.Context, orgID, id string) error {
	return w.share(ctx, w.SQL.ShareWebhook, orgID, id)
}

func (w RowWriter) share(ctx context.Context, query, orgID, id string) error {
	var one int
	return w.SQL.NoRows(w.Q.Row(ctx, query, orgID, id).Scan(&one))
}

// InsertEndpoint stores a new endpoint.
func (w RowWriter) InsertEndpoint(ctx context.Context, e *Endpoint) error {
	cols, err := e.ColumnValues(w.SQL.Codec)
	if err != nil {
		return err
	}
	_, err = w.E.Change(ctx, w.SQL.InsertEndpoint, cols...)
	return err
}

// UpdateEndpoint stores every column of an existing endpoint.
func (w RowWriter) UpdateEndpoint(ctx context.Context, e *Endpoint) error {
	cols, err := e.ColumnValues(w.SQL.Codec)
	if err != nil {
		return err
	}
	_, err = w.E.Change(ctx, w.SQL.UpdateEndpoint, append(cols[2:], e.OrganizationID, e.ID)...)
	return err
}

// DeleteEndpoint deletes the organisation's endpoint.
func (w RowWriter) DeleteEndpoint(ctx context.Context, orgID, id string) error {
	_, err := w.E.Change(ctx, w.SQL.DeleteEndpoint, orgID, id)
	return err
}

// InsertWebhook stores a new subscription.
func (w RowWriter) InsertWebhook(ctx context.Context, wh *Webhook) error {
	_, err := w.E.Change(ctx, w.SQL.InsertWebhook, wh.ColumnValues(w.SQL.Codec)...)
	return err
}

// UpdateWebhook writes every column of an existing subscription.
func (w RowWriter) UpdateWebhook(ctx context.Context, wh *Webhook) error {
	_, err := w.E.Change(ctx, w.SQL.UpdateWebhook, append(wh.ColumnValues(w.SQL.Codec)[2:], wh.OrganizationID, wh.ID)...)
	return err
}

// DeleteWebhook deletes the organisation's subscription, and reports false
// when there was none.
func (w RowWriter) DeleteWebhook(ctx context.Context, orgID, id string) (bool, error) {
	n, err := w.E.Change(ctx, w.SQL.DeleteWebhook, orgID, id)
	return err == nil && n > 0, err
}

// LockTrunk is Trunk with the trunk's row lock.
func (w RowWriter) LockTrunk(ctx context.Context, orgID, id string, lock Lock) (*Trunk, error) {
	return w.trunk(ctx, orgID, id, lock)
}

// ShareTrunk returns ErrNoRows unless the organisation has the trunk.
func (w RowWriter) ShareTrunk(ctx context.Context, orgID, id string) error {
	return w.share(ctx, w.SQL.ShareTrunk, orgID, id)
}

// InsertTrunk stores a new trunk.
func (w RowWriter) InsertTrunk(ctx context.Context, t *Trunk) error {
	cols, err := t.ColumnValues(w.SQL.Codec)
	if err != nil {
		return err
	}
	_, err = w.E.Change(ctx, w.SQL.InsertTrunk, cols...)
	return err
}

// UpdateTrunk stores every column of an existing trunk.
func (w RowWriter) UpdateTrunk(ctx context.Context, t *Trunk) error {
	cols, err := t.ColumnValues(w.SQL.Codec)
	if err != nil {
		return err
	}
	_, err = w.E.Change(ctx, w.SQL.UpdateTrunk, append(cols[2:], t.OrganizationID, t.ID)...)
	return err
}

// SetSIPCredentials replaces the number's username and both hashes at
// once.
func (w RowWriter) SetSIPCredentials(ctx context.Context, orgID, id string, s SIPSecret, now time.Time) error {
	_, err := w.E.Change(ctx, w.SQL.SetSIPCredentials, s.Username, s.HA1MD5, s.HA1SHA256, w.SQL.Codec.Time(now), orgID, id)
	return err
}

// DeleteTrunk deletes the organisation's trunk.
func (w RowWriter) DeleteTrunk(ctx context.Context, orgID, id string) error {
	_, err := w.E.Change(ctx, w.SQL.DeleteTrunk, orgID, id)
	return err
}

// InventoryID returns the ID of the inventory number with this ID and
// this number (either may be "", meaning any), or ErrNoRows.
func (w RowWriter) InventoryID(ctx context.Context, id, number string) (string, error) {
	cond, args := w.SQL.Where(InventoryConds(id, number))
	var invID string
	err := w.E.Select(ctx, w.SQL.InventoryIDs+cond, args...).Scan(&invID)
	return invID, w.SQL.NoRows(err)
}
