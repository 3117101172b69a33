package main

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/internal/sipptest"
)

// TestSIPHangupRinging: an inbound call whose agent rings has no record
// yet (it is written when the call is answered or fails), only its
// call.initiated and call.ringing events; the hangup API through the node
// that holds it still ends it (CANCEL to the agent, 487 to the caller),
// and its record then says so, with the whole timeline.
func TestSIPHangupRinging(t *testing.T) {
	t.Parallel()
	f := newSIPFixture(t)
	ip := agentIP()
	ring := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_ring", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1,
		Vars: map[string]string{"wait": "10000"}})
	f.attach(f.agent(ring, nil), "")
	f.placed++
	caller := sipptest.StartUAC(t, sipptest.UACOptions{Scenario: "uac_expect", Target: f.ts.SIPAddr(),
		Rows: [][]string{{f.number, "+2348099990000"}}, Vars: map[string]string{"status": "487"}})

	var id string
	eventually(t, 10*time.Second, "call.ringing", func() bool {
		for _, ev := range f.c.must(200, f.c.do("GET", "/v1/events?type=call.ringing", nil)).items("events") {
			id, _ = ev["data"].(map[string]any)["call_id"].(string)
		}
		return id != ""
	})
	if r := f.c.do("GET", "/v1/calls/"+id, nil); r.Status != 404 {
		t.Errorf("GET a ringing call: %d %s, want 404 (no record before the answer)", r.Status, r.Raw)
	}
	if r := f.c.do("POST", "/v1/calls/call_"+strings.Repeat("0", 24)+"/hangup", nil); r.Status != 404 {
		t.Errorf("hang up a call nobody holds: %d %s, want 404", r.Status, r.Raw)
	}
	f.c.must(202, f.c.do("POST", "/v1/calls/"+id+"/hangup", nil))
	caller.Wait(20*time.Second).ExpectCalls(t, 1, 0)
	agent := ring.Wait(20 * time.Second)
	agent.ExpectCalls(t, 1, 0)
	if len(agent.Requests("CANCEL")) != 1 {
		t.Errorf("agent got no CANCEL:\n%s", agent.Diagnostics())
	}
	expectCall(t, f.call(id), map[string]any{"status": "canceled", "hangup_by": "api", "sip_status": 487})
	if got := strings.Join(f.timeline(id), ","); got != "call.initiated,call.ringing,call.failed" {
		t.Errorf("timeline %s", got)
	}
}
