package storetest

import (
	"bytes"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// idem is a fixture of one organisation with two API keys.
type idem struct {
	*fixture
	org, key, key2 string
}

func newIdem(f *fixture) idem {
	org := f.org("acme")
	return idem{fixture: f, org: org, key: f.apiKey(org), key2: f.apiKey(org)}
}

func (i idem) rec(key, fingerprint string) *switchboard.IdempotencyRecord {
	return &switchboard.IdempotencyRecord{OrganizationID: i.org, APIKeyID: i.key, Key: key, Fingerprint: fingerprint}
}

// begin calls BeginIdempotent and checks whether it started.
func (i idem) begin(rec *switchboard.IdempotencyRecord, wantStarted bool) *switchboard.IdempotencyRecord {
	i.t.Helper()
	r := *rec // the store may fill in the record it is given
	existing, started, err := i.s.BeginIdempotent(i.ctx, &r)
	must(i.t, "BeginIdempotent "+rec.Key, err)
	if started != wantStarted || (existing == nil) != started {
		i.t.Fatalf("BeginIdempotent(%s) = %+v, started %v; want started %v", rec.Key, existing, started, wantStarted)
	}
	return existing
}

func testIdempotency(f *fixture) {
	t := f.t
	i := newIdem(f)
	rec := i.rec("k1", "fp1")
	i.begin(rec, true)
	begunAt := f.clock.Now()

	f.clock.Advance(time.Second)
	ex := i.begin(i.rec("k1", "fp-other"), false)
	if ex.Status != 0 || ex.Fingerprint != "fp1" || ex.OrganizationID != i.org || ex.APIKeyID != i.key || ex.Key != "k1" || len(ex.Body) != 0 {
		t.Errorf("in-flight record = %+v; want status 0 with fingerprint fp1", ex)
	}
	checkTime(t, "in-flight CreatedAt", ex.CreatedAt, begunAt)

	done := i.rec("k1", "fp1")
	done.Status, done.Body, done.ContentType = 201, []byte(`{"id":"ep_1"}`), "application/json"
	must(t, "FinishIdempotent", f.s.FinishIdempotent(f.ctx, done))

	f.clock.Advance(time.Hour)
	ex = i.begin(i.rec("k1", "fp1"), false)
	if ex.Status != 201 || !bytes.Equal(ex.Body, done.Body) || ex.ContentType != "application/json" || ex.Fingerprint != "fp1" {
		t.Errorf("finished record = %+v (body %q); want 201 %s application/json fp1", ex, ex.Body, done.Body)
	}
	checkTime(t, "finished CreatedAt", ex.CreatedAt, begunAt)

	// A response without a body is replayed as one.
	empty := i.rec("k2", "fp2")
	i.begin(empty, true)
	empty.Status = 204
	must(t, "FinishIdempotent 204", f.s.FinishIdempotent(f.ctx, empty))
	if ex = i.begin(i.rec("k2", "fp2"), false); ex.Status != 204 || len(ex.Body) != 0 {
		t.Errorf("finished 204 record = %+v; want status 204, no body", ex)
	}
}

func testIdempotencyAbort(f *fixture) {
	t := f.t
	i := newIdem(f)
	i.begin(i.rec("k1", "fp1"), true)
	must(t, "AbortIdempotent", f.s.AbortIdempotent(f.ctx, i.rec("k1", "fp1")))
	f.clock.Advance(time.Second)
	i.begin(i.rec("k1", "fp-retry"), true)
	ex := i.begin(i.rec("k1", "fp-retry"), false)
	if ex.Status != 0 || ex.Fingerprint != "fp-retry" {
		t.Errorf("record after abort and retry = %+v; want in flight with fp-retry", ex)
	}
	checkTime(t, "CreatedAt after retry", ex.CreatedAt, f.clock.Now())
	// Aborting a key nobody began is harmless.
	must(t, "AbortIdempotent unknown", f.s.AbortIdempotent(f.ctx, i.rec("never", "fp")))
}

func testIdempotencyExpiry(f *fixture) {
	t := f.t
	i := newIdem(f)
	first := i.rec("k1", "fp1")
	i.begin(first, true)
	first.Status, first.Body, first.ContentType = 200, []byte("old"), "text/plain"
	must(t, "FinishIdempotent", f.s.FinishIdempotent(f.ctx, first))

	f.clock.Advance(switchboard.IdempotencyTTL - time.Second)
	if ex := i.begin(i.rec("k1", "fp1"), false); ex.Status != 200 || string(ex.Body) != "old" {
		t.Errorf("record just before expiry = %+v; want the first response", ex)
	}

	f.clock.Advance(2 * time.Second)
	i.begin(i.rec("k1", "fp-new"), true)
	ex := i.begin(i.rec("k1", "fp-new"), false)
	if ex.Status != 0 || ex.Fingerprint != "fp-new" || len(ex.Body) != 0 || ex.ContentType != "" {
		t.Errorf("record after expiry = %+v (body %q); want a fresh in-flight record with fp-new", ex, ex.Body)
	}
	checkTime(t, "CreatedAt after expiry", ex.CreatedAt, f.clock.Now())

	// An in-flight record expires too: a request that never finished does
	// not hold its key forever.
	i.begin(i.rec("k2", "fp2"), true)
	f.clock.Advance(switchboard.IdempotencyTTL)
	i.begin(i.rec("k2", "fp2"), true)
}

func testIdempotencyScope(f *fixture) {
	t := f.t
	i := newIdem(f)
	other := f.org("globex")
	otherKey := f.apiKey(other)

	mine := i.rec("shared", "fp-mine")
	i.begin(mine, true)
	mine.Status, mine.Body = 201, []byte("mine")
	must(t, "FinishIdempotent", f.s.FinishIdempotent(f.ctx, mine))

	sameOrgOtherKey := &switchboard.IdempotencyRecord{OrganizationID: i.org, APIKeyID: i.key2, Key: "shared", Fingerprint: "fp-key2"}
	i.begin(sameOrgOtherKey, true)
	otherOrg := &switchboard.IdempotencyRecord{OrganizationID: other, APIKeyID: otherKey, Key: "shared", Fingerprint: "fp-other"}
	i.begin(otherOrg, true)

	// Aborting one leaves the others alone.
	must(t, "AbortIdempotent", f.s.AbortIdempotent(f.ctx, sameOrgOtherKey))
	if ex := i.begin(i.rec("shared", "fp-mine"), false); ex.Status != 201 || string(ex.Body) != "mine" {
		t.Errorf("own record = %+v; want the finished response", ex)
	}
	if ex := i.begin(otherOrg, false); ex.Status != 0 || ex.Fingerprint != "fp-other" || ex.OrganizationID != other {
		t.Errorf("other org's record = %+v; want its own in-flight record", ex)
	}
	i.begin(sameOrgOtherKey, true)
}
