package sipedge

import (
	"cmp"
	"crypto/md5"
	"crypto/sha256"
	"hash"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/switchboard-voice/switchboard"
)

const (
	testRealm  = "sip.switchboard.test"
	testRURI   = "sip:+15550100001@sip.switchboard.test"
	testCallID = "call-1@agent.example"
	testSecret = "node secret"
)

var testSource = netip.MustParseAddr("192.0.2.7")

// testUsers are the credentials the lookup knows: alice with both hashes,
// carol with the MD5 one only.
func testLookup(user string) (string, string, bool, error) {
	switch user {
	case "alice":
		return switchboard.HA1MD5("alice", testRealm, "s3cret"), switchboard.HA1SHA256("alice", testRealm, "s3cret"), true, nil
	case "carol":
		return switchboard.HA1MD5("carol", testRealm, "pa55"), "", true, nil
	}
	return "", "", false, nil
}

// agentInvite is an agent's INVITE of call callID with the given extra
// header lines (credentials).
func agentInvite(tb testing.TB, callID string, extra ...string) *sip.Request {
	tb.Helper()
	req, err := parseAgentInvite(callID, extra...)
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

func parseAgentInvite(callID string, extra ...string) (*sip.Request, error) {
	lines := []string{
		"INVITE " + testRURI + " SIP/2.0",
		"Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-agent-1",
		"From: <sip:+15550100002@sip.switchboard.test>;tag=a1",
		"To: <" + testRURI + ">",
		"Call-ID: " + callID,
		"CSeq: 2 INVITE",
		"Max-Forwards: 70",
	}
	lines = append(lines, extra...)
	lines = append(lines, "Content-Length: 0", "", "")
	msg, err := sip.ParseMessage([]byte(strings.Join(lines, "\r\n")))
	if err != nil {
		return nil, err
	}
	return msg.(*sip.Request), nil
}

// answer is what a client (icholy/digest, as sipedge's own digest.go
// uses it) sends for the challenge of res in algorithm alg.
func answer(tb testing.TB, res *sip.Response, alg, user, password, uri string) string {
	tb.Helper()
	name := "WWW-Authenticate"
	if res.StatusCode == 407 {
		name = "Proxy-Authenticate"
	}
	for _, h := range res.GetHeaders(name) {
		chal, err := digest.ParseChallenge(h.Value())
		if err != nil {
			tb.Fatal(err)
		}
		if chal.Algorithm != alg {
			continue
		}
		cred, err := digest.Digest(chal, digest.Options{Method: "INVITE", URI: uri, Username: user, Password: password, Count: 1})
		if err != nil {
			tb.Fatal(err)
		}
		return cred.String()
	}
	tb.Fatalf("no %s challenge in %s", alg, res)
	return ""
}

func newTestAuth(c *fakeClock) *digestAuth {
	return newDigestAuth(testRealm, []byte(testSecret), c.now)
}

func TestDigestChallenge(t *testing.T) {
	t.Parallel()
	c := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	a := newTestAuth(c)
	for _, tc := range []struct {
		proxy, stale bool
		status       int
		header       string
	}{
		{challengeProxy, false, 407, "Proxy-Authenticate"},
		{challengeWWW, false, 401, "WWW-Authenticate"},
		{challengeProxy, true, 407, "Proxy-Authenticate"},
	} {
		res := a.challenge(agentInvite(t, testCallID), testSource, tc.proxy, tc.stale)
		if res.StatusCode != tc.status {
			t.Errorf("status %d, want %d", res.StatusCode, tc.status)
		}
		if tag, _ := res.To().Params.Get("tag"); tag == "" {
			t.Error("challenge without a To tag")
		}
		hs := res.GetHeaders(tc.header)
		if len(hs) != 2 {
			t.Fatalf("%d %s headers, want 2", len(hs), tc.header)
		}
		for i, alg := range []string{"MD5", "SHA-256"} {
			chal, err := digest.ParseChallenge(hs[i].Value())
			if err != nil {
				t.Fatal(err)
			}
			if chal.Algorithm != alg || chal.Realm != testRealm || !chal.SupportsQOP("auth") || len(chal.QOP) != 1 || chal.Stale != tc.stale {
				t.Errorf("header %d: %s", i, hs[i].Value())
			}
			if a.checkNonce(chal.Nonce, testCallID, testSource) != authAccepted {
				t.Errorf("header %d: our own nonce does not check", i)
			}
			want := `Digest realm="` + testRealm + `", nonce="` + chal.Nonce + `", algorithm=` + alg + `, qop="auth"`
			if tc.stale {
				want += ", stale=true"
			}
			if hs[i].Value() != want {
				t.Errorf("header %d:\n%s, want\n%s", i, hs[i].Value(), want)
			}
		}
	}
}

func TestDigestVerify(t *testing.T) {
	t.Parallel()
	start := time.Unix(1_800_000_000, 0)
	other := netip.MustParseAddr("198.51.100.9")
	// nonceEdit changes the nonce of a header made by answer.
	nonceEdit := func(edit func(n []byte)) func(string) string {
		return func(h string) string {
			cred, _ := digest.ParseCredentials(strings.TrimPrefix(h, "Proxy-Authorization: "))
			n := []byte(cred.Nonce)
			edit(n)
			cred.Nonce = string(n)
			return "Proxy-Authorization: " + cred.String()
		}
	}
	replace := func(old, new string) func(string) string {
		return func(h string) string { return strings.Replace(h, old, new, 1) }
	}
	// Each case gets a fresh node, which challenges testCallID from
	// testSource; the answer is the client's for alg, user, password and
	// uri (testRURI if empty), put in Proxy-Authorization, then edited,
	// and verified on callID (testCallID if empty) from src (testSource if
	// invalid) wait after the challenge.
	for _, tc := range []struct {
		name                     string
		alg, user, password, uri string
		edit                     func(header string) string
		callID                   string
		src                      netip.Addr
		wait                     time.Duration
		wantUser                 string
		want                     authReason
	}{
		{name: "MD5", alg: "MD5", user: "alice", password: "s3cret", wantUser: "alice", want: authAccepted},
		{name: "SHA-256", alg: "SHA-256", user: "alice", password: "s3cret", wantUser: "alice", want: authAccepted},
		{name: "Authorization header (answer to a 401)", alg: "MD5", user: "alice", password: "s3cret",
			edit: replace("Proxy-Authorization", "Authorization"), wantUser: "alice", want: authAccepted},
		{name: "uri with parameters and the default port", alg: "MD5", user: "alice", password: "s3cret",
			uri: "sip:+15550100001@SIP.switchboard.test:5060;transport=udp", wantUser: "alice", want: authAccepted},
		{name: "29 s after the challenge", alg: "SHA-256", user: "alice", password: "s3cret", wait: 29 * time.Second, wantUser: "alice", want: authAccepted},
		{name: "wrong password", alg: "MD5", user: "alice", password: "guess", wantUser: "alice", want: authWrongPassword},
		{name: "wrong password SHA-256", alg: "SHA-256", user: "alice", password: "guess", wantUser: "alice", want: authWrongPassword},
		{name: "unknown user", alg: "MD5", user: "mallory", password: "s3cret", wantUser: "mallory", want: authUnknownUser},
		{name: "no SHA-256 hash stored: MD5 works", alg: "MD5", user: "carol", password: "pa55", wantUser: "carol", want: authAccepted},
		{name: "no SHA-256 hash stored: SHA-256 refused", alg: "SHA-256", user: "carol", password: "pa55", wantUser: "carol", want: authWrongPassword},
		{name: "no SHA-256 hash stored: an answer from an all-zero HA1 refused", alg: "SHA-256", user: "carol", password: "pa55",
			edit: func(h string) string {
				cred, _ := digest.ParseCredentials(strings.TrimPrefix(h, "Proxy-Authorization: "))
				cred.Response = digestResponse(sha256.New, strings.Repeat("0", 64), cred.Nonce, "00000001", cred.Cnonce, "auth", "INVITE", testRURI)
				return "Proxy-Authorization: " + cred.String()
			}, wantUser: "carol", want: authWrongPassword},
		{name: "tampered nonce", alg: "MD5", user: "alice", password: "s3cret",
			edit: nonceEdit(func(n []byte) { n[40] = otherB64(n[40]) }), wantUser: "alice", want: authBadNonce},
		{name: "nonce with a moved time stamp", alg: "MD5", user: "alice", password: "s3cret",
			edit: nonceEdit(func(n []byte) { n[9] = otherB64(n[9]) }), wantUser: "alice", want: authBadNonce},
		{name: "nonce that is not base64url", alg: "MD5", user: "alice", password: "s3cret",
			edit: nonceEdit(func(n []byte) { clear(n[len(n)-4:]) }), wantUser: "alice", want: authBadNonce},
		{name: "nonce of another call", alg: "MD5", user: "alice", password: "s3cret", callID: "call-2@agent.example", wantUser: "alice", want: authBadNonce},
		{name: "nonce of another source", alg: "MD5", user: "alice", password: "s3cret", src: other, wantUser: "alice", want: authBadNonce},
		{name: "expired nonce: stale", alg: "SHA-256", user: "alice", password: "s3cret", wait: nonceTTL + 2*time.Second, wantUser: "alice", want: authStale},
		{name: "expired nonce, wrong password: stale", alg: "SHA-256", user: "alice", password: "guess", wait: nonceTTL + 2*time.Second, wantUser: "alice", want: authStale},
		{name: "nonce from the future", alg: "MD5", user: "alice", password: "s3cret", wait: -time.Minute, wantUser: "alice", want: authBadNonce},
		{name: "uri is not the Request-URI", alg: "MD5", user: "alice", password: "s3cret", uri: "sip:+15550100009@sip.switchboard.test", wantUser: "alice", want: authMalformed},
		{name: "uri without the user (SIPp without -auth_uri)", alg: "MD5", user: "alice", password: "s3cret", uri: "sip:sip.switchboard.test:5060", wantUser: "alice", want: authMalformed},
		{name: "no credentials", edit: func(string) string { return "X-Nothing: here" }, want: authNoCredentials},
		{name: "Basic credentials", edit: func(string) string { return "Authorization: Basic YWxpY2U6czNjcmV0" }, want: authNoCredentials},
		{name: "credentials for another realm", alg: "MD5", user: "alice", password: "s3cret",
			edit: replace(testRealm, "other.example"), want: authNoCredentials},
		{name: "another realm's credentials next to ours", alg: "MD5", user: "alice", password: "s3cret",
			edit: func(h string) string { return strings.Replace(h, testRealm, "other.example", 1) + "\r\n" + h }, wantUser: "alice", want: authAccepted},
		{name: "no qop", alg: "MD5", user: "alice", password: "s3cret",
			edit: func(h string) string {
				cred, _ := digest.ParseCredentials(strings.TrimPrefix(h, "Proxy-Authorization: "))
				cred.QOP = ""
				return "Proxy-Authorization: " + cred.String()
			}, wantUser: "alice", want: authMalformed},
		{name: "qop auth-int", alg: "MD5", user: "alice", password: "s3cret", edit: replace("qop=auth", "qop=auth-int"), wantUser: "alice", want: authMalformed},
		{name: "unsupported algorithm", alg: "MD5", user: "alice", password: "s3cret", edit: replace("algorithm=MD5", "algorithm=SHA-512-256"), wantUser: "alice", want: authMalformed},
		{name: "userhash", alg: "MD5", user: "alice", password: "s3cret", edit: replace("algorithm=MD5", "algorithm=MD5, userhash=true"), wantUser: "alice", want: authMalformed},
		{name: "bad nc", alg: "MD5", user: "alice", password: "s3cret", edit: replace("nc=00000001", "nc=zz"), want: authMalformed},
		{name: "unterminated quote", edit: func(string) string {
			return `Proxy-Authorization: Digest username="alice, realm="` + testRealm
		}, want: authMalformed},
		{name: "no response", edit: func(string) string {
			return `Proxy-Authorization: Digest username="alice", realm="` + testRealm + `", nonce="x", uri="` + testRURI + `"`
		}, wantUser: "alice", want: authMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &fakeClock{t: start}
			a := newTestAuth(c)
			res := a.challenge(agentInvite(t, testCallID), testSource, challengeProxy, false)
			var h string
			if tc.alg != "" {
				h = "Proxy-Authorization: " + answer(t, res, tc.alg, tc.user, tc.password, cmp.Or(tc.uri, testRURI))
			}
			if tc.edit != nil {
				h = tc.edit(h)
			}
			src := tc.src
			if !src.IsValid() {
				src = testSource
			}
			c.add(tc.wait)
			user, got := a.verify(agentInvite(t, cmp.Or(tc.callID, testCallID), strings.Split(h, "\r\n")...), src, testLookup)
			if got != tc.want || user != tc.wantUser {
				t.Errorf("verify = %q, %v; want %q, %v", user, got, tc.wantUser, tc.want)
			}
			if got.rechallenge() != (tc.want == authNoCredentials || tc.want == authBadNonce || tc.want == authStale) {
				t.Errorf("%v.rechallenge() = %t", got, got.rechallenge())
			}
		})
	}
}

