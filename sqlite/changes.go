package sqlite

import (
	"context"
	"sync"
)

// The change feed of the SQLite store is in-process: every write goes
// through this DB's single writer, so the write paths that change an
// organisation's numbers or endpoints tell the hub once their transaction
// has committed (db.changed), and a write that failed or rolled back tells
// nobody.
//
// Writes made by another process on the same file (the CLI next to serve)
// are not seen: SQLite has no cross-process notification.

// maxPendingOrgs bounds what one slow subscriber accumulates: past it the
// pending organisations collapse into "" (reload everything), which loses
// nothing and keeps memory bounded however far the subscriber lags.
const maxPendingOrgs = 1024

// changeHub fans committed changes out to the subscriptions of one DB. Its
// zero value is ready to use.
type changeHub struct {
	mu   sync.Mutex
	subs map[*changeSub]struct{}
}

// changeSub is one subscription. Changes are queued here and the
// subscription's own goroutine (the SubscribeChanges call) calls fn, so a
// slow subscriber never holds up a writer. Changes of one organisation not
// yet delivered coalesce into one call; organisations are delivered in the
// order they first changed.
type changeSub struct {
	wake chan struct{} // capacity 1: something is pending

	mu      sync.Mutex
	pending []string // organisations changed and not yet delivered
	queued  map[string]bool
	all     bool // deliver "" (reload everything) instead of pending
}

// changed tells the subscribers that the organisation's numbers or
// endpoints changed. Call it only after the change committed.
func (db *Driver) changed(orgID string) { db.changes.publish(orgID) }

// publish queues orgID for every subscription of the hub.
func (h *changeHub) publish(orgID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.add(orgID)
	}
}

// add queues orgID ("" meaning everything) and wakes the subscriber. It
// never blocks.
func (s *changeSub) add(orgID string) {
	s.mu.Lock()
	switch {
	case s.all:
		// Already reloading everything, which covers this change.
	case orgID == "" || len(s.pending) >= maxPendingOrgs:
		s.all = true
		s.pending = nil
		clear(s.queued)
	case !s.queued[orgID]:
		s.queued[orgID] = true
		s.pending = append(s.pending, orgID)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // already woken; it will take what was just added
	}
}

// take returns what is pending and empties the queue.
func (s *changeSub) take() (orgs []string, all bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	orgs, all = s.pending, s.all
	s.pending, s.all = nil, false
	clear(s.queued)
	return orgs, all
}

// SubscribeChanges calls fn with the organisation's ID after each
// committed change, made through this DB, to its numbers or endpoints,
// until ctx ends; then it returns nil. Its first call is fn(""), once the
// subscription is in place, so a caller that (re)loads everything then
// misses no change. fn is called from SubscribeChanges' goroutine, one call
// at a time; changes made while fn runs wait, coalesced, for it to return,
// and never wait on it themselves.
func (db *Driver) SubscribeChanges(ctx context.Context, fn func(orgID string)) error {
	return db.changes.subscribe(ctx, fn)
}

// SubscribeEvents calls fn with the organisation's ID after each committed
// transaction, made through this DB, that wrote events of it, as
// SubscribeChanges does for routing changes (switchboard.EventFeed).
func (db *Driver) SubscribeEvents(ctx context.Context, fn func(orgID string)) error {
	return db.events.subscribe(ctx, fn)
}

// subscribe calls fn with what is published on the hub until ctx ends,
// first with "".
func (h *changeHub) subscribe(ctx context.Context, fn func(orgID string)) error {
	s := &changeSub{wake: make(chan struct{}, 1), queued: map[string]bool{}}
	s.add("") // the first delivery, "everything", covers what happened before

	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*changeSub]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.subs, s)
		h.mu.Unlock()
	}()

	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		}
		orgs, all := s.take()
		if all {
			fn("")
			continue
		}
		for _, orgID := range orgs {
			if ctx.Err() != nil {
				return nil
			}
			fn(orgID)
		}
	}
}
