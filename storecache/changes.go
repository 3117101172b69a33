package storecache

// Invalidator is implemented by the Cache that New and NewChecking
// return. Feeding it the store's change feed makes changes made by other
// nodes visible at once instead of when the TTL ends:
//
//	cache := storecache.New(store, storecache.DefaultTTL, nil)
//	go cache.SubscribeChanges(ctx, cache.Invalidate)
type Invalidator interface {
	// Invalidate drops the organisation's cached entries, or every
	// organisation's when orgID is "", and refuses the results of reads
	// that began before it.
	Invalidate(orgID string)
}

var _ Invalidator = (*Cache)(nil)

// Invalidate drops the organisation's cached entries, or every
// organisation's when orgID is "" (a change feed's "changes may have been
// missed"). A read that began before it does not store its result, which
// may predate the change.
func (s *Cache) Invalidate(orgID string) {
	if orgID != "" {
		s.invalidate(orgID)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Reads in flight hold their organisation's old cache, which put then
	// finds is no longer in s.orgs, so they store nothing.
	s.orgs = map[string]*org{}
	s.size = 0
}
