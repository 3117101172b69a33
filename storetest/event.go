package storetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// subscribe stores a subscription to the filters (nil means "*") at a URL
// named after name.
func (f *fixture) subscribe(orgID, name string, filters []string, active bool) *switchboard.Webhook {
	f.t.Helper()
	w, err := switchboard.NewWebhook(switchboard.WebhookInput{
		URL: "https://hooks.example.com/" + name, Events: filters, Active: &active, Description: name,
	})
	if err != nil {
		f.t.Fatalf("NewWebhook(%s, %v): %v", name, filters, err)
	}
	if err := f.s.CreateWebhook(f.ctx, orgID, w); err != nil {
		f.t.Fatalf("CreateWebhook(%s): %v", name, err)
	}
	return w
}

// deliveries lists every delivery the filter selects (its Page is ignored).
func (f *fixture) deliveries(orgID string, filter switchboard.DeliveryFilter) []*switchboard.Delivery {
	f.t.Helper()
	filter.Page = switchboard.Page{Limit: switchboard.MaxLimit}
	list, total, err := f.s.ListDeliveries(f.ctx, orgID, filter)
	if err != nil {
		f.t.Fatalf("ListDeliveries(%+v): %v", filter, err)
	}
	if total != len(list) || total >= switchboard.MaxLimit {
		f.t.Fatalf("ListDeliveries(%+v): %d rows, total %d; the test expects fewer than %d", filter, len(list), total, switchboard.MaxLimit)
	}
	return list
}

func (f *fixture) findDelivery(orgID, id string) *switchboard.Delivery {
	f.t.Helper()
	d, err := f.s.FindDelivery(f.ctx, orgID, id)
	if err != nil {
		f.t.Fatalf("FindDelivery(%s): %v", id, err)
	}
	return d
}

// countDeliveries returns the organisation's total of deliveries.
func (f *fixture) countDeliveries(orgID string) int {
	f.t.Helper()
	_, total, err := f.s.ListDeliveries(f.ctx, orgID, switchboard.DeliveryFilter{Page: switchboard.Page{Limit: 1}})
	if err != nil {
		f.t.Fatalf("ListDeliveries: %v", err)
	}
	return total
}

func deliveryID(d *switchboard.Delivery) string         { return d.ID }
func deliveryCreated(d *switchboard.Delivery) time.Time { return d.CreatedAt }
func webhookID(w *switchboard.Webhook) string           { return w.ID }

// checkPending checks the fields every new delivery has: pending, no
// attempt yet, due at its creation time at.
func checkPending(t *testing.T, what string, d *switchboard.Delivery, orgID string, at time.Time) {
	t.Helper()
	if !switchboard.ValidID(switchboard.PrefixDelivery, d.ID) || d.OrganizationID != orgID ||
		!switchboard.ValidID(switchboard.PrefixEvent, d.EventID) {
		t.Errorf("%s: ID %q, organisation %q, event %q; want a whd_ ID of %s and an evt_ event", what, d.ID, d.OrganizationID, d.EventID, orgID)
	}
	if d.Status != switchboard.DeliveryPending || d.AttemptCount != 0 || d.LastStatusCode != nil || d.DeliveredAt != nil {
		t.Errorf("%s: status %q, %d attempts, last code %v, delivered at %v; want a fresh pending delivery",
			what, d.Status, d.AttemptCount, d.LastStatusCode, d.DeliveredAt)
	}
	if d.NextAttemptAt == nil {
		t.Errorf("%s: no next_attempt_at, want %v", what, at)
	} else {
		checkTime(t, what+": NextAttemptAt", *d.NextAttemptAt, at)
	}
	checkTime(t, what+": CreatedAt", d.CreatedAt, at)
	checkTime(t, what+": UpdatedAt", d.UpdatedAt, at)
	if len(d.Attempts) != 0 {
		t.Errorf("%s: %d attempts, want none", what, len(d.Attempts))
	}
}

