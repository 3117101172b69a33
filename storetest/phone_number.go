package storetest

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

func summary(e *switchboard.Endpoint) *switchboard.EndpointSummary {
	return &switchboard.EndpointSummary{ID: e.ID, Name: e.Name, Type: e.Type, Provider: e.Provider(), Status: e.Status}
}

func testInventory(f *fixture) {
	t := f.t
	var first []*switchboard.InventoryNumber
	for _, spec := range [][2]string{{numUS1, ""}, {numUS2, switchboard.NumberTollFree}, {numNG1, switchboard.NumberMobile}} {
		n, err := switchboard.NewInventoryNumber(spec[0], "", spec[1])
		must(t, "NewInventoryNumber", err)
		first = append(first, n)
	}
	added, err := f.s.AddInventory(f.ctx, first)
	if err != nil || added != 3 {
		t.Fatalf("AddInventory = %d, %v; want 3", added, err)
	}
	firstAt := f.clock.Now()

	f.clock.Advance(time.Second)
	var second []*switchboard.InventoryNumber
	for _, raw := range []string{numUS1, numGB1, numGB1} { // one already there, one twice
		n, err := switchboard.NewInventoryNumber(raw, "", "")
		must(t, "NewInventoryNumber", err)
		second = append(second, n)
	}
	added, err = f.s.AddInventory(f.ctx, second)
	if err != nil || added != 1 {
		t.Fatalf("AddInventory with duplicates = %d, %v; want 1", added, err)
	}

	all, total, err := f.s.ListAvailable(f.ctx, switchboard.AvailableFilter{})
	must(t, "ListAvailable", err)
	if total != 4 || len(all) != 4 {
		t.Fatalf("ListAvailable: %d rows, total %d; want 4", len(all), total)
	}
	want := map[string][2]string{
		numUS1: {"US", switchboard.NumberLocal}, numUS2: {"US", switchboard.NumberTollFree},
		numNG1: {"NG", switchboard.NumberMobile}, numGB1: {"GB", switchboard.NumberLocal},
	}
	for _, n := range all {
		w, ok := want[n.Number]
		if !ok || n.Country != w[0] || n.Type != w[1] || !switchboard.ValidID(switchboard.PrefixInventory, n.ID) {
			t.Errorf("available %+v, want country %s type %s and an inv_ ID", n, w[0], w[1])
		}
		wantAt := firstAt
		if n.Number == numGB1 {
			wantAt = f.clock.Now()
		}
		checkTime(t, n.Number+" CreatedAt", n.CreatedAt, wantAt)
		delete(want, n.Number)
	}
	if len(want) != 0 {
		t.Errorf("missing from ListAvailable: %v", want)
	}
	order := newestFirst(all, func(n *switchboard.InventoryNumber) time.Time { return n.CreatedAt }, inventoryID)
	equalIDs(t, "available order", ids(all, inventoryID), order)
	if all[0].Number != numGB1 {
		t.Errorf("newest available is %s, want %s", all[0].Number, numGB1)
	}

	numbers := func(filter switchboard.AvailableFilter) ([]string, int) {
		t.Helper()
		list, total, err := f.s.ListAvailable(f.ctx, filter)
		must(t, "ListAvailable", err)
		var out []string
		for _, n := range list {
			out = append(out, n.Number)
		}
		slices.Sort(out)
		return out, total
	}
	for _, tc := range []struct {
		filter switchboard.AvailableFilter
		want   []string
	}{
		{switchboard.AvailableFilter{Country: "US"}, []string{numUS1, numUS2}},
		{switchboard.AvailableFilter{Country: "NG"}, []string{numNG1}},
		{switchboard.AvailableFilter{Country: "FR"}, nil},
		{switchboard.AvailableFilter{Type: switchboard.NumberLocal}, []string{numUS1, numGB1}},
		{switchboard.AvailableFilter{Country: "US", Type: switchboard.NumberTollFree}, []string{numUS2}},
	} {
		got, total := numbers(tc.filter)
		want := slices.Sorted(slices.Values(tc.want))
		if !slices.Equal(got, want) || total != len(want) {
			t.Errorf("ListAvailable(%+v) = %v (total %d), want %v", tc.filter, got, total, want)
		}
	}

	var paged []string
	for offset := 0; offset < 4; offset += 3 {
		list, total, err := f.s.ListAvailable(f.ctx, switchboard.AvailableFilter{Page: switchboard.Page{Limit: 3, Offset: offset}})
		must(t, "ListAvailable page", err)
		if total != 4 {
			t.Errorf("page at %d: total %d, want 4", offset, total)
		}
		paged = append(paged, ids(list, inventoryID)...)
	}
	equalIDs(t, "available pages of 3 put together", paged, order)
	if list, total, err := f.s.ListAvailable(f.ctx, switchboard.AvailableFilter{Page: switchboard.Page{Limit: 3, Offset: 10}}); err != nil || len(list) != 0 || total != 4 {
		t.Errorf("page past the end: %d rows, total %d, %v; want 0 rows, total 4", len(list), total, err)
	}
}

