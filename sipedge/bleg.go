package sipedge

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/switchboard-voice/switchboard"
)

// bleg is one INVITE toward an agent and, once answered, its dialog.
type bleg struct {
	c      *call
	callID string
	req    *sip.Request // the INVITE as last sent (after a digest retry, the retry)
	res    *sip.Response
	cseq   uint32
	// ackSeq is the CSeq of the INVITE whose 200 we acknowledged (0
	// before): a retransmitted 200 of it gets that ACK again, built anew,
	// since keeping a copy of every call's ACK cost more than the rare
	// resend.
	ackSeq uint32
	mu     sync.Mutex
}

// dialResult is how one target attempt ended.
type dialResult struct {
	answered bool
	final    bool    // no failover: the call ends with out
	out      outcome // when not answered
}

// carrierHeaders are the carrier's headers passed to the agent besides X-
// headers: who is calling and the number originally dialled.
var carrierHeaders = []string{"P-Asserted-Identity", "Diversion", "History-Info"}

// noBuild sends a request exactly as built (sipgo's default would add
// headers we have set ourselves).
func noBuild(*sipgo.Client, *sip.Request) error { return nil }

// buildInvite builds the B-leg INVITE: the target's Request-URI and
// transport, the caller's SDP unchanged, the carrier's X- headers, the
// endpoint's and the target's headers, and X-Switchboard-Call-Id.
func (c *call) buildInvite(t target, callID string) *sip.Request {
	e := c.e
	ruri := toSIPUri(t.uri)
	req := sip.NewRequest(sip.INVITE, ruri)
	transport := "UDP"
	switch t.uri.Transport() {
	case "tcp":
		transport = "TCP"
	case "tls":
		transport = "TLS"
	}
	if t.uri.Scheme == "sips" {
		transport = "TLS"
	}
	req.SetTransport(transport)

	from := sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: c.record.FromNumber, Host: e.host}}
	if dn := c.aReq.From().DisplayName; dn != "" {
		from.DisplayName = dn
	}
	from.Params = sip.NewParams()
	from.Params.Add("tag", sip.GenerateTagN(16))
	to := sip.ToHeader{Address: sip.Uri{Scheme: ruri.Scheme, User: ruri.User, Host: ruri.Host}}
	if to.Address.User == "" {
		to.Address.User = c.called
	}
	cid := sip.CallIDHeader(callID)
	req.AppendHeader(&from)
	req.AppendHeader(&to)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(sip.HeaderClone(e.contact(transport)))

	for _, name := range carrierHeaders {
		for _, h := range c.aReq.GetHeaders(name) {
			req.AppendHeader(sip.NewHeader(name, h.Value()))
		}
	}
	// The endpoint's and the webhook's headers win over the carrier's.
	// Names compare without case, and without allocating: this runs for
	// every call, over every header of the carrier's INVITE.
	var seen []string
	add := func(name, value string) {
		req.AppendHeader(sip.NewHeader(name, value))
		seen = append(seen, name)
	}
	isSeen := func(name string) bool {
		return slices.ContainsFunc(seen, func(s string) bool { return strings.EqualFold(s, name) })
	}
	for _, h := range t.headers {
		add(h[0], h[1])
	}
	if t.endpoint != nil {
		for _, name := range sortedKeys(t.endpoint.Headers) {
			if !isSeen(name) {
				add(name, t.endpoint.Headers[name])
			}
		}
	}
	for _, h := range c.aReq.Headers() {
		name := h.Name()
		if len(name) >= 2 && strings.EqualFold(name[:2], "x-") && !isSeen(name) &&
			!strings.EqualFold(name, "X-Switchboard-Call-Id") {
			req.AppendHeader(sip.NewHeader(name, h.Value()))
		}
	}
	req.AppendHeader(sip.NewHeader("X-Switchboard-Call-Id", c.record.ID))
	if body := c.aReq.Body(); len(body) > 0 {
		ct := "application/sdp"
		if h := c.aReq.ContentType(); h != nil {
			ct = h.Value()
		}
		req.AppendHeader(sip.NewHeader("Content-Type", ct))
		req.SetBody(body)
	} else {
		req.SetBody(nil)
	}
	return req
}