// envelope decodes a delivery's payload, failing unless it is exactly
// {"id", "event", "timestamp", "data"} for the delivery's event and carries
// no signing secret.
func envelope(t *testing.T, what string, d *switchboard.Delivery) switchboard.Event {
	t.Helper()
	if bytes.Contains(d.Payload, []byte("whsec_")) {
		t.Errorf("%s: payload carries a signing secret: %s", what, d.Payload)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(d.Payload, &keys); err != nil {
		t.Fatalf("%s: payload %q: %v", what, d.Payload, err)
	}
	if got := slices.Sorted(maps.Keys(keys)); !slices.Equal(got, []string{"data", "event", "id", "timestamp"}) {
		t.Errorf("%s: payload keys %v, want data, event, id, timestamp", what, got)
	}
	var ev switchboard.Event
	if err := json.Unmarshal(d.Payload, &ev); err != nil {
		t.Fatalf("%s: payload %q: %v", what, d.Payload, err)
	}
	if ev.ID != d.EventID || ev.Type != d.Event {
		t.Errorf("%s: payload is event %s %q, delivery says %s %q", what, ev.ID, ev.Type, d.EventID, d.Event)
	}
	var ts string
	if err := json.Unmarshal(keys["timestamp"], &ts); err != nil {
		t.Errorf("%s: timestamp %s is not a string", what, keys["timestamp"])
	} else if p, err := time.Parse(time.RFC3339Nano, ts); err != nil || !p.Equal(d.CreatedAt) {
		t.Errorf("%s: timestamp %s, want the delivery's creation time %v", what, ts, d.CreatedAt)
	}
	return ev
}

// canonicalJSON re-encodes v (or the JSON in a json.RawMessage) with
// sorted keys, so two encodings of the same value compare equal.
func canonicalJSON(t *testing.T, v any) string {
	t.Helper()
	raw, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			t.Fatalf("marshal %T: %v", v, err)
		}
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatalf("unmarshal %s: %v", raw, err)
	}
	out, _ := json.Marshal(generic)
	return string(out)
}

// wantEvent is an event a test expects: its type and its data (compared
// as JSON).
type wantEvent struct {
	typ  string
	data any
}

// receiverLog follows the deliveries to one subscription.
type receiverLog struct {
	f     *fixture
	orgID string
	wh    *switchboard.Webhook
	seen  map[string]bool
}

func (f *fixture) follow(orgID string, wh *switchboard.Webhook) *receiverLog {
	return &receiverLog{f: f, orgID: orgID, wh: wh, seen: map[string]bool{}}
}

// expect checks that the subscription got exactly the events want since
// the last call, in any order, each as a fresh pending delivery at its URL
// due now, with an envelope payload of that event; and returns them.
func (l *receiverLog) expect(what string, want ...wantEvent) []*switchboard.Delivery {
	f, t := l.f, l.f.t
	t.Helper()
	var fresh []*switchboard.Delivery
	for _, d := range f.deliveries(l.orgID, switchboard.DeliveryFilter{WebhookID: l.wh.ID}) {
		if !l.seen[d.ID] {
			l.seen[d.ID] = true
			fresh = append(fresh, f.findDelivery(l.orgID, d.ID))
		}
	}
	type key struct{ typ, data string }
	var got, wanted []key
	events := map[string]bool{}
	for _, d := range fresh {
		checkPending(t, what, d, l.orgID, f.clock.Now())
		if deref(d.WebhookID) != l.wh.ID || d.EndpointID != nil || d.URL != l.wh.URL {
			t.Errorf("%s: delivery to webhook %s endpoint %s at %s; want webhook %s at %s",
				what, deref(d.WebhookID), deref(d.EndpointID), d.URL, l.wh.ID, l.wh.URL)
		}
		ev := envelope(t, what, d)
		if events[ev.ID] {
			t.Errorf("%s: event %s delivered twice to one subscription", what, ev.ID)
		}
		events[ev.ID] = true
		got = append(got, key{ev.Type, canonicalJSON(t, ev.Data)})
	}
	for _, w := range want {
		wanted = append(wanted, key{w.typ, canonicalJSON(t, w.data)})
	}
	cmp := func(a, b key) int { return strings.Compare(a.typ+a.data, b.typ+b.data) }
	slices.SortFunc(got, cmp)
	slices.SortFunc(wanted, cmp)
	if !slices.Equal(got, wanted) {
		t.Errorf("%s: events delivered:\n got %d: %v\nwant %d: %v", what, len(got), got, len(wanted), wanted)
	}
	return fresh
}

