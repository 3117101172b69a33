package storetest

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// trunk validates in with the domain's rules and stores it.
func (f *fixture) trunk(orgID string, in switchboard.TrunkInput) *switchboard.Trunk {
	f.t.Helper()
	tr, err := switchboard.NewTrunk(in)
	if err != nil {
		f.t.Fatalf("NewTrunk(%+v): %v", in, err)
	}
	if err := f.s.CreateTrunk(f.ctx, orgID, tr); err != nil {
		f.t.Fatalf("CreateTrunk: %v", err)
	}
	return tr
}

// carrier stores a trunk named name with every field set.
func (f *fixture) carrier(orgID, name string, isDefault bool) *switchboard.Trunk {
	f.t.Helper()
	return f.trunk(orgID, switchboard.TrunkInput{
		Name: name, Address: name + ".example.net:5060", FailoverAddresses: []string{"192.0.2.10", "[2001:db8::1]:5080"},
		Transport: "tcp", AuthUsername: "user-" + name, AuthPassword: "pw-" + name,
		Headers: map[string]string{"X-Telnyx-Username": name}, NumberFormat: "no_plus", TechPrefix: "11#",
		MaxConcurrentCalls: 10, Default: isDefault, InboundAddresses: []string{"198.51.100.7", "203.0.113.0/24"},
	})
}

func (f *fixture) findTrunk(orgID, id string) *switchboard.Trunk {
	f.t.Helper()
	tr, err := f.s.FindTrunk(f.ctx, orgID, id)
	if err != nil {
		f.t.Fatalf("FindTrunk(%s): %v", id, err)
	}
	return tr
}

