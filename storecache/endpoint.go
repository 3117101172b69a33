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
	ep, _, err := s.find(ctx, orgID, id)
	return ep, err
}

// FindEndpointJSON is FindEndpoint encoded by encode, which must be a
// pure function of the endpoint: its bytes are cached with the endpoint
// and shared by every later hit, so a read costs neither a query nor an
// encoding. The bytes are read-only.
func (s *Cache) FindEndpointJSON(ctx context.Context, orgID, id string, encode func(*switchboard.Endpoint) ([]byte, error)) ([]byte, error) {
	ep, b, err := s.find(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	return b.get(func() ([]byte, error) { return encode(ep) })
}

// find is FindEndpoint with the entry's body slot.
func (s *Cache) find(ctx context.Context, orgID, id string) (*switchboard.Endpoint, *body, error) {
	now := s.clock()
	s.mu.RLock()
	if o := s.orgs[orgID]; o != nil {
		if e, ok := o.finds[id]; ok && now.Before(e.expires) {
			s.mu.RUnlock()
			s.check(e.ep, e.shadow)
			return e.ep, e.body, nil
		}
	}
	s.mu.RUnlock()

	o, gen := s.snapshot(orgID)
	ep, err := s.Store.FindEndpoint(ctx, orgID, id)
	if err != nil {
		return nil, nil, err
	}
	entry := findEntry{ep: ep, expires: now.Add(s.ttl), shadow: s.shadow(ep), body: new(body)}
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
	return ep, entry.body, nil
}

// ListEndpoints returns one page of the organisation's endpoints from the
// cache, or reads it through and caches it, keyed by the whole filter. The
// slice is the caller's; the endpoints are shared with the cache: read-only.
func (s *Cache) ListEndpoints(ctx context.Context, orgID string, f switchboard.EndpointFilter) ([]*switchboard.Endpoint, int, error) {
	eps, total, _, err := s.list(ctx, orgID, f)
	if err != nil {
		return nil, 0, err
	}
	return slices.Clone(eps), total, nil
}

// ListEndpointsJSON is ListEndpoints encoded by encode, which must be a
// pure function of the page, the total and the filter: its bytes are
// cached with the page, as FindEndpointJSON's are. The bytes are read-only.
func (s *Cache) ListEndpointsJSON(ctx context.Context, orgID string, f switchboard.EndpointFilter, encode func([]*switchboard.Endpoint, int) ([]byte, error)) ([]byte, error) {
	eps, total, b, err := s.list(ctx, orgID, f)
	if err != nil {
		return nil, err
	}
	return b.get(func() ([]byte, error) { return encode(eps, total) })
}

// list is ListEndpoints with the entry's body slot. The slice returned is
// shared with the cache.
func (s *Cache) list(ctx context.Context, orgID string, f switchboard.EndpointFilter) ([]*switchboard.Endpoint, int, *body, error) {
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
			return e.eps, e.total, e.body, nil
		}
	}
	s.mu.RUnlock()

	o, gen := s.snapshot(orgID)
	eps, total, err := s.Store.ListEndpoints(ctx, orgID, f)
	if err != nil {
		return nil, 0, nil, err
	}
	entry := listEntry{eps: slices.Clone(eps), total: total, expires: now.Add(s.ttl), body: new(body)}
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
	return entry.eps, total, entry.body, nil
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
