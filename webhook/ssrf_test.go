package webhook

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

func TestBlockedReason(t *testing.T) {
	tests := []struct {
		addr     string
		blocked  bool
		metadata bool   // refused even with allowPrivate
		reason   string // substring of the reason, when blocked
	}{
		// IPv4: public.
		{"8.8.8.8", false, false, ""},
		{"1.1.1.1", false, false, ""},
		{"93.184.216.34", false, false, ""},
		{"11.0.0.1", false, false, ""},
		{"100.63.255.255", false, false, ""},
		{"100.128.0.0", false, false, ""},
		{"169.253.255.255", false, false, ""},
		{"169.255.0.0", false, false, ""},
		{"172.15.255.255", false, false, ""},
		{"172.32.0.0", false, false, ""},
		{"192.167.255.255", false, false, ""},
		{"192.169.0.0", false, false, ""},
		{"198.17.255.255", false, false, ""},
		{"198.20.0.0", false, false, ""},
		{"223.255.255.255", false, false, ""},
		// IPv4: refused.
		{"0.0.0.0", true, false, "unspecified"},
		{"0.1.2.3", true, false, "this network"},
		{"10.0.0.1", true, false, "RFC 1918"},
		{"10.255.255.255", true, false, "RFC 1918"},
		{"100.64.0.1", true, false, "CGNAT"},
		{"100.127.255.254", true, false, "CGNAT"},
		{"127.0.0.1", true, false, "loopback"},
		{"127.255.255.254", true, false, "loopback"},
		{"169.254.0.1", true, false, "link-local"},
		{"172.16.0.1", true, false, "RFC 1918"},
		{"172.31.255.255", true, false, "RFC 1918"},
		{"192.0.0.8", true, false, "IETF"},
		{"192.0.2.1", true, false, "documentation"},
		{"192.88.99.1", true, false, "6to4 relay"},
		{"192.168.1.1", true, false, "RFC 1918"},
		{"198.18.0.1", true, false, "benchmarking"},
		{"198.19.255.255", true, false, "benchmarking"},
		{"198.51.100.7", true, false, "documentation"},
		{"203.0.113.9", true, false, "documentation"},
		{"224.0.0.1", true, false, "multicast"},
		{"239.255.255.250", true, false, "multicast"},
		{"240.0.0.1", true, false, "reserved"},
		{"255.255.255.255", true, false, "broadcast"},
		// Cloud metadata.
		{"169.254.169.254", true, true, "metadata"},
		{"169.254.170.2", true, true, "metadata"},
		{"100.100.100.200", true, true, "metadata"},
		{"168.63.129.16", true, true, "metadata"},
		{"fd00:ec2::254", true, true, "metadata"},
		// IPv6: public.
		{"2606:4700:4700::1111", false, false, ""},
		{"2001:4860:4860::8888", false, false, ""},
		{"2a00:1450:4001::200e", false, false, ""},
		{"2001:200::1", false, false, ""}, // just past 2001::/23
		// IPv6: refused.
		{"::", true, false, "unspecified"},
		{"::1", true, false, "loopback"},
		{"fc00::1", true, false, "unique local"},
		{"fd12:3456:789a::1", true, false, "unique local"},
		{"fd00:ec2::253", true, false, "unique local"},
		{"fe80::1", true, false, "link-local"},
		{"fe80::1%eth0", true, false, "link-local"},
		{"febf:ffff::1", true, false, "link-local"},
		{"fec0::1", true, false, "site-local"},
		{"ff02::1", true, false, "multicast"},
		{"ff0e::1", true, false, "multicast"},
		{"100::1", true, false, "discard"},
		{"2001::1", true, false, "Teredo"},
		{"2001:2::1", true, false, "IETF"},
		{"2001:db8::1", true, false, "documentation"},
		{"3fff::1", true, false, "documentation"},
		{"64:ff9b:1::1", true, false, "local-use NAT64"},
		{"::127.0.0.1", true, false, "non-global"}, // deprecated IPv4-compatible
		{"::8.8.8.8", true, false, "non-global"},
		{"5f00::1", true, false, "non-global"},
		{"4000::1", true, false, "non-global"},
		// IPv4-mapped IPv6.
		{"::ffff:127.0.0.1", true, false, "IPv4-mapped form of loopback"},
		{"::ffff:7f00:1", true, false, "IPv4-mapped form of loopback"},
		{"::ffff:10.0.0.1", true, false, "IPv4-mapped form of private"},
		{"::ffff:0.0.0.0", true, false, "IPv4-mapped form of unspecified"},
		{"::ffff:100.64.0.1", true, false, "CGNAT"},
		{"::ffff:169.254.169.254", true, true, "IPv4-mapped form of cloud metadata"},
		{"::ffff:8.8.8.8", false, false, ""},
		// NAT64 (64:ff9b::/96).
		{"64:ff9b::7f00:1", true, false, "NAT64 form of loopback"},
		{"64:ff9b::127.0.0.1", true, false, "NAT64 form of loopback"},
		{"64:ff9b::a00:1", true, false, "NAT64 form of private"},
		{"64:ff9b::192.168.0.1", true, false, "NAT64 form of private"},
		{"64:ff9b::a9fe:a9fe", true, true, "NAT64 form of cloud metadata"},
		{"64:ff9b::100.100.100.200", true, true, "NAT64 form of cloud metadata"},
		{"64:ff9b::808:808", false, false, ""},
		// 6to4 (2002::/16).
		{"2002:7f00:1::1", true, false, "6to4 form of loopback"},
		{"2002:a9fe:a9fe::", true, true, "6to4 form of cloud metadata"},
		{"2002:c0a8:101::1", true, false, "6to4 form of private"},
		{"2002:808:808::1", false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			addr := netip.MustParseAddr(tt.addr)
			reason := BlockedReason(addr)
			if (reason != "") != tt.blocked || !strings.Contains(reason, tt.reason) {
				t.Fatalf("BlockedReason(%s) = %q, want blocked=%v containing %q", addr, reason, tt.blocked, tt.reason)
			}
			err := CheckAddr(addr, false)
			if (err != nil) != tt.blocked {
				t.Fatalf("CheckAddr(%s, false) = %v", addr, err)
			}
			if err != nil && !errors.Is(err, ErrBlockedAddress) {
				t.Fatalf("CheckAddr error %v does not match ErrBlockedAddress", err)
			}
			// allowPrivate lifts everything except the metadata addresses.
			if err := CheckAddr(addr, true); (err != nil) != tt.metadata {
				t.Fatalf("CheckAddr(%s, true) = %v, want refused=%v", addr, err, tt.metadata)
			}
		})
	}
	if BlockedReason(netip.Addr{}) == "" {
		t.Error("the zero Addr must be refused")
	}
}