// dial sends the INVITE to one target and follows it to an answer, a
// failure or the ring timeout (sip-notes §5.3).
func (c *call) dial(t target, ring time.Duration) dialResult {
	e := c.e
	b := &bleg{c: c, callID: sip.GenerateTagN(24) + "@switchboard", cseq: 1}
	b.req = c.buildInvite(t, b.callID)
	e.byB.Store(b.callID, c)
	c.mu.Lock()
	c.b = b
	c.mu.Unlock()
	forget := func() { e.byB.Delete(b.callID) }

	tx, err := e.cli.TransactionRequest(c.setup, b.req, sipgo.ClientRequestAddVia)
	if err != nil {
		forget()
		if stop := c.stopOutcome(); stop != nil {
			return dialResult{final: true, out: *stop}
		}
		e.log.Info("agent unreachable", "call_id", c.record.ID, "uri", t.uri.String(), "err", err)
		return dialResult{out: outcomeUnreachable}
	}
	trying := time.NewTimer(e.cfg.TryingTimeout)
	ringing := time.NewTimer(ring)
	defer trying.Stop()
	defer ringing.Stop()
	provisional := false
	authTried := false
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
					c.relayProvisional(res)
				}
			case res.StatusCode < 300:
				b.res = res
				return c.answer(b, tx)
			case (res.StatusCode == 401 || res.StatusCode == 407) && !authTried && t.endpoint != nil && t.endpoint.Credentials != nil:
				authTried = true
				next, err := b.withDigest(res, t.endpoint.Credentials)
				if err != nil {
					e.log.Info("agent digest challenge not answerable", "call_id", c.record.ID, "err", err)
					forget()
					return dialResult{final: true, out: targetOutcome(res.StatusCode)}
				}
				tx.Terminate()
				if tx, err = e.cli.TransactionRequest(c.setup, next, sipgo.ClientRequestAddVia); err != nil {
					forget()
					return dialResult{out: outcomeUnreachable}
				}
				b.req = next
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
		case <-trying.C:
			// No provisional response: the agent host is down or
			// silent. A CANCEL is not allowed before a 1xx; drop the
			// transaction and move on.
			tx.Terminate()
			forget()
			c.event("call.target_failed", t.uri.String()+" sent no provisional response", true)
			return dialResult{out: outcomeUnreachable}
		case <-ringing.C:
			b.cancel(tx, provisional)
			c.event("call.target_failed", t.uri.String()+" did not answer in time", true)
			return dialResult{out: outcomeNoAnswer}
		case <-c.setup.Done():
			b.cancel(tx, provisional)
			return dialResult{final: true, out: *c.stopOutcome()}
		}
	}
}

// relayProvisional passes an agent's 18x to the caller (with its SDP,
// for early media) and records the first as ringing.
func (c *call) relayProvisional(res *sip.Response) {
	status := res.StatusCode
	if status != 180 && status != 183 {
		status = 180
	}
	if err := c.respondA(status, res.Reason, res.Body()); err != nil {
		c.e.log.Debug("relay provisional", "err", err)
	}
	c.mu.Lock()
	if c.record.Status != switchboard.CallInitiated {
		c.mu.Unlock()
		return
	}
	c.record.Status = switchboard.CallRinging
	upd := c.eventLocked(switchboard.EventCallRinging, "", false)
	c.mu.Unlock()
	c.e.recorder.Save(upd)
}

