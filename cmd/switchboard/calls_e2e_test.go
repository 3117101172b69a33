package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/internal/sipptest"
)

// seedCalls writes call records into the server's database through a
// second handle, as the SIP edge of this or another node would: the call
// plane is the only writer of calls, and this suite has no SIP traffic.
// SQLite in WAL mode and PostgreSQL (the same schema) both allow it.
func (ts *testServer) seedCalls(updates ...switchboard.CallUpdate) {
	ts.t.Helper()
	ctx := context.Background()
	store, err := openStore(ctx, ts.dsn, switchboard.SystemClock)
	if err != nil {
		ts.t.Fatalf("open a second handle on %s: %v", redactDSN(ts.dsn), err)
	}
	defer store.Close()
	if err := store.SaveCalls(ctx, updates); err != nil {
		ts.t.Fatalf("seed calls: %v", err)
	}
}

// TestCalls drives the call-records API through the real program: list
// with filters, get, timeline, hangup, isolation and scopes, every
// response checked against the OpenAPI document.
//
// The seeded calls are records only: no SIP dialog stands behind the
// "live" one, so its hangup is the 409 of a call this node cannot reach.
// Hangup's 202 needs a live call through the SIP edge (the SIPp tests).
func TestCalls(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.client(ts.BootstrapKey)
	ts.cli("inventory", "add", "+2348012345621")
	ep := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{
		"name": "Support", "type": "agent", "provider_config": map[string]any{"provider": "elevenlabs", "agent_id": "a1"}}))
	pn := c.must(201, c.do("POST", "/v1/phone-numbers", map[string]any{"number": "+2348012345621", "endpoint_id": ep.str("id")}))
	orgID, epID, pnID := ep.str("organization_id"), ep.str("id"), pn.str("id")

	day := time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := day.Add(d); return &t }
	ev := func(typ, status string, d time.Duration) *switchboard.CallEvent {
		return &switchboard.CallEvent{Type: typ, Status: status, Timestamp: day.Add(d)}
	}
	newCall := func(status string, created time.Duration) *switchboard.Call {
		return &switchboard.Call{ID: switchboard.NewID(switchboard.PrefixCall), OrganizationID: orgID,
			Direction: switchboard.DirectionInbound, FromNumber: "+14155550100", ToNumber: "+2348012345621",
			PhoneNumberID: &pnID, EndpointID: &epID, Status: status, SIPCallID: switchboard.RandomBase62(16) + "@carrier",
			Node: "e2e", CreatedAt: day.Add(created), UpdatedAt: day.Add(created)}
	}
	// Completed at 10:00 after three minutes; failed late the same day
	// without an endpoint; live the next morning.
	done := newCall(switchboard.CallCompleted, 10*time.Hour)
	done.AnsweredAt, done.CompletedAt = at(10*time.Hour+5*time.Second), at(10*time.Hour+185*time.Second)
	done.HangupCause, done.HangupBy, done.Duration, done.UpdatedAt = switchboard.HangupUser, switchboard.HangupByCaller, 180, *done.CompletedAt
	failed := newCall(switchboard.CallFailed, 23*time.Hour+59*time.Minute)
	failed.EndpointID, failed.HangupCause, failed.FailureReason, failed.SIPStatus = nil, switchboard.HangupRejected, "no_endpoint", 480
	failed.CompletedAt = &failed.CreatedAt
	live := newCall(switchboard.CallInProgress, 32*time.Hour)
	live.AnsweredAt = at(32*time.Hour + time.Second)
	// Recorded as this node's, though its SIP edge does not hold it: as if
	// an earlier run of the node had left it open.
	live.Node = ts.Config.Node
	ts.seedCalls(
		switchboard.CallUpdate{Call: done, Events: []*switchboard.CallEvent{
			ev(switchboard.EventCallInitiated, switchboard.CallInitiated, 10*time.Hour),
			ev(switchboard.EventCallRinging, switchboard.CallRinging, 10*time.Hour+time.Second),
			ev(switchboard.EventCallAnswered, switchboard.CallInProgress, 10*time.Hour+5*time.Second),
			ev(switchboard.EventCallCompleted, switchboard.CallCompleted, 10*time.Hour+185*time.Second),
		}},
		switchboard.CallUpdate{Call: failed, Events: []*switchboard.CallEvent{
			ev(switchboard.EventCallFailed, switchboard.CallFailed, 23*time.Hour+59*time.Minute)}},
		switchboard.CallUpdate{Call: live, Events: []*switchboard.CallEvent{
			ev(switchboard.EventCallAnswered, switchboard.CallInProgress, 32*time.Hour+time.Second)}},
	)

	ids := func(r *response) []string {
		var out []string
		for _, it := range r.items("calls") {
			out = append(out, it["id"].(string))
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{live.ID, failed.ID, done.ID}},
		{"?status=completed", []string{done.ID}},
		{"?direction=inbound&phone_number_id=" + pnID, []string{live.ID, failed.ID, done.ID}},
		{"?endpoint_id=" + epID, []string{live.ID, done.ID}},
		{"?from_date=2025-01-10&to_date=2025-01-10", []string{failed.ID, done.ID}}, // a plain to_date is the whole day
		{"?from_date=2025-01-10T10:00:01Z", []string{live.ID, failed.ID}},
		{"?limit=1&offset=1", []string{failed.ID}},
		{"?limit=2&page=2", []string{done.ID}},
		{"?status=busy", nil},
	} {
		r := c.must(200, c.do("GET", "/v1/calls"+tc.query, nil))
		if got := ids(r); !slices.Equal(got, tc.want) {
			t.Errorf("GET /v1/calls%s = %v, want %v", tc.query, got, tc.want)
		}
	}
	if r := c.must(200, c.do("GET", "/api/v1/calls?limit=1", nil)); r.Body["total"] != float64(3) || r.Body["limit"] != float64(1) {
		t.Errorf("envelope: %s", r.Raw)
	}
	// The stats of the same calls: two answered (one ended, 180 s), one
	// failed, over two UTC days.
	st := c.must(200, c.do("GET", "/v1/calls/stats?group_by=day&phone_number_id="+pnID, nil))
	if st.Body["total_calls"] != float64(3) || st.Body["answered_calls"] != float64(2) || st.Body["answer_rate"] != 0.6667 ||
		st.Body["average_duration"] != float64(180) || st.Body["p95_duration"] != float64(180) || len(st.items("series")) != 2 {
		t.Errorf("stats: %s", st.Raw)
	}
	c.mustErr(400, "VALIDATION_ERROR", c.do("GET", "/v1/calls/stats?group_by=week", nil))
	for q, field := range map[string]string{"status=picked_up": "status", "direction=up": "direction",
		"from_date=last+week": "from_date", "to_date=2025-01-10T10:00:00": "to_date", "limit=101": "limit", "sort=id": "sort"} {
		if r := c.mustErr(400, "VALIDATION_ERROR", c.do("GET", "/v1/calls?"+q, nil)); r.field() != field {
			t.Errorf("?%s: details.field = %v, want %s", q, r.field(), field)
		}
	}

	// One call, as stored.
	r := c.must(200, c.do("GET", "/v1/calls/"+done.ID, nil))
	if r.str("status") != "completed" || r.Body["duration"] != float64(180) || r.str("hangup_cause") != "user_hangup" ||
		r.str("hangup_by") != "caller" || r.str("phone_number_id") != pnID || r.str("endpoint_id") != epID ||
		r.str("answered_at") != "2025-01-10T10:00:05Z" || r.str("completed_at") != "2025-01-10T10:03:05Z" {
		t.Errorf("completed call: %s", r.Raw)
	}
	r = c.must(200, c.do("GET", "/api/v1/calls/"+failed.ID, nil))
	if v, ok := r.Body["endpoint_id"]; !ok || v != nil || r.Body["sip_status"] != float64(480) || r.str("failure_reason") != "no_endpoint" {
		t.Errorf("failed call: %s", r.Raw)
	}
	c.mustErr(404, "CALL_NOT_FOUND", c.do("GET", "/v1/calls/call_doesnotexist", nil))
	c.mustErr(404, "CALL_NOT_FOUND", c.do("GET", "/v1/calls/"+epID, nil))

	// The timeline, oldest first.
	r = c.must(200, c.do("GET", "/v1/calls/"+done.ID+"/events", nil))
	var types []string
	for _, it := range r.items("events") {
		types = append(types, it["type"].(string))
	}
	if want := []string{"call.initiated", "call.ringing", "call.answered", "call.completed"}; !slices.Equal(types, want) || r.Body["total"] != float64(4) {
		t.Errorf("timeline %v, want %v: %s", types, want, r.Raw)
	}
	if r := c.must(200, c.do("GET", "/v1/calls/"+done.ID+"/events?limit=1&offset=3", nil)); len(r.items("events")) != 1 ||
		r.items("events")[0]["type"] != "call.completed" {
		t.Errorf("timeline page: %s", r.Raw)
	}
	c.mustErr(404, "CALL_NOT_FOUND", c.do("GET", "/v1/calls/call_doesnotexist/events", nil))

	// Hangup: an ended call is a conflict; so is a call the record shows
	// live on this node that its SIP edge does not hold (left open by an
	// earlier run). A call of another node is relayed to it: see
	// TestTwoNodesRouteFresh.
	r = c.mustErr(409, "CONFLICT", c.do("POST", "/v1/calls/"+done.ID+"/hangup", nil))
	if d, _ := r.Body["details"].(map[string]any); d["status"] != "completed" {
		t.Errorf("hangup of an ended call: %s", r.Raw)
	}
	r = c.mustErr(409, "CONFLICT", c.do("POST", "/v1/calls/"+live.ID+"/hangup", nil, header("Idempotency-Key", "h-1")))
	if d, _ := r.Body["details"].(map[string]any); d["status"] != "in_progress" {
		t.Errorf("hangup of a call not live here: %s", r.Raw)
	}
	if again := c.mustErr(409, "CONFLICT", c.do("POST", "/v1/calls/"+live.ID+"/hangup", nil, header("Idempotency-Key", "h-1"))); again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the 409 was not replayed for the same Idempotency-Key: %v", again.Header)
	}
	c.mustErr(404, "CALL_NOT_FOUND", c.do("POST", "/v1/calls/call_doesnotexist/hangup", nil))
	if r := c.must(200, c.do("GET", "/v1/calls/"+live.ID, nil)); r.str("status") != "in_progress" {
		t.Errorf("the live call changed: %s", r.Raw)
	}

	// Another organisation sees none of it.
	other := ts.newKey("other")
	if r := other.must(200, other.do("GET", "/v1/calls", nil)); len(r.list("calls")) != 0 || r.Body["total"] != float64(0) {
		t.Errorf("another organisation lists: %s", r.Raw)
	}
	for _, p := range []string{"/v1/calls/" + done.ID, "/v1/calls/" + done.ID + "/events"} {
		other.mustErr(404, "CALL_NOT_FOUND", other.do("GET", p, nil))
	}
	other.mustErr(404, "CALL_NOT_FOUND", other.do("POST", "/v1/calls/"+live.ID+"/hangup", nil))

	// Scopes: calls:read reads but cannot hang up; other scopes read nothing.
	ro := ts.newKey("default", "calls:read")
	ro.must(200, ro.do("GET", "/v1/calls/"+live.ID, nil))
	ro.mustErr(403, "INSUFFICIENT_SCOPE", ro.do("POST", "/v1/calls/"+live.ID+"/hangup", nil))
	eps := ts.newKey("default", "endpoints:read", "numbers:read")
	eps.mustErr(403, "INSUFFICIENT_SCOPE", eps.do("GET", "/v1/calls", nil))
}

