package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/internal/sipptest"
)

// endedLines returns the "call ended" log lines of the call.
func (ts *testServer) endedLines(callID string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(ts.logs.String()))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue
		}
		if rec["msg"] == "call ended" && rec["call_id"] == callID {
			out = append(out, rec)
		}
	}
	return out
}

// expectEndedLine waits for the call's one info line and checks its fields.
func expectEndedLine(t *testing.T, ts *testServer, callID string, want map[string]any) {
	t.Helper()
	eventually(t, 5*time.Second, "call ended log line", func() bool { return len(ts.endedLines(callID)) > 0 })
	lines := ts.endedLines(callID)
	if len(lines) != 1 {
		t.Fatalf("call %s has %d 'call ended' lines, want 1: %v", callID, len(lines), lines)
	}
	l := lines[0]
	if l["level"] != "INFO" {
		t.Errorf("call ended line at level %v, want INFO", l["level"])
	}
	for k, v := range want {
		if got, ok := l[k]; !ok || fmt.Sprint(got) != fmt.Sprint(v) {
			t.Errorf("call ended line: %s = %v, want %v (line %v)", k, got, v, l)
		}
	}
}

// TestCallEndedLogLine: each finished call, answered or refused, is one
// info-level log line with its id, numbers, endpoint, status, cause and
// duration.
func TestCallEndedLogLine(t *testing.T) {
	t.Parallel()
	f := newSIPFixture(t)
	ip := agentIP()
	uas := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
	ep := f.agent(uas, nil)
	f.attach(ep, "")

	f.carrier(sipptest.UACOptions{Scenario: "uac_call"}).ExpectCalls(t, 1, 0)
	call := f.call("")
	expectCall(t, call, map[string]any{"status": "completed", "from_number": "+2348099990000"})
	if _, ok := call.Body["from_raw"]; ok {
		t.Errorf("a call from a number has a from_raw: %s", call.Raw)
	}
	expectEndedLine(t, f.ts, call.str("id"), map[string]any{
		"from": "+2348099990000", "to": f.number, "endpoint_id": ep, "direction": "inbound",
		"status": "completed", "cause": call.str("hangup_cause"), "duration": call.Body["duration"],
	})

	f.c.must(200, f.c.do("PATCH", "/v1/phone-numbers/"+f.pnID, map[string]any{"allow_inbound": false}))
	eventually(t, 5*time.Second, "inbound disabled in the table", func() bool {
		in := f.ts.edge.Table().Lookup(f.number)
		return in.Number != nil && !in.Number.AllowInbound
	})
	f.carrier(sipptest.UACOptions{Scenario: "uac_expect", Vars: map[string]string{"status": "404"}}).ExpectCalls(t, 1, 0)
	refused := f.call("")
	expectEndedLine(t, f.ts, refused.str("id"), map[string]any{
		"status": "failed", "reason": "inbound_disabled", "sip_status": 404, "duration": 0, "to": f.number,
	})
}

// TestCallerNotANumber: a carrier's From user that is not a number
// ("sipp", anonymous) is kept in from_raw, from_number stays empty, and the
// agent still sees the caller as it came.
func TestCallerNotANumber(t *testing.T) {
	t.Parallel()
	f := newSIPFixture(t)
	ip := agentIP()
	agent := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
	f.attach(f.agent(agent, nil), "")

	f.carrier(sipptest.UACOptions{Scenario: "uac_call", Rows: [][]string{{f.number, "sipp"}}}).ExpectCalls(t, 1, 0)
	call := f.call("")
	expectCall(t, call, map[string]any{"status": "completed", "from_number": "", "from_raw": "sipp", "to_number": f.number})
	expectEndedLine(t, f.ts, call.str("id"), map[string]any{"from": "", "from_raw": "sipp"})

	invs := agent.Wait(10 * time.Second).Requests("INVITE")
	if len(invs) != 1 {
		t.Fatalf("agent got %d INVITEs", len(invs))
	}
	if from := invs[0].Header("From"); !strings.Contains(from, "sip:sipp@") {
		t.Errorf("agent's From %q should carry the caller as sent", from)
	}
}
