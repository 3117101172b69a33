package main

import (
	"strings"
	"testing"
)

func TestExplainRoute(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	if out := ts.cli("inventory", "add", "+2348012345601"); out == "" {
		t.Fatal("inventory add printed nothing")
	}
	c := ts.client(ts.BootstrapKey)

	ep := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{
		"name": "Support", "type": "agent", "provider_config": map[string]any{"provider": "elevenlabs", "agent_id": "a1"}}))
	fb := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{"name": "Fallback", "type": "webhook", "url": "https://fb.example/hook"}))
	pn := c.must(201, c.do("POST", "/v1/phone-numbers", map[string]any{"number": "+2348012345601", "endpoint_id": ep.str("id")}))
	path := "/v1/phone-numbers/" + pn.str("id")

	type want struct {
		decision, endpoint, reason string
		fallback                   bool
		sip                        any
	}
	check := func(step string, w want) {
		t.Helper()
		r := c.must(200, c.do("GET", path+"/route", nil))
		var endpointID any
		if w.endpoint != "" {
			endpointID = w.endpoint
		}
		if r.str("phone_number_id") != pn.str("id") || r.str("number") != "+2348012345601" ||
			r.str("decision") != w.decision || r.Body["endpoint_id"] != endpointID || r.Body["used_fallback"] != w.fallback ||
			r.str("reason") != w.reason || r.Body["sip_status"] != w.sip {
			t.Fatalf("%s: %s", step, r.Raw)
		}
		summary, _ := r.Body["endpoint"].(map[string]any)
		if (w.endpoint == "") != (summary == nil) || (summary != nil && summary["id"] != w.endpoint) {
			t.Fatalf("%s: endpoint summary: %s", step, r.Raw)
		}
		// The failover chain starts with the endpoint above, or is empty.
		targets := r.list("targets")
		if r.Body["targets"] == nil || (w.endpoint == "") != (len(targets) == 0) {
			t.Fatalf("%s: targets: %s", step, r.Raw)
		}
		if len(targets) > 0 {
			first := targets[0].(map[string]any)
			if first["endpoint_id"] != w.endpoint || first["fallback"] != w.fallback || first["endpoint"].(map[string]any)["id"] != w.endpoint {
				t.Fatalf("%s: first target: %s", step, r.Raw)
			}
		}
	}
	// chain checks the whole failover chain: endpoint IDs, a fallback's
	// prefixed with "fallback:".
	chain := func(step string, want ...string) {
		t.Helper()
		r := c.must(200, c.do("GET", path+"/route", nil))
		var got []string
		for _, x := range r.list("targets") {
			tg := x.(map[string]any)
			id, _ := tg["endpoint_id"].(string)
			if tg["fallback"] == true {
				id = "fallback:" + id
			}
			got = append(got, id)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: chain %v, want %v: %s", step, got, want, r.Raw)
		}
	}

	check("active agent", want{decision: "agent", endpoint: ep.str("id"), reason: "routed"})
	chain("active agent, no fallback", ep.str("id"))
	if r := c.must(200, c.do("GET", "/api/v1/phone-numbers/"+pn.str("id")+"/route", nil)); r.str("decision") != "agent" {
		t.Fatalf("/api/v1 alias: %s", r.Raw)
	}

	c.must(200, c.do("PATCH", "/v1/endpoints/"+ep.str("id"), map[string]any{"status": "inactive"}))
	check("inactive agent", want{decision: "reject", reason: "endpoint_inactive", sip: float64(480)})

	c.must(200, c.do("PATCH", path, map[string]any{"fallback_endpoint_id": fb.str("id")}))
	check("fallback", want{decision: "webhook", endpoint: fb.str("id"), reason: "endpoint_inactive", fallback: true})
	chain("fallback only", "fallback:"+fb.str("id"))

	c.must(200, c.do("PATCH", "/v1/endpoints/"+fb.str("id"), map[string]any{"status": "inactive"}))
	check("inactive fallback", want{decision: "reject", reason: "endpoint_inactive", sip: float64(480)})
	c.must(200, c.do("PATCH", "/v1/endpoints/"+fb.str("id"), map[string]any{"status": "active"}))

	// Both active: the endpoint, then the fallback it fails over to.
	c.must(200, c.do("PATCH", "/v1/endpoints/"+ep.str("id"), map[string]any{"status": "active"}))
	check("active agent with a fallback", want{decision: "agent", endpoint: ep.str("id"), reason: "routed"})
	chain("active agent with a fallback", ep.str("id"), "fallback:"+fb.str("id"))

	c.must(200, c.do("PATCH", path, map[string]any{"allow_inbound": false}))
	check("inbound disabled", want{decision: "reject", reason: "inbound_disabled", sip: float64(404)})
	c.must(200, c.do("PATCH", path, map[string]any{"allow_inbound": true}))

	// Deleting the endpoints detaches the number.
	c.must(200, c.do("DELETE", "/v1/endpoints/"+ep.str("id"), nil))
	c.must(200, c.do("DELETE", "/v1/endpoints/"+fb.str("id"), nil))
	check("endpoint deleted", want{decision: "reject", reason: "no_endpoint", sip: float64(480)})

	// Another organisation, a missing number, and the scope.
	other := ts.newKey("other")
	other.mustErr(404, "PHONE_NUMBER_NOT_FOUND", other.do("GET", path+"/route", nil))
	c.mustErr(404, "PHONE_NUMBER_NOT_FOUND", c.do("GET", "/v1/phone-numbers/pn_doesnotexist/route", nil))
	ro := ts.newKey("default", "numbers:read")
	ro.must(200, ro.do("GET", path+"/route", nil))
	ep2 := ts.newKey("default", "endpoints:read")
	ep2.mustErr(403, "INSUFFICIENT_SCOPE", ep2.do("GET", path+"/route", nil))
}
