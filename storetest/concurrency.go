package storetest

import (
	"fmt"
	"sync"

	"github.com/switchboard-voice/switchboard"
)

// workers is how many goroutines race in each concurrency test.
const workers = 16

// race runs fn(i) for i in [0, workers) at once and returns the errors.
func race(fn func(i int) error) []error {
	errs := make([]error, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func testConcurrentClaimSameNumber(f *fixture) {
	t := f.t
	orgs := []string{f.org("acme"), f.org("globex")}
	inv := f.stock(numUS1)

	winners := make([]*switchboard.PhoneNumber, workers)
	errs := race(func(i int) error {
		pn, err := f.s.ClaimNumber(f.ctx, orgs[i%2], switchboard.ClaimRequest{InventoryID: inv[numUS1].ID})
		winners[i] = pn
		return err
	})
	won := -1
	for i, err := range errs {
		switch code := switchboard.ErrorCode(err); {
		case err == nil && won >= 0:
			t.Errorf("claims %d and %d both succeeded", won, i)
		case err == nil:
			won = i
		case code != switchboard.ECodeNumberNotAvail:
			t.Errorf("claim %d: %v (code %s), want NUMBER_NOT_AVAILABLE", i, err, code)
		}
	}
	if won < 0 {
		t.Fatal("no claim succeeded")
	}
	held := 0
	for _, org := range orgs {
		list, total, err := f.s.ListPhoneNumbers(f.ctx, org, switchboard.PhoneNumberFilter{})
		must(t, "ListPhoneNumbers", err)
		held += total
		if org == orgs[won%2] {
			equalIDs(t, "winner's numbers", ids(list, numberID), []string{winners[won].ID})
		}
	}
	if held != 1 {
		t.Errorf("%d numbers held in all, want 1", held)
	}
	if avail := f.available(switchboard.AvailableFilter{}); len(avail) != 0 {
		t.Errorf("still available: %v", ids(avail, inventoryID))
	}
}

func testConcurrentClaimDistinctNumbers(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	specs := make([]string, workers)
	for i := range specs {
		specs[i] = fmt.Sprintf("+1415555%04d", 200+i)
	}
	f.stock(specs...)
	for i, err := range race(func(i int) error {
		_, err := f.s.ClaimNumber(f.ctx, orgID, switchboard.ClaimRequest{Number: specs[i]})
		return err
	}) {
		if err != nil {
			t.Errorf("claim of %s: %v", specs[i], err)
		}
	}
	if _, total, err := f.s.ListPhoneNumbers(f.ctx, orgID, switchboard.PhoneNumberFilter{}); err != nil || total != workers {
		t.Errorf("held = %d, %v; want %d", total, err, workers)
	}
}

func testConcurrentEnsureOrganization(f *fixture) {
	t := f.t
	got := make([]*switchboard.Organization, workers)
	created := make([]bool, workers)
	errs := race(func(i int) error {
		var err error
		got[i], created[i], err = f.s.EnsureOrganization(f.ctx, "acme")
		return err
	})
	creators := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("EnsureOrganization %d: %v", i, err)
		}
		if got[i].ID != got[0].ID {
			t.Errorf("EnsureOrganization %d returned %s, another returned %s", i, got[i].ID, got[0].ID)
		}
		if created[i] {
			creators++
		}
	}
	if creators != 1 {
		t.Errorf("%d callers created the organisation, want 1", creators)
	}
	if n, err := f.s.CountOrganizations(f.ctx); err != nil || n != 1 {
		t.Errorf("CountOrganizations = %d, %v; want 1", n, err)
	}
}

// testConcurrentUpdateEndpoint checks that UpdateEndpoint's read, fn and
// write are one atomic step: concurrent increments must not lose any.
func testConcurrentUpdateEndpoint(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	ep := f.agent(orgID, "Support")
	for i, err := range race(func(int) error {
		_, err := f.s.UpdateEndpoint(f.ctx, orgID, ep.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
			cur.RingTimeout++
			return cur, nil
		})
		return err
	}) {
		if err != nil {
			t.Errorf("update %d: %v", i, err)
		}
	}
	if got := f.findEndpoint(orgID, ep.ID).RingTimeout; got != ep.RingTimeout+workers {
		t.Errorf("ring_timeout after %d concurrent increments = %d, want %d", workers, got, ep.RingTimeout+workers)
	}
}
