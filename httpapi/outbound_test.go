package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/httpapi"
	"github.com/switchboard-voice/switchboard/sqlite"
)

// recordingOriginator stands in for the SIP edge in these tests for one
// purpose only: to see the OutboundCall the API hands to its
// CallOriginator (the request → OutboundCall mapping) and how the API
// renders what Originate returns (its record, or the error its contract
// names). It places no call and stores nothing. Placing calls is the SIP
// edge's, and the success path through the real edge is tested end to end
// in cmd/switchboard.
type recordingOriginator struct {
	mu  sync.Mutex
	got []*switchboard.OutboundCall
	err error // returned instead of a record, when set
}

func (o *recordingOriginator) Originate(ctx context.Context, oc *switchboard.OutboundCall) (*switchboard.Call, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, oc)
	if o.err != nil {
		return nil, o.err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	return &switchboard.Call{
		ID: switchboard.NewID(switchboard.PrefixCall), OrganizationID: oc.OrganizationID,
		Direction: switchboard.DirectionOutbound, FromNumber: oc.Number.Number, ToNumber: oc.To,
		PhoneNumberID: &oc.Number.ID, EndpointID: &oc.Endpoint.ID, Status: switchboard.CallInitiated,
		Metadata: oc.Metadata, CreatedAt: now, UpdatedAt: now,
	}, nil
}

// calls returns what Originate was given so far.
func (o *recordingOriginator) calls() []*switchboard.OutboundCall {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*switchboard.OutboundCall(nil), o.got...)
}

func (o *recordingOriginator) fail(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.err = err
}

// Numbers of the outbound tests.
const (
	obMain      = "+14155550101" // A's, with agent A and outbound allowed
	obNoEP      = "+14155550102" // A's, no endpoint
	obNoOut     = "+14155550103" // A's, allow_outbound false
	obTheirs    = "+14155550104" // B's
	obNoTrunk   = "+14155550105" // C's; C has no trunk
	obNobody    = "+14155550106" // in the inventory, held by nobody
	obCallee    = "+2348012345678"
	obCalleeFmt = "+234 801 234 5678"
)

// outboundEnv is the API over a fresh SQLite store with three
// organisations: A (two endpoints, a trunk, three numbers), B (its own
// number, agent and trunk) and C (a number and an agent, no trunk).
type outboundEnv struct {
	t                *testing.T
	db               *sqlite.DB
	orgA, orgB, orgC string
	keyA, keyB, keyC string
	keyARead         string // calls:read only
	agentA, hookA    *switchboard.Endpoint
	agentB           *switchboard.Endpoint
	trunkA           *switchboard.Trunk
	numbers          map[string]*switchboard.PhoneNumber
	orig             *recordingOriginator
	now              time.Time // the API's clock
	clockMu          sync.Mutex
	logger           *slog.Logger
	outboundRate     float64 // Config.OutboundCallRate; -1 (no limit) unless a test sets it
}

