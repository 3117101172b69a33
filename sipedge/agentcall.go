package sipedge

import (
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// This file places the calls agents make through Switchboard as their
// SIP trunk (DESIGN §10, issue 15 §2), once admit.go has authenticated
// the agent as number N: the From (or P-Asserted-Identity) must be N, N
// must allow outbound calls, and the Request-URI user is the number
// called. The call then goes to N's trunk exactly as an inbound call goes
// to its agent: the same state machine, the agent's SDP unchanged, each
// trunk address in turn. Every refusal from here on is recorded as a
// failed outbound call of N's organisation.

// agentCall takes an authenticated agent's INVITE (u is whose credentials
// it carried). It returns once the agent has a final response.
func (e *Edge) agentCall(req *sip.Request, tx sip.ServerTransaction, u agentUser) {
	number := e.table.Number(u.numberID)
	if number != nil && number.OrganizationID != u.orgID {
		number = nil // the table is behind a change of hands: not this one's number
	}
	dest, destOut := destinationNumber(req, e.cfg.DefaultCountry)
	// c.called is the number whose per-number slot the call takes: N.
	c := e.newCall(req, tx, "")
	c.record.Direction = switchboard.DirectionOutbound
	c.record.OrganizationID = u.orgID
	c.record.PhoneNumberID = &u.numberID
	c.record.ToNumber = dest
	c.agentIsA = true
	if number != nil {
		c.called = number.E164
		c.record.FromNumber = number.E164
	}
	c.track()
	tx.OnCancel(c.onCancel)
	c.mu.Lock()
	upd := c.eventLocked(switchboard.EventCallInitiated, "agent-originated, authenticated as "+u.username, false)
	c.mu.Unlock()
	e.recorder.Save(upd)

	switch {
	case number == nil:
		c.fail(inFail, outcomeNumberInactive)
		return
	case !callerIs(req, number.E164, e.cfg.DefaultCountry):
		c.fail(inFail, outcomeCallerMismatch)
		return
	case !number.AllowOutbound:
		c.fail(inFail, outcomeOutboundDisabled)
		return
	case destOut != nil:
		c.fail(inFail, *destOut)
		return
	case c.sdes && !secureTransport(req.Transport()):
		c.fail(inFail, outcomeSDES) // tls.go
		return
	}
	e.relayToTrunk(c, number, dest)
}

// destinationNumber is the number an agent calls: the Request-URI user in
// E.164 (user parameters and visual separators dropped, a missing + or
// 00 accepted, a national number read in the default country). When it
// is none, it returns what the record keeps instead and how the call is
// refused: 404 when the user is no number at all (a name, or nothing),
// 484 when it is digits that make no valid number.
func destinationNumber(req *sip.Request, country string) (string, *outcome) {
	user := req.Recipient.User
	n, err := normalizeUser(user, country)
	if err == nil {
		// normalizeUser takes any + and digits as they come (a carrier's
		// called number is looked up, not dialled); a number the carrier
		// is to dial must be a possible one.
		n, err = switchboard.NormalizeE164(n, "")
	}
	if err == nil {
		return n, nil
	}
	bare := user
	if i := strings.IndexByte(bare, ';'); i >= 0 {
		bare = bare[:i]
	}
	bare = strings.TrimPrefix(visualSeparators.Replace(bare), "+")
	if bare != "" && strings.Trim(bare, "0123456789") == "" {
		return printableUser(user), &outcomeIncompleteNumber
	}
	return printableUser(user), &outcomeNoDestination
}

// maxCallerPrefix bounds the prefix an agent may put before the number in
// its From: a tech prefix, as a provider's trunk settings can add one
// (Vapi's techPrefix, say).
const maxCallerPrefix = 16

// callerIs reports whether the agent's INVITE says it calls from the
// E.164 number n, in its From or its P-Asserted-Identity. The user is
// compared as callerNumber reads it (user parameters and separators
// dropped, a missing + or 00 accepted, a national number read in the
// default country), or as digits that end with n's: whatever digits come
// before them are a tech prefix, which is dropped. The check is that the
// agent means the number it authenticated as; the INVITE to the trunk
// carries n, whatever the agent put in From.
func callerIs(req *sip.Request, n, country string) bool {
	match := func(user string) bool {
		if user == "" {
			return false
		}
		if got, err := normalizeUser(user, country); err == nil && got == n {
			return true
		}
		if i := strings.IndexByte(user, ';'); i >= 0 {
			user = user[:i]
		}
		digits := strings.TrimPrefix(visualSeparators.Replace(user), "+")
		want := strings.TrimPrefix(n, "+")
		return strings.Trim(digits, "0123456789") == "" && strings.HasSuffix(digits, want) &&
			len(digits)-len(want) <= maxCallerPrefix
	}
	if from := req.From(); from != nil && match(from.Address.User) {
		return true
	}
	for _, h := range req.GetHeaders("P-Asserted-Identity") {
		v := h.Value()
		if i := strings.IndexByte(v, '<'); i >= 0 {
			if j := strings.IndexByte(v[i:], '>'); j > 0 {
				v = v[i+1 : i+j]
			}
		}
		if tel, ok := strings.CutPrefix(v, "tel:"); ok { // RFC 3966: tel:+15550100002;params
			if match(tel) {
				return true
			}
			continue
		}
		var u sip.Uri
		if sip.ParseUri(v, &u) == nil && match(u.User) {
			return true
		}
	}
	return false
}

// relayToTrunk sends the agent's call to dest out through number's
// trunk: each of its addresses in turn, moving on when one is unreachable
// or answers 5xx, 408 or 480, as a call to an agent fails over.
func (e *Edge) relayToTrunk(c *call, number *switchboard.PhoneNumber, dest string) {
	_, trunk, why := e.table.Outbound(number.E164)
	if trunk == nil {
		c.event("call.target_failed", "no usable trunk: "+why, true)
		c.fail(inFail, outcomeNoTrunk)
		return
	}
	if !e.acquireNumber(number.E164) {
		c.fail(inFail, outcomeLimit)
		return
	}
	c.hasSlot = true
	if !e.acquireTrunk(trunk) {
		c.fail(inFail, outcomeTrunkLimit)
		return
	}
	c.trunkSlot = trunk
	best := outcome{}
	for _, t := range trunkTargets(trunk, dest) {
		// The agent decides how long the callee may ring (it cancels);
		// ours only bounds a call nobody ends.
		r := c.dial(t, switchboard.MaxOutboundRingTimeout*time.Second)
		r.out = carrierOutcome(r.out)
		if r.out == outcomeCanceled {
			r.out = outcomeAgentCanceled
		}
		switch {
		case r.answered:
			return
		case r.final:
			c.fail(inFail, r.out)
			return
		}
		if best.status == 0 || better(r.out.status, best.status) {
			best = r.out
		}
	}
	if best.status == 0 {
		best = outcomeNoTargets
	}
	c.fail(inFail, best)
}
