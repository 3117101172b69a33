package main

import (
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/internal/sipptest"
)

// TestSIPJournalSurvivesSIGKILL: while the database can commit nothing (a
// test connection holds SQLite's write lock), a call is still answered —
// the answer waits for the call journal, not for a commit — and when the
// node is then killed and started again, the call's record is there,
// answered and closed as the crash left it. With --call-journal off the
// answer would wait for the commit and the caller would get 503 instead.
// It always runs on SQLite, whatever store the suite runs on: holding the
// write lock is how it keeps the database from committing.
func TestSIPJournalSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	sipptest.Require(t)
	dir := t.TempDir()
	dbPath, journal := filepath.Join(dir, "j.db"), filepath.Join(dir, "journal")
	args := []string{"--database", dbPath, "--call-journal", journal, "--node", "node-j"}
	p := startBinary(t, args...)
	key := p.bootstrapKey(t)

	number := nextNumber()
	if err := run(context.Background(), []string{"inventory", "add", "--database", dbPath, number},
		func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	ip := agentIP()
	agent := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
	status, ep, err := apiCall(p, key, "POST", "/v1/endpoints", map[string]any{"name": "agent", "type": "agent",
		"url": "sip:bot@" + agent.Addr(), "provider_config": map[string]any{"provider": "sip"}})
	if err != nil || status != 201 {
		t.Fatalf("create endpoint: %d %v %v", status, ep, err)
	}
	status, pn, err := apiCall(p, key, "POST", "/v1/phone-numbers", map[string]any{"number": number, "endpoint_id": ep["id"]})
	if err != nil || status != 201 {
		t.Fatalf("claim number: %d %v %v", status, pn, err)
	}
	// The number routes to the agent once the node's routing table holds
	// it (the route API reads the database, which is ahead of the table).
	eventually(t, 5*time.Second, "number in the routing table", func() bool {
		return nodeMetric(t, p, "switchboard_routing_numbers") == 1
	})

	// From here the database commits nothing.
	lock, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	conn, err := lock.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	caller := sipptest.StartUAC(t, sipptest.UACOptions{Scenario: "uac_call", Target: p.sipAddr,
		Rows: [][]string{{number, "+2348099990000"}}, Vars: map[string]string{"hold": "60000"}})
	// The 200 reached the caller: switchboard observes the setup time as
	// it relays the answer.
	eventually(t, 10*time.Second, "the call answered while the database is locked", func() bool {
		return nodeMetric(t, p, "switchboard_call_setup_seconds_count") == 1
	})
	segments, err := os.ReadDir(journal)
	if err != nil || len(segments) != 1 {
		t.Fatalf("journal: %v, %v", segments, err)
	}
	if info, err := segments[0].Info(); err != nil || info.Size() == 0 {
		t.Fatalf("the answered call is not in the journal: %v %v", info, err)
	}

	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	p.exited <- nil
	caller.Stop()
	agent.Stop()
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	p = startBinary(t, args...)
	status, list, err := apiCall(p, key, "GET", "/v1/calls?phone_number_id="+pn["id"].(string), nil)
	if err != nil || status != 200 {
		t.Fatalf("list calls: %d %v %v", status, list, err)
	}
	data, _ := list["calls"].([]any)
	if len(data) != 1 {
		t.Fatalf("calls after the restart: %v, want the answered call", list)
	}
	call := data[0].(map[string]any)
	if call["status"] != "completed" || call["hangup_cause"] != "system_shutdown" || call["answered_at"] == nil || call["node"] != "node-j" {
		t.Errorf("the answered call after the crash: %v; want completed, system_shutdown, answered, on node-j", call)
	}
	status, tl, err := apiCall(p, key, "GET", "/v1/calls/"+call["id"].(string)+"/events", nil)
	if err != nil || status != 200 {
		t.Fatalf("timeline: %d %v %v", status, tl, err)
	}
	var types []string
	for _, e := range tl["events"].([]any) {
		types = append(types, e.(map[string]any)["type"].(string))
	}
	want := []string{"call.initiated", "call.ringing", "call.answered", "call.completed"}
	if len(types) != len(want) {
		t.Fatalf("timeline %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("timeline %v, want %v", types, want)
		}
	}
	// The replayed segment is gone: the new run's (which may reuse the
	// name) holds nothing yet.
	segments, err = os.ReadDir(journal)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range segments {
		if info, err := s.Info(); err != nil || info.Size() != 0 {
			t.Errorf("journal file %s after the replay: %v %v, want only the new, empty segment", s.Name(), info, err)
		}
	}
}
