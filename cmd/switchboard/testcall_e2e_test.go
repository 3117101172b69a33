package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/internal/sipptest"
)

// Test calls (POST /v1/phone-numbers/{id}/test-call): the node's own user
// agent calls a number, through the real edge, to SIPp agents. Every node
// here leaves loopback out of --sip-trusted, as a real node does: the test
// call is admitted by its token alone.

// withoutLoopbackTrust trusts a documentation network only.
func withoutLoopbackTrust(c *ServeConfig) {
	c.SIPTrusted = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
}

// testCall places a test call through the API and returns its answer.
func (f *sipFixture) testCall(body any) *response {
	f.t.Helper()
	return f.c.must(200, f.c.do("POST", "/v1/phone-numbers/"+f.pnID+"/test-call", body))
}

// sipStatuses lists "METHOD status" of a test call's SIP responses.
func sipStatuses(r *response) []string {
	var out []string
	for _, x := range r.list("sip_responses") {
		m := x.(map[string]any)
		out = append(out, fmt.Sprintf("%s %v", m["method"], m["status"]))
	}
	return out
}

// eventTypes lists the types of a test call's timeline.
func eventTypes(r *response) []string {
	var out []string
	for _, x := range r.list("events") {
		out = append(out, x.(map[string]any)["type"].(string))
	}
	return out
}

