package sipedge

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// call is one call through the edge: the carrier's leg (A), the current
// agent leg (B) and the record. Setup runs in the INVITE handler's
// goroutine; after the answer, requests from either side and timers act on
// the call under mu.
type call struct {
	e *Edge

	mu       sync.Mutex
	record   switchboard.Call
	answered bool
	ended    bool
	agentBye bool  // the agent hung up while its answer was being recorded
	b        *bleg // the current (after the answer: the connected) agent leg
	maxTimer *time.Timer
	// reinviteAcks are the ACKs we sent for the 2xx of the last re-INVITE
	// we relayed to each leg (by that leg's Call-ID), kept to send again
	// when that 2xx is retransmitted: the re-INVITE's transaction ends
	// with its answer.
	reinviteAcks map[string]*sip.Request
	// reinviteWaits are closed by the ACKs of the 2xx we answered
	// re-INVITEs with (UDP only; by pendingKey), which stops their
	// retransmission: a re-INVITE from each side may be answered before
	// the other's ACK comes.
	reinviteWaits map[string]chan struct{}

	// A-leg.
	aReq     *sip.Request // the INVITE with our To tag: every response is built from it
	aTx      sip.ServerTransaction
	aCSeq    uint32 // our CSeq toward the caller
	acked    chan struct{}
	ackOnce  sync.Once
	called   string
	hasSlot  bool
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
	c := &call{
		e: e, aReq: a, aTx: tx, aCSeq: 1, acked: make(chan struct{}), called: called, received: time.Now(),
		record: switchboard.Call{
			ID:        switchboard.NewID(switchboard.PrefixCall),
			Direction: switchboard.DirectionInbound,
			ToNumber:  called, FromNumber: callerNumber(req, e.cfg.DefaultCountry),
			Status:    switchboard.CallInitiated,
			SIPCallID: req.CallID().Value(),
			Node:      e.cfg.Node,
			CreatedAt: now, UpdatedAt: now,
		},
	}
	c.setup, c.cancelSetup = context.WithCancelCause(context.Background())
	return c
}

func (c *call) orgID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.record.OrganizationID
}

// eventLocked returns the update that records a timeline entry with the
// call's state as it is now; the caller holds mu and hands it to the
// recorder.
func (c *call) eventLocked(typ, detail string, skipEndpoint bool) switchboard.CallUpdate {
	now := c.e.now()
	c.record.UpdatedAt = now
	snap := c.record
	return switchboard.CallUpdate{Call: &snap, Events: []*switchboard.CallEvent{{
		CallID: snap.ID, Type: typ, Timestamp: now, Status: snap.Status, Detail: detail, SkipEndpoint: skipEndpoint,
	}}}
}

// event records a timeline entry (taking mu).
func (c *call) event(typ, detail string, skipEndpoint bool) {
	c.mu.Lock()
	upd := c.eventLocked(typ, detail, skipEndpoint)
	c.mu.Unlock()
	c.e.recorder.Save(upd)
}

// failSetup ends a call that was never answered: the caller gets o.status
// (unless its transaction already ended, as after a CANCEL, where the
// transaction layer answered 487) and the record is final.
func (c *call) failSetup(o outcome) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended = true
	now := c.e.now()
	c.record.Status, c.record.HangupCause, c.record.FailureReason, c.record.SIPStatus = o.call, o.cause, o.reason, o.status
	c.record.CompletedAt = &now
	switch o.cause {
	case switchboard.HangupUser:
		c.record.HangupBy = switchboard.HangupByCaller
	case switchboard.HangupNormalClearing:
		c.record.HangupBy = switchboard.HangupByAPI
	default:
		c.record.HangupBy = switchboard.HangupBySystem
	}
	upd := c.eventLocked(switchboard.EventCallFailed, o.reason, false)
	c.mu.Unlock()

	if o != outcomeCanceled {
		var hdrs []sip.Header
		if o.status == sipServiceUnavail && (o == outcomeDraining || o == outcomeLimit) {
			hdrs = append(hdrs, sip.NewHeader("Retry-After", retryAfterDraining))
		}
		c.respondA(o.status, "", nil, hdrs...)
	}
	c.e.recorder.Save(upd)
	c.e.m.outcome(o.call)
	c.release()
}

// respondA answers the caller's INVITE with our To tag.
func (c *call) respondA(status int, reason string, body []byte, hdrs ...sip.Header) error {
	return c.aTx.Respond(c.responseA(status, reason, body, hdrs...))
}

