package sipedge

import "github.com/switchboard-voice/switchboard"

// This file is the call's state machine: its states, the inputs that move
// it, and the one table of transitions. fire is the only place a call's
// state changes. A transition's do changes the record under the call's
// lock and sends nothing: whoever fires the input sends, saves and waits
// once fire has returned, from the step it returns.

// state is where a call is.
type state uint8

const (
	stRouting   state = iota // the caller's INVITE taken (outbound: the call placed); where it goes being decided
	stDialing                // an INVITE sent to an agent (outbound: first to the callee); nothing heard of it yet
	stRinging                // an agent rings, and the caller heard it (outbound: the callee rings)
	stBridging               // outbound: the callee answered with its offer; the agent is being dialled with it
	stAnswering              // an agent answered; the answer is being made durable
	stConnected              // the caller has the answer (outbound: the callee has it in our ACK)
	stEnding                 // hanging up: BYE going to the legs still up
	stEnded                  // over: every input is absorbed
	numStates
)

var stateNames = [numStates]string{"routing", "dialing", "ringing", "bridging", "answering", "connected", "ending", "ended"}

func (s state) String() string {
	if s < numStates {
		return stateNames[s]
	}
	return "state?"
}

// input is what happens to a call.
type input uint8

const (
	inRouted     input = iota // an INVITE goes to an agent
	in1xx                     // the agent rings (18x)
	in2xx                     // the agent answers
	inFail                    // the setup gave up (evt.out says why)
	inCancel                  // the caller cancelled, or hung up before the answer reached it
	inHangupAPI               // hung up through the API
	inDrain                   // the node drains
	inTimeout                 // the call reached its maximum duration
	inNoAck                   // the caller never acknowledged our 2xx
	inAckA                    // the caller acknowledged our 2xx
	inByeA                    // the caller hung up
	inByeB                    // the agent hung up
	inSaved                   // the answer is durable
	inNotSaved                // the answer could not be made durable
	inNotRelayed              // the answer could not be passed to the caller
	inByesSent                // every BYE of the hangup has its answer (or gave up)
	inAnswerA                 // outbound: the callee answered, its 2xx carrying the offer
	numInputs
)

var inputNames = [numInputs]string{"routed", "1xx", "2xx", "fail", "cancel", "hangup API", "drain", "timeout",
	"no ACK", "ACK A", "BYE A", "BYE B", "saved", "not saved", "not relayed", "BYEs sent", "answer A"}

func (i input) String() string {
	if i < numInputs {
		return inputNames[i]
	}
	return "input?"
}

// evt is an input's data, and what its transition leaves for the caller
// to do. It travels by value: fire allocates nothing.
type evt struct {
	out       outcome // inFail, inNotSaved, inNotRelayed: how the setup ended
	cause, by string  // hangups: the record's hangup cause and by whom
	// upd are the record's updates, in order, for the recorder; n of them.
	upd [2]switchboard.CallUpdate
	n   int
	// agentGone is set on inSaved when the agent hung up while its answer
	// was being made durable: the call ends once the caller has the answer.
	agentGone bool
}

func (e *evt) add(u switchboard.CallUpdate) { e.upd[e.n] = u; e.n++ }

// transition is one row of the table: the state an input moves the call
// to, and what it changes in the record on the way.
type transition struct {
	to state
	do func(*call, evt) evt
	ok bool // the row is defined
}

