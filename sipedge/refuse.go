package sipedge

import (
	"bytes"
	"hash/fnv"
	"net"
	"net/netip"
	"strconv"

	"github.com/emiago/sipgo/sip"
)

// This file answers what the edge refuses before routing statelessly, as
// RFC 3261 §8.2.7 lets a UAS do: INVITEs from a source outside the trusted
// networks, to a draining node, or malformed, and any request from
// outside the trusted networks that belongs to no live call. The response
// goes straight to the transport and nothing is kept once it is sent, no
// server transaction and no timers. A sender that retransmits is simply
// answered again.
//
// Over UDP, where anyone can send and a transaction would linger (for
// Timer H, 32 s, after a refused INVITE; for the transaction linger after
// anything else), the refusal happens in sipgo's transport read filter
// (screen), before sipgo makes a transaction of the datagram; sipgo stays
// the parser. Over TCP a sender must complete a handshake first and sipgo
// ends the transaction as soon as the handler returns, so onInvite
// refuses there, without answering through the transaction.

var (
	invitePrefix   = []byte("INVITE ")
	optionsPrefix  = []byte("OPTIONS ")
	responsePrefix = []byte("SIP/")
)

// screen is sipgo's transport read filter: it sees each datagram before
// sipgo parses it. A carrier's datagrams pass untouched and unparsed, but
// for an INVITE while the node drains, an INVITE the routing table refuses
// (screenroute.go) and an OPTIONS, answered here; so do, parsed, a trunk network's
// INVITEs to its organisation's numbers and its other requests (Table's
// TrunkTrusts and TrunkSource). From anyone else, only what belongs
// to a live call (an agent's requests) and responses pass; the rest is
// answered here, statelessly, and dropped: a new INVITE gets 403, or,
// when agents may place calls (admit.go), a 407 digest challenge unless
// its credentials answer a fresh nonce of ours; OPTIONS 200 (keep-alives
// are answered to anyone), an ACK nothing (but the ACK of the final
// response of an agent's call that has just ended), anything else 481.
func (e *Edge) screen(p sip.TransportReadProps, data []byte) ([]byte, error) {
	if p.Transport != "UDP" || bytes.HasPrefix(data, responsePrefix) {
		return data, nil
	}
	from, ok := p.RemoteAddr.(*net.UDPAddr)
	if !ok {
		return data, nil
	}
	src := from.AddrPort().Addr().Unmap()
	trusted := e.trustedAddr(src)
	if trusted {
		switch {
		case bytes.HasPrefix(data, optionsPrefix):
			// Answered below, statelessly, as from anyone.
		case !bytes.HasPrefix(data, invitePrefix):
			return data, nil
		case e.drain.Load():
			// Refused below.
		case e.screenRoute(data, from):
			return nil, nil // refused by the routing table (screenroute.go)
		default:
			return data, nil
		}
	}
	msg, err := e.parser.ParseSIP(data)
	if err != nil {
		return data, nil // sipgo logs what it cannot parse, and drops it
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		return data, nil
	}
	req.SetTransport("UDP")
	req.SetSource(from.String())
	send := e.sendTo(from)
	invite := req.IsInvite() && !inDialog(req)
	if !trusted && e.table != nil {
		// A trunk's network: trusted for a new call to its organisation's
		// numbers only, and for what belongs to calls.
		if invite {
			trusted = e.admitsInvite(req, src)
			if trusted && !e.drain.Load() {
				return data, nil
			}
		} else {
			trusted = e.table.TrunkSource(src)
		}
	}
	switch {
	case invite && trusted:
		e.refuse(req, src, refusedDraining, send)
	case invite && e.auth != nil:
		// Perhaps an agent placing a call (admit.go): what can be checked
		// without a lookup is checked here; only an INVITE whose
		// credentials answer a fresh nonce of ours goes on to the handler,
		// which checks the password.
		if r := e.auth.precheck(req, src); r != authAccepted {
			e.refuseAuth(req, src, r, send)
			return nil, nil
		}
		return data, nil
	case invite:
		e.refuse(req, src, refusedUntrusted, send)
	case req.Method == sip.OPTIONS:
		// A keep-alive, or a question about what we take: the same answer
		// in a dialog or out of one, to anyone.
		e.answerStateless(optionsResponse(req), send)
	case trusted || e.isLive(req):
		return data, nil // a re-INVITE, BYE… of a call (an agent's, say): the call decides
	case req.IsAck() && e.recent.has(inviteKey(req)):
		// The ACK of the final response an agent's call ended with
		// (after its authentication): its transaction waits for it.
		return data, nil
	case req.IsInvite():
		// A re-INVITE of no call: its 481 through a transaction would
		// keep it as long as a 403.
		e.refuse(req, src, refusedNoDialog, send)
	case req.IsAck():
		// Nothing to answer (the ACK of a 403 we sent, say).
	default:
		e.answerStateless(statelessResponse(req, sipCallNotExist, "Call/Transaction Does Not Exist"), send)
	}
	return nil, nil
}