// responseA builds a response to the caller's INVITE.
func (c *call) responseA(status int, reason string, body []byte, hdrs ...sip.Header) *sip.Response {
	res := sip.NewResponseFromRequest(c.aReq, status, reason, body)
	if status > 100 && status < 300 {
		res.AppendHeader(sip.HeaderClone(c.e.contact(c.aReq.Transport())))
	}
	if len(body) > 0 {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	return res
}

// release gives back what a live call holds.
func (c *call) release() {
	c.mu.Lock()
	if c.maxTimer != nil {
		c.maxTimer.Stop()
	}
	b := c.b
	c.mu.Unlock()
	if c.hasSlot {
		c.e.releaseNumber(c.called)
	}
	// Remembered before the call is forgotten, so a late retransmission
	// of its INVITE finds one or the other.
	c.e.recent.add(inviteKey(c.aReq))
	c.e.byA.Delete(c.record.SIPCallID)
	c.e.byID.Delete(c.record.ID)
	if b != nil {
		c.e.byB.Delete(b.callID)
	}
	c.e.end()
}

// hangup ends the call for the API, the maximum duration or the drain:
// BYE on both legs when answered, else the setup is abandoned.
func (c *call) hangup(cause, by string) {
	c.mu.Lock()
	answered, ended := c.answered, c.ended
	c.mu.Unlock()
	switch {
	case ended:
	case answered:
		go c.endAnswered(cause, by, legNone)
	case cause == switchboard.HangupShutdown:
		c.cancelSetup(errDraining)
	default:
		c.cancelSetup(errHangupAPI)
	}
}

// Which leg a request came from.
const (
	legNone = iota
	legA
	legB
)

// endAnswered ends an answered call: BYE to each leg that did not hang up,
// then the record is completed.
func (c *call) endAnswered(cause, by string, from int) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended = true
	now := c.e.now()
	c.record.Status, c.record.HangupCause, c.record.HangupBy = switchboard.CallCompleted, cause, by
	c.record.CompletedAt = &now
	if c.record.AnsweredAt != nil {
		c.record.Duration = int(now.Sub(*c.record.AnsweredAt) / time.Second)
	}
	upd := c.eventLocked(switchboard.EventCallCompleted, cause, false)
	b := c.b
	c.mu.Unlock()

	var wg sync.WaitGroup
	if from != legA {
		wg.Add(1)
		go func() { defer wg.Done(); c.byeA() }()
	}
	if from != legB && b != nil {
		wg.Add(1)
		go func() { defer wg.Done(); b.bye() }()
	}
	c.e.recorder.Save(upd)
	c.e.m.outcome(switchboard.CallCompleted)
	wg.Wait()
	c.release()
}

// ackFromA notes the caller's ACK of our 200.
func (c *call) ackFromA() { c.ackOnce.Do(func() { close(c.acked) }) }

// byeA sends BYE to the caller within the A-leg dialog.
func (c *call) byeA() {
	req := c.requestToA(sip.BYE)
	ctx, cancel := context.WithTimeout(context.Background(), 32*sip.T1)
	defer cancel()
	if _, err := c.e.do(ctx, req); err != nil {
		c.e.log.Debug("BYE to caller", "call_id", c.record.ID, "err", err)
	}
}

// requestToA builds an in-dialog request toward the caller (RFC 3261
// §12.2.1.1): to its Contact, through the route set its INVITE recorded,
// with From and To swapped and our own CSeq.
func (c *call) requestToA(method sip.RequestMethod) *sip.Request {
	target := c.aReq.Recipient
	if ct := c.aReq.Contact(); ct != nil {
		target = ct.Address
	}
	req := sip.NewRequest(method, *target.Clone())
	for _, rr := range c.aReq.GetHeaders("Record-Route") {
		req.AppendHeader(sip.NewHeader("Route", rr.Value()))
	}
	from := c.aReq.To().AsFrom()
	to := c.aReq.From().AsTo()
	req.AppendHeader(&from)
	req.AppendHeader(&to)
	req.AppendHeader(sip.HeaderClone(c.aReq.CallID()))
	c.mu.Lock()
	c.aCSeq++
	seq := c.aCSeq
	c.mu.Unlock()
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(sip.HeaderClone(c.e.contact(c.aReq.Transport())))
	req.SetTransport(c.aReq.Transport())
	if len(c.aReq.GetHeaders("Record-Route")) == 0 {
		// No route set: the Contact may name an address we cannot reach
		// (a carrier behind NAT); answer where the INVITE came from.
		req.SetDestination(c.aReq.Source())
	}
	return req
}
