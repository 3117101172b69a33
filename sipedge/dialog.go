package sipedge

import (
	"context"
	"log/slog"
	"slices"
	"strconv"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// lookup finds the live call a dialog request belongs to and which leg
// it came from: the carrier's Call-ID or one of our agent Call-IDs.
func (e *Edge) lookup(req *sip.Request) (*call, int) {
	id := req.CallID()
	if id == nil {
		return nil, legNone
	}
	if v, ok := e.byA.Load(id.Value()); ok {
		return v.(*call), legA
	}
	if v, ok := e.byB.Load(id.Value()); ok {
		return v.(*call), legB
	}
	return nil, legNone
}

func (e *Edge) onAck(req *sip.Request, _ sip.ServerTransaction) {
	c, leg := e.lookup(req)
	if c == nil {
		return
	}
	if leg == legA {
		c.ackFromA()
	}
	if req.CSeq() == nil {
		return
	}
	c.mu.Lock()
	var wait chan struct{}
	if len(c.reinviteWaits) > 0 { // most calls never see a re-INVITE: no key to build
		k := pendingKey(req.CallID().Value(), req.CSeq().SeqNo)
		wait = c.reinviteWaits[k]
		delete(c.reinviteWaits, k)
	}
	c.mu.Unlock()
	if wait != nil {
		close(wait)
	}
}

// pendingKey names a re-INVITE within a call: the Call-ID of the leg it
// came on and its CSeq.
func pendingKey(callID string, seq uint32) string {
	return callID + "\x00" + strconv.FormatUint(uint64(seq), 10)
}

// onBye ends a call from whichever side hangs up.
func (e *Edge) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c, leg := e.lookup(req)
	if c == nil {
		e.respond(tx, req, sipCallNotExist, "Call/Transaction Does Not Exist")
		return
	}
	c.mu.Lock()
	answered := c.answered
	if !answered && leg == legB {
		// The agent hung up right after its 200, while the answer is
		// being recorded: answer() ends the call once it is connected.
		c.agentBye = true
	}
	c.mu.Unlock()
	e.respond(tx, req, 200, "OK")
	switch {
	case !answered && leg == legA:
		// A BYE before our 200 reached the caller: the caller is gone.
		c.cancelSetup(errCallerCanceled)
	case !answered:
		// Noted above for answer().
	case leg == legA:
		c.endAnswered(switchboard.HangupUser, switchboard.HangupByCaller, legA)
	default:
		c.endAnswered(switchboard.HangupAgent, switchboard.HangupByAgent, legB)
	}
}

// onReinvite relays a re-INVITE (a hold, a codec change, a session
// refresh) to the other leg and its final answer back.
func (e *Edge) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c, leg := e.lookup(req)
	if c == nil {
		e.respond(tx, req, sipCallNotExist, "Call/Transaction Does Not Exist")
		return
	}
	c.mu.Lock()
	answered, ended, b := c.answered, c.ended, c.b
	c.mu.Unlock()
	if !answered || ended || b == nil {
		e.respond(tx, req, 491, "Request Pending")
		return
	}
	var out *sip.Request
	if leg == legA {
		b.mu.Lock()
		b.cseq++
		seq := b.cseq
		b.mu.Unlock()
		out = b.inDialog(sip.INVITE, seq)
	} else {
		out = c.requestToA(sip.INVITE)
	}
	if ct := req.ContentType(); ct != nil {
		out.AppendHeader(sip.NewHeader("Content-Type", ct.Value()))
	}
	out.SetBody(req.Body())
	ctx, cancel := context.WithTimeout(context.Background(), 32*sip.T1)
	defer cancel()
	otx, err := e.cli.TransactionRequest(ctx, out, sipgo.ClientRequestAddVia)
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
				_ = e.cli.WriteRequest(ack, sipgo.ClientRequestAddVia)
			}
			r := sip.NewResponseFromRequest(req, res.StatusCode, res.Reason, res.Body())
			if len(res.Body()) > 0 {
				r.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
			}
			r.AppendHeader(sip.HeaderClone(e.contact(req.Transport())))
			var acked chan struct{}
			if r.IsSuccess() && !sip.IsReliable(req.Transport()) {
				// Waited for before the 2xx leaves: its ACK may come at once.
				acked = make(chan struct{})
				c.mu.Lock()
				if c.reinviteWaits == nil {
					c.reinviteWaits = map[string]chan struct{}{}
				}
				c.reinviteWaits[pendingKey(req.CallID().Value(), req.CSeq().SeqNo)] = acked
				c.mu.Unlock()
			}
			if err := tx.Respond(r); err != nil {
				e.log.Debug("relay re-INVITE answer", "err", err)
			}
			if acked != nil {
				go c.retransmit2xx(func() *sip.Response { return r }, acked, "no ACK for the answer to a re-INVITE; hanging up")
			}
			return
		case <-otx.Done():
			e.respond(tx, req, sipTimeout, "Request Timeout")
			return
		}
	}
}

// do sends a non-INVITE request and waits for its final response.
func (e *Edge) do(ctx context.Context, req *sip.Request, opts ...sipgo.ClientRequestOption) (*sip.Response, error) {
	if len(opts) == 0 {
		opts = []sipgo.ClientRequestOption{sipgo.ClientRequestAddVia}
	}
	tx, err := e.cli.TransactionRequest(ctx, req, opts...)
	if err != nil {
		return nil, err
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.StatusCode >= 200 {
				return res, nil
			}
		case <-tx.Done():
			return nil, tx.Err()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// contact is our Contact for a leg on the given transport.
func (e *Edge) contact(transport string) *sip.ContactHeader {
	c, ok := e.contacts[transport]
	if !ok {
		c = e.contacts["UDP"]
	}
	return &c
}

// toSIPUri converts a validated endpoint URI into sipgo's form.
func toSIPUri(u switchboard.SIPURI) sip.Uri {
	out := sip.Uri{Scheme: u.Scheme, User: u.User, Host: u.Host, Port: u.Port}
	if len(u.Params) > 0 {
		out.UriParams = sip.NewParams()
		for _, p := range u.Params {
			out.UriParams.Add(p.Name, p.Value)
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// quietLogger is the logger handed to sipgo: it logs per message, so
// only its errors pass, or a flood of bad packets would flood the log.
func quietLogger(l *slog.Logger) *slog.Logger {
	return slog.New(levelFloor{l.Handler(), slog.LevelError})
}

type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFloor) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(a), h.min}
}

func (h levelFloor) WithGroup(n string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(n), h.min}
}
