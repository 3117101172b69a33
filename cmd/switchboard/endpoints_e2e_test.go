package main

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestEndpointsSeedFlow(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.client(ts.BootstrapKey)

	// The seed's ElevenLabs agent, in the guide's shape.
	el := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{
		"name": "Customer Support Agent", "type": "agent",
		"provider_config": map[string]any{"provider": "elevenlabs", "agent_id": "agent_xyz"},
	}))
	if !strings.HasPrefix(el.str("id"), "ep_") || el.str("url") != "sip:sip.rtc.elevenlabs.io:5060;transport=tcp" ||
		el.str("status") != "active" || el.Body["secret"] != nil {
		t.Fatalf("elevenlabs endpoint: %s", el.Raw)
	}
	// The OpenAPI generation's shape: provider-named type and prefixed key.
	el2 := c.must(201, c.do("POST", "/api/v1/endpoints", map[string]any{
		"name": "EL", "type": "elevenlabs", "provider_config": map[string]any{"elevenlabs_agent_id": "agent_abc"},
	}))
	pc := el2.Body["provider_config"].(map[string]any)
	if el2.str("type") != "agent" || pc["provider"] != "elevenlabs" || pc["agent_id"] != "agent_abc" {
		t.Fatalf("provider-named type not normalised: %s", el2.Raw)
	}
	vapi := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{
		"name": "Vapi", "type": "vapi", "url": "sip:support@sip.vapi.ai",
		"provider_config": map[string]any{"assistant_id": "asst_1"},
		"credentials":     map[string]any{"username": "u1", "password": "s3cret-pass"},
		"headers":         map[string]any{"X-Tenant": "acme"},
		"ring_timeout":    20,
	}))
	if strings.Contains(string(vapi.Raw), "s3cret-pass") || vapi.Body["credentials"].(map[string]any)["username"] != "u1" {
		t.Fatalf("credentials password must never be returned: %s", vapi.Raw)
	}
	c.must(201, c.do("POST", "/v1/endpoints", map[string]any{
		"name": "Retell", "type": "agent", "provider_config": map[string]any{"provider": "retell", "agent_id": "r1"},
	}))
	c.must(201, c.do("POST", "/v1/endpoints", map[string]any{
		"name": "LiveKit", "type": "livekit", "url": "sip:proj.sip.livekit.cloud",
		"provider_config": map[string]any{"agent_name": "inbound"},
	}))
	c.must(201, c.do("POST", "/v1/endpoints", map[string]any{
		"name": "PBX", "type": "custom_sip", "url": "sip:ai@pbx.example.com:5080;transport=udp",
	}))
	wh := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{
		"name": "Custom Handler", "type": "webhook", "url": "https://api.yourapp.com/call-handler",
	}))
	secret := wh.str("secret")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if !strings.HasPrefix(secret, "whsec_") || err != nil || len(raw) != 32 {
		t.Fatalf("webhook secret %q is not whsec_ + base64(32 bytes)", secret)
	}

	// Lists: envelope, filters, paging, newest first.
	all := c.must(200, c.do("GET", "/v1/endpoints", nil))
	if all.Body["total"] != float64(7) || len(all.list("endpoints")) != 7 {
		t.Fatalf("list: %s", all.Raw)
	}
	if first := all.list("endpoints")[0].(map[string]any); first["id"] != wh.str("id") || first["secret"] != secret {
		t.Fatalf("newest first, with the webhook secret as the seed shows: %v", first)
	}
	webhooks := c.must(200, c.do("GET", "/v1/endpoints?type=webhook", nil))
	if webhooks.Body["total"] != float64(1) {
		t.Fatalf("type filter: %s", webhooks.Raw)
	}
	page := c.must(200, c.do("GET", "/v1/endpoints?limit=2&offset=6", nil))
	if len(page.list("endpoints")) != 1 || page.Body["total"] != float64(7) || page.Body["limit"] != float64(2) {
		t.Fatalf("paging: %s", page.Raw)
	}
	for _, q := range []string{"limit=1000", "limit=0", "offset=-1", "type=fax", "status=gone", "colour=red", "limit=abc"} {
		c.mustErr(400, "VALIDATION_ERROR", c.do("GET", "/v1/endpoints?"+q, nil))
	}

	// Get and patch.
	id := el.str("id")
	got := c.must(200, c.do("GET", "/v1/endpoints/"+id, nil))
	if got.str("name") != "Customer Support Agent" {
		t.Fatalf("get: %s", got.Raw)
	}
	upd := c.must(200, c.do("PATCH", "/v1/endpoints/"+id, map[string]any{"name": "Support v2", "status": "inactive"}))
	if upd.str("name") != "Support v2" || upd.str("status") != "inactive" || upd.str("url") != el.str("url") {
		t.Fatalf("patch: %s", upd.Raw)
	}
	inactive := c.must(200, c.do("GET", "/v1/endpoints?status=inactive", nil))
	if inactive.Body["total"] != float64(1) {
		t.Fatalf("status filter: %s", inactive.Raw)
	}
	// provider_config is validated again on PATCH.
	bad := c.mustErr(400, "VALIDATION_ERROR", c.do("PATCH", "/v1/endpoints/"+id, map[string]any{
		"provider_config": map[string]any{"agent_id": nil}}))
	if bad.Body["details"].(map[string]any)["field"] != "provider_config.agent_id" {
		t.Fatalf("details must name the field: %s", bad.Raw)
	}
	c.mustErr(400, "VALIDATION_ERROR", c.do("PATCH", "/v1/endpoints/"+id, map[string]any{"type": "webhook"}))
	c.mustErr(400, "VALIDATION_ERROR", c.do("PATCH", "/v1/endpoints/"+id, map[string]any{"url": "http://not-sip"}))
	switched := c.must(200, c.do("PATCH", "/v1/endpoints/"+id, map[string]any{
		"provider_config": map[string]any{"provider": "retell", "agent_id": "r2"}}))
	if switched.str("url") != "sip:sip.retellai.com;transport=tcp" {
		t.Fatalf("switching provider must reset a defaulted url: %s", switched.Raw)
	}

	// Validation errors name the field.
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"type": "agent", "provider_config": map[string]any{"provider": "vapi", "assistant_id": "a"}}, "name"},
		{map[string]any{"name": strings.Repeat("x", 101), "type": "webhook", "url": "https://a.example"}, "name"},
		{map[string]any{"name": "x", "type": "fax"}, "type"},
		{map[string]any{"name": "x", "type": "agent"}, "provider_config"},
		{map[string]any{"name": "x", "type": "vapi", "provider_config": map[string]any{"assistant_id": "a"}}, "url"},
		{map[string]any{"name": "x", "type": "webhook", "url": "ftp://a.example"}, "url"},
		{map[string]any{"name": "x", "type": "webhook", "url": "https://a.example", "bogus": 1}, "bogus"},
		{map[string]any{"name": 5, "type": "webhook", "url": "https://a.example"}, "name"},
		{map[string]any{"name": "x", "type": "elevenlabs", "provider_config": map[string]any{"agent_id": "a", "voice": "b"}}, "provider_config.voice"},
	} {
		r := c.mustErr(400, "VALIDATION_ERROR", c.do("POST", "/v1/endpoints", tc.body))
		if f := r.Body["details"].(map[string]any)["field"]; f != tc.field {
			t.Errorf("body %v: field %v, want %s", tc.body, f, tc.field)
		}
	}

	// Delete, then it is gone; an ID of the wrong kind is a 404 too.
	del := c.must(200, c.do("DELETE", "/v1/endpoints/"+vapi.str("id"), nil))
	if del.Body["deleted"] != true {
		t.Fatalf("delete: %s", del.Raw)
	}
	for _, method := range []string{"GET", "PATCH", "DELETE"} {
		for _, bad := range []string{vapi.str("id"), "pn_abc", "nonsense", "ep_%27%20OR%201%3D1"} {
			var body any
			if method == "PATCH" {
				body = map[string]any{"name": "x"}
			}
			c.mustErr(404, "ENDPOINT_NOT_FOUND", c.do(method, "/v1/endpoints/"+bad, body))
		}
	}
}

