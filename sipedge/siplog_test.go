package sipedge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// logCapture is a JSON log the test reads back line by line.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *logCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

func (c *logCapture) lines(t *testing.T) []map[string]any {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(c.buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// fakeTimers records what the limiter schedules, for the test to fire.
type fakeTimers struct{ fns []func() }

type fakeTimer struct{}

func (fakeTimer) Stop() bool { return true }

func (f *fakeTimers) after(_ time.Duration, fn func()) stopper {
	f.fns = append(f.fns, fn)
	return fakeTimer{}
}

// newTestSIPLogger is newSIPLogger with a clock and timers the test drives.
func newTestSIPLogger(c *fakeClock, timers *fakeTimers) (*slog.Logger, *logLimiter, *logCapture) {
	out := &logCapture{}
	lim := newLogLimiter(c.now, timers.after, sipLogBurst, sipLogWindow)
	h := &sipLogHandler{next: slog.NewJSONHandler(out, nil), min: slog.LevelError, lim: lim}
	return slog.New(h), lim, out
}

func TestSIPLogClips(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("A", 8192)
	tests := []struct {
		name string
		attr slog.Attr
		want string // the value logged, "" when it must merely be cut
	}{
		{"short string unchanged", slog.String("data", "INVITE sip:x"), "INVITE sip:x"},
		{"long string", slog.String("data", long), ""},
		{"multi-byte runes cut whole", slog.String("data", strings.Repeat("é", 300)), ""},
		{"long error", slog.Any("error", errors.New(long)), ""},
		{"bytes", slog.Any("data", []byte(long)), ""},
		{"number unchanged", slog.Int("ref", -1), "-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			log, _, out := newTestSIPLogger(c, &fakeTimers{})
			log.Error("failed to parse", tt.attr)
			lines := out.lines(t)
			if len(lines) != 1 {
				t.Fatalf("%d lines", len(lines))
			}
			s := fmt.Sprint(lines[0][tt.attr.Key])
			if tt.want != "" && s != tt.want {
				t.Errorf("logged %q, want %q", s, tt.want)
			}
			if len(s) > sipLogMaxValue || !utf8.ValidString(s) {
				t.Errorf("logged %d bytes (valid UTF-8: %v), want at most %d", len(s), utf8.ValidString(s), sipLogMaxValue)
			}
			if tt.want == "" && !strings.Contains(s, "bytes)") {
				t.Errorf("a cut value does not say how long it was: %q", s)
			}
		})
	}
}

// TestSIPLogClipsEverywhere: the message, attributes added with With and
// attributes in groups are cut too.
func TestSIPLogClipsEverywhere(t *testing.T) {
	t.Parallel()
	c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	log, _, out := newTestSIPLogger(c, &fakeTimers{})
	long := strings.Repeat("B", 5000)
	log.With("caller", long).WithGroup("g").Error(long, slog.Group("inner", slog.String("v", long)))
	lines := out.lines(t)
	if len(lines) != 1 {
		t.Fatalf("%d lines", len(lines))
	}
	raw, _ := json.Marshal(lines[0])
	if len(raw) > 4*sipLogMaxValue {
		t.Errorf("line of %d bytes: %s", len(raw), raw)
	}
}

func TestSIPLogLevelFloor(t *testing.T) {
	t.Parallel()
	c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	log, _, out := newTestSIPLogger(c, &fakeTimers{})
	log.Warn("UDP ref went negative on try close")
	log.Info("Server transaction initialized")
	if n := len(out.lines(t)); n != 0 {
		t.Errorf("%d lines below ERROR logged", n)
	}
}

func TestSIPLogRateLimit(t *testing.T) {
	t.Parallel()
	type step struct {
		wait  time.Duration
		msg   string
		times int
	}
	tests := []struct {
		name  string
		steps []step
		fire  bool // fire the timers the limiter scheduled
		flush bool
		want  []string // messages logged, in order
	}{
		{"within the burst", []step{{0, "failed to parse", sipLogBurst}}, false, false,
			[]string{"failed to parse", "failed to parse", "failed to parse", "failed to parse", "failed to parse"}},
		{"beyond the burst, summed up by the next one after the window", []step{
			{0, "failed to parse", sipLogBurst + 7},
			{sipLogWindow, "failed to parse", 1},
		}, false, false, []string{
			"failed to parse", "failed to parse", "failed to parse", "failed to parse", "failed to parse",
			"suppressed 7 similar messages", "failed to parse",
		}},
		{"summed up when the window ends", []step{{0, "failed to parse", sipLogBurst + 2}}, true, false, []string{
			"failed to parse", "failed to parse", "failed to parse", "failed to parse", "failed to parse",
			"suppressed 2 similar messages",
		}},
		{"summed up on flush", []step{{0, "failed to parse", sipLogBurst + 3}}, false, true, []string{
			"failed to parse", "failed to parse", "failed to parse", "failed to parse", "failed to parse",
			"suppressed 3 similar messages",
		}},
		{"messages limited apart", []step{
			{0, "a", sipLogBurst + 1}, {0, "b", 1},
		}, false, true, []string{"a", "a", "a", "a", "a", "b", "suppressed 1 similar messages"}},
		{"nothing suppressed, no summary", []step{
			{0, "a", 2}, {2 * sipLogWindow, "a", 1},
		}, true, true, []string{"a", "a", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			timers := &fakeTimers{}
			log, lim, out := newTestSIPLogger(c, timers)
			for _, s := range tt.steps {
				c.add(s.wait)
				for range s.times {
					log.With("caller", "Transport<UDP>").Error(s.msg, "data", "junk")
				}
			}
			if tt.fire {
				for _, fn := range timers.fns {
					fn()
				}
			}
			if tt.flush {
				lim.Flush()
				lim.Flush() // a second flush has nothing left to write
			}
			var got []string
			for _, l := range out.lines(t) {
				got = append(got, l["msg"].(string))
				if strings.HasPrefix(l["msg"].(string), "suppressed") {
					if l["level"] != "ERROR" || l["similar_to"] == nil || l["caller"] != "Transport<UDP>" {
						t.Errorf("summary line %v: want level ERROR, similar_to and the logger's attributes", l)
					}
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("logged\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
