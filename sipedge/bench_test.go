package sipedge

import (
	"context"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// staticRouting serves a fixed set of routing entries.
type staticRouting struct {
	numbers   []*switchboard.PhoneNumber
	endpoints []*switchboard.Endpoint
	trunks    []*switchboard.Trunk
}

func (s staticRouting) RoutingEntries(context.Context, string) ([]*switchboard.PhoneNumber, []*switchboard.Endpoint, error) {
	return s.numbers, s.endpoints, nil
}

func (s staticRouting) RoutingTrunks(_ context.Context, orgID string) ([]*switchboard.Trunk, error) {
	var out []*switchboard.Trunk
	for _, t := range s.trunks {
		if orgID == "" || t.OrganizationID == orgID {
			out = append(out, t)
		}
	}
	return out, nil
}

// BenchmarkCallSetup is the edge's own work per call before the network:
// the call, its routing decision, its call.initiated update and the agent
// INVITE. Its allocs/op must not grow.
func BenchmarkCallSetup(b *testing.B) {
	epID, fbID := "ep_agent", "ep_fallback"
	routing := staticRouting{
		numbers: []*switchboard.PhoneNumber{{ID: "pn_1", OrganizationID: "org_1", E164: "+2348031000000",
			AllowInbound: true, EndpointID: &epID, FallbackEndpointID: &fbID}},
		endpoints: []*switchboard.Endpoint{
			{ID: epID, Type: switchboard.EndpointAgent, Status: switchboard.StatusActive, URL: "sip:agent@127.0.0.1:5090"},
			{ID: fbID, Type: switchboard.EndpointAgent, Status: switchboard.StatusActive, URL: "sip:fallback@127.0.0.1:5091"},
		},
	}
	e := &Edge{now: switchboard.SystemClock, host: "127.0.0.1", table: NewTable(routing), contacts: map[string]sip.ContactHeader{
		"UDP": {Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: 5060}},
	}}
	if err := e.table.Reload(b.Context(), ""); err != nil {
		b.Fatal(err)
	}
	req := carrierInvite(b)
	b.ReportAllocs()
	for b.Loop() {
		c, n := benchSetup(e, req)
		if n != 2 || c == nil {
			b.Fatalf("%d targets", n)
		}
	}
}

// benchSetup is onInvite's work up to the first INVITE to an agent.
func benchSetup(e *Edge, req *sip.Request) (*call, int) {
	c := e.newCall(req, nil, "+2348031000000")
	number, d := e.table.Route(c.called)
	_ = c.routed(number, d)
	ep := d.Targets[0].Endpoint
	u, _ := switchboard.AgentTarget(ep, c.called)
	c.buildInvite(target{uri: u, endpoint: ep}, "b@switchboard")
	return c, len(d.Targets)
}

// BenchmarkCallStates is a connected call's walk through the state
// machine, from routed to ended. fire allocates nothing itself: what it
// allocates are the record's snapshots for the ringing, answered and
// completed updates, as the edge always has.
func BenchmarkCallStates(b *testing.B) {
	e := &Edge{now: switchboard.SystemClock}
	walk := []input{inRouted, in1xx, in1xx, in2xx, inSaved, inAckA, inByeA, inByesSent}
	b.ReportAllocs()
	for b.Loop() {
		c := call{e: e, record: switchboard.Call{ID: "call_bench", Status: switchboard.CallInitiated}}
		for _, in := range walk {
			if !c.fire(in, evt{cause: switchboard.HangupUser, by: switchboard.HangupByCaller}).taken {
				b.Fatalf("%s not taken in %s", in, c.st)
			}
		}
	}
}
