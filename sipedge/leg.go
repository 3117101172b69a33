package sipedge

import (
	"context"
	"sync"

	"github.com/emiago/sipgo/sip"
)

// Which leg of a call a request came from. For an inbound call the first
// leg (A) is the carrier's, whose INVITE we answer as UAS; the second (B)
// is the agent's, which we place as UAC. A call placed by us (outbound)
// has a UAC as its first leg: the position and the role are apart.
const (
	legNone = iota
	legA
	legB
)

// leg is one side of a call: one INVITE dialog, which we either answered
// (uas) or placed (uac).
type leg struct {
	e   *Edge
	uac bool // we sent the INVITE
	// first is set on the call's first leg (A): byA holds its Call-ID, and
	// the call's release forgets it; the others are forgotten from byB.
	first bool
	// lateOffer is set on a leg we placed without SDP (the callee of an
	// API-originated call): its 2xx carries the offer, and the ACK must
	// carry the answer (RFC 3261 §13.2.2.4, RFC 3264 §4).
	lateOffer bool
	callID    string // the dialog's Call-ID
	// req is, as UAS, the INVITE with our To tag, every response is built
	// from; as UAC, the INVITE as last sent (after a digest retry, the
	// retry).
	req *sip.Request
	// uas answers the INVITE (UAS only).
	uas sip.ServerTransaction
	// res is the 2xx that set up the dialog (UAC only).
	res *sip.Response
	// inviteTx is the INVITE's transaction whose 2xx is not acknowledged
	// yet (a late-offer leg while the agent is dialled).
	inviteTx sip.ClientTransaction
	// retx resends our 2xx until the peer's ACK stops it (UAS only).
	retx *retransmitter

	mu   sync.Mutex
	cseq uint32 // our last CSeq in the dialog
	// ackSeq is the CSeq of the INVITE whose 2xx we acknowledged (UAC; 0
	// before): a retransmitted 2xx of it gets that ACK again, built anew,
	// since keeping a copy of every call's ACK cost more than the rare
	// resend.
	ackSeq uint32
	// answer is the SDP our ACK carries (late offer only): the agent's
	// answer, or one that refuses every stream.
	answer []byte

	// hungUp is set, under the call's mu, when the peer sent BYE before
	// the call was connected (the agent hung up while its answer was
	// being recorded): the call ends as soon as it is.
	hungUp bool
}

// nextSeq returns the CSeq of our next request in the dialog.
func (l *leg) nextSeq() uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cseq++
	return l.cseq
}

