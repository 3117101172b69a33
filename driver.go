package switchboard

import (
	"context"
	"errors"
	"time"
)

// This file is an internal seam, like River's riverdriver: the narrow
// interface the SQL stores (sqlite, postgres) implement so that the rules
// of every change are written once, in Service. It is not a public API:
// reshape it freely when a rule moves up, and keep both drivers in step.
//
// A driver runs SQL and nothing else. It reports a missing row as
// ErrNoRows; the Service words that into the user-facing error. What a
// driver would otherwise write the same way as the other is here once, for
// it to embed over its own statements and SQL text: RowReader and
// RowWriter (columns.go) for the endpoint, number and subscription rows,
// Lists (filter.go) for the lists, ApplyMigrations (migration.go).

// ErrNoRows is what a driver returns when a lookup finds no row. The
// Service turns it into the resource's NOT_FOUND error.
var ErrNoRows = errors.New("no rows")

// ErrMissingRef is what a driver returns when a write names a row that a
// foreign key needs and that is gone.
var ErrMissingRef = errors.New("referenced row missing")

// ErrUnstorable is what a driver returns for text its database cannot
// hold (PostgreSQL refuses NUL and invalid UTF-8).
var ErrUnstorable = errors.New("text the database cannot store")

// Driver is a database as the Service uses it.
type Driver interface {
	Reader
	// Write runs fn in one write transaction and commits it when fn returns
	// nil. It may run fn more than once (PostgreSQL aborts a transaction to
	// break a deadlock or a serialisation failure), so fn must have no effect
	// outside tx. SQLite has one writer: fn must never call a Service method.
	Write(ctx context.Context, fn func(tx Tx) error) error
	// ListEndpoints returns one page of the organisation's endpoints, newest
	// first, and the total that match, both from one snapshot.
	ListEndpoints(ctx context.Context, orgID string, f EndpointFilter) ([]*Endpoint, int, error)
	// ListTrunks returns one page of the organisation's trunks, newest
	// first, and the total that match.
	ListTrunks(ctx context.Context, orgID string, f TrunkFilter) ([]*Trunk, int, error)
	// ListPhoneNumbers and ListAvailable page through the organisation's
	// numbers and the free inventory in the same way.
	ListPhoneNumbers(ctx context.Context, orgID string, f PhoneNumberFilter) ([]*PhoneNumber, int, error)
	ListAvailable(ctx context.Context, f AvailableFilter) ([]*InventoryNumber, int, error)
	// SIPCredentials returns the number whose SIP username this is, with
	// its organisation and HA1 hashes, or ErrNoRows.
	SIPCredentials(ctx context.Context, username string) (orgID, phoneNumberID, ha1md5, ha1sha256 string, err error)
	// InsertInventory adds nums[i] to the inventory as ids[i], created at,
	// skipping numbers already there or earlier in nums, and reports which
	// it added.
	InsertInventory(ctx context.Context, nums []*InventoryNumber, ids []string, at time.Time) (added []bool, err error)
	// ListInventory pages through the whole inventory, with each number's
	// holder.
	ListInventory(ctx context.Context, f InventoryFilter) ([]*InventoryEntry, int, error)
	// DeleteInventory deletes the inventory number unless an organisation
	// holds it: then it returns that organisation and deletes nothing. A
	// number not in the inventory is ErrNoRows.
	DeleteInventory(ctx context.Context, number string) (holder string, err error)
	// ListWebhooks and ListDeliveries page through the organisation's
	// subscriptions and deliveries (without payloads or attempts).
	ListWebhooks(ctx context.Context, orgID string, p Page) ([]*Webhook, int, error)
	ListDeliveries(ctx context.Context, orgID string, f DeliveryFilter) ([]*Delivery, int, error)
	// ListCalls pages through the organisation's calls.
	ListCalls(ctx context.Context, orgID string, f CallFilter) ([]*Call, int, error)
	// CallStats aggregates the organisation's calls that match the filter
	// in one snapshot: the counts and sums per bucket (CallStatsRow, the
	// CallStatsCounts), and the 95th percentile of the timed calls'
	// durations per bucket and overall (CallStatsP95).
	CallStats(ctx context.Context, orgID string, f CallStatsFilter) ([]CallStatsRow, []CallStatsP95, error)
	// CallEvents returns the call's timeline, oldest first, or ErrNoRows
	// when the organisation has no such call.
	CallEvents(ctx context.Context, orgID, callID string) ([]*CallEvent, error)

	// ListEvents pages through the organisation's event log; Event reads
	// one of its events, or ErrNoRows; EventsAfter reads it by position,
	// and LastEvent returns its newest event or ErrNoRows (EventLog).
	ListEvents(ctx context.Context, orgID string, f EventFilter) ([]*Event, int, error)
	Event(ctx context.Context, orgID, id string) (*Event, error)
	EventsAfter(ctx context.Context, orgID string, after int64, limit int) ([]*Event, int64, error)
	LastEvent(ctx context.Context, orgID string) (*Event, error)
	EventFeed

	// ClaimDeliveries, FinishDeliveries and CountPendingDeliveries are the
	// queue: each claim is whole in SQL (PostgreSQL's FOR UPDATE SKIP
	// LOCKED), never a read followed by a lease up here.
	ClaimDeliveries(ctx context.Context, owner string, limit int, lease time.Duration) ([]*DeliveryJob, error)
	FinishDeliveries(ctx context.Context, owner string, results []DeliveryResult) error
	CountPendingDeliveries(ctx context.Context) (int, error)

	// EnsureOrganization inserts the organisation named name as id,
	// created at, unless one has the name, and returns the one that does.
	EnsureOrganization(ctx context.Context, id, name string, at time.Time) (*Organization, bool, error)
	CountOrganizations(ctx context.Context) (int, error)
	// OrganizationByName returns the organisation named name, or ErrNoRows.
	OrganizationByName(ctx context.Context, name string) (*Organization, error)
	// APIKeyByID returns the key with this ID, whatever its organisation,
	// or ErrNoRows.
	APIKeyByID(ctx context.Context, id string) (*APIKey, error)
	// APIKeyByHash returns the key with this hash, revoked or expired
	// keys included (the Service words why they are refused), or ErrNoRows.
	APIKeyByHash(ctx context.Context, hash string) (*APIKey, error)
	// SessionByHash returns the session with this token hash that expires
	// after now, and its key whatever its state (the Service checks it), in
	// one statement; ErrNoRows when there is none.
	SessionByHash(ctx context.Context, hash string, now time.Time) (*Session, *APIKey, error)
	// APIKey returns the organisation's key, or ErrNoRows.
	APIKey(ctx context.Context, orgID, id string) (*APIKey, error)
	// ListAPIKeys pages through the organisation's keys.
	ListAPIKeys(ctx context.Context, orgID string, f APIKeyFilter) ([]*APIKey, int, error)
	// TouchAPIKey sets the organisation's key's last_used_at to now unless
	// it is after since, in one conditional UPDATE (so that nodes
	// racing to record the same minute write once), and reports nothing
	// about a missing key.
	TouchAPIKey(ctx context.Context, orgID, id string, now, since time.Time) error
	// FinishIdempotent stores the response of an in-flight key and reports
	// false when none is in flight; AbortIdempotent deletes an in-flight
	// key. Each is one statement.
	FinishIdempotent(ctx context.Context, rec *IdempotencyRecord) (bool, error)
	AbortIdempotent(ctx context.Context, rec *IdempotencyRecord) error

	// HangupRelay and RoutingService carry no rule: the driver answers.
	HangupRelay
	RoutingService
	ChangeFeed
	Ping(ctx context.Context) error
	Close() error
}