func TestTestCall(t *testing.T) {
	t.Parallel()
	t.Run("agent answers", func(t *testing.T) {
		t.Parallel()
		// The webhook endpoint that receives the number's call.* events
		// (a fallback that is never dialled) shows their test mark.
		events := make(chan []byte, 16)
		recv := newHookReceiver(t, func(_ context.Context, _ int, r receipt) (int, string) {
			events <- r.Body
			return 200, ""
		})
		// A write timeout shorter than the call: the test call's request
		// lifts it for itself.
		f := newSIPFixture(t, withoutLoopbackTrust, func(c *ServeConfig) {
			c.HTTPLimits = httpLimits{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 500 * time.Millisecond,
				Idle: 120 * time.Second, MaxHeaderBytes: 64 << 10}
		})
		hook := f.c.must(201, f.c.do("POST", "/v1/webhooks", map[string]any{"url": recv.url(), "events": []string{"call.*"}}))
		recv.setSecrets(hook.str("secret"))
		uas := f.routeToAgent("uas_answer")
		route := f.c.must(200, f.c.do("GET", "/v1/phone-numbers/"+f.pnID+"/route", nil))

		start := time.Now()
		r := f.testCall(map[string]any{"from": "+14155550123", "hold": 1})
		if took := time.Since(start); took < time.Second {
			t.Errorf("the call was not held: the answer came after %s", took)
		}
		agent := uas.Wait(10 * time.Second)
		agent.ExpectCalls(t, 1, 0)
		if !reflect.DeepEqual(r.Body["route"], route.Body) {
			t.Errorf("route = %v, want %s", r.Body["route"], route.Raw)
		}
		if got := sipStatuses(r); !slices.Contains(got, "INVITE 180") || !slices.Contains(got, "INVITE 200") || got[len(got)-1] != "BYE 200" {
			t.Errorf("sip_responses %v\n%s", got, r.Raw)
		}
		expectCall(t, r, map[string]any{"status": "completed", "answered": true, "hung_up_by": "test", "from": "+14155550123", "hold": 1})
		if got := strings.Join(eventTypes(r), ","); got != "call.initiated,call.ringing,call.answered,call.completed" {
			t.Errorf("events %s", got)
		}
		call := f.c.must(200, f.c.do("GET", "/v1/calls/"+r.str("call_id"), nil))
		expectCall(t, call, map[string]any{"test": true, "status": "completed", "from_number": "+14155550123", "hangup_by": "caller"})
		// The agent got the call as from a carrier: the caller's number,
		// the SDP offer, and no token.
		inv := agent.Requests("INVITE")[0]
		if inv.Header("X-Switchboard-Test-Call") != "" || !strings.Contains(inv.Body, "m=audio") || sipptest.URIUser(inv.Header("From")) != "+14155550123" {
			t.Errorf("the agent's INVITE:\n%+v", inv)
		}
		// Every call.* event says test: true.
		seen := map[string]bool{}
		deadline := time.After(10 * time.Second)
		for len(seen) < 4 {
			select {
			case b := <-events:
				var env struct {
					Event string
					Data  map[string]any
				}
				if err := json.Unmarshal(b, &env); err != nil {
					t.Fatal(err)
				}
				if env.Data["test"] != true {
					t.Errorf("%s without test: true: %s", env.Event, b)
				}
				seen[env.Event] = true
			case <-deadline:
				t.Fatalf("events received: %v", seen)
			}
		}
	})
	t.Run("agent rejects: failover to the fallback", func(t *testing.T) {
		t.Parallel()
		f := newSIPFixture(t, withoutLoopbackTrust)
		ip := agentIP()
		bad := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_503", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
		good := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
		primary, fallback := f.agent(bad, nil), f.agent(good, nil)
		f.attach(primary, fallback)
		r := f.testCall(map[string]any{"hold": 0})
		bad.Wait(10*time.Second).ExpectCalls(t, 1, 0)
		good.Wait(10*time.Second).ExpectCalls(t, 1, 0)
		expectCall(t, r, map[string]any{"status": "completed", "answered": true, "from": f.number, "hold": 0})
		if got := strings.Join(eventTypes(r), ","); !strings.Contains(got, "call.target_failed,call.failover") {
			t.Errorf("events %s", got)
		}
		if r.Body["call"].(map[string]any)["endpoint_id"] != fallback || r.Body["call"].(map[string]any)["test"] != true {
			t.Errorf("call %s", r.Raw)
		}
		route := r.Body["route"].(map[string]any)
		if route["endpoint_id"] != primary || len(route["targets"].([]any)) != 2 {
			t.Errorf("route %v", route)
		}
	})
	t.Run("node listening on every address", func(t *testing.T) {
		t.Parallel()
		f := newSIPFixture(t, withoutLoopbackTrust, func(c *ServeConfig) { c.SIPAddr = ":0" })
		uas := f.routeToAgent("uas_answer")
		r := f.testCall(map[string]any{"hold": 0})
		uas.Wait(10*time.Second).ExpectCalls(t, 1, 0)
		expectCall(t, r, map[string]any{"status": "completed", "answered": true})
	})
	t.Run("agent busy: the call fails", func(t *testing.T) {
		t.Parallel()
		f := newSIPFixture(t, withoutLoopbackTrust)
		busy := f.routeToAgent("uas_busy")
		r := f.testCall(nil)
		busy.Wait(10*time.Second).ExpectCalls(t, 1, 0)
		expectCall(t, r, map[string]any{"status": "busy", "answered": false, "hold": 10})
		if got := sipStatuses(r); got[len(got)-1] != "INVITE 486" {
			t.Errorf("sip_responses %v", got)
		}
		if _, ok := r.Body["hung_up_by"]; ok {
			t.Errorf("hung_up_by on a call never answered: %s", r.Raw)
		}
	})
	t.Run("agent hangs up first", func(t *testing.T) {
		t.Parallel()
		f := newSIPFixture(t, withoutLoopbackTrust)
		uas := f.routeToAgent("uas_bye_first")
		start := time.Now()
		r := f.testCall(map[string]any{"hold": 30})
		if took := time.Since(start); took > 15*time.Second {
			t.Errorf("the answer waited for the hold (%s), not for the agent's BYE", took)
		}
		uas.Wait(10*time.Second).ExpectCalls(t, 1, 0)
		expectCall(t, r, map[string]any{"status": "completed", "answered": true, "hung_up_by": "node"})
		if c := r.Body["call"].(map[string]any); c["hangup_by"] != "agent" || c["test"] != true {
			t.Errorf("call %v", c)
		}
		if got := sipStatuses(r); slices.Contains(got, "BYE 200") {
			t.Errorf("the test user agent sent BYE after the agent's: %v", got)
		}
	})
	t.Run("webhook endpoint decides", func(t *testing.T) {
		t.Parallel()
		ip := agentIP()
		uas := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
		asked := make(chan []byte, 1)
		recv := newHookReceiver(t, func(_ context.Context, _ int, r receipt) (int, string) {
			if r.Event != "call.initiated" || !strings.Contains(string(r.Body), `"sip"`) {
				return 200, ""
			}
			asked <- r.Body
			return 200, `{"action":"dial","targets":[{"uri":"sip:webhooked@` + uas.Addr() + `"}]}`
		})
		f := newSIPFixture(t, withoutLoopbackTrust)
		hook := f.c.must(201, f.c.do("POST", "/v1/endpoints", map[string]any{"name": "hook", "type": "webhook", "url": recv.url()}))
		recv.setSecrets(hook.str("secret"))
		f.attach(hook.str("id"), "")
		r := f.testCall(map[string]any{"hold": 0})
		expectCall(t, r, map[string]any{"status": "completed", "answered": true})
		uas.Wait(10*time.Second).ExpectCalls(t, 1, 0)
		var env struct {
			Data struct {
				Test bool `json:"test"`
				SIP  struct {
					Headers map[string]string `json:"headers"`
				} `json:"sip"`
			} `json:"data"`
		}
		if err := json.Unmarshal(<-asked, &env); err != nil || !env.Data.Test || len(env.Data.SIP.Headers) != 0 {
			t.Errorf("the webhook endpoint was asked %+v (%v)", env, err)
		}
	})
	t.Run("another organisation's number", func(t *testing.T) {
		t.Parallel()
		f := newNumberFixture(t, withoutLoopbackTrust)
		other := f.ts.newKey("other")
		other.mustErr(404, "PHONE_NUMBER_NOT_FOUND", other.do("POST", "/v1/phone-numbers/"+f.pnID+"/test-call", nil))
		ro := f.ts.newKey("default", "numbers:read", "numbers:write")
		ro.mustErr(403, "INSUFFICIENT_SCOPE", ro.do("POST", "/v1/phone-numbers/"+f.pnID+"/test-call", nil))
		f.c.mustErr(400, "VALIDATION_ERROR", f.c.do("POST", "/v1/phone-numbers/"+f.pnID+"/test-call", map[string]any{"hold": 61}))
		f.c.mustErr(400, "VALIDATION_ERROR", f.c.do("POST", "/v1/phone-numbers/"+f.pnID+"/test-call", map[string]any{"from": "nobody"}))
	})
}

