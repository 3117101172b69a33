package sipedge

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// TestHasSDESKeys: only an a=crypto: attribute at the start of a line
// counts as SRTP keys, in plain SDP and inside a multipart body.
func TestHasSDESKeys(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		body string
		want bool
	}{
		{"none", "", false},
		{"plain RTP", "v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", false},
		{"SDES", "v=0\r\nm=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc\r\n", true},
		{"LF only", "v=0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc\n", true},
		{"first line", "a=crypto:1 x", true},
		{"inside another value", "v=0\r\ns=a=crypto: is not here\r\nx-a=crypto:\r\n", false},
		{"multipart", "--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\na=crypto:1 x\r\n--b--\r\n", true},
		{"after a false match", "s=xa=crypto:\r\na=crypto:2 y\r\n", true},
	} {
		if got := hasSDESKeys([]byte(tt.body)); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestTargetTransport: transport=tls and sips: dial TLS; sips: wins over
// a transport parameter.
func TestTargetTransport(t *testing.T) {
	t.Parallel()
	for uri, want := range map[string]string{
		"sip:a@example.com":                "UDP",
		"sip:a@example.com;transport=tcp":  "TCP",
		"sip:a@example.com;transport=TLS":  "TLS",
		"sips:a@example.com":               "TLS",
		"sips:a@example.com;transport=tcp": "TLS",
	} {
		u, err := switchboard.ParseSIPURI(uri)
		if err != nil {
			t.Fatal(err)
		}
		if got := targetTransport(u); got != want {
			t.Errorf("%s: %s, want %s", uri, got, want)
		}
	}
}

// TestContacts: TLS legs advertise the TLS listener (sips: when their
// Request-URI is sips:), or the TCP Contact when there is no listener.
func TestContacts(t *testing.T) {
	t.Parallel()
	req := func(uri, transport string) *sip.Request {
		var u sip.Uri
		if err := sip.ParseUri(uri, &u); err != nil {
			t.Fatal(err)
		}
		r := sip.NewRequest(sip.INVITE, u)
		r.SetTransport(transport)
		return r
	}
	for _, tt := range []struct {
		tlsPort   int
		uri       string
		transport string
		want      string
	}{
		{5061, "sip:a@example.com", "UDP", "sip:10.0.0.1:5060"},
		{5061, "sip:a@example.com;transport=tcp", "TCP", "sip:10.0.0.1:5060;transport=tcp"},
		{5061, "sip:a@example.com;transport=tls", "TLS", "sip:10.0.0.1:5061;transport=tls"},
		{5061, "sips:a@example.com", "TLS", "sips:10.0.0.1:5061"},
		{0, "sip:a@example.com;transport=tls", "TLS", "sip:10.0.0.1:5060;transport=tcp"},
	} {
		e := &Edge{contacts: newContacts("10.0.0.1", 5060, tt.tlsPort)}
		if got := e.contact(req(tt.uri, tt.transport)).Address.String(); got != tt.want {
			t.Errorf("TLS port %d, %s over %s: Contact %s, want %s", tt.tlsPort, tt.uri, tt.transport, got, tt.want)
		}
	}
}

// TestTLSFailure: handshake and verification errors, as sipgo wraps them,
// are told apart from other dial failures.
func TestTLSFailure(t *testing.T) {
	t.Parallel()
	wrap := func(err error) error {
		return fmt.Errorf("client transcation failed to request connection: %w", fmt.Errorf("TLS handshake error: %w", err))
	}
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"unknown authority", wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), true},
		{"alert", wrap(tls.AlertError(40)), true},
		{"not TLS", wrap(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), true},
		{"closed", wrap(io.EOF), true},
		{"refused", errors.New("dial TCP error: connect: connection refused"), false},
	} {
		why, ok := tlsFailure(tt.err)
		if ok != tt.want || ok && why == "" {
			t.Errorf("%s: %q %v, want %v", tt.name, why, ok, tt.want)
		}
	}
}