func TestOrganisationIsolation(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.cli("inventory", "add", "+2348012345001", "+2348012345002")
	a := ts.client(ts.BootstrapKey)
	b := ts.newKey("acme")

	epA := a.must(201, a.do("POST", "/v1/endpoints", map[string]any{"name": "A", "type": "webhook", "url": "https://a.example/hook"}))
	pnA := a.must(201, a.do("POST", "/v1/phone-numbers", map[string]any{"number": "+2348012345001", "endpoint_id": epA.str("id")}))
	epB := b.must(201, b.do("POST", "/v1/endpoints", map[string]any{"name": "B", "type": "webhook", "url": "https://b.example/hook"}))

	// B sees none of A's objects, by ID or in lists.
	b.mustErr(404, "ENDPOINT_NOT_FOUND", b.do("GET", "/v1/endpoints/"+epA.str("id"), nil))
	b.mustErr(404, "ENDPOINT_NOT_FOUND", b.do("PATCH", "/v1/endpoints/"+epA.str("id"), map[string]any{"name": "pwned"}))
	b.mustErr(404, "ENDPOINT_NOT_FOUND", b.do("DELETE", "/v1/endpoints/"+epA.str("id"), nil))
	b.mustErr(404, "PHONE_NUMBER_NOT_FOUND", b.do("GET", "/v1/phone-numbers/"+pnA.str("id"), nil))
	b.mustErr(404, "PHONE_NUMBER_NOT_FOUND", b.do("PATCH", "/v1/phone-numbers/"+pnA.str("id"), map[string]any{"endpoint_id": epB.str("id")}))
	b.mustErr(404, "PHONE_NUMBER_NOT_FOUND", b.do("DELETE", "/v1/phone-numbers/"+pnA.str("id"), nil))
	if l := b.must(200, b.do("GET", "/v1/endpoints", nil)); l.Body["total"] != float64(1) || strings.Contains(string(l.Raw), epA.str("id")) {
		t.Fatalf("B's endpoint list leaks A: %s", l.Raw)
	}
	if l := b.must(200, b.do("GET", "/v1/phone-numbers", nil)); l.Body["total"] != float64(0) {
		t.Fatalf("B's number list leaks A: %s", l.Raw)
	}
	if l := b.must(200, b.do("GET", "/v1/phone-numbers?endpoint_id="+epA.str("id"), nil)); l.Body["total"] != float64(0) {
		t.Fatalf("filtering by A's endpoint leaks A: %s", l.Raw)
	}
	// Nor can B attach A's endpoint to its own number, or claim A's number.
	b.mustErr(404, "NUMBER_NOT_AVAILABLE", b.do("POST", "/v1/phone-numbers", map[string]any{"number": "+2348012345001"}))
	b.mustErr(404, "ENDPOINT_NOT_FOUND", b.do("POST", "/v1/phone-numbers", map[string]any{"number": "+2348012345002", "endpoint_id": epA.str("id")}))
	pnB := b.must(201, b.do("POST", "/v1/phone-numbers", map[string]any{"number": "+2348012345002"}))
	b.mustErr(404, "ENDPOINT_NOT_FOUND", b.do("PATCH", "/v1/phone-numbers/"+pnB.str("id"), map[string]any{"endpoint_id": epA.str("id")}))
	b.mustErr(404, "ENDPOINT_NOT_FOUND", b.do("PATCH", "/v1/phone-numbers/"+pnB.str("id"), map[string]any{"fallback_endpoint_id": epA.str("id")}))

	// The organisation comes from the key: naming another one is refused.
	b.mustErr(403, "FORBIDDEN", b.do("GET", "/v1/endpoints", nil, header("x-organization-id", epA.str("organization_id"))))
	b.mustErr(403, "FORBIDDEN", b.do("GET", "/v1/endpoints?organization_id="+epA.str("organization_id"), nil))
	b.must(200, b.do("GET", "/v1/endpoints?organization_id="+epB.str("organization_id"), nil))

	// A's objects are untouched.
	if got := a.must(200, a.do("GET", "/v1/endpoints/"+epA.str("id"), nil)); got.str("name") != "A" {
		t.Fatalf("A's endpoint changed: %s", got.Raw)
	}
}

