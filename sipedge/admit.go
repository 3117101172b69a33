package sipedge

import "net/netip"

// This file decides whether a new call may come in: from a trusted
// carrier, and within its number's limit of live calls.

// acquireNumber takes a per-number call slot, or reports the limit hit.
func (e *Edge) acquireNumber(n string) bool {
	if e.cfg.MaxCallsPerNumber <= 0 {
		return true
	}
	e.numMu.Lock()
	defer e.numMu.Unlock()
	if e.perNum[n] >= e.cfg.MaxCallsPerNumber {
		return false
	}
	e.perNum[n]++
	return true
}

func (e *Edge) releaseNumber(n string) {
	if e.cfg.MaxCallsPerNumber <= 0 {
		return
	}
	e.numMu.Lock()
	defer e.numMu.Unlock()
	if e.perNum[n]--; e.perNum[n] <= 0 {
		delete(e.perNum, n)
	}
}

// trustedAddr reports whether a source address is a carrier's.
func (e *Edge) trustedAddr(a netip.Addr) bool {
	for _, p := range e.cfg.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
