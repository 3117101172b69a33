package sipedge

import (
	"bytes"
	"net"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// This file refuses, in the read filter (screen), a carrier's INVITE that
// the routing table refuses without any I/O: a number no organisation
// holds or takes inbound calls on (404), one whose endpoints are inactive
// (480), one at its live-call limit (503). RFC 3261 §8.2.7 lets a UAS
// answer statelessly; the call is recorded as onInvite would record it,
// but no server transaction is made: a retransmission of the INVITE is
// answered again (the To tag is statelessTag's, the same every time) and
// not recorded twice; its ACK finds no call and is dropped (onAck). An
// INVITE that routes is let by unparsed: the Request-URI user is read from
// the request line.

var sipScheme = []byte(" sip:")

// requestUser is the user part of a request's Request-URI, read from its
// first line, when it is a plain sip: URI with a user and nothing escaped.
func requestUser(data []byte) (string, bool) {
	line, _, _ := bytes.Cut(data, []byte("\r\n"))
	_, uri, ok := bytes.Cut(line, sipScheme)
	if !ok {
		return "", false
	}
	user, _, ok := bytes.Cut(uri, []byte("@"))
	if !ok || len(user) == 0 || bytes.IndexByte(user, '%') >= 0 || bytes.IndexByte(user, ' ') >= 0 {
		return "", false
	}
	return string(user), true
}

// containsFold reports whether data holds s, in any case (header names
// are case-insensitive).
func containsFold(data []byte, s string) bool {
	b := []byte(s)
	for i := 0; i+len(b) <= len(data); i++ {
		if bytes.EqualFold(data[i:i+len(b)], b) {
			return true
		}
	}
	return false
}

// screenRoute refuses a trusted source's INVITE (data, from from) that
// the routing table refuses, and reports whether it did; an INVITE it
// does not refuse goes on to onInvite unparsed. What onInvite treats
// apart is let by too: test calls, agents' calls (credentials), a second
// INVITE of a live call.
func (e *Edge) screenRoute(data []byte, from *net.UDPAddr) bool {
	if e.table == nil {
		return false
	}
	user, ok := requestUser(data)
	if !ok {
		return false
	}
	called, numErr := normalizeUser(user, e.cfg.DefaultCountry)
	number, d := (*switchboard.PhoneNumber)(nil), unheld
	if numErr == nil {
		number, d = e.table.Route(called)
	}
	limited := false
	if d.Reject == nil {
		max := e.cfg.MaxCallsPerNumber
		if max <= 0 || e.perNum.live(called) < max {
			return false // routed: onInvite takes it
		}
		limited = true // onInvite's acquireNumber would refuse it now
	}
	if containsFold(data, testCallHeader) || (e.auth != nil && containsFold(data, "authorization:")) {
		return false
	}
	msg, err := e.parser.ParseSIP(data)
	if err != nil {
		return false // sipgo logs what it cannot parse, and drops it
	}
	req, ok := msg.(*sip.Request)
	if !ok || req.CallID() == nil || req.From() == nil || req.To() == nil || req.CSeq() == nil || req.Via() == nil || inDialog(req) {
		return false
	}
	if c, err := calledNumber(req, e.cfg.DefaultCountry); c != called || (err == nil) != (numErr == nil) {
		return false // the parser reads the Request-URI otherwise
	}
	if _, dup := e.byA.Load(req.CallID().Value()); dup {
		return false // a loop (482): onInvite's
	}
	req.SetTransport("UDP")
	req.SetSource(from.String())
	send := e.sendTo(from)
	if e.recent.has(inviteKey(req)) {
		// A retransmission: answered again, recorded once.
		o := routeRefusal(d, limited, hasSDESKeys(req.Body()))
		res := statelessResponse(req, o.status, "")
		if o.retryLater() {
			res.AppendHeader(sip.NewHeader("Retry-After", retryAfterDraining))
		}
		e.answerStateless(res, send)
		return true
	}
	c := e.newCall(req, statelessTx{send: send}, called)
	c.a.req.To().Params.Add("tag", statelessTag(req))
	c.track()
	e.recorder.Save(c.routed(number, d))
	c.fail(inFail, routeRefusal(d, limited, c.sdes))
	return true
}

// routeRefusal is the outcome of a call the routing table refuses, as
// onInvite decides it: the decision's rejection, or (limited) the
// per-number limit, which an offer with SRTP keys over UDP meets second.
func routeRefusal(d switchboard.Decision, limited, sdes bool) outcome {
	switch {
	case d.Reject != nil:
		return rejectOutcome(d)
	case sdes:
		return outcomeSDES
	case limited:
		return outcomeLimit
	}
	return outcomeNoTargets
}

// statelessTx stands for the server transaction of a request answered
// statelessly: a response goes straight to the transport, and nothing is
// kept.
type statelessTx struct {
	send func(*sip.Response) error
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (t statelessTx) Respond(res *sip.Response) error  { return t.send(res) }
func (statelessTx) Terminate()                         {}
func (statelessTx) OnTerminate(sip.FnTxTerminate) bool { return false }
func (statelessTx) Done() <-chan struct{}              { return closedChan }
func (statelessTx) Err() error                         { return nil }
func (statelessTx) Acks() <-chan *sip.Request          { return nil }
func (statelessTx) OnCancel(sip.FnTxCancel) bool       { return false }
