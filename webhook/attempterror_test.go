package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestAttemptError: the tenant reads a plain reason; the resolver's
// address, resolved addresses and the URL (with its token) stay in the
// detail for the log, which never carries the URL either.
func TestAttemptError(t *testing.T) {
	t.Parallel()
	dial := func(err error) error {
		return &url.Error{Op: "Post", URL: "https://hooks.example.com/in?token=s3cret",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: err}}
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"resolver failure", dial(&net.DNSError{Err: "server misbehaving", Name: "hooks.example.com", Server: "10.0.0.2:53"}), "dns lookup failed"},
		{"no such host", dial(&net.DNSError{Err: "no such host", Name: "hooks.example.com", Server: "10.0.0.2:53", IsNotFound: true}), "dns lookup failed: no such host"},
		{"resolver timeout", dial(&net.DNSError{Err: "i/o timeout", Name: "hooks.example.com", Server: "10.0.0.2:53", IsTimeout: true}), "dns lookup timed out"},
		{"refused", dial(&os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}), "connection refused"},
		{"reset", &url.Error{Op: "Post", URL: "https://h/", Err: &net.OpError{Op: "read", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}}, "connection reset"},
		{"unreachable", dial(&os.SyscallError{Syscall: "connect", Err: syscall.EHOSTUNREACH}), "receiver unreachable"},
		{"deadline", &url.Error{Op: "Post", URL: "https://h/", Err: context.DeadlineExceeded}, "timed out"},
		{"dial timeout", dial(timeoutError{}), "timed out"},
		{"blocked", dial(&BlockedError{Addr: netip.MustParseAddr("10.1.2.3"), Reason: "private (RFC 1918)"}), "refused: the receiver's address is not allowed (private (RFC 1918))"},
		{"blocked network", dial(fmt.Errorf("%w: network udp", ErrBlockedAddress)), "refused: the receiver's address is not allowed"},
		{"unknown CA", &url.Error{Op: "Post", URL: "https://h/", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}, "tls handshake failed: certificate not valid"},
		{"wrong host", &url.Error{Op: "Post", URL: "https://h/", Err: x509.HostnameError{Certificate: &x509.Certificate{}, Host: "h"}}, "tls handshake failed: certificate not valid"},
		{"not TLS", &url.Error{Op: "Post", URL: "https://h/", Err: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}}, "tls handshake failed"},
		{"alert", &url.Error{Op: "Post", URL: "https://h/", Err: fmt.Errorf("remote error: %w", tls.AlertError(40))}, "tls handshake failed"},
		{"closed", &url.Error{Op: "Post", URL: "https://h/", Err: io.EOF}, "connection closed by the receiver"},
		{"headers", &url.Error{Op: "Post", URL: "https://h/", Err: errors.New("net/http: server response headers exceeded 65536 bytes; aborted")}, "response headers too large"},
		{"other", &url.Error{Op: "Post", URL: "https://h/", Err: errors.New("something at 10.9.9.9")}, "request failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reason, detail := attemptError(tc.err)
			if reason != tc.want {
				t.Errorf("reason %q, want %q", reason, tc.want)
			}
			if strings.Contains(detail.Error(), "token=") {
				t.Errorf("the detail carries the URL: %v", detail)
			}
		})
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
