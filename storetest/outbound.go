package storetest

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// testCallMetadata checks that a call's metadata is stored as sent, read
// back by FindCall, ListCalls and the restart's EndOrphanCalls, carried
// by its events, and kept from the first save; and that a call without
// metadata has none, not an empty one.
func testCallMetadata(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	sub := f.follow(orgID, f.subscribe(orgID, "calls", []string{"call.*"}, true))
	// Keys out of order, nesting, a large integer, non-ASCII text and an
	// escape: the stored text is the text saved.
	meta := json.RawMessage(`{"z":1,"a":{"list":[true,null,1.5]},"id":12345678901234567890,"name":"Zoë \"the\" caller"}`)

	out := f.newCall(orgID, "node-a")
	out.Direction, out.FromNumber, out.ToNumber = switchboard.DirectionOutbound, numUS1, numNG1
	out.Metadata = meta
	in := f.newCall(orgID, "node-a")
	f.saveCalls(callUpdate(out, callEvent(out, switchboard.EventCallInitiated)), callUpdate(in))
	equalCall(t, "call with metadata", f.findCall(orgID, out.ID), out)
	if got := f.findCall(orgID, out.ID).Metadata; string(got) != string(meta) {
		t.Errorf("metadata read back as %s, want %s", got, meta)
	}
	sub.expect("call.initiated of the call with metadata", wantEvent{switchboard.EventCallInitiated, out.EventData()})
	var data map[string]any
	d := f.deliveries(orgID, switchboard.DeliveryFilter{Event: switchboard.EventCallInitiated})
	if len(d) != 1 || json.Unmarshal(envelope(t, "call.initiated", f.findDelivery(orgID, d[0].ID)).Data, &data) != nil || data["metadata"] == nil {
		t.Errorf("call.initiated does not carry the metadata: %v", data)
	}

	got := f.findCall(orgID, in.ID)
	if got.Metadata != nil {
		t.Errorf("call saved without metadata reads back with %q", got.Metadata)
	}
	if b, _ := json.Marshal(got); strings.Contains(string(b), `"metadata"`) {
		t.Errorf("call without metadata marshals a metadata field: %s", b)
	}

	list, _, err := f.s.ListCalls(f.ctx, orgID, switchboard.CallFilter{Direction: switchboard.DirectionOutbound})
	if err != nil || len(list) != 1 || string(list[0].Metadata) != string(meta) {
		t.Errorf("ListCalls(outbound) = %v, %v; want the call with its metadata", list, err)
	}

	// Metadata is kept from the first save: an update that drops it (or
	// brings another) does not change the stored one.
	f.clock.Advance(time.Second)
	f.setStatus(out, switchboard.CallAnswered)
	out.AnsweredAt = ptr(f.clock.Now())
	upd := copyCall(out)
	upd.Metadata = nil
	f.saveCalls(callUpdate(upd))
	upd.Metadata = json.RawMessage(`{"other":true}`)
	f.saveCalls(callUpdate(upd))
	equalCall(t, "answered call with metadata", f.findCall(orgID, out.ID), out)

	// An answered call is open: a node that restarts ends it, metadata
	// and all.
	f.clock.Advance(10 * time.Second)
	now := f.clock.Now()
	n, err := f.s.EndOrphanCalls(f.ctx, "node-a", now)
	if err != nil || n != 2 {
		t.Fatalf("EndOrphanCalls = %d, %v; want 2 (the answered call and the initiated one)", n, err)
	}
	want := copyCall(out)
	want.Status, want.HangupCause, want.HangupBy = switchboard.CallCompleted, switchboard.HangupShutdown, switchboard.HangupBySystem
	want.CompletedAt, want.UpdatedAt, want.Duration = ptr(now), now, 10
	equalCall(t, "answered call after the restart", f.findCall(orgID, out.ID), want)
	wantIn := copyCall(in)
	wantIn.Status, wantIn.FailureReason, wantIn.CompletedAt, wantIn.UpdatedAt = switchboard.CallFailed, "node_restarted", ptr(now), now
	sub.expect("after the restart",
		wantEvent{switchboard.EventCallCompleted, want.EventData()},
		wantEvent{switchboard.EventCallFailed, wantIn.EventData()})
}

// outboundOrg is an organisation set up to place outbound calls: a number
// with an agent, and a trunk.
type outboundOrg struct {
	id     string
	agent  *switchboard.Endpoint
	number *switchboard.PhoneNumber
	trunk  *switchboard.Trunk
}

func (f *fixture) outboundOrg(name, number string, withTrunk bool) outboundOrg {
	o := outboundOrg{id: f.org(name)}
	o.agent = f.agent(o.id, name+"-agent")
	f.stock(number)
	o.number = f.claim(o.id, switchboard.ClaimRequest{Number: number, EndpointID: ptr(o.agent.ID), AllowOutbound: true})
	if withTrunk {
		o.trunk = f.carrier(o.id, name+"-carrier", false)
	}
	return o
}

