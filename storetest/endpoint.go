package storetest

import (
	"errors"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

func testEndpointCreateFind(f *fixture) {
	t := f.t
	orgID := f.org("acme")

	ag := f.agent(orgID, "Support")
	if !switchboard.ValidID(switchboard.PrefixEndpoint, ag.ID) || ag.OrganizationID != orgID {
		t.Errorf("CreateEndpoint set ID %q, organisation %q; want an ep_ ID of %s", ag.ID, ag.OrganizationID, orgID)
	}
	checkTime(t, "CreatedAt", ag.CreatedAt, f.clock.Now())
	checkTime(t, "UpdatedAt", ag.UpdatedAt, f.clock.Now())
	got := f.findEndpoint(orgID, ag.ID)
	equalEndpoint(t, "found agent", got, ag)
	if got.Credentials == nil || got.Credentials.Password != "pw-Support" || got.ProviderConfig == nil ||
		got.ProviderConfig.AgentID != "agent-Support" || got.Headers["X-Team"] != "sales" || got.RingTimeout != 20 {
		t.Errorf("found agent lost fields: %s", fmtEndpoint(got))
	}

	f.clock.Advance(time.Second)
	wh := f.webhook(orgID, "crm")
	got = f.findEndpoint(orgID, wh.ID)
	equalEndpoint(t, "found webhook", got, wh)
	if !strings.HasPrefix(got.Secret, "whsec_") || got.ProviderConfig != nil || got.Credentials != nil || got.Headers != nil {
		t.Errorf("found webhook = %s; want its secret and no provider config, credentials or headers", fmtEndpoint(got))
	}
	if ag.ID == wh.ID {
		t.Errorf("two endpoints share ID %s", ag.ID)
	}
}

func testEndpointUpdate(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	ep := f.agent(orgID, "Support")
	f.clock.Advance(time.Minute)

	calls := 0
	got, err := f.s.UpdateEndpoint(f.ctx, orgID, ep.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
		calls++
		equalEndpoint(t, "endpoint passed to fn", cur, ep)
		return cur.Apply(switchboard.EndpointPatch{
			Name:           switchboard.Optional[string]{Set: true, Value: "Support v2"},
			Status:         switchboard.Optional[string]{Set: true, Value: switchboard.StatusInactive},
			ProviderConfig: switchboard.Optional[map[string]any]{Set: true, Value: map[string]any{"agent_id": "agent-new"}},
			Headers:        switchboard.Optional[map[string]string]{Set: true, Value: map[string]string{"X-Region": "eu"}},
			RingTimeout:    switchboard.Optional[int]{Set: true, Value: 45},
			Credentials:    switchboard.Optional[switchboard.CredentialsInput]{Set: true, Value: switchboard.CredentialsInput{Username: "u2", Password: "p2"}},
		})
	})
	must(t, "UpdateEndpoint", err)
	if calls != 1 {
		t.Errorf("fn called %d times, want 1", calls)
	}
	want := *ep
	want.Name, want.Status, want.RingTimeout = "Support v2", switchboard.StatusInactive, 45
	want.ProviderConfig = &switchboard.ProviderConfig{Provider: switchboard.ProviderElevenLabs, AgentID: "agent-new"}
	want.Headers = map[string]string{"X-Region": "eu"}
	want.Credentials = &switchboard.SIPCredentials{Username: "u2", Password: "p2"}
	want.UpdatedAt = f.clock.Now()
	equalEndpoint(t, "updated", got, &want)
	equalEndpoint(t, "found after update", f.findEndpoint(orgID, ep.ID), &want)

	// null clears headers and credentials, and the clears persist.
	f.clock.Advance(time.Minute)
	_, err = f.s.UpdateEndpoint(f.ctx, orgID, ep.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
		return cur.Apply(switchboard.EndpointPatch{
			Headers:     switchboard.Optional[map[string]string]{Set: true, Null: true},
			Credentials: switchboard.Optional[switchboard.CredentialsInput]{Set: true, Null: true},
		})
	})
	must(t, "UpdateEndpoint clearing", err)
	want.Headers, want.Credentials, want.UpdatedAt = nil, nil, f.clock.Now()
	equalEndpoint(t, "found after clearing", f.findEndpoint(orgID, ep.ID), &want)

	// An error from fn is returned as is and changes nothing.
	f.clock.Advance(time.Minute)
	_, err = f.s.UpdateEndpoint(f.ctx, orgID, ep.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
		return cur.Apply(switchboard.EndpointPatch{RingTimeout: switchboard.Optional[int]{Set: true, Value: 10000}})
	})
	wantCode(t, "UpdateEndpoint with invalid patch", err, switchboard.ECodeValidation)
	sentinel := errors.New("sentinel")
	_, err = f.s.UpdateEndpoint(f.ctx, orgID, ep.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
		cur.Name = "should not be stored"
		return cur, sentinel
	})
	if !errors.Is(err, sentinel) {
		t.Errorf("UpdateEndpoint returned %v, want fn's error", err)
	}
	equalEndpoint(t, "found after failed updates", f.findEndpoint(orgID, ep.ID), &want)

	// The store owns identity and creation time, whatever fn returns.
	f.clock.Advance(time.Minute)
	got, err = f.s.UpdateEndpoint(f.ctx, orgID, ep.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
		n := *cur
		n.ID, n.OrganizationID, n.CreatedAt = "ep_other", "org_other", time.Unix(0, 0)
		n.Name = "Renamed"
		return &n, nil
	})
	must(t, "UpdateEndpoint tampering", err)
	want.Name, want.UpdatedAt = "Renamed", f.clock.Now()
	equalEndpoint(t, "updated with tampered identity", got, &want)
	equalEndpoint(t, "found after tampered update", f.findEndpoint(orgID, ep.ID), &want)

	// A webhook keeps its secret across updates.
	wh := f.webhook(orgID, "crm")
	got, err = f.s.UpdateEndpoint(f.ctx, orgID, wh.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
		return cur.Apply(switchboard.EndpointPatch{URL: switchboard.Optional[string]{Set: true, Value: "https://example.org/new"}})
	})
	must(t, "UpdateEndpoint webhook", err)
	if found := f.findEndpoint(orgID, wh.ID); found.URL != "https://example.org/new" || found.Secret != wh.Secret || got.Secret != wh.Secret {
		t.Errorf("webhook after update = %s; want new URL and secret %s", fmtEndpoint(found), wh.Secret)
	}
}

