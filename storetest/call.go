package storetest

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// newCall returns an inbound call of the organisation ("" for none),
// handled by node, created now, not yet saved.
func (f *fixture) newCall(orgID, node string) *switchboard.Call {
	now := f.clock.Now()
	return &switchboard.Call{
		ID: switchboard.NewID(switchboard.PrefixCall), OrganizationID: orgID,
		Direction: switchboard.DirectionInbound, FromNumber: numNG1, ToNumber: numUS1,
		Status: switchboard.CallInitiated, SIPCallID: switchboard.RandomBase62(16) + "@carrier.example.com",
		Node: node, CreatedAt: now, UpdatedAt: now,
	}
}

// copyCall returns a deep copy of c: each update of a batch carries the
// call's state at that update, not a pointer the test changes later.
func copyCall(c *switchboard.Call) *switchboard.Call {
	n := *c
	for _, p := range []**string{&n.PhoneNumberID, &n.EndpointID} {
		if *p != nil {
			*p = ptr(**p)
		}
	}
	for _, p := range []**time.Time{&n.AnsweredAt, &n.CompletedAt} {
		if *p != nil {
			*p = ptr(**p)
		}
	}
	n.Timeline = slices.Clone(n.Timeline)
	return &n
}

// callUpdate returns an update carrying c's current state and the entries,
// which join c's Timeline first, as the SIP edge's updates carry theirs
// (each entry is named now; a bad one, nil or another call's, is left for
// SaveCalls to refuse).
func callUpdate(c *switchboard.Call, events ...*switchboard.CallEvent) switchboard.CallUpdate {
	for _, ev := range events {
		if ev == nil || (ev.CallID != "" && ev.CallID != c.ID) {
			continue
		}
		if ev.ID == "" {
			ev.ID = switchboard.NewID(switchboard.PrefixCallEvent)
		}
		ev.CallID = c.ID
		if !slices.ContainsFunc(c.Timeline, func(e switchboard.CallEvent) bool { return e.ID == ev.ID }) {
			c.Timeline = append(c.Timeline, *ev)
		}
	}
	return switchboard.CallUpdate{Call: copyCall(c), Events: events}
}

// callEvent returns a timeline entry of c's current status, at c.UpdatedAt.
func callEvent(c *switchboard.Call, typ string) *switchboard.CallEvent {
	return &switchboard.CallEvent{Type: typ, Timestamp: c.UpdatedAt, Status: c.Status}
}

// setStatus moves c to status at the clock's time.
func (f *fixture) setStatus(c *switchboard.Call, status string) {
	c.Status, c.UpdatedAt = status, f.clock.Now()
}

func (f *fixture) saveCalls(updates ...switchboard.CallUpdate) {
	f.t.Helper()
	if err := f.s.SaveCalls(f.ctx, updates); err != nil {
		f.t.Fatalf("SaveCalls(%d updates): %v", len(updates), err)
	}
}

func (f *fixture) findCall(orgID, id string) *switchboard.Call {
	f.t.Helper()
	c, err := f.s.FindCall(f.ctx, orgID, id)
	if err != nil {
		f.t.Fatalf("FindCall(%s): %v", id, err)
	}
	return c
}

func (f *fixture) callEvents(orgID, id string) []*switchboard.CallEvent {
	f.t.Helper()
	list, err := f.s.ListCallEvents(f.ctx, orgID, id)
	if err != nil {
		f.t.Fatalf("ListCallEvents(%s): %v", id, err)
	}
	return list
}

// listCalls returns the IDs of a page and the total.
func (f *fixture) listCalls(orgID string, filter switchboard.CallFilter) ([]string, int) {
	f.t.Helper()
	list, total, err := f.s.ListCalls(f.ctx, orgID, filter)
	if err != nil {
		f.t.Fatalf("ListCalls(%+v): %v", filter, err)
	}
	return ids(list, callID), total
}

func callID(c *switchboard.Call) string         { return c.ID }
func callCreated(c *switchboard.Call) time.Time { return c.CreatedAt }

// equalCall compares every field, following pointers.
func equalCall(t *testing.T, what string, got, want *switchboard.Call) {
	t.Helper()
	if got == nil || want == nil {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
	g, w := copyCall(got), copyCall(want)
	checkTime(t, what+": CreatedAt", g.CreatedAt, w.CreatedAt)
	checkTime(t, what+": UpdatedAt", g.UpdatedAt, w.UpdatedAt)
	checkOptTime(t, what+": AnsweredAt", g.AnsweredAt, w.AnsweredAt)
	checkOptTime(t, what+": CompletedAt", g.CompletedAt, w.CompletedAt)
	for _, c := range []*switchboard.Call{g, w} {
		// The timeline is read on its own (ListCallEvents).
		c.CreatedAt, c.UpdatedAt, c.AnsweredAt, c.CompletedAt, c.Timeline = time.Time{}, time.Time{}, nil, nil, nil
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, fmtCall(g), fmtCall(w))
	}
}

func fmtCall(c *switchboard.Call) string {
	return fmt.Sprintf("%+v phone_number_id=%s endpoint_id=%s", *c, deref(c.PhoneNumberID), deref(c.EndpointID))
}

// equalTimeline compares a listed timeline with the entries saved, in order.
func equalTimeline(t *testing.T, what string, got, want []*switchboard.CallEvent) {
	t.Helper()
	str := func(list []*switchboard.CallEvent) string {
		var b strings.Builder
		for _, e := range list {
			fmt.Fprintf(&b, "\n  %s %s %s %s %s %q", e.ID, e.CallID, e.Type, e.Timestamp.Format(time.RFC3339Nano), e.Status, e.Detail)
		}
		return b.String()
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d entries, want %d:\n got%s\nwant%s", what, len(got), len(want), str(got), str(want))
		return
	}
	for i, g := range got {
		w := want[i]
		if !switchboard.ValidID(switchboard.PrefixCallEvent, g.ID) || g.ID != w.ID || g.CallID != w.CallID ||
			g.Type != w.Type || g.Status != w.Status || g.Detail != w.Detail ||
			!g.Timestamp.Equal(w.Timestamp) || g.Timestamp.Location() != time.UTC {
			t.Errorf("%s: entry %d differs:\n got%s\nwant%s", what, i, str(got), str(want))
			return
		}
	}
}

