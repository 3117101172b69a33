package httpapi

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// keyCache remembers recently verified API keys for a short time so that a
// busy client does not cost a database read per request. Only successful
// lookups are cached, keyed by the SHA-256 of the secret; a revoked key
// stops working within the TTL.
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
	if cacheable {
		c.mu.RLock()
		e, ok := c.entries[string(sum[:])] // no allocation for the lookup
		c.mu.RUnlock()
		if ok && now.Before(e.expires) {
			return e.key, nil
		}
	}
	key, err := c.store.FindAPIKeyByHash(ctx, switchboard.HashAPIKey(secret))
	if err != nil {
		return nil, err
	}
	if cacheable {
		c.mu.Lock()
		if len(c.entries) >= maxCachedKeys {
			c.entries = make(map[string]keyCacheEntry)
		}
		c.entries[string(sum[:])] = keyCacheEntry{key: key, expires: now.Add(c.ttl)}
		c.mu.Unlock()
	}
	return key, nil
}

// maxHashedOnStack is the longest secret the cache hashes in a stack
// buffer (well-formed keys are 48 bytes); longer ones are not cached.
const maxHashedOnStack = 128
