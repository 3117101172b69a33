package sipedge

import (
	"maps"
	"slices"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// carrierHeaders are the carrier's headers passed to the agent besides X-
// headers: who is calling and the number originally dialled.
var carrierHeaders = []string{"P-Asserted-Identity", "Diversion", "History-Info"}

// buildInvite builds the B-leg INVITE: the target's Request-URI and
// transport, the caller's SDP unchanged, the carrier's X- headers, the
// endpoint's and the target's headers, and X-Switchboard-Call-Id. For an
// API-originated call the SDP is the callee's offer (from its 200), From
// is the callee, no carrier header passes, and X-Switchboard-Direction:
// outbound and X-Switchboard-To (the callee) say who the agent talks to.
func (c *call) buildInvite(t target, callID string) *sip.Request {
	e := c.e
	if t.trunk != nil {
		req := e.trunkInvite(t, callID, c.record.FromNumber, c.record.ID, c.a.req.Body())
		if h := c.a.req.ContentType(); h != nil && len(c.a.req.Body()) > 0 {
			req.ReplaceHeader(sip.NewHeader("Content-Type", h.Value()))
		}
		return req
	}
	ruri := toSIPUri(t.uri)
	req := sip.NewRequest(sip.INVITE, ruri)
	req.SetTransport(targetTransport(t.uri))

	// The agent's caller is the person on the other leg: the carrier's
	// caller, or, for an API-originated call, the callee, so that the
	// provider's caller-ID variable (ElevenLabs' system__caller_id,
	// Retell's from_number) names whom the agent talks to.
	// A caller that is no number (anonymous) is passed on as it came.
	caller := c.record.Caller()
	if c.a.uac {
		caller = c.record.ToNumber
	}
	from := sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: caller, Host: e.host}}
	if dn := c.a.req.From().DisplayName; dn != "" {
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
	req.AppendHeader(e.contact(req))

	// The carrier's INVITE passes its headers on; an outbound call's first
	// leg is our own INVITE to the callee, whose headers are ours (the
	// trunk's credentials among them), so it passes none.
	var carrier []sip.Header
	if !c.a.uac {
		carrier = c.a.req.Headers()
		for _, name := range carrierHeaders {
			for _, h := range c.a.req.GetHeaders(name) {
				req.AppendHeader(sip.NewHeader(name, h.Value()))
			}
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
		for _, name := range slices.Sorted(maps.Keys(t.endpoint.Headers)) {
			if !isSeen(name) {
				add(name, t.endpoint.Headers[name])
			}
		}
	}
	for _, h := range carrier {
		name := h.Name()
		if len(name) >= 2 && strings.EqualFold(name[:2], "x-") && !isSeen(name) &&
			!strings.EqualFold(name, "X-Switchboard-Call-Id") {
			req.AppendHeader(sip.NewHeader(name, h.Value()))
		}
	}
	req.AppendHeader(sip.NewHeader("X-Switchboard-Call-Id", c.record.ID))
	offer := &c.a.req.MessageData
	if c.a.uac {
		// An API-originated call (originate.go): the agent learns who it
		// talks to, and gets the offer the callee's 200 carried.
		req.AppendHeader(sip.NewHeader("X-Switchboard-Direction", switchboard.DirectionOutbound))
		req.AppendHeader(sip.NewHeader("X-Switchboard-To", c.record.ToNumber))
		offer = &c.a.res.MessageData
	}
	if body := offer.Body(); len(body) > 0 {
		ct := "application/sdp"
		if h := offer.ContentType(); h != nil {
			ct = h.Value()
		}
		req.AppendHeader(sip.NewHeader("Content-Type", ct))
		req.SetBody(body)
	} else {
		req.SetBody(nil)
	}
	return req
}
