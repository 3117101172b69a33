package httpapi

import (
	"net/http"
	"strings"

	"github.com/switchboard-voice/switchboard"
)

// apiPrefixes are the two spellings of the API root: KrosAI's guides use
// /v1, its Bridge overview /api/v1.
var apiPrefixes = []string{"/v1", "/api/v1"}

// routes is the whole HTTP surface of the API.
func (s *Server) routes() http.Handler {
	m := &router{mux: http.NewServeMux(), s: s}

	m.public("GET /healthz", s.handleHealth)
	m.public("GET {api}/openapi.json", s.handleOpenAPI)

	m.read("GET {api}/endpoints", switchboard.ScopeEndpointsRead, s.handleListEndpoints)
	m.write("POST {api}/endpoints", switchboard.ScopeEndpointsWrite, s.handleCreateEndpoint)
	m.read("GET {api}/endpoints/{id}", switchboard.ScopeEndpointsRead, s.handleGetEndpoint)
	m.write("PATCH {api}/endpoints/{id}", switchboard.ScopeEndpointsWrite, s.handleUpdateEndpoint)
	m.write("DELETE {api}/endpoints/{id}", switchboard.ScopeEndpointsWrite, s.handleDeleteEndpoint)

	m.read("GET {api}/phone-numbers", switchboard.ScopeNumbersRead, s.handleListPhoneNumbers)
	m.read("GET {api}/phone-numbers/available", switchboard.ScopeNumbersRead, s.handleListAvailable)
	m.write("POST {api}/phone-numbers", switchboard.ScopeNumbersWrite, s.handleClaimNumber)
	m.read("GET {api}/phone-numbers/{id}", switchboard.ScopeNumbersRead, s.handleGetPhoneNumber)
	m.read("GET {api}/phone-numbers/{id}/route", switchboard.ScopeNumbersRead, s.handleExplainRoute)
	m.write("PATCH {api}/phone-numbers/{id}", switchboard.ScopeNumbersWrite, s.handleUpdatePhoneNumber)
	m.write("DELETE {api}/phone-numbers/{id}", switchboard.ScopeNumbersWrite, s.handleReleaseNumber)
	// A test call places a call, like an outbound one: calls:write, and
	// the outbound calls' rate.
	m.writeLimited("POST {api}/phone-numbers/{id}/test-call", switchboard.ScopeCallsWrite, s.outboundLimiter, s.handleTestCall)
	m.write("POST {api}/phone-numbers/{id}/sip-credentials/rotate", switchboard.ScopeNumbersWrite, s.handleRotateSIPCredentials)

	m.read("GET {api}/trunks", switchboard.ScopeTrunksRead, s.handleListTrunks)
	m.write("POST {api}/trunks", switchboard.ScopeTrunksWrite, s.handleCreateTrunk)
	m.read("GET {api}/trunks/{id}", switchboard.ScopeTrunksRead, s.handleGetTrunk)
	m.write("PATCH {api}/trunks/{id}", switchboard.ScopeTrunksWrite, s.handleUpdateTrunk)
	m.write("DELETE {api}/trunks/{id}", switchboard.ScopeTrunksWrite, s.handleDeleteTrunk)

	m.read("GET {api}/webhooks", switchboard.ScopeWebhooksRead, s.handleListWebhooks)
	m.write("POST {api}/webhooks", switchboard.ScopeWebhooksWrite, s.handleCreateWebhook)
	m.read("GET {api}/webhooks/{id}", switchboard.ScopeWebhooksRead, s.handleGetWebhook)
	m.write("PATCH {api}/webhooks/{id}", switchboard.ScopeWebhooksWrite, s.handleUpdateWebhook)
	m.write("DELETE {api}/webhooks/{id}", switchboard.ScopeWebhooksWrite, s.handleDeleteWebhook)
	m.write("POST {api}/webhooks/{id}/rotate-secret", switchboard.ScopeWebhooksWrite, s.handleRotateWebhookSecret)
	m.write("POST {api}/webhooks/{id}/test", switchboard.ScopeWebhooksWrite, s.handleTestWebhook)
	m.read("GET {api}/webhook-deliveries", switchboard.ScopeWebhooksRead, s.handleListDeliveries)
	m.write("POST {api}/webhooks/{id}/replay", switchboard.ScopeWebhooksWrite, s.handleReplayWebhook)
	m.read("GET {api}/webhook-deliveries/{id}", switchboard.ScopeWebhooksRead, s.handleGetDelivery)
	m.write("POST {api}/webhook-deliveries/{id}/retry", switchboard.ScopeWebhooksWrite, s.handleRetryDelivery)

	m.read("GET {api}/events", switchboard.ScopeWebhooksRead, s.handleListEvents)
	m.read("GET {api}/events/stream", switchboard.ScopeWebhooksRead, s.handleEventStream)
	m.read("GET {api}/events/{id}", switchboard.ScopeWebhooksRead, s.handleGetEvent)

	m.read("GET {api}/api-keys", switchboard.ScopeKeysRead, s.handleListAPIKeys)
	m.write("POST {api}/api-keys", switchboard.ScopeKeysWrite, s.handleCreateAPIKey)
	m.read("GET {api}/api-keys/{id}", switchboard.ScopeKeysRead, s.handleGetAPIKey)
	m.write("DELETE {api}/api-keys/{id}", switchboard.ScopeKeysWrite, s.handleRevokeAPIKey)

	m.read("GET {api}/calls", switchboard.ScopeCallsRead, s.handleListCalls)
	m.read("GET {api}/calls/stats", switchboard.ScopeCallsRead, s.handleCallStats)
	m.read("GET {api}/calls/{id}", switchboard.ScopeCallsRead, s.handleGetCall)
	m.read("GET {api}/calls/{id}/events", switchboard.ScopeCallsRead, s.handleListCallEvents)
	m.write("POST {api}/calls/{id}/hangup", switchboard.ScopeCallsWrite, s.handleHangupCall)
	// KrosAI's guides spell it both ways.
	m.writeLimited("POST {api}/outbound-calls", switchboard.ScopeCallsWrite, s.outboundLimiter, s.handleCreateOutboundCall)
	m.writeLimited("POST {api}/outbound-call", switchboard.ScopeCallsWrite, s.outboundLimiter, s.handleCreateOutboundCall)

	m.fallbacks()
	return m.mux
}