// TestTestCallForgedToken: an INVITE from loopback with a test call header
// the node did not issue is an untrusted INVITE like any other, over UDP
// and TCP: it gets what the same INVITE without the header gets (a digest
// challenge on a node that has a SIP domain, else 403), and no call is
// placed or recorded.
func TestTestCallForgedToken(t *testing.T) {
	t.Parallel()
	f := newNumberFixture(t, withoutLoopbackTrust)
	invite := func(transport string, i int, header string) string {
		return fmt.Sprintf("INVITE sip:%[1]s@%[2]s SIP/2.0\r\nVia: SIP/2.0/%[3]s 127.0.0.1:5999;branch=z9hG4bKforged%[4]d\r\n"+
			"From: <sip:+14155550123@127.0.0.1>;tag=f%[4]d\r\nTo: <sip:%[1]s@%[2]s>\r\nCall-ID: forged-%[4]d\r\nCSeq: 1 INVITE\r\n"+
			"Contact: <sip:x@127.0.0.1:5999>\r\nMax-Forwards: 70\r\n%[5]sContent-Length: 0\r\n\r\n",
			f.number, f.ts.SIPAddr(), transport, i, header)
	}
	// Each INVITE from an address of its own: refusals are rate-limited
	// per source.
	status := func(network string, i int, header string) string {
		src := net.ParseIP(agentIP())
		var local net.Addr = &net.UDPAddr{IP: src}
		if network == "tcp" {
			local = &net.TCPAddr{IP: src}
		}
		conn, err := (&net.Dialer{LocalAddr: local}).Dial(network, f.ts.SIPAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write([]byte(invite(strings.ToUpper(network), i, header))); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			t.Fatalf("%s: no answer: %v", network, err)
		}
		return strings.TrimSpace(line)
	}
	i := 0
	for _, network := range []string{"udp", "tcp"} {
		for _, forged := range []string{
			"X-Switchboard-Test-Call: " + strings.Repeat("0", 32) + "\r\n",
			"x-switchboard-test-call: \r\n",
			"X-Switchboard-Test-Call: a\r\nX-Switchboard-Test-Call: b\r\n",
		} {
			i += 2
			// What the same INVITE without the header gets: a challenge
			// (the node has a SIP domain, agents may place calls) or 403.
			want := status(network, i, "")
			if want != "SIP/2.0 407 Proxy Authentication Required" && want != "SIP/2.0 403 Forbidden" {
				t.Fatalf("%s: an untrusted INVITE got %q", network, want)
			}
			if got := status(network, i+1, forged); got != want {
				t.Errorf("%s: a forged test call (%q) got %q, an untrusted INVITE %q", network, forged, got, want)
			}
		}
	}
	l := f.c.must(200, f.c.do("GET", "/v1/calls", nil))
	if n := len(l.list("calls")); n != 0 {
		t.Errorf("forged INVITEs recorded %d calls: %s", n, l.Raw)
	}
}