// testEventsFromChanges checks that every change a store method makes emits
// exactly its events, with the resource as the API returns it as data.
func testEventsFromChanges(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	all := f.follow(orgID, f.subscribe(orgID, "all", nil, true))
	all.expect("before any change")

	ag := f.agent(orgID, "Support")
	all.expect("agent created", wantEvent{switchboard.EventEndpointCreated, ag.EventView()})

	f.clock.Advance(time.Second)
	wh := f.webhook(orgID, "crm")
	d := all.expect("webhook created", wantEvent{switchboard.EventEndpointCreated, wh.EventView()})
	if len(d) == 1 && bytes.Contains(d[0].Payload, []byte(wh.Secret)) {
		t.Errorf("endpoint.created payload carries the endpoint's secret: %s", d[0].Payload)
	}

	f.clock.Advance(time.Second)
	wh, err := f.s.UpdateEndpoint(f.ctx, orgID, wh.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
		return cur.Apply(switchboard.EndpointPatch{Name: switchboard.Optional[string]{Set: true, Value: "crm v2"}})
	})
	must(t, "UpdateEndpoint", err)
	all.expect("webhook updated", wantEvent{switchboard.EventEndpointUpdated, wh.EventView()})

	f.clock.Advance(time.Second)
	f.stock(numUS1, numUS2, numUS3)
	all.expect("inventory added")

	f.clock.Advance(time.Second)
	n1 := f.claim(orgID, switchboard.ClaimRequest{Number: numUS1, EndpointID: ptr(ag.ID), AllowInbound: true})
	if n1.Endpoint == nil {
		t.Fatalf("claimed number has no endpoint summary: %s", fmtNumber(n1))
	}
	all.expect("claim with endpoint", wantEvent{switchboard.EventPhoneNumberPurchased, n1})
	n2 := f.claim(orgID, switchboard.ClaimRequest{Number: numUS2})
	all.expect("claim", wantEvent{switchboard.EventPhoneNumberPurchased, n2})

	f.clock.Advance(time.Second)
	n2, err = f.s.UpdatePhoneNumber(f.ctx, orgID, n2.ID, switchboard.PhoneNumberPatch{
		EndpointID:         switchboard.Optional[string]{Set: true, Value: wh.ID},
		FallbackEndpointID: switchboard.Optional[string]{Set: true, Value: ag.ID},
	})
	must(t, "UpdatePhoneNumber", err)
	all.expect("number updated", wantEvent{switchboard.EventPhoneNumberUpdated, n2})

	// Deleting the agent detaches n1 (primary) and n2 (fallback), not n3.
	n3 := f.claim(orgID, switchboard.ClaimRequest{Number: numUS3, EndpointID: ptr(wh.ID)})
	all.expect("third claim", wantEvent{switchboard.EventPhoneNumberPurchased, n3})
	f.clock.Advance(time.Second)
	before := f.findEndpoint(orgID, ag.ID)
	detached, err := f.s.DeleteEndpoint(f.ctx, orgID, ag.ID)
	if err != nil || detached != 2 {
		t.Fatalf("DeleteEndpoint = %d, %v; want 2 detached", detached, err)
	}
	gone := all.expect("agent deleted",
		wantEvent{switchboard.EventEndpointDeleted, before.EventView()},
		wantEvent{switchboard.EventPhoneNumberUpdated, f.findNumber(orgID, n1.ID)},
		wantEvent{switchboard.EventPhoneNumberUpdated, f.findNumber(orgID, n2.ID)})
	for _, d := range gone {
		// The agent's SIP password is write-only: it never travels.
		if bytes.Contains(d.Payload, []byte("pw-Support")) {
			t.Errorf("%s payload carries the SIP password: %s", d.Event, d.Payload)
		}
	}

	f.clock.Advance(time.Second)
	rel, err := f.s.ReleaseNumber(f.ctx, orgID, n2.ID)
	must(t, "ReleaseNumber", err)
	all.expect("number released", wantEvent{switchboard.EventPhoneNumberReleased, rel})

	f.clock.Advance(time.Second)
	before = f.findEndpoint(orgID, wh.ID)
	if _, err := f.s.DeleteEndpoint(f.ctx, orgID, wh.ID); err != nil {
		t.Fatalf("DeleteEndpoint: %v", err)
	}
	all.expect("webhook deleted",
		wantEvent{switchboard.EventEndpointDeleted, before.EventView()},
		wantEvent{switchboard.EventPhoneNumberUpdated, f.findNumber(orgID, n3.ID)})

	if n := f.countDeliveries(orgID); n != 13 {
		t.Errorf("the organisation has %d deliveries, want 13", n)
	}
}

