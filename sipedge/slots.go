package sipedge

import "sync"

// slots counts live calls per key (a called number, a trunk) against a
// limit, for the node.
type slots struct {
	mu sync.Mutex
	n  map[string]int
}

// acquire takes a slot of key, or reports that key has max live calls
// already; max <= 0 means no limit, and nothing is counted.
func (s *slots) acquire(key string, max int) bool {
	if max <= 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[key] >= max {
		return false
	}
	if s.n == nil {
		s.n = map[string]int{}
	}
	s.n[key]++
	return true
}

// release gives back a slot acquire took with the same max.
func (s *slots) release(key string, max int) {
	if max <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[key]--; s.n[key] <= 0 {
		delete(s.n, key)
	}
}

// live returns how many slots of key are taken.
func (s *slots) live(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[key]
}
