package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/httpapi"
	"github.com/switchboard-voice/switchboard/sqlite"
)

// newAPI returns the API over a fresh SQLite store, a key for it, and the
// IDs of one endpoint and one owned number to aim requests at.
func newAPI(t testing.TB) (http.Handler, string, string, string) {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "fuzz.db"), switchboard.SystemClock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	org, _, err := db.EnsureOrganization(ctx, "fuzz")
	if err != nil {
		t.Fatal(err)
	}
	secret, key := switchboard.GenerateAPIKey(true)
	key.OrganizationID, key.Scopes = org.ID, switchboard.AllScopes
	if err := db.CreateAPIKey(ctx, &key); err != nil {
		t.Fatal(err)
	}
	ep, err := switchboard.NewEndpoint(switchboard.EndpointInput{Name: "e", Type: "webhook", URL: "https://e.example"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateEndpoint(ctx, org.ID, ep); err != nil {
		t.Fatal(err)
	}
	inv, _ := switchboard.NewInventoryNumber("+2348012345678", "", "")
	if _, err := db.AddInventory(ctx, []*switchboard.InventoryNumber{inv}); err != nil {
		t.Fatal(err)
	}
	pn, err := db.ClaimNumber(ctx, org.ID, switchboard.ClaimRequest{Number: inv.Number, AllowInbound: true})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The rate limit is on (and far away) so responses carry the headers
	// the spec requires, for tests that check them; outbound calls' own
	// limit is off, for a fuzzer sends thousands a second.
	return httpapi.NewServer(db, logger, httpapi.Config{RateLimit: 1e6, OutboundCallRate: -1}), secret, ep.ID, pn.ID
}

// routes is how many routes FuzzRequestBodies aims at.
const routes = 8

// createTrunk creates a trunk through the API and returns its ID.
func createTrunk(t testing.TB, h http.Handler, key string) string {
	t.Helper()
	req := httptest.NewRequest("POST", "/v1/trunks", strings.NewReader(`{"name":"t","address":"t.example"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var tr struct{ ID string }
	if err := json.Unmarshal(rec.Body.Bytes(), &tr); rec.Code != 201 || err != nil {
		t.Fatalf("create trunk: %d %s", rec.Code, rec.Body)
	}
	return tr.ID
}

// FuzzRequestBodies sends arbitrary bodies to every route that decodes one
// and checks that the answer is always a documented status with the error
// envelope: hostile input never yields a 500 or a panic.
func FuzzRequestBodies(f *testing.F) {
	for _, seed := range []string{
		`{"name":"a","type":"webhook","url":"https://a.example"}`,
		`{"name":"a","type":"elevenlabs","provider_config":{"elevenlabs_agent_id":"x"}}`,
		`{"name":"a","type":"agent","provider_config":{"provider":"livekit","livekit_sip_uri":"sip:p.sip.livekit.cloud"}}`,
		`{"name":null,"url":null,"provider_config":{"agent_id":null},"credentials":{"username":"u","password":"p"}}`,
		`{"endpoint_id":null,"endpointId":"ep_1","allowInbound":true}`,
		`{"inventory_id":"inv_1","number":"+1"}`,
		`{"headers":{"X-A":"b"},"ring_timeout":1e309}`,
		`{"name":"a\u0000b","type":"webhook","url":"https://a.example"}`,
		`{"name":"a","type":"custom_sip","url":"sip:a@b.example","headers":{"X-A":"\r\n"},"credentials":{"username":"\u009b","password":"p"}}`,
		`{"number":"+2348012345678\u0000","endpoint_id":"ep_\u007f"}`,
		`{"name":"\ud800","ring_timeout":30.0}`,
		`{"name":"t","address":"sip.example.com:5060","auth_username":"u","auth_password":"p","inbound_addresses":["192.0.2.1"]}`,
		`{"address":null,"failover_addresses":["[::1]:5060"],"max_concurrent_calls":1e3,"default":true,"tech_prefix":"1#"}`,
		`{"trunk_id":"trk_1","trunkId":null}`,
		`{"from_number":"+2348012345678","to_number":"+14155550101","metadata":{"a":{"b":[1,"\u0000"]}},"ring_timeout":30}`,
		`{"fromNumber":"+2348012345678","toNumber":"+1","metadata":[1],"ringTimeout":0,"maxDuration":-1}`,
		`{"from_number":"+2348012345678","to_number":"+14155550101","metadata":{"\u0085":1},"endpoint_id":"trk_1"}`,
		`[`, `{}`, `null`, `"x"`, `{"a":1}{"b":2}`, "\xff\xfe",
	} {
		for route := range routes {
			f.Add(uint8(route), []byte(seed))
		}
	}
	h, key, epID, pnID := newAPI(f)
	trunkID := createTrunk(f, h, key)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		method, path := "POST", "/v1/endpoints"
		switch route % routes {
		case 1:
			method, path = "PATCH", "/v1/endpoints/"+epID
		case 2:
			method, path = "POST", "/v1/phone-numbers"
		case 3:
			method, path = "PATCH", "/v1/phone-numbers/"+pnID
		case 4:
			method, path = "PATCH", "/api/v1/endpoints/ep_missing"
		case 5:
			method, path = "POST", "/v1/trunks"
		case 6:
			method, path = "PATCH", "/v1/trunks/"+trunkID
		case 7:
			// The number does not allow outbound calls and the server has
			// no originator: a valid body ends in 403 (or 503).
			method, path = "POST", "/v1/outbound-calls"
		}
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-api-key", key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 201:
			// The text rule: nothing accepted holds a control character.
			var out any
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || hasControl(out) {
				t.Fatalf("%s %s with %q -> %d with a control character: %s", method, path, body, rec.Code, rec.Body)
			}
		case 400, 404, 413, 403, 409, 503:
			var env struct{ Error, Code, RequestID string }
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error == "" || env.Code == "" {
				t.Fatalf("%s %s -> %d without the error envelope: %s", method, path, rec.Code, rec.Body)
			}
		default:
			t.Fatalf("%s %s with %q -> %d: %s", method, path, body, rec.Code, rec.Body)
		}
	})
}

// hasControl reports whether any string (or key) of a decoded JSON value
// holds a control character.
func hasControl(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.ContainsFunc(v, unicode.IsControl)
	case []any:
		return slices.ContainsFunc(v, hasControl)
	case map[string]any:
		for k, e := range v {
			if hasControl(k) || hasControl(e) {
				return true
			}
		}
	}
	return false
}
