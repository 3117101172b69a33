package sipedge

import (
	"bytes"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// agentScreenEdge is screenEdge taking agents' calls in testRealm.
func agentScreenEdge(t testing.TB) *Edge {
	e := screenEdge(t, "10.0.0.0/8")
	e.auth = newDigestAuth(testRealm, []byte(testSecret), switchboard.SystemClock)
	e.agentSources = newSourceSet(switchboard.SystemClock, agentSourceTTL, agentSources)
	return e
}

// withCredentials is screenInvite(i) with a Proxy-Authorization header:
// alice's answer (password) to a challenge e issued to the call from
// 127.0.0.1, edited by edit.
func withCredentials(t *testing.T, e *Edge, i int, password string, edit func(string) string) []byte {
	t.Helper()
	inv := screenInvite(i, "")
	msg, err := sip.ParseMessage(inv)
	if err != nil {
		t.Fatal(err)
	}
	req := msg.(*sip.Request)
	res := e.auth.challenge(req, netip.MustParseAddr("127.0.0.1"), challengeProxy, false)
	h := "Proxy-Authorization: " + answer(t, res, "MD5", "alice", password, req.Recipient.String())
	if edit != nil {
		h = edit(h)
	}
	return bytes.Replace(inv, []byte("Content-Length:"), []byte(h+"\r\nContent-Length:"), 1)
}

// TestScreenAgents: with agents' calls on, the read filter challenges an
// INVITE from outside the trusted networks, refuses bad credentials, and
// lets by only an INVITE whose credentials answer a fresh nonce of ours
// (the handler checks the password). An ACK of an agent's call that ended
// recently reaches its transaction.
func TestScreenAgents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		data   func(t *testing.T, e *Edge) []byte
		answer string
		reason string
	}{
		{"no credentials", func(*testing.T, *Edge) []byte { return screenInvite(1, "") }, "SIP/2.0 407 Proxy Authentication Required", "challenged"},
		{"credentials answering our nonce (right password)", func(t *testing.T, e *Edge) []byte { return withCredentials(t, e, 1, "s3cret", nil) }, "", ""},
		{"credentials answering our nonce (wrong password: the handler tells)", func(t *testing.T, e *Edge) []byte { return withCredentials(t, e, 1, "guess", nil) }, "", ""},
		{"credentials answering the nonce of another call", func(t *testing.T, e *Edge) []byte {
			return bytes.Replace(withCredentials(t, e, 1, "s3cret", nil), []byte("Call-ID: screen-1"), []byte("Call-ID: screen-2"), 1)
		}, "SIP/2.0 407 ", "challenged"},
		{"forged nonce", func(t *testing.T, e *Edge) []byte {
			return withCredentials(t, e, 1, "s3cret", func(h string) string {
				i := strings.Index(h, `nonce="`) + len(`nonce="`) + 20 // in the MAC
				return h[:i] + string(otherB64(h[i])) + h[i+1:]
			})
		}, "SIP/2.0 407 ", "challenged"},
		{"malformed credentials", func(t *testing.T, e *Edge) []byte {
			return withCredentials(t, e, 1, "s3cret", func(h string) string { return strings.Replace(h, "qop=auth", "qop=auth-int", 1) })
		}, "SIP/2.0 400 Bad Request", "bad_credentials"},
		{"credentials for another realm", func(t *testing.T, e *Edge) []byte {
			return withCredentials(t, e, 1, "s3cret", func(h string) string { return strings.Replace(h, testRealm, "other.example", 1) })
		}, "SIP/2.0 407 ", "challenged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := agentScreenEdge(t)
			checkScreen(t, e, tt.data(t, e), tt.answer, tt.reason)
		})
	}

	t.Run("ACK of an agent's call just ended", func(t *testing.T) {
		t.Parallel()
		e := agentScreenEdge(t)
		msg, _ := sip.ParseMessage(screenInvite(3, ""))
		e.recent.add(inviteKey(msg.(*sip.Request)))
		// The ACK of a non-2xx has its INVITE's branch (RFC 3261 §17.1.1.3).
		checkScreen(t, e, screenRequest("ACK", 3, ";tag=x"), "", "")
		from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5070}
		if out, _ := e.screen(sip.TransportReadProps{Transport: "UDP", RemoteAddr: from}, screenRequest("ACK", 4, ";tag=x")); len(out) != 0 {
			t.Error("an ACK of no recent call went on to sipgo")
		}
	})
}

// TestScreenAgentSourceShare: challenges count against a source's share
// of refusals, but for a source that recently authenticated: an agent
// platform places many calls from one address.
func TestScreenAgentSourceShare(t *testing.T) {
	t.Parallel()
	e := agentScreenEdge(t)
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	props := sip.TransportReadProps{Transport: "UDP", RemoteAddr: peer.LocalAddr()}
	challenges := func(n int) int {
		t.Helper()
		for i := range n {
			if out, _ := e.screen(props, screenInvite(100+i, "")); len(out) != 0 {
				t.Fatal("an INVITE without credentials went on to sipgo")
			}
		}
		got := 0
		buf := make([]byte, 2048)
		for {
			peer.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			n, err := peer.Read(buf)
			if err != nil {
				return got
			}
			if strings.HasPrefix(string(buf[:n]), "SIP/2.0 407 ") {
				got++
			}
		}
	}
	if got := challenges(3 * refusalBurst); got < refusalBurst || got > refusalBurst+2 {
		t.Errorf("an unknown source got %d challenges of %d INVITEs, want its share, %d", got, 3*refusalBurst, refusalBurst)
	}
	e.agentSources.add(netip.MustParseAddr("127.0.0.1"))
	if got := challenges(3 * refusalBurst); got != 3*refusalBurst {
		t.Errorf("an agent's source got %d challenges of %d INVITEs, want all", got, 3*refusalBurst)
	}
}
