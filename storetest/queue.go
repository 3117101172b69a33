package storetest

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// lease is how long the queue tests lease what they claim.
const lease = time.Minute

// claimJobs claims up to limit deliveries for owner with a lease of lease.
func (f *fixture) claimJobs(owner string, limit int) []*switchboard.DeliveryJob {
	f.t.Helper()
	jobs, err := f.s.ClaimDeliveries(f.ctx, owner, limit, lease)
	if err != nil {
		f.t.Fatalf("ClaimDeliveries(%s, %d): %v", owner, limit, err)
	}
	return jobs
}

// wantClaim claims for owner and fails unless it got exactly the
// deliveries want, in that order; it returns the jobs by ID.
func (f *fixture) wantClaim(what, owner string, limit int, want ...string) map[string]*switchboard.DeliveryJob {
	f.t.Helper()
	jobs := f.claimJobs(owner, limit)
	equalIDs(f.t, what, ids(jobs, jobID), want)
	out := map[string]*switchboard.DeliveryJob{}
	for _, j := range jobs {
		out[j.ID] = j
	}
	return out
}

// wantClaimSet is wantClaim for deliveries due at the same instant, whose
// order is not specified.
func (f *fixture) wantClaimSet(what, owner string, limit int, want ...string) map[string]*switchboard.DeliveryJob {
	f.t.Helper()
	jobs := f.claimJobs(owner, limit)
	got := ids(jobs, jobID)
	slices.Sort(got)
	equalIDs(f.t, what, got, slices.Sorted(slices.Values(want)))
	out := map[string]*switchboard.DeliveryJob{}
	for _, j := range jobs {
		out[j.ID] = j
	}
	return out
}

// emitEach emits n call events to the subscription alone, a second apart
// so that they fall due in that order, and returns their deliveries.
func (f *fixture) emitEach(orgID, webhookID string, n int) []string {
	f.t.Helper()
	out := make([]string, n)
	for i := range out {
		if i > 0 {
			f.clock.Advance(time.Second)
		}
		out[i] = f.emitTo(orgID, webhookID)
	}
	return out
}

func (f *fixture) finish(owner string, results ...switchboard.DeliveryResult) {
	f.t.Helper()
	if err := f.s.FinishDeliveries(f.ctx, owner, results); err != nil {
		f.t.Fatalf("FinishDeliveries(%s): %v", owner, err)
	}
}

func (f *fixture) countPending() int {
	f.t.Helper()
	n, err := f.s.CountPendingDeliveries(f.ctx)
	if err != nil {
		f.t.Fatalf("CountPendingDeliveries: %v", err)
	}
	return n
}

func jobID(j *switchboard.DeliveryJob) string { return j.ID }

// emit emits a call event with opts and returns its deliveries' IDs by
// receiver (subscription or endpoint ID).
func (f *fixture) emit(orgID string, opts switchboard.EmitOptions) map[string]string {
	f.t.Helper()
	ev, err := f.s.EmitEvent(f.ctx, orgID, switchboard.EventCallCompleted, map[string]string{"call_id": "c"}, opts)
	if err != nil {
		f.t.Fatalf("EmitEvent(%+v): %v", opts, err)
	}
	out := map[string]string{}
	for _, d := range f.deliveries(orgID, switchboard.DeliveryFilter{}) {
		switch {
		case d.EventID != ev.ID:
		case d.WebhookID != nil:
			out[*d.WebhookID] = d.ID
		case d.EndpointID != nil:
			out[*d.EndpointID] = d.ID
		}
	}
	return out
}

// emitTo emits a call event to the subscription alone and returns its
// delivery's ID.
func (f *fixture) emitTo(orgID, webhookID string) string {
	f.t.Helper()
	id := f.emit(orgID, switchboard.EmitOptions{WebhookID: webhookID})[webhookID]
	if id == "" {
		f.t.Fatalf("EmitEvent to %s made no delivery to it", webhookID)
	}
	return id
}

// Outcomes of an attempt, as a worker reports them.
func delivered(id string, code int, at time.Time) switchboard.DeliveryResult {
	return switchboard.DeliveryResult{ID: id, Status: switchboard.DeliveryDelivered,
		Attempt: switchboard.DeliveryAttempt{AttemptedAt: at, StatusCode: code, LatencyMS: 12, ResponseExcerpt: "ok"}}
}