// endpointEvents returns the events of the deliveries to the endpoint not
// seen yet, as (type, data) pairs, and marks them seen.
func (f *fixture) endpointEvents(orgID string, ep *switchboard.Endpoint, seen map[string]bool) []string {
	f.t.Helper()
	var out []string
	for _, d := range f.deliveries(orgID, switchboard.DeliveryFilter{}) {
		if d.EndpointID == nil || seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		d = f.findDelivery(orgID, d.ID)
		checkPending(f.t, "endpoint delivery", d, orgID, f.clock.Now())
		if *d.EndpointID != ep.ID || d.URL != ep.URL || d.WebhookID != nil {
			f.t.Errorf("delivery %s to endpoint %s at %s, want %s at %s", d.ID, *d.EndpointID, d.URL, ep.ID, ep.URL)
		}
		ev := envelope(f.t, "endpoint delivery", d)
		out = append(out, ev.Type+" "+canonicalJSON(f.t, ev.Data))
	}
	slices.Sort(out)
	return out
}

func eventStrings(t *testing.T, want ...wantEvent) []string {
	t.Helper()
	out := []string{}
	for _, w := range want {
		out = append(out, w.typ+" "+canonicalJSON(t, w.data))
	}
	slices.Sort(out)
	return out
}

// testCallSaveFind checks that an update inserts a call or replaces every
// field of it, that times round-trip, and what FindCall does not find.
func testCallSaveFind(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	ag := f.agent(orgID, "Support")
	f.stock(numUS1)
	pn := f.claim(orgID, switchboard.ClaimRequest{Number: numUS1, EndpointID: ptr(ag.ID)})
	must(t, "SaveCalls of no update", f.s.SaveCalls(f.ctx, nil))

	c := f.newCall(orgID, "node-a")
	c.PhoneNumberID, c.EndpointID = ptr(pn.ID), ptr(ag.ID)
	f.saveCalls(callUpdate(c))
	equalCall(t, "new call", f.findCall(orgID, c.ID), c)

	f.clock.Advance(1500 * time.Millisecond)
	f.setStatus(c, switchboard.CallInProgress)
	c.AnsweredAt = ptr(f.clock.Now())
	f.saveCalls(callUpdate(c))
	equalCall(t, "answered call", f.findCall(orgID, c.ID), c)

	f.clock.Advance(61*time.Second + 7*time.Microsecond)
	f.setStatus(c, switchboard.CallCompleted)
	c.CompletedAt = ptr(f.clock.Now())
	c.Duration, c.HangupCause, c.HangupBy = 61, switchboard.HangupUser, switchboard.HangupByCaller
	f.saveCalls(callUpdate(c))
	equalCall(t, "completed call", f.findCall(orgID, c.ID), c)

	// Every field but the identity is replaced, optional ones by NULL too,
	// and back.
	other := copyCall(c)
	other.EndpointID, other.Status, other.HangupCause, other.HangupBy = nil, switchboard.CallFailed, "", ""
	other.FailureReason, other.SIPStatus, other.Duration = "agent_unreachable", 503, 0
	other.AnsweredAt, other.CompletedAt, other.UpdatedAt = nil, nil, c.UpdatedAt.Add(time.Hour)
	f.saveCalls(callUpdate(other))
	equalCall(t, "call replaced", f.findCall(orgID, c.ID), other)
	f.saveCalls(callUpdate(c))
	equalCall(t, "call replaced back", f.findCall(orgID, c.ID), c)

	// A test call's mark reads back, and is kept from the first save, as
	// the call's identity is (an update cannot unmark it).
	tc := f.newCall(orgID, "node-a")
	tc.Test = true
	f.saveCalls(callUpdate(tc))
	equalCall(t, "test call", f.findCall(orgID, tc.ID), tc)
	unmarked := copyCall(tc)
	unmarked.Test, unmarked.Status = false, switchboard.CallFailed
	f.saveCalls(callUpdate(unmarked))
	if got := f.findCall(orgID, tc.ID); !got.Test || got.Status != switchboard.CallFailed {
		t.Errorf("test call after an update without the mark: test %v, status %s", got.Test, got.Status)
	}
	// A caller that is no number: from_number empty, its From user in
	// from_raw, both read back (and listed).
	anon := f.newCall(orgID, "node-a")
	anon.FromNumber, anon.FromRaw = "", "anonymous"
	f.saveCalls(callUpdate(anon))
	equalCall(t, "call from a non-number", f.findCall(orgID, anon.ID), anon)
	listed, _, lerr := f.s.ListCalls(f.ctx, orgID, switchboard.CallFilter{Page: switchboard.Page{Limit: switchboard.MaxLimit}})
	must(t, "ListCalls", lerr)
	for _, l := range listed {
		if want := map[string]string{anon.ID: "anonymous", c.ID: ""}[l.ID]; l.FromRaw != want {
			t.Errorf("ListCalls: call %s from_raw %q, want %q", l.ID, l.FromRaw, want)
		}
	}

	// The identity is fixed by the first save: an update that would change
	// it fails, with the rest of its batch.
	otherOrg := f.org("globex")
	sub := f.subscribe(otherOrg, "theirs", nil, true)
	for name, change := range map[string]func(*switchboard.Call){
		"organisation":    func(c *switchboard.Call) { c.OrganizationID = otherOrg },
		"no organisation": func(c *switchboard.Call) { c.OrganizationID = "" },
		"direction":       func(c *switchboard.Call) { c.Direction = switchboard.DirectionOutbound },
		"from number":     func(c *switchboard.Call) { c.FromNumber = numGB1 },
		"to number":       func(c *switchboard.Call) { c.ToNumber = numUS2 },
		"phone number":    func(c *switchboard.Call) { c.PhoneNumberID = nil },
		"SIP Call-ID":     func(c *switchboard.Call) { c.SIPCallID = "other@example.com" },
		"node":            func(c *switchboard.Call) { c.Node = "node-b" },
		"creation time":   func(c *switchboard.Call) { c.CreatedAt = c.CreatedAt.Add(time.Microsecond) },
	} {
		moved := copyCall(c)
		change(moved)
		moved.Status = switchboard.CallFailed
		fresh := f.newCall(orgID, "node-a")
		err := f.s.SaveCalls(f.ctx, []switchboard.CallUpdate{
			callUpdate(fresh), callUpdate(moved, callEvent(moved, switchboard.EventCallFailed)),
		})
		if err == nil {
			t.Errorf("SaveCalls changing the call's %s succeeded, want an error", name)
		}
		equalCall(t, "call after an update changing its "+name, f.findCall(orgID, c.ID), c)
		if _, err := f.s.FindCall(f.ctx, orgID, fresh.ID); switchboard.ErrorCode(err) != switchboard.ECodeCallNotFound {
			t.Errorf("SaveCalls changing the call's %s saved the rest of the batch: %v", name, err)
		}
	}
	// Within one batch too, for a call saved for the first time.
	fresh := f.newCall(orgID, "node-a")
	moved := copyCall(fresh)
	moved.OrganizationID = otherOrg
	err := f.s.SaveCalls(f.ctx, []switchboard.CallUpdate{
		callUpdate(fresh, callEvent(fresh, switchboard.EventCallInitiated)), callUpdate(moved, callEvent(moved, switchboard.EventCallFailed)),
	})
	if err == nil {
		t.Errorf("SaveCalls moving a new call to another organisation within the batch succeeded, want an error")
	}
	for _, org := range []string{orgID, otherOrg} {
		if _, err := f.s.FindCall(f.ctx, org, fresh.ID); switchboard.ErrorCode(err) != switchboard.ECodeCallNotFound {
			t.Errorf("FindCall(%s) of a call whose batch failed = %v, want CALL_NOT_FOUND", org, err)
		}
	}
	if n := len(f.deliveries(otherOrg, switchboard.DeliveryFilter{WebhookID: sub.ID})); n != 0 {
		t.Errorf("another organisation got %d deliveries of the call", n)
	}

	// A call keeps the IDs of a number and an endpoint deleted later.
	_, err = f.s.ReleaseNumber(f.ctx, orgID, pn.ID)
	must(t, "ReleaseNumber", err)
	_, err = f.s.DeleteEndpoint(f.ctx, orgID, ag.ID)
	must(t, "DeleteEndpoint", err)
	equalCall(t, "call after its number and endpoint are gone", f.findCall(orgID, c.ID), c)
	f.clock.Advance(time.Second)
	f.setStatus(c, switchboard.CallCompleted)
	f.saveCalls(callUpdate(c))
	equalCall(t, "call saved after its number and endpoint are gone", f.findCall(orgID, c.ID), c)

	for _, tc := range []struct{ org, id string }{
		{orgID, "call_doesNotExist"}, {orgID, "garbage"}, {orgID, ""}, {orgID, "ep_" + strings.TrimPrefix(c.ID, "call_")},
		{"", c.ID}, {"org_doesNotExist", c.ID},
	} {
		_, err := f.s.FindCall(f.ctx, tc.org, tc.id)
		wantCode(t, fmt.Sprintf("FindCall(%q, %q)", tc.org, tc.id), err, switchboard.ECodeCallNotFound)
		_, err = f.s.ListCallEvents(f.ctx, tc.org, tc.id)
		wantCode(t, fmt.Sprintf("ListCallEvents(%q, %q)", tc.org, tc.id), err, switchboard.ECodeCallNotFound)
	}
}

