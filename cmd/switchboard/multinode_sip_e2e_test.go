package main

import (
	"context"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/internal/sipptest"
)

// TestTwoNodesRouteFresh runs two nodes on one PostgreSQL: an endpoint
// changed through node A routes the next calls through node B to its new
// agent within a second (LISTEN/NOTIFY), and the calls both nodes carried
// are listed together through either node.
func TestTwoNodesRouteFresh(t *testing.T) {
	t.Parallel()
	sipptest.Require(t)
	dsn := sharedSchema(t)
	a := startNode(t, dsn)
	key := a.bootstrapKey(t)
	b := startNode(t, dsn)

	number := nextNumber()
	if err := run(context.Background(), []string{"inventory", "add", "--database", dsn, number},
		func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	// Each agent on its own address: the SDP the caller gets back (copied
	// unchanged) names the agent that answered.
	ip1, ip2 := agentIP(), agentIP()
	first := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip1, Port: sipptest.FreePort(t, "udp", ip1), Calls: 50})
	second := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip2, Port: sipptest.FreePort(t, "udp", ip2), Calls: 50})

	api := func(p *proc, method, path string, body any, want int) map[string]any {
		t.Helper()
		status, out, err := apiCall(p, key, method, path, body)
		if err != nil || status != want {
			t.Fatalf("%s %s via %s: %d %v %v", method, path, p.httpURL, status, out, err)
		}
		return out
	}
	ep := api(a, "POST", "/v1/endpoints", map[string]any{"name": "agent", "type": "agent",
		"url": "sip:bot@" + first.Addr(), "provider_config": map[string]any{"provider": "sip"}}, 201)["id"].(string)
	pn := api(a, "POST", "/v1/phone-numbers", map[string]any{"number": number, "endpoint_id": ep}, 201)["id"].(string)

	answered := 0 // calls that reached the number's agent, so are listed under it
	call := func(p *proc) sipptest.Result {
		res := sipptest.RunUAC(t, sipptest.UACOptions{Scenario: "uac_call", Target: p.sipAddr,
			Rows: [][]string{{number, "+2348099990000"}}, Vars: map[string]string{"hold": "0"}})
		answered += res.Successful
		return res
	}
	// The number was claimed through A; B routes it once the notification
	// reached it.
	eventually(t, 5*time.Second, "node B routes the new number", func() bool { return call(b).Successful == 1 })
	// A learns of its own claim through the same feed, and need not have
	// reloaded by the time B has (seen with both CPUs busy: A answered 404).
	eventually(t, 5*time.Second, "node A routes the new number", func() bool {
		return nodeMetric(t, a, "switchboard_routing_numbers") == 1
	})
	call(a).ExpectCalls(t, 1, 0)

	// Move the endpoint to the second agent through A; B must follow
	// within a second.
	changed := time.Now()
	api(a, "PATCH", "/v1/endpoints/"+ep, map[string]any{"url": "sip:bot@" + second.Addr()}, 200)
	deadline := changed.Add(time.Second)
	for {
		res := call(b)
		res.ExpectCalls(t, 1, 0)
		if ok := res.Responses(200); len(ok) > 0 && strings.Contains(ok[0].Body, "IN IP4 "+ip2) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node B still routed to the old agent %s after the change", time.Since(changed))
		}
	}
	t.Logf("node B followed the change through node A after %s", time.Since(changed).Round(time.Millisecond))

	// Calls from both nodes, in one list, through either node.
	for _, p := range []*proc{a, b} {
		var nodes map[string]int
		deadline := time.Now().Add(10 * time.Second)
		for {
			out := api(p, "GET", "/v1/calls?phone_number_id="+url.QueryEscape(pn)+"&limit=100", nil, 200)
			nodes = map[string]int{}
			for _, c := range out["calls"].([]any) {
				if c := c.(map[string]any); c["status"] == "completed" {
					nodes[c["node"].(string)]++
				}
			}
			if len(nodes) == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("completed calls by node, through %s: %v\n%v\n--- node A (%s), %v answered, %v completed:\n%s\n--- node B (%s), %v answered, %v completed:\n%s",
					p.httpURL, nodes, out,
					a.sipAddr, nodeMetric(t, a, "switchboard_call_setup_seconds_count"), nodeMetric(t, a, `switchboard_calls_total{status="completed"}`), a.logs,
					b.sipAddr, nodeMetric(t, b, "switchboard_call_setup_seconds_count"), nodeMetric(t, b, `switchboard_calls_total{status="completed"}`), b.logs)
			}
			time.Sleep(50 * time.Millisecond) // poll interval; the deadline bounds the wait
		}
	}

	// A live call on node B, hung up through node A. First every earlier
	// call must be recorded as ended (records are written in batches), so
	// the only call in progress is the new one.
	eventually(t, 10*time.Second, "earlier calls recorded", func() bool {
		out := api(a, "GET", "/v1/calls?phone_number_id="+url.QueryEscape(pn), nil, 200)
		// A call B turned away (404) before it knew the number has no
		// organisation, so it is not listed here.
		if int(out["total"].(float64)) < answered {
			return false
		}
		for _, c := range out["calls"].([]any) {
			if c.(map[string]any)["status"] == "in_progress" {
				return false
			}
		}
		return true
	})
	live := sipptest.StartUAC(t, sipptest.UACOptions{Scenario: "uac_wait_bye", Target: b.sipAddr,
		Rows: [][]string{{number, "+2348099990000"}}, Vars: map[string]string{"wait": "20000"}})
	var id, node string
	eventually(t, 10*time.Second, "call in progress", func() bool {
		out := api(a, "GET", "/v1/calls?status=in_progress", nil, 200)
		if calls := out["calls"].([]any); len(calls) == 1 {
			id, node = calls[0].(map[string]any)["id"].(string), calls[0].(map[string]any)["node"].(string)
			return true
		}
		return false
	})
	// Through node A: A relays the hangup to node B, which carries the call.
	api(a, "POST", "/v1/calls/"+id+"/hangup", nil, 202)
	live.Wait(10*time.Second).ExpectCalls(t, 1, 0)
	eventually(t, 10*time.Second, "call ended by the API", func() bool {
		c := api(a, "GET", "/v1/calls/"+id, nil, 200)
		return c["status"] == "completed" && c["hangup_by"] == "api" && c["node"] == node
	})
}
