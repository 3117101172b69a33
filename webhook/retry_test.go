package webhook

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDefaultSchedule(t *testing.T) {
	parsed, err := ParseSchedule(DefaultScheduleSpec)
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultSchedule()
	if !slices.Equal(parsed, def) {
		t.Fatalf("DefaultSchedule() = %v, spec parses to %v", def, parsed)
	}
	var total time.Duration
	for _, d := range def {
		total += d
	}
	if total != 2*time.Hour+36*time.Minute {
		t.Fatalf("KrosAI's schedule spans 2h36m, got %v", total)
	}
	def[0] = time.Hour
	if DefaultSchedule()[0] != 0 {
		t.Fatal("DefaultSchedule must return a fresh slice")
	}
}

func TestParseSchedule(t *testing.T) {
	m, h := time.Minute, time.Hour
	tests := []struct {
		in   string
		want []time.Duration // nil means error
		err  string
	}{
		{"0s,1m,5m,30m,2h", []time.Duration{0, m, 5 * m, 30 * m, 2 * h}, ""},
		{"0s", []time.Duration{0}, ""},
		{"0", []time.Duration{0}, ""},
		{" 0s , 1m,  5m ", []time.Duration{0, m, 5 * m}, ""},
		{"10s,5s,1m", []time.Duration{10 * time.Second, 5 * time.Second, m}, ""}, // non-decreasing not required
		{"0s,10s,10s,10s", []time.Duration{0, 10 * time.Second, 10 * time.Second, 10 * time.Second}, ""},
		{"1h30m,500ms", []time.Duration{90 * m, 500 * time.Millisecond}, ""},
		{"0s,5s,5m,30m,2h,5h,10h,14h,20h,24h", []time.Duration{0, 5 * time.Second, 5 * m, 30 * m, 2 * h, 5 * h, 10 * h, 14 * h, 20 * h, 24 * h}, ""},
		{"168h", []time.Duration{168 * h}, ""},
		{strings.Repeat("1s,", 19) + "1s", slices.Repeat([]time.Duration{time.Second}, 20), ""},
		{strings.Repeat("1s,", 20) + "1s", nil, "at most 20"},
		{"", nil, "empty"},
		{"   ", nil, "empty"},
		{"0s,", nil, "entry 2"},
		{",1m", nil, "entry 1"},
		{"0s,,1m", nil, "entry 2"},
		{"1m,-5s", nil, "negative"},
		{"5", nil, "not a duration"},
		{"5x", nil, "not a duration"},
		{"1d", nil, "not a duration"},
		{"2000h", nil, "longer than"},
		{"99999999999999h", nil, "not a duration"},
		{"0s;1m", nil, "not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSchedule(tt.in)
			if tt.want == nil {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseSchedule = %v, %v; want an error containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ParseSchedule = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestNextDelay(t *testing.T) {
	s := DefaultSchedule()
	m := time.Minute
	tests := []struct {
		name       string
		schedule   []time.Duration
		attempt    int
		retryAfter time.Duration
		want       time.Duration
		ok         bool
	}{
		{"before the first attempt", s, 0, 0, 0, true},
		{"after the first attempt", s, 1, 0, m, true},
		{"after the second", s, 2, 0, 5 * m, true},
		{"after the third", s, 3, 0, 30 * m, true},
		{"after the fourth", s, 4, 0, 2 * time.Hour, true},
		{"spent after the fifth", s, 5, 0, 0, false},
		{"far past the end", s, 100, 0, 0, false},
		{"Retry-After cannot add attempts", s, 5, 10 * m, 0, false},
		{"negative attempt treated as none yet", s, -3, 0, 0, true},
		{"Retry-After shorter than the schedule is ignored", s, 2, 30 * time.Second, 5 * m, true},
		{"Retry-After longer than the schedule is a floor", s, 1, 10 * m, 10 * m, true},
		{"Retry-After capped at an hour", s, 1, 48 * time.Hour, time.Hour, true},
		{"cap never shortens the schedule", s, 4, 48 * time.Hour, 2 * time.Hour, true},
		{"saturated Retry-After", s, 1, time.Duration(math.MaxInt64), time.Hour, true},
		{"negative Retry-After ignored", s, 1, -time.Hour, m, true},
		{"empty schedule", nil, 0, 0, 0, false},
		{"single entry", []time.Duration{0}, 1, time.Minute, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NextDelay(tt.schedule, tt.attempt, tt.retryAfter)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("NextDelay = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"120", 120 * time.Second},
		{"0", 0},
		{"  30  ", 30 * time.Second},
		{"007", 7 * time.Second},
		{"86400", 24 * time.Hour},
		{"9223372036", 9223372036 * time.Second},
		{"9223372037", time.Duration(math.MaxInt64)},              // saturates
		{"99999999999999999999999", time.Duration(math.MaxInt64)}, // beyond uint64
		{"Thu, 01 Jan 2026 12:05:00 GMT", 5 * time.Minute},        // IMF-fixdate
		{"Thursday, 01-Jan-26 12:00:30 GMT", 30 * time.Second},    // RFC 850
		{"Thu Jan  1 13:00:00 2026", time.Hour},                   // asctime
		{"Thu, 01 Jan 2026 11:00:00 GMT", 0},                      // in the past
		{"Thu, 01 Jan 2026 12:00:00 GMT", 0},                      // now
		{"", 0},
		{"-5", 0},
		{"+5", 0},
		{"1.5", 0},
		{"5s", 0},
		{"soon", 0},
		{"0x10", 0},
		{"2026-01-01T12:05:00Z", 0}, // RFC 3339 is not an HTTP-date
		{"Thu, 01 Jan 2026 12:05:00 PST", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ParseRetryAfter(tt.in, now); got != tt.want {
				t.Fatalf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzParseRetryAfter: any header value gives a non-negative duration
// without panicking, and small delta-seconds round-trip exactly.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "", "Thu, 01 Jan 2026 12:05:00 GMT", "Thu Jan  1 13:00:00 2026",
		"Thursday, 01-Jan-26 12:00:30 GMT", "99999999999999999999999", "-1", " 1 ", "\x00", "Mon, 31 Dec 9999 23:59:59 GMT"} {
		f.Add(s, int64(1767268800))
	}
	f.Fuzz(func(t *testing.T, h string, now int64) {
		d := ParseRetryAfter(h, time.Unix(now, 0))
		if d < 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v < 0", h, d)
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(h), 10, 32); err == nil && strings.Trim(strings.TrimSpace(h), "0123456789") == "" {
			if d != time.Duration(n)*time.Second {
				t.Fatalf("ParseRetryAfter(%q) = %v, want %ds", h, d, n)
			}
		}
		if got, ok := NextDelay(DefaultSchedule(), 1, d); !ok || got < time.Minute || got > MaxRetryAfter {
			t.Fatalf("NextDelay with Retry-After %v = %v, %v", d, got, ok)
		}
	})
}
