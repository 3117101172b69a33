package sipedge

import (
	"time"

	"github.com/switchboard-voice/switchboard"
)

// This file is what the call's record says: the changes the state
// machine's transitions make to it (the …Locked functions of fsm.go's
// table, run under c.mu) and the timeline entries the setup adds.

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

// failover records that the call moves on to the fallback endpoint ep
// after every target of the first failed with outcome after.
func (c *call) failover(ep *switchboard.Endpoint, after string) {
	c.mu.Lock()
	c.record.EndpointID = &ep.ID
	upd := c.eventLocked("call.failover", "to fallback endpoint "+ep.ID+" after "+after, true)
	c.mu.Unlock()
	c.e.recorder.Save(upd)
}

// eventLocked returns the update that records a timeline entry with the
// call's state as it is now; the caller holds mu and hands it to the
// recorder. The entry joins the call's Timeline, which every later update
// carries, so the call's row, written only when the call is answered
// (answer marks that update) or fails and when it ends, holds every
// entry: the other updates only emit their events (switchboard.Call.Record).
func (c *call) eventLocked(typ, detail string, skipEndpoint bool) switchboard.CallUpdate {
	upd := c.record.Record(typ, detail, c.e.now())
	upd.Events[0].SkipEndpoint = skipEndpoint
	return upd
}

// event records a timeline entry (taking mu).
func (c *call) event(typ, detail string, skipEndpoint bool) {
	c.mu.Lock()
	upd := c.eventLocked(typ, detail, skipEndpoint)
	c.mu.Unlock()
	c.e.recorder.Save(upd)
}

// save hands a step's updates to the recorder, in order.
func (c *call) save(s step) {
	for i := range s.n {
		c.e.recorder.Save(s.upd[i])
	}
}

// ringLocked: the agent rings.
func (c *call) ringLocked(e evt) evt {
	c.record.Status = switchboard.CallRinging
	e.add(c.eventLocked(switchboard.EventCallRinging, "", false))
	return e
}

// answerLocked: the agent answered. A call the timeline never saw ring
// (the 180 was overtaken by the 200, sipgo handling each message in its
// own goroutine, or never sent) rings first, so receivers always see the
// whole sequence. The last update is the one made durable.
func (c *call) answerLocked(e evt) evt {
	if c.record.Status == switchboard.CallInitiated {
		e = c.ringLocked(e)
	}
	now := c.e.now()
	c.record.Status = switchboard.CallInProgress
	c.record.AnsweredAt = &now
	e.add(c.eventLocked(switchboard.EventCallAnswered, "", false))
	return e
}

// calleeAnswerLocked: an outbound call's callee answered (its 2xx holds
// the offer the agent is dialled with). The record says answered, and the
// duration counts from here: the callee is on the line. As with
// answerLocked, a call the timeline never saw ring rings first.
func (c *call) calleeAnswerLocked(e evt) evt {
	if c.record.Status == switchboard.CallInitiated {
		e = c.ringLocked(e)
	}
	now := c.e.now()
	c.record.Status = switchboard.CallAnswered
	c.record.AnsweredAt = &now
	e.add(c.eventLocked(switchboard.EventCallAnswered, "", false))
	return e
}

// The timeline's own entries of an outbound call's agent (KrosAI's
// catalogue has no event for them; call.ringing and call.answered were
// the callee's): it rang, and it answered (in_progress).
const (
	eventAgentRinging   = "call.agent_ringing"
	eventAgentConnected = "call.agent_connected"
)

// agentAnswerLocked: the agent of an outbound call answered; its answer
// is made durable before the callee gets it.
func (c *call) agentAnswerLocked(e evt) evt {
	c.record.Status = switchboard.CallInProgress
	e.add(c.eventLocked(eventAgentConnected, "", true))
	return e
}

// connectLocked: the answer is durable. An agent that hung up meanwhile
// is acted on once the caller has the answer.
func (c *call) connectLocked(e evt) evt {
	e.agentGone = c.b != nil && c.b.hungUp
	return e
}

// agentGoneLocked: the agent hung up before the call was connected.
func (c *call) agentGoneLocked(e evt) evt {
	if c.b != nil {
		c.b.hungUp = true
	}
	return e
}

// failLocked: a call that was never connected ends with e.out. An answer
// that was not made durable, or not passed on, is no answer; but an
// outbound callee who answered did (outcomeAPIAnswered).
func (c *call) failLocked(e evt) evt {
	o := e.out
	if o.call == switchboard.CallCompleted {
		// An outbound call hung up through the API once its callee had
		// answered, its agent not yet connected (outcomeAPIAnswered):
		// an answered call, hung up.
		e.cause, e.by = o.cause, o.hangupBy()
		return c.completeLocked(e)
	}
	now := c.e.now()
	c.record.Status, c.record.HangupCause, c.record.FailureReason, c.record.SIPStatus = o.call, o.cause, o.reason, o.status
	c.record.AnsweredAt = nil
	c.record.CompletedAt = &now
	c.record.HangupBy = o.hangupBy()
	e.add(c.eventLocked(switchboard.EventCallFailed, o.reason, false))
	return e
}

// completeLocked: a connected call is hung up, with e.cause by e.by.
func (c *call) completeLocked(e evt) evt {
	now := c.e.now()
	c.record.Status, c.record.HangupCause, c.record.HangupBy = switchboard.CallCompleted, e.cause, e.by
	c.record.CompletedAt = &now
	if c.record.AnsweredAt != nil {
		c.record.Duration = int(now.Sub(*c.record.AnsweredAt) / time.Second)
	}
	e.add(c.eventLocked(switchboard.EventCallCompleted, e.cause, false))
	return e
}
