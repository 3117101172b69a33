package sipedge

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TestRecentInvitesLifetime: a key is remembered for at least one period
// and forgotten after two, however the calls around it are spread.
func TestRecentInvitesLifetime(t *testing.T) {
	t.Parallel()
	const every = 32 * time.Second
	start := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		addAt  time.Duration   // after start
		checks []time.Duration // after start, in order
		want   []bool
	}{
		{"at once", 0, []time.Duration{0}, []bool{true}},
		{"just before the first rotation", 0, []time.Duration{every - time.Nanosecond}, []bool{true}},
		{"after one rotation", 0, []time.Duration{every}, []bool{true}},
		{"late in the period, a period on", every - time.Second, []time.Duration{2*every - time.Second}, []bool{true}},
		{"after two rotations", 0, []time.Duration{every, 2 * every}, []bool{true, false}},
		{"after a long silence", 0, []time.Duration{3 * every}, []bool{false}},
		{"empty key", 0, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := start
			r := newRecentInvites(func() time.Time { return now }, every)
			key := "call-1@host\x00z9hG4bK1"
			if tt.checks == nil {
				r.add("")
				if r.size() != 0 || r.has("") {
					t.Fatalf("an empty key was remembered")
				}
				return
			}
			now = start.Add(tt.addAt)
			r.add(key)
			for i, at := range tt.checks {
				now = start.Add(at)
				if got := r.has(key); got != tt.want[i] {
					t.Errorf("at %v: has = %v, want %v", at, got, tt.want[i])
				}
			}
			if r.has("call-2@host\x00z9hG4bK1") {
				t.Errorf("a key never added is remembered")
			}
		})
	}
}

// TestRecentInvitesBounded: what is held is what the last two periods
// ended, not everything ever ended.
func TestRecentInvitesBounded(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	r := newRecentInvites(func() time.Time { return now }, time.Second)
	for i := range 10_000 {
		now = now.Add(time.Millisecond)
		r.add(string(rune(i)) + "\x00b")
	}
	if n := r.size(); n > 2_000 {
		t.Errorf("holding %d keys after 10 s of 1,000 calls/s with a 1 s period, want at most 2,000", n)
	}
}

// TestInviteKey: a retransmission has the key of the original; a new
// attempt (new branch) or another call does not.
func TestInviteKey(t *testing.T) {
	t.Parallel()
	parse := func(callID, branch string) *sip.Request {
		t.Helper()
		raw := "INVITE sip:+2348031000000@127.0.0.1 SIP/2.0\r\n" +
			"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=" + branch + "\r\n" +
			"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\n" +
			"Call-ID: " + callID + "\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
		msg, err := sip.ParseMessage([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		return msg.(*sip.Request)
	}
	orig := inviteKey(parse("c1", "z9hG4bK1"))
	if orig == "" || inviteKey(parse("c1", "z9hG4bK1")) != orig {
		t.Errorf("a retransmission's key differs from the original's")
	}
	if inviteKey(parse("c1", "z9hG4bK2")) == orig || inviteKey(parse("c2", "z9hG4bK1")) == orig {
		t.Errorf("a new branch or another Call-ID has the original's key")
	}
	if k := inviteKey(sip.NewRequest(sip.INVITE, sip.Uri{Host: "x"})); k != "" {
		t.Errorf("a request without Call-ID or Via has key %q", k)
	}
}
