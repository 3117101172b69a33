package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Floods of SIP from senders the node does not serve must cost it CPU
// only: no memory kept per message, no log line per message.

// heapInuse is the heap in use after a full collection.
func heapInuse() uint64 {
	runtime.GC()
	runtime.GC() // finalizers and sweeps the first one queued
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// refusedINVITEs sums switchboard_sip_invites_refused_total over reasons.
func refusedINVITEs(t *testing.T, ts *testServer) (total float64, byReason map[string]float64) {
	t.Helper()
	byReason = map[string]float64{}
	for k, v := range scrapeMetrics(t, ts) {
		if r, ok := strings.CutPrefix(k, `switchboard_sip_invites_refused_total{reason="`); ok {
			byReason[strings.TrimSuffix(r, `"}`)] = v
			total += v
		}
	}
	return total, byReason
}

// floodINVITE is a well-formed out-of-dialog INVITE, the i-th of a flood.
func floodINVITE(i int, target, local string) []byte {
	return fmt.Appendf(nil, "INVITE sip:+2348030000001@%[1]s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %[2]s;branch=z9hG4bKflood%[3]d;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:+2348099990000@%[2]s>;tag=f%[3]d\r\n"+
		"To: <sip:+2348030000001@%[1]s>\r\n"+
		"Call-ID: flood-%[3]d@%[2]s\r\n"+
		"CSeq: 1 INVITE\r\n"+
		"Contact: <sip:+2348099990000@%[2]s>\r\n"+
		"Content-Length: 0\r\n\r\n", target, local, i)
}

// dialINVITE dials target over network ("udp" or "tcp") from the address
// from, and returns the connection with the i-th flood INVITE from it, its
// Via naming that transport. The caller closes the connection.
func dialINVITE(t *testing.T, network, from, target string, i int) (net.Conn, []byte) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(from)}}
	if network == "tcp" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	conn, err := d.Dial(network, target)
	if err != nil {
		t.Fatal(err)
	}
	invite := floodINVITE(i, target, conn.LocalAddr().String())
	if network == "tcp" {
		invite = bytes.Replace(invite, []byte("SIP/2.0/UDP"), []byte("SIP/2.0/TCP"), 1)
	}
	return conn, invite
}

// floodRequest is a request of no call, the i-th of a flood.
func floodRequest(method string, i int, target, local string) []byte {
	return fmt.Appendf(nil, "%[4]s sip:+2348030000001@%[1]s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %[2]s;branch=z9hG4bKflood%[4]s%[3]d;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:+2348099990000@%[2]s>;tag=f%[3]d\r\n"+
		"To: <sip:+2348030000001@%[1]s>;tag=t%[3]d\r\n"+
		"Call-ID: flood-%[4]s-%[3]d@%[2]s\r\n"+
		"CSeq: 2 %[4]s\r\n"+
		"Content-Length: 0\r\n\r\n", target, local, i, method)
}

// floodCredentials is a well-formed Proxy-Authorization, for the node's
// realm (127.0.0.1, the default SIP domain) and the Request-URI of
// floodINVITE, whose nonce the node never issued.
func floodCredentials(target string) []byte {
	return []byte(`Proxy-Authorization: Digest username="sbflood", realm="127.0.0.1", nonce="AAAAAGsV-W46XSuIBGFsTVqVir7MjO44g7h-MmBZiTEzdwxcNyl6vQ", ` +
		`uri="sip:+2348030000001@` + target + `", response="00000000000000000000000000000000", algorithm=MD5, qop=auth, nc=00000001, cnonce="c"` + "\r\n")
}

