package storetest

import (
	"time"

	"github.com/switchboard-voice/switchboard"
)

func testOrganizations(f *fixture) {
	t := f.t
	count := func(want int) {
		t.Helper()
		n, err := f.s.CountOrganizations(f.ctx)
		if err != nil || n != want {
			t.Fatalf("CountOrganizations = %d, %v; want %d", n, err, want)
		}
	}
	count(0)

	org, created, err := f.s.EnsureOrganization(f.ctx, "acme")
	must(t, "EnsureOrganization", err)
	if !created || !switchboard.ValidID(switchboard.PrefixOrg, org.ID) || org.Name != "acme" {
		t.Fatalf("first EnsureOrganization = %+v, created %v; want a new org_ named acme", org, created)
	}
	checkTime(t, "CreatedAt", org.CreatedAt, f.clock.Now())
	count(1)

	f.clock.Advance(time.Hour)
	again, created, err := f.s.EnsureOrganization(f.ctx, "acme")
	must(t, "EnsureOrganization again", err)
	if created || again.ID != org.ID || again.Name != "acme" {
		t.Errorf("second EnsureOrganization = %+v, created %v; want %s, not created", again, created, org.ID)
	}
	checkTime(t, "CreatedAt the second time", again.CreatedAt, org.CreatedAt)
	count(1)

	other, created, err := f.s.EnsureOrganization(f.ctx, "globex")
	must(t, "EnsureOrganization globex", err)
	if !created || other.ID == org.ID {
		t.Errorf("EnsureOrganization(globex) = %+v, created %v; want a new organisation", other, created)
	}
	count(2)
}
