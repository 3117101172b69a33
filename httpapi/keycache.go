package httpapi

import (
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// keyCache remembers recently verified API keys for a short time so that a
// busy client does not cost a database read per request. Only successful
// lookups are cached, keyed by the SHA-256 of the secret. A cached key is
// dropped when its organisation's keys change (invalidate: a revocation
// here, or the change feed for one made through another node) and
// otherwise trusted for the TTL at most; its expiry is checked against
// the clock on every hit.
type keyCache struct {
	store switchboard.APIKeyService
	ttl   time.Duration
	now   func() time.Time

	mu      sync.RWMutex
	entries map[string]*keyCacheEntry
	// gen counts invalidations: a lookup that began before one does not
	// store what it read, which may predate a revocation.
	gen uint64
}

type keyCacheEntry struct {
	key     *switchboard.APIKey
	expires time.Time
	// used is when a use of the key was last recorded, or known to be
	// (its last_used_at when read), in Unix nanoseconds: lookup reports a
	// use to record once it is APIKeyUsedResolution old.
	used atomic.Int64
}

// maxCachedKeys bounds memory; past it the cache starts over.
const maxCachedKeys = 10000

// lookup returns the usable key whose secret this is, and whether a use of
// it is due to be recorded (Service.TouchAPIKey): at most once per
// APIKeyUsedResolution per cached key, rather than a write per request.
func (c *keyCache) lookup(ctx context.Context, secret string) (key *switchboard.APIKey, touch bool, err error) {
	// The cache is keyed by the raw SHA-256 of the secret, computed
	// without allocating; the store is asked by switchboard.HashAPIKey, on
	// a miss only.
	var sum [sha256.Size]byte
	cacheable := c.ttl > 0 && len(secret) <= maxHashedOnStack
	if cacheable {
		var buf [maxHashedOnStack]byte
		sum = sha256.Sum256(buf[:copy(buf[:], secret)])
	}
	now := c.now()
	var gen uint64
	if cacheable {
		c.mu.RLock()
		e, ok := c.entries[string(sum[:])] // no allocation for the lookup
		gen = c.gen
		c.mu.RUnlock()
		if ok && now.Before(e.expires) {
			if err := e.key.CheckUsable(now); err != nil {
				return nil, false, err // expired since it was cached
			}
			return e.key, e.due(now), nil
		}
	}
	key, err = c.store.FindAPIKeyByHash(ctx, switchboard.HashAPIKey(secret))
	if err != nil {
		return nil, false, err
	}
	e := &keyCacheEntry{key: key, expires: now.Add(c.ttl)}
	if key.LastUsedAt != nil {
		e.used.Store(key.LastUsedAt.UnixNano())
	}
	touch = e.due(now)
	if cacheable {
		c.mu.Lock()
		if c.gen == gen { // else the key may have been revoked meanwhile
			if len(c.entries) >= maxCachedKeys {
				c.entries = make(map[string]*keyCacheEntry)
			}
			c.entries[string(sum[:])] = e
		}
		c.mu.Unlock()
	}
	return key, touch, nil
}

// due reports whether a use at now should be recorded, and if so marks it
// recorded, so that of concurrent requests only one records it.
func (e *keyCacheEntry) due(now time.Time) bool {
	last := e.used.Load()
	if now.UnixNano()-last < int64(switchboard.APIKeyUsedResolution) {
		return false
	}
	return e.used.CompareAndSwap(last, now.UnixNano())
}

// invalidate drops the organisation's keys, or every key when orgID is "".
func (c *keyCache) invalidate(orgID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if orgID == "" {
		c.entries = make(map[string]*keyCacheEntry)
		return
	}
	for h, e := range c.entries {
		if e.key.OrganizationID == orgID {
			delete(c.entries, h)
		}
	}
}

// maxHashedOnStack is the longest secret the cache hashes in a stack
// buffer (well-formed keys are 48 bytes); longer ones are not cached.
const maxHashedOnStack = 128