func testEndpointDelete(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	ep := f.agent(orgID, "Support")
	keep := f.webhook(orgID, "crm")

	detached, err := f.s.DeleteEndpoint(f.ctx, orgID, ep.ID)
	if err != nil || detached != 0 {
		t.Fatalf("DeleteEndpoint = %d, %v; want 0 detached", detached, err)
	}
	_, err = f.s.FindEndpoint(f.ctx, orgID, ep.ID)
	wantCode(t, "FindEndpoint after delete", err, switchboard.ECodeEndpointNotFound)
	_, err = f.s.DeleteEndpoint(f.ctx, orgID, ep.ID)
	wantCode(t, "DeleteEndpoint twice", err, switchboard.ECodeEndpointNotFound)
	_, err = f.s.UpdateEndpoint(f.ctx, orgID, ep.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
		t.Error("fn called for a deleted endpoint")
		return cur, nil
	})
	wantCode(t, "UpdateEndpoint after delete", err, switchboard.ECodeEndpointNotFound)

	list, total, err := f.s.ListEndpoints(f.ctx, orgID, switchboard.EndpointFilter{})
	must(t, "ListEndpoints", err)
	equalIDs(t, "endpoints after delete", ids(list, endpointID), []string{keep.ID})
	if total != 1 {
		t.Errorf("total = %d, want 1", total)
	}
}

