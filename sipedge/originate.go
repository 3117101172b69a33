package sipedge

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// This file places API-originated calls (POST /v1/outbound-calls, DESIGN
// §10): RFC 3725 flow I with the callee first. The callee is INVITEd
// through the trunk without SDP; its 200 carries the offer, which the
// agent is INVITEd with; the agent's 200 carries the answer, which goes to
// the callee in the ACK of its 200. So the agent never talks before
// someone picked up, and media flows callee ↔ agent directly.
//
// The call is the same call as an inbound one (fsm.go's table, the leg
// type) with the callee as its first leg (A), a leg we placed (uac) with a
// late offer; the agent is its B-leg, dialled by run and dial as for an
// inbound call. Once connected it is an ordinary call: BYE from either
// side, re-INVITE relay, the maximum duration, the hangup API and the
// drain work on it as on any other.

// agentSetupLimit bounds the agent's setup once the callee answered (the
// webhook's answer, every target's INVITE, their ringing): the callee
// retransmits its 200 until our ACK, and gives up after 64×T1 (32 s, RFC
// 3261 §13.3.1.4), so the agent gets well under that. Edge.agentSetup
// holds it (tests shorten it).
const agentSetupLimit = 20 * time.Second

// errAgentSetup ends an agent's setup that outlasted agentSetupLimit.
var errAgentSetup = errors.New("agent setup took too long")

// Originate implements switchboard.CallOriginator: it records the call
// (initiated, durably) and places it in the background. At the number's
// or the trunk's limit of live calls it places nothing and records
// nothing: the API answers 429 and the client tries again, and a record
// per refused request would fill the call list of a client that retries
// at the limit with calls that never were.
func (e *Edge) Originate(ctx context.Context, oc *switchboard.OutboundCall) (*switchboard.Call, error) {
	if oc == nil || oc.Number == nil || oc.Trunk == nil || oc.Endpoint == nil {
		return nil, errors.New("originate: the call needs a number, a trunk and an endpoint")
	}
	if e.drain.Load() {
		return nil, switchboard.Errorf(switchboard.ECodeUnavailable, "This node is shutting down; try again.")
	}
	targets := trunkTargets(oc.Trunk, oc.To)
	if len(targets) == 0 {
		return nil, switchboard.Errorf(switchboard.ECodeNoTrunk, "Trunk %s has no address to call through.", oc.Trunk.ID)
	}
	if !e.acquireNumber(oc.Number.E164) {
		return nil, switchboard.Errorf(switchboard.ECodeConcurrentLimit,
			"Number %s has all the live calls it may have (%d).", oc.Number.E164, e.cfg.MaxCallsPerNumber)
	}
	if !e.acquireTrunk(oc.Trunk) {
		e.releaseNumber(oc.Number.E164)
		return nil, switchboard.Errorf(switchboard.ECodeConcurrentLimit,
			"Trunk %s has all the live calls it may have (%d).", oc.Trunk.ID, oc.Trunk.MaxConcurrentCalls)
	}
	c := e.newOutboundCall(oc)
	c.track()
	if e.drain.Load() {
		// The drain began meanwhile, and may have hung up the live calls
		// before this one was among them.
		c.release()
		return nil, switchboard.Errorf(switchboard.ECodeUnavailable, "This node is shutting down; try again.")
	}
	c.mu.Lock()
	upd := c.eventLocked(switchboard.EventCallInitiated, "", oc.Endpoint.Type == switchboard.EndpointWebhook)
	c.mu.Unlock()
	// The 201 promises that GET /v1/calls/{id} finds the call: its row is
	// written now, a third write besides the answer's and the end's.
	upd.EventsOnly = false
	if err := e.recorder.SaveStored(ctx, upd); err != nil {
		// The update may yet be stored: the record must not stay
		// initiated.
		c.fail(inFail, outcomeNotSaved)
		return nil, fmt.Errorf("record outbound call: %w", err)
	}
	go c.originate(targets, oc)
	snap := *upd.Call
	return &snap, nil
}