// otherB64 is a base64url character other than c.
func otherB64(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}

// TestDigestReplay: an accepted answer is good again for its own call
// (a retransmission), and for no other call, however fresh.
func TestDigestReplay(t *testing.T) {
	t.Parallel()
	c := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	a := newTestAuth(c)
	h := "Proxy-Authorization: " + answer(t, a.challenge(agentInvite(t, testCallID), testSource, challengeProxy, false), "SHA-256", "alice", "s3cret", testRURI)
	for i, tc := range []struct {
		callID string
		want   authReason
	}{{testCallID, authAccepted}, {testCallID, authAccepted}, {"call-2@agent.example", authBadNonce}, {"call-3@agent.example", authBadNonce}} {
		if _, got := a.verify(agentInvite(t, tc.callID, h), testSource, testLookup); got != tc.want {
			t.Errorf("attempt %d on %s: %v, want %v", i, tc.callID, got, tc.want)
		}
	}
}

// TestDigestFailureLimit: a source that used up its failed attempts is
// refused even with the right password, and other sources are not; it
// gets attempts back with time.
func TestDigestFailureLimit(t *testing.T) {
	t.Parallel()
	c := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	a := newTestAuth(c)
	try := func(src netip.Addr, password string) authReason {
		t.Helper()
		res := a.challenge(agentInvite(t, testCallID), src, challengeProxy, false)
		_, r := a.verify(agentInvite(t, testCallID, "Proxy-Authorization: "+answer(t, res, "MD5", "alice", password, testRURI)), src, testLookup)
		return r
	}
	for i := range authFailureBurst {
		if r := try(testSource, "guess"); r != authWrongPassword {
			t.Fatalf("failure %d: %v, want wrong_password", i+1, r)
		}
	}
	if r := try(testSource, "s3cret"); r != authRateLimited {
		t.Fatalf("right password after %d failures: %v, want rate_limited", authFailureBurst, r)
	}
	if r := try(netip.MustParseAddr("198.51.100.9"), "s3cret"); r != authAccepted {
		t.Fatalf("another source: %v, want accepted", r)
	}
	if r := try(testSource, "guess"); r != authRateLimited {
		t.Fatalf("wrong password while limited: %v, want rate_limited", r)
	}
	c.add(time.Duration(float64(time.Second) / authFailureRate))
	if r := try(testSource, "s3cret"); r != authAccepted {
		t.Fatalf("right password once a token is back: %v, want accepted", r)
	}
}

