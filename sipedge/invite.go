package sipedge

import (
	"context"
	"errors"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// onInvite takes a new call (or a re-INVITE within one). It returns only
// once the caller has a final response: the transaction is terminated
// when a handler returns.
func (e *Edge) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if inDialog(req) {
		e.onReinvite(req, tx)
		return
	}
	// Refused statelessly (refuse.go). Over UDP the read filter refused
	// most of these already; a drain may have begun since.
	src, _ := sourceAddr(req)
	// One of our own test calls (testcall.go) is admitted by its token.
	test := e.takeTestCall(req, src)
	trusted := test != nil || e.admitsInvite(req, src)
	// An agent placing a call (admit.go): from outside the trusted
	// networks, or from inside them with credentials for our realm.
	agent := test == nil && e.auth != nil && (!trusted || e.carriesCredentials(req))
	switch {
	case !trusted && !agent:
		e.refuseInvite(req, src, refusedUntrusted)
		return
	case req.CallID() == nil || req.From() == nil || req.To() == nil || req.CSeq() == nil:
		e.refuseInvite(req, src, refusedMalformed)
		return
	}
	var user agentUser
	if agent {
		var ok bool
		if user, ok = e.authenticate(req, src); !ok {
			return
		}
	}
	if e.drain.Load() {
		e.refuseInvite(req, src, refusedDraining)
		return
	}
	if _, dup := e.byA.Load(req.CallID().Value()); dup {
		// A second INVITE of a live call without a To tag: a merged or
		// looped request (RFC 3261 §8.2.2.2).
		e.respond(tx, req, 482, "Loop Detected")
		return
	}
	if e.recent.has(inviteKey(req)) {
		// The caller retransmitted the INVITE of a call that has ended,
		// after its transaction was let go (linger.go): not a new call.
		e.m.rejected.WithLabelValues("retransmission").Inc()
		e.respond(tx, req, 482, "Loop Detected")
		return
	}

	if agent {
		e.agentCall(req, tx, user)
		return
	}

	called, numErr := calledNumber(req, e.cfg.DefaultCountry)
	c := e.newCall(req, tx, called)
	if test != nil {
		c.record.Test = true
		test.callID <- c.record.ID
	}
	c.track()
	tx.OnCancel(c.onCancel)

	var number *switchboard.PhoneNumber
	d := unheld
	if numErr == nil {
		number, d = e.table.Route(called)
	}
	if test != nil && (number == nil || number.OrganizationID != test.orgID) {
		// The number changed hands since the API checked it: the test
		// call reaches no one else's number.
		number, d = nil, unheld
	}
	e.recorder.Save(c.routed(number, d))
	if d.Reject != nil {
		c.fail(inFail, rejectOutcome(d))
		return
	}
	if c.sdes && !secureTransport(req.Transport()) {
		// SRTP keys in clear text over UDP or TCP (tls.go): relaying
		// them would spread keys anyone on the path could read.
		c.fail(inFail, outcomeSDES)
		return
	}
	if !e.acquireNumber(called) {
		c.fail(inFail, outcomeLimit)
		return
	}
	c.hasSlot = true
	c.run(d.Targets)
}

// run tries each target of the routing decision in turn (the number's
// endpoint, then its fallback) until one answers or a final answer ends
// the call.
func (c *call) run(targets []switchboard.RouteTarget) {
	best := outcome{}
	for i, rt := range targets {
		ep := rt.Endpoint
		if i > 0 {
			c.failover(ep, best.reason)
		}
		var dests []target
		if ep.Type == switchboard.EndpointWebhook {
			act, err := c.askWebhook(ep)
			if err != nil {
				if stop := c.stopOutcome(); stop != nil {
					c.fail(inFail, *stop)
					return
				}
				c.e.log.Info("webhook endpoint gave no usable answer", "call_id", c.record.ID, "endpoint_id", ep.ID, "err", err)
				c.event("call.webhook_failed", err.Error(), true)
				if best.status == 0 {
					best = outcomeWebhook
				}
				continue
			}
			if act.kind == actionReject {
				c.fail(inFail, webhookRejectOutcome(act.status))
				return
			}
			dests = act.targets
		} else {
			u, err := switchboard.AgentTarget(ep, c.called)
			if err != nil {
				c.e.log.Error("agent endpoint has no usable SIP URI", "endpoint_id", ep.ID, "err", err)
				continue
			}
			dests = []target{{uri: u, endpoint: ep}}
		}
		for _, t := range dests {
			r := c.dial(t, ringTimeout(ep))
			switch {
			case r.answered:
				return
			case r.final:
				c.fail(inFail, r.out)
				return
			}
			if best.status == 0 || better(r.out.status, best.status) || best == outcomeWebhook {
				best = r.out
			}
		}
	}
	if best.status == 0 {
		best = outcomeNoTargets
	}
	c.fail(inFail, best)
}

// stopOutcome reports why the setup was abandoned, or nil while it goes on.
func (c *call) stopOutcome() *outcome {
	var o outcome
	switch cause := context.Cause(c.setup); {
	case cause == nil:
		return nil
	case errors.Is(cause, errCallerCanceled):
		o = outcomeCanceled
	case errors.Is(cause, errDraining):
		o = outcomeDraining
	default:
		o = outcomeAPI
	}
	return &o
}

// ringTimeout is how long an agent may ring before the call moves on.
func ringTimeout(ep *switchboard.Endpoint) time.Duration {
	if ep.RingTimeout > 0 {
		return time.Duration(ep.RingTimeout) * time.Second
	}
	return switchboard.DefaultRingTimeout * time.Second
}