func failed(id string, code int, at time.Time) switchboard.DeliveryResult {
	return switchboard.DeliveryResult{ID: id, Status: switchboard.DeliveryFailed,
		Attempt: switchboard.DeliveryAttempt{AttemptedAt: at, StatusCode: code, LatencyMS: 30, ResponseExcerpt: "nope"}}
}

func retryAt(id string, next, at time.Time) switchboard.DeliveryResult {
	return switchboard.DeliveryResult{ID: id, Status: switchboard.DeliveryPending, NextAttemptAt: next,
		Attempt: switchboard.DeliveryAttempt{AttemptedAt: at, LatencyMS: 10000, Error: "timeout"}}
}

// checkDelivery checks the queue state of a delivery as FindDelivery shows
// it: status, attempts made, next attempt (nil for none), last status code
// (0 for none), delivery time (nil for none) and the attempts' status codes.
func (f *fixture) checkDelivery(what, orgID, id, status string, next *time.Time, lastCode int, deliveredAt *time.Time, codes ...int) *switchboard.Delivery {
	f.t.Helper()
	t := f.t
	d := f.findDelivery(orgID, id)
	var got []int
	for i, a := range d.Attempts {
		got = append(got, a.StatusCode)
		if a.Number != i+1 {
			t.Errorf("%s: attempt %d is numbered %d", what, i+1, a.Number)
		}
	}
	if d.Status != status || d.AttemptCount != len(codes) || !slices.Equal(got, codes) {
		t.Errorf("%s: status %s, %d attempts with codes %v; want %s, %d with %v", what, d.Status, d.AttemptCount, got, status, len(codes), codes)
	}
	checkOptTime(t, what+": NextAttemptAt", d.NextAttemptAt, next)
	checkOptTime(t, what+": DeliveredAt", d.DeliveredAt, deliveredAt)
	switch {
	case lastCode == 0 && d.LastStatusCode != nil:
		t.Errorf("%s: last status code %d, want none", what, *d.LastStatusCode)
	case lastCode != 0 && (d.LastStatusCode == nil || *d.LastStatusCode != lastCode):
		t.Errorf("%s: last status code %s, want %d", what, fmtInt(d.LastStatusCode), lastCode)
	}
	return d
}

func checkOptTime(t interface {
	Helper()
	Errorf(string, ...any)
}, what string, got, want *time.Time) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", what, got, want)
	case !got.Equal(*want) || got.Location() != time.UTC:
		t.Errorf("%s = %v, want %v (UTC)", what, *got, *want)
	}
}

func fmtInt(p *int) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprint(*p)
}

// testQueueClaim checks which deliveries a claim leases, in what order,
// and that a lapsed lease frees them again.
func testQueueClaim(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	sub := f.subscribe(orgID, "all", nil, true)
	var d []string
	for range 5 {
		d = append(d, f.emitTo(orgID, sub.ID))
		f.clock.Advance(time.Second)
	}
	if n := f.countPending(); n != 5 {
		t.Errorf("CountPendingDeliveries = %d, want 5", n)
	}
	if jobs, err := f.s.ClaimDeliveries(f.ctx, "a", 0, lease); err != nil || len(jobs) != 0 {
		t.Errorf("claim of 0 = %d jobs, %v; want none", len(jobs), err)
	}

	// Oldest due first, up to the limit; a live lease hides a delivery.
	start := f.clock.Now()
	first := f.wantClaim("first claim, limit 2", "a", 2, d[0], d[1])
	f.wantClaim("second claim", "b", 10, d[2], d[3], d[4])
	f.wantClaim("claim while all are leased", "c", 10)

	// The job carries everything the worker needs.
	found := f.findDelivery(orgID, d[0])
	if j := first[d[0]]; j != nil {
		want := switchboard.DeliveryJob{
			ID: d[0], OrganizationID: orgID, WebhookID: ptr(sub.ID), EventID: found.EventID, URL: sub.URL,
			Payload: found.Payload, Secrets: []string{sub.Secret},
		}
		if !reflect.DeepEqual(*j, want) {
			t.Errorf("job:\n got %+v\nwant %+v", *j, want)
		}
		if !bytes.Equal(j.Payload, found.Payload) || len(j.Payload) == 0 {
			t.Errorf("job payload %s, FindDelivery payload %s; want the same bytes", j.Payload, found.Payload)
		}
	}
	checkPending(t, "claimed delivery", found, orgID, start.Add(-5*time.Second))

	// A retry in the future is not due until its time.
	f.finish("a", retryAt(d[0], start.Add(time.Hour), start), delivered(d[1], 200, start))
	if n := f.countPending(); n != 4 {
		t.Errorf("CountPendingDeliveries after one delivered = %d, want 4", n)
	}
	f.wantClaim("claim after finishing", "c", 10)

	// Crash recovery: b never finishes; its leases lapse at start+lease.
	f.clock.Advance(lease - time.Microsecond)
	f.wantClaim("claim just before the leases lapse", "c", 10)
	f.clock.Advance(time.Microsecond)
	for id, j := range f.wantClaim("claim when the leases lapse", "c", 10, d[2], d[3], d[4]) {
		if j.AttemptCount != 0 {
			t.Errorf("reclaimed %s has %d attempts, want 0", id, j.AttemptCount)
		}
	}

	// c's leases lapse too; d[0] is due only at start+1h, last of all.
	f.clock.Advance(start.Add(time.Hour - time.Microsecond).Sub(f.clock.Now()))
	f.wantClaim("claim before the retry is due", "d", 10, d[2], d[3], d[4])
	f.clock.Advance(time.Microsecond)
	if j := f.wantClaim("claim when the retry is due", "e", 10, d[0])[d[0]]; j != nil && j.AttemptCount != 1 {
		t.Errorf("retried job has AttemptCount %d, want 1", j.AttemptCount)
	}
	f.clock.Advance(lease)
	f.wantClaim("claim of everything lapsed, oldest due first", "f", 10, d[2], d[3], d[4], d[0])
	if n := f.countPending(); n != 4 {
		t.Errorf("CountPendingDeliveries = %d, want 4 (leased deliveries are pending)", n)
	}
}