// TestDigestResponseVectors checks the response computed from an HA1
// against the examples of RFC 2617 §3.5 and RFC 7616 §3.9.1.
func TestDigestResponseVectors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		newHash func() hash.Hash
		ha1     string
		nonce   string
		cnonce  string
		want    string
	}{
		{"RFC 2617", md5.New, switchboard.HA1MD5("Mufasa", "testrealm@host.com", "Circle Of Life"),
			"dcd98b7102dd2f0e8b11d0f600bfb0c093", "0a4f113b", "6629fae49393a05397450978507c4ef1"},
		{"RFC 7616 MD5", md5.New, switchboard.HA1MD5("Mufasa", "http-auth@example.org", "Circle of Life"),
			"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "8ca523f5e9506fed4657c9700eebdbec"},
		{"RFC 7616 SHA-256", sha256.New, switchboard.HA1SHA256("Mufasa", "http-auth@example.org", "Circle of Life"),
			"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	} {
		if got := digestResponse(tc.newHash, tc.ha1, tc.nonce, "00000001", tc.cnonce, "auth", "GET", "/dir/index.html"); got != tc.want {
			t.Errorf("%s: response %s, want %s", tc.name, got, tc.want)
		}
	}
}

// FuzzDigestVerify: whatever the credentials header, verify neither
// panics nor accepts anyone without the password.
func FuzzDigestVerify(f *testing.F) {
	c := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	a := newTestAuth(c)
	res := a.challenge(agentInvite(f, testCallID), testSource, challengeProxy, false)
	for _, alg := range []string{"MD5", "SHA-256"} {
		h := answer(f, res, alg, "alice", "s3cret", testRURI)
		f.Add(h)
		f.Add(strings.Replace(h, "s3cret", "x", 1))
		f.Add(h[:len(h)/2])
	}
	f.Add(`Digest username="alice", realm="` + testRealm + `", nonce="", uri="sip:x", response="", qop=auth, nc=1, cnonce="c"`)
	f.Add("Digest ")
	f.Add(`Digest a=b,,c="d\"e",f`)
	// Every user's password differs from the fuzzer's guesses: an
	// accepted answer would be a forged one.
	lookup := func(user string) (string, string, bool, error) {
		return switchboard.HA1MD5(user, testRealm, "unguessable"), switchboard.HA1SHA256(user, testRealm, "unguessable"), user != "", nil
	}
	f.Fuzz(func(t *testing.T, header string) {
		req, err := parseAgentInvite(testCallID, "Proxy-Authorization: "+header)
		if err != nil {
			return // not a SIP message: the transport refuses it before us
		}
		a := newTestAuth(c) // fresh failure counts
		user, r := a.verify(req, testSource, lookup)
		if r == authAccepted {
			t.Fatalf("accepted %q for %q", user, header)
		}
		_ = r.String()
	})
}

// BenchmarkDigestChallenge is what an unauthenticated INVITE costs (a
// flood's price per datagram, beyond parsing). Compare allocs/op only.
func BenchmarkDigestChallenge(b *testing.B) {
	c := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	a := newTestAuth(c)
	req := agentInvite(b, testCallID)
	b.ReportAllocs()
	for b.Loop() {
		a.challenge(req, testSource, challengeProxy, false)
	}
}

// BenchmarkDigestVerify is what an authenticated INVITE costs, lookup
// aside. Compare allocs/op only.
func BenchmarkDigestVerify(b *testing.B) {
	c := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	a := newTestAuth(c)
	res := a.challenge(agentInvite(b, testCallID), testSource, challengeProxy, false)
	req := agentInvite(b, testCallID, "Proxy-Authorization: "+answer(b, res, "SHA-256", "alice", "s3cret", testRURI))
	ha1MD5, ha1SHA, _, _ := testLookup("alice")
	lookup := func(string) (string, string, bool, error) { return ha1MD5, ha1SHA, true, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, r := a.verify(req, testSource, lookup); r != authAccepted {
			b.Fatal(r)
		}
	}
}
