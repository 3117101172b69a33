package sipedge

import (
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func addr(s string) netip.Addr           { return netip.MustParseAddr(s) }
func newTestLimiter(c *fakeClock, max int) *sourceLimiter {
	return newSourceLimiter(c.now, 1, 3, max) // 3 at once, then 1/s; full again after 3 s
}

func TestSourceLimiter(t *testing.T) {
	t.Parallel()
	type step struct {
		wait  time.Duration
		from  string
		allow bool
	}
	for _, tc := range []struct {
		name  string
		max   int
		steps []step
	}{
		{"burst then refill", 10, []step{
			{0, "192.0.2.1", true}, {0, "192.0.2.1", true}, {0, "192.0.2.1", true},
			{0, "192.0.2.1", false}, {500 * time.Millisecond, "192.0.2.1", false},
			{500 * time.Millisecond, "192.0.2.1", true}, {0, "192.0.2.1", false},
		}},
		{"addresses are separate", 10, []step{
			{0, "192.0.2.1", true}, {0, "192.0.2.1", true}, {0, "192.0.2.1", true}, {0, "192.0.2.1", false},
			{0, "192.0.2.2", true}, {0, "2001:db8::1", true},
		}},
		{"an idle address gets its burst again", 10, []step{
			{0, "192.0.2.1", true}, {0, "192.0.2.1", true}, {0, "192.0.2.1", true}, {0, "192.0.2.1", false},
			{7 * time.Second, "192.0.2.1", true}, {0, "192.0.2.1", true}, {0, "192.0.2.1", true}, {0, "192.0.2.1", false},
		}},
		{"a busy address keeps its bucket across rotations", 10, []step{
			{0, "192.0.2.1", true}, {0, "192.0.2.1", true}, {0, "192.0.2.1", true},
			{2900 * time.Millisecond, "192.0.2.1", true}, {0, "192.0.2.1", true}, {0, "192.0.2.1", false},
			// Rotated at 3 s: its bucket comes back from the older
			// generation (0.9 + 0.2 tokens), not full.
			{200 * time.Millisecond, "192.0.2.1", true}, {0, "192.0.2.1", false},
		}},
		{"full: new addresses refused until rotations free room", 2, []step{
			{0, "192.0.2.1", true}, {0, "192.0.2.2", true}, {0, "192.0.2.3", false},
			{0, "192.0.2.1", true},                // a known address still has its bucket
			{3 * time.Second, "192.0.2.3", false}, // one rotation: the others are in the older generation
			{3 * time.Second, "192.0.2.3", true},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			l := newTestLimiter(c, tc.max)
			for i, s := range tc.steps {
				c.add(s.wait)
				if got := l.allow(addr(s.from)); got != s.allow {
					t.Fatalf("step %d (%s after %v): allow = %v, want %v", i, s.from, s.wait, got, s.allow)
				}
			}
		})
	}
}

// TestSourceLimiterBounded: a flood from ever new addresses never tracks
// more than max of them.
func TestSourceLimiterBounded(t *testing.T) {
	t.Parallel()
	c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newTestLimiter(c, 100)
	a := addr("10.0.0.0")
	for i := range 100_000 {
		l.allow(a)
		a = a.Next()
		if i%1000 == 0 {
			c.add(time.Second)
		}
		if n := l.size(); n > 100 {
			t.Fatalf("after %d addresses, %d tracked", i+1, n)
		}
	}
}

func TestStatelessTag(t *testing.T) {
	t.Parallel()
	parse := func(callID, branch string) *sip.Request {
		t.Helper()
		msg, err := sip.NewParser().ParseSIP([]byte("INVITE sip:+2348030000001@127.0.0.1 SIP/2.0\r\n" +
			"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" + branch + "\r\nFrom: <sip:a@192.0.2.1>;tag=1\r\n" +
			"To: <sip:+2348030000001@127.0.0.1>\r\nCall-ID: " + callID + "\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		return msg.(*sip.Request)
	}
	a := statelessTag(parse("c1", "z9hG4bK1"))
	if a == "" || a != statelessTag(parse("c1", "z9hG4bK1")) {
		t.Errorf("a retransmission must get the same tag: %q", a)
	}
	if a == statelessTag(parse("c1", "z9hG4bK2")) || a == statelessTag(parse("c2", "z9hG4bK1")) {
		t.Errorf("another request got the same tag %q", a)
	}
}

// TestSourceLimiterExhausted: exhausted looks at a bucket without taking
// from it, and sees it refill.
func TestSourceLimiterExhausted(t *testing.T) {
	t.Parallel()
	c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newTestLimiter(c, 10)
	a := addr("192.0.2.1")
	for i := range 10 { // looking is free
		if l.exhausted(a) {
			t.Fatalf("look %d: exhausted before any token was taken", i)
		}
	}
	if l.size() != 0 {
		t.Fatalf("looking tracked %d addresses", l.size())
	}
	for range 3 {
		l.allow(a)
	}
	if !l.exhausted(a) {
		t.Fatal("not exhausted after its burst")
	}
	c.add(time.Second)
	if l.exhausted(a) {
		t.Fatal("still exhausted a token later")
	}
	if !l.allow(a) || !l.exhausted(a) {
		t.Fatal("the refilled token was not there to take, or exhausted took it")
	}
}
