package main

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// withHTTPTLS is --http-tls-cert/--http-tls-key with the files'.
func withHTTPTLS(f tlsFiles) serverOption {
	return func(c *ServeConfig) { c.HTTPTLSCert, c.HTTPTLSKey = f.cert, f.key }
}

// httpsClient trusts ca only, and speaks HTTP/2 when the server offers it.
func httpsClient(ca *testCA) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: ca.pool()},
		ForceAttemptHTTP2: true,
	}}
}

// TestHTTPS: --http-tls-cert serves the API over HTTPS (HTTP/2 offered),
// with the certificate given; plain HTTP to that port gets no API answer.
func TestHTTPS(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	files := newTLSFiles(t, ca, "api-1")
	ts := startServer(t, withHTTPTLS(files))
	if !strings.HasPrefix(ts.HTTPURL(), "https://") {
		t.Fatalf("HTTPURL = %s, want https://", ts.HTTPURL())
	}
	hc := httpsClient(ca)
	req, _ := http.NewRequest("GET", ts.HTTPURL()+"/v1/endpoints", nil)
	req.Header.Set("x-api-key", ts.BootstrapKey)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	specValidator(t).Check(t, req, resp, raw)
	var body map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(raw, &body) != nil || body["total"] != float64(0) {
		t.Fatalf("GET /v1/endpoints over HTTPS: %d %s", resp.StatusCode, raw)
	}
	if resp.ProtoMajor != 2 || resp.TLS.PeerCertificates[0].Subject.CommonName != "api-1" {
		t.Errorf("served %s with certificate %q, want HTTP/2 with api-1", resp.Proto, resp.TLS.PeerCertificates[0].Subject.CommonName)
	}
	// A client that does not trust the CA is refused the handshake.
	if _, err := http.Get(ts.HTTPURL() + "/healthz"); err == nil {
		t.Error("a client without the test CA completed the handshake")
	}
	// Plain HTTP to the HTTPS port: Go's TLS server answers 400, never the API.
	plain, err := http.Get("http://" + strings.TrimPrefix(ts.HTTPURL(), "https://") + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = io.ReadAll(plain.Body)
	plain.Body.Close()
	if plain.StatusCode != 400 || strings.Contains(string(raw), `"status"`) {
		t.Errorf("plain HTTP to the HTTPS port: %d %s", plain.StatusCode, raw)
	}
}

// TestTrustedProxiesE2E: X-Forwarded-For is believed from a trusted
// proxy only; the request log shows the client it resolved.
func TestTrustedProxiesE2E(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		proxies string
		client  string
	}{
		{"trusted", "127.0.0.1/32", "203.0.113.7"},
		{"not trusted", "", "127.0.0.1"},
		{"another network trusted", "10.0.0.0/8", "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, func(c *ServeConfig) {
				var err error
				if c.TrustedProxies, err = parsePrefixes("--trusted-proxies", tc.proxies); err != nil {
					t.Fatal(err)
				}
			})
			c := ts.client(ts.BootstrapKey)
			c.must(200, c.do("GET", "/v1/endpoints", nil, header("X-Forwarded-For", "198.51.100.1, 203.0.113.7"),
				header("X-Request-Id", "proxied-"+strings.ReplaceAll(tc.name, " ", "-"))))
			var found bool
			for _, line := range strings.Split(ts.logs.String(), "\n") {
				var rec map[string]any
				if json.Unmarshal([]byte(line), &rec) != nil || rec["request_id"] != "proxied-"+strings.ReplaceAll(tc.name, " ", "-") ||
					rec["msg"] != "http request" {
					continue
				}
				found = true
				if rec["client"] != tc.client {
					t.Errorf("logged client %v, want %s", rec["client"], tc.client)
				}
			}
			if !found {
				t.Fatalf("no request log line:\n%s", ts.logs)
			}
		})
	}
}

// TestHTTPTLSFlags: the HTTPS and proxy flags are checked at start.
func TestHTTPTLSFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string // in the usage error; "" is no error
	}{
		{[]string{"--http-tls-cert", "c.pem"}, "--http-tls-cert and --http-tls-key go together"},
		{[]string{"--http-tls-key", "k.pem"}, "--http-tls-cert and --http-tls-key go together"},
		{[]string{"--http-tls-cert", "c.pem", "--http-tls-key", "k.pem"}, ""},
		{[]string{"--trusted-proxies", "10.0.0.0/8, 192.0.2.1,::1"}, ""},
		{[]string{"--trusted-proxies", "10.0.0.0/33"}, `--trusted-proxies: "10.0.0.0/33" is not a CIDR or address`},
		{[]string{"--trusted-proxies", "proxy.example"}, `--trusted-proxies: "proxy.example"`},
	} {
		c, err := parseServeFlags(tc.args, func(string) string { return "" }, io.Discard)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		case tc.want == "" && tc.args[0] == "--trusted-proxies" && len(c.TrustedProxies) != 3:
			t.Errorf("%v: TrustedProxies = %v", tc.args, c.TrustedProxies)
		}
	}
	// From the environment too, like every flag.
	c, err := parseServeFlags(nil, func(k string) string {
		return map[string]string{"SWITCHBOARD_TRUSTED_PROXIES": "10.1.0.0/16"}[k]
	}, io.Discard)
	if err != nil || len(c.TrustedProxies) != 1 || c.TrustedProxies[0].String() != "10.1.0.0/16" {
		t.Errorf("SWITCHBOARD_TRUSTED_PROXIES: %v %v", c.TrustedProxies, err)
	}
}