// testCallBatchAtomic checks that a batch with a bad update saves nothing
// and emits nothing.
func testCallBatchAtomic(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	f.subscribe(orgID, "all", nil, true)
	good := f.newCall(orgID, "node-a")
	foreign := f.newCall("org_doesNotExist", "node-a")
	bad := f.newCall(orgID, "node-a")
	for _, tc := range []struct {
		name  string
		batch []switchboard.CallUpdate
	}{
		{"a nil call", []switchboard.CallUpdate{callUpdate(good, callEvent(good, switchboard.EventCallInitiated)), {}}},
		{"a call without an ID", []switchboard.CallUpdate{
			callUpdate(good, callEvent(good, switchboard.EventCallInitiated)),
			{Call: &switchboard.Call{OrganizationID: orgID, Status: switchboard.CallInitiated}},
		}},
		{"a call of an unknown organisation", []switchboard.CallUpdate{
			callUpdate(good, callEvent(good, switchboard.EventCallInitiated)),
			callUpdate(foreign, callEvent(foreign, switchboard.EventCallInitiated)),
		}},
		{"an entry of another call", []switchboard.CallUpdate{
			callUpdate(good, callEvent(good, switchboard.EventCallInitiated)),
			callUpdate(bad, &switchboard.CallEvent{CallID: good.ID, Type: switchboard.EventCallRinging, Timestamp: bad.UpdatedAt}),
		}},
		{"a nil entry", []switchboard.CallUpdate{
			callUpdate(good, callEvent(good, switchboard.EventCallInitiated)), callUpdate(bad, nil),
		}},
	} {
		if err := f.s.SaveCalls(f.ctx, tc.batch); err == nil {
			t.Errorf("SaveCalls with %s succeeded, want an error", tc.name)
		}
		for _, c := range []*switchboard.Call{good, bad} {
			if _, err := f.s.FindCall(f.ctx, orgID, c.ID); switchboard.ErrorCode(err) != switchboard.ECodeCallNotFound {
				t.Errorf("SaveCalls with %s: FindCall(%s) = %v, want CALL_NOT_FOUND (nothing saved)", tc.name, c.ID, err)
			}
		}
		if ids, total := f.listCalls(orgID, switchboard.CallFilter{}); total != 0 {
			t.Errorf("SaveCalls with %s: the organisation lists %v", tc.name, ids)
		}
		if n := f.countDeliveries(orgID); n != 0 {
			t.Errorf("SaveCalls with %s: %d deliveries, want none", tc.name, n)
		}
	}
}