// testEventFilters checks who receives an event: active subscriptions of the
// organisation whose filter matches, as they are when the event happens.
func testEventFilters(f *fixture) {
	t := f.t
	orgA, orgB := f.org("acme"), f.org("globex")
	all := f.subscribe(orgA, "all", []string{"*"}, true)
	calls := f.subscribe(orgA, "calls", []string{"call.*"}, true)
	numbers := f.subscribe(orgA, "numbers", []string{"number.*"}, true) // KrosAI's spelling of phone_number.*
	deleted := f.subscribe(orgA, "deleted", []string{"endpoint.deleted", "number.released"}, true)
	inactive := f.subscribe(orgA, "inactive", []string{"*"}, false)
	theirs := f.subscribe(orgB, "theirs", []string{"*"}, true)

	got := func() map[string]int {
		t.Helper()
		out := map[string]int{}
		for _, w := range []*switchboard.Webhook{all, calls, numbers, deleted, inactive} {
			out[w.Description] = len(f.deliveries(orgA, switchboard.DeliveryFilter{WebhookID: w.ID}))
		}
		out["theirs"] = len(f.deliveries(orgB, switchboard.DeliveryFilter{WebhookID: theirs.ID}))
		if n := len(f.deliveries(orgB, switchboard.DeliveryFilter{WebhookID: all.ID})); n != 0 {
			t.Errorf("another organisation lists %d deliveries of A's subscription", n)
		}
		return out
	}
	check := func(what string, want map[string]int) {
		t.Helper()
		if g := got(); !maps.Equal(g, want) {
			t.Errorf("%s: deliveries per subscription %v, want %v", what, g, want)
		}
	}

	ep := f.agent(orgA, "Support")
	f.stock(numUS1)
	f.claim(orgA, switchboard.ClaimRequest{Number: numUS1, EndpointID: ptr(ep.ID)})
	_, err := f.s.DeleteEndpoint(f.ctx, orgA, ep.ID) // endpoint.deleted + phone_number.updated
	must(t, "DeleteEndpoint", err)
	check("after endpoint and number changes", map[string]int{
		"all": 4, "calls": 0, "numbers": 2, "deleted": 1, "inactive": 0, "theirs": 0,
	})
	if n := f.countDeliveries(orgA); n != 7 {
		t.Errorf("A has %d deliveries, want 7", n)
	}
	if n := f.countDeliveries(orgB); n != 0 {
		t.Errorf("B has %d deliveries, want 0", n)
	}

	_, err = f.s.EmitEvent(f.ctx, orgA, switchboard.EventCallCompleted, map[string]string{"call_id": "call_1"}, switchboard.EmitOptions{})
	must(t, "EmitEvent", err)
	check("after a call event", map[string]int{
		"all": 5, "calls": 1, "numbers": 2, "deleted": 1, "inactive": 0, "theirs": 0,
	})

	// Activity and URL are read when the event happens: switching `all`
	// off and `inactive` on, and moving `deleted`, take effect at once.
	setActive := func(w *switchboard.Webhook, active bool) {
		t.Helper()
		_, err := f.s.UpdateWebhook(f.ctx, orgA, w.ID, func(cur *switchboard.Webhook) (*switchboard.Webhook, error) {
			return cur.Apply(switchboard.WebhookPatch{Active: switchboard.Optional[bool]{Set: true, Value: active}})
		})
		must(t, "UpdateWebhook", err)
	}
	setActive(all, false)
	setActive(inactive, true)
	oldURL := deleted.URL
	deleted, err = f.s.UpdateWebhook(f.ctx, orgA, deleted.ID, func(cur *switchboard.Webhook) (*switchboard.Webhook, error) {
		return cur.Apply(switchboard.WebhookPatch{URL: switchboard.Optional[string]{Set: true, Value: "https://moved.example.com/in"}})
	})
	must(t, "UpdateWebhook URL", err)
	f.clock.Advance(time.Second)
	ep = f.webhook(orgA, "later")
	_, err = f.s.DeleteEndpoint(f.ctx, orgA, ep.ID)
	must(t, "DeleteEndpoint", err)
	check("after toggling and moving subscriptions", map[string]int{
		"all": 5, "calls": 1, "numbers": 2, "deleted": 2, "inactive": 2, "theirs": 0,
	})
	list := f.deliveries(orgA, switchboard.DeliveryFilter{WebhookID: deleted.ID})
	if len(list) == 2 && (list[0].URL != deleted.URL || list[1].URL != oldURL) {
		t.Errorf("deliveries of the moved subscription go to %s then %s; want %s (newest) and %s (before the move)",
			list[0].URL, list[1].URL, deleted.URL, oldURL)
	}
}

