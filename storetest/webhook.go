package storetest

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

func (f *fixture) findWebhook(orgID, id string) *switchboard.Webhook {
	f.t.Helper()
	w, err := f.s.FindWebhook(f.ctx, orgID, id)
	if err != nil {
		f.t.Fatalf("FindWebhook(%s): %v", id, err)
	}
	return w
}

// equalWebhook compares every field, following pointers.
func equalWebhook(t *testing.T, what string, got, want *switchboard.Webhook) {
	t.Helper()
	if got == nil || want == nil {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
	g, w := *got, *want
	checkTime(t, what+": CreatedAt", g.CreatedAt, w.CreatedAt)
	checkTime(t, what+": UpdatedAt", g.UpdatedAt, w.UpdatedAt)
	switch gp, wp := g.PreviousSecretExpiresAt, w.PreviousSecretExpiresAt; {
	case gp == nil && wp == nil:
	case gp == nil || wp == nil:
		t.Errorf("%s: PreviousSecretExpiresAt = %v, want %v", what, gp, wp)
	default:
		checkTime(t, what+": PreviousSecretExpiresAt", *gp, *wp)
	}
	g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	g.PreviousSecretExpiresAt, w.PreviousSecretExpiresAt = nil, nil
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

func testWebhookCRUD(f *fixture) {
	t := f.t
	orgID := f.org("acme")

	w := f.subscribe(orgID, "crm", []string{"number.purchased", "call.*"}, true)
	if !switchboard.ValidID(switchboard.PrefixWebhook, w.ID) || w.OrganizationID != orgID {
		t.Errorf("CreateWebhook set ID %q, organisation %q; want a wh_ ID of %s", w.ID, w.OrganizationID, orgID)
	}
	checkTime(t, "CreatedAt", w.CreatedAt, f.clock.Now())
	checkTime(t, "UpdatedAt", w.UpdatedAt, f.clock.Now())
	got := f.findWebhook(orgID, w.ID)
	equalWebhook(t, "found", got, w)
	if !slices.Equal(got.Events, []string{switchboard.EventPhoneNumberPurchased, "call.*"}) || !got.Active ||
		got.Description != "crm" || !strings.HasPrefix(got.Secret, "whsec_") || got.PreviousSecret != "" || got.PreviousSecretExpiresAt != nil {
		t.Errorf("found %+v; want normalised events, active, its description and secret, no previous secret", got)
	}
	off := f.subscribe(orgID, "off", nil, false)
	if got := f.findWebhook(orgID, off.ID); got.Active || !slices.Equal(got.Events, []string{"*"}) {
		t.Errorf("inactive subscription found as %+v; want inactive, events [*]", got)
	}

	// Update through fn, in a transaction.
	f.clock.Advance(time.Minute)
	calls := 0
	updated, err := f.s.UpdateWebhook(f.ctx, orgID, w.ID, func(cur *switchboard.Webhook) (*switchboard.Webhook, error) {
		calls++
		equalWebhook(t, "webhook passed to fn", cur, w)
		return cur.Apply(switchboard.WebhookPatch{
			URL:         switchboard.Optional[string]{Set: true, Value: "https://new.example.com/in"},
			Events:      switchboard.Optional[[]string]{Set: true, Value: []string{"endpoint.*"}},
			Active:      switchboard.Optional[bool]{Set: true, Value: false},
			Description: switchboard.Optional[string]{Set: true, Null: true},
		})
	})
	must(t, "UpdateWebhook", err)
	if calls != 1 {
		t.Errorf("fn called %d times, want 1", calls)
	}
	want := *w
	want.URL, want.Events, want.Active, want.Description = "https://new.example.com/in", []string{"endpoint.*"}, false, ""
	want.UpdatedAt = f.clock.Now()
	equalWebhook(t, "updated", updated, &want)
	equalWebhook(t, "found after update", f.findWebhook(orgID, w.ID), &want)

	// An error from fn is returned as is and changes nothing.
	f.clock.Advance(time.Minute)
	sentinel := errors.New("sentinel")
	_, err = f.s.UpdateWebhook(f.ctx, orgID, w.ID, func(cur *switchboard.Webhook) (*switchboard.Webhook, error) {
		cur.URL = "https://not.stored.example.com"
		return cur, sentinel
	})
	if !errors.Is(err, sentinel) {
		t.Errorf("UpdateWebhook returned %v, want fn's error", err)
	}
	_, err = f.s.UpdateWebhook(f.ctx, orgID, w.ID, func(cur *switchboard.Webhook) (*switchboard.Webhook, error) {
		return cur.Apply(switchboard.WebhookPatch{Events: switchboard.Optional[[]string]{Set: true, Value: []string{"nope"}}})
	})
	wantCode(t, "UpdateWebhook with an unknown event", err, switchboard.ECodeValidation)
	equalWebhook(t, "found after failed updates", f.findWebhook(orgID, w.ID), &want)

	// The store owns identity, creation time and the secrets.
	f.clock.Advance(time.Minute)
	updated, err = f.s.UpdateWebhook(f.ctx, orgID, w.ID, func(cur *switchboard.Webhook) (*switchboard.Webhook, error) {
		n := *cur
		n.ID, n.OrganizationID, n.CreatedAt = "wh_other", "org_other", time.Unix(0, 0)
		n.Secret, n.PreviousSecret, n.PreviousSecretExpiresAt = "whsec_forged", "whsec_old", ptr(time.Unix(1, 0))
		n.Description = "renamed"
		return &n, nil
	})
	must(t, "UpdateWebhook tampering", err)
	want.Description, want.UpdatedAt = "renamed", f.clock.Now()
	equalWebhook(t, "updated with tampered identity and secrets", updated, &want)
	equalWebhook(t, "found after tampered update", f.findWebhook(orgID, w.ID), &want)

	// Delete: gone for every method, and its delivery log stays.
	ep := f.agent(orgID, "Support") // to nobody: both subscriptions are inactive
	_, err = f.s.EmitEvent(f.ctx, orgID, switchboard.EventWebhookTest, map[string]string{}, switchboard.EmitOptions{WebhookID: w.ID})
	must(t, "EmitEvent", err)
	must(t, "DeleteWebhook", f.s.DeleteWebhook(f.ctx, orgID, w.ID))
	_, err = f.s.FindWebhook(f.ctx, orgID, w.ID)
	wantCode(t, "FindWebhook after delete", err, switchboard.ECodeWebhookNotFound)
	wantCode(t, "DeleteWebhook twice", f.s.DeleteWebhook(f.ctx, orgID, w.ID), switchboard.ECodeWebhookNotFound)
	_, err = f.s.UpdateWebhook(f.ctx, orgID, w.ID, func(cur *switchboard.Webhook) (*switchboard.Webhook, error) {
		t.Error("fn called for a deleted webhook")
		return cur, nil
	})
	wantCode(t, "UpdateWebhook after delete", err, switchboard.ECodeWebhookNotFound)
	_, err = f.s.RotateWebhookSecret(f.ctx, orgID, w.ID)
	wantCode(t, "RotateWebhookSecret after delete", err, switchboard.ECodeWebhookNotFound)
	_, err = f.s.EmitEvent(f.ctx, orgID, switchboard.EventWebhookTest, map[string]string{}, switchboard.EmitOptions{WebhookID: w.ID})
	wantCode(t, "EmitEvent to a deleted webhook", err, switchboard.ECodeWebhookNotFound)
	if log := f.deliveries(orgID, switchboard.DeliveryFilter{WebhookID: w.ID}); len(log) != 1 ||
		deref(log[0].WebhookID) != w.ID || log[0].Event != switchboard.EventWebhookTest {
		t.Errorf("deleted subscription's deliveries = %v; want its webhook.test delivery, still under its ID", ids(log, deliveryID))
	} else {
		d := f.findDelivery(orgID, log[0].ID)
		envelope(t, "delivery of a deleted subscription", d)
	}
	list, total, err := f.s.ListWebhooks(f.ctx, orgID, switchboard.Page{})
	must(t, "ListWebhooks", err)
	equalIDs(t, "webhooks after delete", ids(list, webhookID), []string{off.ID})
	if total != 1 {
		t.Errorf("total = %d, want 1", total)
	}
	// Deleting a subscription leaves the rest alone.
	f.findEndpoint(orgID, ep.ID)
	equalWebhook(t, "other subscription", f.findWebhook(orgID, off.ID), off)
}

func testWebhookBadIDs(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	f.subscribe(orgID, "crm", nil, true)
	for _, id := range []string{
		"ep_x", "garbage", "", "wh_", "wh_doesNotExist123", "wh_x' OR '1'='1", "wh_" + strings.Repeat("a", 200), "WH_abc", "whd_abc",
	} {
		_, err := f.s.FindWebhook(f.ctx, orgID, id)
		wantCode(t, "FindWebhook("+id+")", err, switchboard.ECodeWebhookNotFound)
		_, err = f.s.UpdateWebhook(f.ctx, orgID, id, func(cur *switchboard.Webhook) (*switchboard.Webhook, error) {
			t.Errorf("fn called for %q", id)
			return cur, nil
		})
		wantCode(t, "UpdateWebhook("+id+")", err, switchboard.ECodeWebhookNotFound)
		wantCode(t, "DeleteWebhook("+id+")", f.s.DeleteWebhook(f.ctx, orgID, id), switchboard.ECodeWebhookNotFound)
		_, err = f.s.RotateWebhookSecret(f.ctx, orgID, id)
		wantCode(t, "RotateWebhookSecret("+id+")", err, switchboard.ECodeWebhookNotFound)
	}
	for _, id := range []string{"wh_x", "garbage", "", "whd_", "whd_doesNotExist123", "whd_x' OR '1'='1", "WHD_abc"} {
		_, err := f.s.FindDelivery(f.ctx, orgID, id)
		wantCode(t, "FindDelivery("+id+")", err, switchboard.ECodeDeliveryNotFound)
	}
	if _, total, err := f.s.ListWebhooks(f.ctx, orgID, switchboard.Page{}); err != nil || total != 1 {
		t.Errorf("ListWebhooks after bad deletes = %d, %v; want 1", total, err)
	}
}

func testWebhookList(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	var all []*switchboard.Webhook
	for i, name := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		if i < 4 {
			f.clock.Advance(time.Second) // the last three share an instant
		}
		all = append(all, f.subscribe(orgID, name, nil, i%2 == 0))
	}
	order := newestFirst(all, func(w *switchboard.Webhook) time.Time { return w.CreatedAt }, webhookID)

	list, total, err := f.s.ListWebhooks(f.ctx, orgID, switchboard.Page{})
	must(t, "ListWebhooks", err)
	equalIDs(t, "order", ids(list, webhookID), order)
	if total != len(all) {
		t.Errorf("total = %d, want %d", total, len(all))
	}
	for _, w := range list {
		i := slices.IndexFunc(all, func(x *switchboard.Webhook) bool { return x.ID == w.ID })
		if i >= 0 {
			equalWebhook(t, "listed "+w.ID, w, all[i])
		}
	}
	for _, p := range []switchboard.Page{{Limit: 3}, {Limit: 3, Offset: 3}, {Limit: 3, Offset: 6}, {Limit: 2, Offset: 1}, {Offset: 7}} {
		list, total, err := f.s.ListWebhooks(f.ctx, orgID, p)
		must(t, "ListWebhooks page", err)
		end := min(len(order), p.Offset+p.Limit)
		if p.Limit == 0 {
			end = len(order)
		}
		equalIDs(t, "page", ids(list, webhookID), order[min(p.Offset, len(order)):end])
		if total != len(all) {
			t.Errorf("page %+v: total = %d, want %d", p, total, len(all))
		}
	}
}

func testWebhookIsolation(f *fixture) {
	t := f.t
	orgA, orgB := f.org("acme"), f.org("globex")
	w := f.subscribe(orgA, "ours", nil, true)
	theirs := f.subscribe(orgB, "theirs", nil, true)
	f.agent(orgA, "Support") // one delivery, to w

	_, err := f.s.FindWebhook(f.ctx, orgB, w.ID)
	wantCode(t, "FindWebhook from another org", err, switchboard.ECodeWebhookNotFound)
	_, err = f.s.UpdateWebhook(f.ctx, orgB, w.ID, func(cur *switchboard.Webhook) (*switchboard.Webhook, error) {
		t.Error("fn called with another organisation's webhook")
		return cur, nil
	})
	wantCode(t, "UpdateWebhook from another org", err, switchboard.ECodeWebhookNotFound)
	_, err = f.s.RotateWebhookSecret(f.ctx, orgB, w.ID)
	wantCode(t, "RotateWebhookSecret from another org", err, switchboard.ECodeWebhookNotFound)
	wantCode(t, "DeleteWebhook from another org", f.s.DeleteWebhook(f.ctx, orgB, w.ID), switchboard.ECodeWebhookNotFound)

	ours := f.deliveries(orgA, switchboard.DeliveryFilter{})
	if len(ours) != 1 {
		t.Fatalf("A has %d deliveries, want 1", len(ours))
	}
	_, err = f.s.FindDelivery(f.ctx, orgB, ours[0].ID)
	wantCode(t, "FindDelivery from another org", err, switchboard.ECodeDeliveryNotFound)
	if l := f.deliveries(orgB, switchboard.DeliveryFilter{}); len(l) != 0 {
		t.Errorf("B lists %d deliveries, want none", len(l))
	}

	listB, totalB, err := f.s.ListWebhooks(f.ctx, orgB, switchboard.Page{})
	must(t, "ListWebhooks B", err)
	equalIDs(t, "B's webhooks", ids(listB, webhookID), []string{theirs.ID})
	if totalB != 1 {
		t.Errorf("B's total = %d, want 1", totalB)
	}
	equalWebhook(t, "A's webhook after B's attempts", f.findWebhook(orgA, w.ID), w)
}

func testWebhookRotate(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	w := f.subscribe(orgID, "crm", nil, true)
	first := w.Secret
	if got := w.SigningSecrets(f.clock.Now()); !slices.Equal(got, []string{first}) {
		t.Errorf("SigningSecrets before rotation = %v, want only the secret", got)
	}

	f.clock.Advance(time.Hour)
	rotated, err := f.s.RotateWebhookSecret(f.ctx, orgID, w.ID)
	must(t, "RotateWebhookSecret", err)
	rotatedAt := f.clock.Now()
	want := *w
	want.Secret = rotated.Secret
	want.PreviousSecret, want.PreviousSecretExpiresAt = first, ptr(rotatedAt.Add(24*time.Hour))
	want.UpdatedAt = rotatedAt
	equalWebhook(t, "rotated", rotated, &want)
	if !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.Secret == first {
		t.Errorf("new secret %q; want a fresh whsec_ secret", rotated.Secret)
	}
	found := f.findWebhook(orgID, w.ID)
	equalWebhook(t, "found after rotation", found, &want)

	if got := found.SigningSecrets(f.clock.Now()); !slices.Equal(got, []string{rotated.Secret, first}) {
		t.Errorf("SigningSecrets right after rotation = %v, want new then old", got)
	}
	f.clock.Advance(24*time.Hour - time.Microsecond)
	if got := f.findWebhook(orgID, w.ID).SigningSecrets(f.clock.Now()); len(got) != 2 {
		t.Errorf("SigningSecrets just before expiry = %v, want both", got)
	}
	f.clock.Advance(time.Microsecond)
	if got := f.findWebhook(orgID, w.ID).SigningSecrets(f.clock.Now()); !slices.Equal(got, []string{rotated.Secret}) {
		t.Errorf("SigningSecrets at expiry = %v, want only the new secret", got)
	}

	// A second rotation keeps only the secret it replaces.
	again, err := f.s.RotateWebhookSecret(f.ctx, orgID, w.ID)
	must(t, "second RotateWebhookSecret", err)
	if again.PreviousSecret != rotated.Secret || again.Secret == rotated.Secret || again.Secret == first ||
		again.PreviousSecretExpiresAt == nil || !again.PreviousSecretExpiresAt.Equal(f.clock.Now().Add(24*time.Hour)) {
		t.Errorf("second rotation = %+v; want previous %s until %v", again, rotated.Secret, f.clock.Now().Add(24*time.Hour))
	}
	equalWebhook(t, "found after second rotation", f.findWebhook(orgID, w.ID), again)
}

// testDeliveryList checks the delivery log's order, filters and paging.
func testDeliveryList(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	all := f.subscribe(orgID, "all", nil, true)
	eps := f.subscribe(orgID, "endpoints", []string{"endpoint.*"}, true)
	f.clock.Advance(time.Second)
	ep := f.agent(orgID, "a") // 2 deliveries
	f.clock.Advance(time.Second)
	f.webhook(orgID, "b") // 2, at another instant
	f.webhook(orgID, "c") // 2, at the same instant
	f.clock.Advance(time.Second)
	_, err := f.s.DeleteEndpoint(f.ctx, orgID, ep.ID) // 2
	must(t, "DeleteEndpoint", err)
	f.clock.Advance(time.Second)
	for range 3 { // 3, to all only
		_, err := f.s.EmitEvent(f.ctx, orgID, switchboard.EventCallCompleted, map[string]string{}, switchboard.EmitOptions{})
		must(t, "EmitEvent", err)
	}

	every := f.deliveries(orgID, switchboard.DeliveryFilter{})
	if len(every) != 11 {
		t.Fatalf("%d deliveries, want 11", len(every))
	}
	order := newestFirst(every, deliveryCreated, deliveryID)
	equalIDs(t, "order", ids(every, deliveryID), order)
	for _, d := range every {
		if d.Payload != nil || d.Attempts != nil {
			t.Errorf("listed delivery %s has payload %q and %d attempts; lists carry neither", d.ID, d.Payload, len(d.Attempts))
		}
		found := f.findDelivery(orgID, d.ID)
		if len(found.Payload) == 0 {
			t.Errorf("FindDelivery(%s) has no payload", d.ID)
		}
		envelope(t, "found "+d.ID, found)
		found.Payload, found.Attempts = nil, nil
		if !reflect.DeepEqual(found, d) {
			t.Errorf("found delivery differs from listed:\n got %+v\nwant %+v", found, d)
		}
	}

	count := func(what string, filter switchboard.DeliveryFilter, want int, check func(*switchboard.Delivery) bool) {
		t.Helper()
		list := f.deliveries(orgID, filter)
		if len(list) != want {
			t.Errorf("%s: %d deliveries, want %d", what, len(list), want)
		}
		var sub []*switchboard.Delivery
		for _, d := range every {
			if check(d) {
				sub = append(sub, d)
			}
		}
		equalIDs(t, what, ids(list, deliveryID), ids(sub, deliveryID))
	}
	count("webhook all", switchboard.DeliveryFilter{WebhookID: all.ID}, 7,
		func(d *switchboard.Delivery) bool { return deref(d.WebhookID) == all.ID })
	count("webhook endpoints", switchboard.DeliveryFilter{WebhookID: eps.ID}, 4,
		func(d *switchboard.Delivery) bool { return deref(d.WebhookID) == eps.ID })
	count("event endpoint.created", switchboard.DeliveryFilter{Event: switchboard.EventEndpointCreated}, 6,
		func(d *switchboard.Delivery) bool { return d.Event == switchboard.EventEndpointCreated })
	count("webhook and event", switchboard.DeliveryFilter{WebhookID: eps.ID, Event: switchboard.EventEndpointDeleted}, 1,
		func(d *switchboard.Delivery) bool {
			return deref(d.WebhookID) == eps.ID && d.Event == switchboard.EventEndpointDeleted
		})
	count("pending", switchboard.DeliveryFilter{Status: switchboard.DeliveryPending}, 11,
		func(d *switchboard.Delivery) bool { return true })
	count("failed", switchboard.DeliveryFilter{Status: switchboard.DeliveryFailed}, 0,
		func(d *switchboard.Delivery) bool { return false })
	count("delivered, of webhook all", switchboard.DeliveryFilter{Status: switchboard.DeliveryDelivered, WebhookID: all.ID}, 0,
		func(d *switchboard.Delivery) bool { return false })
	count("unknown webhook", switchboard.DeliveryFilter{WebhookID: "wh_doesNotExist"}, 0,
		func(d *switchboard.Delivery) bool { return false })

	for _, p := range []switchboard.Page{{Limit: 4}, {Limit: 4, Offset: 4}, {Limit: 4, Offset: 8}, {Limit: 5, Offset: 3}, {Offset: 11}} {
		list, total, err := f.s.ListDeliveries(f.ctx, orgID, switchboard.DeliveryFilter{Page: p})
		must(t, "ListDeliveries page", err)
		end := min(len(order), p.Offset+p.Limit)
		if p.Limit == 0 {
			end = len(order)
		}
		equalIDs(t, "page", ids(list, deliveryID), order[min(p.Offset, len(order)):end])
		if total != len(order) {
			t.Errorf("page %+v: total = %d, want %d", p, total, len(order))
		}
	}
	list, total, err := f.s.ListDeliveries(f.ctx, orgID, switchboard.DeliveryFilter{
		WebhookID: all.ID, Page: switchboard.Page{Limit: 2, Offset: 1},
	})
	must(t, "ListDeliveries filtered page", err)
	var allOrder []string
	for _, d := range every {
		if deref(d.WebhookID) == all.ID {
			allOrder = append(allOrder, d.ID)
		}
	}
	equalIDs(t, "filtered page", ids(list, deliveryID), allOrder[1:3])
	if total != 7 {
		t.Errorf("filtered page: total = %d, want 7", total)
	}
}
