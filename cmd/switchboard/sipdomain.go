package main

import (
	"net"
)

// sipDomain is the SIP domain of the numbers' credentials: --sip-domain, or
// the host the edge advertises (that of --sip-advertise, else of the --sip
// listen address, a wildcard one advertising 127.0.0.1 as the edge does).
// It is the digest realm too, so changing it invalidates every number's
// stored hashes until they are rotated.
func (c *ServeConfig) sipDomain() string {
	if c.SIPDomain != "" {
		return c.SIPDomain
	}
	addr := c.SIPAdvertise
	if addr == "" {
		addr = c.SIPAddr
	}
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return host
}

// sipTransports are the transports the edge listens on.
func (c *ServeConfig) sipTransports() []string {
	if c.SIPTLSAddr != "" {
		return []string{"udp", "tcp", "tls"}
	}
	return []string{"udp", "tcp"}
}
