package sipedge

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// This file holds SIP over TLS: the transport a target is dialled on, the
// TLS configurations of the listener and of dials, how a failed handshake
// is told apart from other dial failures, and the SDES rule.
//
// The dial side depends only on the target's URI (transport=tls or sips:)
// and on one tls.Config for the whole user agent: sipgo verifies the peer
// against Config.TLSRoots with the URI host as server name (SNI), so any
// leg built from a URI (an agent today, a carrier trunk later) gets TLS the
// same way.
//
// The SDES rule: SDP passes through unchanged, so SRTP keys offered with
// SDES (a=crypto: lines, RFC 4568) are in clear text in the SIP message.
// A body that carries them never crosses a leg that is not TLS on our
// side: an INVITE with such an offer over UDP or TCP is refused with 488,
// a target that is not reached over TLS is skipped (the next one is tried),
// and a re-INVITE that would carry keys over a plain leg is refused.

// targetTransport is the sipgo transport ("UDP", "TCP", "TLS") a URI is
// dialled on: sips: means TLS on every hop (RFC 3261 §19.1.2), whatever
// the transport parameter says.
func targetTransport(u switchboard.SIPURI) string {
	if u.Scheme == "sips" {
		return "TLS"
	}
	switch u.Transport() {
	case "tcp":
		return "TCP"
	case "tls":
		return "TLS"
	}
	return "UDP"
}

// secureTransport reports whether a sipgo transport encrypts signalling.
func secureTransport(transport string) bool {
	return strings.EqualFold(transport, "TLS") || strings.EqualFold(transport, "WSS")
}

var cryptoAttr = []byte("a=crypto:")

// hasSDESKeys reports whether a message body (SDP, or a multipart body
// holding SDP) carries an a=crypto: line, that is SRTP keys in clear text.
func hasSDESKeys(body []byte) bool {
	for i := 0; ; {
		j := bytes.Index(body[i:], cryptoAttr)
		if j < 0 {
			return false
		}
		at := i + j
		if at == 0 || body[at-1] == '\n' {
			return true
		}
		i = at + len(cryptoAttr)
	}
}

// tlsListenerConfig is the configuration of the TLS listener: the
// certificate comes from getCert at every handshake, so a renewed one is
// served without reopening the listener.
func tlsListenerConfig(getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	return &tls.Config{GetCertificate: getCert, MinVersion: tls.VersionTLS12}
}

// tlsDialConfig is the configuration of TLS dials: the peer's certificate
// is verified against roots (the system's when nil) and the URI host.
func tlsDialConfig(roots *x509.CertPool) *tls.Config {
	return &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
}

// tlsFailure reports whether a dial failed in the TLS handshake (an
// untrusted or expired certificate, a name that does not match, a peer
// that does not speak TLS), and says why in words for the call's timeline.
func tlsFailure(err error) (string, bool) {
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) {
		return "certificate not accepted: " + verr.Err.Error(), true
	}
	var alert tls.AlertError
	var rec tls.RecordHeaderError
	if errors.As(err, &alert) || errors.As(err, &rec) || strings.Contains(err.Error(), "TLS handshake error") {
		msg := err.Error()
		if i := strings.Index(msg, "TLS handshake error: "); i >= 0 {
			msg = msg[i+len("TLS handshake error: "):]
		}
		return "TLS handshake failed: " + msg, true
	}
	return "", false
}

// addVia is sipgo.ClientRequestAddVia with the sent-by port of the TLS
// listener on requests sent over TLS (sipgo's client knows one port, the
// UDP/TCP one). Without a TLS listener the transport puts in the port of
// the connection.
func (e *Edge) addVia(c *sipgo.Client, r *sip.Request) error {
	if err := sipgo.ClientRequestAddVia(c, r); err != nil {
		return err
	}
	if secureTransport(r.Transport()) {
		if v := r.Via(); v != nil {
			v.Port = e.tlsPort
		}
	}
	return nil
}

// listenTLS opens the TLS listener on addr.
func (e *Edge) listenTLS(addr string) error {
	if e.cfg.TLSCertificate == nil {
		return errors.New("sip tls: a TLS listen address needs a certificate")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return &ListenError{Transport: "tls", Addr: addr, Err: err}
	}
	e.tlsRaw = ln
	e.tls = tls.NewListener(ln, tlsListenerConfig(e.cfg.TLSCertificate))
	e.tlsPort = ln.Addr().(*net.TCPAddr).Port
	return nil
}

// TLSAddr returns the address of the TLS listener, or "" without one.
func (e *Edge) TLSAddr() string {
	if e.tlsRaw == nil {
		return ""
	}
	return e.tlsRaw.Addr().String()
}