// TestCallsHangupLive hangs up a live call through the API: SIPp is the
// carrier (uac_wait_bye, which waits for the network's BYE) and the agent
// (uas_answer, which waits for the BYE from the bridge). The hangup
// answers 202, both legs get their BYE, and the record ends as hung up by
// the API.
func TestCallsHangupLive(t *testing.T) {
	t.Parallel()
	sipptest.Require(t)
	ts := startServer(t)
	c := ts.client(ts.BootstrapKey)
	const number = "+2348012345622"
	ts.cli("inventory", "add", number)
	agent := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: "127.0.0.41", Calls: 1})
	ep := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{
		"name": "Agent", "type": "custom_sip", "url": "sip:agent@" + agent.Addr() + ";transport=udp"}))
	c.must(201, c.do("POST", "/v1/phone-numbers", map[string]any{"number": number, "endpoint_id": ep.str("id")}))
	// The edge routes from its in-memory table, which the change feed
	// refreshes: call once it knows where the number goes.
	eventually(t, 10*time.Second, "the routing table to hold "+number, func() bool {
		return ts.edge.Table().Lookup(number).Endpoint != nil
	})

	carrier := sipptest.StartUAC(t, sipptest.UACOptions{Scenario: "uac_wait_bye", Target: ts.SIPAddr(),
		Rows: [][]string{{number, "+14155550199"}}, Vars: map[string]string{"wait": "20000"}})
	var id string
	eventually(t, 10*time.Second, "the call to be answered", func() bool {
		r := c.must(200, c.do("GET", "/v1/calls?status=in_progress", nil))
		if calls := r.items("calls"); len(calls) == 1 {
			id = calls[0]["id"].(string)
		}
		return id != ""
	})

	path := "/v1/calls/" + id + "/hangup"
	r := c.must(202, c.do("POST", path, nil, header("Idempotency-Key", "hangup-live")))
	if r.str("id") != id || r.str("status") != "hanging_up" {
		t.Fatalf("hangup: %s", r.Raw)
	}
	carrier.Wait(30*time.Second).ExpectCalls(t, 1, 0)
	agent.Wait(30*time.Second).ExpectCalls(t, 1, 0)

	var call *response
	eventually(t, 10*time.Second, "the record to show the end", func() bool {
		call = c.must(200, c.do("GET", "/v1/calls/"+id, nil))
		return switchboard.CallEnded(call.str("status"))
	})
	if call.str("status") != "completed" || call.str("hangup_cause") != "normal_clearing" || call.str("hangup_by") != "api" ||
		call.Body["answered_at"] == nil || call.Body["completed_at"] == nil || call.str("endpoint_id") != ep.str("id") {
		t.Errorf("the call hung up through the API: %s", call.Raw)
	}
	// A retry with the same key replays the 202; a new hangup is a 409.
	if again := c.must(202, c.do("POST", path, nil, header("Idempotency-Key", "hangup-live"))); again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the hangup was not replayed: %v", again.Header)
	}
	c.mustErr(409, "CONFLICT", c.do("POST", path, nil))
	r = c.must(200, c.do("GET", "/v1/calls/"+id+"/events", nil))
	var types []string
	for _, it := range r.items("events") {
		types = append(types, it["type"].(string))
	}
	if !slices.Contains(types, "call.answered") || types[len(types)-1] != "call.completed" {
		t.Errorf("timeline %v: %s", types, r.Raw)
	}
}