// testQueueConcurrentClaim checks that owners claiming at once never get
// the same delivery, and that between them they get all.
func testQueueConcurrentClaim(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	for i := range 4 {
		f.subscribe(orgID, fmt.Sprint("s", i), nil, true)
	}
	for range 16 {
		if _, err := f.s.EmitEvent(f.ctx, orgID, switchboard.EventCallRinging, map[string]string{}, switchboard.EmitOptions{}); err != nil {
			t.Fatalf("EmitEvent: %v", err)
		}
	}
	got := make([][]string, workers)
	errs := race(func(i int) error {
		for range 64 { // a store that hands out leased deliveries again would loop forever
			jobs, err := f.s.ClaimDeliveries(f.ctx, fmt.Sprint("worker", i), 3, lease)
			if err != nil || len(jobs) == 0 {
				return err
			}
			got[i] = append(got[i], ids(jobs, jobID)...)
		}
		return fmt.Errorf("still claiming after 64 claims")
	})
	owner := map[string]int{}
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
		for _, id := range got[i] {
			if prev, ok := owner[id]; ok {
				t.Errorf("workers %d and %d both claimed %s", prev, i, id)
			}
			owner[id] = i
		}
	}
	if len(owner) != 64 {
		t.Errorf("workers claimed %d distinct deliveries, want all 64", len(owner))
	}
	f.wantClaim("claim after the race", "late", 100)
}