// TestCallCommand: `switchboard call NUMBER` on the SDK, against the real
// server: JSON and table output, the number given as E.164 or as its ID,
// and exit status 1 when the call is not answered.
func TestCallCommand(t *testing.T) {
	t.Parallel()
	f := newSIPFixture(t, withoutLoopbackTrust)
	ip := agentIP()
	uas := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 2})
	f.attach(f.agent(uas, nil), "")
	env := envOf(map[string]string{"SWITCHBOARD_URL": f.ts.HTTPURL(), "SWITCHBOARD_API_KEY": f.ts.BootstrapKey})
	callCmd := func(args ...string) (string, string, error) {
		var out, errOut strings.Builder
		err := run(context.Background(), append([]string{"call"}, args...), env, &out, &errOut)
		return out.String(), errOut.String(), err
	}

	out, stderr, err := callCmd("--output", "json", f.number, "--from", "+14155550123", "--hold", "0s")
	if err != nil {
		t.Fatalf("call: %v\n%s", err, stderr)
	}
	var tc struct {
		CallID   string `json:"call_id"`
		Status   string `json:"status"`
		Answered bool   `json:"answered"`
		Call     struct {
			Test       bool   `json:"test"`
			FromNumber string `json:"from_number"`
		} `json:"call"`
		SIPResponses []struct{ Status int }  `json:"sip_responses"`
		Events       []struct{ Type string } `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &tc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if tc.Status != "completed" || !tc.Answered || !tc.Call.Test || tc.Call.FromNumber != "+14155550123" || len(tc.SIPResponses) < 2 || len(tc.Events) != 4 {
		t.Errorf("call --output json:\n%s", out)
	}

	out, stderr, err = callCmd(f.pnID, "--output=table", "--hold", "0s")
	if err != nil {
		t.Fatalf("call: %v\n%s", err, stderr)
	}
	t.Logf("switchboard call %s --output table:\n%s", f.pnID, out)
	for _, want := range []string{"Route ", "agent (routed) → agent endpoint", "INVITE 200 OK", "BYE 200 OK", "call.answered", "Status ", "completed (call call_"} {
		if !strings.Contains(out, want) {
			t.Errorf("table output lacks %q:\n%s", want, out)
		}
	}
	uas.Wait(10*time.Second).ExpectCalls(t, 2, 0)

	// The agent is gone: the call is not answered, and the command says so.
	busy := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_busy", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
	f.attach(f.agent(busy, nil), "")
	out, stderr, err = callCmd("-o", "json", f.number)
	if err == nil || exitCode(err) != exitError || !strings.Contains(out, `"status": "busy"`) {
		t.Errorf("an unanswered call: err %v (exit %d)\n%s\n%s", err, exitCode(err), out, stderr)
	}
	busy.Wait(10*time.Second).ExpectCalls(t, 1, 0)

	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{}, exitUsage},
		{[]string{f.number, "+2348030000000"}, exitUsage},
		{[]string{f.number, "--hold", "61s"}, exitUsage},
		{[]string{f.number, "--hold", "1500ms"}, exitUsage},
		{[]string{"+2348099999999"}, exitNotFound},
	} {
		if _, _, err := callCmd(tc.args...); exitCode(err) != tc.code {
			t.Errorf("call %q: %v (exit %d), want exit %d", tc.args, err, exitCode(err), tc.code)
		}
	}
}