// testEventAtomicity checks that an operation that fails emits nothing.
func testEventAtomicity(f *fixture) {
	t := f.t
	orgA, orgB := f.org("acme"), f.org("globex")
	f.subscribe(orgA, "all", nil, true)
	theirSub := f.subscribe(orgB, "theirs", nil, true)
	ep, theirs := f.agent(orgA, "Support"), f.agent(orgB, "Theirs")
	f.stock(numUS1, numUS2, numGB1)
	pn := f.claim(orgA, switchboard.ClaimRequest{Number: numUS1, EndpointID: ptr(ep.ID)})
	theirNumber := f.claim(orgB, switchboard.ClaimRequest{Number: numUS2, EndpointID: ptr(theirs.ID)})
	baseA, baseB := f.countDeliveries(orgA), f.countDeliveries(orgB)
	if baseA != 2 || baseB != 2 {
		t.Fatalf("deliveries after setup: A %d, B %d; want 2 each", baseA, baseB)
	}

	sentinel := errors.New("sentinel")
	for _, tc := range []struct {
		name string
		op   func() error
	}{
		{"claim of a held number", func() error {
			_, err := f.s.ClaimNumber(f.ctx, orgA, switchboard.ClaimRequest{Number: numUS2})
			return err
		}},
		{"claim of a number not in the inventory", func() error {
			_, err := f.s.ClaimNumber(f.ctx, orgA, switchboard.ClaimRequest{Number: numNG1})
			return err
		}},
		{"claim with another org's endpoint", func() error {
			_, err := f.s.ClaimNumber(f.ctx, orgA, switchboard.ClaimRequest{Number: numGB1, EndpointID: ptr(theirs.ID)})
			return err
		}},
		{"update whose fn fails", func() error {
			_, err := f.s.UpdateEndpoint(f.ctx, orgA, ep.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
				cur.Name = "not stored"
				return cur, sentinel
			})
			return err
		}},
		{"update of another org's endpoint", func() error {
			_, err := f.s.UpdateEndpoint(f.ctx, orgA, theirs.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
				return cur, nil
			})
			return err
		}},
		{"delete of another org's endpoint", func() error {
			_, err := f.s.DeleteEndpoint(f.ctx, orgA, theirs.ID)
			return err
		}},
		{"number update with another org's endpoint", func() error {
			_, err := f.s.UpdatePhoneNumber(f.ctx, orgA, pn.ID, switchboard.PhoneNumberPatch{
				AllowOutbound: switchboard.Optional[bool]{Set: true, Value: true},
				EndpointID:    switchboard.Optional[string]{Set: true, Value: theirs.ID},
			})
			return err
		}},
		{"number update with a null flag", func() error {
			_, err := f.s.UpdatePhoneNumber(f.ctx, orgA, pn.ID, switchboard.PhoneNumberPatch{
				EndpointID:   switchboard.Optional[string]{Set: true, Null: true},
				AllowInbound: switchboard.Optional[bool]{Set: true, Null: true},
			})
			return err
		}},
		{"release of another org's number", func() error {
			_, err := f.s.ReleaseNumber(f.ctx, orgA, theirNumber.ID)
			return err
		}},
		{"emit to another org's subscription", func() error {
			_, err := f.s.EmitEvent(f.ctx, orgA, switchboard.EventCallRinging, map[string]string{}, switchboard.EmitOptions{WebhookID: theirSub.ID})
			return err
		}},
	} {
		if err := tc.op(); err == nil {
			t.Errorf("%s succeeded, want an error", tc.name)
		}
		if a, b := f.countDeliveries(orgA), f.countDeliveries(orgB); a != baseA || b != baseB {
			t.Errorf("%s: deliveries A %d, B %d; want %d and %d (nothing emitted)", tc.name, a, b, baseA, baseB)
		}
	}
	equalEndpoint(t, "endpoint after failed operations", f.findEndpoint(orgA, ep.ID), ep)
	equalNumber(t, "number after failed operations", f.findNumber(orgA, pn.ID), pn)
}

