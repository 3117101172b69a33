package storecache

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// NewChecking is New for tests of code that uses the cache: it also keeps
// a deep copy of every endpoint it caches and panics when a cached
// endpoint no longer equals its copy, which means a caller modified an
// endpoint it should have treated as read-only. It costs a copy per miss
// and a comparison per hit: not for production.
func NewChecking(s switchboard.Store, ttl time.Duration, clock switchboard.Clock) *Cache {
	c := New(s, ttl, clock)
	c.checking = true
	return c
}

// Close closes the underlying store. A checking cache first compares every
// endpoint it holds with its copy and reports those a caller modified.
func (s *Cache) Close() error {
	var errs []error
	if s.checking {
		s.mu.RLock()
		for _, o := range s.orgs {
			for _, e := range o.finds {
				if !reflect.DeepEqual(e.ep, e.shadow) {
					errs = append(errs, fmt.Errorf("storecache: a caller modified cached endpoint %s", e.ep.ID))
				}
			}
			for _, l := range o.lists {
				for i, ep := range l.eps {
					if !reflect.DeepEqual(ep, l.shadow[i]) {
						errs = append(errs, fmt.Errorf("storecache: a caller modified cached endpoint %s (in a list)", ep.ID))
					}
				}
			}
		}
		s.mu.RUnlock()
	}
	return errors.Join(append(errs, s.Store.Close())...)
}

// shadow returns a deep copy of ep to check it against later, when the
// store is checking (tests), and nil otherwise.
func (s *Cache) shadow(ep *switchboard.Endpoint) *switchboard.Endpoint {
	if !s.checking || ep == nil {
		return nil
	}
	c := new(switchboard.Endpoint)
	copyInto(c, ep)
	return c
}

// check panics, when the store is checking (tests), if a caller modified
// a cached endpoint since it was cached.
func (s *Cache) check(ep, shadow *switchboard.Endpoint) {
	if s.checking && !reflect.DeepEqual(ep, shadow) {
		panic("storecache: a caller modified a cached endpoint: " + ep.ID)
	}
}
