package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPhoneNumbersFlow(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	csv := filepath.Join(t.TempDir(), "numbers.csv")
	if err := os.WriteFile(csv, []byte("number,country,type\n+254700000001,KE,mobile\n+971500000001,AE,mobile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := ts.cli("inventory", "add", "--file", csv); !strings.Contains(out, "added 2") {
		t.Fatalf("inventory add --file: %s", out)
	}
	if out := ts.cli("inventory", "add", "--country", "NG", "08012345678", "+2348012345679"); !strings.Contains(out, "added 2") {
		t.Fatalf("inventory add: %s", out)
	}
	if out := ts.cli("inventory", "add", "+254700000001", "+2348012345670"); !strings.Contains(out, "added 1, already present 1, bad 0") {
		t.Fatalf("inventory add of a known number: %s", out)
	}
	c := ts.client(ts.BootstrapKey)

	// The free inventory, in both spellings.
	ng := c.must(200, c.do("GET", "/v1/phone-numbers/available?country=NG", nil))
	if ng.Body["total"] != float64(3) {
		t.Fatalf("available NG: %s", ng.Raw)
	}
	first := ng.list("phone_numbers")[0].(map[string]any)
	if !strings.HasPrefix(first["id"].(string), "inv_") || first["e164"] != first["number"] {
		t.Fatalf("available item: %v", first)
	}
	alt := c.must(200, c.do("GET", "/v1/phone-numbers?action=available&country=KE&type=mobile", nil))
	if alt.Body["total"] != float64(1) {
		t.Fatalf("?action=available: %s", alt.Raw)
	}
	for _, q := range []string{"country=Nigeria", "type=fax", "limit=101", "area=1"} {
		c.mustErr(400, "VALIDATION_ERROR", c.do("GET", "/v1/phone-numbers/available?"+q, nil))
	}

	ep := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{
		"name": "Support", "type": "agent", "provider_config": map[string]any{"provider": "elevenlabs", "agent_id": "a1"}}))
	fb := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{"name": "Fallback", "type": "webhook", "url": "https://fb.example/hook"}))

	// Claim by inventory id (KrosAI's API flow, camelCase endpoint) and by number.
	byInv := c.must(201, c.do("POST", "/v1/phone-numbers", map[string]any{"inventory_id": first["id"], "endpointId": ep.str("id")}))
	if byInv.str("number") != first["number"] || byInv.str("e164") != byInv.str("number") || byInv.str("endpoint_id") != ep.str("id") ||
		byInv.Body["allow_inbound"] != true || !strings.HasPrefix(byInv.str("id"), "pn_") {
		t.Fatalf("claim by inventory_id: %s", byInv.Raw)
	}
	byNum := c.must(201, c.do("POST", "/v1/phone-numbers", map[string]any{"e164": "+254700000001", "country": "KE", "type": "mobile",
		"allow_outbound": false, "monthlyCostCents": 0}))
	if byNum.Body["allow_outbound"] != false || byNum.str("country") != "KE" {
		t.Fatalf("claim by number: %s", byNum.Raw)
	}
	c.mustErr(404, "NUMBER_NOT_AVAILABLE", c.do("POST", "/v1/phone-numbers", map[string]any{"inventory_id": first["id"]}))
	c.mustErr(404, "NUMBER_NOT_AVAILABLE", c.do("POST", "/v1/phone-numbers", map[string]any{"number": "+15555550100"}))
	c.mustErr(400, "VALIDATION_ERROR", c.do("POST", "/v1/phone-numbers", map[string]any{}))
	c.mustErr(400, "VALIDATION_ERROR", c.do("POST", "/v1/phone-numbers", map[string]any{"number": "not a number"}))
	c.mustErr(400, "VALIDATION_ERROR", c.do("POST", "/v1/phone-numbers", map[string]any{"number": "+2348012345679", "endpoint_id": "ep_1", "endpointId": "ep_2"}))
	if after := c.must(200, c.do("GET", "/v1/phone-numbers/available?country=NG", nil)); after.Body["total"] != float64(2) {
		t.Fatalf("a claimed number must leave the inventory: %s", after.Raw)
	}

	// Owned list with filters; get embeds the endpoint summary.
	owned := c.must(200, c.do("GET", "/v1/phone-numbers", nil))
	if owned.Body["total"] != float64(2) || owned.Body["offset"] != float64(0) {
		t.Fatalf("owned: %s", owned.Raw)
	}
	if l := c.must(200, c.do("GET", "/v1/phone-numbers?country=KE&status=active", nil)); l.Body["total"] != float64(1) {
		t.Fatalf("country filter: %s", l.Raw)
	}
	if l := c.must(200, c.do("GET", "/v1/phone-numbers?endpoint_id="+ep.str("id"), nil)); l.Body["total"] != float64(1) {
		t.Fatalf("endpoint filter: %s", l.Raw)
	}
	c.mustErr(400, "VALIDATION_ERROR", c.do("GET", "/v1/phone-numbers?status=sold", nil))
	got := c.must(200, c.do("GET", "/v1/phone-numbers/"+byInv.str("id"), nil))
	summary, _ := got.Body["endpoint"].(map[string]any)
	if summary["id"] != ep.str("id") || summary["provider"] != "elevenlabs" || summary["name"] != "Support" {
		t.Fatalf("endpoint summary: %s", got.Raw)
	}

	// PATCH in both spellings; null detaches.
	p := c.must(200, c.do("PATCH", "/v1/phone-numbers/"+byNum.str("id"), map[string]any{
		"endpointId": ep.str("id"), "fallback_endpoint_id": fb.str("id"), "allowInbound": false}))
	if p.str("endpoint_id") != ep.str("id") || p.str("fallback_endpoint_id") != fb.str("id") || p.Body["allow_inbound"] != false {
		t.Fatalf("patch: %s", p.Raw)
	}
	p = c.must(200, c.do("PATCH", "/v1/phone-numbers/"+byNum.str("id"), map[string]any{"fallback_endpoint_id": nil, "allow_inbound": true}))
	if p.Body["fallback_endpoint_id"] != nil || p.Body["allow_inbound"] != true || p.str("endpoint_id") != ep.str("id") {
		t.Fatalf("patch null: %s", p.Raw)
	}
	c.mustErr(400, "VALIDATION_ERROR", c.do("PATCH", "/v1/phone-numbers/"+byNum.str("id"), map[string]any{"allow_inbound": nil}))
	c.mustErr(400, "VALIDATION_ERROR", c.do("PATCH", "/v1/phone-numbers/"+byNum.str("id"), map[string]any{"allow_inbound": true, "allowInbound": false}))
	c.mustErr(400, "VALIDATION_ERROR", c.do("PATCH", "/v1/phone-numbers/"+byNum.str("id"), map[string]any{"status": "inactive"}))
	c.mustErr(404, "ENDPOINT_NOT_FOUND", c.do("PATCH", "/v1/phone-numbers/"+byNum.str("id"), map[string]any{"endpoint_id": "ep_doesnotexist"}))

	// Deleting the endpoint detaches its numbers; they stay owned.
	del := c.must(200, c.do("DELETE", "/v1/endpoints/"+ep.str("id"), nil))
	if del.Body["detached_phone_numbers"] != float64(2) {
		t.Fatalf("delete endpoint: %s", del.Raw)
	}
	for _, id := range []string{byInv.str("id"), byNum.str("id")} {
		n := c.must(200, c.do("GET", "/v1/phone-numbers/"+id, nil))
		if n.Body["endpoint_id"] != nil || n.Body["endpoint"] != nil {
			t.Fatalf("number still attached after endpoint delete: %s", n.Raw)
		}
	}

	// Release returns the number to the inventory.
	rel := c.must(200, c.do("DELETE", "/v1/phone-numbers/"+byInv.str("id")+"?action=release", nil))
	if rel.Body["released"] != true || rel.str("number") != byInv.str("number") {
		t.Fatalf("release: %s", rel.Raw)
	}
	c.mustErr(404, "PHONE_NUMBER_NOT_FOUND", c.do("GET", "/v1/phone-numbers/"+byInv.str("id"), nil))
	c.mustErr(404, "PHONE_NUMBER_NOT_FOUND", c.do("GET", "/v1/phone-numbers/ep_wrongkind", nil))
	if after := c.must(200, c.do("GET", "/v1/phone-numbers/available?country=NG", nil)); after.Body["total"] != float64(3) {
		t.Fatalf("a released number must be available again: %s", after.Raw)
	}
	c.must(201, c.do("POST", "/v1/phone-numbers", map[string]any{"inventory_id": first["id"]}))
}
