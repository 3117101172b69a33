package storecache

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/sqlite"
	"github.com/switchboard-voice/switchboard/storetest"
)

func openCache(t *testing.T) (*Cache, *sqlite.DB, *storetest.Clock) {
	t.Helper()
	clock := storetest.NewClock()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "switchboard.db"), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return New(db, time.Second, clock.Now), db, clock
}

func webhooks(t *testing.T, s switchboard.Store, orgID string, n int) []*switchboard.Endpoint {
	t.Helper()
	var out []*switchboard.Endpoint
	for i := range n {
		ep, err := switchboard.NewEndpoint(switchboard.EndpointInput{Name: fmt.Sprint("ep ", i), Type: "webhook", URL: "https://example.com/h"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateEndpoint(t.Context(), orgID, ep); err != nil {
			t.Fatal(err)
		}
		out = append(out, ep)
	}
	return out
}

// checkSize recounts what the cache holds and compares it with its books.
func checkSize(t *testing.T, s *Cache) {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	all := 0
	for id, o := range s.orgs {
		n := len(o.finds)
		for _, l := range o.lists {
			n += max(len(l.eps), 1)
		}
		if n != o.size {
			t.Errorf("org %s holds %d endpoints, its size says %d", id, n, o.size)
		}
		if n > s.maxOrg {
			t.Errorf("org %s holds %d endpoints, over the bound %d", id, n, s.maxOrg)
		}
		all += n
	}
	if all != s.size || all > s.maxAll {
		t.Errorf("cache holds %d endpoints, size says %d, bound %d", all, s.size, s.maxAll)
	}
}

// TestBounds: the cache never holds more endpoints than its bounds, per
// organisation and overall, and still answers correctly past them.
func TestBounds(t *testing.T) {
	s, db, _ := openCache(t)
	s.maxOrg, s.maxAll = 10, 25
	ctx := t.Context()
	var orgs []string
	for i := range 4 {
		o, _, err := db.EnsureOrganization(ctx, fmt.Sprint("org", i))
		if err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, o.ID)
	}
	eps := map[string][]*switchboard.Endpoint{}
	for _, orgID := range orgs {
		eps[orgID] = webhooks(t, db, orgID, 12)
	}
	for round := range 3 {
		for _, orgID := range orgs {
			for _, ep := range eps[orgID] {
				got, err := s.FindEndpoint(ctx, orgID, ep.ID)
				if err != nil || got.ID != ep.ID {
					t.Fatalf("round %d: FindEndpoint(%s) = %v, %v", round, ep.ID, got, err)
				}
				checkSize(t, s)
			}
			for _, limit := range []int{1, 5, 12} {
				list, total, err := s.ListEndpoints(ctx, orgID, switchboard.EndpointFilter{Page: switchboard.Page{Limit: limit}})
				if err != nil || len(list) != limit || total != 12 {
					t.Fatalf("ListEndpoints(limit %d) = %d rows, %d, %v", limit, len(list), total, err)
				}
				checkSize(t, s)
			}
		}
	}
	s.invalidate(orgs[0])
	checkSize(t, s)

	// Organisations count too, even those whose reads all failed.
	for i := range 3 * s.maxAll {
		s.FindEndpoint(ctx, fmt.Sprint("org_nosuch", i), "ep_nosuch")
		s.mu.RLock()
		n := len(s.orgs)
		s.mu.RUnlock()
		if n > s.maxAll {
			t.Fatalf("%d organisations held, over the bound %d", n, s.maxAll)
		}
	}
	checkSize(t, s)
}

// TestStaleReadNotStored: a read that began before a write (its snapshot
// is of the older generation) does not store its result after the write
// invalidated the organisation.
func TestStaleReadNotStored(t *testing.T) {
	s, db, _ := openCache(t)
	ctx := t.Context()
	o, _, err := db.EnsureOrganization(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	ep := webhooks(t, db, o.ID, 1)[0]

	oc, gen := s.snapshot(o.ID) // a read begins
	s.invalidate(o.ID)          // a write returns meanwhile
	s.put(o.ID, oc, gen, 1, func(*org) { t.Error("a read older than the write was stored") })

	oc, gen = s.snapshot(o.ID)
	stored := false
	s.put(o.ID, oc, gen, 1, func(*org) { stored = true })
	if !stored {
		t.Error("a read of the current generation was not stored")
	}
	if _, err := s.FindEndpoint(ctx, o.ID, ep.ID); err != nil {
		t.Fatal(err)
	}
}

// TestCloneCoversEndpointFields fails when Endpoint gains a field that
// copyInto would share between copies (a pointer, map, slice or
// interface): deep-copy it there, then add it here. Without it a checking
// cache would miss a caller's change made through that field.
func TestCloneCoversEndpointFields(t *testing.T) {
	deep := map[string]bool{"ProviderConfig": true, "Headers": true, "Credentials": true}
	typ := reflect.TypeFor[switchboard.Endpoint]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Chan, reflect.Func:
			if !deep[f.Name] {
				t.Errorf("Endpoint.%s (%s) is shared by copyInto: deep-copy it", f.Name, f.Type)
			}
		case reflect.Struct:
			if f.Type != reflect.TypeFor[time.Time]() {
				t.Errorf("Endpoint.%s is a struct (%s): check copyInto copies it deeply", f.Name, f.Type)
			}
		}
	}
	for _, name := range []string{"ProviderConfig", "Credentials"} {
		f, _ := typ.FieldByName(name)
		elem := f.Type.Elem()
		for i := range elem.NumField() {
			if k := elem.Field(i).Type.Kind(); k != reflect.String {
				t.Errorf("%s.%s is a %s: copyInto copies %s by value", elem.Name(), elem.Field(i).Name, k, name)
			}
		}
	}
}
