package sipedge

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// durableTimeout bounds the wait for the answered record's commit; a call
// whose answer cannot be recorded is not connected.
const durableTimeout = 3 * time.Second

// onInvite takes a new call (or a re-INVITE within one). It returns only
// once the caller has a final response: the transaction is terminated
// when a handler returns.
func (e *Edge) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		e.onReinvite(req, tx)
		return
	}
	if !e.trusted(req) {
		e.m.rejected.WithLabelValues("untrusted").Inc()
		e.respond(tx, req, sipForbidden, "Forbidden")
		return
	}
	if e.drain.Load() {
		e.m.rejected.WithLabelValues("draining").Inc()
		e.respond(tx, req, sipServiceUnavail, "Service Unavailable", sip.NewHeader("Retry-After", retryAfterDraining))
		return
	}
	if req.CallID() == nil || req.From() == nil || req.To() == nil || req.CSeq() == nil {
		e.respond(tx, req, 400, "Bad Request")
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

	called, numErr := calledNumber(req, e.cfg.DefaultCountry)
	c := e.newCall(req, tx, called)
	e.begin()
	e.byA.Store(c.record.SIPCallID, c)
	e.byID.Store(c.record.ID, c)
	tx.OnCancel(func(*sip.Request) { c.cancelSetup(errCallerCanceled) })

	var number *switchboard.PhoneNumber
	d := unheld
	if numErr == nil {
		number, d = e.table.Route(called)
	}
	e.recorder.Save(c.routed(number, d))
	if d.Reject != nil {
		c.failSetup(rejectOutcome(d))
		return
	}
	if !e.acquireNumber(called) {
		c.failSetup(outcomeLimit)
		return
	}
	c.hasSlot = true
	c.run(d.Targets)
}

// routed records the routing decision on the call: the organisation and
// number it belongs to and the first endpoint it goes to. It returns the
// call.initiated update.
func (c *call) routed(number *switchboard.PhoneNumber, d switchboard.Decision) switchboard.CallUpdate {
	c.mu.Lock()
	defer c.mu.Unlock()
	if number != nil {
		c.record.OrganizationID = number.OrganizationID
		c.record.PhoneNumberID = &number.ID
	}
	webhook := false
	if len(d.Targets) > 0 {
		ep := d.Targets[0].Endpoint
		c.record.EndpointID = &ep.ID
		webhook = ep.Type == switchboard.EndpointWebhook
	}
	return c.eventLocked(switchboard.EventCallInitiated, d.Reason, webhook)
}

// run tries each target of the routing decision in turn (the number's
// endpoint, then its fallback) until one answers or a final answer ends
// the call.
func (c *call) run(targets []switchboard.RouteTarget) {
	best := outcome{}
	for i, rt := range targets {
		ep := rt.Endpoint
		if i > 0 {
			c.mu.Lock()
			c.record.EndpointID = &ep.ID
			upd := c.eventLocked("call.failover", "to fallback endpoint "+ep.ID+" after "+best.reason, true)
			c.mu.Unlock()
			c.e.recorder.Save(upd)
		}
		var dests []target
		if ep.Type == switchboard.EndpointWebhook {
			act, err := c.askWebhook(ep)
			if err != nil {
				if stop := c.stopOutcome(); stop != nil {
					c.failSetup(*stop)
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
				c.failSetup(webhookRejectOutcome(act.status))
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
				c.failSetup(r.out)
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
	c.failSetup(best)
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

// calledNumber is the Request-URI user (else the To user) in E.164.
func calledNumber(req *sip.Request, country string) (string, error) {
	user := req.Recipient.User
	if user == "" {
		user = req.To().Address.User
	}
	return normalizeUser(user, country)
}

// callerNumber is the From user in E.164 when it is a number, else as sent
// (an anonymous or alphanumeric caller).
func callerNumber(req *sip.Request, country string) string {
	from := req.From()
	if from == nil {
		return ""
	}
	if n, err := normalizeUser(from.Address.User, country); err == nil {
		return n
	}
	u := from.Address.User
	if len(u) > 64 {
		u = u[:64]
	}
	return u
}

// visualSeparators are characters carriers leave in dialled numbers.
var visualSeparators = strings.NewReplacer("-", "", ".", "", "(", "", ")", "")

// normalizeUser turns a URI user into E.164, dropping user parameters
// (";npdi", ";rn=") and visual separators carriers leave in.
func normalizeUser(user, country string) (string, error) {
	if i := strings.IndexByte(user, ';'); i >= 0 {
		user = user[:i]
	}
	if plainE164(user) {
		return user, nil // the common case, without a metadata lookup
	}
	user = visualSeparators.Replace(user)
	if strings.HasPrefix(user, "00") {
		user = "+" + user[2:]
	}
	if country == "" && !strings.HasPrefix(user, "+") {
		// Without a default country a bare number is taken as
		// international without its +, the way most carriers send it.
		user = "+" + user
	}
	return switchboard.NormalizeE164(user, country)
}

// plainE164 reports whether s is already "+" and up to 15 digits (E.164's
// limit), the form carriers send and the table is keyed by.
func plainE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