// testQueueFinish checks what FinishDeliveries records, and that only the
// lease owner's outcome counts.
func testQueueFinish(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	ep := f.webhook(orgID, "crm") // before the subscriptions, which would get its endpoint.created
	sub := f.subscribe(orgID, "main", nil, true)
	dying := f.subscribe(orgID, "dying", nil, true)
	e := f.emitEach(orgID, sub.ID, 4)
	ok, bad, later, stray := e[0], e[1], e[2], e[3]
	strayQueued := f.clock.Now()
	f.clock.Advance(time.Second)
	gone := f.emitTo(orgID, dying.ID)
	f.wantClaim("claim", "a", 10, ok, bad, later, stray, gone)

	f.clock.Advance(2 * time.Second)
	now := f.clock.Now()
	at := now.Add(-time.Second) // the attempts started a second before they are recorded
	next := now.Add(time.Minute)
	resGone := failed(gone, 410, at)
	resGone.DeactivateWebhook = true
	f.finish("b", delivered(stray, 200, at)) // b holds no lease: ignored
	f.finish("a", delivered(ok, 200, at), failed(bad, 500, at), retryAt(later, next, at), resGone,
		delivered("whd_doesNotExist", 200, at))

	d := f.checkDelivery("delivered", orgID, ok, switchboard.DeliveryDelivered, nil, 200, &at, 200)
	checkTime(t, "delivered: UpdatedAt", d.UpdatedAt, now)
	want := switchboard.DeliveryAttempt{Number: 1, AttemptedAt: at, StatusCode: 200, LatencyMS: 12, ResponseExcerpt: "ok"}
	if len(d.Attempts) == 1 && d.Attempts[0] != want {
		t.Errorf("delivered attempt = %+v, want %+v", d.Attempts[0], want)
	}
	f.checkDelivery("failed", orgID, bad, switchboard.DeliveryFailed, nil, 500, nil, 500)
	d = f.checkDelivery("to retry", orgID, later, switchboard.DeliveryPending, &next, 0, nil, 0)
	want = switchboard.DeliveryAttempt{Number: 1, AttemptedAt: at, LatencyMS: 10000, Error: "timeout"}
	if len(d.Attempts) == 1 && d.Attempts[0] != want {
		t.Errorf("timed-out attempt = %+v, want %+v", d.Attempts[0], want)
	}
	f.checkDelivery("finished by a stranger", orgID, stray, switchboard.DeliveryPending, &strayQueued, 0, nil)
	f.checkDelivery("410", orgID, gone, switchboard.DeliveryFailed, nil, 410, nil, 410)
	if w := f.findWebhook(orgID, dying.ID); w.Active {
		t.Error("the subscription that answered 410 is still active")
	} else {
		checkTime(t, "deactivated subscription: UpdatedAt", w.UpdatedAt, now)
	}
	if !f.findWebhook(orgID, sub.ID).Active {
		t.Error("deactivating one subscription switched another off")
	}
	// Deactivating an inactive subscription changes nothing; an endpoint's
	// delivery has no subscription to deactivate.
	f.clock.Advance(time.Second)
	again := f.emit(orgID, switchboard.EmitOptions{WebhookID: dying.ID, EndpointID: ep.ID})
	f.wantClaimSet("claim to the inactive subscription and an endpoint", "a", 10, again[dying.ID], again[ep.ID])
	f.clock.Advance(time.Second)
	res410, resEp := failed(again[dying.ID], 410, f.clock.Now()), failed(again[ep.ID], 410, f.clock.Now())
	res410.DeactivateWebhook, resEp.DeactivateWebhook = true, true
	f.finish("a", res410, resEp)
	checkTime(t, "subscription deactivated twice: UpdatedAt", f.findWebhook(orgID, dying.ID).UpdatedAt, now)
	f.checkDelivery("endpoint delivery with DeactivateWebhook", orgID, again[ep.ID], switchboard.DeliveryFailed, nil, 410, nil, 410)
	if !f.findWebhook(orgID, sub.ID).Active {
		t.Error("an endpoint's 410 switched a subscription off")
	}
	now = f.clock.Now()

	// Finishing twice records nothing: the first finish ended the lease.
	f.finish("a", failed(ok, 503, now))
	f.checkDelivery("finished twice", orgID, ok, switchboard.DeliveryDelivered, nil, 200, &at, 200)
	f.finish("a", failed(later, 500, now))
	f.checkDelivery("pending retry finished twice", orgID, later, switchboard.DeliveryPending, &next, 0, nil, 0)
	f.finish("a", delivered(stray, 201, now))
	f.checkDelivery("finished by its owner", orgID, stray, switchboard.DeliveryDelivered, nil, 201, &now, 201)

	// The second attempt is numbered after the first.
	f.clock.Advance(time.Minute)
	if j := f.wantClaim("claim of the retry", "a", 10, later)[later]; j != nil && j.AttemptCount != 1 {
		t.Errorf("retry job has AttemptCount %d, want 1", j.AttemptCount)
	}
	now = f.clock.Now()
	f.finish("a", delivered(later, 204, time.Time{})) // no attempt time: now
	f.checkDelivery("delivered on the second attempt", orgID, later, switchboard.DeliveryDelivered, nil, 204, &now, 0, 204)

	// A stale owner: a's lease lapses and b claims the delivery; a's late
	// result is ignored, and does not end b's lease.
	late := f.emitTo(orgID, sub.ID)
	f.wantClaim("claim by a", "a", 10, late)
	f.clock.Advance(lease)
	f.wantClaim("claim by b after a's lease lapsed", "b", 10, late)
	f.finish("a", delivered(late, 200, f.clock.Now()))
	f.checkDelivery("after the stale result", orgID, late, switchboard.DeliveryPending, ptr(f.clock.Now().Add(-lease)), 0, nil)
	f.wantClaim("claim while b holds the lease", "c", 10)
	f.finish("b", failed(late, 500, f.clock.Now()))
	f.checkDelivery("after the owner's result", orgID, late, switchboard.DeliveryFailed, nil, 500, nil, 500)

	// Results a worker cannot mean are refused.
	late = f.emitTo(orgID, sub.ID)
	f.wantClaim("claim", "a", 10, late)
	for _, r := range []switchboard.DeliveryResult{
		{ID: late, Status: "sent"},
		{ID: late, Status: switchboard.DeliveryPending}, // without a next attempt time
	} {
		if err := f.s.FinishDeliveries(f.ctx, "a", []switchboard.DeliveryResult{r}); err == nil {
			t.Errorf("FinishDeliveries(%+v) succeeded, want an error", r)
		}
	}
	f.checkDelivery("after refused results", orgID, late, switchboard.DeliveryPending, ptr(f.clock.Now()), 0, nil)
	must(t, "FinishDeliveries of nothing", f.s.FinishDeliveries(f.ctx, "a", nil))
}