// TestSIPInviteFloodKeepsNoMemory: 50,000 INVITEs from a source outside
// --sip-trusted are challenged (agents place calls with digest
// credentials) without a transaction, a timer or anything else kept,
// beyond a few per second they are not even answered, and the node still
// answers OPTIONS and the API afterwards. A quarter of them carry forged
// credentials for the node's realm, which are refused just as cheaply;
// OPTIONS and BYEs of no call mixed in keep nothing either.
//
// Not parallel: it measures the heap of the process the server runs in.
func TestSIPInviteFloodKeepsNoMemory(t *testing.T) {
	const invites = 50_000
	ts := startServer(t, func(c *ServeConfig) { c.SIPTrusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")} })
	c := ts.client(ts.BootstrapKey)
	target := ts.SIPAddr()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	dst, err := net.ResolveUDPAddr("udp", target)
	if err != nil {
		t.Fatal(err)
	}
	var challenged, other atomic.Int64
	go func() {
		buf := make([]byte, 2048)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			switch res := string(buf[:n]); {
			case strings.HasPrefix(res, "SIP/2.0 407 ") && strings.Contains(res, "\r\nCSeq: 1 INVITE\r\n"):
				challenged.Add(1)
			case strings.Contains(res, "\r\nCSeq: 1 INVITE\r\n"):
				other.Add(1)
			}
		}
	}()

	before := heapInuse()
	start := time.Now()
	local := conn.LocalAddr().String()
	forged := floodCredentials(target)
	// At most window INVITEs ahead of what the node has counted, so the
	// socket's receive buffer does not overflow and every INVITE is taken.
	const window = 2000
	for i := 0; i < invites; i++ {
		if i%window == 0 && i >= 2*window {
			eventually(t, 20*time.Second, "the node to keep up with the flood", func() bool {
				n, _ := refusedINVITEs(t, ts)
				return n >= float64(i-window)
			})
		}
		invite := floodINVITE(i, target, local)
		if i%4 == 1 {
			invite = bytes.Replace(invite, []byte("Content-Length:"), slices.Concat(forged, []byte("Content-Length:")), 1)
		}
		if _, err := conn.WriteToUDP(invite, dst); err != nil {
			t.Fatal(err)
		}
		if i%4 == 0 {
			// Other requests of no call, each of which a transaction would
			// keep for the transaction linger.
			for _, method := range []string{"OPTIONS", "BYE"} {
				if _, err := conn.WriteToUDP(floodRequest(method, i, target, local), dst); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	eventually(t, 20*time.Second, "every INVITE counted", func() bool {
		n, _ := refusedINVITEs(t, ts)
		return n >= invites*0.99
	})
	sent := time.Since(start)
	after := heapInuse()
	total, byReason := refusedINVITEs(t, ts)
	grown := int64(after) - int64(before)
	t.Logf("%d INVITEs refused in %v (%v), %d OPTIONS and as many BYEs; %d answered 407, %d otherwise; heap in use %d → %d MB: %d bytes kept per INVITE",
		int(total), sent.Round(time.Millisecond), byReason, invites/4, challenged.Load(), other.Load(), before>>20, after>>20, grown/int64(total))
	if grown > 20<<20 {
		t.Errorf("heap in use grew by %d MB after %d refused INVITEs (and %d OPTIONS and BYEs) and a GC; want at most 20 MB", grown>>20, int(total), invites/2)
	}
	if byReason["challenged"] < 1 || byReason["rate_limited"] < invites/2 || byReason["untrusted"] != 0 {
		t.Errorf("refusals by reason %v: want a few challenged, most rate_limited, none untrusted (403)", byReason)
	}
	// Forged credentials get a fresh challenge, not a transaction: every
	// answer to an INVITE is a 407, within the source's share.
	if n := challenged.Load(); n < 1 || float64(n) > byReason["challenged"] || other.Load() != 0 {
		t.Errorf("%d answers 407 and %d others for %v refused as challenged", n, other.Load(), byReason["challenged"])
	}

	// The node still serves: a keep-alive OPTIONS (not rate-limited: it is
	// not refused) and the API.
	opt, err := net.Dial("udp", target)
	if err != nil {
		t.Fatal(err)
	}
	defer opt.Close()
	from := opt.LocalAddr().String()
	fmt.Fprintf(opt, "OPTIONS sip:%[1]s SIP/2.0\r\nVia: SIP/2.0/UDP %[2]s;branch=z9hG4bKfloodopt\r\nFrom: <sip:carrier@%[2]s>;tag=1\r\n"+
		"To: <sip:%[1]s>\r\nCall-ID: flood-opt\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", target, from)
	opt.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	if n, err := opt.Read(buf); err != nil || !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
		t.Errorf("OPTIONS after the flood: %v %q", err, buf[:n])
	}
	if l := c.must(200, c.do("GET", "/v1/calls", nil)); len(l.list("calls")) != 0 {
		t.Errorf("refused INVITEs were recorded as calls: %s", l.Raw)
	}
}

// TestSIPRefusedStatelessly: an untrusted INVITE is challenged over UDP
// and TCP, with the same answer (same To tag; the nonce changes with the
// second it is made in) each time it is retransmitted over UDP.
func TestSIPRefusedStatelessly(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *ServeConfig) { c.SIPTrusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")} })
	target := ts.SIPAddr()
	for _, tc := range []struct{ name, network, from, want string }{
		{"udp", "udp", "127.0.0.3", "SIP/2.0 407 "},
		{"tcp", "tcp", "127.0.0.4", "SIP/2.0 407 "},
		// An INVITE within a dialog that is not a live call's: 481.
		{"udp re-INVITE", "udp", "127.0.0.5", "SIP/2.0 481 "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, invite := dialINVITE(t, tc.network, tc.from, target, 1)
			defer conn.Close()
			if tc.name == "udp re-INVITE" {
				invite = bytes.Replace(invite, []byte("@"+target+">\r\n"), []byte("@"+target+">;tag=gone\r\n"), 1)
			}
			// A UAC retransmits only over UDP (RFC 3261 §17.1.1.2); over
			// TCP a second INVITE with the same branch may still find the
			// first one's short-lived transaction and be absorbed by it.
			sends := 2
			if tc.network == "tcp" {
				sends = 1
			}
			var answers []string
			r := bufio.NewReader(conn)
			for range sends {
				if _, err := conn.Write(invite); err != nil {
					t.Fatal(err)
				}
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				res, err := readSIPResponse(r)
				if err != nil {
					t.Fatalf("no answer: %v", err)
				}
				answers = append(answers, res)
			}
			same := func(res string) string { // the answer but its nonces
				return regexp.MustCompile(`nonce="[^"]*"`).ReplaceAllString(res, `nonce=""`)
			}
			if !strings.HasPrefix(answers[0], tc.want) || !strings.Contains(answers[0], ";tag=") || same(answers[0]) != same(answers[len(answers)-1]) {
				t.Errorf("want the same %q with a To tag each time, got:\n%s", tc.want, strings.Join(answers, "\n---\n"))
			}
		})
	}
}

// readSIPResponse reads one response without a body from r.
func readSIPResponse(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return b.String(), err
		}
		b.WriteString(line)
		if line == "\r\n" {
			return b.String(), nil
		}
	}
}

