package main

import (
	"testing"
)

// TestHostileTextOnPostgres sends text PostgreSQL cannot store (NUL,
// invalid UTF-8) and other control characters in every kind of input to a
// server on PostgreSQL: each is a 400 VALIDATION_ERROR, none reaches the
// database as a 500. It runs on PostgreSQL whatever
// SWITCHBOARD_TEST_DATABASE says, since SQLite stores a NUL without
// complaint.
func TestHostileTextOnPostgres(t *testing.T) {
	t.Parallel()
	dsn := sharedSchema(t) // before the server, so the schema outlives it
	ts := startServer(t, func(c *ServeConfig) { c.Database = dsn })
	c := ts.client(ts.BootstrapKey)
	ep := c.must(201, c.do("POST", "/v1/endpoints", `{"name":"a","type":"custom_sip","url":"sip:a@example.com"}`)).str("id")
	hook := c.must(201, c.do("POST", "/v1/webhooks", `{"url":"https://example.com/h"}`)).str("id")

	for _, tc := range []struct {
		method, path, body string
		opts               []reqOpt
	}{
		{"POST", "/v1/endpoints", `{"name":"a\u0000b","type":"webhook","url":"https://example.com/x"}`, nil},
		{"POST", "/v1/endpoints", `{"name":"a","type":"webhook","url":"https://example.com/\u0000"}`, nil},
		{"POST", "/v1/endpoints", `{"name":"a","type":"custom_sip","url":"sip:a@example.com","headers":{"X-A":"\u0000"}}`, nil},
		{"POST", "/v1/endpoints", `{"name":"a","type":"custom_sip","url":"sip:a@example.com","credentials":{"username":"u","password":"\u0000"}}`, nil},
		{"POST", "/v1/endpoints", `{"name":"a","type":"vapi","url":"sip:a@example.com","provider_config":{"assistant_id":"\u0000"}}`, nil},
		{"PATCH", "/v1/endpoints/" + ep, `{"name":"\u0000"}`, nil},
		{"PATCH", "/v1/endpoints/" + ep, `{"headers":{"X-\u0000":"v"}}`, nil},
		{"POST", "/v1/webhooks", `{"url":"https://example.com/h","description":"a\u0000"}`, nil},
		{"PATCH", "/v1/webhooks/" + hook, `{"description":"\u0000"}`, nil},
		{"POST", "/v1/phone-numbers", `{"number":"\u0000"}`, nil},
		{"POST", "/v1/phone-numbers", `{"inventory_id":"inv_\u0000"}`, nil},
		{"PATCH", "/v1/phone-numbers/pn_x", `{"endpoint_id":"ep_\u0000"}`, nil},
		{"GET", "/v1/endpoints/ep_%00", "", nil},
		{"GET", "/v1/webhooks/wh_%ff", "", nil},
		{"GET", "/v1/calls/call_%00/events", "", nil},
		{"GET", "/v1/webhook-deliveries?webhook_id=wh_%00", "", nil},
		{"GET", "/v1/webhook-deliveries?event=%ff", "", nil},
		{"GET", "/v1/calls?to=%2B1%00", "", nil},
		{"POST", "/v1/webhooks", `{"url":"https://example.com/h"}`, []reqOpt{header("Idempotency-Key", "k\xff")}},
		{"POST", "/v1/webhooks/" + hook + "/replay", `{"since":"2026-01-01T00:00:00Z\u0000"}`, nil},
	} {
		r := c.do(tc.method, tc.path, tc.body, tc.opts...)
		if r.Status != 400 || r.errCode() != "VALIDATION_ERROR" {
			t.Errorf("%s %s %s: %d %s, want 400 VALIDATION_ERROR", tc.method, tc.path, tc.body, r.Status, r.Raw)
		}
	}
}