// Reader is what a driver reads, one statement at a time: on its pool, or
// inside a write transaction as part of Tx.
type Reader interface {
	// Endpoint returns the organisation's endpoint, or ErrNoRows.
	Endpoint(ctx context.Context, orgID, id string) (*Endpoint, error)
	// PhoneNumber returns the organisation's number, or ErrNoRows.
	PhoneNumber(ctx context.Context, orgID, id string) (*PhoneNumber, error)
	// Trunk returns the organisation's trunk, password included, or
	// ErrNoRows.
	Trunk(ctx context.Context, orgID, id string) (*Trunk, error)
	// Webhook returns the organisation's subscription, or ErrNoRows.
	Webhook(ctx context.Context, orgID, id string) (*Webhook, error)
	// Delivery returns the organisation's delivery with its payload and
	// its attempts, read together, or ErrNoRows.
	Delivery(ctx context.Context, orgID, id string) (*Delivery, error)
	// Call returns the organisation's call, or ErrNoRows.
	Call(ctx context.Context, orgID, id string) (*Call, error)
}

// Lock is the row lock a transaction takes on what it reads for a change.
// SQLite's single writer needs none; PostgreSQL maps each to a clause.
type Lock uint8

const (
	// LockNone reads without a lock.
	LockNone Lock = iota
	// LockUpdate keeps the row's key (FOR NO KEY UPDATE): rows that only
	// point at it need not wait.
	LockUpdate
	// LockDelete is for a row about to be deleted (FOR UPDATE).
	LockDelete
)

