package sipedge

import (
	"net"
	"net/netip"

	"github.com/emiago/sipgo/sip"
)

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

// trusted reports whether a request's source address is a carrier's.
func (e *Edge) trusted(req *sip.Request) bool {
	host, _, err := net.SplitHostPort(req.Source())
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range e.cfg.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
