package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/internal/sipptest"
)

// Agent-originated calls end to end (issue 15 §2): SIPp as the agent
// placing calls with a number's SIP credentials (-au/-ap), the real
// program, SIPp as the carrier behind the number's trunk.

// agentFixture is a node that trusts no loopback address but 127.0.0.2
// (so every SIPp agent is challenged), with one number that allows
// outbound calls, and its SIP credentials.
type agentFixture struct {
	*sipFixture
	user, password string
}

func newAgentFixture(t *testing.T, opts ...serverOption) *agentFixture {
	t.Helper()
	sipptest.Require(t)
	opts = append([]serverOption{func(c *ServeConfig) { c.SIPTrusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")} }}, opts...)
	f := &agentFixture{sipFixture: newNumberFixture(t, opts...)}
	f.user, f.password = f.credentials(f.pnID)
	return f
}

// credentials rotates a number's SIP password and returns its username
// and the new password: the claim showed the first one, which
// newNumberFixture did not keep.
func (f *agentFixture) credentials(pnID string) (string, string) {
	f.t.Helper()
	r := f.c.must(200, f.c.do("POST", "/v1/phone-numbers/"+pnID+"/sip-credentials/rotate", nil))
	cr, _ := r.Body["sip_credentials"].(map[string]any)
	user, _ := cr["username"].(string)
	pw, _ := cr["password"].(string)
	if user == "" || pw == "" {
		f.t.Fatalf("no SIP credentials: %s", r.Raw)
	}
	return user, pw
}

// trunk creates the organisation's default trunk to the carriers (the
// first its address, the others its failover addresses), with extra
// fields, and waits until the node's table sends the number through it.
func (f *agentFixture) trunk(extra map[string]any, carriers ...*sipptest.Process) string {
	f.t.Helper()
	body := map[string]any{"name": "carrier", "address": carriers[0].Addr(), "default": true}
	var failover []string
	for _, c := range carriers[1:] {
		failover = append(failover, c.Addr())
	}
	if failover != nil {
		body["failover_addresses"] = failover
	}
	for k, v := range extra {
		body[k] = v
	}
	id := f.c.must(201, f.c.do("POST", "/v1/trunks", body)).str("id")
	eventually(f.t, 5*time.Second, "the number's trunk in the table", func() bool {
		_, tr, _ := f.ts.edge.Table().Outbound(f.number)
		return tr != nil && tr.ID == id
	})
	return id
}

// carrierUAS starts a SIPp carrier running scenario for calls calls.
func carrierUAS(t *testing.T, scenario string, calls int, vars map[string]string) *sipptest.Process {
	ip := agentIP()
	return sipptest.StartUAS(t, sipptest.UASOptions{Scenario: scenario, IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: calls, Vars: vars})
}

// agentOptions are the SIPp options of an agent placing a call from
// (as its From) to dest with the credentials user and password: the
// digest covers the Request-URI, as the node checks.
func (f *agentFixture) agentOptions(scenario, from, dest, user, password string, vars map[string]string) sipptest.UACOptions {
	v := map[string]string{"username": user, "password": password}
	for k, x := range vars {
		v[k] = x
	}
	return sipptest.UACOptions{Scenario: scenario, Target: f.ts.SIPAddr(), IP: agentIP(), Rows: [][]string{{dest, from}}, Vars: v,
		ExtraArgs: []string{"-auth_uri", dest + "@" + f.ts.SIPAddr()}}
}

// agentCall runs an agent placing a call from the fixture's number to dest.
func (f *agentFixture) agentCall(scenario, dest string, vars map[string]string) sipptest.Result {
	f.t.Helper()
	f.placed++
	return sipptest.RunUAC(f.t, f.agentOptions(scenario, f.number, dest, f.user, f.password, vars))
}

// callsByReason waits until the number has n call records in a final
// status and returns them by failure_reason and SIP status
// ("invalid_destination/484"; "/0" for calls that did not fail).
func (f *agentFixture) callsByReason(n int) map[string]map[string]any {
	f.t.Helper()
	out := map[string]map[string]any{}
	eventually(f.t, 10*time.Second, fmt.Sprintf("%d final call records", n), func() bool {
		l := f.c.must(200, f.c.do("GET", "/v1/calls?phone_number_id="+f.pnID+"&limit=100", nil))
		calls := l.list("calls")
		clear(out)
		for _, c := range calls {
			m := c.(map[string]any)
			switch m["status"] {
			case "initiated", "ringing", "in_progress":
				return false
			}
			r, _ := m["failure_reason"].(string)
			st, _ := m["sip_status"].(float64)
			out[fmt.Sprintf("%s/%d", r, int(st))] = m
		}
		return len(calls) == n
	})
	return out
}

// TestAgentCall: an agent places a call through the node as its SIP trunk;
// the carrier gets it as the trunk wants it (the number formats, tech
// prefix, static headers, From the number and P-Asserted-Identity), with
// the agent's SDP unchanged; the call is answered and hung up, by the
// agent or by the callee, and recorded as an outbound call of the number.
func TestAgentCall(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, carrier, agent string
		transport            sipptest.Transport
		cause, by            string
	}{
		{"agent hangs up", "uas_answer", "uac_call_auth", sipptest.UDP, "agent_hangup", "agent"},
		{"callee hangs up", "uas_bye_first", "uac_call_auth_wait_bye", sipptest.UDP, "user_hangup", "caller"},
		// Over TCP the challenge is written in the INVITE handler rather
		// than in the read filter.
		{"agent over TCP", "uas_answer", "uac_call_auth", sipptest.TCP, "agent_hangup", "agent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newAgentFixture(t)
			carrier := carrierUAS(t, tc.carrier, 1, nil)
			f.trunk(map[string]any{"number_format": "no_plus", "tech_prefix": "99", "headers": map[string]string{"X-Telnyx-Username": "acme"}}, carrier)
			const dest = "+14155550123"
			// The agent dials without the + (Vapi's default), from its
			// number with a tech prefix of its own.
			o := f.agentOptions(tc.agent, "55"+strings.TrimPrefix(f.number, "+"), "14155550123", f.user, f.password, nil)
			o.Transport = tc.transport
			agent := sipptest.RunUAC(t, o)
			f.placed++
			agent.ExpectCalls(t, 1, 0)
			got := carrier.Wait(10 * time.Second)
			got.ExpectCalls(t, 1, 0)

			invs := got.Requests("INVITE")
			sent := agent.Sent()
			var agentInvite sipptest.Message
			for _, m := range sent {
				if m.Method == "INVITE" && m.Header("Proxy-Authorization") != "" {
					agentInvite = m
				}
			}
			if len(invs) != 1 {
				t.Fatalf("carrier got %d INVITEs", len(invs))
			}
			inv := invs[0]
			call := f.call("")
			for what, ok := range map[string]bool{
				"Request-URI user 99 + the number without +": sipptest.URIUser(inv.RequestURI) == "9914155550123",
				"From the number without +":                  sipptest.URIUser(inv.Header("From")) == strings.TrimPrefix(f.number, "+"),
				"P-Asserted-Identity the number in E.164":    sipptest.URIUser(inv.Header("P-Asserted-Identity")) == f.number,
				"the trunk's header":                         inv.Header("X-Telnyx-Username") == "acme",
				"X-Switchboard-Call-Id the record":           inv.Header("X-Switchboard-Call-Id") == call.str("id"),
				"the agent's SDP unchanged":                  inv.Body != "" && inv.Body == agentInvite.Body,
				"no credentials of ours":                     inv.Header("Proxy-Authorization") == "",
			} {
				if !ok {
					t.Errorf("carrier's INVITE: want %s:\n%s", what, inv.Raw)
				}
			}
			expectCall(t, call, map[string]any{"status": "completed", "direction": "outbound", "from_number": f.number,
				"to_number": dest, "phone_number_id": f.pnID, "endpoint_id": nil, "hangup_cause": tc.cause, "hangup_by": tc.by})
			if tl := strings.Join(f.timeline(call.str("id")), ","); !strings.HasPrefix(tl, "call.initiated,call.ringing,call.answered") ||
				!strings.HasSuffix(tl, "call.completed") {
				t.Errorf("timeline %s", tl)
			}
		})
	}
}

// TestAgentCallRefusals: each way an agent's call is refused. Without
// credentials, or with wrong ones, the agent is challenged or refused and
// nothing is recorded; once it is authenticated, every refusal is a
// failed outbound call of its number, with the reason.
func TestAgentCallRefusals(t *testing.T) {
	t.Parallel()
	f := newAgentFixture(t)
	carrier := carrierUAS(t, "uas_answer", 0, nil)
	f.trunk(nil, carrier)
	const dest = "+14155550123"

	// Not authenticated: nothing recorded.
	sipptest.RunUAC(t, sipptest.UACOptions{Scenario: "uac_expect", Target: f.ts.SIPAddr(), IP: agentIP(),
		Rows: [][]string{{dest, f.number}}, Vars: map[string]string{"status": "407"}}).ExpectCalls(t, 1, 0)
	wrong := sipptest.RunUAC(t, f.agentOptions("uac_call_auth_expect", f.number, dest, f.user, "not-the-password", map[string]string{"status": "403"}))
	wrong.ExpectCalls(t, 1, 0)
	sipptest.RunUAC(t, f.agentOptions("uac_call_auth_expect", f.number, dest, "sbnobody", f.password, map[string]string{"status": "403"})).ExpectCalls(t, 1, 0)
	if ch := wrong.Responses(407); len(ch) != 1 || !strings.Contains(ch[0].Header("Proxy-Authenticate"), `realm="127.0.0.1"`) {
		t.Errorf("challenge: %v", ch)
	}

	// Authenticated, then refused and recorded.
	for _, tc := range []struct {
		name, from, dest, status string
	}{
		{"From is another number", "+2348099990000", dest, "403"},
		{"destination is a name", f.number, "alice", "404"},
		{"destination is too short a number", f.number, "12", "484"},
	} {
		f.placed++
		r := sipptest.RunUAC(t, f.agentOptions("uac_call_auth_expect", tc.from, tc.dest, f.user, f.password, map[string]string{"status": tc.status}))
		if r.Successful != 1 {
			t.Errorf("%s: want %s\n%s", tc.name, tc.status, r.Diagnostics())
		}
	}
	f.c.must(200, f.c.do("PATCH", "/v1/phone-numbers/"+f.pnID, map[string]any{"allow_outbound": false}))
	eventually(t, 5*time.Second, "outbound disabled in the table", func() bool {
		n, _, _ := f.ts.edge.Table().Outbound(f.number)
		return n != nil && !n.AllowOutbound
	})
	f.agentCall("uac_call_auth_expect", dest, map[string]string{"status": "403"}).ExpectCalls(t, 1, 0)

	calls := f.callsByReason(4)
	for key, to := range map[string]string{"caller_id_mismatch/403": dest, "invalid_destination/404": "alice",
		"invalid_destination/484": "12", "outbound_disabled/403": dest} {
		c := calls[key]
		if c == nil || c["status"] != "failed" || c["direction"] != "outbound" || c["to_number"] != to ||
			c["from_number"] != f.number || c["phone_number_id"] != f.pnID || c["endpoint_id"] != nil {
			t.Errorf("%s: record %v", key, c)
		}
	}
	if n := len(carrier.Stop().Requests("INVITE")); n != 0 {
		t.Errorf("the carrier got %d INVITEs of refused calls", n)
	}

	// Another organisation's number, without a trunk: 503, recorded in
	// that organisation.
	other := ts2Org(t, f)
	other.agentCall("uac_call_auth_expect", dest, map[string]string{"status": "503"}).ExpectCalls(t, 1, 0)
	if c := other.callsByReason(1)["no_trunk/503"]; c == nil || c["direction"] != "outbound" || c["from_number"] != other.number {
		t.Errorf("no trunk: %v", c)
	}
	if l := f.c.must(200, f.c.do("GET", "/v1/calls?limit=100", nil)); len(l.list("calls")) != 4 {
		t.Errorf("the first organisation sees %d calls, want its 4", len(l.list("calls")))
	}
}

// ts2Org is a second organisation on f's node, with a number of its own
// that allows outbound calls, and no trunk.
func ts2Org(t *testing.T, f *agentFixture) *agentFixture {
	t.Helper()
	c := f.ts.newKey("second")
	g := &agentFixture{sipFixture: &sipFixture{t: t, ts: f.ts, c: c, number: nextNumber()}}
	f.ts.cli("inventory", "add", g.number)
	g.pnID = c.must(201, c.do("POST", "/v1/phone-numbers", map[string]any{"number": g.number})).str("id")
	g.user, g.password = g.credentials(g.pnID)
	eventually(t, 5*time.Second, "the second organisation's number in the table", func() bool {
		n, _, _ := f.ts.edge.Table().Outbound(g.number)
		return n != nil
	})
	return g
}

// TestAgentCallLimits: a trunk at its max_concurrent_calls, or a number at
// --max-calls-per-number, turns the next call away with 503 and
// Retry-After, recorded.
func TestAgentCallLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, reason string
		opt          serverOption
		trunk        map[string]any
	}{
		{"trunk", "trunk_concurrency_limit", func(*ServeConfig) {}, map[string]any{"max_concurrent_calls": 1}},
		{"number", "concurrency_limit", func(c *ServeConfig) { c.MaxCallsPerNumber = 1 }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newAgentFixture(t, tc.opt)
			carrier := carrierUAS(t, "uas_answer", 1, nil)
			f.trunk(tc.trunk, carrier)
			f.placed++
			first := sipptest.StartUAC(t, f.agentOptions("uac_call_auth", f.number, "+14155550123", f.user, f.password, map[string]string{"hold": "3000"}))
			eventually(t, 5*time.Second, "first call live", func() bool { return f.ts.edge.LiveCalls() == 1 })
			second := f.agentCall("uac_call_auth_expect", "+14155550124", map[string]string{"status": "503"})
			second.ExpectCalls(t, 1, 0)
			if res := second.Responses(503); len(res) != 1 || res[0].Header("Retry-After") == "" {
				t.Errorf("503 without Retry-After: %v", res)
			}
			first.Wait(10*time.Second).ExpectCalls(t, 1, 0)
			calls := f.callsByReason(2)
			if c := calls[tc.reason+"/503"]; c == nil || c["to_number"] != "+14155550124" {
				t.Errorf("refused call: %v", calls)
			}
			if c := calls["/0"]; c == nil || c["status"] != "completed" {
				t.Errorf("first call: %v", calls)
			}
		})
	}
}