// testEmitEvent checks EmitEvent's receivers: matching subscriptions, one
// named subscription, and a webhook-type endpoint.
func testEmitEvent(f *fixture) {
	t := f.t
	orgID, other := f.org("acme"), f.org("globex")
	whEp, agEp, theirEp := f.webhook(orgID, "crm"), f.agent(orgID, "Support"), f.webhook(other, "theirs")
	all := f.follow(orgID, f.subscribe(orgID, "all", nil, true))
	calls := f.follow(orgID, f.subscribe(orgID, "calls", []string{"call.*"}, true))
	endpoints := f.follow(orgID, f.subscribe(orgID, "endpoints", []string{"endpoint.*"}, false))
	theirSub := f.subscribe(other, "theirs", nil, true)
	f.clock.Advance(time.Minute)

	data := map[string]any{"call_id": "call_1", "from_number": numUS1, "to_number": numUS2, "duration": 42}
	ev, err := f.s.EmitEvent(f.ctx, orgID, switchboard.EventCallCompleted, data, switchboard.EmitOptions{})
	must(t, "EmitEvent", err)
	if !switchboard.ValidID(switchboard.PrefixEvent, ev.ID) || ev.OrganizationID != orgID || ev.Type != switchboard.EventCallCompleted ||
		canonicalJSON(t, ev.Data) != canonicalJSON(t, data) {
		t.Errorf("EmitEvent = %+v (data %s); want an evt_ %s of %s with the data", ev, ev.Data, switchboard.EventCallCompleted, orgID)
	}
	checkTime(t, "event timestamp", ev.Timestamp, f.clock.Now())
	want := wantEvent{switchboard.EventCallCompleted, data}
	got := append(all.expect("call.completed", want), calls.expect("call.completed", want)...)
	endpoints.expect("call.completed to an inactive endpoint.* subscription")
	if len(got) == 2 {
		if got[0].EventID != ev.ID || got[1].EventID != ev.ID || !bytes.Equal(got[0].Payload, got[1].Payload) {
			t.Errorf("the two deliveries of %s carry events %s and %s, payloads\n%s\n%s",
				ev.ID, got[0].EventID, got[1].EventID, got[0].Payload, got[1].Payload)
		}
	}

	// WebhookID: that subscription alone, whatever its filter and activity.
	f.clock.Advance(time.Second)
	test := map[string]string{"message": "hello"}
	_, err = f.s.EmitEvent(f.ctx, orgID, switchboard.EventWebhookTest, test, switchboard.EmitOptions{WebhookID: endpoints.wh.ID})
	must(t, "EmitEvent webhook.test", err)
	endpoints.expect("webhook.test", wantEvent{switchboard.EventWebhookTest, test})
	all.expect("webhook.test to another subscription")
	calls.expect("webhook.test to another subscription")
	_, err = f.s.EmitEvent(f.ctx, orgID, switchboard.EventCallRinging, data, switchboard.EmitOptions{WebhookID: calls.wh.ID})
	must(t, "EmitEvent to one subscription", err)
	calls.expect("call.ringing to one subscription", wantEvent{switchboard.EventCallRinging, data})
	all.expect("call.ringing to another subscription")
	for _, id := range []string{theirSub.ID, "wh_doesNotExist", "ep_" + strings.TrimPrefix(calls.wh.ID, "wh_"), "garbage"} {
		_, err = f.s.EmitEvent(f.ctx, orgID, switchboard.EventCallRinging, data, switchboard.EmitOptions{WebhookID: id})
		wantCode(t, "EmitEvent to subscription "+id, err, switchboard.ECodeWebhookNotFound)
	}

	// EndpointID: a webhook-type endpoint of the organisation gets its own
	// delivery, at its URL, besides the matching subscriptions.
	f.clock.Advance(time.Second)
	ev, err = f.s.EmitEvent(f.ctx, orgID, switchboard.EventCallAnswered, data, switchboard.EmitOptions{EndpointID: whEp.ID})
	must(t, "EmitEvent to an endpoint", err)
	want = wantEvent{switchboard.EventCallAnswered, data}
	all.expect("call.answered with endpoint", want)
	calls.expect("call.answered with endpoint", want)
	toEndpoint := func(eventID string) []*switchboard.Delivery {
		t.Helper()
		var out []*switchboard.Delivery
		for _, d := range f.deliveries(orgID, switchboard.DeliveryFilter{}) {
			if d.EventID == eventID && d.WebhookID == nil {
				out = append(out, f.findDelivery(orgID, d.ID))
			}
		}
		return out
	}
	if eps := toEndpoint(ev.ID); len(eps) != 1 {
		t.Errorf("call.answered: %d deliveries outside subscriptions, want 1 to %s", len(eps), whEp.ID)
	} else {
		d := eps[0]
		checkPending(t, "endpoint delivery", d, orgID, f.clock.Now())
		if deref(d.EndpointID) != whEp.ID || d.URL != whEp.URL || d.Event != switchboard.EventCallAnswered {
			t.Errorf("endpoint delivery to endpoint %s at %s for %s; want %s at %s", deref(d.EndpointID), d.URL, d.Event, whEp.ID, whEp.URL)
		}
		if e := envelope(t, "endpoint delivery", d); canonicalJSON(t, e.Data) != canonicalJSON(t, data) || e.ID != ev.ID {
			t.Errorf("endpoint delivery payload %s, want event %s with the call", d.Payload, ev.ID)
		}
	}

	// An agent endpoint, another org's endpoint or a missing one add nothing.
	for _, id := range []string{agEp.ID, theirEp.ID, "ep_doesNotExist", "pn_x"} {
		ev, err := f.s.EmitEvent(f.ctx, orgID, switchboard.EventCallFailed, data, switchboard.EmitOptions{EndpointID: id})
		must(t, "EmitEvent to endpoint "+id, err)
		all.expect("call.failed with endpoint "+id, wantEvent{switchboard.EventCallFailed, data})
		calls.expect("call.failed with endpoint "+id, wantEvent{switchboard.EventCallFailed, data})
		if eps := toEndpoint(ev.ID); len(eps) != 0 {
			t.Errorf("call.failed with endpoint %s: %d endpoint deliveries, want none", id, len(eps))
		}
	}

	// Both: the named subscription and the endpoint, nothing else.
	ev, err = f.s.EmitEvent(f.ctx, orgID, switchboard.EventWebhookTest, test,
		switchboard.EmitOptions{WebhookID: all.wh.ID, EndpointID: whEp.ID})
	must(t, "EmitEvent to a subscription and an endpoint", err)
	all.expect("webhook.test with endpoint", wantEvent{switchboard.EventWebhookTest, test})
	calls.expect("webhook.test with endpoint")
	if eps := toEndpoint(ev.ID); len(eps) != 1 || deref(eps[0].EndpointID) != whEp.ID {
		t.Errorf("webhook.test with endpoint: %d endpoint deliveries, want 1 to %s", len(eps), whEp.ID)
	}
	if n := f.countDeliveries(other); n != 0 {
		t.Errorf("another organisation got %d deliveries", n)
	}
}

// testConcurrentEvents checks that events emitted at once, by changes and
// by EmitEvent, each get their delivery.
func testConcurrentEvents(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	sub := f.subscribe(orgID, "all", nil, true)
	errs := race(func(i int) error {
		if i%2 == 0 {
			_, err := f.s.EmitEvent(f.ctx, orgID, switchboard.EventCallInitiated, map[string]int{"n": i}, switchboard.EmitOptions{})
			return err
		}
		e, err := switchboard.NewEndpoint(switchboard.EndpointInput{Name: fmt.Sprint("ep", i), Type: "webhook", URL: "https://example.com/x"})
		if err != nil {
			return err
		}
		return f.s.CreateEndpoint(f.ctx, orgID, e)
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	list := f.deliveries(orgID, switchboard.DeliveryFilter{WebhookID: sub.ID})
	events := map[string]bool{}
	for _, d := range list {
		events[d.EventID] = true
	}
	if len(list) != workers || len(events) != workers {
		t.Errorf("%d deliveries of %d events, want %d of %d", len(list), len(events), workers, workers)
	}
}