// fakeDNS is an in-process DNS server reached through a Resolver's Dial
// hook, so name-resolution tests are deterministic and offline.
type fakeDNS struct {
	mu      sync.Mutex
	answers func(name string, qtype uint16, n int) []netip.Addr // n counts queries per name+type
	counts  map[string]int
}

func (f *fakeDNS) resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			client, server := net.Pipe()
			go f.serve(server)
			return client, nil
		},
	}
}

// serve answers length-prefixed (TCP-style) queries; a net.Pipe is not a
// PacketConn, so the Go resolver frames messages that way.
func (f *fakeDNS) serve(c net.Conn) {
	defer c.Close()
	for {
		var l [2]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return
		}
		q := make([]byte, binary.BigEndian.Uint16(l[:]))
		if _, err := io.ReadFull(c, q); err != nil || len(q) < 12 {
			return
		}
		// Question: labels up to a zero byte, then QTYPE and QCLASS.
		i := 12
		var labels []string
		for i < len(q) && q[i] != 0 {
			n := int(q[i])
			if i+1+n > len(q) {
				return
			}
			labels = append(labels, string(q[i+1:i+1+n]))
			i += 1 + n
		}
		if i+5 > len(q) {
			return
		}
		qtype := binary.BigEndian.Uint16(q[i+1:])
		question := q[12 : i+5]
		name := strings.ToLower(strings.Join(labels, "."))

		f.mu.Lock()
		if f.counts == nil {
			f.counts = map[string]int{}
		}
		key := fmt.Sprintf("%s/%d", name, qtype)
		f.counts[key]++
		addrs := f.answers(name, qtype, f.counts[key])
		f.mu.Unlock()

		var answers [][]byte
		found := addrs != nil
		for _, a := range addrs {
			if (qtype == 1) != a.Is4() {
				continue
			}
			rdata := a.AsSlice()
			rr := []byte{0xc0, 12, 0, byte(qtype), 0, 1, 0, 0, 0, 60, 0, byte(len(rdata))}
			answers = append(answers, append(rr, rdata...))
		}
		flags := uint16(0x8180) // response, recursion desired and available
		if !found {
			flags |= 3 // NXDOMAIN
		}
		resp := make([]byte, 12, 512)
		copy(resp, q[:2])
		binary.BigEndian.PutUint16(resp[2:], flags)
		binary.BigEndian.PutUint16(resp[4:], 1)
		binary.BigEndian.PutUint16(resp[6:], uint16(len(answers)))
		resp = append(resp, question...)
		for _, a := range answers {
			resp = append(resp, a...)
		}
		out := binary.BigEndian.AppendUint16(nil, uint16(len(resp)))
		if _, err := c.Write(append(out, resp...)); err != nil {
			return
		}
	}
}

