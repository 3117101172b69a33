package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// Limits of the delivery client. A busy receiver gets many deliveries in
// a row, so its connections are kept; receivers' answers are only logged,
// so a huge header is hostile.
const (
	idlePerReceiver = 64   // idle connections kept per receiver, at least
	idleInAll       = 1024 // and in all, at least
	idleTimeout     = 90 * time.Second
	maxHeaderBytes  = 64 << 10 // a response's status line and headers
)

// NewHTTPClient returns the client deliveries are sent with:
//
//   - its Transport is net/http's, speaking HTTP/1.1 only (see
//     newTransport), over TLS 1.2 or later for https;
//   - every connection, plain or TLS, goes through SafeDialer;
//   - no proxy, whatever HTTP_PROXY says: through a proxy the dialer would
//     only ever see the proxy's address, and the proxy would reach
//     whatever the URL names;
//   - redirects are returned, not followed: a 3xx is a failed delivery
//     (Standard Webhooks), and following one would let a receiver bounce
//     us to an address CheckURL never saw;
//   - timeout bounds the whole attempt, dial and TLS handshake included
//     (Client.Timeout); timeout <= 0 means DefaultTimeout;
//   - up to 64 idle connections per receiver are kept for 90 s, and 1,024
//     in all;
//   - a response's headers are limited to 64 KB.
func NewHTTPClient(timeout time.Duration, allowPrivate bool) *http.Client {
	return newHTTPClient(timeout, allowPrivate, idlePerReceiver)
}

// newHTTPClient is NewHTTPClient keeping up to idlePerHost idle
// connections per receiver: the worker keeps as many as it has senders, so
// that a receiver getting every delivery is never sent one on a fresh
// connection only because the pool was full.
func newHTTPClient(timeout time.Duration, allowPrivate bool, idlePerHost int) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dialer := SafeDialer(allowPrivate)
	dialer.Timeout = min(dialer.Timeout, timeout)
	return &http.Client{
		Transport: newTransport(dialer.DialContext, idlePerHost),
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// newTransport returns the transport deliveries go through, connecting
// with dial. With DialTLSContext unset, net/http makes TLS connections
// over a connection from dial too, so the SSRF guard sees every address.
//
// It speaks HTTP/1.1 only, as deliveries always have (docs/webhooks.md),
// even to receivers that offer HTTP/2. HTTP/2 would put every delivery to
// a receiver on one TCP connection: a receiver behind a layer-4 load
// balancer would get all of them on one backend, and one lost packet
// would stall them all. Small POSTs, one per connection at a time, gain
// nothing from multiplexing in return.
//
// Compression is off: net/http would otherwise add Accept-Encoding: gzip
// to every delivery and inflate answers, of which only an excerpt is kept.
func newTransport(dial func(ctx context.Context, network, addr string) (net.Conn, error), idlePerHost int) *http.Transport {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	idlePerHost = max(idlePerHost, idlePerReceiver)
	return &http.Transport{
		Proxy:       nil,
		DialContext: dial,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			NextProtos: []string{"http/1.1"},
		},
		Protocols:              &protocols,
		DisableCompression:     true,
		MaxIdleConns:           max(idleInAll, idlePerHost),
		MaxIdleConnsPerHost:    idlePerHost,
		IdleConnTimeout:        idleTimeout,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
}

// newRequest returns the POST of body to url with header, which is the
// request's own from then on.
//
// The empty Idempotency-Key is never sent: it tells net/http that the POST
// may be made once more, on a new connection, when a reused connection
// fails before any byte of an answer arrived — the receiver closed it
// (keep-alive timeout) just as the request was written. Without it
// net/http would fail the attempt for a connection the receiver had
// already dropped. The receiver may then get the delivery twice, which
// webhooks allow: receivers dedupe on webhook-id.
func newRequest(ctx context.Context, url string, body []byte, header http.Header) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	header["Idempotency-Key"] = nil
	req.Header = header
	return req, nil
}
