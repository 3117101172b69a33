package httpapi_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/switchboard-voice/switchboard/httpapi"
)

func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	proxies := httpapi.TrustedProxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, tc := range []struct {
		name    string
		proxies httpapi.TrustedProxies
		remote  string
		xff     []string
		proto   string
		tls     bool
		client  string
		https   bool
	}{
		{name: "direct, no headers", proxies: proxies, remote: "198.51.100.1:4000", client: "198.51.100.1"},
		{name: "direct TLS", proxies: proxies, remote: "198.51.100.1:4000", tls: true, client: "198.51.100.1", https: true},
		{name: "untrusted peer's headers ignored", proxies: proxies, remote: "198.51.100.1:4000",
			xff: []string{"203.0.113.9"}, proto: "https", client: "198.51.100.1"},
		{name: "untrusted peer cannot downgrade TLS", proxies: proxies, remote: "198.51.100.1:4000",
			proto: "http", tls: true, client: "198.51.100.1", https: true},
		{name: "nobody trusted", remote: "10.0.0.2:4000", xff: []string{"203.0.113.9"}, proto: "https", client: "10.0.0.2"},
		{name: "trusted proxy", proxies: proxies, remote: "10.0.0.2:4000", xff: []string{"203.0.113.9"}, proto: "https",
			client: "203.0.113.9", https: true},
		{name: "trusted proxy, plain HTTP", proxies: proxies, remote: "10.0.0.2:4000", xff: []string{"203.0.113.9"}, proto: "http",
			client: "203.0.113.9"},
		{name: "spoofed entries left of the client", proxies: proxies, remote: "10.0.0.2:4000",
			xff: []string{"1.2.3.4, 203.0.113.9, 10.0.0.7"}, client: "203.0.113.9"},
		{name: "several headers", proxies: proxies, remote: "10.0.0.2:4000",
			xff: []string{"1.2.3.4", "203.0.113.9", "10.0.0.7"}, client: "203.0.113.9"},
		{name: "only proxies", proxies: proxies, remote: "10.0.0.2:4000", xff: []string{"10.1.1.1, 10.0.0.7"}, client: "10.1.1.1"},
		{name: "garbage stops at the last proxy", proxies: proxies, remote: "10.0.0.2:4000",
			xff: []string{"203.0.113.9, unknown, 10.0.0.7"}, client: "10.0.0.7"},
		{name: "trusted proxy without X-Forwarded-For", proxies: proxies, remote: "10.0.0.2:4000", client: "10.0.0.2"},
		{name: "IPv6 proxy", proxies: proxies, remote: "[fd00::1]:4000", xff: []string{"2001:db8::5"}, proto: "HTTPS, http",
			client: "2001:db8::5", https: true},
		{name: "mapped IPv4 peer", proxies: proxies, remote: "[::ffff:10.0.0.2]:4000", xff: []string{"203.0.113.9"},
			client: "203.0.113.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/ui/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tc.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			var client netip.Addr
			var https bool
			tc.proxies.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				client, https = httpapi.ClientAddr(r), httpapi.RequestIsHTTPS(r)
			})).ServeHTTP(httptest.NewRecorder(), r)
			if client.String() != tc.client || https != tc.https {
				t.Errorf("ClientAddr = %s, RequestIsHTTPS = %v; want %s, %v", client, https, tc.client, tc.https)
			}
		})
	}
	// Unwrapped, both read the connection.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:1"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	r.Header.Set("X-Forwarded-Proto", "https")
	if got := httpapi.ClientAddr(r); got.String() != "10.0.0.2" || httpapi.RequestIsHTTPS(r) {
		t.Errorf("unwrapped: ClientAddr = %s, RequestIsHTTPS = %v", got, httpapi.RequestIsHTTPS(r))
	}
}