func addrs(s ...string) []netip.Addr {
	out := []netip.Addr{}
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

func staticDNS(table map[string][]netip.Addr) *fakeDNS {
	return &fakeDNS{answers: func(name string, _ uint16, _ int) []netip.Addr { return table[name] }}
}

func TestCheckURL(t *testing.T) {
	dns := staticDNS(map[string][]netip.Addr{
		"public.test":    addrs("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"),
		"mixed.test":     addrs("93.184.216.34", "10.0.0.7"),
		"v6private.test": addrs("93.184.216.34", "fd00::1"),
		"internal.test":  addrs("192.168.10.20"),
		"metadata.test":  addrs("169.254.169.254"),
		"mapped.test":    addrs("::ffff:127.0.0.1"),
	})
	res := dns.resolver()
	const (
		ok         = ""
		hint       = "--webhook-allow-private"
		neverAllow = "may never target"
	)
	tests := []struct {
		url          string
		want         string // "" accepted, else a substring of the message
		allowPrivate bool   // also accepted with allowPrivate?
	}{
		{"https://public.test/hooks", ok, true},
		{"http://public.test:8080/hooks?x=1", ok, true},
		{"https://PUBLIC.test./hooks", "a name ending in a dot", true},
		{"http://localhost./hook", "ending in a dot", true},
		{"http://localhost:8080/hook", "only resolves inside private networks (.localhost); webhooks must target the public internet (start serve with --webhook-allow-private for development)", true},
		{"http://api.LOCALHOST/hook", "(.localhost)", true},
		{"http://printer.local/hook", "(.local)", true},
		{"http://router.home.arpa/hook", "(.home.arpa)", true},
		{"http://db.corp.internal/hook", "(.internal)", true},
		{"http://nas.lan/hook", "(.lan)", true},
		{"http://kubernetes/hook", "single-label name", true},
		{"http://metadata/computeMetadata/v1/", "cloud metadata service name, which webhooks may never target", false},
		{"http://metadata.google.internal/computeMetadata/v1/", neverAllow, false},
		{"http://METADATA.Google.Internal./computeMetadata/v1/", neverAllow, false},
		{"http://instance-data.ec2.internal/latest/", neverAllow, false},
		{"https://internal.example.com/hooks", ok, true},
		{"https://local.example.com/hooks", ok, true},
		{"https://8.8.8.8/hooks", ok, true},
		{"https://[2606:4700:4700::1111]/hooks", ok, true},
		{"http://127.0.0.1:8080/hook", "loopback address; webhooks must target the public internet (start serve with --webhook-allow-private for development)", true},
		{"http://[::1]/hook", hint, true},
		{"http://[::ffff:127.0.0.1]/hook", "IPv4-mapped form of loopback", true},
		{"http://[64:ff9b::a00:1]/hook", "NAT64 form of private", true},
		{"http://10.0.0.1/hook", "private (RFC 1918)", true},
		{"http://100.64.1.1/hook", "CGNAT", true},
		{"http://0.0.0.0:80/", hint, true},
		{"http://[fe80::1%25eth0]/", "link-local", true},
		{"http://169.254.169.254/latest/meta-data/", neverAllow, false},
		{"http://[fd00:ec2::254]/latest/meta-data/", neverAllow, false},
		{"http://[::ffff:a9fe:a9fe]/", neverAllow, false},
		{"http://mixed.test/", hint, true},
		{"http://v6private.test/", "unique local", true},
		{"http://internal.test/", `url host "internal.test" resolves to a private (RFC 1918) address`, true},
		{"http://metadata.test/", neverAllow, true}, // not resolved with allowPrivate; the dialer refuses it
		{"http://mapped.test/", "IPv4-mapped form of loopback", true},
		{"http://nowhere.test/", ok, true}, // accepted: the dialer checks it when it resolves
		{"http://127.1/", "neither a dotted IP address nor a host name", false},
		{"http://2130706433/", "neither", false},
		{"http://0x7f.0.0.1/", "neither", false},
		{"http://host.0x7f/", "neither", false},
		{"ftp://public.test/", "absolute http or https", false},
		{"public.test/hook", "absolute http or https", false},
		{"http://user:pw@public.test/", "credentials", false},
		{"", "required", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := CheckURL(context.Background(), tt.url, false, res)
			assertURLErr(t, err, tt.want)
			err = CheckURL(context.Background(), tt.url, true, res)
			if tt.allowPrivate && err != nil {
				t.Fatalf("allowPrivate: %v", err)
			}
			if !tt.allowPrivate && tt.want != ok && err == nil {
				t.Fatal("allowPrivate must not lift this refusal")
			}
		})
	}
	// No address in a refusal of a name: CheckURL must not map internal DNS.
	err := CheckURL(context.Background(), "http://internal.test/", false, res)
	if strings.Contains(err.Error(), "192.168.10.20") {
		t.Errorf("refusal leaks the resolved address: %v", err)
	}
}

