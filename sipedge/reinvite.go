package sipedge

import (
	"context"

	"github.com/emiago/sipgo/sip"
)

// onReinvite relays a re-INVITE (a hold, a codec change, a session
// refresh) to the other leg and its final answer back.
func (e *Edge) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c, from := e.lookup(req)
	if c == nil {
		e.respond(tx, req, sipCallNotExist, "Call/Transaction Does Not Exist")
		return
	}
	c.mu.Lock()
	st, other := c.st, c.b
	c.mu.Unlock()
	if from == legB {
		other = &c.a
	}
	if st != stConnected || other == nil {
		e.respond(tx, req, 491, "Request Pending")
		return
	}
	if hasSDESKeys(req.Body()) && !(secureTransport(req.Transport()) && secureTransport(other.req.Transport())) {
		// SRTP keys never cross a leg that is not TLS (tls.go).
		e.respond(tx, req, sipNotAcceptable, "Not Acceptable Here")
		return
	}
	out := other.inDialog(sip.INVITE, other.nextSeq())
	if ct := req.ContentType(); ct != nil {
		out.AppendHeader(sip.NewHeader("Content-Type", ct.Value()))
	}
	out.SetBody(req.Body())
	ctx, cancel := context.WithTimeout(context.Background(), 32*sip.T1)
	defer cancel()
	otx, err := e.cli.TransactionRequest(ctx, out, e.addVia)
	if err != nil {
		e.respond(tx, req, sipServerError, "Server Internal Error")
		return
	}
	defer otx.Terminate()
	for {
		select {
		case res := <-otx.Responses():
			if res.StatusCode < 200 {
				continue
			}
			if res.StatusCode < 300 {
				// Acknowledge the other side at once; the originator's
				// ACK to us ends its own transaction.
				ack := sip.NewRequest(sip.ACK, out.Recipient)
				for _, h := range out.GetHeaders("Route") {
					ack.AppendHeader(sip.NewHeader("Route", h.Value()))
				}
				ack.AppendHeader(sip.HeaderClone(out.From()))
				ack.AppendHeader(sip.HeaderClone(res.To()))
				ack.AppendHeader(sip.HeaderClone(out.CallID()))
				ack.AppendHeader(&sip.CSeqHeader{SeqNo: out.CSeq().SeqNo, MethodName: sip.ACK})
				mf := sip.MaxForwardsHeader(70)
				ack.AppendHeader(&mf)
				ack.SetTransport(out.Transport())
				if d := out.Destination(); d != "" {
					ack.SetDestination(d)
				}
				ack.SetBody(nil)
				c.mu.Lock()
				if c.reinviteAcks == nil {
					c.reinviteAcks = map[string]*sip.Request{}
				}
				c.reinviteAcks[out.CallID().Value()] = ack.Clone()
				c.mu.Unlock()
				_ = e.cli.WriteRequest(ack, e.addVia)
			}
			r := sip.NewResponseFromRequest(req, res.StatusCode, res.Reason, res.Body())
			if len(res.Body()) > 0 {
				r.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
			}
			r.AppendHeader(e.contact(req))
			var acked *retransmitter
			if r.IsSuccess() && !sip.IsReliable(req.Transport()) {
				// Waited for before the 2xx leaves: its ACK may come at once.
				acked = c.newRetransmitter("no ACK for the answer to a re-INVITE; hanging up")
				c.mu.Lock()
				if c.reinviteWaits == nil {
					c.reinviteWaits = map[string]*retransmitter{}
				}
				c.reinviteWaits[pendingKey(req.CallID().Value(), req.CSeq().SeqNo)] = acked
				c.mu.Unlock()
			}
			if err := tx.Respond(r); err != nil {
				e.log.Debug("relay re-INVITE answer", "err", err)
			}
			if acked != nil {
				acked.start(func() *sip.Response { return r })
			}
			return
		case <-otx.Done():
			e.respond(tx, req, sipTimeout, "Request Timeout")
			return
		}
	}
}