// handlerFunc is the form of every handler and middleware of the API: it
// writes a successful response itself and returns an error instead of
// writing one, for h to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// h adapts fn to net/http. It is the one place where a returned error
// becomes a response: writeError's envelope while nothing has been
// written, else a log line, since a response that has started cannot be
// replaced.
func (s *Server) h(fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

// fail renders err for h, and for withRequest when a handler panics.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if sw, ok := w.(interface{ started() bool }); ok && sw.started() {
		s.logger.ErrorContext(r.Context(), "error after the response started", "request_id", requestID(r.Context()),
			"method", r.Method, "path", r.URL.Path, "err", err)
		return
	}
	s.writeError(w, r, err)
}

// router registers each route under every API prefix.
type router struct {
	mux *http.ServeMux
	s   *Server
}

func (m *router) handle(pattern string, h handlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	prefixes := []string{""}
	if strings.Contains(path, "{api}") {
		prefixes = apiPrefixes
	}
	hf := m.s.h(h)
	for _, p := range prefixes {
		m.mux.HandleFunc(method+" "+strings.Replace(path, "{api}", p, 1), hf)
	}
}

func (m *router) public(pattern string, h handlerFunc) { m.handle(pattern, h) }

func (m *router) read(pattern string, scope switchboard.Scope, h handlerFunc) {
	m.handle(pattern, m.s.authenticate(scope, h))
}

// write registers a route that changes state. Any change may have queued
// webhook deliveries, so the delivery worker is woken after it (a
// non-blocking signal; the worker also polls). The handler is adapted
// before idempotent wraps it, so that its error responses are stored and
// replayed like any other.
func (m *router) write(pattern string, scope switchboard.Scope, h handlerFunc) {
	m.writeLimited(pattern, scope, nil, h)
}

// writeLimited is write with a rate limit of the route's own, per
// organisation, on top of the key's (nil: none). It is checked before the
// Idempotency-Key, so that a refused request costs no write and is never
// stored to be replayed.
func (m *router) writeLimited(pattern string, scope switchboard.Scope, l *limiter, h handlerFunc) {
	notify := m.s.onDeliveriesQueued
	if notify != nil {
		inner := h
		h = func(w http.ResponseWriter, r *http.Request) error {
			err := inner(w, r)
			notify()
			return err
		}
	}
	inner := m.s.idempotent(m.s.h(h))
	if l != nil {
		idem := inner
		inner = func(w http.ResponseWriter, r *http.Request) error {
			if err := l.allow(w, apiKey(r.Context()).OrganizationID); err != nil {
				return err
			}
			return idem(w, r)
		}
	}
	m.handle(pattern, m.s.authenticate(scope, inner))
}

// fallbacks answers unmatched requests with the JSON envelope: 405 when the
// path exists under another method, else 404. The catch-all "/" pattern
// also receives wrong-method requests (ServeMux only writes its own text
// 405 when nothing matches), so the check costs nothing on matched routes.
func (m *router) fallbacks() {
	m.mux.HandleFunc("/", m.s.h(func(w http.ResponseWriter, r *http.Request) error {
		for _, method := range []string{"GET", "POST", "PATCH", "DELETE"} {
			probe := r.Clone(r.Context())
			probe.Method = method
			if _, pattern := m.mux.Handler(probe); pattern != "/" && pattern != "" {
				return switchboard.Errorf(switchboard.ECodeMethodNotAllowed, "method %s is not allowed on %s", r.Method, r.URL.Path)
			}
		}
		return switchboard.Errorf(switchboard.ECodeNotFound, "no such route: %s %s", r.Method, r.URL.Path)
	}))
}
