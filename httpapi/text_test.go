package httpapi_test

import (
	"testing"
)

// TestControlCharactersRefused: every text input — body strings at any
// depth, the path, the query and the Idempotency-Key — holding a control
// character (or, outside JSON, invalid UTF-8) is a 400 VALIDATION_ERROR
// naming the field, before it can reach a store (PostgreSQL cannot store
// a NUL in text at all).
func TestControlCharactersRefused(t *testing.T) {
	t.Parallel()
	h, key, epID, pnID := newAPI(t)
	for _, tc := range []struct {
		name, method, path, body string
		header                   [2]string
		field                    string // "" for the path
	}{
		{"NUL in name", "POST", "/v1/endpoints", `{"name":"a\u0000b","type":"webhook","url":"https://a.example"}`, [2]string{}, "name"},
		{"BEL in url", "POST", "/v1/endpoints", `{"name":"a","type":"webhook","url":"https://a.example/\u0007"}`, [2]string{}, "url"},
		{"tab in name", "POST", "/v1/endpoints", `{"name":"a\tb","type":"webhook","url":"https://a.example"}`, [2]string{}, "name"},
		{"CRLF in header value", "POST", "/v1/endpoints",
			`{"name":"a","type":"custom_sip","url":"sip:a@example.com","headers":{"X-A":"v\r\nX-B: w"}}`, [2]string{}, "headers.X-A"},
		{"NUL in header name", "POST", "/v1/endpoints",
			`{"name":"a","type":"custom_sip","url":"sip:a@example.com","headers":{"X-\u0000":"v"}}`, [2]string{}, "headers"},
		{"NUL in provider_config", "POST", "/v1/endpoints",
			`{"name":"a","type":"elevenlabs","provider_config":{"agent_id":"x\u0000"}}`, [2]string{}, "provider_config.agent_id"},
		{"C1 in credentials", "POST", "/v1/endpoints",
			`{"name":"a","type":"custom_sip","url":"sip:a@example.com","credentials":{"username":"u\u0085","password":"p"}}`, [2]string{}, "credentials.username"},
		{"raw DEL in name", "POST", "/v1/endpoints", "{\"name\":\"a\x7f\",\"type\":\"webhook\",\"url\":\"https://a.example\"}", [2]string{}, "name"},
		{"raw C1 in name", "POST", "/v1/endpoints", "{\"name\":\"a\xc2\x9b\",\"type\":\"webhook\",\"url\":\"https://a.example\"}", [2]string{}, "name"},
		{"NUL in patched name", "PATCH", "/v1/endpoints/" + epID, `{"name":"\u0000"}`, [2]string{}, "name"},
		{"ESC in webhook description", "POST", "/v1/webhooks", `{"url":"https://a.example","description":"\u001b[31m"}`, [2]string{}, "description"},
		{"NUL in event filter", "POST", "/v1/webhooks", `{"url":"https://a.example","events":["call.*","x\u0000"]}`, [2]string{}, "events[1]"},
		{"NUL in patched description", "PATCH", "/v1/webhooks/wh_missing", `{"description":"\u0000"}`, [2]string{}, "description"},
		{"NUL in claimed number", "POST", "/v1/phone-numbers", `{"number":"+234801\u0000"}`, [2]string{}, "number"},
		{"NUL in number patch", "PATCH", "/v1/phone-numbers/" + pnID, `{"endpoint_id":"ep_\u0000"}`, [2]string{}, "endpoint_id"},
		{"NUL in trunk password", "POST", "/v1/trunks", `{"name":"t","address":"t.example","auth_username":"u","auth_password":"p\u0000"}`, [2]string{}, "auth_password"},
		{"CR in trunk inbound address", "POST", "/v1/trunks", `{"name":"t","address":"t.example","inbound_addresses":["192.0.2.1\r"]}`, [2]string{}, "inbound_addresses[0]"},
		{"NUL in patched trunk address", "PATCH", "/v1/trunks/trk_missing", `{"address":"a\u0000"}`, [2]string{}, "address"},
		{"NUL in number's trunk", "PATCH", "/v1/phone-numbers/" + pnID, `{"trunk_id":"trk_\u0000"}`, [2]string{}, "trunk_id"},
		{"NUL in outbound metadata", "POST", "/v1/outbound-calls",
			`{"from_number":"+2348012345678","to_number":"+14155550101","metadata":{"crm":{"notes":["ok","a\u0000"]}}}`, [2]string{}, "metadata.crm.notes[1]"},
		{"C1 in outbound metadata key", "POST", "/v1/outbound-calls",
			`{"from_number":"+2348012345678","to_number":"+14155550101","metadata":{"k\u0085":1}}`, [2]string{}, "metadata"},
		{"invalid UTF-8 in outbound metadata", "POST", "/v1/outbound-calls",
			"{\"from_number\":\"+2348012345678\",\"to_number\":\"+14155550101\",\"metadata\":{\"k\":\"\xff\"}}", [2]string{}, "metadata"},
		{"NUL in to_number", "POST", "/v1/outbound-calls", `{"from_number":"+2348012345678","toNumber":"+1415\u0000"}`, [2]string{}, "toNumber"},
		{"NUL in path id", "GET", "/v1/endpoints/ep_%00", "", [2]string{}, ""},
		{"invalid UTF-8 in path id", "GET", "/v1/webhooks/wh_%ff", "", [2]string{}, ""},
		{"NUL in query", "GET", "/v1/webhook-deliveries?event=call.%00", "", [2]string{}, "event"},
		{"invalid UTF-8 in query", "GET", "/v1/calls?to=%ff", "", [2]string{}, "to"},
		{"invalid UTF-8 in Idempotency-Key", "POST", "/v1/webhooks", `{"url":"https://a.example"}`,
			[2]string{"Idempotency-Key", "k\xff"}, "Idempotency-Key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hdr []string
			if tc.header[0] != "" {
				hdr = tc.header[:]
			}
			r := do(t, h, key, tc.method, tc.path, tc.body, hdr...)
			if r.status != 400 || r.body["code"] != "VALIDATION_ERROR" || r.errField() != tc.field {
				t.Fatalf("%s %s: %d %s, want 400 VALIDATION_ERROR on %q", tc.method, tc.path, r.status, r.raw, tc.field)
			}
		})
	}
}
