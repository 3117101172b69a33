package sipedge

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// call is one call through the edge: the carrier's leg (A), the current
// agent leg (B), the record and the state (fsm.go). Setup runs in the
// INVITE handler's goroutine; after the answer, requests from either side
// and timers act on the call through fire.
type call struct {
	e *Edge

	mu     sync.Mutex
	st     state // changed by fire only
	record switchboard.Call
	a      leg  // the caller's
	b      *leg // the current (after the answer: the connected) agent leg
	// maxTimer ends the call at its maximum duration.
	maxTimer *time.Timer
	// reinviteAcks are the ACKs we sent for the 2xx of the last re-INVITE
	// we relayed to each leg (by that leg's Call-ID), kept to send again
	// when that 2xx is retransmitted: the re-INVITE's transaction ends
	// with its answer.
	reinviteAcks map[string]*sip.Request
	// reinviteWaits are stopped by the ACKs of the 2xx we answered
	// re-INVITEs with (UDP only; by pendingKey), which stops their
	// retransmission: a re-INVITE from each side may be answered before
	// the other's ACK comes.
	reinviteWaits map[string]*retransmitter

	// called is the number whose per-number slot the call takes (hasSlot):
	// the called number, or the calling one of an agent's call, or our
	// from_number of an API-originated call (also the agent's
	// Request-URI user for providers that route by number).
	called  string
	hasSlot bool
	// trunkSlot is the trunk whose call slot the call holds (nil none):
	// released as it was taken, whatever reloads changed since.
	trunkSlot *switchboard.Trunk
	// agentIsA is set on a call an agent placed (agentcall.go): its first
	// leg is the agent's, the second the person called.
	agentIsA bool
	// maxDuration ends the call this long after it is connected; 0 means
	// no limit.
	maxDuration time.Duration
	// calleeAnswered is set (by the setup goroutine, which alone reads
	// it) once an API-originated call's callee answered: its 200 waits
	// for our ACK.
	calleeAnswered bool
	// agentRang is set (by the setup goroutine) once an API-originated
	// call's agent first rang.
	agentRang bool
	// sdes is set when the caller's offer carries SRTP keys (a=crypto):
	// only TLS targets may then be dialled (tls.go).
	sdes     bool
	received time.Time

	// setup is cancelled (with a cause) by the caller's CANCEL, the
	// hangup API or the drain; it is what the setup loop waits on.
	setup       context.Context
	cancelSetup context.CancelCauseFunc
}

// Causes that end a call's setup early.
var (
	errCallerCanceled = errors.New("caller cancelled")
	errHangupAPI      = errors.New("hung up through the API")
	errDraining       = errors.New("node draining")
)

func (e *Edge) newCall(req *sip.Request, tx sip.ServerTransaction, called string) *call {
	now := e.now()
	a := req.Clone()
	a.To().Params.Add("tag", sip.GenerateTagN(16))
	// A test call's token (testcall.go), or a forged one, is passed on to
	// no one.
	stripHeader(a, testCallHeader)
	from, fromRaw := callerNumber(req, e.cfg.DefaultCountry)
	c := &call{
		e: e, called: called, received: time.Now(), sdes: hasSDESKeys(req.Body()),
		maxDuration: e.cfg.MaxCallDuration,
		a:           leg{e: e, first: true, callID: req.CallID().Value(), req: a, uas: tx, cseq: 1},
		record: switchboard.Call{
			ID:        switchboard.NewID(switchboard.PrefixCall),
			Direction: switchboard.DirectionInbound,
			ToNumber:  called, FromNumber: from, FromRaw: fromRaw,
			Status:    switchboard.CallInitiated,
			SIPCallID: req.CallID().Value(),
			Node:      e.cfg.Node,
			CreatedAt: now, UpdatedAt: now,
		},
	}
	c.a.retx = c.newRetransmitter("caller never acknowledged the answer; hanging up")
	c.setup, c.cancelSetup = context.WithCancelCause(context.Background())
	return c
}

func (c *call) orgID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.record.OrganizationID
}

// fail ends a call that was never connected with o, for in (inFail,
// inNotSaved or inNotRelayed): the caller gets o.status (unless its
// transaction already ended, as after a CANCEL, where the transaction
// layer answered 487) and the record is final. An outbound call's callee
// has been told already (CANCEL, or nothing to say) unless it answered:
// then it gets an ACK that refuses its offer, and a BYE (abandonCallee),
// and a failure of the agent's setup is recorded as agent_unreachable, a
// hangup through the API as completed (the callee did answer); a cancel
// or the drain keeps its own outcome.
func (c *call) fail(in input, o outcome) {
	if c.a.uac {
		switch {
		case !c.calleeAnswered:
		case errors.Is(context.Cause(c.setup), errAgentSetup):
			c.event("call.target_failed", "the agent was not connected within "+c.e.agentSetup.String(), true)
			o = outcomeAgentUnreachable
		case !isStopOutcome(o):
			// The agent's setup failed (the timeline says how).
			o = outcomeAgentUnreachable
		case o == outcomeAPI:
			o = outcomeAPIAnswered
		}
		c.abandonCallee(in, o)
		return
	}
	s := c.fire(in, evt{out: o})
	if !s.taken {
		return
	}
	if o != outcomeCanceled && o != outcomeAgentCanceled { // the transaction layer answered 487
		var hdrs []sip.Header
		if o.retryLater() {
			hdrs = append(hdrs, sip.NewHeader("Retry-After", retryAfterDraining))
		}
		c.a.respond(o.status, "", nil, hdrs...)
	}
	c.save(s)
	c.e.m.outcome(o.call)
	c.release()
}

