package sipedge

import (
	"context"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"
)

// dialResult is how one target attempt ended.
type dialResult struct {
	answered bool
	final    bool    // no failover: the call ends with out
	out      outcome // when not answered
}

// dial sends the INVITE to one target and follows it to an answer, a
// failure or the ring timeout (sip-notes §5.3).
func (c *call) dial(t target, ring time.Duration) dialResult {
	e := c.e
	if c.sdes && !secureTransport(targetTransport(t.uri)) {
		c.event("call.target_failed", t.uri.String()+" is not reached over TLS, and the offer carries SRTP keys (a=crypto)", true)
		return dialResult{out: outcomeSDES}
	}
	b := &leg{e: e, uac: true, callID: sip.GenerateTagN(24) + "@switchboard", cseq: 1}
	b.req = c.buildInvite(t, b.callID)
	e.byB.Store(b.callID, c)
	c.mu.Lock()
	c.b = b
	c.mu.Unlock()
	c.fire(inRouted, evt{})
	forget := func() { e.byB.Delete(b.callID) }

	// The connection (TCP connect, TLS handshake) gets as long as a
	// target may stay silent: an agent that never completes it is down.
	connect, cancelConnect := context.WithTimeout(c.setup, e.cfg.TryingTimeout)
	tx, err := e.cli.TransactionRequest(connect, b.req, e.addVia)
	cancelConnect()
	if err != nil {
		forget()
		if stop := c.stopOutcome(); stop != nil {
			return dialResult{final: true, out: *stop}
		}
		if why, ok := tlsFailure(err); ok {
			e.log.Info("agent TLS handshake failed", "call_id", c.record.ID, "uri", t.uri.String(), "err", err)
			c.event("call.target_failed", t.uri.String()+": "+why, true)
			return dialResult{out: outcomeTLS}
		}
		e.log.Info("agent unreachable", "call_id", c.record.ID, "uri", t.uri.String(), "err", err)
		return dialResult{out: outcomeUnreachable}
	}
	// One timer: first the trying timeout (unless the ring timeout is
	// shorter), then, from the first provisional response, the rest of
	// the ring timeout.
	silent := e.cfg.TryingTimeout < ring
	ringEnd := time.Now().Add(ring)
	deadline := time.NewTimer(min(e.cfg.TryingTimeout, ring))
	defer deadline.Stop()
	provisional := false
	authTried := false
	for {
		select {
		case res := <-tx.Responses():
			switch {
			case res.StatusCode < 200:
				if !provisional {
					provisional = true
					if silent {
						deadline.Reset(time.Until(ringEnd))
					}
				}
				if res.StatusCode > 100 {
					c.relayProvisional(res)
				}
			case res.StatusCode < 300:
				b.res = res
				return c.answer(b, tx)
			case (res.StatusCode == 401 || res.StatusCode == 407) && !authTried && t.credentials() != nil:
				authTried = true
				next, err := withDigest(b.req, res, t.credentials())
				if err != nil {
					e.log.Info("agent digest challenge not answerable", "call_id", c.record.ID, "err", err)
					forget()
					return dialResult{final: true, out: targetOutcome(res.StatusCode)}
				}
				if tx, err = b.resendInvite(c.setup, tx, next); err != nil {
					forget()
					return dialResult{out: outcomeUnreachable}
				}
			default:
				forget()
				c.event("call.target_failed", t.uri.String()+" answered "+strconv.Itoa(res.StatusCode), true)
				return dialResult{final: !failsOver(res.StatusCode), out: targetOutcome(res.StatusCode)}
			}
		case <-tx.Done():
			forget()
			if stop := c.stopOutcome(); stop != nil {
				return dialResult{final: true, out: *stop}
			}
			c.event("call.target_failed", t.uri.String()+" unreachable", true)
			return dialResult{out: outcomeUnreachable}
		case <-deadline.C:
			if provisional || !silent {
				b.cancel(tx, provisional)
				c.event("call.target_failed", t.uri.String()+" did not answer in time", true)
				return dialResult{out: outcomeNoAnswer}
			}
			// No provisional response: the agent host is down or
			// silent. A CANCEL is not allowed before a 1xx; drop the
			// transaction and move on.
			tx.Terminate()
			forget()
			c.event("call.target_failed", t.uri.String()+" sent no provisional response", true)
			return dialResult{out: outcomeUnreachable}
		case <-c.setup.Done():
			b.cancel(tx, provisional)
			return dialResult{final: true, out: *c.stopOutcome()}
		}
	}
}

// resendInvite answers a challenge (401/407) to the leg's INVITE: it
// drops tx and sends next, the INVITE again with the credentials
// withDigest added, in a new transaction, which it returns; next becomes
// the leg's INVITE. dial and callTrunk share it.
func (l *leg) resendInvite(ctx context.Context, tx sip.ClientTransaction, next *sip.Request) (sip.ClientTransaction, error) {
	tx.Terminate()
	ntx, err := l.e.cli.TransactionRequest(ctx, next, l.e.addVia)
	if err != nil {
		return nil, err
	}
	l.req = next
	l.mu.Lock()
	l.cseq = next.CSeq().SeqNo
	l.mu.Unlock()
	return ntx, nil
}

// relayProvisional passes an agent's 18x to the caller (with its SDP,
// for early media) and records the first as ringing. An outbound call's
// agent rings after its callee answered (stBridging): nothing to relay,
// and its first ringing is a timeline entry of its own.
func (c *call) relayProvisional(res *sip.Response) {
	s := c.fire(in1xx, evt{})
	if !s.taken {
		return
	}
	if c.a.uac {
		if !c.agentRang {
			c.agentRang = true
			c.event(eventAgentRinging, "", true)
		}
		return
	}
	status := res.StatusCode
	if status != 180 && status != 183 {
		status = 180
	}
	body := res.Body()
	if hasSDESKeys(body) && !secureTransport(c.a.req.Transport()) {
		body = nil // the SDES rule (tls.go): no early media then
	}
	if err := c.a.respond(status, res.Reason, body); err != nil {
		c.e.log.Debug("relay provisional", "err", err)
	}
	c.save(s)
}
