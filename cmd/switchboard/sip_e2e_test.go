package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/internal/sipptest"
)

// The call plane end to end: SIPp as the carrier and as the agent, the
// real program in between (sip-notes §6). Every test boots its own server
// and SIPp processes on their own loopback addresses and ports.

// agentIPs hands each agent its own loopback address, so tests running in
// parallel never share a socket.
var agentIPs atomic.Int32

func agentIP() string { return fmt.Sprintf("127.0.0.%d", 20+agentIPs.Add(1)%200) }

// sipFixture is a server with one number routed to one endpoint.
type sipFixture struct {
	t      *testing.T
	ts     *testServer
	c      *client
	number string
	pnID   string
	placed int // calls placed to number, so call("") knows which is newest
}

// numbers hands each fixture its own number (Nigerian mobile numbers:
// valid E.164 that libphonenumber accepts).
var numbers atomic.Int32

func nextNumber() string { return fmt.Sprintf("+234803%07d", 1000000+numbers.Add(1)) }

// newSIPFixture is a node with one number, for calls from and to SIPp.
func newSIPFixture(t *testing.T, opts ...serverOption) *sipFixture {
	t.Helper()
	sipptest.Require(t)
	return newNumberFixture(t, opts...)
}

// newNumberFixture is a node with one number (no SIPp needed).
func newNumberFixture(t *testing.T, opts ...serverOption) *sipFixture {
	t.Helper()
	ts := startServer(t, opts...)
	f := &sipFixture{t: t, ts: ts, c: ts.client(ts.BootstrapKey), number: nextNumber()}
	ts.cli("inventory", "add", f.number)
	pn := f.c.must(201, f.c.do("POST", "/v1/phone-numbers", map[string]any{"number": f.number}))
	f.pnID = pn.str("id")
	return f
}

// endpoint creates an endpoint and returns its ID.
func (f *sipFixture) endpoint(body map[string]any) string {
	f.t.Helper()
	return f.c.must(201, f.c.do("POST", "/v1/endpoints", body)).str("id")
}

// agent creates a custom-SIP agent endpoint reaching a SIPp agent.
func (f *sipFixture) agent(uas *sipptest.Process, extra map[string]any) string {
	body := map[string]any{"name": "agent", "type": "agent", "url": "sip:bot@" + uas.Addr(),
		"provider_config": map[string]any{"provider": "sip"}}
	for k, v := range extra {
		body[k] = v
	}
	return f.endpoint(body)
}

// attach points the number at an endpoint (and optionally a fallback).
func (f *sipFixture) attach(endpointID, fallbackID string) {
	f.t.Helper()
	body := map[string]any{"endpoint_id": endpointID}
	if fallbackID != "" {
		body["fallback_endpoint_id"] = fallbackID
	}
	f.c.must(200, f.c.do("PATCH", "/v1/phone-numbers/"+f.pnID, body))
	f.waitRouted(endpointID)
}

// waitRouted waits until the SIP edge's table routes the number to the
// endpoint: the change feed reloads it asynchronously.
func (f *sipFixture) waitRouted(endpointID string) {
	f.t.Helper()
	eventually(f.t, 5*time.Second, "routing table updated", func() bool {
		in := f.ts.edge.Table().Lookup(f.number)
		return in.Number != nil && in.Endpoint != nil && in.Endpoint.ID == endpointID
	})
}

// routeToAgent starts a SIPp agent running scenario (one call, over UDP,
// on its own address) and routes the number to it.
func (f *sipFixture) routeToAgent(scenario string) *sipptest.Process {
	f.t.Helper()
	ip := agentIP()
	uas := sipptest.StartUAS(f.t, sipptest.UASOptions{Scenario: scenario, IP: ip, Port: sipptest.FreePort(f.t, "udp", ip), Calls: 1})
	f.attach(f.agent(uas, nil), "")
	return uas
}

// carrier runs a carrier scenario against the server.
func (f *sipFixture) carrier(o sipptest.UACOptions) sipptest.Result {
	f.t.Helper()
	o.Target = f.ts.SIPAddr()
	if o.Rows == nil {
		o.Rows = [][]string{{f.number, "+2348099990000"}}
	}
	for _, r := range o.Rows {
		if r[0] == f.number {
			f.placed++
		}
	}
	return sipptest.RunUAC(f.t, o)
}

