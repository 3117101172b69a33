package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/internal/sipptest"
)

// TestOutboundCallE2E: POST /v1/outbound-calls through the real wiring
// places the call (the callee through the trunk, SIPp as the carrier,
// then the agent, SIPp too) and the hangup API ends it, once connected
// (completed, both sides hung up) and while the callee rings (canceled,
// the carrier gets our CANCEL).
func TestOutboundCallE2E(t *testing.T) {
	t.Parallel()
	sipptest.Require(t)
	for _, tc := range []struct {
		name, ip, carrier, agent string
		connect                  bool
		path                     string
	}{
		{"hangup when connected", "127.0.0.140", "uas_carrier_late_offer", "uas_answer", true, "/v1/outbound-calls"},
		// KrosAI's other spelling of the route.
		{"hangup while ringing", "127.0.0.141", "uas_ring", "uas_answer", false, "/v1/outbound-call"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t)
			c := ts.client(ts.BootstrapKey)
			const from, to = "+2348012345671", "+2348098765432"
			ts.cli("inventory", "add", from)
			carrier := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: tc.carrier, IP: tc.ip, Calls: 1})
			agent := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: tc.agent, IP: tc.ip, Calls: 1})
			ep := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{
				"name": "Agent", "type": "custom_sip", "url": "sip:agent@" + agent.Addr() + ";transport=udp"}))
			c.must(201, c.do("POST", "/v1/trunks", map[string]any{"name": "carrier", "address": carrier.Addr(), "transport": "udp"}))
			c.must(201, c.do("POST", "/v1/phone-numbers", map[string]any{
				"number": from, "endpoint_id": ep.str("id"), "allow_outbound": true}))

			r := c.must(201, c.do("POST", tc.path, map[string]any{
				"from_number": from, "to_number": to, "metadata": map[string]any{"lead": "42"}, "ring_timeout": 30}))
			id := r.str("call_id")
			if r.str("status") != "initiated" || r.str("id") != id || r.str("from_number") != from || r.str("to_number") != to ||
				r.str("endpoint_id") != ep.str("id") || !strings.HasPrefix(id, "call_") {
				t.Fatalf("201: %s", r.Raw)
			}

			// The record is stored when the 201 leaves: the GET that
			// follows at once finds it.
			if g := c.do("GET", "/v1/calls/"+id, nil); g.Status != 200 || g.str("direction") != "outbound" {
				t.Fatalf("GET right after the 201: %d %s", g.Status, g.Raw)
			}
			if tc.connect {
				eventually(t, 10*time.Second, "the call to be in_progress", func() bool {
					r := c.do("GET", "/v1/calls/"+id, nil)
					return r.Status == 200 && r.str("status") == "in_progress"
				})
			} else {
				// Ringing emits call.ringing; the record is written when
				// the call is answered or ends.
				eventually(t, 10*time.Second, "call.ringing", func() bool {
					r := c.do("GET", "/v1/events?type=call.ringing", nil)
					return r.Status == 200 && strings.Contains(string(r.Raw), id)
				})
			}
			c.must(202, c.do("POST", "/v1/calls/"+id+"/hangup", nil))
			carrier.Wait(30*time.Second).ExpectCalls(t, 1, 0)
			agentRes := agent.Stop()

			var call *response
			eventually(t, 10*time.Second, "the record to show the end", func() bool {
				call = c.must(200, c.do("GET", "/v1/calls/"+id, nil))
				return call.Body["completed_at"] != nil
			})
			if call.str("direction") != "outbound" || call.str("from_number") != from || call.str("to_number") != to ||
				call.str("hangup_by") != "api" || !strings.Contains(string(call.Raw), `"lead":"42"`) {
				t.Errorf("record: %s", call.Raw)
			}
			r = c.must(200, c.do("GET", "/v1/calls/"+id+"/events", nil))
			var types []string
			for _, it := range r.items("events") {
				types = append(types, it["type"].(string))
			}
			if tc.connect {
				agentRes.ExpectCalls(t, 1, 0)
				if call.str("status") != "completed" || call.str("hangup_cause") != "normal_clearing" || call.Body["answered_at"] == nil {
					t.Errorf("connected call hung up: %s", call.Raw)
				}
				// The agent's ringing is on the timeline unless its 200
				// overtook its 180.
				types = slices.DeleteFunc(types, func(s string) bool { return s == "call.agent_ringing" })
				wantTypes := []string{"call.initiated", "call.ringing", "call.answered", "call.agent_connected", "call.completed"}
				if !slices.Equal(types, wantTypes) {
					t.Errorf("timeline %v, want %v", types, wantTypes)
				}
			} else {
				if n := len(agentRes.Requests("INVITE")); n != 0 {
					t.Errorf("the agent got %d INVITEs before anyone answered", n)
				}
				if call.str("status") != "canceled" || call.Body["answered_at"] != nil ||
					call.str("failure_reason") != "hangup_api" || call.str("hangup_cause") != "normal_clearing" {
					t.Errorf("call hung up while ringing: %s", call.Raw)
				}
				if wantTypes := []string{"call.initiated", "call.ringing", "call.failed"}; !slices.Equal(types, wantTypes) {
					t.Errorf("timeline %v, want %v", types, wantTypes)
				}
			}
		})
	}
}

// TestOutboundCallRateFlag: --outbound-call-rate limits POST
// /v1/outbound-calls per organisation before the request is even checked,
// and 0 lifts the limit.
func TestOutboundCallRateFlag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rate     float64
		want429s bool
	}{{1, true}, {0, false}} {
		ts := startServer(t, func(c *ServeConfig) { c.OutboundCallRate = tc.rate })
		c := ts.client(ts.BootstrapKey)
		got429 := false
		for range 5 {
			r := c.do("POST", "/v1/outbound-calls", map[string]any{"from_number": "nope", "to_number": "+2348098765432"})
			switch {
			case r.Status == 429 && r.str("code") == "RATE_LIMIT_EXCEEDED":
				got429 = true
			case r.Status != 400:
				t.Fatalf("rate %v: %d %s", tc.rate, r.Status, r.Raw)
			}
		}
		if got429 != tc.want429s {
			t.Errorf("--outbound-call-rate %v: a 429 among 5 requests at once = %v, want %v", tc.rate, got429, tc.want429s)
		}
	}
}
