package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// attemptError turns a failed POST into the reason a tenant reads in the
// attempt's `error`, and the detail that goes to the server's log. The
// reason is one of a few plain phrases: the error text of net/http names
// the server's resolver (`lookup x on 10.0.0.2:53`), the addresses a name
// resolved to and the URL, which may carry the customer's token in its
// query — none of which is the tenant's to see. The detail has no URL.
func attemptError(err error) (reason string, detail error) {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return plainReason(err), err
}

// plainReason classifies err, most specific first.
func plainReason(err error) string {
	var (
		blocked   *BlockedError
		dnsErr    *net.DNSError
		verify    *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		alert     tls.AlertError
		netErr    net.Error
	)
	switch {
	case errors.As(err, &blocked):
		return "refused: the receiver's address is not allowed (" + blocked.Reason + ")"
	case errors.Is(err, ErrBlockedAddress):
		return "refused: the receiver's address is not allowed"
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return "dns lookup timed out"
		}
		if dnsErr.IsNotFound {
			return "dns lookup failed: no such host"
		}
		return "dns lookup failed"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "receiver unreachable"
	case errors.As(err, &verify), errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid):
		return "tls handshake failed: certificate not valid"
	case errors.As(err, &record), errors.As(err, &alert), strings.HasPrefix(err.Error(), "tls: "):
		return "tls handshake failed"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the receiver"
	case strings.Contains(err.Error(), "headers exceeded"):
		return "response headers too large"
	case strings.Contains(err.Error(), "malformed HTTP"):
		return "malformed HTTP response"
	}
	return "request failed"
}