// call waits until the call record with the given ID (or, when id is "",
// the newest call of the number, once every call placed through carrier
// is recorded: records are written in batches) reaches a final status,
// and returns it.
func (f *sipFixture) call(id string) *response {
	f.t.Helper()
	var got *response
	eventually(f.t, 10*time.Second, "call record final", func() bool {
		if id == "" {
			l := f.c.must(200, f.c.do("GET", "/v1/calls?phone_number_id="+f.pnID+"&limit=1", nil))
			calls := l.list("calls")
			if len(calls) == 0 || int(l.Body["total"].(float64)) < f.placed {
				return false
			}
			got = &response{Body: calls[0].(map[string]any), Raw: l.Raw}
		} else {
			// Not found yet is not a failure: records are written in
			// batches, after the SIP messages that made them.
			if got = f.c.do("GET", "/v1/calls/"+id, nil); got.Status == 404 {
				return false
			}
			f.c.must(200, got)
		}
		switch got.str("status") {
		case "completed", "failed", "busy", "no_answer", "canceled":
			return true
		}
		return false
	})
	return got
}

// timeline returns the event types of a call's timeline.
func (f *sipFixture) timeline(id string) []string {
	r := f.c.must(200, f.c.do("GET", "/v1/calls/"+id+"/events", nil))
	var types []string
	for _, e := range r.list("events") {
		types = append(types, e.(map[string]any)["type"].(string))
	}
	return types
}

func expectCall(t *testing.T, call *response, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got := call.Body[k]; fmt.Sprint(got) != fmt.Sprint(v) {
			t.Errorf("call %s = %v, want %v\n%s", k, got, v, call.Raw)
		}
	}
}

// TestSIPProviders places one call per provider and checks what the agent
// received: the provider's Request-URI user and transport, the caller's
// SDP unchanged, the carrier's X- header, the endpoint's headers and
// X-Switchboard-Call-Id; then the record, its duration and its timeline.
func TestSIPProviders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		provider  string
		transport sipptest.Transport
		url       func(addr string) string
		config    map[string]any
		wantUser  func(number string) string
	}{
		{"elevenlabs", sipptest.TCP, func(a string) string { return "sip:agent@" + a + ";transport=tcp" },
			map[string]any{"agent_id": "el_1"}, func(n string) string { return n }},
		{"retell", sipptest.TCP, func(a string) string { return "sip:" + a },
			map[string]any{"agent_id": "rt_1"}, func(n string) string { return n }},
		{"livekit", sipptest.UDP, func(a string) string { return "sip:" + a },
			map[string]any{"agent_name": "lk"}, func(n string) string { return n }},
		{"vapi", sipptest.UDP, func(a string) string { return "sip:my-assistant@" + a },
			map[string]any{"assistant_id": "va_1"}, func(string) string { return "my-assistant" }},
		{"sip", sipptest.UDP, func(a string) string { return "sip:bot@" + a },
			nil, func(string) string { return "bot" }},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			t.Parallel()
			f := newSIPFixture(t)
			ip := agentIP()
			uas := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip,
				Port:      sipptest.FreePort(t, map[sipptest.Transport]string{sipptest.UDP: "udp", sipptest.TCP: "tcp"}[tt.transport], ip),
				Transport: tt.transport, Calls: 1})
			cfg := map[string]any{"provider": tt.provider}
			for k, v := range tt.config {
				cfg[k] = v
			}
			ep := f.endpoint(map[string]any{"name": tt.provider, "type": "agent", "url": tt.url(uas.Addr()),
				"provider_config": cfg, "headers": map[string]string{"X-Tenant": "acme"}})
			f.attach(ep, "")

			res := f.carrier(sipptest.UACOptions{Scenario: "uac_call", Vars: map[string]string{"hold": "1100"}})
			res.ExpectCalls(t, 1, 0)
			agent := uas.Wait(10 * time.Second)
			agent.ExpectCalls(t, 1, 0)
			invs := agent.Requests("INVITE")
			if len(invs) != 1 {
				t.Fatalf("agent got %d INVITEs:\n%s", len(invs), agent.Diagnostics())
			}
			inv := invs[0]
			if got := sipptest.URIUser(inv.RequestURI); got != tt.wantUser(f.number) {
				t.Errorf("Request-URI %s: user %q, want %q", inv.RequestURI, got, tt.wantUser(f.number))
			}
			if want := map[sipptest.Transport]string{sipptest.UDP: "UDP", sipptest.TCP: "TCP"}[tt.transport]; !strings.EqualFold(inv.Transport, want) {
				t.Errorf("agent reached over %s, want %s", inv.Transport, want)
			}
			carrierInv := res.Sent()[0]
			if inv.Header("X-Carrier-Trace") != carrierInv.Header("Call-ID") {
				t.Errorf("X-Carrier-Trace %q, want the carrier's Call-ID %q", inv.Header("X-Carrier-Trace"), carrierInv.Header("Call-ID"))
			}
			if inv.Header("X-Tenant") != "acme" {
				t.Errorf("endpoint header X-Tenant = %q", inv.Header("X-Tenant"))
			}
			if strings.TrimSpace(inv.Body) != strings.TrimSpace(carrierInv.Body) {
				t.Errorf("SDP changed:\n%s\nwant\n%s", inv.Body, carrierInv.Body)
			}
			callID := inv.Header("X-Switchboard-Call-Id")
			call := f.call(callID)
			expectCall(t, call, map[string]any{"status": "completed", "hangup_cause": "user_hangup", "hangup_by": "caller",
				"to_number": f.number, "from_number": "+2348099990000", "endpoint_id": ep, "phone_number_id": f.pnID,
				"direction": "inbound", "duration": 1})
			if got := strings.Join(f.timeline(callID), ","); got != "call.initiated,call.ringing,call.answered,call.completed" {
				t.Errorf("timeline %s", got)
			}
		})
	}
}

