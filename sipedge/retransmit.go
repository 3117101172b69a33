package sipedge

import (
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// retransmit2xx resends a 2xx we answered an INVITE or re-INVITE with
// until acked is closed (RFC 3261 §13.3.1.4: over UDP the UAS core, not
// the transaction, retransmits a 2xx). It writes to the transport itself:
// the INVITE transaction may be gone before the ACK comes (linger.go).
// With no ACK after 64×T1 the call is ended (§14.2: BYE). The 2xx is
// built by build when first needed: the ACK nearly always comes first.
func (c *call) retransmit2xx(build func() *sip.Response, acked <-chan struct{}, giveUp string) {
	var res *sip.Response
	wait := sip.T1
	deadline := time.NewTimer(64 * sip.T1)
	defer deadline.Stop()
	for {
		t := time.NewTimer(wait)
		select {
		case <-acked:
			t.Stop()
			return
		case <-deadline.C:
			t.Stop()
			c.e.log.Info(giveUp, "call_id", c.record.ID)
			if s := c.fire(inNoAck, evt{cause: switchboard.HangupNetworkError, by: switchboard.HangupBySystem}); s.ending() {
				c.finish(s, legNone)
			}
			return
		case <-t.C:
			if st := c.current(); st == stEnding || st == stEnded {
				return // a BYE overtook the ACK: nothing left to answer
			}
			if res == nil {
				res = build()
			}
			if err := c.e.srv.WriteResponse(res); err != nil {
				c.e.log.Debug("2xx again", "call_id", c.record.ID, "err", err)
			}
			wait = min(2*wait, sip.T2)
		}
	}
}