// equalTrunk compares every field, password included: the store keeps it
// for the SIP edge.
func equalTrunk(t *testing.T, what string, got, want *switchboard.Trunk) {
	t.Helper()
	if got == nil || want == nil {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
	checkTime(t, what+": CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, what+": UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	g, w := *got, *want
	g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	gj, _ := json.Marshal(&g)
	wj, _ := json.Marshal(&w)
	if !bytes.Equal(gj, wj) || g.AuthPassword != w.AuthPassword {
		t.Errorf("%s:\n got %s (password %q)\nwant %s (password %q)", what, gj, g.AuthPassword, wj, w.AuthPassword)
	}
}

func testTrunkCRUD(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	all := f.follow(orgID, f.subscribe(orgID, "all", nil, true))
	trunks := f.follow(orgID, f.subscribe(orgID, "trunks", []string{"trunk.*"}, true))

	tr := f.carrier(orgID, "telnyx", false)
	if !switchboard.ValidID(switchboard.PrefixTrunk, tr.ID) || tr.OrganizationID != orgID {
		t.Errorf("CreateTrunk set ID %q, organisation %q; want a trk_ ID of %s", tr.ID, tr.OrganizationID, orgID)
	}
	checkTime(t, "CreatedAt", tr.CreatedAt, f.clock.Now())
	got := f.findTrunk(orgID, tr.ID)
	equalTrunk(t, "found", got, tr)
	if got.AuthPassword != "pw-telnyx" || !slices.Equal(got.InboundAddresses, []string{"198.51.100.7/32", "203.0.113.0/24"}) ||
		!slices.Equal(got.FailoverAddresses, []string{"192.0.2.10", "[2001:db8::1]:5080"}) || got.Headers["X-Telnyx-Username"] != "telnyx" ||
		got.Transport != "tcp" || got.NumberFormat != "no_plus" || got.TechPrefix != "11#" || got.MaxConcurrentCalls != 10 {
		t.Errorf("found trunk lost fields: %+v", got)
	}
	for _, l := range []*receiverLog{all, trunks} {
		d := l.expect("trunk created", wantEvent{switchboard.EventTrunkCreated, tr})
		for _, dd := range d {
			if bytes.Contains(dd.Payload, []byte("pw-telnyx")) || !bytes.Contains(dd.Payload, []byte(`"has_auth_password":true`)) {
				t.Errorf("trunk.created payload shows the password or hides that there is one: %s", dd.Payload)
			}
		}
	}

	f.clock.Advance(time.Minute)
	up, err := f.s.UpdateTrunk(f.ctx, orgID, tr.ID, switchboard.TrunkPatch{
		Name:         switchboard.Optional[string]{Set: true, Value: "telnyx v2"},
		AuthPassword: switchboard.Optional[string]{Set: true, Value: "new-secret"},
		Status:       switchboard.Optional[string]{Set: true, Value: switchboard.StatusInactive},
		Headers:      switchboard.Optional[map[string]string]{Set: true, Null: true},
	})
	must(t, "UpdateTrunk", err)
	want := *tr
	want.Name, want.AuthPassword, want.Status, want.Headers, want.UpdatedAt = "telnyx v2", "new-secret", switchboard.StatusInactive, nil, f.clock.Now()
	equalTrunk(t, "updated", up, &want)
	equalTrunk(t, "found after update", f.findTrunk(orgID, tr.ID), &want)
	for _, l := range []*receiverLog{all, trunks} {
		for _, d := range l.expect("trunk updated", wantEvent{switchboard.EventTrunkUpdated, &want}) {
			if bytes.Contains(d.Payload, []byte("new-secret")) {
				t.Errorf("trunk.updated payload shows the password: %s", d.Payload)
			}
		}
	}

	// An invalid patch changes nothing; clearing the username clears the
	// password with it.
	_, err = f.s.UpdateTrunk(f.ctx, orgID, tr.ID, switchboard.TrunkPatch{Address: switchboard.Optional[string]{Set: true, Value: "sip:x.example.net"}})
	wantCode(t, "UpdateTrunk with a sip: address", err, switchboard.ECodeValidation)
	equalTrunk(t, "found after a failed update", f.findTrunk(orgID, tr.ID), &want)
	f.clock.Advance(time.Minute)
	up, err = f.s.UpdateTrunk(f.ctx, orgID, tr.ID, switchboard.TrunkPatch{AuthUsername: switchboard.Optional[string]{Set: true, Null: true}})
	must(t, "UpdateTrunk clearing credentials", err)
	if up.AuthUsername != "" || up.AuthPassword != "" {
		t.Errorf("after clearing auth_username: username %q password %q; want both empty", up.AuthUsername, up.AuthPassword)
	}
	all.expect("credentials cleared", wantEvent{switchboard.EventTrunkUpdated, up})
	trunks.expect("credentials cleared", wantEvent{switchboard.EventTrunkUpdated, up})

	// The list pages newest first.
	f.clock.Advance(time.Minute)
	tr2 := f.carrier(orgID, "twilio", false)
	all.expect("second trunk", wantEvent{switchboard.EventTrunkCreated, tr2})
	trunks.expect("second trunk", wantEvent{switchboard.EventTrunkCreated, tr2})
	list, total, err := f.s.ListTrunks(f.ctx, orgID, switchboard.TrunkFilter{})
	if err != nil || total != 2 || len(list) != 2 || list[0].ID != tr2.ID || list[1].ID != tr.ID {
		t.Errorf("ListTrunks = %v, %d, %v; want [%s %s], 2", ids(list, trunkID), total, err, tr2.ID, tr.ID)
	}
	list, total, err = f.s.ListTrunks(f.ctx, orgID, switchboard.TrunkFilter{Status: switchboard.StatusInactive, Page: switchboard.Page{Limit: 1}})
	if err != nil || total != 1 || len(list) != 1 || list[0].ID != tr.ID {
		t.Errorf("ListTrunks(inactive) = %v, %d, %v; want [%s], 1", ids(list, trunkID), total, err, tr.ID)
	}
	list, total, err = f.s.ListTrunks(f.ctx, orgID, switchboard.TrunkFilter{Page: switchboard.Page{Limit: 1, Offset: 1}})
	if err != nil || total != 2 || len(list) != 1 || list[0].ID != tr.ID {
		t.Errorf("ListTrunks(page 2) = %v, %d, %v; want [%s], 2", ids(list, trunkID), total, err, tr.ID)
	}

	f.clock.Advance(time.Minute)
	detached, err := f.s.DeleteTrunk(f.ctx, orgID, tr.ID)
	if err != nil || detached != 0 {
		t.Fatalf("DeleteTrunk = %d, %v; want 0 detached", detached, err)
	}
	all.expect("trunk deleted", wantEvent{switchboard.EventTrunkDeleted, up})
	trunks.expect("trunk deleted", wantEvent{switchboard.EventTrunkDeleted, up})
	_, err = f.s.FindTrunk(f.ctx, orgID, tr.ID)
	wantCode(t, "FindTrunk after delete", err, switchboard.ECodeTrunkNotFound)
	_, err = f.s.DeleteTrunk(f.ctx, orgID, tr.ID)
	wantCode(t, "DeleteTrunk twice", err, switchboard.ECodeTrunkNotFound)
	_, err = f.s.UpdateTrunk(f.ctx, orgID, tr.ID, switchboard.TrunkPatch{})
	wantCode(t, "UpdateTrunk after delete", err, switchboard.ECodeTrunkNotFound)
	for _, id := range []string{"", "trk_", "ep_123", "trk_ünï", "trk_" + string(make([]byte, 80))} {
		_, err := f.s.FindTrunk(f.ctx, orgID, id)
		wantCode(t, "FindTrunk("+id+")", err, switchboard.ECodeTrunkNotFound)
		_, err = f.s.UpdateTrunk(f.ctx, orgID, id, switchboard.TrunkPatch{})
		wantCode(t, "UpdateTrunk("+id+")", err, switchboard.ECodeTrunkNotFound)
		_, err = f.s.DeleteTrunk(f.ctx, orgID, id)
		wantCode(t, "DeleteTrunk("+id+")", err, switchboard.ECodeTrunkNotFound)
	}
}

func trunkID(t *switchboard.Trunk) string { return t.ID }

// defaults returns the IDs of the organisation's default trunks.
func (f *fixture) defaults(orgID string) []string {
	f.t.Helper()
	list, _, err := f.s.ListTrunks(f.ctx, orgID, switchboard.TrunkFilter{Page: switchboard.Page{Limit: switchboard.MaxLimit}})
	must(f.t, "ListTrunks", err)
	var out []string
	for _, tr := range list {
		if tr.Default {
			out = append(out, tr.ID)
		}
	}
	return out
}

func testTrunkDefault(f *fixture) {
	t := f.t
	orgID, other := f.org("acme"), f.org("globex")
	all := f.follow(orgID, f.subscribe(orgID, "all", []string{"trunk.*"}, true))
	theirs := f.carrier(other, "theirs", true)

	a := f.carrier(orgID, "a", true)
	all.expect("a created", wantEvent{switchboard.EventTrunkCreated, a})
	f.clock.Advance(time.Minute)
	b := f.carrier(orgID, "b", false)
	all.expect("b created", wantEvent{switchboard.EventTrunkCreated, b})
	if d := f.defaults(orgID); !slices.Equal(d, []string{a.ID}) {
		t.Errorf("defaults = %v, want [%s]", d, a.ID)
	}

	// Creating a default clears the previous one, with trunk.updated.
	f.clock.Advance(time.Minute)
	c := f.carrier(orgID, "c", true)
	wantA := *a
	wantA.Default, wantA.UpdatedAt = false, f.clock.Now()
	equalTrunk(t, "a after c became default", f.findTrunk(orgID, a.ID), &wantA)
	all.expect("c created as default", wantEvent{switchboard.EventTrunkCreated, c}, wantEvent{switchboard.EventTrunkUpdated, &wantA})
	if d := f.defaults(orgID); !slices.Equal(d, []string{c.ID}) {
		t.Errorf("defaults = %v, want [%s]", d, c.ID)
	}

	// So does making one the default by PATCH; making the default the
	// default again changes no other trunk.
	f.clock.Advance(time.Minute)
	gotB, err := f.s.UpdateTrunk(f.ctx, orgID, b.ID, switchboard.TrunkPatch{Default: switchboard.Optional[bool]{Set: true, Value: true}})
	must(t, "UpdateTrunk default", err)
	wantC := *c
	wantC.Default, wantC.UpdatedAt = false, f.clock.Now()
	all.expect("b made default", wantEvent{switchboard.EventTrunkUpdated, gotB}, wantEvent{switchboard.EventTrunkUpdated, &wantC})
	f.clock.Advance(time.Minute)
	gotB, err = f.s.UpdateTrunk(f.ctx, orgID, b.ID, switchboard.TrunkPatch{Default: switchboard.Optional[bool]{Set: true, Value: true}})
	must(t, "UpdateTrunk default again", err)
	all.expect("b made default again", wantEvent{switchboard.EventTrunkUpdated, gotB})
	if d := f.defaults(orgID); !slices.Equal(d, []string{b.ID}) {
		t.Errorf("defaults = %v, want [%s]", d, b.ID)
	}
	// A failed PATCH that asked for the default changes nothing.
	_, err = f.s.UpdateTrunk(f.ctx, orgID, a.ID, switchboard.TrunkPatch{
		Default:   switchboard.Optional[bool]{Set: true, Value: true},
		Transport: switchboard.Optional[string]{Set: true, Value: "sctp"},
	})
	wantCode(t, "UpdateTrunk default with a bad transport", err, switchboard.ECodeValidation)
	if d := f.defaults(orgID); !slices.Equal(d, []string{b.ID}) {
		t.Errorf("defaults after a failed update = %v, want [%s]", d, b.ID)
	}
	// Another organisation's default is its own.
	if d := f.defaults(other); !slices.Equal(d, []string{theirs.ID}) {
		t.Errorf("the other organisation's defaults = %v, want [%s]", d, theirs.ID)
	}
	all.expect("nothing else")
}

func testTrunkIsolation(f *fixture) {
	t := f.t
	orgID, other := f.org("acme"), f.org("globex")
	tr := f.carrier(orgID, "ours", false)
	f.stock(numUS1)
	theirNumber := f.claim(other, switchboard.ClaimRequest{Number: numUS1})

	_, err := f.s.FindTrunk(f.ctx, other, tr.ID)
	wantCode(t, "FindTrunk by another organisation", err, switchboard.ECodeTrunkNotFound)
	_, err = f.s.UpdateTrunk(f.ctx, other, tr.ID, switchboard.TrunkPatch{Name: switchboard.Optional[string]{Set: true, Value: "stolen"}})
	wantCode(t, "UpdateTrunk by another organisation", err, switchboard.ECodeTrunkNotFound)
	_, err = f.s.DeleteTrunk(f.ctx, other, tr.ID)
	wantCode(t, "DeleteTrunk by another organisation", err, switchboard.ECodeTrunkNotFound)
	if list, total, err := f.s.ListTrunks(f.ctx, other, switchboard.TrunkFilter{}); err != nil || total != 0 || len(list) != 0 {
		t.Errorf("another organisation lists %d trunks (%v); want none", total, err)
	}
	_, err = f.s.UpdatePhoneNumber(f.ctx, other, theirNumber.ID, switchboard.PhoneNumberPatch{TrunkID: switchboard.Optional[string]{Set: true, Value: tr.ID}})
	wantCode(t, "another organisation's number using our trunk", err, switchboard.ECodeTrunkNotFound)
	equalNumber(t, "their number after the refused PATCH", f.findNumber(other, theirNumber.ID), theirNumber)
	equalTrunk(t, "our trunk after the attempts", f.findTrunk(orgID, tr.ID), tr)
}

func testNumberTrunk(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	a, b := f.carrier(orgID, "a", false), f.carrier(orgID, "b", false)
	f.stock(numUS1, numUS2, numUS3)
	n1 := f.claim(orgID, switchboard.ClaimRequest{Number: numUS1})
	n2 := f.claim(orgID, switchboard.ClaimRequest{Number: numUS2})
	n3 := f.claim(orgID, switchboard.ClaimRequest{Number: numUS3})
	if n1.TrunkID != nil {
		t.Errorf("a claimed number has trunk %s; want none", *n1.TrunkID)
	}
	all := f.follow(orgID, f.subscribe(orgID, "all", nil, true))
	attach := func(pn *switchboard.PhoneNumber, opt switchboard.Optional[string]) *switchboard.PhoneNumber {
		t.Helper()
		f.clock.Advance(time.Second)
		got, err := f.s.UpdatePhoneNumber(f.ctx, orgID, pn.ID, switchboard.PhoneNumberPatch{TrunkID: opt})
		must(t, "UpdatePhoneNumber trunk_id", err)
		all.expect("trunk of "+pn.ID, wantEvent{switchboard.EventPhoneNumberUpdated, got})
		equalNumber(t, "found after the trunk changed", f.findNumber(orgID, pn.ID), got)
		return got
	}
	n1 = attach(n1, switchboard.Optional[string]{Set: true, Value: a.ID})
	if deref(n1.TrunkID) != a.ID {
		t.Errorf("n1 trunk = %s, want %s", deref(n1.TrunkID), a.ID)
	}
	n1 = attach(n1, switchboard.Optional[string]{Set: true, Null: true})
	if n1.TrunkID != nil {
		t.Errorf("n1 trunk after null = %s, want none", deref(n1.TrunkID))
	}
	n1 = attach(n1, switchboard.Optional[string]{Set: true, Value: a.ID})
	n2 = attach(n2, switchboard.Optional[string]{Set: true, Value: a.ID})
	n3 = attach(n3, switchboard.Optional[string]{Set: true, Value: b.ID})
	// A PATCH without trunk_id keeps it.
	f.clock.Advance(time.Second)
	got, err := f.s.UpdatePhoneNumber(f.ctx, orgID, n3.ID, switchboard.PhoneNumberPatch{AllowOutbound: switchboard.Optional[bool]{Set: true, Value: true}})
	must(t, "UpdatePhoneNumber allow_outbound", err)
	if deref(got.TrunkID) != b.ID {
		t.Errorf("n3 trunk after an unrelated PATCH = %s, want %s", deref(got.TrunkID), b.ID)
	}
	all.expect("n3 allow_outbound", wantEvent{switchboard.EventPhoneNumberUpdated, got})
	n3 = got
	for _, bad := range []string{"trk_nope", "ep_123", ""} {
		_, err := f.s.UpdatePhoneNumber(f.ctx, orgID, n3.ID, switchboard.PhoneNumberPatch{TrunkID: switchboard.Optional[string]{Set: true, Value: bad}})
		wantCode(t, "trunk_id "+bad, err, switchboard.ECodeTrunkNotFound)
	}

	// Deleting a trunk detaches its numbers, with phone_number.updated.
	f.clock.Advance(time.Minute)
	detached, err := f.s.DeleteTrunk(f.ctx, orgID, a.ID)
	if err != nil || detached != 2 {
		t.Fatalf("DeleteTrunk = %d, %v; want 2 detached", detached, err)
	}
	want1, want2 := *n1, *n2
	want1.TrunkID, want2.TrunkID = nil, nil
	want1.UpdatedAt, want2.UpdatedAt = f.clock.Now(), f.clock.Now()
	equalNumber(t, "n1 after its trunk was deleted", f.findNumber(orgID, n1.ID), &want1)
	equalNumber(t, "n2 after its trunk was deleted", f.findNumber(orgID, n2.ID), &want2)
	equalNumber(t, "n3 (on another trunk)", f.findNumber(orgID, n3.ID), n3)
	all.expect("trunk deleted", wantEvent{switchboard.EventTrunkDeleted, a},
		wantEvent{switchboard.EventPhoneNumberUpdated, &want1}, wantEvent{switchboard.EventPhoneNumberUpdated, &want2})
}

// testConcurrentTrunkDefault makes several trunks the default at once:
// every change succeeds and exactly one trunk ends as the default.
func testConcurrentTrunkDefault(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	var trunks []*switchboard.Trunk
	for _, name := range []string{"a", "b", "c", "d"} {
		trunks = append(trunks, f.carrier(orgID, name, name == "a"))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(trunks))
	for i, tr := range trunks {
		wg.Go(func() {
			_, errs[i] = f.s.UpdateTrunk(f.ctx, orgID, tr.ID, switchboard.TrunkPatch{Default: switchboard.Optional[bool]{Set: true, Value: true}})
		})
	}
	wg.Wait()
	for i, err := range errs {
		must(t, "UpdateTrunk default "+trunks[i].Name, err)
	}
	if d := f.defaults(orgID); len(d) != 1 {
		t.Errorf("defaults after concurrent updates = %v, want exactly one", d)
	}
}

// testRoutingTrunks: the routing snapshot holds every trunk of the
// organisation asked for (all of them for ""), whatever its status, with
// its password, and nobody else's; TrunkNetworks over it keeps the active
// trunks' networks only.
func testRoutingTrunks(f *fixture) {
	t := f.t
	orgID, other, none := f.org("acme"), f.org("globex"), f.org("initech")
	a := f.carrier(orgID, "a", false) // 198.51.100.7/32, 203.0.113.0/24
	b := f.trunk(orgID, switchboard.TrunkInput{Name: "b", Address: "b.example", InboundAddresses: []string{"192.0.2.0/25"}})
	off := f.trunk(orgID, switchboard.TrunkInput{Name: "off", Address: "off.example", Status: switchboard.StatusInactive,
		InboundAddresses: []string{"10.9.0.0/16"}})
	c := f.trunk(other, switchboard.TrunkInput{Name: "c", Address: "c.example", InboundAddresses: []string{"2001:db8::/48"}})
	d := f.trunk(none, switchboard.TrunkInput{Name: "d", Address: "d.example"})

	ids := func(ts []*switchboard.Trunk) []string {
		out := make([]string, len(ts))
		for i, tr := range ts {
			out[i] = tr.ID
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s ...string) []string { slices.Sort(s); return s }
	all, err := f.s.RoutingTrunks(f.ctx, "")
	must(t, "RoutingTrunks", err)
	if got, want := ids(all), sorted(a.ID, b.ID, off.ID, c.ID, d.ID); !slices.Equal(got, want) {
		t.Errorf("RoutingTrunks(\"\") = %v, want %v", got, want)
	}
	for _, tr := range all {
		if tr.ID == a.ID {
			equalTrunk(t, "RoutingTrunks "+a.Name, tr, a)
		}
	}
	mine, err := f.s.RoutingTrunks(f.ctx, orgID)
	must(t, "RoutingTrunks(acme)", err)
	if got, want := ids(mine), sorted(a.ID, b.ID, off.ID); !slices.Equal(got, want) {
		t.Errorf("RoutingTrunks(acme) = %v, want only its own %v", got, want)
	}

	str := func(ps []netip.Prefix) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = p.String()
		}
		slices.Sort(out)
		return out
	}
	nets, err := switchboard.TrunkNetworks(all)
	must(t, "TrunkNetworks", err)
	want := map[string][]string{
		orgID: {"192.0.2.0/25", "198.51.100.7/32", "203.0.113.0/24"},
		other: {"2001:db8::/48"},
	}
	if len(nets) != len(want) {
		t.Errorf("TrunkNetworks covers %d organisations, want %d: %v", len(nets), len(want), nets)
	}
	for org, w := range want {
		if got := str(nets[org]); !slices.Equal(got, w) {
			t.Errorf("TrunkNetworks[%s] = %v, want %v", org, got, w)
		}
	}
	_, err = f.s.UpdateTrunk(f.ctx, orgID, a.ID, switchboard.TrunkPatch{Status: switchboard.Optional[string]{Set: true, Value: switchboard.StatusInactive}})
	must(t, "UpdateTrunk inactive", err)
	mine, err = f.s.RoutingTrunks(f.ctx, orgID)
	must(t, "RoutingTrunks(acme) again", err)
	nets, err = switchboard.TrunkNetworks(mine)
	must(t, "TrunkNetworks(acme)", err)
	if got := str(nets[orgID]); !slices.Equal(got, []string{"192.0.2.0/25"}) {
		t.Errorf("TrunkNetworks after a trunk went inactive = %v", got)
	}
}
