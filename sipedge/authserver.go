package sipedge

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Agents that place calls through Switchboard (ElevenLabs, Vapi, Retell,
// LiveKit dialing a customer's trunk) authenticate with SIP digest (RFC
// 3261 §22, RFC 7616), server side here; digest.go answers the challenges
// of the agents and carriers Switchboard calls.
//
// The challenge keeps nothing: its nonce is the time it was issued and a
// MAC of that time, the Call-ID and the source address under the node's
// secret, so a flood of unauthenticated INVITEs costs one HMAC each and no
// memory, and a nonce answers only for the call and source it was issued
// to, for nonceTTL. Within those bounds a nonce may be answered again (nc
// is not tracked, which would need state): a retransmitted or re-sent
// INVITE of the same call from the same source is accepted, a captured
// answer replayed on any other call is not.
//
// github.com/icholy/digest parses the credentials (plain RFC 7616
// auth-params, the same in SIP as in HTTP). The challenge is formatted
// here: it is sent to every unauthenticated INVITE, and the library's
// generic formatter costs a dozen allocations a header where a
// precomputed prefix costs one. The library's Digest computes an answer
// from a password, which the server does not have, so the response from
// a stored HA1 is computed here too.

// Bounds of the stateless nonce and of failed attempts per source.
const (
	nonceTTL = 30 * time.Second
	// nonceSkew is how far in the future a nonce's time may be (the
	// clock stepped back since it was issued) before it counts as forged.
	nonceSkew = 2 * time.Second

	authFailureBurst   = 10     // failed attempts of one address before it is refused
	authFailureRate    = 0.2    // then this many per second
	authFailureSources = 10_000 // addresses tracked at most
)

// authReason is why verify accepted or refused credentials.
type authReason uint8

const (
	authAccepted      authReason = iota
	authNoCredentials            // no Digest credentials for our realm
	authMalformed                // unparseable, incomplete, another qop or algorithm, a uri that is not the Request-URI
	authBadNonce                 // not a nonce this node issued to this call and source
	authStale                    // our nonce for this call, expired
	authUnknownUser              // no such username
	authWrongPassword            // the response does not match the user's HA1
	authRateLimited              // the source has used up its failed attempts
	authLookupFailed             // the credentials could not be looked up (the store failed)
)

var authReasonNames = [...]string{"accepted", "no_credentials", "malformed", "bad_nonce", "stale", "unknown_user", "wrong_password", "rate_limited", "lookup_failed"}

// String is the reason as a metric label or failure reason.
func (r authReason) String() string {
	if int(r) < len(authReasonNames) {
		return authReasonNames[r]
	}
	return fmt.Sprintf("authReason(%d)", r)
}

// rechallenge reports whether the request is answered with a fresh
// challenge (stale=true for authStale): the client may not have had a
// nonce of ours yet. The other refusals are final (403; 400 for
// authMalformed), and authRateLimited ones are best dropped unanswered.
func (r authReason) rechallenge() bool {
	return r == authNoCredentials || r == authBadNonce || r == authStale
}

// digestLookup returns the HA1 hashes of username (lower-case hex, as
// switchboard.HA1MD5 and HA1SHA256 make them for the node's realm); ok is
// false when there is no such user, and err says the lookup itself failed
// (then nobody is let in, and nobody blamed). A hash may be empty when
// the credentials were stored without it: answers in that algorithm fail.
type digestLookup func(username string) (ha1MD5, ha1SHA256 string, ok bool, err error)

// digestAuth challenges and verifies SIP digest credentials for one realm.
type digestAuth struct {
	realm      string
	prefix     string   // of every challenge header: Digest realm="…", nonce="
	algorithms []string // offered in this order: defaultChallengeAlgorithms
	key        []byte   // nonce MAC key, derived from the node's secret
	now        func() time.Time
	failures   *sourceLimiter // failed attempts per source
}

// newDigestAuth authenticates in realm (the node's SIP domain, which the
// stored HA1s include) with nonces MACed under a key derived from secret.
func newDigestAuth(realm string, secret []byte, now func() time.Time) *digestAuth {
	kdf := hmac.New(sha256.New, secret)
	kdf.Write([]byte("switchboard sip digest nonce"))
	quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(realm) // RFC 3261 quoted-string
	return &digestAuth{realm: realm, prefix: digest.Prefix + `realm="` + quoted + `", nonce="`,
		algorithms: defaultChallengeAlgorithms, key: kdf.Sum(nil), now: now,
		failures: newSourceLimiter(now, authFailureRate, authFailureBurst, authFailureSources)}
}

// The challenge variants: 407 Proxy-Authenticate, as a proxy or trunk
// challenges an INVITE, or 401 WWW-Authenticate, as a registrar does.
const (
	challengeProxy = true
	challengeWWW   = false
)

// defaultChallengeAlgorithms are offered in this order, one header each.
// RFC 7616 §3.7 and RFC 8760 would put the strongest first, a client
// taking the first it supports; but some clients answer only the first
// header and give up on an algorithm they lack: SIPp 3.6.1 fails the call
// ("authentication must use MD5"; a test pins it), and so did PJSIP up to
// 2.10 (PJSIP_EINVALIDALGORITHM, pjproject#2408). MD5 first lets them in,
// and costs nothing against an attacker on the path, who could strip the
// SHA-256 header anyway since MD5 is accepted.
var defaultChallengeAlgorithms = []string{"MD5", "SHA-256"}

// challenge is the response to req asking for credentials: 407 with
// Proxy-Authenticate (proxy), else 401 with WWW-Authenticate, one header
// per algorithm. stale tells a client whose nonce expired to answer the
// new one without asking its user for the password again.
func (a *digestAuth) challenge(req *sip.Request, src netip.Addr, proxy, stale bool) *sip.Response {
	status, phrase, name := 401, "Unauthorized", "WWW-Authenticate"
	if proxy {
		status, phrase, name = 407, "Proxy Authentication Required", "Proxy-Authenticate"
	}
	res := statelessResponse(req, status, phrase)
	nonce := a.nonce(a.now(), callID(req), src)
	tail := `, qop="auth"`
	if stale {
		tail += ", stale=true"
	}
	for _, alg := range a.algorithms {
		res.AppendHeader(sip.NewHeader(name, a.prefix+nonce+`", algorithm=`+alg+tail))
	}
	return res
}

// verify checks req's digest credentials (Proxy-Authorization, else
// Authorization; credentials for other realms are ignored), returning the
// authenticated username, or why there is none. Every comparison of a
// secret-derived value is constant-time. Unknown users and wrong
// passwords count against src's failed attempts; a lookup that fails
// (authLookupFailed) does not.
func (a *digestAuth) verify(req *sip.Request, src netip.Addr, lookup digestLookup) (string, authReason) {
	cred, r := a.credentials(req, src)
	if r != authAccepted {
		return cred.Username, r
	}
	return cred.Username, a.match(req, src, cred, lookup)
}

// precheck is verify without the lookup: the stateless part, cheap enough
// for sipgo's read filter. authAccepted means req carries well-formed
// credentials for our realm, answering a fresh nonce of ours for its call
// and source, from a source with failed attempts left: only the password
// remains to be checked.
func (a *digestAuth) precheck(req *sip.Request, src netip.Addr) authReason {
	_, r := a.credentials(req, src)
	return r
}

// credentials finds req's credentials for our realm and checks all but
// the password (authAccepted when only that is left).
func (a *digestAuth) credentials(req *sip.Request, src netip.Addr) (*digest.Credentials, authReason) {
	id := callID(req)
	for _, name := range [...]string{"Proxy-Authorization", "Authorization"} {
		for _, h := range req.GetHeaders(name) {
			if cred, r := a.check(&req.Recipient, id, src, h.Value()); r != authNoCredentials {
				return cred, r
			}
		}
	}
	return &digest.Credentials{}, authNoCredentials
}

// check verifies one credentials header value of a request to ruri, all
// but the password; cred is never nil.
func (a *digestAuth) check(ruri *sip.Uri, callID string, src netip.Addr, value string) (*digest.Credentials, authReason) {
	none := &digest.Credentials{}
	if !digest.IsDigest(value) {
		return none, authNoCredentials
	}
	cred, err := digest.ParseCredentials(value)
	if err != nil {
		return none, authMalformed
	}
	if cred.Realm != a.realm {
		return none, authNoCredentials
	}
	if a.failures.exhausted(src) {
		return cred, authRateLimited
	}
	// qop=auth is what we offered; nc must then be 8LHEX, which is how the
	// response is recomputed from the parsed count.
	if cred.Username == "" || cred.Nonce == "" || cred.Response == "" || cred.Userhash ||
		cred.QOP != "auth" || cred.Cnonce == "" || cred.Nc <= 0 {
		return cred, authMalformed
	}
	switch strings.ToUpper(cred.Algorithm) {
	case "", "MD5", "SHA-256":
	default:
		return cred, authMalformed
	}
	var uri sip.Uri
	if sip.ParseUri(cred.URI, &uri) != nil || !sameURI(&uri, ruri) {
		return cred, authMalformed
	}
	return cred, a.checkNonce(cred.Nonce, callID, src)
}

// match checks the password behind cred, which check accepted, against
// the user's stored HA1.
func (a *digestAuth) match(req *sip.Request, src netip.Addr, cred *digest.Credentials, lookup digestLookup) authReason {
	newHash, useSHA256 := md5.New, false
	if strings.EqualFold(cred.Algorithm, "SHA-256") {
		newHash, useSHA256 = sha256.New, true
	}
	ha1MD5, ha1SHA256, known, err := lookup(cred.Username)
	if err != nil {
		return authLookupFailed
	}
	ha1 := ha1MD5
	if useSHA256 {
		ha1 = ha1SHA256
	}
	usable := known && ha1 != ""
	if !usable {
		// The same work as for a known user, so timing does not tell
		// which usernames exist.
		ha1 = strings.Repeat("0", 2*newHash().Size())
	}
	want := digestResponse(newHash, strings.ToLower(ha1), cred.Nonce, fmt.Sprintf("%08x", cred.Nc), cred.Cnonce, cred.QOP, string(req.Method), cred.URI)
	match := subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(cred.Response))) == 1
	switch {
	case !known:
		a.failures.allow(src)
		return authUnknownUser
	case !match || !usable:
		a.failures.allow(src)
		return authWrongPassword
	}
	return authAccepted
}

