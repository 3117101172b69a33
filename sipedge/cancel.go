package sipedge

import (
	"context"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// noBuild sends a request exactly as built (sipgo's default would add
// headers we have set ourselves).
func noBuild(*sipgo.Client, *sip.Request) error { return nil }

// cancel abandons a pending INVITE: CANCEL once a provisional response
// came (RFC 3261 §9.1 allows no CANCEL before), and whatever final answer
// follows is settled in the background — a 200 that crossed the CANCEL is
// acknowledged (a late-offer leg's ACK refusing its offer) and hung up.
// An agent leg is forgotten then; the first leg (an outbound call's
// callee) is the call's own, forgotten when the call is released.
func (b *leg) cancel(tx sip.ClientTransaction, provisional bool) {
	e := b.e
	go func() {
		if !b.first {
			defer e.byB.Delete(b.callID)
		}
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
				e.log.Debug("CANCEL", "sip_call_id", b.callID, "err", err)
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