func testEndpointBadIDs(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	f.agent(orgID, "Support")
	for _, id := range []string{
		"pn_x", "garbage", "", "ep_", "ep_doesNotExist123", "ep_x' OR '1'='1", "ep_" + strings.Repeat("a", 200), "EP_abc",
	} {
		_, err := f.s.FindEndpoint(f.ctx, orgID, id)
		wantCode(t, "FindEndpoint("+id+")", err, switchboard.ECodeEndpointNotFound)
		_, err = f.s.UpdateEndpoint(f.ctx, orgID, id, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
			t.Errorf("fn called for %q", id)
			return cur, nil
		})
		wantCode(t, "UpdateEndpoint("+id+")", err, switchboard.ECodeEndpointNotFound)
		_, err = f.s.DeleteEndpoint(f.ctx, orgID, id)
		wantCode(t, "DeleteEndpoint("+id+")", err, switchboard.ECodeEndpointNotFound)
	}
	if _, total, err := f.s.ListEndpoints(f.ctx, orgID, switchboard.EndpointFilter{}); err != nil || total != 1 {
		t.Errorf("ListEndpoints after bad deletes = %d, %v; want 1", total, err)
	}
}

func testEndpointList(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	inactive := func(name, typ string) *switchboard.Endpoint {
		in := switchboard.EndpointInput{Name: name, Type: typ, Status: switchboard.StatusInactive}
		if typ == switchboard.EndpointAgent {
			in.ProviderConfig = map[string]any{"provider": switchboard.ProviderRetell, "agent_id": "r1"}
		} else {
			in.URL = "https://example.com/" + name
		}
		return f.endpoint(orgID, in)
	}
	var all []*switchboard.Endpoint
	add := func(e *switchboard.Endpoint) { all = append(all, e) }
	add(f.agent(orgID, "a1"))
	f.clock.Advance(time.Second)
	add(f.webhook(orgID, "w1"))
	f.clock.Advance(time.Second)
	add(inactive("a2", switchboard.EndpointAgent))
	f.clock.Advance(time.Second)
	add(inactive("w2", switchboard.EndpointWebhook))
	f.clock.Advance(time.Second)
	// Three at the same instant: their order is by ID, descending.
	add(f.agent(orgID, "a3"))
	add(f.agent(orgID, "a4"))
	add(f.webhook(orgID, "w3"))

	created := func(e *switchboard.Endpoint) time.Time { return e.CreatedAt }
	order := newestFirst(all, created, endpointID)
	pick := func(keep func(*switchboard.Endpoint) bool) []string {
		var out []*switchboard.Endpoint
		for _, e := range all {
			if keep(e) {
				out = append(out, e)
			}
		}
		return newestFirst(out, created, endpointID)
	}
	list := func(filter switchboard.EndpointFilter) ([]*switchboard.Endpoint, int) {
		t.Helper()
		l, total, err := f.s.ListEndpoints(f.ctx, orgID, filter)
		must(t, "ListEndpoints", err)
		return l, total
	}

	got, total := list(switchboard.EndpointFilter{})
	equalIDs(t, "all endpoints (default limit)", ids(got, endpointID), order)
	if total != len(all) {
		t.Errorf("total = %d, want %d", total, len(all))
	}
	for _, e := range got {
		for _, w := range all {
			if w.ID == e.ID {
				equalEndpoint(t, "listed "+w.Name, e, w)
			}
		}
	}

	for _, tc := range []struct {
		filter switchboard.EndpointFilter
		keep   func(*switchboard.Endpoint) bool
	}{
		{switchboard.EndpointFilter{Type: switchboard.EndpointAgent},
			func(e *switchboard.Endpoint) bool { return e.Type == switchboard.EndpointAgent }},
		{switchboard.EndpointFilter{Type: switchboard.EndpointWebhook},
			func(e *switchboard.Endpoint) bool { return e.Type == switchboard.EndpointWebhook }},
		{switchboard.EndpointFilter{Status: switchboard.StatusInactive},
			func(e *switchboard.Endpoint) bool { return e.Status == switchboard.StatusInactive }},
		{switchboard.EndpointFilter{Type: switchboard.EndpointWebhook, Status: switchboard.StatusActive},
			func(e *switchboard.Endpoint) bool {
				return e.Type == switchboard.EndpointWebhook && e.Status == switchboard.StatusActive
			}},
	} {
		got, total := list(tc.filter)
		want := pick(tc.keep)
		equalIDs(t, "filtered by "+tc.filter.Type+"/"+tc.filter.Status, ids(got, endpointID), want)
		if total != len(want) {
			t.Errorf("filter %+v: total = %d, want %d", tc.filter, total, len(want))
		}
	}

	var paged []string
	for offset := 0; offset < len(all); offset += 3 {
		got, total := list(switchboard.EndpointFilter{Page: switchboard.Page{Limit: 3, Offset: offset}})
		if len(got) > 3 || total != len(all) {
			t.Errorf("page at %d: %d rows, total %d; want ≤3 rows, total %d", offset, len(got), total, len(all))
		}
		paged = append(paged, ids(got, endpointID)...)
	}
	equalIDs(t, "pages of 3 put together", paged, order)
	got, total = list(switchboard.EndpointFilter{Page: switchboard.Page{Limit: 2, Offset: 100}})
	if len(got) != 0 || total != len(all) {
		t.Errorf("page past the end: %d rows, total %d; want 0 rows, total %d", len(got), total, len(all))
	}
	got, total = list(switchboard.EndpointFilter{Type: switchboard.EndpointAgent, Page: switchboard.Page{Limit: 1, Offset: 1}})
	equalIDs(t, "second agent", ids(got, endpointID), pick(func(e *switchboard.Endpoint) bool { return e.Type == switchboard.EndpointAgent })[1:2])
	if total != 4 {
		t.Errorf("agents total = %d, want 4", total)
	}
}

