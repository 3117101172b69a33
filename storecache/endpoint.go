package storecache

import (
	"context"
	"maps"
	"slices"

	"github.com/switchboard-voice/switchboard"
)

// FindEndpoint returns the organisation's endpoint from the cache, or
// reads it through and caches it. Errors (ENDPOINT_NOT_FOUND included) are
// not cached. The endpoint is shared with the cache: read-only.
func (s *Cache) FindEndpoint(ctx context.Context, orgID, id string) (*switchboard.Endpoint, error) {
	now := s.clock()
	s.mu.RLock()
	if o := s.orgs[orgID]; o != nil {
		if e, ok := o.finds[id]; ok && now.Before(e.expires) {
			s.mu.RUnlock()
			s.check(e.ep, e.shadow)
			return e.ep, nil
		}
	}
	s.mu.RUnlock()

	o, gen := s.snapshot(orgID)
	ep, err := s.Store.FindEndpoint(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	entry := findEntry{ep: ep, expires: now.Add(s.ttl), shadow: s.shadow(ep)}
	s.put(orgID, o, gen, 1, func(o *org) {
		if o.finds == nil {
			o.finds = map[string]findEntry{}
		}
		if _, ok := o.finds[id]; ok {
			o.size--
			s.size--
		}
		o.finds[id] = entry
		o.size++
		s.size++
	})
	return ep, nil
}

// ListEndpoints returns one page of the organisation's endpoints from the
// cache, or reads it through and caches it, keyed by the whole filter. The
// slice is the caller's; the endpoints are shared with the cache: read-only.
func (s *Cache) ListEndpoints(ctx context.Context, orgID string, f switchboard.EndpointFilter) ([]*switchboard.Endpoint, int, error) {
	now := s.clock()
	s.mu.RLock()
	if o := s.orgs[orgID]; o != nil {
		if e, ok := o.lists[f]; ok && now.Before(e.expires) {
			s.mu.RUnlock()
			if s.checking {
				for i, ep := range e.eps {
					s.check(ep, e.shadow[i])
				}
			}
			return slices.Clone(e.eps), e.total, nil
		}
	}
	s.mu.RUnlock()

	o, gen := s.snapshot(orgID)
	eps, total, err := s.Store.ListEndpoints(ctx, orgID, f)
	if err != nil {
		return nil, 0, err
	}
	entry := listEntry{eps: slices.Clone(eps), total: total, expires: now.Add(s.ttl)}
	if s.checking {
		for _, ep := range eps {
			entry.shadow = append(entry.shadow, s.shadow(ep))
		}
	}
	n := max(len(eps), 1) // an empty page still takes an entry
	s.put(orgID, o, gen, n, func(o *org) {
		if o.lists == nil {
			o.lists = map[switchboard.EndpointFilter]listEntry{}
		}
		if old, ok := o.lists[f]; ok {
			o.size -= max(len(old.eps), 1)
			s.size -= max(len(old.eps), 1)
		}
		o.lists[f] = entry
		o.size += n
		s.size += n
	})
	return eps, total, nil
}

// copyInto sets *dst to a deep copy of *src. The fields that are pointers
// or maps are the ones copied by hand; TestCloneCoversEndpointFields fails
// when Endpoint gains another.
func copyInto(dst, src *switchboard.Endpoint) {
	*dst = *src
	if src.ProviderConfig != nil {
		pc := *src.ProviderConfig
		dst.ProviderConfig = &pc
	}
	if src.Headers != nil {
		dst.Headers = maps.Clone(src.Headers)
	}
	if src.Credentials != nil {
		cr := *src.Credentials
		dst.Credentials = &cr
	}
}