// sendTo returns what sends a stateless response to the packet's source,
// not to the Via's sent-by: an unknown sender cannot aim the answer at a
// third party.
func (e *Edge) sendTo(from *net.UDPAddr) func(*sip.Response) error {
	return func(res *sip.Response) error {
		var buf bytes.Buffer
		res.StringWrite(&buf)
		_, err := e.udp.WriteTo(buf.Bytes(), from)
		return err
	}
}

// refuse answers req with r, unless r is rate-limited and src has had its
// share of refusals: then req is dropped unanswered.
func (e *Edge) refuse(req *sip.Request, src netip.Addr, r refusal, send func(*sip.Response) error) {
	e.refuseWith(req, src, r, nil, send)
}

// refuseWith is refuse with the response made by build (when not nil),
// which is called only once the response is to be sent.
func (e *Edge) refuseWith(req *sip.Request, src netip.Addr, r refusal, build func() *sip.Response, send func(*sip.Response) error) {
	if r.limited && !e.refusals.allow(src) {
		e.m.rejected.WithLabelValues(refusedRateLimited).Inc()
		return
	}
	e.m.rejected.WithLabelValues(r.reason).Inc()
	var res *sip.Response
	if build != nil {
		res = build()
	} else {
		res = statelessResponse(req, r.status, r.phrase)
	}
	if r.retryAfter != "" {
		res.AppendHeader(sip.NewHeader("Retry-After", r.retryAfter))
	}
	e.answerStateless(res, send)
}

// answerStateless sends res, logging (at debug: the peer may simply be
// gone) when it cannot be sent.
func (e *Edge) answerStateless(res *sip.Response, send func(*sip.Response) error) {
	if err := send(res); err != nil {
		e.log.Debug("send stateless response", "status", res.StatusCode, "err", err)
	}
}

// statelessResponse is a response to req whose To tag is the same for
// every retransmission of req (RFC 3261 §8.2.7), with nothing stored.
func statelessResponse(req *sip.Request, status int, phrase string) *sip.Response {
	if to := req.To(); to != nil && !to.Params.Has("tag") {
		to.Params.Add("tag", statelessTag(req))
	}
	return sip.NewResponseFromRequest(req, status, phrase, nil)
}

// refuseInvite refuses an INVITE that reached onInvite, writing the
// response to the transport rather than through tx, so the transaction
// ends, with nothing to retransmit, when the handler returns.
func (e *Edge) refuseInvite(req *sip.Request, src netip.Addr, r refusal) {
	e.refuse(req, src, r, e.srv.WriteResponse)
}

// statelessTag is the To tag of a stateless response to req.
func statelessTag(req *sip.Request) string {
	h := fnv.New64a()
	if id := req.CallID(); id != nil {
		h.Write([]byte(id.Value()))
	}
	if f := req.From(); f != nil {
		tag, _ := f.Params.Get("tag")
		h.Write([]byte{0})
		h.Write([]byte(tag))
	}
	if v := req.Via(); v != nil {
		branch, _ := v.Params.Get("branch")
		h.Write([]byte{0})
		h.Write([]byte(branch))
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// isLive reports whether req belongs to a live call.
func (e *Edge) isLive(req *sip.Request) bool {
	c, _ := e.lookup(req)
	return c != nil
}

// inDialog reports whether req belongs to a dialog (its To has a tag).
func inDialog(req *sip.Request) bool {
	to := req.To()
	return to != nil && to.Params.Has("tag")
}

// sourceAddr is the address a request came from.
func sourceAddr(req *sip.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}
