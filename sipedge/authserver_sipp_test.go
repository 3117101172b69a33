package sipedge

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard/internal/sipptest"
)

// authUAS is a sipgo UAS that takes only calls authenticated with
// challenge and verify: a fresh challenge for a call without (valid)
// credentials, 403 for wrong ones, 200 for the right ones.
type authUAS struct {
	addr    string
	mu      sync.Mutex
	reasons []authReason
}

func startAuthUAS(t *testing.T, ip string, algorithms []string, lookup digestLookup) *authUAS {
	t.Helper()
	port := sipptest.FreePort(t, "udp", ip)
	u := &authUAS{addr: net.JoinHostPort(ip, strconv.Itoa(port))}
	a := newDigestAuth(testRealm, []byte(testSecret), time.Now)
	a.algorithms = algorithms
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("auth-uas"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		src, err := netip.ParseAddrPort(req.Source())
		if err != nil {
			t.Errorf("source %q: %v", req.Source(), err)
			return
		}
		_, r := a.verify(req, src.Addr(), lookup)
		u.mu.Lock()
		u.reasons = append(u.reasons, r)
		u.mu.Unlock()
		switch {
		case r.rechallenge():
			_ = tx.Respond(a.challenge(req, src.Addr(), challengeProxy, r == authStale))
		case r != authAccepted:
			_ = tx.Respond(statelessResponse(req, sipForbidden, "Forbidden"))
		default:
			res := sip.NewResponseFromRequest(req, 200, "OK", []byte("v=0\r\no=uas 1 1 IN IP4 "+ip+"\r\ns=-\r\nc=IN IP4 "+ip+"\r\nt=0 0\r\nm=audio 50000 RTP/AVP 0\r\n"))
			res.To().Params.Add("tag", sip.GenerateTagN(8))
			res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: ip, Port: port}})
			res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
			_ = tx.Respond(res)
		}
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	ctx, cancel := context.WithCancel(context.Background())
	go srv.ListenAndServe(ctx, "udp", u.addr)
	t.Cleanup(func() { cancel(); ua.Close() })
	return u
}

func (u *authUAS) seen() []authReason {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]authReason(nil), u.reasons...)
}

// TestDigestSIPp: SIPp answering the 407 with -au/-ap (as an agent placing
// a call would) is let in with the right password and gets 403 with a
// wrong one.
func TestDigestSIPp(t *testing.T) {
	t.Parallel()
	sipptest.Require(t)
	lookup := func(user string) (string, string, bool, error) {
		if user != "alice" {
			return "", "", false, nil
		}
		return testLookup(user)
	}
	call := func(t *testing.T, uas *authUAS, user, password string) sipptest.Result {
		return sipptest.RunUAC(t, sipptest.UACOptions{
			Scenario: "uac_call_auth", Target: uas.addr, IP: "127.0.0.60", Calls: 1,
			Vars: map[string]string{"username": user, "password": password},
			// SIPp digests the uri sip:remote_ip:remote_port unless
			// -auth_uri gives it the Request-URI (without "sip:", which
			// SIPp adds), as verify wants.
			ExtraArgs: []string{"-auth_uri", sipptest.DefaultRow[0] + "@" + uas.addr},
		})
	}
	for _, tc := range []struct {
		name, ip, user, password string
		ok                       bool
		want                     authReason
	}{
		{"right password", "127.0.0.61", "alice", "s3cret", true, authAccepted},
		{"wrong password", "127.0.0.62", "alice", "guess", false, authWrongPassword},
		{"unknown user", "127.0.0.63", "bob", "s3cret", false, authUnknownUser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			uas := startAuthUAS(t, tc.ip, defaultChallengeAlgorithms, lookup)
			carrier := call(t, uas, tc.user, tc.password)
			if tc.ok {
				carrier.ExpectCalls(t, 1, 0)
			} else {
				carrier.ExpectCalls(t, 0, 1)
				if n := len(carrier.Responses(403)); n != 1 {
					t.Errorf("%d 403s at SIPp, want 1", n)
				}
			}
			got := uas.seen()
			if len(got) < 2 || got[0] != authNoCredentials || got[len(got)-1] != tc.want {
				t.Errorf("verify results %v, want no_credentials then %v", got, tc.want)
			}
		})
	}

	// Why MD5 is offered first: SIPp 3.6.1 answers only the first header,
	// and gives up on a SHA-256 one.
	t.Run("SHA-256 first", func(t *testing.T) {
		t.Parallel()
		uas := startAuthUAS(t, "127.0.0.64", []string{"SHA-256", "MD5"}, lookup)
		r := call(t, uas, "alice", "s3cret")
		if r.Successful != 0 || !strings.Contains(r.Errors, "must use MD5") {
			t.Errorf("SIPp took a SHA-256-first challenge (exit %d, %d successful): if SIPp now supports SHA-256, revisit defaultChallengeAlgorithms\n%s", r.ExitCode, r.Successful, r.Diagnostics())
		}
	})
}