// newOutboundCall builds an API-originated call: its first leg is the
// callee's, which we place, without SDP.
func (e *Edge) newOutboundCall(oc *switchboard.OutboundCall) *call {
	now := e.now()
	callID := sip.GenerateTagN(24) + "@switchboard"
	maxDuration := oc.MaxDuration
	if maxDuration <= 0 {
		maxDuration = e.cfg.MaxCallDuration
	}
	numberID, endpointID := oc.Number.ID, oc.Endpoint.ID
	c := &call{
		e: e, called: oc.Number.E164, hasSlot: true, trunkSlot: oc.Trunk, received: time.Now(), maxDuration: maxDuration,
		a: leg{e: e, uac: true, first: true, lateOffer: true, callID: callID, cseq: 1},
		record: switchboard.Call{
			ID:             switchboard.NewID(switchboard.PrefixCall),
			OrganizationID: oc.OrganizationID,
			Direction:      switchboard.DirectionOutbound,
			FromNumber:     oc.Number.E164, ToNumber: oc.To,
			PhoneNumberID: &numberID, EndpointID: &endpointID,
			Status:    switchboard.CallInitiated,
			SIPCallID: callID,
			Node:      e.cfg.Node,
			Metadata:  oc.Metadata,
			CreatedAt: now, UpdatedAt: now,
		},
	}
	c.setup, c.cancelSetup = context.WithCancelCause(context.Background())
	return c
}

// originate places the call: the callee through the trunk's addresses,
// then, once it answered, the agent.
func (c *call) originate(targets []target, oc *switchboard.OutboundCall) {
	r := c.ringCallee(targets, oc.RingTimeout)
	if !r.answered {
		c.fail(inFail, r.out)
		return
	}
	c.calleeAnswered = true
	if len(c.a.res.Body()) == 0 {
		// A 200 without the offer our INVITE asked for: nothing to give
		// the agent, and nothing to answer.
		c.event("call.target_failed", "the callee answered without an SDP offer", true)
		c.abandonCallee(inFail, outcomeNoOffer)
		return
	}
	c.sdes = hasSDESKeys(c.a.res.Body())
	// The agent's setup is bounded as a whole. Only this goroutine reads
	// c.setup (dial, askWebhook, stopOutcome), so it may be replaced here;
	// the hangup API and the drain still cancel it through its parent.
	setup, cancel := context.WithTimeoutCause(c.setup, c.e.agentSetup, errAgentSetup)
	defer cancel()
	c.setup = setup
	c.run([]switchboard.RouteTarget{{Endpoint: oc.Endpoint}})
}

// ringCallee calls the callee through each address of the trunk in turn
// (the next when one is unreachable or answers 5xx) until it answers or
// the call ends; ring bounds the whole, from the first INVITE.
func (c *call) ringCallee(targets []target, ring time.Duration) dialResult {
	if ring <= 0 {
		ring = switchboard.DefaultOutboundRing * time.Second
	}
	deadline := time.Now().Add(ring)
	best := outcomeTrunkUnreachable
	for _, t := range targets {
		r := c.callTrunk(t, deadline)
		if r.answered || r.final {
			return r
		}
		best = r.out
	}
	return dialResult{out: best}
}

