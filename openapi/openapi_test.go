package openapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/openapi"
	"github.com/switchboard-voice/switchboard/openapi/openapitest"
)

func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.YAML())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return doc
}

func TestSpecValidates(t *testing.T) {
	doc := loadDoc(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/v1" {
		t.Errorf("servers = %v, want just /v1", doc.Servers)
	}
	for _, name := range []string{"ApiKeyHeader", "BearerAuth"} {
		if doc.Components.SecuritySchemes[name] == nil {
			t.Errorf("security scheme %s missing", name)
		}
	}
}

// TestOperationConventions checks what the brief asks of every operation:
// an operationId, a summary, one known tag, the right security and the
// shared error responses.
func TestOperationConventions(t *testing.T) {
	doc := loadDoc(t)
	tags := []string{"Endpoints", "Phone Numbers", "Calls", "Trunks", "API Keys", "Webhooks", "Webhook Deliveries", "Events", "System"}
	ids := map[string]bool{}
	public := map[string]bool{"/healthz": true, "/openapi.json": true}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s: missing or duplicate operationId %q", name, op.OperationID)
			}
			ids[op.OperationID] = true
			if op.Summary == "" {
				t.Errorf("%s: no summary", name)
			}
			if len(op.Tags) != 1 || !slices.Contains(tags, op.Tags[0]) {
				t.Errorf("%s: tags %v, want one of %v", name, op.Tags, tags)
			}
			want := []string{"405", "500"}
			if public[path] {
				if op.Security == nil || len(*op.Security) != 0 {
					t.Errorf("%s: must have security: []", name)
				}
			} else {
				if op.Security != nil {
					t.Errorf("%s: should inherit the global security", name)
				}
				want = append(want, "400", "401", "403", "404", "429")
				if method != http.MethodGet {
					want = append(want, "409", "413", "415", "422")
				}
			}
			for _, code := range want {
				if op.Responses.Value(code) == nil {
					t.Errorf("%s: no %s response", name, code)
				}
			}
			for code, ref := range op.Responses.Map() {
				if ref.Value.Headers["x-request-id"] == nil {
					t.Errorf("%s %s: x-request-id not documented", name, code)
				}
			}
			if !public[path] && method != http.MethodGet {
				var found bool
				for _, p := range op.Parameters {
					found = found || (p.Value.In == "header" && p.Value.Name == "Idempotency-Key")
				}
				if !found {
					t.Errorf("%s: no Idempotency-Key parameter", name)
				}
			}
		}
	}
	sec := doc.Security
	if len(sec) != 2 || sec[0]["ApiKeyHeader"] == nil || sec[1]["BearerAuth"] == nil {
		t.Errorf("global security = %v", sec)
	}
}

func TestJSON(t *testing.T) {
	b, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("JSON() is not JSON: %v", err)
	}
	if m["openapi"] != "3.0.3" {
		t.Errorf("openapi = %v, want 3.0.3", m["openapi"])
	}
	if _, ok := m["paths"].(map[string]any)["/endpoints/{id}"]; !ok {
		t.Errorf("paths lack /endpoints/{id}")
	}
	// The JSON form is itself a valid document.
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatalf("reload JSON: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate JSON form: %v", err)
	}
	b2, _ := openapi.JSON()
	if string(b) != string(b2) {
		t.Errorf("JSON() not stable")
	}
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	panic("Fatalf")
}

var now = time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC)

func agentEndpoint() *switchboard.Endpoint {
	return &switchboard.Endpoint{
		ID: "ep_3fGh5JkL7mNp9QrStUvW", OrganizationID: "org_9aB8cD7eF6gH5iJ4kL3m",
		Name: "Support", Type: switchboard.EndpointAgent,
		URL: "sip:sip.rtc.elevenlabs.io:5060;transport=tcp", Status: switchboard.StatusActive,
		ProviderConfig: &switchboard.ProviderConfig{Provider: switchboard.ProviderElevenLabs, AgentID: "agent_1"},
		Headers:        map[string]string{"X-Tenant": "acme"},
		RingTimeout:    30,
		Credentials:    &switchboard.SIPCredentials{Username: "bob", Password: "s3cret"},
		CreatedAt:      now, UpdatedAt: now,
	}
}

