package main

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-voice/switchboard"
	sdk "github.com/switchboard-voice/switchboard/client"
)

// TestExplainRoute walks a number through the routing cases with the Go
// SDK; the raw client checks the /api/v1 alias.
func TestExplainRoute(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	if out := ts.cli("inventory", "add", "+2348012345601"); out == "" {
		t.Fatal("inventory add printed nothing")
	}
	ctx := context.Background()
	c := ts.sdk(ts.BootstrapKey)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	ep, err := c.CreateEndpoint(ctx, sdk.EndpointCreate{Name: "Support", Type: "agent",
		ProviderConfig: map[string]any{"provider": "elevenlabs", "agent_id": "a1"}})
	must(ep, err)
	fb, err := c.CreateEndpoint(ctx, sdk.EndpointCreate{Name: "Fallback", Type: "webhook", URL: "https://fb.example/hook"})
	must(fb, err)
	pn, err := c.ClaimPhoneNumber(ctx, sdk.ClaimPhoneNumberParams{Number: "+2348012345601", EndpointID: ep.ID})
	must(pn, err)

	type want struct {
		decision, endpoint, reason string
		fallback                   bool
		sip                        int // 0: none
	}
	check := func(step string, w want) {
		t.Helper()
		r, err := c.ExplainPhoneNumberRoute(ctx, pn.ID)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		gotEndpoint, gotSIP := "", 0
		if r.EndpointID != nil {
			gotEndpoint = *r.EndpointID
		}
		if r.SIPStatus != nil {
			gotSIP = *r.SIPStatus
		}
		if r.PhoneNumberID != pn.ID || r.Number != "+2348012345601" || r.Decision != w.decision || gotEndpoint != w.endpoint ||
			r.UsedFallback != w.fallback || r.Reason != w.reason || gotSIP != w.sip {
			t.Fatalf("%s: %+v, want %+v", step, r, w)
		}
		if (w.endpoint == "") != (r.Endpoint == nil) || (r.Endpoint != nil && r.Endpoint.ID != w.endpoint) {
			t.Fatalf("%s: endpoint summary %+v", step, r.Endpoint)
		}
		// The failover chain starts with the endpoint above, or is empty
		// (an empty array, never null: the spec validator checks that).
		if (w.endpoint == "") != (len(r.Targets) == 0) {
			t.Fatalf("%s: targets %+v", step, r.Targets)
		}
		if len(r.Targets) > 0 {
			first := r.Targets[0]
			if first.EndpointID != w.endpoint || first.Fallback != w.fallback || first.Endpoint.ID != w.endpoint {
				t.Fatalf("%s: first target %+v", step, first)
			}
		}
	}
	// chain checks the whole failover chain: endpoint IDs, a fallback's
	// prefixed with "fallback:".
	chain := func(step string, want ...string) {
		t.Helper()
		r, err := c.ExplainPhoneNumberRoute(ctx, pn.ID)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		var got []string
		for _, tg := range r.Targets {
			id := tg.EndpointID
			if tg.Fallback {
				id = "fallback:" + id
			}
			got = append(got, id)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: chain %v, want %v", step, got, want)
		}
	}
	setStatus := func(id, status string) {
		t.Helper()
		must(c.UpdateEndpoint(ctx, id, sdk.EndpointUpdate{Status: switchboard.Some(status)}))
	}

	check("active agent", want{decision: "agent", endpoint: ep.ID, reason: "routed"})
	chain("active agent, no fallback", ep.ID)
	raw := ts.client(ts.BootstrapKey)
	if r := raw.must(200, raw.do("GET", "/api/v1/phone-numbers/"+pn.ID+"/route", nil)); r.str("decision") != "agent" {
		t.Fatalf("/api/v1 alias: %s", r.Raw)
	}

	setStatus(ep.ID, "inactive")
	check("inactive agent", want{decision: "reject", reason: "endpoint_inactive", sip: 480})

	must(c.UpdatePhoneNumber(ctx, pn.ID, sdk.PhoneNumberUpdate{FallbackEndpointID: switchboard.Some(fb.ID)}))
	check("fallback", want{decision: "webhook", endpoint: fb.ID, reason: "endpoint_inactive", fallback: true})
	chain("fallback only", "fallback:"+fb.ID)

	setStatus(fb.ID, "inactive")
	check("inactive fallback", want{decision: "reject", reason: "endpoint_inactive", sip: 480})
	setStatus(fb.ID, "active")

	// Both active: the endpoint, then the fallback it fails over to.
	setStatus(ep.ID, "active")
	check("active agent with a fallback", want{decision: "agent", endpoint: ep.ID, reason: "routed"})
	chain("active agent with a fallback", ep.ID, "fallback:"+fb.ID)

	must(c.UpdatePhoneNumber(ctx, pn.ID, sdk.PhoneNumberUpdate{AllowInbound: switchboard.Some(false)}))
	check("inbound disabled", want{decision: "reject", reason: "inbound_disabled", sip: 404})
	must(c.UpdatePhoneNumber(ctx, pn.ID, sdk.PhoneNumberUpdate{AllowInbound: switchboard.Some(true)}))

	// Deleting the endpoints detaches the number.
	must(c.DeleteEndpoint(ctx, ep.ID))
	must(c.DeleteEndpoint(ctx, fb.ID))
	check("endpoint deleted", want{decision: "reject", reason: "no_endpoint", sip: 480})

	// Another organisation, a missing number, and the scope.
	other := ts.sdk(ts.cli("keys", "create", "--org", "other"))
	_, err = other.ExplainPhoneNumberRoute(ctx, pn.ID)
	wantAPIError(t, err, 404, "PHONE_NUMBER_NOT_FOUND")
	_, err = c.ExplainPhoneNumberRoute(ctx, "pn_doesnotexist")
	wantAPIError(t, err, 404, "PHONE_NUMBER_NOT_FOUND")
	ro := ts.sdk(ts.cli("keys", "create", "--org", "default", "--scopes", "numbers:read"))
	must(ro.ExplainPhoneNumberRoute(ctx, pn.ID))
	epRead := ts.sdk(ts.cli("keys", "create", "--org", "default", "--scopes", "endpoints:read"))
	_, err = epRead.ExplainPhoneNumberRoute(ctx, pn.ID)
	wantAPIError(t, err, 403, "INSUFFICIENT_SCOPE")
}