// testCallTimeline checks that the timeline keeps the entries in order,
// whatever batches they came in, and that saving a batch again (a retry)
// adds nothing.
func testCallTimeline(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	all := f.follow(orgID, f.subscribe(orgID, "all", nil, true))
	c := f.newCall(orgID, "node-a")
	f.saveCalls(callUpdate(c))
	if got := f.callEvents(orgID, c.ID); got == nil || len(got) != 0 {
		t.Errorf("timeline of a call without entries = %v, want an empty list", got)
	}

	var want []*switchboard.CallEvent
	add := func(c *switchboard.Call, evs ...*switchboard.CallEvent) switchboard.CallUpdate {
		want = append(want, evs...)
		return callUpdate(c, evs...)
	}
	initiated := callEvent(c, switchboard.EventCallInitiated)
	first := []switchboard.CallUpdate{add(c, initiated)}
	f.clock.Advance(time.Second)
	f.setStatus(c, switchboard.CallRinging)
	// Two entries at the same instant keep the order they were saved in.
	ringing := callEvent(c, switchboard.EventCallRinging)
	failover := &switchboard.CallEvent{Type: "call.failover", Timestamp: c.UpdatedAt, Status: c.Status, Detail: "503 from sip:a.example.com"}
	first = append(first, add(c, ringing, failover))
	f.clock.Advance(2 * time.Second)
	f.setStatus(c, switchboard.CallInProgress)
	c.AnsweredAt = ptr(c.UpdatedAt)
	answered := callEvent(c, switchboard.EventCallAnswered)
	first = append(first, add(c, answered))
	f.saveCalls(first...)
	equalCall(t, "call after the first batch", f.findCall(orgID, c.ID), c)
	equalTimeline(t, "timeline after the first batch", f.callEvents(orgID, c.ID), want)
	for _, ev := range want {
		if !switchboard.ValidID(switchboard.PrefixCallEvent, ev.ID) || ev.CallID != c.ID {
			t.Errorf("saved entry %s of call %q; want a cev_ ID and call %s", ev.ID, ev.CallID, c.ID)
		}
	}
	all.expect("first batch",
		wantEvent{switchboard.EventCallInitiated, first[0].Call.EventData()},
		wantEvent{switchboard.EventCallRinging, first[1].Call.EventData()},
		wantEvent{switchboard.EventCallAnswered, first[2].Call.EventData()})

	f.clock.Advance(time.Minute)
	f.setStatus(c, switchboard.CallCompleted)
	c.CompletedAt, c.Duration = ptr(c.UpdatedAt), 60
	completed := callEvent(c, switchboard.EventCallCompleted)
	second := []switchboard.CallUpdate{add(c, completed)}
	// An entry saved late sits at its time, not at the end.
	late := &switchboard.CallEvent{Type: "call.note", Timestamp: answered.Timestamp.Add(-time.Second), Status: switchboard.CallRinging}
	second = append(second, callUpdate(c, late))
	want = slices.Insert(want, 3, late)
	f.saveCalls(second...)
	equalTimeline(t, "timeline after the second batch", f.callEvents(orgID, c.ID), want)
	all.expect("second batch", wantEvent{switchboard.EventCallCompleted, second[0].Call.EventData()})

	// The same batches again: nothing is written or emitted twice.
	f.saveCalls(first...)
	f.saveCalls(second...)
	equalTimeline(t, "timeline after the batches were saved again", f.callEvents(orgID, c.ID), want)
	equalCall(t, "call after the batches were saved again", f.findCall(orgID, c.ID), c)
	all.expect("batches saved again")
}