func assertURLErr(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("CheckURL = %v, want accepted", err)
		}
		return
	}
	var se *switchboard.Error
	if !errors.As(err, &se) {
		t.Fatalf("CheckURL = %v (%T), want a *switchboard.Error", err, err)
	}
	if se.Code != switchboard.ECodeValidation || se.Details["field"] != "url" {
		t.Fatalf("CheckURL = %+v, want VALIDATION_ERROR on field url", se)
	}
	if !strings.Contains(se.Message, want) {
		t.Fatalf("message %q does not contain %q", se.Message, want)
	}
}

// TestCheckURLLocalhost: localhost is refused by name, before any lookup
// (the resolver here would fail the test if asked), with the hint.
func TestCheckURLLocalhost(t *testing.T) {
	dns := &fakeDNS{answers: func(name string, _ uint16, _ int) []netip.Addr {
		t.Errorf("localhost must not be looked up, got a query for %q", name)
		return nil
	}}
	err := CheckURL(context.Background(), "http://localhost:8080/hook", false, dns.resolver())
	assertURLErr(t, err, "only resolves inside private networks")
	assertURLErr(t, err, allowPrivateHint)
	if err := CheckURL(context.Background(), "http://localhost:8080/hook", true, dns.resolver()); err != nil {
		t.Fatalf("allowPrivate: %v", err)
	}
}

// TestCheckURLLookupTimeout: a resolver that never answers costs the
// request at most the guard's LookupTimeout, and the URL is accepted (the
// dialer checks the address it finally connects to).
func TestCheckURLLookupTimeout(t *testing.T) {
	t.Parallel()
	silent, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	res := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", silent.LocalAddr().String())
		},
	}
	const timeout = 100 * time.Millisecond
	start := time.Now()
	err = URLGuard{Resolver: res, LookupTimeout: timeout}.Check(context.Background(), "https://slow.example.com/hook")
	if took := time.Since(start); err != nil || took > timeout+time.Second {
		t.Fatalf("Check = %v after %v, want accepted within about %v", err, took, timeout)
	}
	if DefaultLookupTimeout > 2*time.Second {
		t.Fatalf("DefaultLookupTimeout = %v: an API request must not wait longer than about 2 s", DefaultLookupTimeout)
	}
}

func TestCheckURLContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := CheckURL(ctx, "https://public.test/", false, staticDNS(nil).resolver())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("CheckURL = %v, want context.Canceled", err)
	}
}

// TestDNSRebinding: the name is public when the endpoint is saved and
// loopback when the delivery dials. CheckURL passes, the dialer refuses.
func TestDNSRebinding(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	dns := &fakeDNS{answers: func(name string, qtype uint16, n int) []netip.Addr {
		if name != "rebind.test" {
			return nil
		}
		if n == 1 {
			return addrs("93.184.216.34") // first answer: public
		}
		return addrs("127.0.0.1") // later answers: loopback
	}}
	res := dns.resolver()
	if err := CheckURL(context.Background(), "http://rebind.test:"+port+"/", false, res); err != nil {
		t.Fatalf("CheckURL on the first (public) answer: %v", err)
	}
	d := SafeDialer(false)
	d.Resolver = res
	conn, err := d.DialContext(context.Background(), "tcp", "rebind.test:"+port)
	if err == nil {
		conn.Close()
		t.Fatal("dial after rebinding to 127.0.0.1 succeeded")
	}
	var be *BlockedError
	if !errors.As(err, &be) || be.Addr != netip.MustParseAddr("127.0.0.1") || !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("dial error = %v, want a BlockedError for 127.0.0.1", err)
	}
	if hits.Load() != 0 {
		t.Fatal("the receiver was reached")
	}
}