// callTrunk sends the INVITE without SDP to one address of the trunk and
// follows it to the callee's answer (its 200, not yet acknowledged: the
// ACK waits for the agent's answer), a failure or the ring deadline.
func (c *call) callTrunk(t target, deadline time.Time) dialResult {
	e, a := c.e, &c.a
	a.req = e.trunkInvite(t, a.callID, c.record.FromNumber, c.record.ID, nil)
	a.mu.Lock()
	a.cseq = a.req.CSeq().SeqNo
	a.mu.Unlock()
	c.save(c.fire(inRouted, evt{}))
	where := t.uri.String()

	connect, cancelConnect := context.WithTimeout(c.setup, e.cfg.TryingTimeout)
	tx, err := e.cli.TransactionRequest(connect, a.req, e.addVia)
	cancelConnect()
	if err != nil {
		if stop := c.stopOutcome(); stop != nil {
			return dialResult{final: true, out: *stop}
		}
		e.log.Info("trunk address unreachable", "call_id", c.record.ID, "uri", where, "err", err)
		c.event("call.target_failed", where+" unreachable", true)
		return dialResult{out: outcomeTrunkUnreachable}
	}
	trying := time.NewTimer(e.cfg.TryingTimeout)
	ringing := time.NewTimer(time.Until(deadline))
	defer trying.Stop()
	defer ringing.Stop()
	provisional, authTried := false, false
	for {
		select {
		case res := <-tx.Responses():
			switch {
			case res.StatusCode < 200:
				if !provisional {
					provisional = true
					trying.Stop()
				}
				if res.StatusCode > 100 {
					c.save(c.fire(in1xx, evt{}))
				}
			case res.StatusCode < 300:
				a.res, a.inviteTx = res, tx
				c.save(c.fire(inAnswerA, evt{}))
				return dialResult{answered: true}
			case (res.StatusCode == 401 || res.StatusCode == 407) && !authTried && t.credentials() != nil:
				authTried = true
				next, err := withDigest(a.req, res, t.credentials())
				if err != nil {
					e.log.Info("carrier digest challenge not answerable", "call_id", c.record.ID, "err", err)
					return dialResult{final: true, out: calleeOutcome(res.StatusCode)}
				}
				if tx, err = a.resendInvite(c.setup, tx, next); err != nil {
					if stop := c.stopOutcome(); stop != nil {
						return dialResult{final: true, out: *stop}
					}
					return dialResult{out: outcomeTrunkUnreachable}
				}
			default:
				c.event("call.target_failed", where+" answered "+strconv.Itoa(res.StatusCode), true)
				// A server error is the carrier's, not the callee's:
				// another address of the trunk may do better.
				server := res.StatusCode >= 500 && res.StatusCode < 600
				return dialResult{final: !server, out: calleeOutcome(res.StatusCode)}
			}
		case <-tx.Done():
			if stop := c.stopOutcome(); stop != nil {
				return dialResult{final: true, out: *stop}
			}
			c.event("call.target_failed", where+" unreachable", true)
			return dialResult{out: outcomeTrunkUnreachable}
		case <-trying.C:
			// No provisional response: this address is down or silent
			// (no CANCEL before a 1xx, RFC 3261 §9.1).
			tx.Terminate()
			c.event("call.target_failed", where+" sent no provisional response", true)
			return dialResult{out: outcomeTrunkUnreachable}
		case <-ringing.C:
			a.cancel(tx, provisional)
			c.event("call.target_failed", where+": the callee did not answer in time", true)
			return dialResult{final: true, out: outcomeNoAnswer}
		case <-c.setup.Done():
			a.cancel(tx, provisional)
			return dialResult{final: true, out: *c.stopOutcome()}
		}
	}
}

// abandonCallee is fail for an outbound call, with o as fail made it.
// While the callee rings, the setup has told it already (CANCEL) or there
// is nothing to tell; once it answered, its 200 waits for our ACK: the
// ACK goes with an answer that refuses every stream of its offer, then a
// BYE ends the dialog.
func (c *call) abandonCallee(in input, o outcome) {
	s := c.fire(in, evt{out: o})
	if !s.taken {
		return
	}
	c.save(s)
	if c.calleeAnswered {
		c.a.ack(c.a.inviteTx) // no answer given: the refusal
		c.a.bye()
	}
	c.e.m.outcome(o.call)
	c.release()
}

// isStopOutcome reports whether o is how a setup ends when it is stopped
// (a cancel, the hangup API, the drain) or its answer not recorded,
// rather than a target's failure.
func isStopOutcome(o outcome) bool {
	return o == outcomeCanceled || o == outcomeAPI || o == outcomeDraining || o == outcomeNotSaved
}