// TestSIPFailover: 503 from the agent moves the call to the number's
// fallback endpoint; 486 is final even with a fallback.
func TestSIPFailover(t *testing.T) {
	t.Parallel()
	t.Run("503 fails over", func(t *testing.T) {
		t.Parallel()
		f := newSIPFixture(t)
		ip := agentIP()
		bad := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_503", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
		good := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
		primary, fallback := f.agent(bad, nil), f.agent(good, nil)
		f.attach(primary, fallback)
		f.carrier(sipptest.UACOptions{Scenario: "uac_call"}).ExpectCalls(t, 1, 0)
		bad.Wait(10*time.Second).ExpectCalls(t, 1, 0)
		good.Wait(10*time.Second).ExpectCalls(t, 1, 0)
		call := f.call("")
		expectCall(t, call, map[string]any{"status": "completed", "endpoint_id": fallback})
		if got := strings.Join(f.timeline(call.str("id")), ","); !strings.Contains(got, "call.target_failed,call.failover") {
			t.Errorf("timeline %s", got)
		}
	})
	t.Run("486 is final", func(t *testing.T) {
		t.Parallel()
		f := newSIPFixture(t)
		ip := agentIP()
		busy := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_busy", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
		good := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
		f.attach(f.agent(busy, nil), f.agent(good, nil))
		f.carrier(sipptest.UACOptions{Scenario: "uac_expect", Vars: map[string]string{"status": "486"}}).ExpectCalls(t, 1, 0)
		busy.Wait(10*time.Second).ExpectCalls(t, 1, 0)
		if n := len(good.Stop().Requests("INVITE")); n != 0 {
			t.Errorf("the fallback got %d INVITEs after a 486", n)
		}
		expectCall(t, f.call(""), map[string]any{"status": "busy", "hangup_cause": "busy", "sip_status": 486})
	})
	t.Run("silent agent fails over", func(t *testing.T) {
		t.Parallel()
		f := newSIPFixture(t, func(c *ServeConfig) { c.SIPTryingTimeout = 500 * time.Millisecond })
		ip := agentIP()
		silent := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_silent", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1,
			Vars: map[string]string{"wait": "3000"}})
		good := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
		f.attach(f.agent(silent, nil), f.agent(good, nil))
		f.carrier(sipptest.UACOptions{Scenario: "uac_call"}).ExpectCalls(t, 1, 0)
		good.Wait(10*time.Second).ExpectCalls(t, 1, 0)
		silent.Stop()
		expectCall(t, f.call(""), map[string]any{"status": "completed"})
	})
}

