package sipedge

import "time"

// generations is a map whose entries expire without a sweep: two
// generations, the current one taking every put, rotated once per period.
// An entry put is held until the rotation after next, so for at least one
// period and at most two after its last put. Callers lock.
type generations[K comparable, V any] struct {
	every     time.Duration
	rotated   time.Time
	cur, prev map[K]V
}

func newGenerations[K comparable, V any](now time.Time, every time.Duration) generations[K, V] {
	return generations[K, V]{every: every, rotated: now, cur: map[K]V{}, prev: map[K]V{}}
}

// rotate drops the older generation if a period has passed since the last
// rotation (both, after two periods).
func (g *generations[K, V]) rotate(now time.Time) {
	switch elapsed := now.Sub(g.rotated); {
	case elapsed < g.every:
		return
	case elapsed < 2*g.every:
		g.prev, g.cur = g.cur, make(map[K]V, len(g.cur))
	default:
		g.prev, g.cur = map[K]V{}, map[K]V{}
	}
	g.rotated = now
}

func (g *generations[K, V]) get(k K) (V, bool) {
	if v, ok := g.cur[k]; ok {
		return v, true
	}
	v, ok := g.prev[k]
	return v, ok
}

// put stores v under k in the current generation.
func (g *generations[K, V]) put(k K, v V) {
	delete(g.prev, k)
	g.cur[k] = v
}

// len is how many keys are held.
func (g *generations[K, V]) len() int { return len(g.cur) + len(g.prev) }
