package sipedge

import (
	"strconv"

	"github.com/emiago/sipgo/sip"
)

// lookup finds the live call a dialog request belongs to and which leg
// it came from: the carrier's Call-ID or one of our agent Call-IDs.
func (e *Edge) lookup(req *sip.Request) (*call, int) {
	id := req.CallID()
	if id == nil {
		return nil, legNone
	}
	if v, ok := e.byA.Load(id.Value()); ok {
		return v.(*call), legA
	}
	if v, ok := e.byB.Load(id.Value()); ok {
		return v.(*call), legB
	}
	return nil, legNone
}

func (e *Edge) onAck(req *sip.Request, _ sip.ServerTransaction) {
	c, from := e.lookup(req)
	if c == nil {
		return
	}
	if from == legA {
		if s := c.fire(inAckA, evt{}); s.taken {
			c.a.ackReceived()
		}
	}
	if req.CSeq() == nil {
		return
	}
	c.mu.Lock()
	var wait *retransmitter
	if len(c.reinviteWaits) > 0 { // most calls never see a re-INVITE: no key to build
		k := pendingKey(req.CallID().Value(), req.CSeq().SeqNo)
		wait = c.reinviteWaits[k]
		delete(c.reinviteWaits, k)
	}
	c.mu.Unlock()
	if wait != nil {
		wait.stop()
	}
}

// pendingKey names a re-INVITE within a call: the Call-ID of the leg it
// came on and its CSeq.
func pendingKey(callID string, seq uint32) string {
	return callID + "\x00" + strconv.FormatUint(uint64(seq), 10)
}

// onBye ends a call from whichever side hangs up. A caller's BYE before
// it has our 200 cancels the setup; an agent's is acted on once the call
// is connected (answer).
func (e *Edge) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c, from := e.lookup(req)
	if c == nil {
		e.respond(tx, req, sipCallNotExist, "Call/Transaction Does Not Exist")
		return
	}
	s := c.bye(from)
	e.respond(tx, req, 200, "OK")
	switch {
	case s.ending():
		c.finish(s, from)
	case s.taken && from == legA:
		c.cancelSetup(errCallerCanceled)
	}
}
