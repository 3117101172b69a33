package sipedge

import (
	"bytes"
	"hash/fnv"
	"net"
	"net/netip"
	"strconv"

	"github.com/emiago/sipgo/sip"
)

// This file refuses INVITEs before routing (from a source outside the
// trusted networks, to a draining node, or malformed) statelessly, as RFC
// 3261 §8.2.7 lets a UAS do: the response goes straight to the transport
// and nothing is kept once it is sent, no server transaction and no
// timers. A refused caller that retransmits is simply refused again.
//
// Over UDP, where anyone can send and a transaction would linger for
// Timer H (32 s) waiting for an ACK, the refusal happens in sipgo's
// transport read filter (screen), before sipgo makes a transaction of the
// datagram; sipgo stays the parser. Over TCP a sender must complete a
// handshake first and sipgo ends the transaction as soon as the handler
// returns, so onInvite refuses there, without answering through the
// transaction.

var invitePrefix = []byte("INVITE ")

// screen is sipgo's transport read filter: it sees each datagram before
// sipgo parses it. A carrier's datagrams pass untouched and unparsed; a
// new INVITE that would be refused is answered here and dropped.
func (e *Edge) screen(p sip.TransportReadProps, data []byte) ([]byte, error) {
	if p.Transport != "UDP" || !bytes.HasPrefix(data, invitePrefix) {
		return data, nil
	}
	from, ok := p.RemoteAddr.(*net.UDPAddr)
	if !ok {
		return data, nil
	}
	src := from.AddrPort().Addr().Unmap()
	trusted := e.trustedAddr(src)
	if trusted && !e.drain.Load() {
		return data, nil
	}
	msg, err := e.parser.ParseSIP(data)
	if err != nil {
		return data, nil // sipgo logs what it cannot parse, and drops it
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		return data, nil
	}
	r := refusedDraining
	switch {
	case inDialog(req) && (trusted || e.isLive(req)):
		return data, nil // a re-INVITE of a call (an agent's, say): the call decides
	case inDialog(req):
		r = refusedNoDialog // else its 481 would keep a transaction as long as a 403
	case !trusted:
		r = refusedUntrusted
	}
	req.SetTransport("UDP")
	req.SetSource(from.String())
	e.refuse(req, src, r, func(res *sip.Response) error {
		var buf bytes.Buffer
		res.StringWrite(&buf)
		// To the packet's source, not the Via's sent-by: an unknown sender
		// cannot aim the answer at a third party.
		_, err := e.udp.WriteTo(buf.Bytes(), from)
		return err
	})
	return nil, nil
}

// refuse answers req with r, unless r is rate-limited and src has had its
// share of refusals: then req is dropped unanswered.
func (e *Edge) refuse(req *sip.Request, src netip.Addr, r refusal, send func(*sip.Response) error) {
	if r.limited && !e.refusals.allow(src) {
		e.m.rejected.WithLabelValues(refusedRateLimited).Inc()
		return
	}
	e.m.rejected.WithLabelValues(r.reason).Inc()
	if to := req.To(); to != nil && !to.Params.Has("tag") {
		to.Params.Add("tag", statelessTag(req))
	}
	res := sip.NewResponseFromRequest(req, r.status, r.phrase, nil)
	if r.retryAfter != "" {
		res.AppendHeader(sip.NewHeader("Retry-After", r.retryAfter))
	}
	if err := send(res); err != nil {
		e.log.Debug("send refusal", "status", r.status, "err", err)
	}
}

// refuseInvite refuses an INVITE that reached onInvite, writing the
// response to the transport rather than through tx, so the transaction
// ends, with nothing to retransmit, when the handler returns.
func (e *Edge) refuseInvite(req *sip.Request, src netip.Addr, r refusal) {
	e.refuse(req, src, r, e.srv.WriteResponse)
}

// statelessTag is the To tag of a stateless response: the same for every
// retransmission of one request (RFC 3261 §8.2.7), with nothing stored.
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
