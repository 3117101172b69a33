package sqlite

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/storetest"
)

// finishFixture is a store on a stopped clock with one organisation.
type finishFixture struct {
	t     *testing.T
	db    *DB
	clock *storetest.Clock
	org   string
}

func newFinishFixture(t *testing.T) *finishFixture {
	t.Helper()
	clock := storetest.NewClock()
	db := openTest(t, filepath.Join(t.TempDir(), "switchboard.db"), clock.Now)
	t.Cleanup(func() { db.Close() })
	org, _, err := db.EnsureOrganization(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	return &finishFixture{t: t, db: db, clock: clock, org: org.ID}
}

func (f *finishFixture) subscribe(name string) *switchboard.Webhook {
	f.t.Helper()
	w, err := switchboard.NewWebhook(switchboard.WebhookInput{URL: "https://hooks.example.com/" + name})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.db.CreateWebhook(f.t.Context(), f.org, w); err != nil {
		f.t.Fatal(err)
	}
	return w
}

// emitTo queues one event to the subscription alone, a second after the
// last, so that deliveries fall due in the order they were emitted.
func (f *finishFixture) emitTo(w *switchboard.Webhook) string {
	f.t.Helper()
	f.clock.Advance(time.Second)
	ev, err := f.db.EmitEvent(f.t.Context(), f.org, switchboard.EventCallCompleted, map[string]string{"call_id": "c"},
		switchboard.EmitOptions{WebhookID: w.ID})
	if err != nil {
		f.t.Fatal(err)
	}
	ds, _, err := f.db.ListDeliveries(f.t.Context(), f.org, switchboard.DeliveryFilter{WebhookID: w.ID})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, d := range ds {
		if d.EventID == ev.ID {
			return d.ID
		}
	}
	f.t.Fatalf("no delivery of %s to %s", ev.ID, w.ID)
	return ""
}

func (f *finishFixture) claim(owner string, limit int, want ...string) {
	f.t.Helper()
	jobs, err := f.db.ClaimDeliveries(f.t.Context(), owner, limit, time.Minute)
	if err != nil {
		f.t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		got = append(got, j.ID)
	}
	if !slices.Equal(got, want) {
		f.t.Fatalf("%s claimed %v, want %v", owner, got, want)
	}
}

func (f *finishFixture) find(id string) *switchboard.Delivery {
	f.t.Helper()
	d, err := f.db.FindDelivery(f.t.Context(), f.org, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

// check fails unless the delivery has the status and the attempts with
// these status codes.
func (f *finishFixture) check(what, id, status string, codes ...int) *switchboard.Delivery {
	f.t.Helper()
	d := f.find(id)
	var got []int
	for _, a := range d.Attempts {
		got = append(got, a.StatusCode)
	}
	if d.Status != status || d.AttemptCount != len(codes) || !slices.Equal(got, codes) {
		f.t.Errorf("%s: %s with %d attempts %v; want %s with %v", what, d.Status, d.AttemptCount, got, status, codes)
	}
	return d
}

func (f *finishFixture) active(w *switchboard.Webhook) bool {
	f.t.Helper()
	got, err := f.db.FindWebhook(f.t.Context(), f.org, w.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return got.Active
}

func result(id, status string, code int, at time.Time) switchboard.DeliveryResult {
	return switchboard.DeliveryResult{ID: id, Status: status,
		Attempt: switchboard.DeliveryAttempt{AttemptedAt: at, StatusCode: code, LatencyMS: 7}}
}

// TestFinishDeliveriesMixedBatch records one batch that mixes results the
// owner may record with results it may not: each is recorded or ignored
// on its own, as if it came alone, and a 410 switches a subscription off
// only when its result is recorded.
func TestFinishDeliveriesMixedBatch(t *testing.T) {
	f := newFinishFixture(t)
	ctx := t.Context()
	main, gone, stale := f.subscribe("main"), f.subscribe("gone"), f.subscribe("stale")
	ok, later, done := f.emitTo(main), f.emitTo(main), f.emitTo(main)
	g := f.emitTo(gone)
	s := f.emitTo(stale)
	free := f.emitTo(main)
	f.claim("a", 4, ok, later, done, g)
	f.claim("b", 1, s)
	now := f.clock.Now()
	if err := f.db.FinishDeliveries(ctx, "a", []switchboard.DeliveryResult{result(done, switchboard.DeliveryDelivered, 200, now)}); err != nil {
		t.Fatal(err)
	}

	f.clock.Advance(time.Second)
	next := f.clock.Now().Add(time.Hour)
	retry := result(later, switchboard.DeliveryPending, 503, now)
	retry.NextAttemptAt = next
	gone410 := result(g, switchboard.DeliveryFailed, 410, now)
	gone410.DeactivateWebhook = true
	stale410 := result(s, switchboard.DeliveryFailed, 410, now) // b holds it
	stale410.DeactivateWebhook = true
	err := f.db.FinishDeliveries(ctx, "a", []switchboard.DeliveryResult{
		result(ok, switchboard.DeliveryDelivered, 200, now),
		stale410,
		retry,
		gone410,
		result(done, switchboard.DeliveryFailed, 500, now),    // finished already: the lease ended
		result(free, switchboard.DeliveryDelivered, 200, now), // never claimed
		result("whd_doesNotExist", switchboard.DeliveryDelivered, 200, now),
		result("not an ID\x00", switchboard.DeliveryDelivered, 200, now),
		result(ok, switchboard.DeliveryFailed, 500, now), // a second result: the first ended the lease
	})
	if err != nil {
		t.Fatalf("FinishDeliveries: %v", err)
	}

	if d := f.check("delivered", ok, switchboard.DeliveryDelivered, 200); d.DeliveredAt == nil || !d.DeliveredAt.Equal(now) {
		t.Errorf("delivered at %v, want %v", d.DeliveredAt, now)
	}
	if d := f.check("to retry", later, switchboard.DeliveryPending, 503); d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(next) ||
		d.LastStatusCode == nil || *d.LastStatusCode != 503 || d.DeliveredAt != nil {
		t.Errorf("retry: next %v, last code %v, delivered %v; want %v, 503, none", d.NextAttemptAt, d.LastStatusCode, d.DeliveredAt, next)
	}
	f.check("410", g, switchboard.DeliveryFailed, 410)
	if f.active(gone) {
		t.Error("the subscription that answered 410 is still active")
	}
	f.check("another owner's", s, switchboard.DeliveryPending)
	if !f.active(stale) {
		t.Error("a 410 from a stale owner switched the subscription off")
	}
	f.check("finished before", done, switchboard.DeliveryDelivered, 200)
	f.check("never claimed", free, switchboard.DeliveryPending)
	if !f.active(main) {
		t.Error("the batch switched off a subscription that answered no 410")
	}

	// b still holds its lease and records its own outcome; the unclaimed
	// delivery is still claimable.
	f.claim("c", 10, free)
	if err := f.db.FinishDeliveries(ctx, "b", []switchboard.DeliveryResult{result(s, switchboard.DeliveryDelivered, 204, now)}); err != nil {
		t.Fatal(err)
	}
	f.check("recorded by its owner", s, switchboard.DeliveryDelivered, 204)
}

// TestFinishDeliveriesRefusesBatch checks that one invalid result fails
// the whole batch before anything is recorded, even the valid results
// before it.
func TestFinishDeliveriesRefusesBatch(t *testing.T) {
	f := newFinishFixture(t)
	ctx := t.Context()
	w := f.subscribe("main")
	a, b := f.emitTo(w), f.emitTo(w)
	f.claim("a", 10, a, b)
	now := f.clock.Now()
	for _, bad := range []switchboard.DeliveryResult{
		{ID: b, Status: "sent"},
		{ID: b, Status: switchboard.DeliveryPending}, // without a next attempt time
	} {
		err := f.db.FinishDeliveries(ctx, "a", []switchboard.DeliveryResult{result(a, switchboard.DeliveryDelivered, 200, now), bad})
		if err == nil {
			t.Errorf("FinishDeliveries with %+v succeeded, want an error", bad)
		}
	}
	f.check("valid result of a refused batch", a, switchboard.DeliveryPending)
	f.check("invalid result", b, switchboard.DeliveryPending)
	f.claim("c", 10) // the leases are still a's
	if err := f.db.FinishDeliveries(ctx, "a", []switchboard.DeliveryResult{result(a, switchboard.DeliveryDelivered, 200, now)}); err != nil {
		t.Fatal(err)
	}
	f.check("valid result sent again", a, switchboard.DeliveryDelivered, 200)
}

// TestFinishDeliveriesKeepsBytes checks that an attempt's error and
// response excerpt are stored byte for byte, including what JSON cannot
// carry (invalid UTF-8, NUL): SQLite keeps any bytes, so the store does.
func TestFinishDeliveriesKeepsBytes(t *testing.T) {
	f := newFinishFixture(t)
	w := f.subscribe("main")
	id := f.emitTo(w)
	f.claim("a", 1, id)
	r := result(id, switchboard.DeliveryFailed, 0, f.clock.Now())
	r.Attempt.Error = "dial: \xff\xfe\x00 \"quoted\" \\ <tag> &amp;"
	r.Attempt.ResponseExcerpt = "line\nnext\x00\u2028é\xc3"
	if err := f.db.FinishDeliveries(t.Context(), "a", []switchboard.DeliveryResult{r}); err != nil {
		t.Fatal(err)
	}
	d := f.check("failed", id, switchboard.DeliveryFailed, 0)
	if d.LastStatusCode != nil {
		t.Errorf("last status code %d for an attempt without a response, want none", *d.LastStatusCode)
	}
	if len(d.Attempts) == 1 {
		if a := d.Attempts[0]; a.Error != r.Attempt.Error || a.ResponseExcerpt != r.Attempt.ResponseExcerpt {
			t.Errorf("stored error %q, excerpt %q; want %q, %q", a.Error, a.ResponseExcerpt, r.Attempt.Error, r.Attempt.ResponseExcerpt)
		}
	}
}