// testCallEvents checks who receives a call's events: the organisation's
// matching subscriptions and its webhook endpoint (unless SkipEndpoint),
// with the call's state at that update as data; timeline-only entries and
// calls of no organisation emit nothing.
func testCallEvents(f *fixture) {
	t := f.t
	orgID, other := f.org("acme"), f.org("globex")
	calls := f.follow(orgID, f.subscribe(orgID, "calls", []string{"call.*"}, true))
	ended := f.follow(orgID, f.subscribe(orgID, "ended", []string{"call.ended", "call.failed"}, true)) // call.ended is call.completed
	endpoints := f.follow(orgID, f.subscribe(orgID, "endpoints", []string{"endpoint.*"}, true))
	paused := f.follow(orgID, f.subscribe(orgID, "paused", nil, false))
	theirs := f.follow(other, f.subscribe(other, "theirs", nil, true))
	wh, ag := f.webhook(orgID, "crm"), f.agent(orgID, "Support")
	calls.expect("setup")
	endpoints.expect("setup", wantEvent{switchboard.EventEndpointCreated, wh.EventView()},
		wantEvent{switchboard.EventEndpointCreated, ag.EventView()})
	f.clock.Advance(time.Minute)
	seen := map[string]bool{}

	// A call to the webhook endpoint: it got call.initiated synchronously
	// (SkipEndpoint), then gets the rest.
	c := f.newCall(orgID, "node-a")
	c.EndpointID = ptr(wh.ID)
	ini := callEvent(c, switchboard.EventCallInitiated)
	ini.SkipEndpoint = true
	u1 := callUpdate(c, ini)
	f.setStatus(c, switchboard.CallRinging)
	u2 := callUpdate(c, callEvent(c, switchboard.EventCallRinging),
		&switchboard.CallEvent{Type: "call.failover", Timestamp: c.UpdatedAt, Status: c.Status})
	f.setStatus(c, switchboard.CallInProgress)
	c.AnsweredAt = ptr(c.UpdatedAt)
	u3 := callUpdate(c, callEvent(c, switchboard.EventCallAnswered))
	f.saveCalls(u1, u2, u3)
	calls.expect("webhook call",
		wantEvent{switchboard.EventCallInitiated, u1.Call.EventData()},
		wantEvent{switchboard.EventCallRinging, u2.Call.EventData()},
		wantEvent{switchboard.EventCallAnswered, u3.Call.EventData()})
	ended.expect("webhook call answered")
	endpoints.expect("webhook call answered")
	paused.expect("webhook call answered")
	if got, want := f.endpointEvents(orgID, wh, seen), eventStrings(t,
		wantEvent{switchboard.EventCallRinging, u2.Call.EventData()},
		wantEvent{switchboard.EventCallAnswered, u3.Call.EventData()}); !slices.Equal(got, want) {
		t.Errorf("webhook endpoint's events:\n got %v\nwant %v", got, want)
	}

	f.clock.Advance(time.Second)
	f.setStatus(c, switchboard.CallCompleted)
	c.CompletedAt, c.HangupCause, c.HangupBy, c.Duration = ptr(c.UpdatedAt), switchboard.HangupAgent, switchboard.HangupByAgent, 1
	u4 := callUpdate(c, callEvent(c, switchboard.EventCallCompleted))
	// A call to the agent endpoint, in the same batch: no endpoint delivery.
	a := f.newCall(orgID, "node-a")
	a.EndpointID = ptr(ag.ID)
	f.setStatus(a, switchboard.CallFailed)
	a.FailureReason, a.SIPStatus, a.CompletedAt = "agent_unreachable", 503, ptr(a.UpdatedAt)
	u5 := callUpdate(a, callEvent(a, switchboard.EventCallFailed))
	// A call of no organisation, naming the webhook endpoint: nobody hears of it.
	lost := f.newCall("", "node-a")
	lost.EndpointID = ptr(wh.ID)
	f.setStatus(lost, switchboard.CallFailed)
	lost.FailureReason = "number_not_found"
	u6 := callUpdate(lost, callEvent(lost, switchboard.EventCallInitiated), callEvent(lost, switchboard.EventCallFailed))
	// A call of another organisation naming this one's webhook endpoint:
	// its own subscription hears of it, the endpoint does not.
	x := f.newCall(other, "node-a")
	x.EndpointID = ptr(wh.ID)
	f.setStatus(x, switchboard.CallFailed)
	x.FailureReason, x.SIPStatus, x.CompletedAt = "agent_unreachable", 503, ptr(x.UpdatedAt)
	u7 := callUpdate(x, callEvent(x, switchboard.EventCallFailed))
	f.saveCalls(u4, u5, u6, u7)
	want4, want5 := wantEvent{switchboard.EventCallCompleted, u4.Call.EventData()}, wantEvent{switchboard.EventCallFailed, u5.Call.EventData()}
	calls.expect("completed and failed", want4, want5)
	ended.expect("completed and failed", want4, want5)
	endpoints.expect("completed and failed")
	paused.expect("completed and failed")
	if got, want := f.endpointEvents(orgID, wh, seen), eventStrings(t, want4); !slices.Equal(got, want) {
		t.Errorf("webhook endpoint's events:\n got %v\nwant %v", got, want)
	}
	theirs.expect("another organisation's calls", wantEvent{switchboard.EventCallFailed, u7.Call.EventData()})
	if n := f.countDeliveries(other); n != 1 {
		t.Errorf("another organisation got %d deliveries, want 1 (its own subscription's)", n)
	}
	// endpoints: 2 endpoint.created; calls: 5; ended: 2; the webhook endpoint: 3.
	if n := f.countDeliveries(orgID); n != 12 {
		t.Errorf("the organisation has %d deliveries, want 12", n)
	}
	// The deliveries each call caused: c's 4 to "calls", 1 to "ended", 3
	// to the webhook endpoint; a's 2; x's none in this organisation.
	for _, tc := range []struct {
		org, call string
		want      int
	}{{orgID, c.ID, 8}, {orgID, a.ID, 2}, {orgID, x.ID, 0}, {other, x.ID, 1}, {other, c.ID, 0}, {orgID, "call_none", 0}} {
		ds, total, err := f.s.ListDeliveries(f.ctx, tc.org, switchboard.DeliveryFilter{CallID: tc.call, Page: switchboard.Page{Limit: switchboard.MaxLimit}})
		must(t, "ListDeliveries by call", err)
		if total != tc.want || len(ds) != tc.want {
			t.Errorf("ListDeliveries(call %s) = %d rows, total %d; want %d", tc.call, len(ds), total, tc.want)
		}
		for _, d := range ds {
			if !strings.HasPrefix(d.Event, "call.") {
				t.Errorf("ListDeliveries(call %s) lists a %s delivery", tc.call, d.Event)
			}
		}
	}
	if ds, _, err := f.s.ListDeliveries(f.ctx, orgID, switchboard.DeliveryFilter{CallID: c.ID, Status: switchboard.DeliveryDelivered}); err != nil || len(ds) != 0 {
		t.Errorf("ListDeliveries(call, delivered) = %d, %v; want none yet", len(ds), err)
	}
	for _, org := range []string{orgID, other, ""} {
		if _, err := f.s.FindCall(f.ctx, org, lost.ID); switchboard.ErrorCode(err) != switchboard.ECodeCallNotFound {
			t.Errorf("FindCall(%q) of a call of no organisation = %v, want CALL_NOT_FOUND", org, err)
		}
		if _, err := f.s.ListCallEvents(f.ctx, org, lost.ID); switchboard.ErrorCode(err) != switchboard.ECodeCallNotFound {
			t.Errorf("ListCallEvents(%q) of a call of no organisation = %v, want CALL_NOT_FOUND", org, err)
		}
		if ids, _ := f.listCalls(org, switchboard.CallFilter{Page: switchboard.Page{Limit: switchboard.MaxLimit}}); slices.Contains(ids, lost.ID) {
			t.Errorf("ListCalls(%q) lists the call of no organisation", org)
		}
	}
}