func testClaim(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	ag := f.agent(orgID, "Support")
	wh := f.webhook(orgID, "crm")
	inv := f.stock(numUS1, numUS2, numNG1+"/"+switchboard.NumberMobile, numGB1)
	f.clock.Advance(time.Second)

	pn := f.claim(orgID, switchboard.ClaimRequest{InventoryID: inv[numUS1].ID, EndpointID: ptr(ag.ID), AllowInbound: true})
	if !switchboard.ValidID(switchboard.PrefixNumber, pn.ID) {
		t.Errorf("claimed number has ID %q, want a pn_ ID", pn.ID)
	}
	want := &switchboard.PhoneNumber{
		ID: pn.ID, OrganizationID: orgID, InventoryID: inv[numUS1].ID, Number: numUS1, E164: numUS1,
		Country: "US", Type: switchboard.NumberLocal, Status: switchboard.StatusActive,
		EndpointID: ptr(ag.ID), AllowInbound: true, Endpoint: summary(ag),
		CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now(),
	}
	equalNumber(t, "claimed by inventory ID", pn, want)
	equalNumber(t, "found after claim", f.findNumber(orgID, pn.ID), want)
	if pn.Endpoint.Provider != switchboard.ProviderElevenLabs || pn.Endpoint.Type != switchboard.EndpointAgent {
		t.Errorf("endpoint summary = %+v, want an elevenlabs agent", pn.Endpoint)
	}

	f.clock.Advance(time.Second)
	byNumber := f.claim(orgID, switchboard.ClaimRequest{Number: numNG1, AllowOutbound: true})
	want = &switchboard.PhoneNumber{
		ID: byNumber.ID, OrganizationID: orgID, InventoryID: inv[numNG1].ID, Number: numNG1, E164: numNG1,
		Country: "NG", Type: switchboard.NumberMobile, Status: switchboard.StatusActive, AllowOutbound: true,
		CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now(),
	}
	equalNumber(t, "claimed by number", byNumber, want)
	equalNumber(t, "found after claim by number", f.findNumber(orgID, byNumber.ID), want)

	toWebhook := f.claim(orgID, switchboard.ClaimRequest{Number: numUS2, EndpointID: ptr(wh.ID)})
	if s := toWebhook.Endpoint; s == nil || *s != *summary(wh) || s.Provider != "" {
		t.Errorf("webhook summary = %+v, want %+v", s, summary(wh))
	}
	if pn.ID == byNumber.ID || byNumber.ID == toWebhook.ID {
		t.Errorf("claimed numbers share IDs: %s %s %s", pn.ID, byNumber.ID, toWebhook.ID)
	}

	avail := f.available(switchboard.AvailableFilter{})
	equalIDs(t, "available after three claims", ids(avail, inventoryID), []string{inv[numGB1].ID})
}

