package webhook

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultScheduleSpec is KrosAI's retry schedule in the syntax of
// --webhook-retry-schedule: the first attempt at once, then retries after
// 1 min, 5 min, 30 min and 2 h, about 2 h 36 min in all. Receivers written
// for KrosAI expect this rhythm; operators who want the longer Standard
// Webhooks tail can pass their own schedule.
const DefaultScheduleSpec = "0s,1m,5m,30m,2h"

// Schedule limits. Twenty entries is twice the Standard Webhooks example
// schedule; a single delay of more than a week is almost certainly a typo
// ("2000h" for "20h").
const (
	MaxScheduleEntries = 20
	MaxScheduleDelay   = 7 * 24 * time.Hour
)

// MaxRetryAfter caps how long a receiver's Retry-After may push the next
// attempt out, so that a hostile or buggy receiver cannot park a delivery
// (and its slot in the outbox) indefinitely.
const MaxRetryAfter = time.Hour

// DefaultSchedule returns DefaultScheduleSpec parsed. It returns a new
// slice on every call, so no caller can change another's schedule.
func DefaultSchedule() []time.Duration {
	return []time.Duration{0, time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}
}

// ParseSchedule parses --webhook-retry-schedule: 1 to MaxScheduleEntries
// comma-separated Go durations ("0s,1m,5m,30m,2h"), each between 0 and
// MaxScheduleDelay. Entry i is the delay before attempt i+1, counted from
// the previous attempt (entry 0 from when the event was recorded), so the
// number of entries is the maximum number of attempts. Entries need not
// increase: "0s,10s,10s,10s" is a valid flat schedule. Spaces around
// entries are ignored.
func ParseSchedule(s string) ([]time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("webhook retry schedule is empty; use e.g. %q", DefaultScheduleSpec)
	}
	parts := strings.Split(s, ",")
	if len(parts) > MaxScheduleEntries {
		return nil, fmt.Errorf("webhook retry schedule has %d entries; at most %d are allowed", len(parts), MaxScheduleEntries)
	}
	out := make([]time.Duration, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		d, err := time.ParseDuration(p)
		switch {
		case err != nil:
			return nil, fmt.Errorf("webhook retry schedule entry %d (%q) is not a duration such as 30s, 5m or 2h", i+1, p)
		case d < 0:
			return nil, fmt.Errorf("webhook retry schedule entry %d (%q) is negative", i+1, p)
		case d > MaxScheduleDelay:
			return nil, fmt.Errorf("webhook retry schedule entry %d (%q) is longer than %v", i+1, p, MaxScheduleDelay)
		}
		out[i] = d
	}
	return out, nil
}

// NextDelay returns how long to wait before the next attempt, given the
// number of attempts already made (1 after the first) and the receiver's
// Retry-After (0 when absent). It returns false when the schedule is
// spent, and the delivery becomes failed (and replayable).
//
// Retry-After is honoured as a floor, capped at MaxRetryAfter: it can make
// us wait longer than the schedule says, up to an hour, but never shorter,
// and it never adds attempts.
func NextDelay(schedule []time.Duration, attempt int, retryAfter time.Duration) (time.Duration, bool) {
	attempt = max(attempt, 0)
	if attempt >= len(schedule) {
		return 0, false
	}
	d := schedule[attempt]
	if ra := min(retryAfter, MaxRetryAfter); ra > d {
		d = ra
	}
	return d, true
}

// ParseRetryAfter reads a Retry-After header value (RFC 9110 §10.2.3):
// either delta-seconds ("120") or an HTTP-date, which is measured from
// now. Anything else, a date in the past, or an empty value gives 0, which
// NextDelay treats as "no preference". Huge values saturate rather than
// overflow; NextDelay applies the cap.
func ParseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if strings.Trim(h, "0123456789") == "" {
		// Digits only: strconv would also take "+5", which the grammar
		// (1*DIGIT) does not allow.
		n, err := strconv.ParseUint(h, 10, 64)
		if err != nil || n > uint64(math.MaxInt64/int64(time.Second)) {
			return time.Duration(math.MaxInt64)
		}
		return time.Duration(n) * time.Second
	}
	t, err := http.ParseTime(h)
	if err != nil {
		return 0
	}
	return max(t.Sub(now), 0)
}