// testCallBatchOrgs checks a batch that mixes organisations: each call,
// and each event, goes to its own organisation only.
func testCallBatchOrgs(f *fixture) {
	t := f.t
	orgA, orgB := f.org("acme"), f.org("globex")
	subA := f.follow(orgA, f.subscribe(orgA, "a", []string{"call.*"}, true))
	subB := f.follow(orgB, f.subscribe(orgB, "b", []string{"call.*"}, true))
	whA, whB := f.webhook(orgA, "crm-a"), f.webhook(orgB, "crm-b")
	f.clock.Advance(time.Second)
	seenA, seenB := map[string]bool{}, map[string]bool{}

	a1, b1, a2 := f.newCall(orgA, "node-a"), f.newCall(orgB, "node-a"), f.newCall(orgA, "node-b")
	a1.EndpointID, b1.EndpointID, a2.EndpointID = ptr(whA.ID), ptr(whB.ID), ptr(whB.ID) // a2 names B's endpoint: ignored
	lost := f.newCall("", "node-a")
	var batch []switchboard.CallUpdate
	for _, c := range []*switchboard.Call{a1, b1, lost, a2} {
		batch = append(batch, callUpdate(c, callEvent(c, switchboard.EventCallInitiated)))
	}
	f.setStatus(b1, switchboard.CallRinging)
	batch = append(batch, callUpdate(b1, callEvent(b1, switchboard.EventCallRinging)))
	f.setStatus(a1, switchboard.CallRinging)
	batch = append(batch, callUpdate(a1, callEvent(a1, switchboard.EventCallRinging)))
	f.saveCalls(batch...)

	ev := func(typ string, u switchboard.CallUpdate) wantEvent { return wantEvent{typ, u.Call.EventData()} }
	wantA := []wantEvent{ev(switchboard.EventCallInitiated, batch[0]), ev(switchboard.EventCallInitiated, batch[3]),
		ev(switchboard.EventCallRinging, batch[5])}
	wantB := []wantEvent{ev(switchboard.EventCallInitiated, batch[1]), ev(switchboard.EventCallRinging, batch[4])}
	subA.expect("A's calls", wantA...)
	subB.expect("B's calls", wantB...)
	if got, want := f.endpointEvents(orgA, whA, seenA), eventStrings(t, wantA[0], wantA[2]); !slices.Equal(got, want) {
		t.Errorf("A's endpoint's events:\n got %v\nwant %v", got, want)
	}
	if got, want := f.endpointEvents(orgB, whB, seenB), eventStrings(t, wantB...); !slices.Equal(got, want) {
		t.Errorf("B's endpoint's events:\n got %v\nwant %v", got, want)
	}
	listA, totalA := f.listCalls(orgA, switchboard.CallFilter{})
	listB, totalB := f.listCalls(orgB, switchboard.CallFilter{})
	slices.Sort(listA)
	if want := []string{a1.ID, a2.ID}; totalA != 2 || !slices.Equal(listA, slices.Sorted(slices.Values(want))) {
		t.Errorf("A lists %v (total %d), want %v", listA, totalA, want)
	}
	if totalB != 1 || !slices.Equal(listB, []string{b1.ID}) {
		t.Errorf("B lists %v (total %d), want [%s]", listB, totalB, b1.ID)
	}
	equalCall(t, "A's call", f.findCall(orgA, a1.ID), a1)
	equalCall(t, "B's call", f.findCall(orgB, b1.ID), b1)
	equalTimeline(t, "A's timeline", f.callEvents(orgA, a1.ID), []*switchboard.CallEvent{batch[0].Events[0], batch[5].Events[0]})
	equalTimeline(t, "B's timeline", f.callEvents(orgB, b1.ID), []*switchboard.CallEvent{batch[1].Events[0], batch[4].Events[0]})
}

// testCallIsolation checks that another organisation cannot find, list or
// read the timeline of a call.
func testCallIsolation(f *fixture) {
	t := f.t
	orgA, orgB := f.org("acme"), f.org("globex")
	ep := f.agent(orgA, "Support")
	c := f.newCall(orgA, "node-a")
	c.EndpointID, c.PhoneNumberID = ptr(ep.ID), ptr(switchboard.NewID(switchboard.PrefixNumber))
	f.saveCalls(callUpdate(c, callEvent(c, switchboard.EventCallInitiated)))

	_, err := f.s.FindCall(f.ctx, orgB, c.ID)
	wantCode(t, "FindCall of another organisation's call", err, switchboard.ECodeCallNotFound)
	_, err = f.s.ListCallEvents(f.ctx, orgB, c.ID)
	wantCode(t, "ListCallEvents of another organisation's call", err, switchboard.ECodeCallNotFound)
	for _, filter := range []switchboard.CallFilter{
		{}, {EndpointID: ep.ID}, {PhoneNumberID: *c.PhoneNumberID}, {Status: c.Status}, {Direction: c.Direction},
	} {
		if ids, total := f.listCalls(orgB, filter); total != 0 || len(ids) != 0 {
			t.Errorf("another organisation lists %v (total %d) with %+v", ids, total, filter)
		}
		if ids, total := f.listCalls(orgA, filter); total != 1 || !slices.Equal(ids, []string{c.ID}) {
			t.Errorf("the organisation lists %v (total %d) with %+v, want its call", ids, total, filter)
		}
	}
	if ids, total := f.listCalls("", switchboard.CallFilter{}); total != 0 || len(ids) != 0 {
		t.Errorf("no organisation lists %v (total %d)", ids, total)
	}
	if len(f.callEvents(orgA, c.ID)) != 1 {
		t.Errorf("the organisation's call has no timeline entry")
	}
}

