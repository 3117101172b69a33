// Package switchboard holds the domain of Switchboard, a self-hosted voice
// bridge: organisations, API keys, endpoints, phone numbers and the rules
// that govern them. It imports only the standard library and pure-function
// libraries; storage, HTTP and SIP live in adapter packages that import it.
package switchboard

import "time"

// Version is the release of this build; set with -ldflags at release time.
var Version = "dev"

// Clock returns the current time. Stores and services take one so tests can
// control time (idempotency expiry, timestamps) without sleeping.
type Clock func() time.Time

// SystemClock is the wall clock, truncated to microseconds and in UTC so
// that values survive a round trip through either database unchanged.
func SystemClock() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Page selects a window of a list: Limit rows starting at Offset.
type Page struct {
	Limit  int
	Offset int
}

// LimitOffset returns the LIMIT and OFFSET of the page; a zero limit means
// DefaultLimit. The HTTP layer rejects out-of-range values before a store
// sees them.
func (p Page) LimitOffset() (limit, offset int) {
	limit, offset = p.Limit, p.Offset
	if limit <= 0 {
		limit = DefaultLimit
	}
	return limit, max(offset, 0)
}

// Paging limits shared by every list in the API.
const (
	DefaultLimit = 50
	MaxLimit     = 100
)