// Tx is one write transaction.
type Tx interface {
	Reader

	// LockEndpoint is Endpoint with the row lock lock, held until the end
	// of the transaction.
	LockEndpoint(ctx context.Context, orgID, id string, lock Lock) (*Endpoint, error)
	// InsertEndpoint and UpdateEndpoint store every column of e.
	InsertEndpoint(ctx context.Context, e *Endpoint) error
	UpdateEndpoint(ctx context.Context, e *Endpoint) error
	// DeleteEndpoint deletes the organisation's endpoint.
	DeleteEndpoint(ctx context.Context, orgID, id string) error
	// DetachEndpoint clears id from every number of the organisation that
	// points at it, as endpoint or fallback, and returns those numbers'
	// IDs. It locks them first and only then calls now for the time it
	// stamps, so a number's updated_at never goes back in time.
	DetachEndpoint(ctx context.Context, orgID, id string, now func() time.Time) (numberIDs []string, err error)
	// ShareEndpoint returns ErrNoRows unless the organisation has the
	// endpoint, and keeps it from being deleted until the end of the
	// transaction (PostgreSQL: FOR KEY SHARE).
	ShareEndpoint(ctx context.Context, orgID, id string) error

	// LockTrunk is Trunk with the row lock lock.
	LockTrunk(ctx context.Context, orgID, id string, lock Lock) (*Trunk, error)
	// Trunks returns the organisation's trunks with these IDs.
	Trunks(ctx context.Context, orgID string, ids []string) ([]*Trunk, error)
	// InsertTrunk and UpdateTrunk store every column of t.
	InsertTrunk(ctx context.Context, t *Trunk) error
	UpdateTrunk(ctx context.Context, t *Trunk) error
	// DeleteTrunk deletes the organisation's trunk.
	DeleteTrunk(ctx context.Context, orgID, id string) error
	// ClearDefaultTrunk makes no trunk of the organisation but except its
	// default, stamping those it changes with now, and returns their IDs.
	// It first serialises the organisation's default changes (PostgreSQL
	// locks the organisation's row), so two trunks made default at once
	// cannot both be.
	ClearDefaultTrunk(ctx context.Context, orgID, except string, now time.Time) (trunkIDs []string, err error)
	// DetachTrunk clears id from every number of the organisation that
	// uses it and returns those numbers' IDs, as DetachEndpoint does.
	DetachTrunk(ctx context.Context, orgID, id string, now func() time.Time) (numberIDs []string, err error)
	// ShareTrunk returns ErrNoRows unless the organisation has the trunk,
	// and keeps it from being deleted until the end of the transaction.
	ShareTrunk(ctx context.Context, orgID, id string) error

	// PhoneNumbers returns the organisation's numbers with these IDs.
	PhoneNumbers(ctx context.Context, orgID string, ids []string) ([]*PhoneNumber, error)
	// LockPhoneNumber is PhoneNumber with the number's row lock.
	LockPhoneNumber(ctx context.Context, orgID, id string, lock Lock) (*PhoneNumber, error)
	// InventoryID returns the ID of the inventory number that has this ID
	// and this number (either may be "", meaning any), or ErrNoRows.
	InventoryID(ctx context.Context, id, number string) (string, error)
	// InsertPhoneNumber stores a held number, and reports false when its
	// inventory number is already held (ErrMissingRef: its endpoint is gone).
	InsertPhoneNumber(ctx context.Context, pn *PhoneNumber) (bool, error)
	// UpdatePhoneNumber stores the number's endpoints, trunk, flags and
	// UpdatedAt.
	UpdatePhoneNumber(ctx context.Context, pn *PhoneNumber) error
	// DeletePhoneNumber deletes the organisation's number.
	DeletePhoneNumber(ctx context.Context, orgID, id string) error
	// SetSIPCredentials replaces the username and both HA1 hashes of the
	// organisation's number at once, and stamps its updated_at with now.
	SetSIPCredentials(ctx context.Context, orgID, id string, s SIPSecret, now time.Time) error

	// LockWebhook is Webhook with the subscription's row lock.
	LockWebhook(ctx context.Context, orgID, id string, lock Lock) (*Webhook, error)
	// ShareWebhook returns ErrNoRows unless the organisation has the
	// subscription, and keeps it from being deleted until commit.
	ShareWebhook(ctx context.Context, orgID, id string) error
	// InsertWebhook and UpdateWebhook store every column of w.
	InsertWebhook(ctx context.Context, w *Webhook) error
	UpdateWebhook(ctx context.Context, w *Webhook) error
	// DeleteWebhook deletes the subscription, and reports false when the
	// organisation has none with this ID.
	DeleteWebhook(ctx context.Context, orgID, id string) (bool, error)
	// RequeueDelivery makes the organisation's delivery pending at now for
	// exactly one more attempt, unleased and not delivered, unless it is
	// pending already (then it reports false; that condition is the
	// UPDATE's own).
	RequeueDelivery(ctx context.Context, orgID, id string, now time.Time) (bool, error)
	// RequeueFailedDeliveries does the same to every failed delivery of the
	// subscription created at or after since, and says how many.
	RequeueFailedDeliveries(ctx context.Context, orgID, webhookID string, since, now time.Time) (int, error)

	// UpsertCalls writes the rows of a batch of calls, as stored, with
	// their timelines: each call inserted or its changeable fields and
	// timeline replaced (CallIdentityError when it would change its
	// identity). A call listed twice is left as its last state.
	UpsertCalls(ctx context.Context, calls []*Call) error
	// WebhookEndpoints reports, ref by ref, whether each is a webhook-type
	// endpoint of its organisation. The answer is valid until the
	// transaction ends.
	WebhookEndpoints(ctx context.Context, refs []EndpointRef) ([]bool, error)
	// OpenCalls returns the node's calls that are not final, locked, with
	// their timelines.
	OpenCalls(ctx context.Context, node string) ([]*Call, error)

	// InsertAPIKey stores a key.
	InsertAPIKey(ctx context.Context, key *APIKey) error
	// RevokeAPIKey sets the organisation's key's revoked_at to now unless
	// it is set already, and returns the key as it then is, or ErrNoRows.
	RevokeAPIKey(ctx context.Context, orgID, id string, now time.Time) (*APIKey, error)
	// ClaimIdempotencyKey records rec as in flight at now unless a record
	// created after expired holds its key, and returns that record, or nil
	// when rec now holds the key (an expired record is replaced).
	ClaimIdempotencyKey(ctx context.Context, rec *IdempotencyRecord, now, expired time.Time) (*IdempotencyRecord, error)
	// PurgeIdempotencyKeys deletes up to limit records created at or
	// before expired.
	PurgeIdempotencyKeys(ctx context.Context, expired time.Time, limit int) error

	// InsertSession stores a dashboard session; DeleteSession deletes the
	// one with this token hash, if any; PurgeSessions deletes up to limit
	// sessions that expired at or before now.
	InsertSession(ctx context.Context, s *Session) error
	DeleteSession(ctx context.Context, hash string) error
	PurgeSessions(ctx context.Context, now time.Time, limit int) error

	// ActiveSubscriptions returns the organisation's active subscriptions,
	// in ID order.
	ActiveSubscriptions(ctx context.Context, orgID string) ([]Subscription, error)
	// WebhookURL returns the URL of the organisation's subscription, active
	// or not, or ErrNoRows; PostgreSQL holds off its deletion until commit.
	WebhookURL(ctx context.Context, orgID, id string) (string, error)
	// WebhookEndpointURL returns the URL of the organisation's webhook-type
	// endpoint, or ErrNoRows when id is not one.
	WebhookEndpointURL(ctx context.Context, orgID, id string) (string, error)
	// InsertOutbox writes a batch of events, at the next positions of the
	// organisation's log, and their pending deliveries (PostgreSQL: one
	// statement), and tells the event feed once the transaction commits.
	// An event whose ID is already stored is skipped with its deliveries
	// (its position is left unused): a call entry saved twice emits once.
	InsertOutbox(ctx context.Context, b *OutboxBatch) error

	// NotifyRoutingChanged tells every node that the organisation's numbers,
	// endpoints or trunks changed, if and only if the transaction commits.
	NotifyRoutingChanged(ctx context.Context, orgID string) error
}

// EndpointRef is an endpoint ID as an organisation's record names it.
type EndpointRef struct {
	OrganizationID, ID string
}

// Subscription is what fan-out needs of an active subscription.
type Subscription struct {
	ID, URL string
	Events  []string
}

// OutboxBatch is the events of one organisation's change, stamped At, and
// one pending delivery, due At, per receiver, column by column (the shape
// PostgreSQL unnests).
type OutboxBatch struct {
	OrganizationID string
	At             time.Time

	EventIDs, EventTypes, EventData []string

	DeliveryIDs, DeliveryEventIDs, DeliveryTypes, DeliveryURLs []string
	DeliveryWebhookIDs, DeliveryEndpointIDs                    []*string
}