func testClaimErrors(f *fixture) {
	t := f.t
	orgA, orgB := f.org("acme"), f.org("globex")
	epB := f.agent(orgB, "Theirs")
	epA := f.agent(orgA, "Ours")
	inv := f.stock(numUS1, numUS2)
	held := f.claim(orgA, switchboard.ClaimRequest{InventoryID: inv[numUS1].ID})

	for _, tc := range []struct {
		name  string
		orgID string
		req   switchboard.ClaimRequest
		code  string
	}{
		{"same org again by ID", orgA, switchboard.ClaimRequest{InventoryID: inv[numUS1].ID}, switchboard.ECodeNumberNotAvail},
		{"same org again by number", orgA, switchboard.ClaimRequest{Number: numUS1}, switchboard.ECodeNumberNotAvail},
		{"other org by ID", orgB, switchboard.ClaimRequest{InventoryID: inv[numUS1].ID}, switchboard.ECodeNumberNotAvail},
		{"other org by number", orgB, switchboard.ClaimRequest{Number: numUS1, EndpointID: ptr(epB.ID)}, switchboard.ECodeNumberNotAvail},
		{"unknown inventory ID", orgA, switchboard.ClaimRequest{InventoryID: "inv_doesNotExist"}, switchboard.ECodeNumberNotAvail},
		{"inventory ID of the wrong kind", orgA, switchboard.ClaimRequest{InventoryID: held.ID}, switchboard.ECodeNumberNotAvail},
		{"garbage inventory ID", orgA, switchboard.ClaimRequest{InventoryID: "x' OR '1'='1"}, switchboard.ECodeNumberNotAvail},
		{"number not in inventory", orgA, switchboard.ClaimRequest{Number: numUS3}, switchboard.ECodeNumberNotAvail},
		{"another org's endpoint", orgA, switchboard.ClaimRequest{InventoryID: inv[numUS2].ID, EndpointID: ptr(epB.ID)}, switchboard.ECodeEndpointNotFound},
		{"unknown endpoint", orgA, switchboard.ClaimRequest{Number: numUS2, EndpointID: ptr("ep_doesNotExist")}, switchboard.ECodeEndpointNotFound},
		{"endpoint ID of the wrong kind", orgA, switchboard.ClaimRequest{Number: numUS2, EndpointID: ptr(held.ID)}, switchboard.ECodeEndpointNotFound},
	} {
		pn, err := f.s.ClaimNumber(f.ctx, tc.orgID, tc.req)
		wantCode(t, tc.name, err, tc.code)
		if pn != nil {
			t.Errorf("%s: got number %+v with the error", tc.name, pn)
		}
	}

	// Failed claims leave no trace: US2 is still free, A holds one number, B none.
	equalIDs(t, "available after failed claims", ids(f.available(switchboard.AvailableFilter{}), inventoryID), []string{inv[numUS2].ID})
	listA, totalA, err := f.s.ListPhoneNumbers(f.ctx, orgA, switchboard.PhoneNumberFilter{})
	must(t, "ListPhoneNumbers A", err)
	equalIDs(t, "A's numbers", ids(listA, numberID), []string{held.ID})
	if _, totalB, err := f.s.ListPhoneNumbers(f.ctx, orgB, switchboard.PhoneNumberFilter{}); err != nil || totalB != 0 || totalA != 1 {
		t.Errorf("totals A=%d B=%d (%v), want 1 and 0", totalA, totalB, err)
	}
	// And the number a failed claim named can still be claimed properly.
	f.claim(orgA, switchboard.ClaimRequest{InventoryID: inv[numUS2].ID, EndpointID: ptr(epA.ID)})
}