func TestSafeDialer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if c, err := SafeDialer(false).Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Fatal("SafeDialer(false) connected to loopback")
	} else if !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("err = %v, want ErrBlockedAddress", err)
	}
	c, err := SafeDialer(true).Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("SafeDialer(true): %v", err)
	}
	c.Close()
	if _, err := SafeDialer(true).Dial("udp", "127.0.0.1:53"); !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("udp dial = %v, want refused", err)
	}
	// Metadata stays refused with allowPrivate; the Control hook runs
	// before any packet is sent, so this needs no network.
	if _, err := SafeDialer(true).Dial("tcp", "169.254.169.254:80"); !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("metadata dial = %v, want refused", err)
	}
}

func TestNewHTTPClient(t *testing.T) {
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	defer srv.Close()
	tlsSrv := httptest.NewTLSServer(mux)
	defer tlsSrv.Close()

	t.Run("refused without allowPrivate", func(t *testing.T) {
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		for _, u := range []string{srv.URL + "/ok", "http://localhost:" + port + "/ok", tlsSrv.URL + "/ok"} {
			resp, err := NewHTTPClient(2*time.Second, false).Post(u, "application/json", strings.NewReader("{}"))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("%s: delivered to loopback", u)
			}
			var be *BlockedError
			if !errors.Is(err, ErrBlockedAddress) || !errors.As(err, &be) || !strings.Contains(err.Error(), allowPrivateHint) {
				t.Fatalf("%s: err = %v, want the SSRF refusal", u, err)
			}
		}
		if hits.Load() != 0 {
			t.Fatal("the receiver was reached")
		}
	})

	t.Run("allowed with allowPrivate", func(t *testing.T) {
		resp, err := NewHTTPClient(2*time.Second, true).Post(srv.URL+"/ok", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})

	t.Run("redirect not followed", func(t *testing.T) {
		before := hits.Load()
		resp, err := NewHTTPClient(2*time.Second, true).Post(srv.URL+"/redirect", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ok" {
			t.Fatalf("got %d Location %q, want the 302 itself", resp.StatusCode, resp.Header.Get("Location"))
		}
		if hits.Load() != before+1 {
			t.Fatal("the redirect target was requested")
		}
	})

	t.Run("response header timeout", func(t *testing.T) {
		release := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
		defer slow.Close()
		defer close(release)
		start := time.Now()
		resp, err := NewHTTPClient(200*time.Millisecond, true).Get(slow.URL)
		if err == nil {
			resp.Body.Close()
			t.Fatal("a receiver that never answers did not time out")
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("timed out after %v", d)
		}
	})

	t.Run("settings", func(t *testing.T) {
		c := NewHTTPClient(7*time.Second, false)
		tr := c.Transport.(*http.Transport)
		if tr.MaxIdleConnsPerHost != 64 || tr.MaxIdleConns != 1024 || tr.IdleConnTimeout != 90*time.Second ||
			tr.MaxResponseHeaderBytes != 64<<10 || tr.TLSClientConfig.MinVersion != tls.VersionTLS12 ||
			tr.TLSClientConfig.InsecureSkipVerify || c.Timeout != 7*time.Second {
			t.Errorf("transport limits: %+v, client timeout %v", tr, c.Timeout)
		}
		if tr.Proxy != nil || tr.DialTLSContext != nil || tr.DialContext == nil {
			t.Error("every connection must be dialled by SafeDialer, none through a proxy")
		}
		if p := tr.Protocols; p == nil || !p.HTTP1() || p.HTTP2() || p.UnencryptedHTTP2() {
			t.Errorf("protocols %v, want HTTP/1.1 only", p)
		}
		if !tr.DisableCompression {
			t.Error("deliveries must not ask for compressed answers")
		}
		if c.CheckRedirect == nil || c.CheckRedirect(nil, nil) != http.ErrUseLastResponse {
			t.Error("redirects must be returned, not followed")
		}
		if d := NewHTTPClient(0, false); d.Timeout != DefaultTimeout {
			t.Errorf("zero timeout gives %v, want DefaultTimeout", d.Timeout)
		}
	})
}