func testEndpointIsolation(f *fixture) {
	t := f.t
	orgA, orgB := f.org("acme"), f.org("globex")
	ep := f.agent(orgA, "Support")
	f.agent(orgB, "Theirs")

	_, err := f.s.FindEndpoint(f.ctx, orgB, ep.ID)
	wantCode(t, "FindEndpoint from another org", err, switchboard.ECodeEndpointNotFound)
	_, err = f.s.UpdateEndpoint(f.ctx, orgB, ep.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
		t.Error("fn called with another organisation's endpoint")
		cur.Name = "hijacked"
		return cur, nil
	})
	wantCode(t, "UpdateEndpoint from another org", err, switchboard.ECodeEndpointNotFound)
	_, err = f.s.DeleteEndpoint(f.ctx, orgB, ep.ID)
	wantCode(t, "DeleteEndpoint from another org", err, switchboard.ECodeEndpointNotFound)

	listB, totalB, err := f.s.ListEndpoints(f.ctx, orgB, switchboard.EndpointFilter{})
	must(t, "ListEndpoints B", err)
	if totalB != 1 || len(listB) != 1 || listB[0].ID == ep.ID || listB[0].OrganizationID != orgB {
		t.Errorf("B's list = %v (total %d); want only B's endpoint", ids(listB, endpointID), totalB)
	}
	equalEndpoint(t, "A's endpoint after B's attempts", f.findEndpoint(orgA, ep.ID), ep)
	listA, totalA, err := f.s.ListEndpoints(f.ctx, orgA, switchboard.EndpointFilter{})
	must(t, "ListEndpoints A", err)
	equalIDs(t, "A's list", ids(listA, endpointID), []string{ep.ID})
	if totalA != 1 {
		t.Errorf("A's total = %d, want 1", totalA)
	}
}