// TestAgentCallCarrierDigest: a carrier that challenges the INVITE (407
// or 401) gets the trunk's credentials.
func TestAgentCallCarrierDigest(t *testing.T) {
	t.Parallel()
	for _, scenario := range []string{"uas_auth", "uas_auth_401"} {
		t.Run(scenario, func(t *testing.T) {
			t.Parallel()
			f := newAgentFixture(t)
			vars := map[string]string{"username": "acme"}
			if scenario == "uas_auth_401" {
				vars["password"] = "s3cret-pass-carrier" // SIPp checks the answer
			}
			carrier := carrierUAS(t, scenario, 1, vars)
			f.trunk(map[string]any{"auth_username": "acme", "auth_password": "s3cret-pass-carrier"}, carrier)
			f.agentCall("uac_call_auth", "+14155550123", nil).ExpectCalls(t, 1, 0)
			got := carrier.Wait(10 * time.Second)
			got.ExpectCalls(t, 1, 0)
			if scenario == "uas_auth" {
				invs := got.Requests("INVITE")
				if len(invs) != 2 {
					t.Fatalf("carrier got %d INVITEs, want 2", len(invs))
				}
				if err := invs[1].VerifyDigest("acme", "s3cret-pass-carrier"); err != nil {
					t.Errorf("the carrier's challenge answered wrongly: %v", err)
				}
			}
			expectCall(t, f.call(""), map[string]any{"status": "completed", "direction": "outbound"})
		})
	}
}