func testPhoneNumberList(f *fixture) {
	t := f.t
	orgID, other := f.org("acme"), f.org("globex")
	ep1, ep2 := f.agent(orgID, "one"), f.webhook(orgID, "two")
	f.stock(numUS1, numUS2, numNG1, numNG2, numGB1)

	var held []*switchboard.PhoneNumber
	for _, req := range []switchboard.ClaimRequest{
		{Number: numUS1, EndpointID: ptr(ep1.ID)},
		{Number: numUS2},
		{Number: numNG1, EndpointID: ptr(ep2.ID)},
		{Number: numGB1, EndpointID: ptr(ep1.ID)},
	} {
		f.clock.Advance(time.Second)
		held = append(held, f.claim(orgID, req))
	}
	f.claim(other, switchboard.ClaimRequest{Number: numNG2})
	n1, n2, n3, n4 := held[0].ID, held[1].ID, held[2].ID, held[3].ID

	list := func(filter switchboard.PhoneNumberFilter) ([]string, int) {
		t.Helper()
		l, total, err := f.s.ListPhoneNumbers(f.ctx, orgID, filter)
		must(t, "ListPhoneNumbers", err)
		return ids(l, numberID), total
	}
	all, _, err := f.s.ListPhoneNumbers(f.ctx, orgID, switchboard.PhoneNumberFilter{})
	must(t, "ListPhoneNumbers", err)
	for i, pn := range all {
		equalNumber(t, "listed "+pn.Number, pn, held[len(held)-1-i])
	}
	for _, tc := range []struct {
		filter switchboard.PhoneNumberFilter
		want   []string
		total  int
	}{
		{switchboard.PhoneNumberFilter{}, []string{n4, n3, n2, n1}, 4},
		{switchboard.PhoneNumberFilter{Status: switchboard.StatusActive}, []string{n4, n3, n2, n1}, 4},
		{switchboard.PhoneNumberFilter{Status: switchboard.StatusInactive}, nil, 0},
		{switchboard.PhoneNumberFilter{Country: "US"}, []string{n2, n1}, 2},
		{switchboard.PhoneNumberFilter{Country: "NG"}, []string{n3}, 1}, // not the other org's NG number
		{switchboard.PhoneNumberFilter{EndpointID: ep1.ID}, []string{n4, n1}, 2},
		{switchboard.PhoneNumberFilter{EndpointID: ep2.ID, Country: "NG"}, []string{n3}, 1},
		{switchboard.PhoneNumberFilter{Page: switchboard.Page{Limit: 3}}, []string{n4, n3, n2}, 4},
		{switchboard.PhoneNumberFilter{Page: switchboard.Page{Limit: 3, Offset: 3}}, []string{n1}, 4},
		{switchboard.PhoneNumberFilter{Page: switchboard.Page{Limit: 3, Offset: 9}}, nil, 4},
		{switchboard.PhoneNumberFilter{EndpointID: ep1.ID, Page: switchboard.Page{Limit: 1, Offset: 1}}, []string{n1}, 2},
	} {
		got, total := list(tc.filter)
		if !slices.Equal(got, tc.want) || total != tc.total {
			t.Errorf("ListPhoneNumbers(%+v) = %v (total %d), want %v (total %d)", tc.filter, got, total, tc.want, tc.total)
		}
	}
}

func testPhoneNumberUpdate(f *fixture) {
	t := f.t
	orgID, other := f.org("acme"), f.org("globex")
	ep1, ep2, theirs := f.agent(orgID, "one"), f.webhook(orgID, "two"), f.agent(other, "theirs")
	f.stock(numUS1)
	pn := f.claim(orgID, switchboard.ClaimRequest{Number: numUS1, AllowInbound: true})
	want := *pn
	update := func(what string, p switchboard.PhoneNumberPatch) {
		t.Helper()
		f.clock.Advance(time.Minute)
		got, err := f.s.UpdatePhoneNumber(f.ctx, orgID, pn.ID, p)
		must(t, what, err)
		want.UpdatedAt = f.clock.Now()
		equalNumber(t, what, got, &want)
		equalNumber(t, what+", found", f.findNumber(orgID, pn.ID), &want)
	}
	set := func(id string) switchboard.Optional[string] {
		return switchboard.Optional[string]{Set: true, Value: id}
	}
	null := switchboard.Optional[string]{Set: true, Null: true}

	want.EndpointID, want.FallbackEndpointID, want.Endpoint = ptr(ep1.ID), ptr(ep2.ID), summary(ep1)
	update("attach primary and fallback", switchboard.PhoneNumberPatch{EndpointID: set(ep1.ID), FallbackEndpointID: set(ep2.ID)})

	want.AllowInbound, want.AllowOutbound = false, true
	update("set allow flags", switchboard.PhoneNumberPatch{
		AllowInbound:  switchboard.Optional[bool]{Set: true, Value: false},
		AllowOutbound: switchboard.Optional[bool]{Set: true, Value: true},
	})

	want.EndpointID, want.Endpoint = ptr(ep2.ID), summary(ep2)
	update("switch primary to the webhook", switchboard.PhoneNumberPatch{EndpointID: set(ep2.ID)})

	want.EndpointID, want.Endpoint = nil, nil
	update("clear primary", switchboard.PhoneNumberPatch{EndpointID: null})

	want.FallbackEndpointID = nil
	update("clear fallback", switchboard.PhoneNumberPatch{FallbackEndpointID: null})

	update("empty patch", switchboard.PhoneNumberPatch{})

	for _, tc := range []struct {
		name string
		p    switchboard.PhoneNumberPatch
	}{
		{"another org's endpoint", switchboard.PhoneNumberPatch{EndpointID: set(theirs.ID)}},
		{"another org's fallback", switchboard.PhoneNumberPatch{EndpointID: set(ep1.ID), FallbackEndpointID: set(theirs.ID)}},
		{"unknown endpoint", switchboard.PhoneNumberPatch{EndpointID: set("ep_doesNotExist")}},
		{"endpoint ID of the wrong kind", switchboard.PhoneNumberPatch{FallbackEndpointID: set(pn.ID)}},
		{"empty endpoint ID", switchboard.PhoneNumberPatch{EndpointID: set("")}},
	} {
		_, err := f.s.UpdatePhoneNumber(f.ctx, orgID, pn.ID, tc.p)
		wantCode(t, tc.name, err, switchboard.ECodeEndpointNotFound)
	}
	equalNumber(t, "after rejected updates", f.findNumber(orgID, pn.ID), &want)

	for _, id := range []string{"pn_doesNotExist", "ep_x", "", "garbage"} {
		_, err := f.s.UpdatePhoneNumber(f.ctx, orgID, id, switchboard.PhoneNumberPatch{EndpointID: set(ep1.ID)})
		wantCode(t, "UpdatePhoneNumber("+id+")", err, switchboard.ECodeNumberNotFound)
	}
}

