package sipedge

import (
	"context"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// durableTimeout bounds the wait for the answered record's commit; a call
// whose answer cannot be recorded is not connected.
const durableTimeout = 3 * time.Second

// answer connects an agent's 200: ACK it, record the answer durably, then
// pass the 200 on to the caller (outbound: the agent's answer goes to the
// callee in the ACK of its 200).
func (c *call) answer(b *leg, tx sip.ClientTransaction) dialResult {
	e := c.e
	b.ack(tx)
	if hasSDESKeys(b.res.Body()) && !secureTransport(c.a.req.Transport()) {
		// A late offer (or an answer) with SRTP keys, for a caller on UDP
		// or TCP: not passed on (tls.go).
		c.event("call.target_failed", "the agent's SDP carries SRTP keys (a=crypto), and the caller is not on TLS", true)
		e.byB.Delete(b.callID)
		go b.bye()
		return dialResult{out: outcomeSDES}
	}
	s := c.fire(in2xx, evt{})
	if !s.taken {
		go b.bye()
		return dialResult{final: true, out: outcomeCanceled}
	}
	if s.n > 1 {
		e.recorder.Save(s.upd[0]) // the ringing the answer overtook
	}
	// The answer is the call's first durable state: its row is written
	// (its earlier updates only emitted their events).
	s.upd[s.n-1].EventsOnly = false
	ctx, cancel := context.WithTimeout(context.Background(), durableTimeout)
	err := e.recorder.SaveDurable(ctx, s.upd[s.n-1])
	cancel()
	if err != nil {
		e.log.Error("answered call not recorded; hanging up", "call_id", c.record.ID, "err", err)
		go b.bye()
		c.fail(inNotSaved, outcomeNotSaved)
		return dialResult{final: true, out: outcomeNotSaved}
	}
	// The call is connected before the 200 leaves: the caller may send its
	// BYE the moment it has the 200, and onBye must then end the call.
	s = c.fire(inSaved, evt{})
	if !s.taken {
		go b.bye()
		return dialResult{final: true, out: outcomeCanceled}
	}
	if err := c.a.accept(b.res.Body()); err != nil {
		// The caller went away (a CANCEL crossed the answer), or the
		// 200 could not be sent: either way the agent is hung up.
		e.log.Info("answer not relayed to the caller; hanging up the agent", "call_id", c.record.ID, "err", err)
		go b.bye()
		c.fail(inNotRelayed, outcomeCanceled)
		return dialResult{final: true, out: outcomeCanceled}
	}
	if d := c.maxDuration; d > 0 {
		c.mu.Lock()
		c.maxTimer = time.AfterFunc(d, func() { c.hangup(inTimeout, switchboard.HangupTimeout, switchboard.HangupBySystem) })
		c.mu.Unlock()
	}
	if !c.a.uac {
		// An outbound call's setup time is mostly its callee's ringing.
		e.m.setup.Observe(time.Since(c.received).Seconds())
	}
	if !c.a.uac && !sip.IsReliable(c.a.req.Transport()) {
		body := b.res.Body()
		c.a.retx.start(func() *sip.Response { return c.a.response(200, "OK", body) })
	}
	if s.agentGone {
		// The agent hung up while its answer was being recorded.
		go func() {
			if s := c.bye(legB); s.ending() {
				c.finish(s, legB)
			}
		}()
	}
	return dialResult{answered: true}
}