func newOutboundEnv(t *testing.T) *outboundEnv {
	t.Helper()
	ctx := context.Background()
	db := openDB(t, "outbound.db")
	e := &outboundEnv{t: t, db: db, numbers: map[string]*switchboard.PhoneNumber{}, orig: &recordingOriginator{}, outboundRate: -1,
		now: time.Date(2025, 1, 10, 10, 0, 0, 0, time.UTC), logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	org := func(name string) string {
		o, _, err := db.EnsureOrganization(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	e.orgA, e.orgB, e.orgC = org("a"), org("b"), org("c")
	e.keyA, e.keyB, e.keyC = newTestKey(t, db, e.orgA, switchboard.AllScopes...),
		newTestKey(t, db, e.orgB, switchboard.AllScopes...), newTestKey(t, db, e.orgC, switchboard.AllScopes...)
	e.keyARead = newTestKey(t, db, e.orgA, switchboard.ScopeCallsRead)
	e.agentA, e.hookA = e.agent(e.orgA, "a"), e.hook(e.orgA, "crm")
	e.agentB = e.agent(e.orgB, "b")
	agentC := e.agent(e.orgC, "c")
	e.trunkA = e.trunk(e.orgA, "a")
	e.trunk(e.orgB, "b")
	var inv []*switchboard.InventoryNumber
	for _, n := range []string{obMain, obNoEP, obNoOut, obTheirs, obNoTrunk, obNobody} {
		in, err := switchboard.NewInventoryNumber(n, "", "")
		if err != nil {
			t.Fatal(err)
		}
		inv = append(inv, in)
	}
	if _, err := db.AddInventory(ctx, inv); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		org, number string
		ep          *switchboard.Endpoint
		out         bool
	}{
		{e.orgA, obMain, e.agentA, true}, {e.orgA, obNoEP, nil, true}, {e.orgA, obNoOut, e.agentA, false},
		{e.orgB, obTheirs, e.agentB, true}, {e.orgC, obNoTrunk, agentC, true},
	} {
		req := switchboard.ClaimRequest{Number: c.number, AllowInbound: true, AllowOutbound: c.out}
		if c.ep != nil {
			req.EndpointID = &c.ep.ID
		}
		pn, err := db.ClaimNumber(ctx, c.org, req)
		if err != nil {
			t.Fatal(err)
		}
		e.numbers[c.number] = pn
	}
	return e
}

func (e *outboundEnv) agent(orgID, name string) *switchboard.Endpoint {
	return e.endpoint(orgID, switchboard.EndpointInput{Name: "agent " + name, Type: switchboard.EndpointAgent,
		ProviderConfig: map[string]any{"provider": switchboard.ProviderElevenLabs, "agent_id": "agent-" + name},
		Credentials:    &switchboard.CredentialsInput{Username: "user-" + name, Password: "pw-" + name}})
}

func (e *outboundEnv) hook(orgID, name string) *switchboard.Endpoint {
	return e.endpoint(orgID, switchboard.EndpointInput{Name: name, Type: switchboard.EndpointWebhook, URL: "https://hooks.example/" + name})
}

func (e *outboundEnv) endpoint(orgID string, in switchboard.EndpointInput) *switchboard.Endpoint {
	e.t.Helper()
	ep, err := switchboard.NewEndpoint(in)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.CreateEndpoint(context.Background(), orgID, ep); err != nil {
		e.t.Fatal(err)
	}
	return ep
}

func (e *outboundEnv) trunk(orgID, name string) *switchboard.Trunk {
	e.t.Helper()
	tr, err := switchboard.NewTrunk(switchboard.TrunkInput{Name: name, Address: name + ".carrier.example:5060",
		AuthUsername: "trunk-" + name, AuthPassword: "trunk-pw-" + name})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.CreateTrunk(context.Background(), orgID, tr); err != nil {
		e.t.Fatal(err)
	}
	return tr
}

func (e *outboundEnv) clock() time.Time {
	e.clockMu.Lock()
	defer e.clockMu.Unlock()
	return e.now
}

func (e *outboundEnv) advance(d time.Duration) {
	e.clockMu.Lock()
	defer e.clockMu.Unlock()
	e.now = e.now.Add(d)
}

// api returns the API with the recording originator (nil: none), the
// per-key limit far away and the route's limit as outboundRate says, on
// the env's clock (which only moves when a test advances it).
func (e *outboundEnv) api(orig switchboard.CallOriginator) http.Handler {
	cfg := httpapi.Config{RateLimit: 1e6, Clock: e.clock, OutboundCallRate: e.outboundRate}
	if orig != nil {
		cfg.Originator = orig
	}
	return httpapi.NewServer(e.db, e.logger, cfg)
}

func obBody(fields ...string) string {
	m := map[string]any{}
	for i := 0; i+1 < len(fields); i += 2 {
		var v any
		if err := json.Unmarshal([]byte(fields[i+1]), &v); err != nil {
			v = fields[i+1] // a plain string
		}
		m[fields[i]] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// TestOutboundCallErrors: every refusal of POST /v1/outbound-calls, with
// its status and code, and that none reaches the originator.
func TestOutboundCallErrors(t *testing.T) {
	t.Parallel()
	e := newOutboundEnv(t)
	h := e.api(e.orig)
	inactive := e.endpoint(e.orgA, switchboard.EndpointInput{Name: "off", Type: switchboard.EndpointAgent, Status: switchboard.StatusInactive,
		ProviderConfig: map[string]any{"provider": switchboard.ProviderElevenLabs, "agent_id": "off"}})
	ok := func(extra ...string) string {
		return obBody(append([]string{"from_number", obMain, "to_number", obCallee}, extra...)...)
	}
	for _, tc := range []struct {
		name   string
		key    string
		body   string
		status int
		code   string
		field  string // details.field, for VALIDATION_ERROR
	}{
		{"to not E.164", e.keyA, obBody("from_number", obMain, "to_number", "08012345678"), 400, "VALIDATION_ERROR", "to_number"},
		{"from not E.164", e.keyA, obBody("from_number", "4155550101", "to_number", obCallee), 400, "VALIDATION_ERROR", "from_number"},
		{"from missing", e.keyA, obBody("to_number", obCallee), 400, "VALIDATION_ERROR", "from_number"},
		{"to null", e.keyA, `{"from_number":"` + obMain + `","to_number":null}`, 400, "VALIDATION_ERROR", "to_number"},
		{"to a number", e.keyA, `{"from_number":"` + obMain + `","to_number":2348012345678}`, 400, "VALIDATION_ERROR", "to_number"},
		{"spellings disagree", e.keyA, ok("fromNumber", obNoEP), 400, "VALIDATION_ERROR", "from_number"},
		{"unknown field", e.keyA, ok("callerId", obMain), 400, "VALIDATION_ERROR", "callerId"},
		{"metadata array", e.keyA, ok("metadata", `[1,2]`), 400, "VALIDATION_ERROR", "metadata"},
		{"metadata string", e.keyA, ok("metadata", `"note"`), 400, "VALIDATION_ERROR", "metadata"},
		{"metadata too large", e.keyA, ok("metadata", `{"k":"`+strings.Repeat("x", switchboard.MaxOutboundMetadata)+`"}`), 400, "VALIDATION_ERROR", "metadata"},
		{"metadata control character", e.keyA, ok("metadata", `{"k":"a\u0000b"}`), 400, "VALIDATION_ERROR", "metadata.k"},
		{"ring_timeout zero", e.keyA, ok("ring_timeout", "0"), 400, "VALIDATION_ERROR", "ring_timeout"},
		{"ringTimeout too long", e.keyA, ok("ringTimeout", "301"), 400, "VALIDATION_ERROR", "ring_timeout"},
		{"ring_timeout fraction", e.keyA, ok("ring_timeout", "1.5"), 400, "VALIDATION_ERROR", "ring_timeout"},
		{"max_duration negative", e.keyA, ok("max_duration", "-1"), 400, "VALIDATION_ERROR", "max_duration"},
		{"maxDuration too long", e.keyA, ok("maxDuration", "86401"), 400, "VALIDATION_ERROR", "max_duration"},
		{"bad JSON", e.keyA, `{"from_number":`, 400, "INVALID_JSON", ""},
		{"not an object", e.keyA, `["from_number"]`, 400, "INVALID_JSON", ""},
		{"another organisation's number", e.keyA, obBody("from_number", obTheirs, "to_number", obCallee), 404, "NUMBER_NOT_OWNED", ""},
		{"a number nobody holds", e.keyA, obBody("from_number", obNobody, "to_number", obCallee), 404, "NUMBER_NOT_OWNED", ""},
		{"a number outside the inventory", e.keyA, obBody("from_number", "+14155550199", "to_number", obCallee), 404, "NUMBER_NOT_OWNED", ""},
		{"outbound disabled", e.keyA, obBody("from_number", obNoOut, "to_number", obCallee), 403, "OUTBOUND_DISABLED", ""},
		{"another organisation's endpoint", e.keyA, ok("endpoint_id", e.agentB.ID), 404, "ENDPOINT_NOT_FOUND", ""},
		{"an unknown endpoint", e.keyA, ok("endpointId", "ep_doesNotExist"), 404, "ENDPOINT_NOT_FOUND", ""},
		{"an inactive endpoint", e.keyA, ok("endpoint_id", inactive.ID), 404, "ENDPOINT_NOT_FOUND", ""},
		{"a number without an endpoint", e.keyA, obBody("from_number", obNoEP, "to_number", obCallee), 404, "ENDPOINT_NOT_FOUND", ""},
		{"no trunk", e.keyC, obBody("from_number", obNoTrunk, "to_number", obCallee), 409, "NO_TRUNK", ""},
		{"B cannot use A's number", e.keyB, ok(), 404, "NUMBER_NOT_OWNED", ""},
		{"scope", e.keyARead, ok(), 403, "INSUFFICIENT_SCOPE", ""},
		{"no key", "", ok(), 401, "MISSING_API_KEY", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, h, tc.key, "POST", "/v1/outbound-calls", tc.body)
			wantErr(t, r, tc.status, tc.code)
			if tc.field != "" && r.errField() != tc.field {
				t.Errorf("details.field = %q, want %q: %s", r.errField(), tc.field, r.raw)
			}
		})
	}
	if got := e.orig.calls(); len(got) != 0 {
		t.Errorf("refused requests reached the originator %d times", len(got))
	}

	// Another organisation's number reads exactly like a number nobody
	// holds: the same message but for the number.
	theirs := do(t, h, e.keyA, "POST", "/v1/outbound-calls", obBody("from_number", obTheirs, "to_number", obCallee))
	nobody := do(t, h, e.keyA, "POST", "/v1/outbound-calls", obBody("from_number", obNobody, "to_number", obCallee))
	if strings.ReplaceAll(theirs.body["error"].(string), obTheirs, "N") != strings.ReplaceAll(nobody.body["error"].(string), obNobody, "N") ||
		len(theirs.body) != len(nobody.body) {
		t.Errorf("another organisation's number is told apart from an unheld one:\n%s\n%s", theirs.raw, nobody.raw)
	}
	// NO_TRUNK says why.
	r := do(t, e.api(e.orig), e.keyC, "POST", "/v1/outbound-calls", obBody("from_number", obNoTrunk, "to_number", obCallee))
	if d, _ := r.body["details"].(map[string]any); d["reason"] != switchboard.NoTrunkNone {
		t.Errorf("NO_TRUNK details = %v, want reason %s", r.body["details"], switchboard.NoTrunkNone)
	}

	// Without an originator (the call plane is not running), a valid
	// request is 503; an invalid one still gets its own error.
	plain := e.api(nil)
	wantErr(t, do(t, plain, e.keyA, "POST", "/v1/outbound-calls", ok()), 503, "SERVICE_UNAVAILABLE")
	wantErr(t, do(t, plain, e.keyA, "POST", "/v1/outbound-calls", obBody("from_number", obTheirs, "to_number", obCallee)), 404, "NUMBER_NOT_OWNED")
}

// TestOutboundCallCreated: the 201 in both spellings and under every
// path, and what the originator is handed for each request.
func TestOutboundCallCreated(t *testing.T) {
	t.Parallel()
	e := newOutboundEnv(t)
	h := e.api(e.orig)

	snake := `{"from_number":"+1 (415) 555-0101","to_number":"` + obCalleeFmt + `","endpoint_id":"` + e.hookA.ID +
		`","metadata":{"crm":{"id":12345678901234567890},"tags":["a","b"]},"max_duration":600,"ring_timeout":25}`
	camel := `{"fromNumber":"` + obMain + `","toNumber":"` + obCallee + `","endpointId":"` + e.hookA.ID +
		`","metadata":{"crm":{"id":12345678901234567890},"tags":["a","b"]},"maxDuration":600,"ringTimeout":25}`
	both := `{"from_number":"` + obMain + `","fromNumber":"` + obMain + `","to_number":"` + obCallee + `","toNumber":"` + obCallee +
		`","endpoint_id":"` + e.hookA.ID + `","endpointId":"` + e.hookA.ID +
		`","metadata":{"crm":{"id":12345678901234567890},"tags":["a","b"]},"max_duration":600,"maxDuration":600,"ring_timeout":25,"ringTimeout":25}`
	n := 0
	for _, path := range []string{"/v1/outbound-calls", "/v1/outbound-call", "/api/v1/outbound-calls", "/api/v1/outbound-call"} {
		for name, body := range map[string]string{"snake_case": snake, "camelCase": camel, "both": both} {
			r := do(t, h, e.keyA, "POST", path, body)
			if r.status != 201 {
				t.Fatalf("%s %s: %d %s", path, name, r.status, r.raw)
			}
			n++
			got := e.orig.calls()
			if len(got) != n {
				t.Fatalf("%s %s: originator called %d times, want %d", path, name, len(got), n)
			}
			oc := got[n-1]
			switch {
			case oc.OrganizationID != e.orgA || oc.Number.ID != e.numbers[obMain].ID || oc.To != obCallee:
				t.Errorf("%s %s: handed org %s number %s to %s", path, name, oc.OrganizationID, oc.Number.ID, oc.To)
			case oc.Endpoint.ID != e.hookA.ID || oc.Endpoint.Secret == "":
				t.Errorf("%s %s: handed endpoint %s (secret %t), want %s with its secret", path, name, oc.Endpoint.ID, oc.Endpoint.Secret != "", e.hookA.ID)
			case oc.Trunk.ID != e.trunkA.ID || oc.Trunk.AuthPassword != "trunk-pw-a":
				t.Errorf("%s %s: handed trunk %s, want %s with its password", path, name, oc.Trunk.ID, e.trunkA.ID)
			case string(oc.Metadata) != `{"crm":{"id":12345678901234567890},"tags":["a","b"]}`:
				t.Errorf("%s %s: handed metadata %s", path, name, oc.Metadata)
			case oc.MaxDuration != 10*time.Minute || oc.RingTimeout != 25*time.Second:
				t.Errorf("%s %s: handed max duration %v, ring timeout %v", path, name, oc.MaxDuration, oc.RingTimeout)
			}
			id, _ := r.body["id"].(string)
			if !switchboard.ValidID(switchboard.PrefixCall, id) || r.body["call_id"] != id || r.body["status"] != "initiated" ||
				r.body["direction"] != "outbound" || r.body["from_number"] != obMain || r.body["to_number"] != obCallee ||
				r.body["endpoint_id"] != e.hookA.ID || r.body["created_at"] == nil {
				t.Errorf("%s %s: body %s", path, name, r.raw)
			}
			// The metadata comes back as sent, large integer included.
			if !strings.Contains(string(r.raw), `"metadata":{"crm":{"id":12345678901234567890},"tags":["a","b"]}`) {
				t.Errorf("%s %s: metadata not returned as sent: %s", path, name, r.raw)
			}
		}
	}

	// The least request: the number's endpoint, the defaults, no metadata.
	r := do(t, h, e.keyA, "POST", "/v1/outbound-calls", obBody("from_number", obMain, "to_number", obCallee))
	if r.status != 201 || r.body["endpoint_id"] != e.agentA.ID {
		t.Fatalf("minimal request: %d %s", r.status, r.raw)
	}
	if _, ok := r.body["metadata"]; ok {
		t.Errorf("a call without metadata answers with one: %s", r.raw)
	}
	got := e.orig.calls()
	oc := got[len(got)-1]
	if oc.Endpoint.ID != e.agentA.ID || oc.Endpoint.Credentials == nil || oc.Endpoint.Credentials.Password != "pw-a" ||
		oc.Metadata != nil || oc.MaxDuration != 0 || oc.RingTimeout != time.Duration(switchboard.DefaultOutboundRing)*time.Second {
		t.Errorf("minimal request handed %+v (endpoint %+v)", oc, oc.Endpoint)
	}
	// null is absent.
	r = do(t, h, e.keyA, "POST", "/v1/outbound-calls",
		`{"from_number":"`+obMain+`","to_number":"`+obCallee+`","endpoint_id":null,"metadata":null,"ring_timeout":null,"max_duration":null}`)
	if r.status != 201 || r.body["endpoint_id"] != e.agentA.ID {
		t.Errorf("nulls: %d %s", r.status, r.raw)
	}
}

// TestOutboundCallIdempotency: a repeat with the same Idempotency-Key is
// the first answer, the call placed once; a 429 is not kept, so the key
// works once the limit lets the call through.
func TestOutboundCallIdempotency(t *testing.T) {
	t.Parallel()
	e := newOutboundEnv(t)
	h := e.api(e.orig)
	body := obBody("from_number", obMain, "to_number", obCallee, "metadata", `{"attempt":1}`)
	first := do(t, h, e.keyA, "POST", "/v1/outbound-calls", body, "Idempotency-Key", "call-1")
	again := do(t, h, e.keyA, "POST", "/v1/outbound-calls", body, "Idempotency-Key", "call-1")
	if first.status != 201 || again.status != 201 || again.header.Get("Idempotent-Replayed") != "true" || string(again.raw) != string(first.raw) {
		t.Fatalf("replay: %d %s / %d %s %v", first.status, first.raw, again.status, again.raw, again.header)
	}
	if n := len(e.orig.calls()); n != 1 {
		t.Errorf("the call was placed %d times for one key", n)
	}
	wantErr(t, do(t, h, e.keyA, "POST", "/v1/outbound-calls", obBody("from_number", obMain, "to_number", obCallee),
		"Idempotency-Key", "call-1"), 422, "IDEMPOTENCY_KEY_REUSED")

	// CONCURRENT_LIMIT_EXCEEDED, the originator's documented refusal: 429
	// with Retry-After, not stored for the key.
	e.orig.fail(switchboard.Errorf(switchboard.ECodeConcurrentLimit, "Trunk %s is at its limit of live calls.", e.trunkA.ID))
	limited := do(t, h, e.keyA, "POST", "/v1/outbound-calls", body, "Idempotency-Key", "call-2")
	wantErr(t, limited, 429, "CONCURRENT_LIMIT_EXCEEDED")
	if ra := limited.header.Get("Retry-After"); ra != "5" || limited.body["retry_after"] != 5.0 {
		t.Errorf("CONCURRENT_LIMIT_EXCEEDED: Retry-After %q, retry_after %v; want 5", ra, limited.body["retry_after"])
	}
	e.orig.fail(nil)
	r := do(t, h, e.keyA, "POST", "/v1/outbound-calls", body, "Idempotency-Key", "call-2")
	if r.status != 201 || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("retry after CONCURRENT_LIMIT_EXCEEDED: %d %v %s", r.status, r.header, r.raw)
	}
}

// TestOutboundCallRateLimit: 10 requests a second per organisation by
// default, whatever the key and the path; other organisations and other
// routes are not affected; the bucket refills with time.
func TestOutboundCallRateLimit(t *testing.T) {
	t.Parallel()
	e := newOutboundEnv(t)
	e.outboundRate = 0 // the default
	h := e.api(e.orig)
	keyA2 := newTestKey(t, e.db, e.orgA, switchboard.AllScopes...)
	body := obBody("from_number", obMain, "to_number", obCallee)
	for i := range httpapi.DefaultOutboundCallRate {
		key, path := e.keyA, "/v1/outbound-calls"
		if i%2 == 1 {
			key, path = keyA2, "/api/v1/outbound-call" // another key and path of the same organisation
		}
		r := do(t, h, key, "POST", path, body)
		if r.status != 201 {
			t.Fatalf("request %d: %d %s", i+1, r.status, r.raw)
		}
		if got := r.header.Get("X-RateLimit-Limit"); got != strconv.Itoa(httpapi.DefaultOutboundCallRate) {
			t.Errorf("X-RateLimit-Limit = %q, want the route's %d", got, httpapi.DefaultOutboundCallRate)
		}
	}
	limited := do(t, h, keyA2, "POST", "/v1/outbound-calls", body, "Idempotency-Key", "k")
	wantErr(t, limited, 429, "RATE_LIMIT_EXCEEDED")
	if limited.header.Get("Retry-After") != "1" || limited.body["retry_after"] != 0.1 {
		t.Errorf("Retry-After %q, retry_after %v; want 1 and 0.1", limited.header.Get("Retry-After"), limited.body["retry_after"])
	}
	// A refused request is not an invalid one: it is refused before its
	// body is read. Other routes and organisations go on.
	wantErr(t, do(t, h, e.keyA, "POST", "/v1/outbound-calls", `{`), 429, "RATE_LIMIT_EXCEEDED")
	if r := do(t, h, e.keyA, "GET", "/v1/calls", ""); r.status != 200 {
		t.Errorf("GET /v1/calls while outbound calls are limited: %d", r.status)
	}
	if r := do(t, h, e.keyB, "POST", "/v1/outbound-calls", obBody("from_number", obTheirs, "to_number", obCallee)); r.status != 201 {
		t.Errorf("organisation B limited by A's requests: %d %s", r.status, r.raw)
	}
	if n := len(e.orig.calls()); n != httpapi.DefaultOutboundCallRate+1 {
		t.Errorf("originator called %d times, want %d", n, httpapi.DefaultOutboundCallRate+1)
	}
	// A tenth of a second gives one token back; the key refused above was
	// not kept.
	e.advance(100 * time.Millisecond)
	if r := do(t, h, keyA2, "POST", "/v1/outbound-calls", body, "Idempotency-Key", "k"); r.status != 201 || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("after 100 ms: %d %v %s", r.status, r.header, r.raw)
	}
	wantErr(t, do(t, h, e.keyA, "POST", "/v1/outbound-calls", body), 429, "RATE_LIMIT_EXCEEDED")

	// A negative rate turns the route's limit off.
	e2 := newOutboundEnv(t)
	e2.outboundRate = -1
	h2 := e2.api(e2.orig)
	for i := range 3 * httpapi.DefaultOutboundCallRate {
		if r := do(t, h2, e2.keyA, "POST", "/v1/outbound-calls", body); r.status != 201 {
			t.Fatalf("unlimited, request %d: %d %s", i+1, r.status, r.raw)
		}
	}
}