// testQueueReceivers checks what a job says about its receiver: the
// current URL and secrets, and whether the receiver is gone.
func testQueueReceivers(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	// Filters that no endpoint event matches: the endpoints' changes below
	// queue nothing.
	calls := []string{"call.*"}
	rotating, moving := f.subscribe(orgID, "rotating", calls, true), f.subscribe(orgID, "moving", calls, true)
	deleted, off := f.subscribe(orgID, "deleted", calls, true), f.subscribe(orgID, "off", calls, true)
	crm, dropped, paused := f.webhook(orgID, "crm"), f.webhook(orgID, "dropped"), f.webhook(orgID, "paused")
	f.clock.Advance(time.Second)
	both := f.emit(orgID, switchboard.EmitOptions{WebhookID: rotating.ID, EndpointID: crm.ID})
	d := map[string]string{
		rotating.ID: both[rotating.ID], crm.ID: both[crm.ID],
		moving.ID: f.emitTo(orgID, moving.ID), deleted.ID: f.emitTo(orgID, deleted.ID), off.ID: f.emitTo(orgID, off.ID),
		dropped.ID: f.emit(orgID, switchboard.EmitOptions{WebhookID: rotating.ID, EndpointID: dropped.ID})[dropped.ID],
		paused.ID:  f.emit(orgID, switchboard.EmitOptions{WebhookID: rotating.ID, EndpointID: paused.ID})[paused.ID],
	}
	for r, id := range d {
		if id == "" {
			t.Fatalf("no delivery to %s", r)
		}
	}

	// The receivers change after the events were queued.
	f.clock.Advance(time.Second)
	rotated, err := f.s.RotateWebhookSecret(f.ctx, orgID, rotating.ID)
	must(t, "RotateWebhookSecret", err)
	moved, err := f.s.UpdateWebhook(f.ctx, orgID, moving.ID, func(cur *switchboard.Webhook) (*switchboard.Webhook, error) {
		return cur.Apply(switchboard.WebhookPatch{URL: switchboard.Optional[string]{Set: true, Value: "https://moved.example.com/in"}})
	})
	must(t, "UpdateWebhook URL", err)
	_, err = f.s.UpdateWebhook(f.ctx, orgID, off.ID, func(cur *switchboard.Webhook) (*switchboard.Webhook, error) {
		return cur.Apply(switchboard.WebhookPatch{Active: switchboard.Optional[bool]{Set: true, Value: false}})
	})
	must(t, "UpdateWebhook active", err)
	must(t, "DeleteWebhook", f.s.DeleteWebhook(f.ctx, orgID, deleted.ID))
	crmMoved, err := f.s.UpdateEndpoint(f.ctx, orgID, crm.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
		return cur.Apply(switchboard.EndpointPatch{URL: switchboard.Optional[string]{Set: true, Value: "https://crm.example.com/v2"}})
	})
	must(t, "UpdateEndpoint URL", err)
	_, err = f.s.UpdateEndpoint(f.ctx, orgID, paused.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
		return cur.Apply(switchboard.EndpointPatch{Status: switchboard.Optional[string]{Set: true, Value: switchboard.StatusInactive}})
	})
	must(t, "UpdateEndpoint status", err)
	_, err = f.s.DeleteEndpoint(f.ctx, orgID, dropped.ID)
	must(t, "DeleteEndpoint", err)

	jobs := f.claimJobs("a", 100)
	if len(jobs) != 9 { // the last two events also went to rotating
		t.Fatalf("claimed %d jobs, want 9", len(jobs))
	}
	byID := map[string]*switchboard.DeliveryJob{}
	for _, j := range jobs {
		byID[j.ID] = j
		found := f.findDelivery(orgID, j.ID)
		if !bytes.Equal(j.Payload, found.Payload) || j.EventID != found.EventID || j.OrganizationID != orgID ||
			!reflect.DeepEqual(j.WebhookID, found.WebhookID) || !reflect.DeepEqual(j.EndpointID, found.EndpointID) {
			t.Errorf("job %s: event %s, receiver %s%s, payload\n%s\nwant FindDelivery's event %s, receiver %s%s, payload\n%s",
				j.ID, j.EventID, deref(j.WebhookID), deref(j.EndpointID), j.Payload,
				found.EventID, deref(found.WebhookID), deref(found.EndpointID), found.Payload)
		}
	}
	if a, b := byID[d[rotating.ID]], byID[d[crm.ID]]; a != nil && b != nil && (!bytes.Equal(a.Payload, b.Payload) || a.EventID != b.EventID) {
		t.Errorf("two deliveries of one event carry different payloads:\n%s\n%s", a.Payload, b.Payload)
	}
	check := func(what, receiver, url string, gone bool, secrets ...string) {
		t.Helper()
		j := byID[d[receiver]]
		if j == nil {
			t.Errorf("%s: delivery %s not claimed", what, d[receiver])
			return
		}
		if j.URL != url || j.Gone != gone || (!gone && !slices.Equal(j.Secrets, secrets)) {
			t.Errorf("%s: URL %s, gone %v, secrets %v; want %s, %v, %v", what, j.URL, j.Gone, j.Secrets, url, gone, secrets)
		}
	}
	check("rotated subscription", rotating.ID, rotating.URL, false, rotated.Secret, rotating.Secret)
	check("moved subscription", moving.ID, moved.URL, false, moving.Secret)
	check("deleted subscription", deleted.ID, deleted.URL, true)
	check("inactive subscription", off.ID, off.URL, true)
	check("moved webhook endpoint", crm.ID, crmMoved.URL, false, crm.Secret)
	check("deleted webhook endpoint", dropped.ID, dropped.URL, true)
	check("inactive webhook endpoint", paused.ID, paused.URL, true)
	if j := byID[d[crm.ID]]; j != nil && (j.WebhookID != nil || deref(j.EndpointID) != crm.ID) {
		t.Errorf("endpoint job for subscription %s, endpoint %s; want endpoint %s only", deref(j.WebhookID), deref(j.EndpointID), crm.ID)
	}

	// The rotated-out secret signs until its overlap ends, 24 h after the
	// rotation, which is now.
	results := make([]switchboard.DeliveryResult, len(jobs))
	for i, j := range jobs {
		results[i] = retryAt(j.ID, f.clock.Now().Add(switchboard.SecretOverlap), f.clock.Now())
	}
	f.finish("a", results...)
	f.clock.Advance(switchboard.SecretOverlap - time.Microsecond)
	f.wantClaim("claim before the retries are due", "a", 100)
	f.clock.Advance(time.Microsecond)
	byID = f.wantClaimSet("claim after the overlap", "a", 100, ids(jobs, jobID)...)
	check("subscription after the overlap", rotating.ID, rotating.URL, false, rotated.Secret)
}