func testDeleteEndpointDetaches(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	x, y := f.agent(orgID, "x"), f.webhook(orgID, "y")
	f.stock(numUS1, numUS2, numUS3, numGB1)
	n1 := f.claim(orgID, switchboard.ClaimRequest{Number: numUS1, EndpointID: ptr(x.ID)})
	n2 := f.claim(orgID, switchboard.ClaimRequest{Number: numUS2, EndpointID: ptr(y.ID)})
	n3 := f.claim(orgID, switchboard.ClaimRequest{Number: numUS3, EndpointID: ptr(x.ID)})
	n4 := f.claim(orgID, switchboard.ClaimRequest{Number: numGB1, EndpointID: ptr(y.ID)})
	fallback := func(pn *switchboard.PhoneNumber, id string) *switchboard.PhoneNumber {
		t.Helper()
		got, err := f.s.UpdatePhoneNumber(f.ctx, orgID, pn.ID, switchboard.PhoneNumberPatch{
			FallbackEndpointID: switchboard.Optional[string]{Set: true, Value: id},
		})
		must(t, "set fallback", err)
		return got
	}
	n2 = fallback(n2, x.ID) // x only as fallback
	n3 = fallback(n3, x.ID) // x as both

	f.clock.Advance(time.Minute)
	detached, err := f.s.DeleteEndpoint(f.ctx, orgID, x.ID)
	if err != nil || detached != 3 {
		t.Fatalf("DeleteEndpoint = %d, %v; want 3 numbers detached", detached, err)
	}

	got1 := f.findNumber(orgID, n1.ID)
	if got1.EndpointID != nil || got1.Endpoint != nil || got1.FallbackEndpointID != nil {
		t.Errorf("n1 after delete: %s; want detached", fmtNumber(got1))
	}
	got2 := f.findNumber(orgID, n2.ID)
	if deref(got2.EndpointID) != y.ID || got2.Endpoint == nil || got2.Endpoint.ID != y.ID || got2.FallbackEndpointID != nil {
		t.Errorf("n2 after delete: %s; want primary %s, no fallback", fmtNumber(got2), y.ID)
	}
	got3 := f.findNumber(orgID, n3.ID)
	if got3.EndpointID != nil || got3.FallbackEndpointID != nil || got3.Endpoint != nil {
		t.Errorf("n3 after delete: %s; want fully detached", fmtNumber(got3))
	}
	equalNumber(t, "n4 (never on x)", f.findNumber(orgID, n4.ID), n4)
	for _, pn := range []*switchboard.PhoneNumber{got1, got2, got3} {
		if pn.Status != switchboard.StatusActive || pn.OrganizationID != orgID {
			t.Errorf("detached number %s: status %q org %q; want still held and active", pn.ID, pn.Status, pn.OrganizationID)
		}
	}

	if _, total, err := f.s.ListPhoneNumbers(f.ctx, orgID, switchboard.PhoneNumberFilter{}); err != nil || total != 4 {
		t.Errorf("numbers held after delete = %d, %v; want 4", total, err)
	}
	if l, total, err := f.s.ListPhoneNumbers(f.ctx, orgID, switchboard.PhoneNumberFilter{EndpointID: x.ID}); err != nil || total != 0 || len(l) != 0 {
		t.Errorf("numbers on the deleted endpoint = %d, %v; want 0", total, err)
	}
	if avail := f.available(switchboard.AvailableFilter{}); len(avail) != 0 {
		t.Errorf("deleting an endpoint released numbers: %v", ids(avail, inventoryID))
	}
}