// TestSIPRingTimeout: an agent that rings past the endpoint's ring
// timeout gets a CANCEL and the caller a 480; the call is no_answer.
func TestSIPRingTimeout(t *testing.T) {
	t.Parallel()
	f := newSIPFixture(t)
	ip := agentIP()
	ring := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_ring", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1,
		Vars: map[string]string{"wait": "10000"}})
	f.attach(f.agent(ring, map[string]any{"ring_timeout": 1}), "")
	start := time.Now()
	f.carrier(sipptest.UACOptions{Scenario: "uac_expect", Vars: map[string]string{"status": "480"}}).ExpectCalls(t, 1, 0)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("ring timeout of 1 s took %s", d)
	}
	agent := ring.Wait(10 * time.Second)
	agent.ExpectCalls(t, 1, 0)
	if len(agent.Requests("CANCEL")) != 1 {
		t.Errorf("agent got no CANCEL:\n%s", agent.Diagnostics())
	}
	expectCall(t, f.call(""), map[string]any{"status": "no_answer", "hangup_cause": "no_answer", "sip_status": 480})
}

// TestSIPCallerCancel: the caller cancels while the agent rings; the agent
// gets a CANCEL and the call is canceled.
func TestSIPCallerCancel(t *testing.T) {
	t.Parallel()
	for _, tr := range []sipptest.Transport{sipptest.UDP, sipptest.TCP} {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			f := newSIPFixture(t)
			ip := agentIP()
			ring := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_ring", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1,
				Vars: map[string]string{"wait": "10000"}})
			f.attach(f.agent(ring, nil), "")
			f.carrier(sipptest.UACOptions{Scenario: "uac_cancel", Transport: tr, Vars: map[string]string{"ring": "300"}}).ExpectCalls(t, 1, 0)
			agent := ring.Wait(10 * time.Second)
			agent.ExpectCalls(t, 1, 0)
			expectCall(t, f.call(""), map[string]any{"status": "canceled", "hangup_cause": "user_hangup", "hangup_by": "caller"})
		})
	}
}

// TestSIPAgentHangsUp: the agent sends BYE first; the caller gets it. An
// agent is usually outside --sip-trusted: its requests of a live call go
// on all the same.
func TestSIPAgentHangsUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []serverOption
	}{
		{"agent on a trusted network", nil},
		{"agent outside --sip-trusted", []serverOption{func(c *ServeConfig) {
			c.SIPTrusted = []netip.Prefix{netip.MustParsePrefix(sipptest.DefaultIP + "/32")}
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newSIPFixture(t, tc.opts...)
			ip := agentIP()
			uas := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_bye_first", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1,
				Vars: map[string]string{"hold": "300"}})
			f.attach(f.agent(uas, nil), "")
			f.carrier(sipptest.UACOptions{Scenario: "uac_wait_bye", Vars: map[string]string{"wait": "5000"}}).ExpectCalls(t, 1, 0)
			uas.Wait(10*time.Second).ExpectCalls(t, 1, 0)
			expectCall(t, f.call(""), map[string]any{"status": "completed", "hangup_cause": "agent_hangup", "hangup_by": "agent"})
		})
	}
}

// TestSIPDigestAuth: the agent challenges with 407; the endpoint's
// credentials answer it.
func TestSIPDigestAuth(t *testing.T) {
	t.Parallel()
	f := newSIPFixture(t)
	ip := agentIP()
	uas := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_auth", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1,
		Vars: map[string]string{"username": "switchboard"}})
	f.attach(f.agent(uas, map[string]any{"credentials": map[string]string{"username": "switchboard", "password": "s3cret-pass"}}), "")
	f.carrier(sipptest.UACOptions{Scenario: "uac_call"}).ExpectCalls(t, 1, 0)
	agent := uas.Wait(10 * time.Second)
	agent.ExpectCalls(t, 1, 0)
	invs := agent.Requests("INVITE")
	if len(invs) != 2 {
		t.Fatalf("agent got %d INVITEs, want 2 (challenge and answer)", len(invs))
	}
	if err := invs[1].VerifyDigest("switchboard", "s3cret-pass"); err != nil {
		t.Errorf("digest answer: %v", err)
	}
	expectCall(t, f.call(""), map[string]any{"status": "completed"})
}