// testQueueRetry checks RetryDelivery.
func testQueueRetry(f *fixture) {
	t := f.t
	orgID, other := f.org("acme"), f.org("globex")
	sub := f.subscribe(orgID, "all", nil, true)
	e := f.emitEach(orgID, sub.ID, 3)
	bad, ok, later := e[0], e[1], e[2]
	_, err := f.s.RetryDelivery(f.ctx, orgID, bad)
	wantCode(t, "RetryDelivery of a new delivery", err, switchboard.ECodeConflict)
	f.wantClaim("claim", "a", 10, bad, ok, later)
	_, err = f.s.RetryDelivery(f.ctx, orgID, bad)
	wantCode(t, "RetryDelivery of a leased delivery", err, switchboard.ECodeConflict)
	at := f.clock.Now()
	f.finish("a", failed(bad, 500, at), delivered(ok, 200, at), retryAt(later, at.Add(time.Hour), at))

	f.clock.Advance(time.Minute)
	now := f.clock.Now()
	for _, id := range []string{bad, ok} {
		got, err := f.s.RetryDelivery(f.ctx, orgID, id)
		must(t, "RetryDelivery", err)
		want := f.findDelivery(orgID, id)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("RetryDelivery(%s) returned\n%+v\nFindDelivery says\n%+v", id, got, want)
		}
		if got.Status != switchboard.DeliveryPending || got.NextAttemptAt == nil || !got.NextAttemptAt.Equal(now) ||
			got.AttemptCount != 1 || len(got.Attempts) != 1 || got.DeliveredAt != nil || !got.UpdatedAt.Equal(now) {
			t.Errorf("retried %s: %+v; want pending now with its one attempt, not delivered", id, got)
		}
	}
	for _, tc := range []struct{ org, id, code string }{
		{orgID, later, switchboard.ECodeConflict}, // pending retry
		{orgID, bad, switchboard.ECodeConflict},   // retried already
		{other, ok, switchboard.ECodeDeliveryNotFound},
		{orgID, "wh_" + strings.TrimPrefix(ok, "whd_"), switchboard.ECodeDeliveryNotFound},
		{orgID, "whd_doesNotExist", switchboard.ECodeDeliveryNotFound},
		{orgID, "garbage", switchboard.ECodeDeliveryNotFound},
	} {
		_, err := f.s.RetryDelivery(f.ctx, tc.org, tc.id)
		wantCode(t, "RetryDelivery("+tc.id+")", err, tc.code)
	}
	f.checkDelivery("pending retry after a refused manual retry", orgID, later, switchboard.DeliveryPending, ptr(at.Add(time.Hour)), 0, nil, 0)

	// One more attempt each, and no more: max_attempts is attempt_count+1.
	jobs := f.wantClaimSet("claim of the retries", "a", 10, bad, ok)
	for id, j := range jobs {
		if j.AttemptCount != 1 || j.MaxAttempts != 2 {
			t.Errorf("retried job %s: AttemptCount %d, MaxAttempts %d; want 1 and 2", id, j.AttemptCount, j.MaxAttempts)
		}
	}
	f.finish("a", failed(bad, 502, now), failed(ok, 503, now))
	f.checkDelivery("failed again", orgID, bad, switchboard.DeliveryFailed, nil, 502, nil, 500, 502)
	_, err = f.s.RetryDelivery(f.ctx, orgID, bad)
	must(t, "second RetryDelivery", err)
	if j := f.wantClaim("claim of the second retry", "a", 10, bad)[bad]; j != nil && (j.AttemptCount != 2 || j.MaxAttempts != 3) {
		t.Errorf("job after a second retry: AttemptCount %d, MaxAttempts %d; want 2 and 3", j.AttemptCount, j.MaxAttempts)
	}
}

