package sipedge

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// This file decides whether a new call may come in: from a trusted
// carrier, and within its number's limit of live calls.

// acquireNumber takes a per-number call slot, or reports the limit hit.
func (e *Edge) acquireNumber(n string) bool { return e.perNum.acquire(n, e.cfg.MaxCallsPerNumber) }

func (e *Edge) releaseNumber(n string) { e.perNum.release(n, e.cfg.MaxCallsPerNumber) }

// acquireTrunk takes a slot of the trunk's max_concurrent_calls on this
// node, or reports the limit hit.
func (e *Edge) acquireTrunk(tr *switchboard.Trunk) bool {
	return e.perTrunk.acquire(tr.ID, tr.MaxConcurrentCalls)
}

// releaseTrunk gives back the slot acquireTrunk took. It takes the trunk
// as acquired: a reload may have changed its limit since.
func (e *Edge) releaseTrunk(tr *switchboard.Trunk) {
	e.perTrunk.release(tr.ID, tr.MaxConcurrentCalls)
}

// trustedAddr reports whether a source address is a carrier's, for every
// organisation (--sip-trusted).
func (e *Edge) trustedAddr(a netip.Addr) bool { return containsAddr(e.cfg.Trusted, a) }

// admitsInvite reports whether a new call's INVITE from src may come in:
// from a trusted network, or from a network of one of the trunks of the
// organisation that holds the called number (DESIGN §10), which reaches
// that organisation's numbers and nobody else's.
func (e *Edge) admitsInvite(req *sip.Request, src netip.Addr) bool {
	if e.trustedAddr(src) {
		return true
	}
	if e.table == nil || !e.table.TrunkSource(src) {
		return false // most of a flood: no number to read
	}
	called, err := calledNumber(req, e.cfg.DefaultCountry)
	return err == nil && e.table.TrunkTrusts(called, src)
}

// Agent-originated calls (DESIGN §10): an agent platform (ElevenLabs,
// Vapi, Retell, LiveKit) places a call through Switchboard as its SIP
// trunk, with the digest credentials of one of our numbers. An INVITE from
// outside the trusted networks is challenged (407), statelessly: the
// nonce is a MAC of time, call and source (authserver.go), so a flood of
// unauthenticated INVITEs is answered (within each source's share of
// refusals) and forgotten. Over UDP that happens in sipgo's read filter
// (refuse.go), before any transaction exists; over TCP in onInvite,
// written straight to the transport as every refusal there is.
//
// Only an INVITE whose credentials answer a fresh nonce of ours reaches
// the lookup of its username (Config.SIPUser) and the password check. A
// source that answered one challenge rightly is remembered for a while
// (agentSourceTTL): an agent platform places many calls from one address,
// and each needs a challenge, so its challenges are not held to the share
// of refusals that keeps an unknown sender's answers to a few a second.

// Bounds of the addresses remembered as agents'.
const (
	agentSourceTTL = 10 * time.Minute
	agentSources   = 10_000
	// sipUserTimeout bounds the lookup of a username's credentials.
	sipUserTimeout = 3 * time.Second
)

// agentUser is who an agent's credentials belong to: a number of an
// organisation.
type agentUser struct {
	username, orgID, numberID string
}

// carriesCredentials reports whether req has digest credentials for our
// realm: an agent's INVITE, even from a trusted network.
func (e *Edge) carriesCredentials(req *sip.Request) bool {
	if e.auth == nil || (req.GetHeader("Proxy-Authorization") == nil && req.GetHeader("Authorization") == nil) {
		return false
	}
	_, r := e.auth.credentials(req, netip.Addr{})
	return r != authNoCredentials
}

// refuseAuth answers an agent's INVITE whose credentials were not
// accepted for r: a fresh challenge when the agent may not have had a
// nonce of ours (stale=true when its nonce expired), 400 for malformed
// credentials, 403 for a wrong password or an unknown user, 503 when the
// lookup failed, nothing to a source out of failed attempts. Every answer
// counts against src's share of refusals, but for challenges to a source
// that recently authenticated.
func (e *Edge) refuseAuth(req *sip.Request, src netip.Addr, r authReason, send func(*sip.Response) error) {
	switch {
	case r.rechallenge():
		ref := refusedChallenged
		if e.agentSources.has(src) {
			ref.limited = false
		}
		e.refuseWith(req, src, ref, func() *sip.Response {
			return e.auth.challenge(req, src, challengeProxy, r == authStale)
		}, send)
	case r == authMalformed:
		e.refuse(req, src, refusedBadCredentials, send)
	case r == authUnknownUser || r == authWrongPassword:
		e.refuse(req, src, refusedAuthFailed, send)
	case r == authLookupFailed:
		e.refuse(req, src, refusedAuthUnavailable, send)
	default: // authRateLimited: a password guesser, dropped
		e.m.rejected.WithLabelValues(refusedRateLimited).Inc()
	}
}

// authenticate checks an agent's INVITE's credentials against the stored
// ones of its username. When they are wrong it answers (refuseAuth,
// statelessly) and reports false.
func (e *Edge) authenticate(req *sip.Request, src netip.Addr) (agentUser, bool) {
	var u agentUser
	user, r := e.auth.verify(req, src, func(username string) (string, string, bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), sipUserTimeout)
		defer cancel()
		orgID, numberID, ha1MD5, ha1SHA256, err := e.cfg.SIPUser(ctx, username)
		switch {
		case errors.Is(err, switchboard.ErrNoRows):
			return "", "", false, nil
		case err != nil:
			e.log.Error("look up SIP credentials", "username", username, "err", err)
			return "", "", false, err
		}
		u.orgID, u.numberID = orgID, numberID
		return ha1MD5, ha1SHA256, true, nil
	})
	if r != authAccepted {
		e.log.Debug("agent INVITE not authenticated", "source", src.String(), "username", user, "reason", r.String())
		e.refuseAuth(req, src, r, e.srv.WriteResponse)
		return agentUser{}, false
	}
	e.agentSources.add(src)
	u.username = user
	return u, true
}