// nonce is the nonce issued at t to the call callID from src:
// base64url(t in Unix seconds, 8 bytes | HMAC-SHA256(t | src | callID)).
func (a *digestAuth) nonce(t time.Time, callID string, src netip.Addr) string {
	var buf [8 + sha256.Size]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(t.Unix()))
	a.mac(buf[8:8], buf[:8], callID, src)
	return base64.RawURLEncoding.EncodeToString(buf[:])
}

// mac appends to dst the MAC of a nonce's time stamp ts for callID and
// src. The fixed-size fields go first, so the input is unambiguous.
func (a *digestAuth) mac(dst, ts []byte, callID string, src netip.Addr) []byte {
	m := hmac.New(sha256.New, a.key)
	m.Write(ts)
	ip := src.Unmap().As16()
	m.Write(ip[:])
	m.Write([]byte(callID))
	return m.Sum(dst)
}

// checkNonce reports whether n is a nonce this node issued to callID and
// src (authBadNonce if not) and still fresh (authStale if not).
func (a *digestAuth) checkNonce(n, callID string, src netip.Addr) authReason {
	var buf [8 + sha256.Size]byte
	if base64.RawURLEncoding.DecodedLen(len(n)) != len(buf) {
		return authBadNonce
	}
	if k, err := base64.RawURLEncoding.Decode(buf[:], []byte(n)); err != nil || k != len(buf) {
		return authBadNonce
	}
	var want [sha256.Size]byte
	if !hmac.Equal(a.mac(want[:0], buf[:8], callID, src), buf[8:]) {
		return authBadNonce
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(buf[:8])), 0)
	switch age := a.now().Sub(issued); {
	case age < -nonceSkew:
		return authBadNonce
	case age > nonceTTL:
		return authStale
	}
	return authAccepted
}

