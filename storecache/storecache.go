// Package storecache wraps a switchboard.Store with a read-through cache of
// endpoints, the objects the API and the call plane read on almost every
// request.
//
// FindEndpoint and ListEndpoints results are kept per organisation. Each
// organisation has a generation counter that every write of that
// organisation made through the wrapper bumps once the write returns, which
// drops the organisation's entries; a read that started before the bump
// never stores its (possibly older) result. So within this process a read
// that starts after a write has returned always sees that write.
//
// Writers outside this process (another node on a shared database, the CLI
// next to serve) cannot bump the counter: their changes become visible when
// the entry expires, so the TTL (1 s by default) bounds that staleness.
//
// Only successful results are cached. The endpoints returned are shared
// with the cache and with every other caller: treat them as read-only
// (copy one before changing it). Deep-copying them on every hit would cost
// more than encoding them. UpdateEndpoint's function still gets the
// store's own fresh copy, read in its transaction, and
// (*switchboard.Endpoint).Apply returns a new endpoint without touching
// its receiver. The package's tests run the conformance suite, and
// httpapi's tests the API, on a checking cache that panics when a caller
// modified a cached endpoint.
//
// Memory is bounded by the number of endpoints held (see maxOrgEntries and
// maxEntries).
package storecache

import (
	"sync"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// DefaultTTL is the TTL used when New is given a zero or negative one.
const DefaultTTL = time.Second

// Bounds on the memory held, counted in endpoints (a cached list of n rows
// counts n). Past maxOrgEntries an organisation's entries are dropped; past
// maxEntries endpoints, or as many organisations, the whole cache starts
// over.
const (
	maxOrgEntries = 2048
	maxEntries    = 32768
)

// Cache is the caching wrapper, a switchboard.Store. The embedded Store answers every method
// that is not overridden here: the reads that are not cached and the
// writes that cannot change an endpoint (see write.go).
type Cache struct {
	switchboard.Store
	ttl   time.Duration
	clock switchboard.Clock

	// Bounds, in endpoints; tests lower them.
	maxOrg, maxAll int
	// checking keeps a deep copy of every cached endpoint and panics on a
	// hit when the two differ: a caller modified a shared endpoint. Tests
	// only (NewChecking).
	checking bool

	mu   sync.RWMutex
	orgs map[string]*org
	size int // endpoints held across every org
}

// org is one organisation's cache. Its entries always belong to the current
// generation: a bump clears them.
type org struct {
	gen   uint64
	size  int // endpoints held in finds and lists
	finds map[string]findEntry
	lists map[switchboard.EndpointFilter]listEntry
}

type findEntry struct {
	ep      *switchboard.Endpoint
	expires time.Time
	shadow  *switchboard.Endpoint // when checking
	body    *body
}

type listEntry struct {
	eps     []*switchboard.Endpoint
	total   int
	expires time.Time
	shadow  []*switchboard.Endpoint // when checking
	body    *body
}

// New returns store with FindEndpoint and ListEndpoints cached for ttl
// (DefaultTTL when ttl <= 0), read from clock (switchboard.SystemClock
// when nil). Every write must go through the returned Store for this
// process to read its own writes at once.
func New(s switchboard.Store, ttl time.Duration, clock switchboard.Clock) *Cache {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if clock == nil {
		clock = switchboard.SystemClock
	}
	return &Cache{Store: s, ttl: ttl, clock: clock, maxOrg: maxOrgEntries, maxAll: maxEntries,
		orgs: map[string]*org{}}
}

// snapshot returns the organisation's cache, created if needed, and its
// generation. A result read from the database after this call may be put
// back with that generation.
func (s *Cache) snapshot(orgID string) (*org, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgs[orgID]
	if o == nil {
		if len(s.orgs) >= s.maxAll { // organisations whose reads all failed hold nothing
			s.orgs = map[string]*org{}
			s.size = 0
		}
		o = &org{}
		s.orgs[orgID] = o
	}
	return o, o.gen
}

// put stores an entry of n endpoints through add, unless the organisation
// has moved on to a later generation (a write happened since the read
// began) or was dropped from the cache. It keeps the bounds.
func (s *Cache) put(orgID string, o *org, gen uint64, n int, add func(o *org)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.gen != gen || s.orgs[orgID] != o || n > s.maxOrg {
		return
	}
	if o.size+n > s.maxOrg {
		s.clear(o)
	}
	if s.size+n > s.maxAll {
		s.orgs = map[string]*org{}
		s.size = 0
		return // o is no longer in the cache
	}
	add(o)
}

// clear drops the organisation's entries; s.mu must be held.
func (s *Cache) clear(o *org) {
	s.size -= o.size
	o.size = 0
	o.finds = nil
	o.lists = nil
}

// invalidate starts a new generation for the organisation, dropping its
// entries and refusing the results of reads that began before. Writes call
// it after the underlying store returns, whether or not the write failed.
func (s *Cache) invalidate(orgID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orgs[orgID]; o != nil {
		o.gen++
		s.clear(o)
	}
}