func (f *fixture) prepare(orgID string, req switchboard.OutboundCallRequest) (*switchboard.OutboundCall, error) {
	return f.s.PrepareOutboundCall(f.ctx, orgID, req)
}

// wantOutboundError checks that preparing req fails with code, and
// returns the message.
func (f *fixture) wantOutboundError(what, orgID string, req switchboard.OutboundCallRequest, code string) string {
	f.t.Helper()
	oc, err := f.prepare(orgID, req)
	if oc != nil || switchboard.ErrorCode(err) != code {
		f.t.Errorf("%s: PrepareOutboundCall = %v, %v; want %s", what, oc, err, code)
	}
	return switchboard.ErrorMessage(err)
}

// testPrepareOutboundCall checks PrepareOutboundCall against stored
// numbers, endpoints and trunks: what it returns, each error, and that one
// organisation's rows are never another's.
func testPrepareOutboundCall(f *fixture) {
	t := f.t
	acme := f.outboundOrg("acme", numUS1, true)
	globex := f.outboundOrg("globex", numUS2, true)
	initech := f.outboundOrg("initech", numUS3, false) // no trunk
	hook := f.webhook(acme.id, "crm")
	req := func(from string) switchboard.OutboundCallRequest {
		return switchboard.OutboundCallRequest{FromNumber: from, ToNumber: numNG1}
	}

	// The number in another spelling, the number's endpoint, the only
	// active trunk, the default ring timeout; secrets loaded.
	r := req("+1 (415) 555-0101")
	r.ToNumber, r.Metadata, r.MaxDuration = "+234 803 123 4567", json.RawMessage(` { "crm_id" : 42 } `), 600
	oc, err := f.prepare(acme.id, r)
	if err != nil {
		t.Fatalf("PrepareOutboundCall: %v", err)
	}
	switch {
	case oc.OrganizationID != acme.id || oc.Number.ID != acme.number.ID || oc.To != numNG1:
		t.Errorf("prepared call: org %s number %s to %s; want %s %s %s", oc.OrganizationID, oc.Number.ID, oc.To, acme.id, acme.number.ID, numNG1)
	case oc.Endpoint.ID != acme.agent.ID || oc.Endpoint.Credentials == nil || oc.Endpoint.Credentials.Password != "pw-acme-agent":
		t.Errorf("prepared call's endpoint: %+v; want %s with its digest password", oc.Endpoint, acme.agent.ID)
	case oc.Trunk.ID != acme.trunk.ID || oc.Trunk.AuthPassword != "pw-acme-carrier":
		t.Errorf("prepared call's trunk: %s (password %t); want %s with its password", oc.Trunk.ID, oc.Trunk.AuthPassword != "", acme.trunk.ID)
	case string(oc.Metadata) != `{"crm_id":42}`:
		t.Errorf("prepared metadata %s, want it compacted", oc.Metadata)
	case oc.RingTimeout != time.Duration(switchboard.DefaultOutboundRing)*time.Second || oc.MaxDuration != 10*time.Minute:
		t.Errorf("prepared ring timeout %v, max duration %v", oc.RingTimeout, oc.MaxDuration)
	}

	// Another endpoint of the organisation, a webhook, with its secret.
	r = req(numUS1)
	r.EndpointID, r.RingTimeout = hook.ID, ptr(15)
	if oc, err := f.prepare(acme.id, r); err != nil || oc.Endpoint.ID != hook.ID || oc.Endpoint.Secret == "" || oc.RingTimeout != 15*time.Second || oc.Metadata != nil {
		t.Errorf("PrepareOutboundCall with endpoint_id = %+v, %v; want the webhook endpoint with its secret", oc, err)
	}

	// Another organisation's number looks exactly like a number nobody
	// holds; their endpoint like none.
	theirs := f.wantOutboundError("another organisation's number", acme.id, req(numUS2), switchboard.ECodeNumberNotOwned)
	f.stock(numGB1)
	nobody := f.wantOutboundError("a number nobody holds", acme.id, req(numGB1), switchboard.ECodeNumberNotOwned)
	if strings.ReplaceAll(theirs, numUS2, "N") != strings.ReplaceAll(nobody, numGB1, "N") {
		t.Errorf("another organisation's number is told apart from an unheld one:\n %q\n %q", theirs, nobody)
	}
	r = req(numUS1)
	r.EndpointID = globex.agent.ID
	f.wantOutboundError("another organisation's endpoint", acme.id, r, switchboard.ECodeEndpointNotFound)
	r.EndpointID = "ep_doesNotExist"
	f.wantOutboundError("an unknown endpoint", acme.id, r, switchboard.ECodeEndpointNotFound)
	r.EndpointID = acme.trunk.ID
	f.wantOutboundError("an ID of another kind as endpoint", acme.id, r, switchboard.ECodeEndpointNotFound)
	// Another organisation's trunks are not this one's.
	msg := f.wantOutboundError("an organisation without a trunk", initech.id, req(numUS3), switchboard.ECodeNoTrunk)
	if !strings.Contains(msg, switchboard.NoTrunkNone) {
		t.Errorf("NO_TRUNK message %q does not give SelectTrunk's reason %s", msg, switchboard.NoTrunkNone)
	}
	if oc, err := f.prepare(globex.id, req(numUS2)); err != nil || oc.Trunk.ID != globex.trunk.ID || oc.Endpoint.ID != globex.agent.ID {
		t.Errorf("globex's own call = %+v, %v; want its own trunk and agent", oc, err)
	}

	// A number that does not allow outbound calls.
	update := func(p switchboard.PhoneNumberPatch) {
		t.Helper()
		_, err := f.s.UpdatePhoneNumber(f.ctx, acme.id, acme.number.ID, p)
		must(t, "UpdatePhoneNumber", err)
	}
	update(switchboard.PhoneNumberPatch{AllowOutbound: switchboard.Optional[bool]{Set: true}})
	f.wantOutboundError("outbound disabled", acme.id, req(numUS1), switchboard.ECodeOutboundDisabled)
	update(switchboard.PhoneNumberPatch{AllowOutbound: switchboard.Optional[bool]{Set: true, Value: true}})

	// An inactive endpoint, and a number without one.
	setStatus := func(id, status string) {
		t.Helper()
		_, err := f.s.UpdateEndpoint(f.ctx, acme.id, id, func(e *switchboard.Endpoint) (*switchboard.Endpoint, error) {
			n := *e
			n.Status = status
			return &n, nil
		})
		must(t, "UpdateEndpoint", err)
	}
	setStatus(acme.agent.ID, switchboard.StatusInactive)
	f.wantOutboundError("the number's endpoint inactive", acme.id, req(numUS1), switchboard.ECodeEndpointNotFound)
	setStatus(acme.agent.ID, switchboard.StatusActive)
	update(switchboard.PhoneNumberPatch{EndpointID: switchboard.Optional[string]{Set: true, Null: true}})
	msg = f.wantOutboundError("a number without an endpoint", acme.id, req(numUS1), switchboard.ECodeEndpointNotFound)
	if !strings.Contains(msg, "endpoint_id") {
		t.Errorf("a number without an endpoint: message %q does not say to send endpoint_id", msg)
	}
	r = req(numUS1)
	r.EndpointID = acme.agent.ID
	if _, err := f.prepare(acme.id, r); err != nil {
		t.Errorf("a number without an endpoint, endpoint_id sent: %v", err)
	}
	update(switchboard.PhoneNumberPatch{EndpointID: switchboard.Optional[string]{Set: true, Value: acme.agent.ID}})

	// Trunk selection is SelectTrunk's: several without a default, the
	// default, the number's own, the number's own inactive.
	second := f.carrier(acme.id, "second", false)
	f.wantOutboundError("two trunks, no default", acme.id, req(numUS1), switchboard.ECodeNoTrunk)
	_, err = f.s.UpdateTrunk(f.ctx, acme.id, second.ID, switchboard.TrunkPatch{Default: switchboard.Optional[bool]{Set: true, Value: true}})
	must(t, "UpdateTrunk", err)
	if oc, err := f.prepare(acme.id, req(numUS1)); err != nil || oc.Trunk.ID != second.ID {
		t.Errorf("with a default trunk: %+v, %v; want trunk %s", oc, err, second.ID)
	}
	update(switchboard.PhoneNumberPatch{TrunkID: switchboard.Optional[string]{Set: true, Value: acme.trunk.ID}})
	if oc, err := f.prepare(acme.id, req(numUS1)); err != nil || oc.Trunk.ID != acme.trunk.ID || oc.Trunk.AuthPassword == "" {
		t.Errorf("number's own trunk: %+v, %v; want trunk %s with its password", oc, err, acme.trunk.ID)
	}
	_, err = f.s.UpdateTrunk(f.ctx, acme.id, acme.trunk.ID, switchboard.TrunkPatch{Status: switchboard.Optional[string]{Set: true, Value: switchboard.StatusInactive}})
	must(t, "UpdateTrunk", err)
	msg = f.wantOutboundError("the number's trunk inactive", acme.id, req(numUS1), switchboard.ECodeNoTrunk)
	if !strings.Contains(msg, switchboard.NoTrunkInactive) {
		t.Errorf("NO_TRUNK message %q does not give the reason %s", msg, switchboard.NoTrunkInactive)
	}

	// A request that is wrong on its own is refused before any lookup.
	r = req("+1415")
	f.wantOutboundError("from_number not E.164", acme.id, r, switchboard.ECodeValidation)
}