func testRelease(f *fixture) {
	t := f.t
	orgID, other := f.org("acme"), f.org("globex")
	ep := f.agent(orgID, "Support")
	inv := f.stock(numUS1, numUS2)
	pn := f.claim(orgID, switchboard.ClaimRequest{InventoryID: inv[numUS1].ID, EndpointID: ptr(ep.ID)})
	kept := f.claim(orgID, switchboard.ClaimRequest{InventoryID: inv[numUS2].ID})

	f.clock.Advance(time.Minute)
	rel, err := f.s.ReleaseNumber(f.ctx, orgID, pn.ID)
	must(t, "ReleaseNumber", err)
	if rel.ID != pn.ID || rel.E164 != numUS1 || rel.Number != numUS1 || rel.OrganizationID != orgID || rel.Status != switchboard.NumberReleased {
		t.Errorf("ReleaseNumber = %s; want %s (%s) with status released", fmtNumber(rel), pn.ID, numUS1)
	}

	_, err = f.s.FindPhoneNumber(f.ctx, orgID, pn.ID)
	wantCode(t, "FindPhoneNumber after release", err, switchboard.ECodeNumberNotFound)
	_, err = f.s.ReleaseNumber(f.ctx, orgID, pn.ID)
	wantCode(t, "ReleaseNumber twice", err, switchboard.ECodeNumberNotFound)
	_, err = f.s.UpdatePhoneNumber(f.ctx, orgID, pn.ID, switchboard.PhoneNumberPatch{
		AllowOutbound: switchboard.Optional[bool]{Set: true, Value: true},
	})
	wantCode(t, "UpdatePhoneNumber after release", err, switchboard.ECodeNumberNotFound)

	list, total, err := f.s.ListPhoneNumbers(f.ctx, orgID, switchboard.PhoneNumberFilter{})
	must(t, "ListPhoneNumbers", err)
	equalIDs(t, "held after release", ids(list, numberID), []string{kept.ID})
	if total != 1 {
		t.Errorf("total held = %d, want 1", total)
	}
	equalIDs(t, "available after release", ids(f.available(switchboard.AvailableFilter{}), inventoryID), []string{inv[numUS1].ID})
	f.findEndpoint(orgID, ep.ID) // releasing a number leaves its endpoint alone

	again := f.claim(other, switchboard.ClaimRequest{Number: numUS1})
	if again.ID == pn.ID || again.OrganizationID != other || again.InventoryID != inv[numUS1].ID || again.EndpointID != nil {
		t.Errorf("claim after release = %s; want a new number of %s without endpoint", fmtNumber(again), other)
	}
}