// testQueueReplay checks ReplayDeliveries.
func testQueueReplay(f *fixture) {
	t := f.t
	orgID, other := f.org("acme"), f.org("globex")
	sub, sibling := f.subscribe(orgID, "main", nil, true), f.subscribe(orgID, "sibling", nil, true)
	theirs := f.subscribe(other, "theirs", nil, true)
	old := f.emitTo(orgID, sub.ID)
	f.clock.Advance(time.Minute)
	since := f.clock.Now()
	e := f.emitEach(orgID, sub.ID, 3)
	recent, ok, waiting := e[0], e[1], e[2]
	sib := f.emitTo(orgID, sibling.ID)
	f.clock.Advance(time.Minute)
	newest := f.emitTo(orgID, sub.ID)
	theirFailed := f.emitTo(other, theirs.ID)
	f.wantClaimSet("claim", "a", 10, old, recent, ok, waiting, sib, newest, theirFailed)
	at := f.clock.Now()
	f.finish("a", failed(old, 500, at), failed(recent, 500, at), delivered(ok, 200, at),
		retryAt(waiting, at.Add(time.Hour), at), failed(sib, 500, at), failed(newest, 0, at), failed(theirFailed, 500, at))

	f.clock.Advance(time.Minute)
	now := f.clock.Now()
	n, err := f.s.ReplayDeliveries(f.ctx, orgID, sub.ID, since)
	if err != nil || n != 2 {
		t.Errorf("ReplayDeliveries since %v = %d, %v; want 2", since, n, err)
	}
	f.checkDelivery("replayed", orgID, recent, switchboard.DeliveryPending, &now, 500, nil, 500)
	f.checkDelivery("replayed without a status code", orgID, newest, switchboard.DeliveryPending, &now, 0, nil, 0)
	f.checkDelivery("failed before since", orgID, old, switchboard.DeliveryFailed, nil, 500, nil, 500)
	f.checkDelivery("delivered", orgID, ok, switchboard.DeliveryDelivered, nil, 200, &at, 200)
	f.checkDelivery("pending", orgID, waiting, switchboard.DeliveryPending, ptr(at.Add(time.Hour)), 0, nil, 0)
	f.checkDelivery("another subscription's", orgID, sib, switchboard.DeliveryFailed, nil, 500, nil, 500)
	f.checkDelivery("another organisation's", other, theirFailed, switchboard.DeliveryFailed, nil, 500, nil, 500)
	if n, err := f.s.ReplayDeliveries(f.ctx, orgID, sub.ID, since); err != nil || n != 0 {
		t.Errorf("second ReplayDeliveries = %d, %v; want 0 (they are pending)", n, err)
	}
	for id, j := range f.wantClaimSet("claim of the replayed", "a", 10, recent, newest) {
		if j.AttemptCount != 1 || j.MaxAttempts != 2 {
			t.Errorf("replayed job %s: AttemptCount %d, MaxAttempts %d; want 1 and 2", id, j.AttemptCount, j.MaxAttempts)
		}
	}
	if n, err := f.s.ReplayDeliveries(f.ctx, orgID, sub.ID, time.Time{}); err != nil || n != 1 {
		t.Errorf("ReplayDeliveries since the zero time = %d, %v; want 1 (the old one)", n, err)
	}
	f.checkDelivery("replayed since the beginning", orgID, old, switchboard.DeliveryPending, &now, 500, nil, 500)

	for _, tc := range []struct{ org, id string }{
		{other, sub.ID}, {orgID, theirs.ID}, {orgID, "whd_" + strings.TrimPrefix(sub.ID, "wh_")},
		{orgID, "wh_doesNotExist"}, {orgID, "garbage"},
	} {
		_, err := f.s.ReplayDeliveries(f.ctx, tc.org, tc.id, time.Time{})
		wantCode(t, "ReplayDeliveries("+tc.id+")", err, switchboard.ECodeWebhookNotFound)
	}
	must(t, "DeleteWebhook", f.s.DeleteWebhook(f.ctx, orgID, sibling.ID))
	_, err = f.s.ReplayDeliveries(f.ctx, orgID, sibling.ID, time.Time{})
	wantCode(t, "ReplayDeliveries of a deleted subscription", err, switchboard.ECodeWebhookNotFound)
	f.checkDelivery("deleted subscription's", orgID, sib, switchboard.DeliveryFailed, nil, 500, nil, 500)
}