// TestAgentCallFailover: the trunk's first address answers 503, the
// second takes the call.
func TestAgentCallFailover(t *testing.T) {
	t.Parallel()
	f := newAgentFixture(t)
	down := carrierUAS(t, "uas_503", 1, nil)
	up := carrierUAS(t, "uas_answer", 1, nil)
	f.trunk(nil, down, up)
	f.agentCall("uac_call_auth", "+14155550123", nil).ExpectCalls(t, 1, 0)
	down.Wait(10*time.Second).ExpectCalls(t, 1, 0)
	up.Wait(10*time.Second).ExpectCalls(t, 1, 0)
	call := f.call("")
	expectCall(t, call, map[string]any{"status": "completed", "direction": "outbound"})
	if tl := strings.Join(f.timeline(call.str("id")), ","); !strings.Contains(tl, "call.target_failed") {
		t.Errorf("timeline %s, want the first address's failure", tl)
	}
}

// TestAgentCallCancel: an agent that gives up while the callee rings
// cancels the call at the carrier too; the call is recorded canceled.
func TestAgentCallCancel(t *testing.T) {
	t.Parallel()
	f := newAgentFixture(t)
	carrier := carrierUAS(t, "uas_ring", 1, map[string]string{"wait": "10000"})
	f.trunk(nil, carrier)
	agent := f.agentCall("uac_call_auth_cancel", "+14155550123", map[string]string{"ring": "200"})
	agent.ExpectCalls(t, 1, 0)
	got := carrier.Wait(10 * time.Second)
	got.ExpectCalls(t, 1, 0)
	if n := len(got.Requests("CANCEL")); n != 1 {
		t.Errorf("carrier got %d CANCELs, want 1", n)
	}
	expectCall(t, f.call(""), map[string]any{"status": "canceled", "direction": "outbound", "sip_status": 487,
		"failure_reason": "agent_canceled", "hangup_cause": "agent_hangup", "hangup_by": "agent"})
}