// inDialog builds a request within the leg's dialog (RFC 3261 §12.2.1.1).
// As UAC: to the 2xx's Contact, through its Record-Route set reversed. As
// UAS: to the INVITE's Contact, through the route set it recorded, with
// From and To swapped; without a route set the request goes where the
// INVITE came from, since the Contact may name an address we cannot reach
// (a carrier behind NAT).
func (l *leg) inDialog(method sip.RequestMethod, seq uint32) *sip.Request {
	if !l.uac {
		return l.toCaller(method, seq)
	}
	target := l.req.Recipient
	if ct := l.res.Contact(); ct != nil {
		target = ct.Address
	}
	req := sip.NewRequest(method, *target.Clone())
	rrs := l.res.GetHeaders("Record-Route")
	for i := len(rrs) - 1; i >= 0; i-- {
		req.AppendHeader(sip.NewHeader("Route", rrs[i].Value()))
	}
	req.AppendHeader(sip.HeaderClone(l.req.From()))
	req.AppendHeader(sip.HeaderClone(l.res.To()))
	req.AppendHeader(sip.HeaderClone(l.req.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(sip.HeaderClone(l.req.Contact()))
	req.SetTransport(l.req.Transport())
	req.SetBody(nil)
	return req
}

// toCaller is inDialog for a leg we answered.
func (l *leg) toCaller(method sip.RequestMethod, seq uint32) *sip.Request {
	target := l.req.Recipient
	if ct := l.req.Contact(); ct != nil {
		target = ct.Address
	}
	req := sip.NewRequest(method, *target.Clone())
	for _, rr := range l.req.GetHeaders("Record-Route") {
		req.AppendHeader(sip.NewHeader("Route", rr.Value()))
	}
	from := l.req.To().AsFrom()
	to := l.req.From().AsTo()
	req.AppendHeader(&from)
	req.AppendHeader(&to)
	req.AppendHeader(sip.HeaderClone(l.req.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(l.e.contact(l.req))
	req.SetTransport(l.req.Transport())
	// Content-Length: 0, which a stream transport needs to find the end
	// of the message: without it a caller over TCP cannot parse our BYE.
	req.SetBody(nil)
	if len(l.req.GetHeaders("Record-Route")) == 0 {
		req.SetDestination(l.req.Source())
	}
	return req
}

// bye ends the leg's dialog.
func (l *leg) bye() {
	req := l.inDialog(sip.BYE, l.nextSeq())
	ctx, cancel := context.WithTimeout(context.Background(), 32*sip.T1)
	defer cancel()
	if _, err := l.e.do(ctx, req); err != nil {
		l.e.log.Debug("BYE", "sip_call_id", l.callID, "err", err)
	}
}

// respond answers the leg's INVITE (UAS).
func (l *leg) respond(status int, reason string, body []byte, hdrs ...sip.Header) error {
	return l.uas.Respond(l.response(status, reason, body, hdrs...))
}

// response builds a response to the leg's INVITE (UAS).
func (l *leg) response(status int, reason string, body []byte, hdrs ...sip.Header) *sip.Response {
	res := sip.NewResponseFromRequest(l.req, status, reason, body)
	if status > 100 && status < 300 {
		res.AppendHeader(l.e.contact(l.req))
	}
	if len(body) > 0 {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	return res
}

// ackReceived notes the peer's ACK of our 2xx (UAS). A leg we placed
// has no such ACK to wait for; an ACK on it (of a 2xx it answered a
// re-INVITE with) changes nothing here.
func (l *leg) ackReceived() {
	if l.retx != nil {
		l.retx.stop()
	}
}

// accept gives the leg's peer the answer that connects the call: as UAS,
// our 200 with body; as a late-offer UAC, the ACK of its 2xx with body,
// the SDP answer to its offer.
func (l *leg) accept(body []byte) error {
	if !l.uac {
		return l.respond(200, "OK", body)
	}
	l.mu.Lock()
	l.answer = body
	l.mu.Unlock()
	l.ack(l.inviteTx)
	return nil
}

// ack acknowledges the 2xx that answered the leg's INVITE (UAC), and again
// whenever the peer retransmits it (our ACK was lost): while the INVITE
// transaction lasts it passes the retransmission up, and after that
// onStrayResponse does. A late-offer leg's ACK carries l.answer, or, when
// it has none (no agent took the call), an answer that refuses every
// stream.
func (l *leg) ack(tx sip.ClientTransaction) {
	seq := l.req.CSeq().SeqNo
	l.mu.Lock()
	l.ackSeq = seq
	if l.lateOffer && l.answer == nil {
		l.answer = refusedAnswer(l.res.Body())
	}
	l.mu.Unlock()
	req := l.ackRequest(seq)
	if tx != nil {
		tx.OnRetransmission(func(r *sip.Response) {
			if r.IsSuccess() {
				l.reack(seq)
			}
		})
	}
	if err := l.e.cli.WriteRequest(req, l.e.addVia); err != nil {
		l.e.log.Debug("ACK", "sip_call_id", l.callID, "err", err)
	}
}

// ackRequest builds the ACK of the 2xx to the INVITE of CSeq seq (UAC),
// with the leg's answer when it has one.
func (l *leg) ackRequest(seq uint32) *sip.Request {
	req := l.inDialog(sip.ACK, seq)
	l.mu.Lock()
	answer := l.answer
	l.mu.Unlock()
	if len(answer) > 0 {
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(answer)
	}
	return req
}

// reack sends the ACK of the peer's 2xx again (UAC), if that 2xx answered
// the INVITE of CSeq seq; it reports whether it did.
func (l *leg) reack(seq uint32) bool {
	l.mu.Lock()
	acked := l.ackSeq
	l.mu.Unlock()
	if acked == 0 || acked != seq {
		return false // not acknowledged yet (ack will), or another INVITE's 2xx
	}
	if err := l.e.cli.WriteRequest(l.ackRequest(seq), l.e.addVia); err != nil {
		l.e.log.Debug("ACK again", "sip_call_id", l.callID, "err", err)
	}
	return true
}
