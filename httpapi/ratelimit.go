package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// limiter is a token bucket per API key: rate tokens a second, up to burst.
// It is per node: several nodes each allow the full rate.
type limiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket

	limitOnce  sync.Once
	limitValue []string // X-RateLimit-Limit, shared by every response: never modify
}

type bucket struct {
	tokens float64
	last   time.Time
}

// allow takes a token for key and sets the X-RateLimit-* headers. When the
// bucket is empty it returns a RATE_LIMIT_EXCEEDED error that carries how
// many seconds to wait, for error.go to render.
func (l *limiter) allow(w http.ResponseWriter, key string) error {
	if l.rate <= 0 {
		return nil
	}
	now := l.now()
	l.mu.Lock()
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	allowed := b.tokens >= 1
	if allowed {
		b.tokens--
	}
	tokens := b.tokens
	l.mu.Unlock()

	full := now.Add(time.Duration((l.burst - tokens) / l.rate * float64(time.Second)))
	reset := int64(math.Ceil(float64(full.UnixNano()) / 1e9))
	// The keys are the canonical forms Header.Set would use. The limit
	// never changes, so its value is formatted once and shared; the other
	// two are formatted into one string and one two-element slice.
	l.limitOnce.Do(func() { l.limitValue = []string{strconv.FormatFloat(l.rate, 'f', -1, 64)} })
	var buf [48]byte
	nb := strconv.AppendInt(buf[:0], int64(int(tokens)), 10)
	split := len(nb)
	nb = strconv.AppendInt(nb, reset, 10)
	str := string(nb)
	vals := []string{str[:split], str[split:]}
	h := w.Header()
	h["X-Ratelimit-Limit"] = l.limitValue
	h["X-Ratelimit-Remaining"] = vals[0:1:1]
	h["X-Ratelimit-Reset"] = vals[1:2:2]
	if allowed {
		return nil
	}
	return &retryAfterError{
		err:  switchboard.Errorf(switchboard.ECodeRateLimited, "rate limit exceeded"),
		wait: math.Ceil((1-tokens)/l.rate*1000) / 1000,
	}
}