// TestAgentCallReinvite: the agent's re-INVITE (hold) reaches the carrier
// with its new SDP, and the carrier's answer reaches the agent.
func TestAgentCallReinvite(t *testing.T) {
	t.Parallel()
	f := newAgentFixture(t)
	carrier := carrierUAS(t, scenarioFile(t, "uas_reinvite.xml"), 1, nil)
	f.trunk(nil, carrier)
	const dest = "+14155550123"
	f.placed++
	sipptest.RunUAC(t, sipptest.UACOptions{Scenario: scenarioFile(t, "uac_auth_reinvite.xml"), Target: f.ts.SIPAddr(), IP: agentIP(),
		Rows:      [][]string{{dest, f.number}},
		ExtraArgs: []string{"-au", f.user, "-ap", f.password, "-auth_uri", dest + "@" + f.ts.SIPAddr()}}).ExpectCalls(t, 1, 0)
	got := carrier.Wait(10 * time.Second)
	got.ExpectCalls(t, 1, 0)
	if n := len(got.Requests("INVITE")); n != 2 {
		t.Errorf("carrier got %d INVITEs, want the call and its re-INVITE", n)
	}
	expectCall(t, f.call(""), map[string]any{"status": "completed", "direction": "outbound", "hangup_cause": "agent_hangup"})
}

