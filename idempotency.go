package switchboard

import (
	"context"
	"time"
)

// IdempotencyTTL is how long a first response is replayed for its key.
const IdempotencyTTL = 24 * time.Hour

// IdempotencyRecord is what was stored for one Idempotency-Key. Status 0
// means the first request is still being handled.
type IdempotencyRecord struct {
	OrganizationID string
	APIKeyID       string
	Key            string
	Fingerprint    string // hash of method, path and body
	Status         int
	Body           []byte
	ContentType    string
	CreatedAt      time.Time
}

// IdempotencyStore keeps first responses for replay.
type IdempotencyStore interface {
	// BeginIdempotent records rec as in flight. When a live record already
	// holds the key it returns that record and false; an expired one is replaced.
	BeginIdempotent(ctx context.Context, rec *IdempotencyRecord) (existing *IdempotencyRecord, started bool, err error)
	// FinishIdempotent stores the response of the request begun for the key.
	FinishIdempotent(ctx context.Context, rec *IdempotencyRecord) error
	// AbortIdempotent forgets an in-flight key so the client may retry.
	AbortIdempotent(ctx context.Context, rec *IdempotencyRecord) error
}

// Store is everything the control plane needs from a database. Service
// implements it once over each store's Driver (sqlite, postgres), and
// storetest checks it over both.
type Store interface {
	OrganizationService
	APIKeyService
	SessionService
	EndpointService
	PhoneNumberService
	TrunkService
	IdempotencyStore
	EventService
	EventLog
	WebhookService
	DeliveryQueue
	CallService
	CallStatsService
	OutboundCallService
	HangupRelay
	RoutingService
	ChangeFeed
	// Ping reports whether the database answers (the health check).
	Ping(ctx context.Context) error
	Close() error
}
