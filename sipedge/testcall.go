package sipedge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// This file places test calls (switchboard.TestCaller): a user agent of
// the node's own, a sipgo client, INVITEs the node over TCP from its own
// address with an SDP offer, as a carrier would, and follows the call to
// its end. The call is an ordinary inbound call from there on: admission,
// routing, the endpoint, failover, records and events; only its record
// says test: true.
//
// Trust. The node's own address (loopback) is usually not among the
// trusted networks (--sip-trusted), and must not become trusted for
// anyone else's INVITEs. So each test call is admitted by a one-time
// token: 128 random bits, made for that call only, kept in Edge.tests
// while the call is being placed and sent in the X-Switchboard-Test-Call
// header. onInvite admits an INVITE as a test call only when the token is
// one it is waiting for (taking it, so it admits one INVITE) and the
// INVITE comes from the node's own address; the header is stripped from
// every INVITE before anything passes it on (to an agent, or to a webhook
// endpoint as one of the carrier's X- headers). An outsider cannot know a
// token, which never leaves the process, and an INVITE with a wrong one is
// treated as any INVITE from its source: refused or challenged. Over UDP
// the read filter (screen) never looks at the header: the test user agent
// uses TCP.

// testCallHeader carries a test call's token.
const testCallHeader = "X-Switchboard-Test-Call"

// pendingTest is a test call whose INVITE the edge waits for.
type pendingTest struct {
	orgID string
	// callID receives the call's ID once its INVITE is taken.
	callID chan string
}

// takeTestCall reports whether req is the INVITE of one of our own test
// calls from src (see above), taking its token.
func (e *Edge) takeTestCall(req *sip.Request, src netip.Addr) *pendingTest {
	h := req.GetHeader(testCallHeader)
	if h == nil || !e.ownAddr(src) {
		return nil
	}
	p, ok := e.tests.LoadAndDelete(h.Value())
	if !ok {
		return nil
	}
	return p.(*pendingTest)
}

// ownAddr reports whether a is this node's: loopback, or the address the
// edge listens on.
func (e *Edge) ownAddr(a netip.Addr) bool {
	if a.IsLoopback() {
		return true
	}
	ap, err := netip.ParseAddrPort(e.tcp.Addr().String())
	return err == nil && ap.Addr().Unmap() == a
}

// testTarget is where the test user agent sends its INVITE: the edge's
// TCP listener, at 127.0.0.1 when it listens on every address (Go's
// wildcard listeners take IPv4 too, and IPv6 may be off).
func (e *Edge) testTarget() (host string, port int) {
	a := e.tcp.Addr().(*net.TCPAddr)
	host = a.IP.String()
	if a.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return host, a.Port
}

// testOffer is the test user agent's SDP offer: G.711 and telephone
// events at an address that sends no media (the test user agent sends
// none).
func testOffer(host string) []byte {
	ipv := "IP4"
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		ipv = "IP6"
	}
	return []byte("v=0\r\no=switchboard-test 1 1 IN " + ipv + " " + host + "\r\ns=switchboard test call\r\n" +
		"c=IN " + ipv + " " + host + "\r\nt=0 0\r\nm=audio 9 RTP/AVP 0 8 101\r\n" +
		"a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")
}