// digestResponse is the qop=auth response (RFC 7616 §3.4.1) of a method
// request to uri, from the user's HA1 in hex.
func digestResponse(newHash func() hash.Hash, ha1, nonce, nc, cnonce, qop, method, uri string) string {
	return hashHex(newHash, ha1, nonce, nc, cnonce, qop, hashHex(newHash, method, uri))
}

// hashHex is the lower-case hex hash of parts joined by colons.
func hashHex(newHash func() hash.Hash, parts ...string) string {
	h := newHash()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{':'})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sameURI reports whether the digest uri u names the Request-URI r (RFC
// 3261 §19.1.4, without parameters and headers, which a client or proxy
// may add or drop): same scheme, user, host and port, a missing port
// being the scheme's default.
func sameURI(u, r *sip.Uri) bool {
	return strings.EqualFold(u.Scheme, r.Scheme) && u.User == r.User &&
		strings.EqualFold(u.Host, r.Host) && uriPort(u) == uriPort(r)
}

func uriPort(u *sip.Uri) int {
	switch {
	case u.Port != 0:
		return u.Port
	case strings.EqualFold(u.Scheme, "sips"):
		return 5061
	}
	return 5060
}

// callID is req's Call-ID, "" without one.
func callID(req *sip.Request) string {
	if id := req.CallID(); id != nil {
		return id.Value()
	}
	return ""
}