func phoneNumber(attached bool) *switchboard.PhoneNumber {
	pn := &switchboard.PhoneNumber{
		ID: "pn_7hJ2kL4mN6pQ8rS0tU2v", OrganizationID: "org_9aB8cD7eF6gH5iJ4kL3m",
		InventoryID: "inv_8dJk2LmQ0pRs4TuVwXyZ", Number: "+2348012345678", E164: "+2348012345678",
		Country: "NG", Type: switchboard.NumberLocal, Status: "active",
		AllowInbound: true, AllowOutbound: true, CreatedAt: now, UpdatedAt: now,
	}
	if attached {
		id := "ep_3fGh5JkL7mNp9QrStUvW"
		pn.EndpointID = &id
		pn.Endpoint = &switchboard.EndpointSummary{ID: id, Name: "Support", Type: "agent", Provider: "elevenlabs", Status: "active"}
	}
	return pn
}

func subscription(rotated bool) *switchboard.Webhook {
	w := &switchboard.Webhook{
		ID: "wh_5tGh7JkL9mNp1QrStUvX", OrganizationID: "org_9aB8cD7eF6gH5iJ4kL3m",
		URL: "https://example.com/hook", Events: []string{"call.*", "endpoint.created", "*"}, Active: true,
		Secret: switchboard.NewSigningSecret(), CreatedAt: now, UpdatedAt: now,
	}
	if rotated {
		exp := now.Add(switchboard.SecretOverlap)
		w.PreviousSecret, w.PreviousSecretExpiresAt = switchboard.NewSigningSecret(), &exp
	}
	return w
}