func testPhoneNumberIsolation(f *fixture) {
	t := f.t
	orgA, orgB := f.org("acme"), f.org("globex")
	epA, epB := f.agent(orgA, "ours"), f.agent(orgB, "theirs")
	f.stock(numUS1, numUS2)
	pn := f.claim(orgA, switchboard.ClaimRequest{Number: numUS1, EndpointID: ptr(epA.ID), AllowInbound: true})
	theirs := f.claim(orgB, switchboard.ClaimRequest{Number: numUS2})

	_, err := f.s.FindPhoneNumber(f.ctx, orgB, pn.ID)
	wantCode(t, "FindPhoneNumber from another org", err, switchboard.ECodeNumberNotFound)
	_, err = f.s.UpdatePhoneNumber(f.ctx, orgB, pn.ID, switchboard.PhoneNumberPatch{
		EndpointID: switchboard.Optional[string]{Set: true, Value: epB.ID},
	})
	wantCode(t, "UpdatePhoneNumber from another org", err, switchboard.ECodeNumberNotFound)
	_, err = f.s.ReleaseNumber(f.ctx, orgB, pn.ID)
	wantCode(t, "ReleaseNumber from another org", err, switchboard.ECodeNumberNotFound)

	listB, totalB, err := f.s.ListPhoneNumbers(f.ctx, orgB, switchboard.PhoneNumberFilter{})
	must(t, "ListPhoneNumbers B", err)
	equalIDs(t, "B's numbers", ids(listB, numberID), []string{theirs.ID})
	if totalB != 1 {
		t.Errorf("B's total = %d, want 1", totalB)
	}
	if l, total, err := f.s.ListPhoneNumbers(f.ctx, orgB, switchboard.PhoneNumberFilter{EndpointID: epA.ID}); err != nil || total != 0 || len(l) != 0 {
		t.Errorf("B's numbers on A's endpoint = %d, %v; want 0", total, err)
	}
	equalNumber(t, "A's number after B's attempts", f.findNumber(orgA, pn.ID), pn)

	for _, id := range []string{"ep_x", "", "garbage", "pn_", "pn_doesNotExist", theirs.ID} {
		_, err := f.s.FindPhoneNumber(f.ctx, orgA, id)
		wantCode(t, "FindPhoneNumber("+id+")", err, switchboard.ECodeNumberNotFound)
		_, err = f.s.ReleaseNumber(f.ctx, orgA, id)
		wantCode(t, "ReleaseNumber("+id+")", err, switchboard.ECodeNumberNotFound)
	}
	equalNumber(t, "B's number after A's attempts", f.findNumber(orgB, theirs.ID), theirs)
}

// testInventoryListRemove lists the whole inventory with each number's
// holder, and removes only numbers no organisation holds.
func testInventoryListRemove(f *fixture) {
	t := f.t
	stock := f.stock(numUS1, numNG1, numGB1)
	org := f.org("acme")
	f.claim(org, switchboard.ClaimRequest{Number: numNG1})

	list := func(filter switchboard.InventoryFilter) map[string]string {
		t.Helper()
		entries, total, err := f.s.ListInventory(f.ctx, filter)
		must(t, "ListInventory", err)
		out := map[string]string{}
		for _, e := range entries {
			if e.ID != stock[e.Number].ID || e.Country == "" {
				t.Errorf("ListInventory(%+v): entry %+v, want inventory ID %s and a country", filter, e, stock[e.Number].ID)
			}
			out[e.Number] = e.OrganizationID
		}
		if total != len(out) {
			t.Errorf("ListInventory(%+v): total %d, %d rows", filter, total, len(out))
		}
		return out
	}
	for _, tc := range []struct {
		filter switchboard.InventoryFilter
		want   map[string]string
	}{
		{switchboard.InventoryFilter{}, map[string]string{numUS1: "", numNG1: org, numGB1: ""}},
		{switchboard.InventoryFilter{Available: true}, map[string]string{numUS1: "", numGB1: ""}},
		{switchboard.InventoryFilter{Country: "NG"}, map[string]string{numNG1: org}},
		{switchboard.InventoryFilter{Country: "NG", Available: true}, map[string]string{}},
	} {
		if got := list(tc.filter); !maps.Equal(got, tc.want) {
			t.Errorf("ListInventory(%+v) = %v, want %v", tc.filter, got, tc.want)
		}
	}

	err := f.s.RemoveInventory(f.ctx, numNG1)
	if switchboard.ErrorCode(err) != switchboard.ECodeConflict || !strings.Contains(switchboard.ErrorMessage(err), org) {
		t.Fatalf("RemoveInventory(held %s) = %v, want CONFLICT naming %s", numNG1, err, org)
	}
	must(t, "RemoveInventory", f.s.RemoveInventory(f.ctx, "+1 (415) 555-0101"))
	if err := f.s.RemoveInventory(f.ctx, numUS1); switchboard.ErrorCode(err) != switchboard.ECodeNumberNotFound {
		t.Fatalf("RemoveInventory(removed %s) = %v, want PHONE_NUMBER_NOT_FOUND", numUS1, err)
	}
	if err := f.s.RemoveInventory(f.ctx, "not a number"); switchboard.ErrorCode(err) != switchboard.ECodeValidation {
		t.Fatalf("RemoveInventory(garbage) = %v, want VALIDATION_ERROR", err)
	}
	if got, want := list(switchboard.InventoryFilter{}), map[string]string{numNG1: org, numGB1: ""}; !maps.Equal(got, want) {
		t.Errorf("after remove: ListInventory = %v, want %v", got, want)
	}
}
