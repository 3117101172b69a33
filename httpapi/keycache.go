package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// keyCache remembers recently verified API keys for a short time so that a
// busy client does not cost a database read per request. Only successful
// lookups are cached, keyed by the hash; a revoked key stops working within
// the TTL.
type keyCache struct {
	store switchboard.APIKeyService
	ttl   time.Duration
	now   func() time.Time

	mu      sync.RWMutex
	entries map[string]keyCacheEntry
}

type keyCacheEntry struct {
	key     *switchboard.APIKey
	expires time.Time
}

// maxCachedKeys bounds memory; past it the cache starts over.
const maxCachedKeys = 10000

func (c *keyCache) lookup(ctx context.Context, secret string) (*switchboard.APIKey, error) {
	hash := switchboard.HashAPIKey(secret)
	now := c.now()
	if c.ttl > 0 {
		c.mu.RLock()
		e, ok := c.entries[hash]
		c.mu.RUnlock()
		if ok && now.Before(e.expires) {
			return e.key, nil
		}
	}
	key, err := c.store.FindAPIKeyByHash(ctx, hash)
	if err != nil {
		return nil, err
	}
	if c.ttl > 0 {
		c.mu.Lock()
		if len(c.entries) >= maxCachedKeys {
			c.entries = make(map[string]keyCacheEntry)
		}
		c.entries[hash] = keyCacheEntry{key: key, expires: now.Add(c.ttl)}
		c.mu.Unlock()
	}
	return key, nil
}