func delivery(attempted bool) *switchboard.Delivery {
	wh := "wh_5tGh7JkL9mNp1QrStUvX"
	d := &switchboard.Delivery{
		ID: "whd_8kL0mN2pQ4rS6tU8vW0x", OrganizationID: "org_9aB8cD7eF6gH5iJ4kL3m", WebhookID: &wh,
		EventID: "evt_1", Event: switchboard.EventEndpointCreated, URL: "https://example.com/hook",
		Status: switchboard.DeliveryPending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now,
	}
	if attempted {
		code := 503
		d.AttemptCount, d.LastStatusCode = 2, &code
		d.Payload = json.RawMessage(`{"id":"evt_1","event":"endpoint.created","timestamp":"2025-01-15T10:30:00Z","data":{"id":"ep_1"}}`)
		d.Attempts = []switchboard.DeliveryAttempt{
			{Number: 1, AttemptedAt: now, LatencyMS: 15000, Error: "timeout"},
			{Number: 2, AttemptedAt: now, StatusCode: 503, LatencyMS: 12, ResponseExcerpt: "busy"},
		}
	}
	return d
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withField adds key=val to the JSON object at path (dot-separated, "" for
// the top level) of b.
func withField(t *testing.T, b []byte, path, key string, val any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	obj := m
	if path != "" {
		for _, p := range strings.Split(path, ".") {
			obj = obj[p].(map[string]any)
		}
	}
	obj[key] = val
	return mustJSON(t, m)
}

type exchange struct {
	name    string
	method  string
	target  string
	status  int
	headers map[string]string // set on top of the defaults; "" deletes
	body    []byte
	wantErr string // "" means the exchange must pass
}

func defaultHeaders() map[string]string {
	return map[string]string{
		"Content-Type":          "application/json",
		"x-request-id":          "req_4kP9sT2vX7zB1dF6hJ3m",
		"X-RateLimit-Limit":     "2.5",
		"X-RateLimit-Remaining": "9",
		"X-RateLimit-Reset":     "1736937000",
	}
}

func errorBody(code, msg string) []byte {
	return []byte(fmt.Sprintf(`{"error":%q,"code":%q,"request_id":"req_4kP9sT2vX7zB1dF6hJ3m"}`, msg, code))
}

func run(t *testing.T, v *openapitest.Validator, x exchange) []string {
	t.Helper()
	req := httptest.NewRequest(x.method, "http://127.0.0.1:8080"+x.target, nil)
	w := httptest.NewRecorder()
	h := defaultHeaders()
	for k, val := range x.headers {
		if val == "" {
			delete(h, k)
		} else {
			h[k] = val
		}
	}
	for k, val := range h {
		w.Header().Set(k, val)
	}
	w.WriteHeader(x.status)
	w.Write(x.body)
	resp := w.Result()
	rec := &recorder{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != "Fatalf" {
				panic(r)
			}
		}()
		v.Check(rec, req, resp, nil)
	}()
	return rec.errs
}

func TestValidatorCheck(t *testing.T) {
	v := openapitest.New(t)
	ep := mustJSON(t, agentEndpoint())
	webhook := &switchboard.Endpoint{
		ID: "ep_1", OrganizationID: "org_1", Name: "Hook", Type: "webhook",
		URL: "https://example.com/hook", Status: "inactive", Secret: switchboard.NewSigningSecret(),
		RingTimeout: 30, CreatedAt: now, UpdatedAt: now,
	}
	spec, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	inv, err := switchboard.NewInventoryNumber("+2348012345678", "", "")
	if err != nil {
		t.Fatal(err)
	}
	available := map[string]any{
		"id": "inv_1", "inventory_id": "inv_1", "number": inv.Number, "e164": inv.Number,
		"country": inv.Country, "type": inv.Type, "created_at": now,
	}
	public := map[string]string{"X-RateLimit-Limit": "", "X-RateLimit-Remaining": "", "X-RateLimit-Reset": ""}
	hook := subscription(false)
	rotated := subscription(true)
	event := &switchboard.Event{ID: "evt_1", Type: switchboard.EventWebhookTest, Timestamp: now,
		Data: json.RawMessage(`{"webhook_id":"wh_1","message":"hi"}`)}
	pending := delivery(false)
	attempted := delivery(true)

	cases := []exchange{
		{name: "agent endpoint", method: "GET", target: "/v1/endpoints/ep_3fGh5JkL7mNp9QrStUvW", status: 200, body: ep},
		{name: "/api/v1 alias", method: "GET", target: "/api/v1/endpoints/ep_3fGh5JkL7mNp9QrStUvW", status: 200, body: ep},
		{name: "webhook endpoint created", method: "POST", target: "/v1/endpoints", status: 201, body: mustJSON(t, webhook)},
		{name: "replayed", method: "POST", target: "/v1/endpoints", status: 201, body: mustJSON(t, webhook),
			headers: map[string]string{"Idempotent-Replayed": "true"}},
		{name: "endpoint list", method: "GET", target: "/v1/endpoints?type=agent&limit=10", status: 200,
			body: mustJSON(t, map[string]any{"endpoints": []any{agentEndpoint(), webhook}, "total": 2, "limit": 10, "offset": 0})},
		{name: "endpoint deleted", method: "DELETE", target: "/v1/endpoints/ep_1", status: 200,
			body: []byte(`{"id":"ep_1","deleted":true,"detached_phone_numbers":2}`)},
		{name: "phone number attached", method: "GET", target: "/v1/phone-numbers/pn_1", status: 200, body: mustJSON(t, phoneNumber(true))},
		{name: "phone number detached", method: "PATCH", target: "/v1/phone-numbers/pn_1", status: 200, body: mustJSON(t, phoneNumber(false))},
		{name: "phone number claimed", method: "POST", target: "/v1/phone-numbers", status: 201, body: mustJSON(t, phoneNumber(false))},
		{name: "phone number released", method: "DELETE", target: "/v1/phone-numbers/pn_1?action=release", status: 200,
			body: []byte(`{"id":"pn_1","released":true,"number":"+2348012345678"}`)},
		{name: "empty phone number list", method: "GET", target: "/v1/phone-numbers", status: 200,
			body: []byte(`{"phone_numbers":[],"total":0,"limit":50,"offset":0}`)},
		{name: "assigned list", method: "GET", target: "/v1/phone-numbers", status: 200,
			body: mustJSON(t, map[string]any{"phone_numbers": []any{phoneNumber(true)}, "total": 1, "limit": 50, "offset": 0})},
		{name: "available via action", method: "GET", target: "/v1/phone-numbers?action=available&country=NG", status: 200,
			body: mustJSON(t, map[string]any{"phone_numbers": []any{available}, "total": 1, "limit": 50, "offset": 0})},
		{name: "available", method: "GET", target: "/v1/phone-numbers/available", status: 200,
			body: mustJSON(t, map[string]any{"phone_numbers": []any{available}, "total": 1, "limit": 50, "offset": 0})},
		{name: "webhook created", method: "POST", target: "/v1/webhooks", status: 201, body: mustJSON(t, hook)},
		{name: "webhook rotated", method: "POST", target: "/api/v1/webhooks/wh_1/rotate-secret", status: 200, body: mustJSON(t, rotated)},
		{name: "webhook list", method: "GET", target: "/v1/webhooks?limit=5", status: 200,
			body: mustJSON(t, map[string]any{"webhooks": []any{hook, rotated}, "total": 2, "limit": 5, "offset": 0})},
		{name: "webhook deleted", method: "DELETE", target: "/v1/webhooks/wh_1", status: 200, body: []byte(`{"id":"wh_1","deleted":true}`)},
		{name: "test event", method: "POST", target: "/v1/webhooks/wh_1/test", status: 202, body: mustJSON(t, event)},
		{name: "delivery list", method: "GET", target: "/v1/webhook-deliveries?status=pending&webhook_id=wh_1", status: 200,
			body: mustJSON(t, map[string]any{"webhook_deliveries": []any{pending}, "total": 1, "limit": 50, "offset": 0})},
		{name: "delivery with attempts", method: "GET", target: "/v1/webhook-deliveries/whd_1", status: 200, body: mustJSON(t, attempted)},
		{name: "delivery retried", method: "POST", target: "/v1/webhook-deliveries/whd_1/retry", status: 202, body: mustJSON(t, attempted)},
		{name: "delivery retry replayed", method: "POST", target: "/api/v1/webhook-deliveries/whd_1/retry", status: 202, body: mustJSON(t, attempted),
			headers: map[string]string{"Idempotent-Replayed": "true"}},
		{name: "retry of a pending delivery", method: "POST", target: "/v1/webhook-deliveries/whd_1/retry", status: 409,
			body: errorBody("CONFLICT", "Webhook delivery whd_1 is still pending.")},
		{name: "retry of an unknown delivery", method: "POST", target: "/v1/webhook-deliveries/whd_nope/retry", status: 404,
			body: errorBody("DELIVERY_NOT_FOUND", "Delivery not found.")},
		{name: "deliveries replayed", method: "POST", target: "/v1/webhooks/wh_1/replay", status: 202,
			body: []byte(`{"webhook_id":"wh_1","since":"2025-01-15T00:00:00Z","replayed":3}`)},
		{name: "replay without since", method: "POST", target: "/v1/webhooks/wh_1/replay", status: 400,
			body: []byte(`{"error":"since is required","code":"VALIDATION_ERROR","details":{"field":"since"},"request_id":"req_1"}`)},
		{name: "webhook not found", method: "GET", target: "/v1/webhooks/wh_nope", status: 404, body: errorBody("WEBHOOK_NOT_FOUND", "Webhook not found.")},
		{name: "delivery not found", method: "GET", target: "/v1/webhook-deliveries/whd_nope", status: 404, body: errorBody("DELIVERY_NOT_FOUND", "Delivery not found.")},
		{name: "healthz", method: "GET", target: "/healthz", status: 200, body: []byte(`{"status":"ok"}`), headers: public},
		{name: "openapi.json", method: "GET", target: "/v1/openapi.json", status: 200, body: spec, headers: public},
		{name: "validation error", method: "POST", target: "/v1/endpoints", status: 400,
			body: []byte(`{"error":"name is required","code":"VALIDATION_ERROR","details":{"field":"name"},"request_id":"req_1"}`)},
		{name: "unauthorized", method: "GET", target: "/v1/endpoints", status: 401, body: errorBody("MISSING_API_KEY", "no key"), headers: public},
		{name: "rate limited", method: "GET", target: "/v1/endpoints", status: 429, headers: map[string]string{"Retry-After": "1"},
			body: []byte(`{"error":"slow down","code":"RATE_LIMIT_EXCEEDED","request_id":"req_1","retry_after":1}`)},
		{name: "not found", method: "GET", target: "/v1/endpoints/ep_nope", status: 404, body: errorBody("ENDPOINT_NOT_FOUND", "Endpoint not found.")},
		{name: "unknown path answered 404", method: "GET", target: "/v1/recordings", status: 404, body: errorBody("NOT_FOUND", "Not found."), headers: public},
		{name: "unknown method answered 405", method: "PUT", target: "/v1/endpoints/ep_1", status: 405,
			body: errorBody("METHOD_NOT_ALLOWED", "no"), headers: map[string]string{"Allow": "GET, PATCH, DELETE"}},

		{name: "leaked password", method: "GET", target: "/v1/endpoints/ep_1", status: 200,
			body: withField(t, ep, "credentials", "password", "s3cret"), wantErr: "password"},
		{name: "stray top-level field", method: "GET", target: "/v1/endpoints/ep_1", status: 200,
			body: withField(t, ep, "", "internal_note", "x"), wantErr: "internal_note"},
		{name: "undocumented path", method: "GET", target: "/v1/recordings", status: 200, body: []byte(`{"recordings":[]}`), wantErr: "undocumented route"},
		{name: "healthz under /v1", method: "GET", target: "/v1/healthz", status: 200, body: []byte(`{"status":"ok"}`), wantErr: "undocumented route"},
		{name: "undocumented method", method: "PUT", target: "/v1/endpoints/ep_1", status: 200, body: ep, wantErr: "undocumented route"},
		{name: "undocumented status", method: "GET", target: "/v1/endpoints/ep_1", status: 418, body: errorBody("TEAPOT", "no"), wantErr: "status is not supported"},
		{name: "no request id", method: "GET", target: "/v1/endpoints/ep_1", status: 200, body: ep,
			headers: map[string]string{"x-request-id": ""}, wantErr: "x-request-id"},
		{name: "no rate limit headers", method: "GET", target: "/v1/endpoints/ep_1", status: 200, body: ep,
			headers: public, wantErr: "X-RateLimit"},
		{name: "429 without Retry-After", method: "GET", target: "/v1/endpoints", status: 429,
			body: []byte(`{"error":"slow down","code":"RATE_LIMIT_EXCEEDED","request_id":"req_1","retry_after":1}`), wantErr: "Retry-After"},
		{name: "429 without retry_after", method: "GET", target: "/v1/endpoints", status: 429, headers: map[string]string{"Retry-After": "1"},
			body: errorBody("RATE_LIMIT_EXCEEDED", "slow down"), wantErr: "retry_after"},
		{name: "code of another status", method: "GET", target: "/v1/endpoints/ep_1", status: 400,
			body: errorBody("ENDPOINT_NOT_FOUND", "nope"), wantErr: "code"},
		{name: "error without request_id", method: "GET", target: "/v1/endpoints/ep_1", status: 404,
			body: []byte(`{"error":"nope","code":"ENDPOINT_NOT_FOUND"}`), wantErr: "request_id"},
		{name: "text body", method: "GET", target: "/v1/endpoints/ep_1", status: 404,
			headers: map[string]string{"Content-Type": "text/plain; charset=utf-8"}, body: []byte("404 page not found"), wantErr: "text/plain"},
		{name: "non-UTC time", method: "GET", target: "/v1/endpoints/ep_1", status: 200,
			body: withField(t, ep, "", "created_at", "2025-01-15T11:30:00+01:00"), wantErr: "created_at"},
		{name: "bad provider", method: "GET", target: "/v1/endpoints/ep_1", status: 200,
			body: withField(t, ep, "provider_config", "provider", "fax"), wantErr: "provider"},
		{name: "previous secret leaked", method: "GET", target: "/v1/webhooks/wh_1", status: 200,
			body: withField(t, mustJSON(t, rotated), "", "previous_secret", "whsec_old"), wantErr: "previous_secret"},
		{name: "alias not stored canonically", method: "GET", target: "/v1/webhooks/wh_1", status: 200,
			body: withField(t, mustJSON(t, hook), "", "events", []string{"call.ended"}), wantErr: "events"},
		{name: "unknown delivery status", method: "GET", target: "/v1/webhook-deliveries/whd_1", status: 200,
			body: withField(t, mustJSON(t, pending), "", "status", "lost"), wantErr: "status"},
		{name: "test event answered 200", method: "POST", target: "/v1/webhooks/wh_1/test", status: 200, body: mustJSON(t, event),
			wantErr: "status is not supported"},
		{name: "retry answered 200", method: "POST", target: "/v1/webhook-deliveries/whd_1/retry", status: 200, body: mustJSON(t, attempted),
			wantErr: "status is not supported"},
		{name: "retry with a stray field", method: "POST", target: "/v1/webhook-deliveries/whd_1/retry", status: 202,
			body: withField(t, mustJSON(t, attempted), "", "lease_owner", "wrk_1"), wantErr: "lease_owner"},
		{name: "replay count negative", method: "POST", target: "/v1/webhooks/wh_1/replay", status: 202,
			body: []byte(`{"webhook_id":"wh_1","since":"2025-01-15T00:00:00Z","replayed":-1}`), wantErr: "replayed"},
		{name: "replay since not UTC", method: "POST", target: "/v1/webhooks/wh_1/replay", status: 202,
			body: []byte(`{"webhook_id":"wh_1","since":"2025-01-15T01:00:00+01:00","replayed":0}`), wantErr: "since"},
		{name: "replay without count", method: "POST", target: "/v1/webhooks/wh_1/replay", status: 202,
			body: []byte(`{"webhook_id":"wh_1","since":"2025-01-15T00:00:00Z"}`), wantErr: "replayed"},
		{name: "route to an agent", method: "GET", target: "/v1/phone-numbers/pn_1/route", status: 200,
			body: []byte(`{"phone_number_id":"pn_1","number":"+2348012345678","decision":"agent","endpoint_id":"ep_1","used_fallback":false,"reason":"routed","sip_status":null,"endpoint":{"id":"ep_1","name":"Support","type":"agent","provider":"elevenlabs","status":"active"},"targets":[{"endpoint_id":"ep_1","fallback":false,"endpoint":{"id":"ep_1","name":"Support","type":"agent","provider":"elevenlabs","status":"active"}},{"endpoint_id":"ep_2","fallback":true,"endpoint":{"id":"ep_2","name":"Router","type":"webhook","status":"active"}}]}`)},
		{name: "route without its chain", method: "GET", target: "/v1/phone-numbers/pn_1/route", status: 200,
			body: []byte(`{"phone_number_id":"pn_1","number":"+2348012345678","decision":"agent","endpoint_id":"ep_1","used_fallback":false,"reason":"routed","sip_status":null,"endpoint":{"id":"ep_1","name":"Support","type":"agent","provider":"elevenlabs","status":"active"}}`), wantErr: "targets"},
		{name: "route rejected", method: "GET", target: "/v1/phone-numbers/pn_1/route", status: 200,
			body: []byte(`{"phone_number_id":"pn_1","number":"+2348012345678","decision":"reject","endpoint_id":null,"used_fallback":false,"reason":"no_endpoint","sip_status":480,"targets":[]}`)},
		{name: "route with an unknown reason", method: "GET", target: "/v1/phone-numbers/pn_1/route", status: 200,
			body: []byte(`{"phone_number_id":"pn_1","number":"+2348012345678","decision":"reject","endpoint_id":null,"used_fallback":false,"reason":"busy","sip_status":486,"targets":[]}`), wantErr: "reason"},
		{name: "number not E.164", method: "GET", target: "/v1/phone-numbers/pn_1", status: 200,
			body: withField(t, mustJSON(t, phoneNumber(false)), "", "number", "08012345678"), wantErr: "number"},
	}
	for _, x := range cases {
		t.Run(x.name, func(t *testing.T) {
			errs := run(t, v, x)
			switch {
			case x.wantErr == "" && len(errs) > 0:
				t.Errorf("want no error, got:\n%s", strings.Join(errs, "\n"))
			case x.wantErr != "" && len(errs) == 0:
				t.Errorf("want an error mentioning %q, got none", x.wantErr)
			case x.wantErr != "" && !strings.Contains(strings.Join(errs, "\n"), x.wantErr):
				t.Errorf("want an error mentioning %q, got:\n%s", x.wantErr, strings.Join(errs, "\n"))
			}
		})
	}
}

func TestOperations(t *testing.T) {
	v := openapitest.New(t)
	got := v.Operations()
	want := []string{
		"DELETE /v1/api-keys/{id}",
		"DELETE /v1/endpoints/{id}",
		"DELETE /v1/phone-numbers/{id}",
		"DELETE /v1/trunks/{id}",
		"DELETE /v1/webhooks/{id}",
		"GET /healthz",
		"GET /v1/api-keys",
		"GET /v1/api-keys/{id}",
		"GET /v1/calls",
		"GET /v1/calls/stats",
		"GET /v1/calls/{id}",
		"GET /v1/calls/{id}/events",
		"GET /v1/endpoints",
		"GET /v1/endpoints/{id}",
		"GET /v1/events",
		"GET /v1/events/stream",
		"GET /v1/events/{id}",
		"GET /v1/openapi.json",
		"GET /v1/phone-numbers",
		"GET /v1/phone-numbers/available",
		"GET /v1/phone-numbers/{id}",
		"GET /v1/phone-numbers/{id}/route",
		"GET /v1/trunks",
		"GET /v1/trunks/{id}",
		"GET /v1/webhook-deliveries",
		"GET /v1/webhook-deliveries/{id}",
		"GET /v1/webhooks",
		"GET /v1/webhooks/{id}",
		"PATCH /v1/endpoints/{id}",
		"PATCH /v1/phone-numbers/{id}",
		"PATCH /v1/trunks/{id}",
		"PATCH /v1/webhooks/{id}",
		"POST /v1/api-keys",
		"POST /v1/calls/{id}/hangup",
		"POST /v1/endpoints",
		"POST /v1/outbound-call",
		"POST /v1/outbound-calls",
		"POST /v1/phone-numbers",
		"POST /v1/phone-numbers/{id}/sip-credentials/rotate",
		"POST /v1/phone-numbers/{id}/test-call",
		"POST /v1/trunks",
		"POST /v1/webhook-deliveries/{id}/retry",
		"POST /v1/webhooks",
		"POST /v1/webhooks/{id}/replay",
		"POST /v1/webhooks/{id}/rotate-secret",
		"POST /v1/webhooks/{id}/test",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Operations() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
