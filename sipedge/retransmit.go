package sipedge

import (
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// retransmitter resends a 2xx we answered an INVITE or re-INVITE with
// until its ACK stops it (RFC 3261 §13.3.1.4: over UDP the UAS core, not
// the transaction, retransmits a 2xx). It writes to the transport itself:
// the INVITE transaction may be gone before the ACK comes (linger.go).
// With no ACK after 64×T1 the call is ended (§14.2: BYE).
//
// It is one timer, and no goroutine until it fires: the ACK nearly
// always comes within T1 and stops it first. It is made before the 2xx
// leaves, so that an ACK that overtakes start still stops it.
type retransmitter struct {
	c      *call
	giveUp string // logged when no ACK came

	mu      sync.Mutex
	stopped bool
	build   func() *sip.Response // the 2xx, built when first resent
	res     *sip.Response
	timer   *time.Timer
	wait    time.Duration // until the next resend
	elapsed time.Duration // since the 2xx was first sent
}

func (c *call) newRetransmitter(giveUp string) *retransmitter {
	return &retransmitter{c: c, giveUp: giveUp}
}

// start begins resending the 2xx that build makes, once it has been sent,
// unless its ACK came already.
func (r *retransmitter) start(build func() *sip.Response) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.build, r.wait = build, sip.T1
	r.timer = time.AfterFunc(r.wait, r.fire)
}

// stop ends the resending: the ACK came, or the call ended.
func (r *retransmitter) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if r.timer != nil {
		r.timer.Stop()
	}
}

// fire resends the 2xx, or gives up on the ACK after 64×T1.
func (r *retransmitter) fire() {
	c := r.c
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	r.elapsed += r.wait
	if r.elapsed >= 64*sip.T1 {
		r.stopped = true
		r.mu.Unlock()
		c.e.log.Info(r.giveUp, "call_id", c.record.ID)
		if s := c.fire(inNoAck, evt{cause: switchboard.HangupNetworkError, by: switchboard.HangupBySystem}); s.ending() {
			c.finish(s, legNone)
		}
		return
	}
	if st := c.current(); st == stEnding || st == stEnded {
		r.stopped = true // a BYE overtook the ACK: nothing left to answer
		r.mu.Unlock()
		return
	}
	if r.res == nil {
		r.res = r.build()
	}
	res := r.res
	r.wait = min(2*r.wait, sip.T2, 64*sip.T1-r.elapsed)
	r.timer.Reset(r.wait)
	r.mu.Unlock()
	if err := c.e.srv.WriteResponse(res); err != nil {
		c.e.log.Debug("2xx again", "call_id", c.record.ID, "err", err)
	}
}