// testCallList checks every filter of ListCalls, the order and the totals.
func testCallList(f *fixture) {
	t := f.t
	orgID, other := f.org("acme"), f.org("globex")
	pn1, pn2 := switchboard.NewID(switchboard.PrefixNumber), switchboard.NewID(switchboard.PrefixNumber)
	epA, epB := switchboard.NewID(switchboard.PrefixEndpoint), switchboard.NewID(switchboard.PrefixEndpoint)
	t0 := f.clock.Now()
	var all []*switchboard.Call
	mk := func(at time.Duration, dir, status string, pn, ep *string) *switchboard.Call {
		c := f.newCall(orgID, "node-a")
		c.CreatedAt, c.UpdatedAt = t0.Add(at), t0.Add(at)
		c.Direction, c.Status, c.PhoneNumberID, c.EndpointID = dir, status, pn, ep
		all = append(all, c)
		return c
	}
	in, out := switchboard.DirectionInbound, switchboard.DirectionOutbound
	c1 := mk(0, in, switchboard.CallCompleted, &pn1, &epA)
	c2 := mk(time.Second, in, switchboard.CallFailed, &pn2, &epB)
	c3 := mk(2*time.Second, out, switchboard.CallCompleted, &pn1, &epB)
	c4 := mk(2*time.Second, in, switchboard.CallInProgress, &pn1, &epA) // same instant as c3: ID order decides
	c5 := mk(3*time.Second+time.Microsecond, in, switchboard.CallNoAnswer, nil, nil)
	var batch []switchboard.CallUpdate
	for _, c := range all {
		batch = append(batch, callUpdate(c))
	}
	theirs := f.newCall(other, "node-a")
	theirs.CreatedAt, theirs.PhoneNumberID, theirs.EndpointID, theirs.Status = t0.Add(2*time.Second), &pn1, &epA, switchboard.CallCompleted
	f.saveCalls(append(batch, callUpdate(theirs))...)

	sel := func(keep ...*switchboard.Call) []string { return newestFirst(keep, callCreated, callID) }
	full := switchboard.Page{Limit: switchboard.MaxLimit}
	for _, tc := range []struct {
		name   string
		filter switchboard.CallFilter
		want   []string
	}{
		{"no filter", switchboard.CallFilter{Page: full}, sel(all...)},
		{"status", switchboard.CallFilter{Status: switchboard.CallCompleted, Page: full}, sel(c1, c3)},
		{"status without calls", switchboard.CallFilter{Status: switchboard.CallBusy, Page: full}, sel()},
		{"direction", switchboard.CallFilter{Direction: out, Page: full}, sel(c3)},
		{"phone number", switchboard.CallFilter{PhoneNumberID: pn1, Page: full}, sel(c1, c3, c4)},
		{"endpoint", switchboard.CallFilter{EndpointID: epB, Page: full}, sel(c2, c3)},
		{"unknown endpoint", switchboard.CallFilter{EndpointID: "ep_doesNotExist", Page: full}, sel()},
		{"from, inclusive", switchboard.CallFilter{From: t0.Add(time.Second), Page: full}, sel(c2, c3, c4, c5)},
		{"to, inclusive", switchboard.CallFilter{To: t0.Add(2 * time.Second), Page: full}, sel(c1, c2, c3, c4)},
		{"from and to at one instant", switchboard.CallFilter{From: t0.Add(2 * time.Second), To: t0.Add(2 * time.Second), Page: full}, sel(c3, c4)},
		{"to a microsecond before", switchboard.CallFilter{To: t0.Add(3 * time.Second), Page: full}, sel(c1, c2, c3, c4)},
		{"from a microsecond after", switchboard.CallFilter{From: t0.Add(time.Microsecond), Page: full}, sel(c2, c3, c4, c5)},
		{"from between microseconds", switchboard.CallFilter{From: t0.Add(3*time.Second + 500), Page: full}, sel(c5)},
		{"from just after a call", switchboard.CallFilter{From: t0.Add(3*time.Second + 1500), Page: full}, sel()},
		{"to just before a call", switchboard.CallFilter{To: t0.Add(3*time.Second + 500), Page: full}, sel(c1, c2, c3, c4)},
		{"to just after a call", switchboard.CallFilter{To: t0.Add(3*time.Second + 1500), Page: full}, sel(all...)},
		{"empty range", switchboard.CallFilter{From: t0.Add(time.Hour), Page: full}, sel()},
		{"every filter", switchboard.CallFilter{Status: switchboard.CallCompleted, Direction: out, PhoneNumberID: pn1,
			EndpointID: epB, From: t0.Add(time.Second), To: t0.Add(5 * time.Second), Page: full}, sel(c3)},
		{"filters that exclude each other", switchboard.CallFilter{Status: switchboard.CallCompleted, EndpointID: epA,
			From: t0.Add(time.Second), Page: full}, sel()},
		{"live", switchboard.CallFilter{Live: true, Page: full}, sel(c4)},
		{"live and a number", switchboard.CallFilter{Live: true, PhoneNumberID: pn2, Page: full}, sel()},
	} {
		got, total := f.listCalls(orgID, tc.filter)
		equalIDs(t, "ListCalls "+tc.name, got, tc.want)
		if total != len(tc.want) {
			t.Errorf("ListCalls %s: total %d, want %d", tc.name, total, len(tc.want))
		}
	}

	order := sel(all...)
	for _, tc := range []struct {
		page       switchboard.Page
		filter     switchboard.CallFilter
		want       []string
		wantTotal  int
		name, desc string
	}{
		{page: switchboard.Page{}, want: order, wantTotal: 5, name: "default page"},
		{page: switchboard.Page{Limit: 2}, want: order[:2], wantTotal: 5, name: "first page"},
		{page: switchboard.Page{Limit: 2, Offset: 2}, want: order[2:4], wantTotal: 5, name: "second page"},
		{page: switchboard.Page{Limit: 2, Offset: 4}, want: order[4:], wantTotal: 5, name: "last page"},
		{page: switchboard.Page{Limit: 2, Offset: 10}, want: nil, wantTotal: 5, name: "past the end"},
		{page: switchboard.Page{Limit: 1, Offset: 1}, filter: switchboard.CallFilter{PhoneNumberID: pn1},
			want: sel(c1, c3, c4)[1:2], wantTotal: 3, name: "filtered page"},
	} {
		tc.filter.Page = tc.page
		got, total := f.listCalls(orgID, tc.filter)
		equalIDs(t, "ListCalls "+tc.name, got, tc.want)
		if total != tc.wantTotal {
			t.Errorf("ListCalls %s: total %d, want %d", tc.name, total, tc.wantTotal)
		}
	}
	for _, tc := range []struct {
		since time.Time
		want  map[string]int
	}{
		{t0, map[string]int{switchboard.CallCompleted: 2, switchboard.CallFailed: 1, switchboard.CallInProgress: 1, switchboard.CallNoAnswer: 1}},
		{t0.Add(2 * time.Second), map[string]int{switchboard.CallCompleted: 1, switchboard.CallInProgress: 1, switchboard.CallNoAnswer: 1}},
		{t0.Add(time.Hour), map[string]int{}},
	} {
		st, err := f.s.CallStats(f.ctx, orgID, switchboard.CallStatsFilter{From: tc.since})
		must(t, "CallStats", err)
		got := maps.Clone(st.ByStatus)
		maps.DeleteFunc(got, func(_ string, n int) bool { return n == 0 })
		if !maps.Equal(got, tc.want) {
			t.Errorf("CallStats(since %v) by status = %v, want %v", tc.since.Sub(t0), got, tc.want)
		}
	}
	list, _, err := f.s.ListCalls(f.ctx, orgID, switchboard.CallFilter{PhoneNumberID: pn2})
	must(t, "ListCalls", err)
	if len(list) == 1 {
		equalCall(t, "listed call", list[0], c2)
	}
}

// testEndOrphanCalls checks that a node's restart ends its calls that are
// not final, and only those.
func testEndOrphanCalls(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	wh := f.webhook(orgID, "crm")
	sub := f.follow(orgID, f.subscribe(orgID, "calls", []string{"call.*"}, true))
	seen := map[string]bool{}

	mk := func(node, status string, answered bool) *switchboard.Call {
		c := f.newCall(orgID, node)
		c.EndpointID = ptr(wh.ID)
		c.Status = status
		if answered {
			c.AnsweredAt = ptr(c.CreatedAt.Add(2 * time.Second))
		}
		if switchboard.CallEnded(status) {
			c.CompletedAt = ptr(c.CreatedAt.Add(10 * time.Second))
		}
		return c
	}
	initiated := mk("node-a", switchboard.CallInitiated, false)
	ringing := mk("node-a", switchboard.CallRinging, false)
	talking := mk("node-a", switchboard.CallInProgress, true)
	done := mk("node-a", switchboard.CallCompleted, true)
	failed := mk("node-a", switchboard.CallFailed, false)
	elsewhere := mk("node-b", switchboard.CallInProgress, true)
	lost := mk("node-a", switchboard.CallRinging, false)
	lost.OrganizationID = ""
	var batch []switchboard.CallUpdate
	for _, c := range []*switchboard.Call{initiated, ringing, talking, done, failed, elsewhere, lost} {
		batch = append(batch, callUpdate(c, callEvent(c, "call.note")))
	}
	f.saveCalls(batch...)
	sub.expect("before the restart")

	f.clock.Advance(90*time.Second + 700*time.Millisecond)
	now := f.clock.Now()
	n, err := f.s.EndOrphanCalls(f.ctx, "node-a", now)
	if err != nil || n != 4 {
		t.Fatalf("EndOrphanCalls = %d, %v; want 4 (initiated, ringing, in progress, and the call of no organisation)", n, err)
	}
	fail := func(c *switchboard.Call) *switchboard.Call {
		c = copyCall(c)
		c.Status, c.FailureReason, c.CompletedAt, c.UpdatedAt = switchboard.CallFailed, "node_restarted", ptr(now), now
		return c
	}
	wantInitiated, wantRinging := fail(initiated), fail(ringing)
	wantTalking := copyCall(talking)
	wantTalking.Status, wantTalking.HangupCause, wantTalking.HangupBy = switchboard.CallCompleted, switchboard.HangupShutdown, switchboard.HangupBySystem
	wantTalking.CompletedAt, wantTalking.UpdatedAt, wantTalking.Duration = ptr(now), now, 88 // answered 2 s after the start
	for _, tc := range []struct {
		name      string
		got, want *switchboard.Call
	}{
		{"initiated call", f.findCall(orgID, initiated.ID), wantInitiated},
		{"ringing call", f.findCall(orgID, ringing.ID), wantRinging},
		{"answered call", f.findCall(orgID, talking.ID), wantTalking},
		{"completed call", f.findCall(orgID, done.ID), done},
		{"failed call", f.findCall(orgID, failed.ID), failed},
		{"another node's call", f.findCall(orgID, elsewhere.ID), elsewhere},
	} {
		equalCall(t, tc.name, tc.got, tc.want)
	}
	sub.expect("after the restart",
		wantEvent{switchboard.EventCallFailed, wantInitiated.EventData()},
		wantEvent{switchboard.EventCallFailed, wantRinging.EventData()},
		wantEvent{switchboard.EventCallCompleted, wantTalking.EventData()})
	if got, want := f.endpointEvents(orgID, wh, seen), eventStrings(t,
		wantEvent{switchboard.EventCallFailed, wantInitiated.EventData()},
		wantEvent{switchboard.EventCallFailed, wantRinging.EventData()},
		wantEvent{switchboard.EventCallCompleted, wantTalking.EventData()}); !slices.Equal(got, want) {
		t.Errorf("endpoint's events after the restart:\n got %v\nwant %v", got, want)
	}
	for _, tc := range []struct {
		c         *switchboard.Call
		typ, stat string
	}{
		{initiated, switchboard.EventCallFailed, switchboard.CallFailed},
		{ringing, switchboard.EventCallFailed, switchboard.CallFailed},
		{talking, switchboard.EventCallCompleted, switchboard.CallCompleted},
	} {
		tl := f.callEvents(orgID, tc.c.ID)
		if len(tl) != 2 {
			t.Errorf("timeline of the %s call has %d entries, want 2", tc.c.Status, len(tl))
			continue
		}
		if e := tl[1]; e.Type != tc.typ || e.Status != tc.stat || !e.Timestamp.Equal(now) || !switchboard.ValidID(switchboard.PrefixCallEvent, e.ID) {
			t.Errorf("last entry of the %s call: %+v, want %s %s at %v", tc.c.Status, e, tc.typ, tc.stat, now)
		}
	}
	for _, c := range []*switchboard.Call{done, failed, elsewhere} {
		if tl := f.callEvents(orgID, c.ID); len(tl) != 1 {
			t.Errorf("timeline of the %s call on %s has %d entries, want 1 (untouched)", c.Status, c.Node, len(tl))
		}
	}

	if ids, total := f.listCalls(orgID, switchboard.CallFilter{Status: switchboard.CallRinging}); total != 0 {
		t.Errorf("ringing calls after the restart: %v", ids)
	}
	// The call of no organisation was ended too (counted above, silently),
	// so a second restart finds nothing.
	if n, err := f.s.EndOrphanCalls(f.ctx, "node-a", now); err != nil || n != 0 {
		t.Errorf("second EndOrphanCalls = %d, %v; want 0", n, err)
	}
	if n, err := f.s.EndOrphanCalls(f.ctx, "node-c", now); err != nil || n != 0 {
		t.Errorf("EndOrphanCalls of a node without calls = %d, %v; want 0", n, err)
	}
	sub.expect("after the second restart")
}