// answer connects an agent's 200: ACK it, record the answer durably, then
// pass the 200 on to the caller.
func (c *call) answer(b *bleg, tx sip.ClientTransaction) dialResult {
	e := c.e
	b.ack(tx)
	now := e.now()
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		go b.bye()
		return dialResult{final: true, out: outcomeCanceled}
	}
	if c.record.Status == switchboard.CallInitiated {
		// The 180 was overtaken by the 200 (sipgo handles each message
		// in its own goroutine) or never sent: the timeline still says
		// the call rang, so receivers always see the whole sequence.
		c.record.Status = switchboard.CallRinging
		c.e.recorder.Save(c.eventLocked(switchboard.EventCallRinging, "", false))
	}
	c.record.Status = switchboard.CallInProgress
	c.record.AnsweredAt = &now
	upd := c.eventLocked(switchboard.EventCallAnswered, "", false)
	c.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), durableTimeout)
	err := e.recorder.SaveDurable(ctx, upd)
	cancel()
	if err != nil {
		e.log.Error("answered call not recorded; hanging up", "call_id", c.record.ID, "err", err)
		go b.bye()
		c.mu.Lock()
		c.record.AnsweredAt = nil
		c.mu.Unlock()
		return dialResult{final: true, out: outcomeNotSaved}
	}
	// The call is answered before the 200 leaves: the caller may send its
	// BYE the moment it has the 200, and onBye must then end the call. An
	// agent BYE that came while the answer was being recorded is acted on
	// now.
	c.mu.Lock()
	c.answered = true
	agentBye := c.agentBye
	c.mu.Unlock()
	if err := c.respondA(200, "OK", b.res.Body()); err != nil {
		// The caller went away (a CANCEL crossed the answer), or the
		// 200 could not be sent: either way the agent is hung up.
		e.log.Info("answer not relayed to the caller; hanging up the agent", "call_id", c.record.ID, "err", err)
		go b.bye()
		c.mu.Lock()
		c.answered = false
		c.record.AnsweredAt = nil
		c.mu.Unlock()
		return dialResult{final: true, out: outcomeCanceled}
	}
	c.mu.Lock()
	if d := e.cfg.MaxCallDuration; d > 0 {
		c.maxTimer = time.AfterFunc(d, func() { c.hangup(switchboard.HangupTimeout, switchboard.HangupBySystem) })
	}
	c.mu.Unlock()
	e.m.setup.Observe(time.Since(c.received).Seconds())
	if !sip.IsReliable(c.aReq.Transport()) {
		body := b.res.Body()
		go c.retransmit2xx(func() *sip.Response { return c.responseA(200, "OK", body) },
			c.acked, "caller never acknowledged the answer; hanging up")
	}
	if agentBye {
		go c.endAnswered(switchboard.HangupAgent, switchboard.HangupByAgent, legB)
	}
	return dialResult{answered: true}
}

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
			c.endAnswered(switchboard.HangupNetworkError, switchboard.HangupBySystem, legNone)
			return
		case <-t.C:
			c.mu.Lock()
			ended := c.ended
			c.mu.Unlock()
			if ended {
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

// ack acknowledges the agent's 200, and again whenever the agent
// retransmits it (our ACK was lost): while the INVITE transaction lasts it
// passes the retransmission up, and after that onStrayResponse does.
func (b *bleg) ack(tx sip.ClientTransaction) {
	seq := b.req.CSeq().SeqNo
	req := b.inDialog(sip.ACK, seq)
	b.mu.Lock()
	b.ackSeq = seq
	b.mu.Unlock()
	tx.OnRetransmission(func(r *sip.Response) {
		if r.IsSuccess() {
			b.reack(seq)
		}
	})
	if err := b.c.e.cli.WriteRequest(req, sipgo.ClientRequestAddVia); err != nil {
		b.c.e.log.Debug("ACK to agent", "err", err)
	}
}

// reack sends the ACK of the agent's 200 again, if that 200 answered the
// INVITE of CSeq seq; it reports whether it did.
func (b *bleg) reack(seq uint32) bool {
	b.mu.Lock()
	acked := b.ackSeq
	b.mu.Unlock()
	if acked == 0 || acked != seq {
		return false // not acknowledged yet (ack will), or another INVITE's 2xx
	}
	if err := b.c.e.cli.WriteRequest(b.inDialog(sip.ACK, seq), sipgo.ClientRequestAddVia); err != nil {
		b.c.e.log.Debug("ACK to agent again", "call_id", b.c.record.ID, "err", err)
	}
	return true
}

// bye ends the agent's dialog.
func (b *bleg) bye() {
	b.mu.Lock()
	b.cseq++
	seq := b.cseq
	b.mu.Unlock()
	req := b.inDialog(sip.BYE, seq)
	ctx, cancel := context.WithTimeout(context.Background(), 32*sip.T1)
	defer cancel()
	if _, err := b.c.e.do(ctx, req); err != nil {
		b.c.e.log.Debug("BYE to agent", "call_id", b.c.record.ID, "err", err)
	}
}

// inDialog builds a request within the agent's dialog (RFC 3261
// §12.2.1.1): to the 200's Contact, through its Record-Route set reversed.
func (b *bleg) inDialog(method sip.RequestMethod, seq uint32) *sip.Request {
	target := b.req.Recipient
	if ct := b.res.Contact(); ct != nil {
		target = ct.Address
	}
	req := sip.NewRequest(method, *target.Clone())
	rrs := b.res.GetHeaders("Record-Route")
	for i := len(rrs) - 1; i >= 0; i-- {
		req.AppendHeader(sip.NewHeader("Route", rrs[i].Value()))
	}
	req.AppendHeader(sip.HeaderClone(b.req.From()))
	req.AppendHeader(sip.HeaderClone(b.res.To()))
	req.AppendHeader(sip.HeaderClone(b.req.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(sip.HeaderClone(b.req.Contact()))
	req.SetTransport(b.req.Transport())
	req.SetBody(nil)
	return req
}

// cancel abandons a pending INVITE: CANCEL once a provisional response
// came (RFC 3261 §9.1 allows no CANCEL before), and whatever final answer
// follows is settled in the background — a 200 that crossed the CANCEL is
// acknowledged and hung up.
func (b *bleg) cancel(tx sip.ClientTransaction, provisional bool) {
	e := b.c.e
	go func() {
		defer e.byB.Delete(b.callID)
		guard := time.NewTimer(64 * sip.T1)
		defer guard.Stop()
		sent := false
		send := func() {
			sent = true
			req := sip.NewRequest(sip.CANCEL, b.req.Recipient)
			req.AppendHeader(sip.HeaderClone(b.req.Via()))
			req.AppendHeader(sip.HeaderClone(b.req.From()))
			req.AppendHeader(sip.HeaderClone(b.req.To()))
			req.AppendHeader(sip.HeaderClone(b.req.CallID()))
			req.AppendHeader(&sip.CSeqHeader{SeqNo: b.req.CSeq().SeqNo, MethodName: sip.CANCEL})
			sip.CopyHeaders("Route", b.req, req)
			mf := sip.MaxForwardsHeader(70)
			req.AppendHeader(&mf)
			req.SetTransport(b.req.Transport())
			req.SetBody(nil)
			ctx, cancel := context.WithTimeout(context.Background(), 32*sip.T1)
			defer cancel()
			if _, err := e.do(ctx, req, noBuild); err != nil {
				e.log.Debug("CANCEL to agent", "err", err)
			}
		}
		if provisional {
			send()
		}
		for {
			select {
			case res := <-tx.Responses():
				switch {
				case res.StatusCode < 200:
					if !sent && res.StatusCode > 100 {
						send()
					}
				case res.StatusCode < 300:
					b.res = res
					b.ack(tx)
					b.bye()
					return
				default:
					return
				}
			case <-tx.Done():
				return
			case <-guard.C:
				tx.Terminate()
				return
			}
		}
	}()
}

// withDigest returns the INVITE again with credentials answering the
// agent's 401/407 challenge (a new transaction: CSeq + 1, new branch).
func (b *bleg) withDigest(res *sip.Response, cred *switchboard.SIPCredentials) (*sip.Request, error) {
	challengeHdr, authHdr := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		challengeHdr, authHdr = "Proxy-Authenticate", "Proxy-Authorization"
	}
	h := res.GetHeader(challengeHdr)
	if h == nil {
		return nil, errMissing(challengeHdr)
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		return nil, err
	}
	resp, err := digest.Digest(chal, digest.Options{
		Method: "INVITE", URI: b.req.Recipient.Addr(), Username: cred.Username, Password: cred.Password,
	})
	if err != nil {
		return nil, err
	}
	next := b.req.Clone()
	next.RemoveHeader("Via")
	next.RemoveHeader(authHdr)
	next.CSeq().SeqNo++
	b.cseq = next.CSeq().SeqNo
	next.AppendHeader(sip.NewHeader(authHdr, resp.String()))
	return next, nil
}

type errMissing string

func (e errMissing) Error() string { return "challenge without " + string(e) + " header" }
