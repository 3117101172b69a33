package sipedge

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emiago/sipgo/sip"
)

// sipgo logs per message it handles, and with whatever it was sent: a
// junk datagram is logged whole at ERROR. Its logging goes through the
// node's handler (so it is JSON when the node's log is) behind three
// guards, so that no sender can flood the log:
//   - only errors pass;
//   - a value, or the message, longer than sipLogMaxValue bytes is cut;
//   - each message text is logged at most sipLogBurst times per
//     sipLogWindow; the rest are counted and summed up in one line
//     ("suppressed N similar messages") when the window ends.
const (
	sipLogMaxValue = 256
	sipLogBurst    = 5
	sipLogWindow   = time.Minute
	// sipLogMessages bounds the message texts tracked at once; sipgo's
	// are constants, so this is never reached unless that changes.
	sipLogMessages = 256
)

// sipLogOnce guards sipgo's package logger: like its timers, it belongs to
// the process, so the first edge sets it.
var sipLogOnce sync.Once

// setSIPPackageLogger hands l to the sipgo code that logs without a logger
// of its own (connection reference counts, lazy header parsing).
func setSIPPackageLogger(l *slog.Logger) {
	sipLogOnce.Do(func() { sip.SetDefaultLogger(l) })
}

// newSIPLogger returns the logger handed to sipgo, writing to next's
// handler, and the limiter whose pending summaries Flush writes.
func newSIPLogger(next *slog.Logger, now func() time.Time) (*slog.Logger, *logLimiter) {
	after := func(d time.Duration, f func()) stopper { return time.AfterFunc(d, f) }
	lim := newLogLimiter(now, after, sipLogBurst, sipLogWindow)
	return slog.New(&sipLogHandler{next: next.Handler(), min: slog.LevelError, lim: lim}), lim
}

// sipLogHandler is the slog.Handler given to sipgo. Every logger sipgo
// derives from it (With) shares one limiter.
type sipLogHandler struct {
	next slog.Handler
	min  slog.Level
	lim  *logLimiter
}

func (h *sipLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.next.Enabled(ctx, l)
}

func (h *sipLogHandler) Handle(ctx context.Context, r slog.Record) error {
	pass, due := h.lim.admit(r.Message, r.Level, h.next)
	due.write()
	if !pass {
		return nil
	}
	out := slog.NewRecord(r.Time, r.Level, clipString(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(clipAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *sipLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clipped := make([]slog.Attr, len(as))
	for i, a := range as {
		clipped[i] = clipAttr(a)
	}
	return &sipLogHandler{next: h.next.WithAttrs(clipped), min: h.min, lim: h.lim}
}

func (h *sipLogHandler) WithGroup(name string) slog.Handler {
	return &sipLogHandler{next: h.next.WithGroup(name), min: h.min, lim: h.lim}
}

// clipAttr cuts a's value to sipLogMaxValue bytes. Errors, byte slices
// and Stringers are logged as their text, cut the same way.
func clipAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if len(v.String()) > sipLogMaxValue {
			v = slog.StringValue(clipString(v.String()))
		}
	case slog.KindGroup:
		as := v.Group()
		clipped := make([]slog.Attr, len(as))
		for i, g := range as {
			clipped[i] = clipAttr(g)
		}
		v = slog.GroupValue(clipped...)
	case slog.KindAny:
		var s string
		switch x := v.Any().(type) {
		case error:
			s = x.Error()
		case []byte:
			s = string(x)
		case fmt.Stringer:
			s = x.String()
		default:
			return slog.Attr{Key: a.Key, Value: v}
		}
		v = slog.StringValue(clipString(s))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// clipString cuts s to at most sipLogMaxValue bytes, on a rune boundary,
// saying how long it was.
func clipString(s string) string {
	if len(s) <= sipLogMaxValue {
		return s
	}
	tail := "…(" + strconv.Itoa(len(s)) + " bytes)"
	cut := sipLogMaxValue - len(tail)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + tail
}

// logLimiter lets each message text through at most burst times per
// window, and sums up the rest in one line once the window is over.
type logLimiter struct {
	mu     sync.Mutex
	now    func() time.Time
	after  func(time.Duration, func()) stopper // time.AfterFunc
	burst  int
	window time.Duration
	msgs   map[string]*logWindow
}

// logWindow is one message text's current window.
type logWindow struct {
	start      time.Time
	passed     int
	suppressed int
	level      slog.Level
	out        slog.Handler // where the summary goes: the last suppressed record's
	timer      stopper      // ends the window, once something was suppressed
}

// stopper is a timer that can be stopped (a *time.Timer).
type stopper interface{ Stop() bool }

func newLogLimiter(now func() time.Time, after func(time.Duration, func()) stopper, burst int, window time.Duration) *logLimiter {
	return &logLimiter{now: now, after: after, burst: burst, window: window, msgs: map[string]*logWindow{}}
}

// admit reports whether a record with message msg may be written. It also
// returns the summary of msg's previous window if that ended unnoticed,
// for the caller to write first.
func (l *logLimiter) admit(msg string, level slog.Level, out slog.Handler) (bool, summaries) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var due summaries
	w := l.msgs[msg]
	if w != nil && now.Sub(w.start) >= l.window {
		due = l.end(msg, w, due)
		w = nil
	}
	if w == nil {
		if len(l.msgs) >= sipLogMessages {
			for m, old := range l.msgs {
				if now.Sub(old.start) >= l.window {
					due = l.end(m, old, due)
				}
			}
			if len(l.msgs) >= sipLogMessages {
				return false, due
			}
		}
		w = &logWindow{start: now}
		l.msgs[msg] = w
	}
	if w.passed < l.burst {
		w.passed++
		return true, due
	}
	if w.suppressed++; w.suppressed == 1 || level > w.level {
		w.level = level
	}
	w.out = out
	if w.timer == nil {
		w.timer = l.after(w.start.Add(l.window).Sub(now), func() { l.expire(msg, w) })
	}
	return false, due
}

// expire ends w when its window is over, unless a later record or Flush
// ended it first.
func (l *logLimiter) expire(msg string, w *logWindow) {
	l.mu.Lock()
	var due summaries
	if l.msgs[msg] == w {
		due = l.end(msg, w, nil)
	}
	l.mu.Unlock()
	due.write()
}

// Flush writes the summaries of every window still open, as the edge
// stops: the counts are not lost with the process.
func (l *logLimiter) Flush() {
	l.mu.Lock()
	var due summaries
	for m, w := range l.msgs {
		due = l.end(m, w, due)
	}
	l.mu.Unlock()
	due.write()
}

// end forgets msg's window w, adding its summary (if it suppressed
// anything) to due. Callers hold l.mu.
func (l *logLimiter) end(msg string, w *logWindow, due summaries) summaries {
	delete(l.msgs, msg)
	if w.timer != nil {
		w.timer.Stop()
	}
	if w.suppressed == 0 {
		return due
	}
	r := slog.NewRecord(l.now(), w.level, fmt.Sprintf("suppressed %d similar messages", w.suppressed), 0)
	r.AddAttrs(slog.String("similar_to", clipString(msg)), slog.Int("suppressed", w.suppressed),
		slog.Duration("window", l.window))
	return append(due, summary{w.out, r})
}

type summary struct {
	out slog.Handler
	r   slog.Record
}

type summaries []summary

// write writes the summaries; called without the limiter's lock.
func (s summaries) write() {
	for _, x := range s {
		_ = x.out.Handle(context.Background(), x.r)
	}
}