// TestBinaryJunkFloodLogs: 2,000 junk datagrams of 8 KB make a few
// log lines, each cut short, then one summary, and every line the
// process writes is JSON under --log-format json, shutdown included.
func TestBinaryJunkFloodLogs(t *testing.T) {
	t.Parallel()
	p := startBinary(t, "--database", filepath.Join(t.TempDir(), "sb.db"))
	conn, err := net.Dial("udp", p.sipAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	// options sends a keep-alive and waits for its 200: the node has read
	// every datagram sent before it.
	options := func(i int) {
		t.Helper()
		fmt.Fprintf(conn, "OPTIONS sip:%[1]s SIP/2.0\r\nVia: SIP/2.0/UDP %[2]s;branch=z9hG4bKjunk%[3]d\r\nFrom: <sip:carrier@%[2]s>;tag=1\r\n"+
			"To: <sip:%[1]s>\r\nCall-ID: junk-%[3]d\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", p.sipAddr, local, i)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("OPTIONS %d: %v\n%s", i, err, p.logs)
			}
			if res := string(buf[:n]); strings.HasPrefix(res, "SIP/2.0 200") && strings.Contains(res, fmt.Sprintf("junk-%d", i)) {
				return
			}
		}
	}
	options(0)
	before := len(p.logs.String())
	junk := [][]byte{
		bytes.Repeat([]byte{0x01, 0xfe, '<', '"', '\\', 0x7f}, 8192/6),
		append([]byte("INVITE sip:x SIP/2.0\r\nVia: \x00\r\n"), bytes.Repeat([]byte("J"), 8000)...),
	}
	const datagrams = 2000
	for i := range datagrams {
		if _, err := conn.Write(junk[i%len(junk)]); err != nil {
			t.Fatal(err)
		}
		if i%100 == 99 {
			options(i)
		}
	}
	flood := len(p.logs.String()) - before

	p.terminate(t)
	logs := p.logs.String()
	t.Logf("%d junk datagrams of 8 KB: %d bytes of log during the flood, %d in all", datagrams, flood, len(logs))
	if flood > 4<<10 {
		t.Errorf("%d junk datagrams made %d bytes of log, want at most 4 KB; it begins:\n%.2000s", datagrams, flood, logs[before:])
	}
	suppressed, bad, long := 0.0, 0, 0
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			if bad++; bad == 1 {
				t.Errorf("not a JSON line: %.300q", line)
			}
			continue
		}
		if len(line) > 1024 {
			if long++; long == 1 {
				t.Errorf("a line of %d bytes: %.300s", len(line), line)
			}
		}
		if n, ok := rec["suppressed"].(float64); ok {
			suppressed += n
		}
	}
	if bad+long > 0 {
		t.Errorf("%d lines not JSON, %d longer than 1 KB", bad, long)
	}
	if suppressed < datagrams/2 {
		t.Errorf("summaries count %v suppressed lines, want most of the %d:\n%s", suppressed, datagrams, logs)
	}
}
