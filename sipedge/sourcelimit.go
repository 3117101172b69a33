package sipedge

import (
	"net/netip"
	"sync"
	"time"
)

// Refusals to a source outside the trusted networks are rate-limited per
// source address: a few are answered, so a misconfigured carrier learns
// why its calls fail, and the rest are dropped unanswered, so a flood
// costs the node the parsing of each datagram and nothing more.
const (
	refusalBurst   = 10     // refusals answered at once to one address
	refusalRate    = 1.0    // and then this many per second
	refusalSources = 10_000 // addresses tracked at most
)

// sourceLimiter is a token bucket per source address. Its buckets live in
// two generations rotated every refill period: an address not seen for a
// whole period has a full bucket again, so forgetting it changes nothing.
// Memory is bounded: once max addresses are tracked, a new one is refused
// until rotations make room (a flood from many addresses is refused, not
// remembered).
type sourceLimiter struct {
	mu      sync.Mutex
	now     func() time.Time
	rate    float64 // tokens per second
	burst   float64
	max     int
	buckets generations[netip.Addr, bucket]
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newSourceLimiter(now func() time.Time, rate float64, burst, max int) *sourceLimiter {
	refill := time.Duration(float64(burst) / rate * float64(time.Second))
	return &sourceLimiter{now: now, rate: rate, burst: float64(burst), max: max,
		buckets: newGenerations[netip.Addr, bucket](now(), refill)}
}

// allow takes a token from a's bucket, reporting whether there was one.
func (l *sourceLimiter) allow(a netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok, now := l.load(a)
	if !ok {
		if l.buckets.len() >= l.max {
			return false
		}
		b = bucket{tokens: l.burst, at: now}
	}
	b.tokens = l.refilled(b, now)
	b.at = now
	ok = b.tokens >= 1
	if ok {
		b.tokens--
	}
	l.buckets.put(a, b)
	return ok
}

// exhausted reports whether a's bucket is empty, taking nothing from it:
// a source that used up its share is turned away before any work is done
// for it, and only its failures take tokens (allow).
func (l *sourceLimiter) exhausted(a netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok, now := l.load(a)
	return ok && l.refilled(b, now) < 1
}

// load returns a's bucket, if tracked, as of now. Callers lock.
func (l *sourceLimiter) load(a netip.Addr) (b bucket, ok bool, now time.Time) {
	now = l.now()
	l.buckets.rotate(now)
	b, ok = l.buckets.get(a)
	return b, ok, now
}

// refilled is how many tokens b holds at now.
func (l *sourceLimiter) refilled(b bucket, now time.Time) float64 {
	return min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
}

// size is how many addresses are tracked (for tests).
func (l *sourceLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buckets.len()
}

// sourceSet remembers addresses for a while: those that recently proved
// who they are (an agent platform's signalling address that answered a
// digest challenge). Like sourceLimiter it forgets by rotating two
// generations, and holds at most max addresses.
type sourceSet struct {
	mu    sync.Mutex
	now   func() time.Time
	max   int
	addrs generations[netip.Addr, struct{}]
}

func newSourceSet(now func() time.Time, every time.Duration, max int) *sourceSet {
	return &sourceSet{now: now, max: max, addrs: newGenerations[netip.Addr, struct{}](now(), every)}
}

// add remembers a, unless the set is full.
func (s *sourceSet) add(a netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addrs.rotate(s.now())
	if _, ok := s.addrs.get(a); ok || s.addrs.len() < s.max {
		s.addrs.put(a, struct{}{})
	}
}

// has reports whether a was added lately.
func (s *sourceSet) has(a netip.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addrs.rotate(s.now())
	_, ok := s.addrs.get(a)
	return ok
}
