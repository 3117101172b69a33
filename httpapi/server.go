// Package httpapi serves Switchboard's REST API: the KrosAI-compatible
// control plane under /v1 and its /api/v1 alias. routes.go lists the whole
// surface; error.go is the only place errors become HTTP statuses.
package httpapi

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// Config tunes the server. Zero values give the defaults.
type Config struct {
	// RateLimit is requests per second per API key; 0 disables the limit.
	RateLimit float64
	// RateBurst is how many requests may arrive at once; default 2×RateLimit.
	RateBurst float64
	// KeyCacheTTL is how long a verified key is trusted without a lookup;
	// negative disables the cache. Default 10 s: the longest a key
	// revoked through another node stays usable here if the change feed
	// (Server.KeysChanged) is not wired or is down.
	KeyCacheTTL time.Duration
	// OpenAPI is the JSON spec served at /v1/openapi.json.
	OpenAPI []byte
	// Clock gives the time; default switchboard.SystemClock.
	Clock switchboard.Clock
	// CheckWebhookURL vets a URL that will receive signed POSTs (webhook
	// subscriptions and webhook endpoints), refusing private addresses;
	// nil accepts every well-formed URL.
	CheckWebhookURL func(ctx context.Context, url string) error
	// OnDeliveriesQueued, when set, is called after a request queued
	// webhook deliveries, to wake the delivery worker at once.
	OnDeliveriesQueued func()
	// Calls acts on live calls (the SIP edge); nil when the call plane is
	// not running, and then POST /v1/calls/{id}/hangup answers 503. Call
	// records are read from the store either way.
	Calls switchboard.CallControl
	// Originator places API-originated calls (the SIP edge); nil when the
	// call plane is not running, and then POST /v1/outbound-calls answers
	// 503 once the request is checked.
	Originator switchboard.CallOriginator
	// TestCaller places test calls (the SIP edge); nil when the call plane
	// is not running, and then POST /v1/phone-numbers/{id}/test-call
	// answers 503.
	TestCaller switchboard.TestCaller
	// OutboundCallRate is POST /v1/outbound-calls' own limit, in requests
	// per second per organisation (burst: as many), on top of RateLimit;
	// 0 means DefaultOutboundCallRate, negative disables it.
	OutboundCallRate float64
	// Node is this node's name in call records: a hangup of a call live
	// on another node is relayed to that node through the store.
	Node string
	// SIPDomain is the node's advertised SIP host: the address agent
	// providers send calls from a number to, and the digest realm of the
	// numbers' SIP credentials. "" issues no credentials on claims, and
	// rotation answers VALIDATION_ERROR.
	SIPDomain string
	// SIPTransports are the transports the node's SIP edge listens on
	// (udp, tcp, and tls when it has a TLS listener), shown with the
	// credentials.
	SIPTransports []string
	// StreamHeartbeat is how often an idle event stream sends a comment;
	// default DefaultStreamHeartbeat.
	StreamHeartbeat time.Duration
	// StreamBuffer is how many events a stream may fall behind before it
	// is ended with a SLOW_CONSUMER error; default DefaultStreamBuffer.
	StreamBuffer int
	// StreamWriteTimeout bounds each write to an event stream: a reader
	// that stops reading loses its stream; default
	// DefaultStreamWriteTimeout.
	StreamWriteTimeout time.Duration
}

// endpointBodies is implemented by a store that caches the encoded
// responses of endpoint reads with the endpoints (storecache). Encoding a
// page of endpoints costs more than the rest of a cached read, and the two
// most frequent reads of the API are of endpoints.
type endpointBodies interface {
	FindEndpointJSON(ctx context.Context, orgID, id string, encode func(*switchboard.Endpoint) ([]byte, error)) ([]byte, error)
	ListEndpointsJSON(ctx context.Context, orgID string, f switchboard.EndpointFilter, encode func([]*switchboard.Endpoint, int) ([]byte, error)) ([]byte, error)
}

// Server is the REST API over a store.
type Server struct {
	store   switchboard.Store
	bodies  endpointBodies // nil unless the store caches endpoint bodies
	logger  *slog.Logger
	keys    *keyCache
	limiter *limiter
	// outboundLimiter is POST /v1/outbound-calls' bucket per organisation.
	outboundLimiter *limiter
	openapi         []byte
	handler         http.Handler

	checkWebhookURL    func(ctx context.Context, url string) error
	onDeliveriesQueued func()
	calls              switchboard.CallControl
	originator         switchboard.CallOriginator
	testCaller         switchboard.TestCaller
	node               string
	sipDomain          string
	sipTransports      []string
	unhealthy          atomic.Bool // the last health check failed

	streams            *streamHub // the open event streams (events.go)
	streamHeartbeat    time.Duration
	streamBuffer       int
	streamWriteTimeout time.Duration
}

// NewServer returns the API server for store.
func NewServer(store switchboard.Store, logger *slog.Logger, cfg Config) *Server {
	if cfg.Clock == nil {
		cfg.Clock = switchboard.SystemClock
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = 2 * cfg.RateLimit
	}
	if cfg.KeyCacheTTL == 0 {
		cfg.KeyCacheTTL = 10 * time.Second
	}
	switch {
	case cfg.OutboundCallRate == 0:
		cfg.OutboundCallRate = DefaultOutboundCallRate
	case cfg.OutboundCallRate < 0:
		cfg.OutboundCallRate = 0 // the limiter's "no limit"
	}
	bodies, _ := store.(endpointBodies)
	s := &Server{
		store:   store,
		bodies:  bodies,
		logger:  logger,
		keys:    &keyCache{store: store, ttl: cfg.KeyCacheTTL, now: cfg.Clock, entries: map[string]*keyCacheEntry{}},
		limiter: &limiter{rate: cfg.RateLimit, burst: cfg.RateBurst, now: cfg.Clock, buckets: map[string]*bucket{}},
		outboundLimiter: &limiter{rate: cfg.OutboundCallRate, burst: max(1, cfg.OutboundCallRate),
			now: cfg.Clock, buckets: map[string]*bucket{}},
		openapi: cfg.OpenAPI,

		checkWebhookURL:    cfg.CheckWebhookURL,
		onDeliveriesQueued: cfg.OnDeliveriesQueued,
		calls:              cfg.Calls,
		originator:         cfg.Originator,
		testCaller:         cfg.TestCaller,
		node:               cfg.Node,
		sipDomain:          cfg.SIPDomain,
		sipTransports:      cfg.SIPTransports,

		streams:            newStreamHub(),
		streamHeartbeat:    cmp.Or(cfg.StreamHeartbeat, DefaultStreamHeartbeat),
		streamBuffer:       cmp.Or(cfg.StreamBuffer, DefaultStreamBuffer),
		streamWriteTimeout: cmp.Or(cfg.StreamWriteTimeout, DefaultStreamWriteTimeout),
	}
	s.handler = s.withRequest(s.routes())
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }
