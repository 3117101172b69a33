package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// eventIDs returns the IDs of events, in order.
func eventIDs(evs []*switchboard.Event) []string {
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return ids
}

// testEventLog checks ListEvents and FindEvent: every event is in the log,
// call events without any receiver included, newest first, filtered by
// type (exact, group wildcard, *) and since, paged; and one organisation
// never sees another's.
func testEventLog(f *fixture) {
	t := f.t
	orgA, orgB := f.org("acme"), f.org("globex")

	ag := f.agent(orgA, "Support") // endpoint.created at t0
	f.clock.Advance(time.Second)
	t1 := f.clock.Now()
	c := f.newCall(orgA, "node-1")
	f.saveCalls(callUpdate(c, callEvent(c, switchboard.EventCallInitiated))) // no subscription: stored all the same
	f.clock.Advance(time.Second)
	f.setStatus(c, switchboard.CallFailed)
	f.saveCalls(callUpdate(c, callEvent(c, switchboard.EventCallFailed)))
	f.clock.Advance(time.Second)
	wh := f.webhook(orgA, "crm")
	f.agent(orgB, "Theirs")

	all, total, err := f.s.ListEvents(f.ctx, orgA, switchboard.EventFilter{})
	must(t, "ListEvents", err)
	gotTypes := make([]string, len(all))
	for i, e := range all {
		gotTypes[i] = e.Type
	}
	wantTypes := []string{switchboard.EventEndpointCreated, switchboard.EventCallFailed, switchboard.EventCallInitiated, switchboard.EventEndpointCreated}
	if total != 4 || !slices.Equal(gotTypes, wantTypes) {
		t.Fatalf("ListEvents = %v (total %d), want %v newest first", gotTypes, total, wantTypes)
	}
	var data map[string]any
	if err := json.Unmarshal(all[0].Data, &data); err != nil || data["id"] != wh.ID {
		t.Errorf("newest event's data = %s (%v), want endpoint %s", all[0].Data, err, wh.ID)
	}
	if err := json.Unmarshal(all[1].Data, &data); err != nil || data["call_id"] != c.ID {
		t.Errorf("call.failed's data = %s (%v), want call %s", all[1].Data, err, c.ID)
	}
	if all[3].Timestamp.IsZero() || !all[2].Timestamp.Equal(t1) {
		t.Errorf("timestamps = %v, %v; want call.initiated at %v", all[3].Timestamp, all[2].Timestamp, t1)
	}

	for _, tc := range []struct {
		name  string
		f     switchboard.EventFilter
		want  []string
		total int
	}{
		{"call.*", switchboard.EventFilter{Types: []string{"call.*"}}, []string{all[1].ID, all[2].ID}, 2},
		{"exact", switchboard.EventFilter{Types: []string{switchboard.EventCallInitiated}}, []string{all[2].ID}, 1},
		{"two", switchboard.EventFilter{Types: []string{switchboard.EventCallFailed, "endpoint.*"}}, []string{all[0].ID, all[1].ID, all[3].ID}, 3},
		{"*", switchboard.EventFilter{Types: []string{"*"}}, eventIDs(all), 4},
		{"none match", switchboard.EventFilter{Types: []string{"trunk.*"}}, nil, 0},
		{"since", switchboard.EventFilter{Since: t1}, []string{all[0].ID, all[1].ID, all[2].ID}, 3},
		{"since and type", switchboard.EventFilter{Since: t1.Add(time.Microsecond), Types: []string{"call.*"}}, []string{all[1].ID}, 1},
		{"page", switchboard.EventFilter{Page: switchboard.Page{Limit: 2, Offset: 1}}, []string{all[1].ID, all[2].ID}, 4},
	} {
		got, n, err := f.s.ListEvents(f.ctx, orgA, tc.f)
		must(t, "ListEvents "+tc.name, err)
		if !slices.Equal(eventIDs(got), tc.want) || n != tc.total {
			t.Errorf("ListEvents %s = %v (total %d), want %v (total %d)", tc.name, eventIDs(got), n, tc.want, tc.total)
		}
	}

	got, err := f.s.FindEvent(f.ctx, orgA, all[1].ID)
	must(t, "FindEvent", err)
	if got.ID != all[1].ID || got.Type != switchboard.EventCallFailed || string(got.Data) != string(all[1].Data) || !got.Timestamp.Equal(all[1].Timestamp) {
		t.Errorf("FindEvent = %+v, want %+v", got, all[1])
	}

	// Isolation: globex sees its own event only, and none of acme's.
	theirs, n, err := f.s.ListEvents(f.ctx, orgB, switchboard.EventFilter{})
	must(t, "ListEvents of globex", err)
	if n != 1 || len(theirs) != 1 || theirs[0].Type != switchboard.EventEndpointCreated {
		t.Errorf("globex's events = %v (total %d), want its one endpoint.created", eventIDs(theirs), n)
	}
	for _, id := range []string{all[0].ID, "evt_missing", "end_" + ag.ID, ""} {
		_, err := f.s.FindEvent(f.ctx, orgB, id)
		wantCode(t, "FindEvent "+id+" as globex", err, switchboard.ECodeEventNotFound)
	}
}

// testEventPositions checks EventsAfter and LastEvent, what a stream
// resumes with: positions grow in the order events were written, the
// events after one are exactly those written later, filtered, oldest
// first, and an organisation reads only its own.
func testEventPositions(f *fixture) {
	t := f.t
	orgA, orgB := f.org("acme"), f.org("globex")
	none, err := f.s.LastEvent(f.ctx, orgA)
	if err != nil || none != nil {
		t.Fatalf("LastEvent of an empty log = %+v, %v; want nil", none, err)
	}
	f.agent(orgB, "theirs first")
	if none, err := f.s.LastEvent(f.ctx, orgA); err != nil || none != nil {
		t.Fatalf("LastEvent of an empty log beside another's = %+v, %v; want nil", none, err)
	}

	ag := f.agent(orgA, "one")
	f.agent(orgB, "theirs")
	c := f.newCall(orgA, "node-1")
	f.saveCalls(callUpdate(c, callEvent(c, switchboard.EventCallInitiated)))
	f.webhook(orgA, "two")
	_, err = f.s.DeleteEndpoint(f.ctx, orgA, ag.ID)
	must(t, "DeleteEndpoint", err)

	evs, next, err := f.s.EventsAfter(f.ctx, orgA, 0, 100)
	must(t, "EventsAfter 0", err)
	var types []string
	for i, e := range evs {
		types = append(types, e.Type)
		if e.Seq <= 0 || (i > 0 && e.Seq <= evs[i-1].Seq) {
			t.Errorf("event %d %s at position %d: positions must grow", i, e.Type, e.Seq)
		}
	}
	want := []string{switchboard.EventEndpointCreated, switchboard.EventCallInitiated, switchboard.EventEndpointCreated, switchboard.EventEndpointDeleted}
	if !slices.Equal(types, want) {
		t.Fatalf("EventsAfter 0 = %v, want %v (oldest first, acme's only)", types, want)
	}
	head, err := f.s.LastEvent(f.ctx, orgA)
	must(t, "LastEvent", err)
	if head == nil || head.ID != evs[3].ID || head.Seq != evs[3].Seq {
		t.Fatalf("LastEvent = %+v, want the newest, %s at %d", head, evs[3].ID, evs[3].Seq)
	}
	if next < head.Seq {
		t.Errorf("EventsAfter 0 goes on from %d, before its last event's position %d", next, head.Seq)
	}
	if more, _, err := f.s.EventsAfter(f.ctx, orgA, head.Seq, 100); err != nil || len(more) != 0 {
		t.Errorf("EventsAfter(LastEvent) = %v, %v; want none", eventIDs(more), err)
	}
	for _, tc := range []struct {
		name     string
		after    int64
		limit    int
		want     []string
		wantNext int64 // when set: the position to go on from
	}{
		{"after the first", evs[0].Seq, 100, eventIDs(evs[1:]), 0},
		{"limited", evs[0].Seq, 2, eventIDs(evs[1:3]), evs[2].Seq},
		{"from the start", 0, 4, eventIDs(evs), evs[3].Seq},
	} {
		got, next, err := f.s.EventsAfter(f.ctx, orgA, tc.after, tc.limit)
		must(t, "EventsAfter "+tc.name, err)
		if !slices.Equal(eventIDs(got), tc.want) || (tc.wantNext != 0 && next != tc.wantNext) || next < got[len(got)-1].Seq {
			t.Errorf("EventsAfter %s = %v going on from %d, want %v going on from %d", tc.name, eventIDs(got), next, tc.want, tc.wantNext)
		}
	}
	// Reading on from where a read stopped gives what was written since,
	// the organisation's only, even when others wrote meanwhile.
	_, next, err = f.s.EventsAfter(f.ctx, orgA, head.Seq, 100)
	must(t, "EventsAfter the newest", err)
	f.agent(orgB, "theirs again")
	f.agent(orgA, "three")
	f.agent(orgB, "theirs last")
	got, _, err := f.s.EventsAfter(f.ctx, orgA, next, 100)
	must(t, "EventsAfter the newest, later", err)
	if len(got) != 1 || got[0].Type != switchboard.EventEndpointCreated || got[0].OrganizationID != orgA {
		t.Errorf("EventsAfter where the last read stopped = %v, want acme's one new event", eventIDs(got))
	}
	// The position FindEvent gives is the one EventsAfter resumes from.
	found, err := f.s.FindEvent(f.ctx, orgA, evs[1].ID)
	must(t, "FindEvent", err)
	if found.Seq != evs[1].Seq {
		t.Errorf("FindEvent's position = %d, EventsAfter's %d", found.Seq, evs[1].Seq)
	}
}

// testEventFeed checks SubscribeEvents: after its first call (""), each
// committed write of events calls it with the organisation's ID.
func testEventFeed(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	got := make(chan string, 100)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- f.s.SubscribeEvents(ctx, func(org string) {
			select { // other tests' organisations share a PostgreSQL feed
			case got <- org:
			case <-ctx.Done():
			}
		})
	}()
	wait := func(what string, want string) {
		t.Helper()
		deadline := time.After(changeWait)
		for {
			select {
			case org := <-got:
				if org == want {
					return
				}
			case <-deadline:
				t.Fatalf("%s: SubscribeEvents did not call back with %q within %v", what, want, changeWait)
			}
		}
	}
	wait("subscribed", "")
	f.agent(orgID, "one")
	wait("endpoint created", orgID)
	c := f.newCall(orgID, "node-1")
	f.saveCalls(callUpdate(c, callEvent(c, switchboard.EventCallInitiated)))
	wait("call saved", orgID)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("SubscribeEvents after its context ended = %v, want nil", err)
		}
	case <-time.After(changeWait):
		t.Errorf("SubscribeEvents did not return within %v of its context ending", changeWait)
	}
}
