package sipedge

import (
	"net/netip"

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
