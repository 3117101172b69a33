package storecache

import "testing"

// TestStaleReadNotStoredAfterInvalidateAll: a read that began before
// Invalidate("") does not store its result.
func TestStaleReadNotStoredAfterInvalidateAll(t *testing.T) {
	s, db, _ := openCache(t)
	o, _, err := db.EnsureOrganization(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	oc, gen := s.snapshot(o.ID) // a read begins
	s.Invalidate("")            // the feed reports missed changes meanwhile
	s.put(o.ID, oc, gen, 1, func(*org) { t.Error("a read older than Invalidate(\"\") was stored") })

	oc, gen = s.snapshot(o.ID)
	stored := false
	s.put(o.ID, oc, gen, 1, func(*org) { stored = true })
	if !stored {
		t.Error("a read begun after Invalidate(\"\") was not stored")
	}
}
