package sipedge

import (
	"maps"
	"net"
	"slices"
	"strconv"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// This file sends calls to a carrier through an organisation's trunk
// (DESIGN §10): the Request-URI and From as the trunk wants its numbers,
// its static headers, one target per address for failover.

// trunkTargets returns where a call to the E.164 number to goes through
// tr: its address, then each failover address, in order. The Request-URI
// is sip:<tech prefix><number as the trunk formats it>@<address>, with
// the trunk's transport (transport=tls rather than a sips: URI: a sips:
// URI would ask for TLS on every hop past the carrier too, which a
// carrier's trunk does not promise).
func trunkTargets(tr *switchboard.Trunk, to string) []target {
	user := tr.TechPrefix + switchboard.FormatTrunkNumber(tr, to)
	out := make([]target, 0, 1+len(tr.FailoverAddresses))
	for _, addr := range append([]string{tr.Address}, tr.FailoverAddresses...) {
		u := switchboard.SIPURI{Scheme: "sip", User: user, Host: addr}
		if host, port, err := net.SplitHostPort(addr); err == nil {
			u.Host = host
			if p, err := strconv.Atoi(port); err == nil {
				u.Port = p
			}
			if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
				u.Host = "[" + host + "]"
			}
		}
		if tr.Transport == switchboard.TransportTCP || tr.Transport == switchboard.TransportTLS {
			u.Params = []switchboard.SIPParam{{Name: "transport", Value: tr.Transport}}
		}
		out = append(out, target{uri: u, trunk: tr})
	}
	return out
}

// trunkInvite builds the INVITE of a call from the E.164 number from
// through the trunk target t: From the number as the trunk formats it,
// P-Asserted-Identity the number in E.164 (the identity carriers check
// against the numbers the customer holds), the trunk's static headers,
// X-Switchboard-Call-Id (recordID, for the carrier's logs) and body, an
// SDP offer or, for a call placed callee first, none.
func (e *Edge) trunkInvite(t target, callID, from, recordID string, body []byte) *sip.Request {
	tr := t.trunk
	ruri := toSIPUri(t.uri)
	req := sip.NewRequest(sip.INVITE, ruri)
	req.SetTransport(targetTransport(t.uri))

	fromHdr := sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: switchboard.FormatTrunkNumber(tr, from), Host: e.host}}
	fromHdr.Params = sip.NewParams()
	fromHdr.Params.Add("tag", sip.GenerateTagN(16))
	to := sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: ruri.User, Host: ruri.Host, Port: ruri.Port}}
	cid := sip.CallIDHeader(callID)
	req.AppendHeader(&fromHdr)
	req.AppendHeader(&to)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(e.contact(req))
	req.AppendHeader(sip.NewHeader("P-Asserted-Identity", "<sip:"+from+"@"+e.host+">"))
	for _, name := range slices.Sorted(maps.Keys(tr.Headers)) {
		req.AppendHeader(sip.NewHeader(name, tr.Headers[name]))
	}
	req.AppendHeader(sip.NewHeader("X-Switchboard-Call-Id", recordID))
	if len(body) > 0 {
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(body)
	} else {
		req.SetBody(nil)
	}
	return req
}