// TestCall implements switchboard.TestCaller: it INVITEs req.Number from
// req.From, records every response, holds an answered call for req.Hold
// (or until the node hangs up) and hangs up. It returns once the call is
// over; ctx ending cancels or hangs up the call.
func (e *Edge) TestCall(ctx context.Context, req switchboard.TestCallRequest) (*switchboard.TestCallResult, error) {
	if req.Number == nil {
		return nil, errors.New("test call: no number")
	}
	if e.drain.Load() {
		return nil, switchboard.Errorf(switchboard.ECodeUnavailable, "This node is shutting down; try again.")
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, fmt.Errorf("test call token: %w", err)
	}
	token := hex.EncodeToString(tok)
	pending := &pendingTest{orgID: req.OrganizationID, callID: make(chan string, 1)}
	e.tests.Store(token, pending)
	defer e.tests.Delete(token)

	host, port := e.testTarget()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("switchboard-test"), sipgo.WithUserAgentHostname(host))
	if err != nil {
		return nil, fmt.Errorf("test call user agent: %w", err)
	}
	defer ua.Close()
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		return nil, fmt.Errorf("test call server: %w", err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname(host))
	if err != nil {
		return nil, fmt.Errorf("test call client: %w", err)
	}
	t := &testUA{start: time.Now(), bye: make(chan struct{})}
	srv.OnBye(t.onBye)

	user := req.Number.E164
	recipient := sip.Uri{Scheme: "sip", User: user, Host: host, Port: port, UriParams: sip.NewParams()}
	recipient.UriParams.Add("transport", "tcp")
	invite := sip.NewRequest(sip.INVITE, recipient)
	invite.SetTransport("TCP")
	from := sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: req.From, Host: host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	invite.AppendHeader(&from)
	invite.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: host, Port: port}})
	invite.AppendHeader(sip.NewHeader(testCallHeader, token))
	invite.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	invite.SetBody(testOffer(host))
	dua := sipgo.DialogUA{Client: cli, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "switchboard-test", Host: host}},
		// In-dialog requests go back where the INVITE went, not to the
		// Contact the node advertises (an address it may not reach itself at).
		RewriteContact: true}

	res := &switchboard.TestCallResult{}
	defer func() {
		select {
		case id := <-pending.callID:
			res.CallID = id
		default:
		}
		res.Responses = t.responses()
	}()
	setup, cancel := context.WithTimeout(ctx, switchboard.TestCallSetupLimit)
	defer cancel()
	sess, err := dua.WriteInvite(setup, invite)
	if err != nil {
		res.Error = "sending the INVITE: " + err.Error()
		return res, nil
	}
	t.setCallID(invite.CallID().Value())
	defer sess.Close()
	err = sess.WaitAnswer(setup, sipgo.AnswerOptions{OnResponse: func(r *sip.Response) error {
		t.add(sip.INVITE, r)
		return nil
	}})
	var dr *sipgo.ErrDialogResponse
	switch {
	case errors.As(err, &dr):
		return res, nil // a final failure response: recorded
	case err != nil && setup.Err() != nil && ctx.Err() == nil:
		res.Error = "no answer within " + switchboard.TestCallSetupLimit.String() + ": cancelled"
		return res, nil
	case err != nil:
		res.Error = "waiting for the answer: " + err.Error()
		return res, nil
	}
	res.Answered = true
	if err := sess.Ack(ctx); err != nil {
		res.Error = "sending the ACK: " + err.Error()
	}
	hold := time.NewTimer(req.Hold)
	defer hold.Stop()
	select {
	case <-t.bye:
		res.HungUpBy = "node"
		return res, nil
	case <-hold.C:
	case <-ctx.Done():
	}
	res.HungUpBy = "test"
	byeCtx, cancelBye := context.WithTimeout(context.Background(), 32*sip.T1)
	defer cancelBye()
	target := sess.InviteRequest.Recipient
	if ct := sess.InviteResponse.Contact(); ct != nil {
		target = ct.Address
	}
	r, err := sess.Do(byeCtx, sip.NewRequest(sip.BYE, *target.Clone()))
	if err != nil {
		res.Error = "hanging up: " + err.Error()
		return res, nil
	}
	t.add(sip.BYE, r)
	return res, nil
}

// testUA is the state of one test call's user agent.
type testUA struct {
	start time.Time

	mu     sync.Mutex
	callID string
	got    []switchboard.SIPResponse
	bye    chan struct{} // closed by the node's BYE
	byeSet bool
}

func (t *testUA) setCallID(id string) {
	t.mu.Lock()
	t.callID = id
	t.mu.Unlock()
}

// add records a response.
func (t *testUA) add(method sip.RequestMethod, r *sip.Response) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.got = append(t.got, switchboard.SIPResponse{Method: string(method), Status: r.StatusCode, Reason: r.Reason,
		ElapsedMS: time.Since(t.start).Milliseconds()})
}

// responses returns a copy of what add recorded.
func (t *testUA) responses() []switchboard.SIPResponse {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]switchboard.SIPResponse{}, t.got...)
}

// onBye answers the node's BYE (the agent hung up) of our call; 481 to
// any other.
func (t *testUA) onBye(req *sip.Request, tx sip.ServerTransaction) {
	t.mu.Lock()
	ours := req.CallID() != nil && req.CallID().Value() == t.callID
	first := ours && !t.byeSet
	if first {
		t.byeSet = true
		close(t.bye)
	}
	t.mu.Unlock()
	status, reason := 200, "OK"
	if !ours {
		status, reason = sipCallNotExist, "Call/Transaction Does Not Exist"
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, status, reason, nil))
}

// stripHeader removes every header of req named name, in any case
// (sipgo's RemoveHeader removes the first of the exact name only).
func stripHeader(req *sip.Request, name string) {
	for {
		i := slices.IndexFunc(req.Headers(), func(h sip.Header) bool { return strings.EqualFold(h.Name(), name) })
		if i < 0 {
			return
		}
		req.RemoveHeader(req.Headers()[i].Name())
	}
}