func TestAuthAndScopes(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	anon := ts.client("")
	anon.mustErr(401, "MISSING_API_KEY", anon.do("GET", "/v1/endpoints", nil))
	anon.mustErr(401, "INVALID_API_KEY", anon.do("GET", "/v1/endpoints", nil, header("x-api-key", "kros_live_nope")))
	// A key whose checksum fails is refused without a lookup.
	other := ts.newKey("other")
	other.must(200, other.do("GET", "/v1/endpoints", nil))
	tampered := []byte(other.key)
	tampered[20] ^= 1
	anon.mustErr(401, "INVALID_API_KEY", anon.do("GET", "/v1/endpoints", nil, header("x-api-key", string(tampered))))
	anon.mustErr(401, "INVALID_API_KEY", anon.do("GET", "/v1/endpoints", nil, header("Authorization", "Basic Zm9vOmJhcg==")))
	// Bearer works, and both headers must agree.
	anon.must(200, anon.do("GET", "/v1/endpoints", nil, header("Authorization", "Bearer "+ts.BootstrapKey)))
	anon.mustErr(401, "INVALID_API_KEY", anon.do("GET", "/v1/endpoints", nil,
		header("Authorization", "Bearer "+ts.BootstrapKey), header("x-api-key", other.key)))

	// Scopes are enforced per route.
	ro := ts.newKey("default", "endpoints:read", "numbers:read")
	ro.must(200, ro.do("GET", "/v1/endpoints", nil))
	r := ro.mustErr(403, "INSUFFICIENT_SCOPE", ro.do("POST", "/v1/endpoints", map[string]any{"name": "x", "type": "webhook", "url": "https://a.example"}))
	if r.Body["details"].(map[string]any)["required_scope"] != "endpoints:write" {
		t.Fatalf("details must name the scope: %s", r.Raw)
	}
	numbersOnly := ts.newKey("default", "numbers:write")
	numbersOnly.mustErr(403, "INSUFFICIENT_SCOPE", numbersOnly.do("GET", "/v1/endpoints", nil))
	numbersOnly.mustErr(403, "INSUFFICIENT_SCOPE", numbersOnly.do("GET", "/v1/phone-numbers", nil))
	ro.mustErr(403, "INSUFFICIENT_SCOPE", ro.do("DELETE", "/v1/phone-numbers/pn_x", nil))

	// Test keys work in their organisation too.
	testKey := ts.cli("keys", "create", "--org", "default", "--test")
	if !strings.HasPrefix(testKey, "kros_test_") {
		t.Fatalf("--test key %q", testKey)
	}
	tk := ts.client(testKey)
	tk.must(200, tk.do("GET", "/v1/endpoints", nil))
}