// track makes c a live call of the edge (counted until release; the
// drain waits for the count to reach zero), found by its first leg's
// Call-ID and by its ID.
func (c *call) track() {
	c.e.begin()
	c.e.byA.Store(c.record.SIPCallID, c)
	c.e.byID.Store(c.record.ID, c)
}

// onCancel is the caller's CANCEL of its INVITE (a carrier's or an
// agent's): it ends the setup, unless the call is past it.
func (c *call) onCancel(*sip.Request) {
	if c.fire(inCancel, evt{}).taken {
		c.cancelSetup(errCallerCanceled)
	}
}

// release gives back what a live call holds. Every call ends here, once:
// an ended one is logged, one info line per call.
func (c *call) release() {
	c.mu.Lock()
	if c.maxTimer != nil {
		c.maxTimer.Stop()
	}
	b := c.b
	r := c.record
	c.mu.Unlock()
	if switchboard.CallEnded(r.Status) {
		c.logEnded(&r)
	}
	if c.hasSlot {
		c.e.releaseNumber(c.called)
	}
	if c.trunkSlot != nil {
		c.e.releaseTrunk(c.trunkSlot)
	}
	if !c.a.uac {
		// Remembered before the call is forgotten, so a late
		// retransmission of its INVITE finds one or the other.
		c.e.recent.add(inviteKey(c.a.req))
	}
	c.e.byA.Delete(c.record.SIPCallID)
	c.e.byID.Delete(c.record.ID)
	if b != nil {
		c.e.byB.Delete(b.callID)
	}
	c.e.end()
}

// logEnded writes the call's one info line: who called whom, through
// which endpoint, and how it ended.
func (c *call) logEnded(r *switchboard.Call) {
	if !c.e.log.Enabled(context.Background(), slog.LevelInfo) {
		return // its attributes cost ten allocations a call
	}
	endpoint := ""
	if r.EndpointID != nil {
		endpoint = *r.EndpointID
	}
	attrs := []any{"call_id", r.ID, "org", r.OrganizationID, "direction", r.Direction,
		"from", r.FromNumber, "from_raw", r.FromRaw, "to", r.ToNumber, "endpoint_id", endpoint, "status", r.Status,
		"cause", r.HangupCause, "duration", r.Duration}
	if r.HangupBy != "" {
		attrs = append(attrs, "by", r.HangupBy)
	}
	if r.FailureReason != "" {
		attrs = append(attrs, "reason", r.FailureReason)
	}
	if r.SIPStatus != 0 {
		attrs = append(attrs, "sip_status", r.SIPStatus)
	}
	c.e.log.Info("call ended", attrs...)
}

// hangup ends the call for in (inHangupAPI, inDrain or inTimeout), with
// cause by by: BYE on both legs when connected, else the setup is
// abandoned.
func (c *call) hangup(in input, cause, by string) {
	s := c.fire(in, evt{cause: cause, by: by})
	switch {
	case !s.taken:
	case s.ending():
		go c.finish(s, legNone)
	case in == inDrain:
		c.cancelSetup(errDraining)
	default:
		c.cancelSetup(errHangupAPI)
	}
}

// bye takes a BYE from one leg (legA or legB). It reports the step, for
// the caller to finish the call when it ends it.
func (c *call) bye(from int) step {
	if (from == legB) != c.agentIsA {
		return c.fire(inByeB, evt{cause: switchboard.HangupAgent, by: switchboard.HangupByAgent})
	}
	return c.fire(inByeA, evt{cause: switchboard.HangupUser, by: switchboard.HangupByCaller})
}

// finish ends a call a transition moved to stEnding: BYE to each leg that
// did not hang up, the record's completion to the recorder, and the call
// is let go.
func (c *call) finish(s step, from int) {
	c.mu.Lock()
	b := c.b
	c.mu.Unlock()
	var byes []*leg
	if from != legA {
		byes = append(byes, &c.a)
	}
	if from != legB && b != nil {
		byes = append(byes, b)
	}
	c.save(s)
	c.e.m.outcome(switchboard.CallCompleted)
	// One leg (the other hung up, as in nearly every call) is hung up
	// from this goroutine; two at once, the first from one of its own.
	var wg sync.WaitGroup
	if len(byes) == 2 {
		wg.Add(1)
		go func() { defer wg.Done(); byes[1].bye() }()
	}
	if len(byes) > 0 {
		byes[0].bye()
	}
	wg.Wait()
	c.fire(inByesSent, evt{})
	c.release()
}