// TestSIPRejections: unknown number 404, inbound disabled 404, deleted
// endpoint 480, untrusted source 403; each rejected call is recorded.
func TestSIPRejections(t *testing.T) {
	t.Parallel()
	f := newSIPFixture(t)
	ip := agentIP()
	uas := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
	ep := f.agent(uas, nil)
	f.attach(ep, "")

	f.carrier(sipptest.UACOptions{Scenario: "uac_expect", Vars: map[string]string{"status": "404"},
		Rows: [][]string{{"+2348030000001", "+2348099990000"}}}).ExpectCalls(t, 1, 0)

	f.c.must(200, f.c.do("PATCH", "/v1/phone-numbers/"+f.pnID, map[string]any{"allow_inbound": false}))
	eventually(t, 5*time.Second, "inbound disabled in the table", func() bool {
		in := f.ts.edge.Table().Lookup(f.number)
		return in.Number != nil && !in.Number.AllowInbound
	})
	f.carrier(sipptest.UACOptions{Scenario: "uac_expect", Vars: map[string]string{"status": "404"}}).ExpectCalls(t, 1, 0)
	expectCall(t, f.call(""), map[string]any{"status": "failed", "failure_reason": "inbound_disabled", "sip_status": 404})
	f.c.must(200, f.c.do("PATCH", "/v1/phone-numbers/"+f.pnID, map[string]any{"allow_inbound": true}))

	f.c.must(200, f.c.do("DELETE", "/v1/endpoints/"+ep, nil))
	eventually(t, 5*time.Second, "endpoint gone from the table", func() bool {
		in := f.ts.edge.Table().Lookup(f.number)
		return in.Number != nil && in.Number.AllowInbound && in.Endpoint == nil
	})
	f.carrier(sipptest.UACOptions{Scenario: "uac_expect", Vars: map[string]string{"status": "480"}}).ExpectCalls(t, 1, 0)
	expectCall(t, f.call(""), map[string]any{"status": "failed", "failure_reason": "no_endpoint", "sip_status": 480})
	if n := len(uas.Stop().Requests("INVITE")); n != 0 {
		t.Errorf("agent got %d INVITEs for rejected calls", n)
	}

	// A carrier outside --sip-trusted: challenged for an agent's
	// credentials (407) before any lookup.
	g := newSIPFixture(t, func(c *ServeConfig) { c.SIPTrusted = nil })
	g.carrier(sipptest.UACOptions{Scenario: "uac_expect", Vars: map[string]string{"status": "407"}}).ExpectCalls(t, 1, 0)
	if l := g.c.must(200, g.c.do("GET", "/v1/calls", nil)); len(l.list("calls")) != 0 {
		t.Errorf("an untrusted INVITE was recorded: %s", l.Raw)
	}
}

// TestSIPMaxDurationAndLimit: --max-call-duration ends a call with BYE on
// both legs; --max-calls-per-number turns a second concurrent call away
// with 503.
func TestSIPMaxDurationAndLimit(t *testing.T) {
	t.Parallel()
	f := newSIPFixture(t, func(c *ServeConfig) {
		c.MaxCallDuration = 1500 * time.Millisecond
		c.MaxCallsPerNumber = 1
	})
	ip := agentIP()
	uas := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
	f.attach(f.agent(uas, nil), "")
	first := sipptest.StartUAC(t, sipptest.UACOptions{Scenario: "uac_wait_bye", Target: f.ts.SIPAddr(),
		Rows: [][]string{{f.number, "+2348099990000"}}, Vars: map[string]string{"wait": "10000"}})
	eventually(t, 5*time.Second, "first call live", func() bool { return f.ts.edge.LiveCalls() == 1 })
	f.carrier(sipptest.UACOptions{Scenario: "uac_expect", Vars: map[string]string{"status": "503"}}).ExpectCalls(t, 1, 0)
	first.Wait(10*time.Second).ExpectCalls(t, 1, 0)
	uas.Wait(10*time.Second).ExpectCalls(t, 1, 0)
	var l *response
	eventually(t, 5*time.Second, "both calls recorded", func() bool {
		l = f.c.must(200, f.c.do("GET", "/v1/calls?status=completed", nil))
		return len(l.list("calls")) == 1
	})
	if calls := l.list("calls"); calls[0].(map[string]any)["hangup_cause"] != "timeout" {
		t.Errorf("completed calls: %s", l.Raw)
	}
	l = f.c.must(200, f.c.do("GET", "/v1/calls?status=failed", nil))
	if calls := l.list("calls"); len(calls) != 1 || calls[0].(map[string]any)["failure_reason"] != "concurrency_limit" {
		t.Errorf("failed calls: %s", l.Raw)
	}
}