// table is every defined (state, input) pair. A pair not in it leaves the
// state as it is and is logged; stEnded has no row: it absorbs all.
//
// An outbound call (originate.go) runs through the same rows with the
// callee as its first leg: inRouted and in1xx of the callee move it to
// stDialing and stRinging, the callee's answer (inAnswerA) to stBridging,
// where the agent is dialled as an inbound call's is (its inRouted and
// in1xx change nothing: the callee is already talking), and the agent's
// answer (in2xx) on to stAnswering, stConnected and the rest, as inbound.
var table = func() (t [numStates][numInputs]transition) {
	row := func(from state, in input, to state, do func(*call, evt) evt) {
		t[from][in] = transition{to: to, do: do, ok: true}
	}
	// Setting up. Cancels and hangups (a caller's BYE before it has the
	// answer is a cancel) do not end a setup themselves: the caller of fire
	// cancels the setup's context, and the setup loop, seeing it, fails
	// the call (inFail). An agent's BYE before the call is connected is
	// noted, and acted on once it is.
	row(stRouting, inRouted, stDialing, nil)
	row(stDialing, inRouted, stDialing, nil)
	row(stRinging, inRouted, stRinging, nil) // the next target; the caller heard ringing
	row(stDialing, in1xx, stRinging, (*call).ringLocked)
	row(stRinging, in1xx, stRinging, nil)
	row(stDialing, in2xx, stAnswering, (*call).answerLocked)
	row(stRinging, in2xx, stAnswering, (*call).answerLocked)
	// Outbound: the callee answered; the agent's answer connects it.
	row(stDialing, inAnswerA, stBridging, (*call).calleeAnswerLocked)
	row(stRinging, inAnswerA, stBridging, (*call).calleeAnswerLocked)
	row(stBridging, inRouted, stBridging, nil)
	row(stBridging, in1xx, stBridging, nil)
	row(stBridging, in2xx, stAnswering, (*call).agentAnswerLocked)
	row(stAnswering, inSaved, stConnected, (*call).connectLocked)
	row(stAnswering, inNotSaved, stEnded, (*call).failLocked)
	row(stConnected, inNotRelayed, stEnded, (*call).failLocked)
	for _, s := range []state{stRouting, stDialing, stRinging, stBridging, stAnswering} {
		row(s, inFail, stEnded, (*call).failLocked)
		for _, in := range []input{inCancel, inHangupAPI, inDrain, inByeA} {
			row(s, in, s, nil)
		}
	}
	for _, s := range []state{stDialing, stRinging, stBridging, stAnswering} {
		row(s, inByeB, s, (*call).agentGoneLocked)
	}
	// Connected, then hung up by either side, the API, the node or a
	// timer.
	row(stConnected, inAckA, stConnected, nil)
	for _, in := range []input{inByeA, inByeB, inHangupAPI, inDrain, inTimeout, inNoAck} {
		row(stConnected, in, stEnding, (*call).completeLocked)
	}
	// Ending: the other side's BYE may cross ours.
	for _, in := range []input{inAckA, inByeA, inByeB, inHangupAPI, inDrain, inTimeout, inNoAck} {
		row(stEnding, in, stEnding, nil)
	}
	row(stEnding, inByesSent, stEnded, nil)
	return t
}()

// step is what fire did: the state it found and the one it left, and the
// updates to save.
type step struct {
	from, to state
	taken    bool // false: the input was absorbed or undefined, nothing changed
	evt
}

// ending reports whether the step moved a connected call to stEnding:
// its caller then finishes the call.
func (s step) ending() bool { return s.taken && s.to == stEnding }

// fire feeds an input to the call: the only place its state changes. It
// runs the transition's do under c.mu and returns; the caller then sends,
// saves and waits, from the step, without the lock.
func (c *call) fire(in input, e evt) step {
	c.mu.Lock()
	from := c.st
	if from == stEnded {
		c.mu.Unlock()
		return step{from: from, to: from}
	}
	t := table[from][in]
	if !t.ok {
		c.mu.Unlock()
		c.e.log.Debug("call input ignored in this state", "call_id", c.record.ID, "state", from.String(), "input", in.String())
		return step{from: from, to: from}
	}
	c.st = t.to
	if t.do != nil {
		e = t.do(c, e)
	}
	c.mu.Unlock()
	return step{from: from, to: t.to, taken: true, evt: e}
}

// current returns the call's state now.
func (c *call) current() state {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}
