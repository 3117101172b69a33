package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies are the networks of the reverse proxies in front of the
// node (serve --trusted-proxies). Only a request whose connection comes
// from one of them has its X-Forwarded-For and X-Forwarded-Proto believed;
// anyone else could write those headers to pose as another client or as
// HTTPS. The zero value trusts nobody.
type TrustedProxies []netip.Prefix

// trusts reports whether a is a trusted proxy.
func (p TrustedProxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, pfx := range p {
		if pfx.Contains(a) {
			return true
		}
	}
	return false
}

// origin is what Wrap resolved of a request: its client and whether that
// client spoke HTTPS.
type origin struct {
	client netip.Addr
	https  bool
}

type ctxOriginKey struct{}

// Wrap returns h with each request's origin resolved once, for ClientAddr
// and RequestIsHTTPS: serve wraps its whole listener (API, dashboard,
// metrics) with it. Trusting nobody (the default), it returns h as it is:
// ClientAddr and RequestIsHTTPS then read the connection itself, which is
// all resolve would find, without a copy of every request.
func (p TrustedProxies) Wrap(h http.Handler) http.Handler {
	if len(p) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := p.resolve(r)
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxOriginKey{}, o)))
	})
}

// resolve finds the request's origin. From a trusted peer, the client is
// the rightmost X-Forwarded-For address that is not itself a trusted
// proxy (each proxy appends the address it received from, so entries
// left of an untrusted one are the client's to invent), and the scheme is
// X-Forwarded-Proto's first value, the one the proxy facing the client
// saw. From any other peer both headers are ignored.
func (p TrustedProxies) resolve(r *http.Request) origin {
	o := origin{client: peerAddr(r), https: r.TLS != nil}
	if len(p) == 0 || !o.client.IsValid() || !p.trusts(o.client) {
		return o
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" && len(hops) == 1 {
			break // no header
		}
		a, err := netip.ParseAddr(hop)
		if err != nil {
			break // garbage: keep the last proxy that wrote a real address
		}
		o.client = a.Unmap()
		if !p.trusts(a) {
			break
		}
	}
	if proto := r.Header.Get("X-Forwarded-Proto"); proto != "" {
		first, _, _ := strings.Cut(proto, ",")
		o.https = strings.EqualFold(strings.TrimSpace(first), "https")
	}
	return o
}

// peerAddr is the address of the connection's other end, or the zero
// Addr when RemoteAddr is not an IP address and port.
func peerAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// ClientAddr is the address of the client that made the request: the
// one a trusted proxy forwarded for (TrustedProxies.Wrap), else the
// connection's peer. Use it for per-client rate limits and logs. It is
// the zero Addr when neither is an IP address.
func ClientAddr(r *http.Request) netip.Addr {
	if o, ok := r.Context().Value(ctxOriginKey{}).(origin); ok {
		return o.client
	}
	return peerAddr(r)
}

// RequestIsHTTPS reports whether the client reached the node over TLS:
// the connection itself, or, from a trusted proxy, X-Forwarded-Proto
// (TrustedProxies.Wrap). It decides the dashboard cookie's Secure flag.
func RequestIsHTTPS(r *http.Request) bool {
	if o, ok := r.Context().Value(ctxOriginKey{}).(origin); ok {
		return o.https
	}
	return r.TLS != nil
}
