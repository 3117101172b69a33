package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/httpapi"
)

// TestEndpointsThroughCache drives the endpoint routes over a checking
// storecache (one that panics if anything modifies a cached endpoint, which
// the API shares with the cache) on SQLite, in a random order, and after
// every request checks that GET and the lists answer exactly what the
// database holds, byte for byte as encoding/json writes it. The TTL is an
// hour: only invalidation by the API's own writes keeps the answers fresh.
func TestEndpointsThroughCache(t *testing.T) {
	ctx := context.Background()
	db, cache, orgID := checkingStore(t, "cache")
	secret := newTestKey(t, db, orgID, switchboard.AllScopes...)
	api := httpapi.NewServer(cache, slog.New(slog.NewTextHandler(io.Discard, nil)), httpapi.Config{})

	do := func(method, path, body string) (int, []byte, http.Header) {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("x-api-key", secret)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) {
			t.Errorf("%s %s: Content-Length %q for %d bytes", method, path, cl, rec.Body.Len())
		}
		return rec.Code, rec.Body.Bytes(), rec.Header()
	}
	marshal := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return append(b, '\n')
	}
	// check compares every read route with the database.
	check := func(step string) {
		t.Helper()
		for _, f := range []switchboard.EndpointFilter{
			{}, {Type: "agent"}, {Type: "webhook", Status: "inactive"}, {Page: switchboard.Page{Limit: 2, Offset: 1}},
		} {
			want, total, err := db.ListEndpoints(ctx, orgID, f)
			if err != nil {
				t.Fatal(err)
			}
			if want == nil {
				want = []*switchboard.Endpoint{}
			}
			limit := f.Limit
			if limit == 0 {
				limit = switchboard.DefaultLimit
			}
			path := fmt.Sprintf("/v1/endpoints?limit=%d&offset=%d", limit, f.Offset)
			if f.Type != "" {
				path += "&type=" + f.Type
			}
			if f.Status != "" {
				path += "&status=" + f.Status
			}
			wantBody := marshal(map[string]any{"endpoints": want, "total": total, "limit": limit, "offset": f.Offset})
			if code, body, _ := do("GET", path, ""); code != 200 || !bytes.Equal(body, wantBody) {
				t.Fatalf("%s: GET %s = %d\n%s\nwant\n%s", step, path, code, body, wantBody)
			}
			for _, ep := range want {
				if code, body, h := do("GET", "/v1/endpoints/"+ep.ID, ""); code != 200 || !bytes.Equal(body, marshal(ep)) ||
					h.Get("Content-Type") != "application/json" {
					t.Fatalf("%s: GET %s = %d %v\n%s\nwant\n%s", step, ep.ID, code, h, body, marshal(ep))
				}
			}
		}
	}

	rng := rand.New(rand.NewPCG(7, 11))
	var ids []string
	names := []string{"plain", "<b>&amp;</b>", "café \u2028 日本", `quote " back \ slash`, "slash / nbsp\u00a0 emoji 🎧"}
	bodies := []func(i int) string{
		func(i int) string {
			return fmt.Sprintf(`{"name":%q,"type":"webhook","url":"https://example.com/%d?a=1&b=<2>"}`, names[i%len(names)], i)
		},
		func(i int) string {
			return fmt.Sprintf(`{"name":%q,"type":"elevenlabs","provider_config":{"agent_id":"a%d"},"headers":{"X-B":"2","X-A":"<1>"},"credentials":{"username":"u","password":"p"}}`, names[i%len(names)], i)
		},
		func(i int) string {
			return fmt.Sprintf(`{"name":"v%d","type":"agent","url":"sip:vapi@example.com","provider_config":{"provider":"vapi","assistant_id":"as","credential_id":"c"},"headers":{}}`, i)
		},
		func(i int) string {
			return fmt.Sprintf(`{"name":"lk%d","type":"livekit","provider_config":{"livekit_sip_uri":"sip:x.sip.livekit.cloud","agent_name":"n"},"status":"inactive"}`, i)
		},
		func(i int) string {
			return fmt.Sprintf(`{"name":"r%d","type":"retell","provider_config":{"agent_id":"r"},"ring_timeout":300}`, i)
		},
		func(i int) string {
			return fmt.Sprintf(`{"name":"s%d","type":"custom_sip","url":"sip:agent@example.com"}`, i)
		},
	}
	patches := []string{
		`{"name":"renamed <&>"}`, `{"status":"inactive"}`, `{"status":"active"}`, `{"headers":{"X-New":"v"}}`,
		`{"headers":null}`, `{"ring_timeout":null}`, `{"url":"https://example.org/new"}`,
	}
	check("empty")
	for step := range 120 {
		switch op := rng.IntN(10); {
		case op < 3 || len(ids) == 0:
			code, body, _ := do("POST", "/v1/endpoints", bodies[step%len(bodies)](step))
			if code != 201 {
				t.Fatalf("create: %d %s", code, body)
			}
			var ep struct{ ID string }
			json.Unmarshal(body, &ep)
			ids = append(ids, ep.ID)
		case op < 8:
			id := ids[rng.IntN(len(ids))]
			code, body, _ := do("PATCH", "/v1/endpoints/"+id, patches[rng.IntN(len(patches))])
			if code != 200 && code != 400 { // a webhook URL patch on an agent is a 400
				t.Fatalf("patch: %d %s", code, body)
			}
		default:
			i := rng.IntN(len(ids))
			if code, body, _ := do("DELETE", "/v1/endpoints/"+ids[i], ""); code != 200 {
				t.Fatalf("delete: %d %s", code, body)
			}
			ids = append(ids[:i], ids[i+1:]...)
		}
		check(fmt.Sprint("step ", step))
	}
}