// testQueueCount checks CountPendingDeliveries across organisations.
func testQueueCount(f *fixture) {
	t := f.t
	orgA, orgB := f.org("acme"), f.org("globex")
	subA, subB := f.subscribe(orgA, "a", nil, true), f.subscribe(orgB, "b", nil, true)
	if n := f.countPending(); n != 0 {
		t.Errorf("CountPendingDeliveries of an empty store = %d", n)
	}
	a1, a2, b1 := f.emitTo(orgA, subA.ID), f.emitTo(orgA, subA.ID), f.emitTo(orgB, subB.ID)
	f.emitTo(orgB, subB.ID)
	if n := f.countPending(); n != 4 {
		t.Errorf("CountPendingDeliveries = %d, want 4", n)
	}
	f.claimJobs("a", 10)
	if n := f.countPending(); n != 4 {
		t.Errorf("CountPendingDeliveries while leased = %d, want 4", n)
	}
	now := f.clock.Now()
	f.finish("a", delivered(a1, 200, now), failed(b1, 500, now), retryAt(a2, now.Add(time.Hour), now))
	if n := f.countPending(); n != 2 {
		t.Errorf("CountPendingDeliveries after finishing = %d, want 2", n)
	}
	_, err := f.s.RetryDelivery(f.ctx, orgB, b1)
	must(t, "RetryDelivery", err)
	if n := f.countPending(); n != 3 {
		t.Errorf("CountPendingDeliveries after a retry = %d, want 3", n)
	}
}