// TestBinaryAgentCall: the main flow through the real binary, as an
// operator runs it: a trunk, a number claimed with its SIP credentials,
// and an agent outside --sip-trusted placing a call with them, answered by
// the carrier and recorded.
func TestBinaryAgentCall(t *testing.T) {
	t.Parallel()
	sipptest.Require(t)
	db := filepath.Join(t.TempDir(), "agent.db")
	p := startBinary(t, "--database", db, "--sip-trusted", "127.0.0.2/32", "--sip-domain", "sip.switchboard.test")
	key := p.bootstrapKey(t)
	number := nextNumber()
	if err := run(context.Background(), []string{"inventory", "add", "--database", db, number},
		func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	carrier := carrierUAS(t, "uas_answer", 1, nil)
	// The trunk first: the reload the claim causes then holds both.
	if status, tr, err := apiCall(p, key, "POST", "/v1/trunks", map[string]any{"name": "carrier", "address": carrier.Addr()}); err != nil || status != 201 {
		t.Fatalf("create trunk: %d %v %v", status, tr, err)
	}
	status, pn, err := apiCall(p, key, "POST", "/v1/phone-numbers", map[string]any{"number": number})
	if err != nil || status != 201 {
		t.Fatalf("claim number: %d %v %v", status, pn, err)
	}
	cr, _ := pn["sip_credentials"].(map[string]any)
	user, _ := cr["username"].(string)
	pw, _ := cr["password"].(string)
	if user == "" || pw == "" || cr["domain"] != "sip.switchboard.test" {
		t.Fatalf("claimed credentials: %v", pn)
	}
	eventually(t, 5*time.Second, "number in the routing table", func() bool {
		return nodeMetric(t, p, "switchboard_routing_numbers") == 1
	})

	const dest = "+14155550123"
	sipptest.RunUAC(t, sipptest.UACOptions{Scenario: "uac_call_auth", Target: p.sipAddr, IP: agentIP(), Rows: [][]string{{dest, number}},
		Vars: map[string]string{"username": user, "password": pw}, ExtraArgs: []string{"-auth_uri", dest + "@" + p.sipAddr}}).ExpectCalls(t, 1, 0)
	carrier.Wait(10*time.Second).ExpectCalls(t, 1, 0)
	var call map[string]any
	eventually(t, 10*time.Second, "the call recorded completed", func() bool {
		_, l, err := apiCall(p, key, "GET", "/v1/calls", nil)
		calls, _ := l["calls"].([]any)
		if err != nil || len(calls) != 1 {
			return false
		}
		call, _ = calls[0].(map[string]any)
		return call["status"] == "completed"
	})
	if call["direction"] != "outbound" || call["from_number"] != number || call["to_number"] != dest || call["phone_number_id"] != pn["id"] {
		t.Errorf("recorded call: %v", call)
	}
	p.terminate(t)
	if strings.Contains(p.logs.String(), pw) {
		t.Error("the logs contain the number's SIP password")
	}
}

// TestAgentCallSDES: SRTP keys (a=crypto) in an agent's offer over UDP
// are refused with 488 before anything reaches the carrier (tls.go's
// rule: keys never cross a leg that is not TLS), and the refusal is
// recorded.
func TestAgentCallSDES(t *testing.T) {
	t.Parallel()
	f := newAgentFixture(t)
	carrier := carrierUAS(t, "uas_answer", 0, nil)
	f.trunk(nil, carrier)
	// uac_call_auth_expect for 488, its offers carrying SRTP keys: a file
	// of the test's own (sipptest renders templates of its built-ins only).
	raw, err := os.ReadFile(filepath.Join("..", "..", "internal", "sipptest", "scenarios", "uac_call_auth_expect.xml"))
	if err != nil {
		t.Fatal(err)
	}
	sc := strings.ReplaceAll(string(raw), "{{.status}}", "488")
	sc = strings.ReplaceAll(sc, "      a=sendrecv\n", "      a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\n      a=sendrecv\n")
	if strings.Count(sc, "a=crypto:") != 2 {
		t.Fatal("the scenario's offers were not given keys")
	}
	path := filepath.Join(t.TempDir(), "uac_call_auth_sdes.xml")
	if err := os.WriteFile(path, []byte(sc), 0o644); err != nil {
		t.Fatal(err)
	}
	const dest = "+14155550123"
	f.placed++
	sipptest.RunUAC(t, sipptest.UACOptions{Scenario: path, Target: f.ts.SIPAddr(), IP: agentIP(), Rows: [][]string{{dest, f.number}},
		ExtraArgs: []string{"-au", f.user, "-ap", f.password, "-auth_uri", dest + "@" + f.ts.SIPAddr()}}).ExpectCalls(t, 1, 0)
	expectCall(t, f.call(""), map[string]any{"status": "failed", "direction": "outbound", "sip_status": 488, "failure_reason": "srtp_keys_need_tls"})
	if n := len(carrier.Stop().Requests("INVITE")); n != 0 {
		t.Errorf("the carrier got %d INVITEs carrying SRTP keys over UDP", n)
	}
}