// TestSIPWebhookEndpoint: the webhook says dial (with headers), reject, or
// nothing in time (then the fallback takes the call).
func TestSIPWebhookEndpoint(t *testing.T) {
	t.Parallel()
	f := newSIPFixture(t, func(c *ServeConfig) { c.CallWebhookTimeout = 500 * time.Millisecond })
	ip := agentIP()
	uas := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 2})
	var mode atomic.Value
	mode.Store("dial")
	var asked atomic.Int32
	recv := newHookReceiver(t, func(ctx context.Context, _ int, r receipt) (int, string) {
		if r.Event != "call.initiated" || !strings.Contains(string(r.Body), `"sip"`) {
			return 200, "" // a lifecycle event delivery
		}
		asked.Add(1)
		var env struct {
			Data struct {
				ToNumber string            `json:"to_number"`
				SIP      map[string]any    `json:"sip"`
				Headers  map[string]string `json:"-"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.Body, &env); err != nil || env.Data.ToNumber != f.number || env.Data.SIP["headers"].(map[string]any)["X-Carrier-Trace"] == nil {
			t.Errorf("call.initiated: %v %s", err, r.Body)
		}
		switch mode.Load() {
		case "dial":
			return 200, `{"action":"dial","targets":[{"uri":"sip:webhooked@` + uas.Addr() + `","headers":{"X-From-Hook":"yes"}}]}`
		case "reject":
			return 200, `{"action":"reject","status":603}`
		default:
			<-ctx.Done() // later than the timeout
			return 200, `{"action":"dial","targets":[]}`
		}
	})
	hook := f.c.must(201, f.c.do("POST", "/v1/endpoints", map[string]any{"name": "hook", "type": "webhook", "url": recv.url()}))
	recv.setSecrets(hook.str("secret"))
	f.attach(hook.str("id"), "")

	f.carrier(sipptest.UACOptions{Scenario: "uac_call"}).ExpectCalls(t, 1, 0)
	expectCall(t, f.call(""), map[string]any{"status": "completed", "endpoint_id": hook.str("id")})

	mode.Store("reject")
	f.carrier(sipptest.UACOptions{Scenario: "uac_expect", Vars: map[string]string{"status": "603"}}).ExpectCalls(t, 1, 0)
	expectCall(t, f.call(""), map[string]any{"status": "failed", "sip_status": 603})

	mode.Store("late")
	f.carrier(sipptest.UACOptions{Scenario: "uac_expect", Vars: map[string]string{"status": "480"}}).ExpectCalls(t, 1, 0)
	expectCall(t, f.call(""), map[string]any{"status": "failed", "failure_reason": "webhook_no_answer"})

	// Late again, now with a fallback agent that answers.
	fb := f.agent(uas, nil)
	f.c.must(200, f.c.do("PATCH", "/v1/phone-numbers/"+f.pnID, map[string]any{"fallback_endpoint_id": fb}))
	eventually(t, 5*time.Second, "fallback in the table", func() bool {
		in := f.ts.edge.Table().Lookup(f.number)
		return in.Fallback != nil && in.Fallback.ID == fb
	})
	f.carrier(sipptest.UACOptions{Scenario: "uac_call"}).ExpectCalls(t, 1, 0)
	expectCall(t, f.call(""), map[string]any{"status": "completed", "endpoint_id": fb})

	agent := uas.Wait(10 * time.Second)
	agent.ExpectCalls(t, 2, 0)
	invs := agent.Requests("INVITE")
	if len(invs) != 2 || sipptest.URIUser(invs[0].RequestURI) != "webhooked" || invs[0].Header("X-From-Hook") != "yes" {
		t.Errorf("agent INVITEs: %+v", invs)
	}
	if asked.Load() != 4 {
		t.Errorf("webhook asked %d times, want 4", asked.Load())
	}
}

// TestSIPMalformed sends garbage over UDP and TCP: the edge neither
// crashes nor leaks goroutines, and still connects a call afterwards.
func TestSIPMalformed(t *testing.T) {
	t.Parallel()
	f := newSIPFixture(t)
	ip := agentIP()
	uas := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
	f.attach(f.agent(uas, nil), "")
	before := scrapeMetrics(t, f.ts)["go_goroutines"]
	garbage := []string{
		"",
		"\x00\x01\x02\xff",
		"INVITE\r\n\r\n",
		"INVITE sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n",
		"INVITE sip:+2348030000001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKx\r\nCall-ID: a\r\n\r\n",
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKnope\r\nCSeq: 1 INVITE\r\n\r\n",
		"INVITE sip:" + f.number + "@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbad\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:" + f.number + "@x>\r\nCall-ID: bad-1\r\nCSeq: x INVITE\r\nContent-Length: 0\r\n\r\n",
		strings.Repeat("A", 70000),
		"BYE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbye\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: nope\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, g := range garbage {
			conn, err := net.Dial(network, f.ts.SIPAddr())
			if err != nil {
				t.Fatal(err)
			}
			conn.Write([]byte(g))
			conn.Close()
		}
	}
	// A carrier's keep-alive OPTIONS gets 200.
	conn, err := net.Dial("udp", f.ts.SIPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	fmt.Fprintf(conn, "OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bKopt1\r\nFrom: <sip:carrier@%s>;tag=1\r\n"+
		"To: <sip:%s>\r\nCall-ID: opt-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		f.ts.SIPAddr(), local, local, f.ts.SIPAddr())
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
		t.Errorf("OPTIONS: %v %q", err, buf[:n])
	}

	f.carrier(sipptest.UACOptions{Scenario: "uac_call"}).ExpectCalls(t, 1, 0)
	uas.Wait(10*time.Second).ExpectCalls(t, 1, 0)
	expectCall(t, f.call(""), map[string]any{"status": "completed"})
	m := scrapeMetrics(t, f.ts)
	if m[`switchboard_calls_total{status="completed"}`] != 1 || m["switchboard_call_setup_seconds_count"] != 1 {
		t.Errorf("call metrics: completed %v, setup count %v", m[`switchboard_calls_total{status="completed"}`], m["switchboard_call_setup_seconds_count"])
	}
	eventually(t, 10*time.Second, "goroutines back to where they were", func() bool {
		return scrapeMetrics(t, f.ts)["go_goroutines"] <= before+10
	})
}

// TestSIPDrain: on shutdown new INVITEs get 503 with Retry-After, and a
// live call gets BYE at the drain deadline and is recorded as ended by the
// system.
func TestSIPDrain(t *testing.T) {
	t.Parallel()
	f := newSIPFixture(t)
	ip := agentIP()
	uas := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
	f.attach(f.agent(uas, nil), "")
	live := sipptest.StartUAC(t, sipptest.UACOptions{Scenario: "uac_wait_bye", Target: f.ts.SIPAddr(),
		Rows: [][]string{{f.number, "+2348099990000"}}, Vars: map[string]string{"wait": "20000"}})
	eventually(t, 5*time.Second, "call live", func() bool { return f.ts.edge.LiveCalls() == 1 })

	edge, sipAddr := f.ts.edge, f.ts.SIPAddr()
	drained := make(chan struct{})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		edge.Drain(ctx)
		close(drained)
	}()
	eventually(t, 5*time.Second, "draining", edge.Draining)
	res := sipptest.RunUAC(t, sipptest.UACOptions{Scenario: "uac_expect", Target: sipAddr, Vars: map[string]string{"status": "503"},
		Rows: [][]string{{f.number, "+2348099990000"}}})
	res.ExpectCalls(t, 1, 0)
	if got := res.Responses(503); len(got) != 1 || got[0].Header("Retry-After") == "" {
		t.Errorf("503 without Retry-After:\n%s", res.Diagnostics())
	}
	live.Wait(10*time.Second).ExpectCalls(t, 1, 0)
	uas.Wait(10*time.Second).ExpectCalls(t, 1, 0)
	<-drained
	expectCall(t, f.call(""), map[string]any{"status": "completed", "hangup_cause": "system_shutdown", "hangup_by": "system"})
}

// scenarioFile is the absolute path of one of this package's own SIPp
// scenarios (SIPp runs in its own directory).
func scenarioFile(t *testing.T, name string) string {
	p, err := filepath.Abs(filepath.Join("testdata", "sipp", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSIPReinvite: a re-INVITE from the caller (hold) reaches the agent
// with the caller's new SDP, and the agent's answer reaches the caller.
// In the second case the agent sends its 200 to the relayed re-INVITE
// again after our ACK, as if the ACK had been lost; the re-INVITE's
// transaction is gone by then, and the 200 is ACKed again all the same
// (else the agent would end the call after 32 s).
func TestSIPReinvite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, uas   string
		carrierArgs []string
		method      string // the agent's requests counted
		want        int
		why         string
	}{
		{"relayed", "uas_reinvite.xml", nil, "INVITE", 2, "the call and its re-INVITE"},
		// The caller waits 1.5 s after its re-INVITE before it hangs up
		// (-d), so the agent's second 200 comes while the call is up.
		{"agent's 200 retransmitted", "uas_reinvite_late_200.xml", []string{"-d", "1500"}, "ACK", 3,
			"the answer, the re-INVITE's 200 and that 200 again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newSIPFixture(t)
			uas := f.routeToAgent(scenarioFile(t, tt.uas))
			f.carrier(sipptest.UACOptions{Scenario: scenarioFile(t, "uac_reinvite.xml"), ExtraArgs: tt.carrierArgs}).ExpectCalls(t, 1, 0)
			agent := uas.Wait(10 * time.Second)
			agent.ExpectCalls(t, 1, 0)
			if n := len(agent.Requests(tt.method)); n != tt.want {
				t.Errorf("agent got %d %ss, want %d (%s):\n%s", n, tt.method, tt.want, tt.why, agent.Diagnostics())
			}
			expectCall(t, f.call(""), map[string]any{"status": "completed", "hangup_by": "caller"})
		})
	}
}

// TestSIPReinviteAnswerRetransmitted: a caller that does not ACK our 200
// to its re-INVITE gets it again (over UDP the UAS core retransmits a
// 2xx), and the ACK, when it comes, stops that without ending the call.
// The caller is written by hand: SIPp cannot be made to hold back an ACK.
func TestSIPReinviteAnswerRetransmitted(t *testing.T) {
	t.Parallel()
	f := newSIPFixture(t)
	uas := f.routeToAgent(scenarioFile(t, "uas_reinvite.xml"))
	c := dialRawSIP(t, f.ts.SIPAddr())
	ruri := "sip:" + f.number + "@" + f.ts.SIPAddr()
	sdp := func(dir string) string {
		return "v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=" + dir + "\r\n"
	}
	c.send(c.request("INVITE", ruri, "z9hG4bK-reinv-1", "", 1, sdp("sendrecv")))
	toTag, _ := c.expectCSeq(5*time.Second, 200, "INVITE", 1).To().Params.Get("tag")
	c.send(c.request("ACK", ruri, "z9hG4bK-reinv-2", toTag, 1, ""))

	c.send(c.request("INVITE", ruri, "z9hG4bK-reinv-3", toTag, 2, sdp("sendonly")))
	c.expectCSeq(5*time.Second, 200, "INVITE", 2)
	// No ACK yet: the 200 comes again, T1 (500 ms) after the first.
	c.expectCSeq(3*time.Second, 200, "INVITE", 2)
	c.send(c.request("ACK", ruri, "z9hG4bK-reinv-4", toTag, 2, ""))
	// The ACK stops the retransmissions: the next was due 1 s after it.
	c.expectNone(1500*time.Millisecond, 200, "INVITE", 2)
	c.send(c.request("BYE", ruri, "z9hG4bK-reinv-5", toTag, 3, ""))
	c.expectCSeq(5*time.Second, 200, "BYE", 3)
	uas.Wait(10*time.Second).ExpectCalls(t, 1, 0)
	expectCall(t, f.call(""), map[string]any{"status": "completed", "hangup_by": "caller"})
}

// TestSIPImmediateBye: carriers that hang up the moment they have the 200
// (no hold) still end every call, on both legs and in the records. The
// BYE can arrive while the answer is still being recorded.
func TestSIPImmediateBye(t *testing.T) {
	t.Parallel()
	f := newSIPFixture(t)
	ip := agentIP()
	const calls = 60
	uas := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: calls})
	f.attach(f.agent(uas, nil), "")
	rows := make([][]string, calls)
	for i := range rows {
		rows[i] = []string{f.number, "+2348099990000"}
	}
	f.carrier(sipptest.UACOptions{Scenario: "uac_call", Rows: rows, Rate: 30, Vars: map[string]string{"hold": "0"}}).ExpectCalls(t, calls, 0)
	uas.Wait(20*time.Second).ExpectCalls(t, calls, 0)
	eventually(t, 10*time.Second, "every call recorded as completed", func() bool {
		l := f.c.must(200, f.c.do("GET", "/v1/calls?status=completed&limit=100", nil))
		return int(l.Body["total"].(float64)) == calls
	})
	eventually(t, 5*time.Second, "no call left live", func() bool { return f.ts.edge.LiveCalls() == 0 })
}
