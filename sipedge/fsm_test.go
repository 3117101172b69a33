package sipedge

import (
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/switchboard-voice/switchboard"
)

// TestTransitions: every defined (state, input) pair moves the call where
// the design says, and no other pair is defined; an undefined pair, and
// any input once the call has ended, leave the state as it is.
func TestTransitions(t *testing.T) {
	t.Parallel()
	setup := []state{stRouting, stDialing, stRinging, stBridging, stAnswering}
	want := map[[2]uint8]state{}
	def := func(from state, in input, to state) { want[[2]uint8{uint8(from), uint8(in)}] = to }
	def(stRouting, inRouted, stDialing)
	def(stDialing, inRouted, stDialing)
	def(stRinging, inRouted, stRinging)
	def(stDialing, in1xx, stRinging)
	def(stRinging, in1xx, stRinging)
	def(stDialing, in2xx, stAnswering)
	def(stRinging, in2xx, stAnswering)
	def(stDialing, inAnswerA, stBridging)
	def(stRinging, inAnswerA, stBridging)
	def(stBridging, inRouted, stBridging)
	def(stBridging, in1xx, stBridging)
	def(stBridging, in2xx, stAnswering)
	def(stAnswering, inSaved, stConnected)
	def(stAnswering, inNotSaved, stEnded)
	def(stConnected, inNotRelayed, stEnded)
	for _, s := range setup {
		def(s, inFail, stEnded)
		def(s, inCancel, s)
		def(s, inHangupAPI, s)
		def(s, inDrain, s)
		def(s, inByeA, s)
		if s != stRouting {
			def(s, inByeB, s)
		}
	}
	def(stConnected, inAckA, stConnected)
	for _, in := range []input{inByeA, inByeB, inHangupAPI, inDrain, inTimeout, inNoAck} {
		def(stConnected, in, stEnding)
	}
	for _, in := range []input{inAckA, inByeA, inByeB, inHangupAPI, inDrain, inTimeout, inNoAck} {
		def(stEnding, in, stEnding)
	}
	def(stEnding, inByesSent, stEnded)

	e := &Edge{now: switchboard.SystemClock, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for from := range numStates {
		for in := range numInputs {
			to, defined := want[[2]uint8{uint8(from), uint8(in)}]
			if row := table[from][in]; row.ok != defined || (defined && row.to != to) {
				t.Errorf("table[%s][%s] = %v (defined %v), want %v (defined %v)", from, in, row.to, row.ok, to, defined)
			}
			c := &call{e: e, st: from, record: switchboard.Call{ID: "call_test", Status: switchboard.CallInitiated}}
			s := c.fire(in, evt{out: outcomeNoTargets, cause: switchboard.HangupUser, by: switchboard.HangupByCaller})
			if !defined {
				to = from
			}
			if c.st != to || s.taken != defined || s.from != from || s.to != to {
				t.Errorf("fire(%s) in %s: state %s, step %+v; want %s, taken %v", in, from, c.st, s, to, defined)
			}
		}
	}
}

// TestTransitionRecords: the transitions that change the record write
// what the timeline shows.
func TestTransitionRecords(t *testing.T) {
	t.Parallel()
	e := &Edge{now: switchboard.SystemClock, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	type fired struct {
		in    input
		types []string // the timeline entries it adds
	}
	tests := []struct {
		name   string
		steps  []fired
		status string
	}{
		{"answered without ringing", []fired{{inRouted, nil}, {in2xx, []string{switchboard.EventCallRinging, switchboard.EventCallAnswered}},
			{inSaved, nil}, {inByeA, []string{switchboard.EventCallCompleted}}, {inByesSent, nil}}, switchboard.CallCompleted},
		{"rang, answered", []fired{{inRouted, nil}, {in1xx, []string{switchboard.EventCallRinging}}, {in1xx, nil},
			{in2xx, []string{switchboard.EventCallAnswered}}, {inSaved, nil}}, switchboard.CallInProgress},
		{"answer not saved", []fired{{inRouted, nil}, {in2xx, []string{switchboard.EventCallRinging, switchboard.EventCallAnswered}},
			{inNotSaved, []string{switchboard.EventCallFailed}}}, switchboard.CallFailed},
		{"failed while routing", []fired{{inFail, []string{switchboard.EventCallFailed}}, {inRouted, nil}}, switchboard.CallFailed},
		{"outbound: callee rang and answered, agent connected", []fired{{inRouted, nil}, {in1xx, []string{switchboard.EventCallRinging}},
			{inAnswerA, []string{switchboard.EventCallAnswered}}, {inRouted, nil}, {in1xx, nil}, {in2xx, []string{eventAgentConnected}},
			{inSaved, nil}}, switchboard.CallInProgress},
		{"outbound: callee answered without ringing", []fired{{inRouted, nil},
			{inAnswerA, []string{switchboard.EventCallRinging, switchboard.EventCallAnswered}}}, switchboard.CallAnswered},
		{"outbound: agent failed after the answer", []fired{{inRouted, nil}, {inAnswerA, []string{switchboard.EventCallRinging, switchboard.EventCallAnswered}},
			{inRouted, nil}, {inFail, []string{switchboard.EventCallFailed}}}, switchboard.CallFailed},
		{"outbound: completed", []fired{{inRouted, nil}, {inAnswerA, []string{switchboard.EventCallRinging, switchboard.EventCallAnswered}},
			{in2xx, []string{eventAgentConnected}}, {inSaved, nil}, {inByeB, []string{switchboard.EventCallCompleted}}, {inByesSent, nil}}, switchboard.CallCompleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &call{e: e, record: switchboard.Call{ID: "call_test", Status: switchboard.CallInitiated}}
			for _, f := range tt.steps {
				s := c.fire(f.in, evt{out: outcomeNotSaved, cause: switchboard.HangupUser, by: switchboard.HangupByCaller})
				var got []string
				for _, u := range s.upd[:s.n] {
					got = append(got, u.Events[0].Type)
				}
				if !slices.Equal(got, f.types) {
					t.Fatalf("fire(%s): entries %v, want %v", f.in, got, f.types)
				}
			}
			if c.record.Status != tt.status {
				t.Errorf("record status %s, want %s", c.record.Status, tt.status)
			}
			if tt.status == switchboard.CallFailed && c.record.AnsweredAt != nil {
				t.Errorf("a failed call keeps answered_at %v", c.record.AnsweredAt)
			}
		})
	}
}

// TestTransitionAPIAfterCalleeAnswer: an outbound call hung up through the
// API once its callee answered, before its agent was connected, ends as an
// answered call hung up: completed, answered_at kept.
func TestTransitionAPIAfterCalleeAnswer(t *testing.T) {
	t.Parallel()
	e := &Edge{now: switchboard.SystemClock, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	c := &call{e: e, record: switchboard.Call{ID: "call_test", Status: switchboard.CallInitiated}}
	c.fire(inRouted, evt{})
	c.fire(inAnswerA, evt{})
	s := c.fire(inFail, evt{out: outcomeAPIAnswered})
	if s.to != stEnded || s.n != 1 || s.upd[0].Events[0].Type != switchboard.EventCallCompleted {
		t.Fatalf("step %+v", s)
	}
	if r := c.record; r.Status != switchboard.CallCompleted || r.AnsweredAt == nil || r.CompletedAt == nil ||
		r.HangupBy != switchboard.HangupByAPI || r.HangupCause != switchboard.HangupNormalClearing {
		t.Errorf("record %+v", r)
	}
}
