package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// SIP over TLS end to end (SIPp here has no TLS): a test CA made in the
// test, sipgo as the TLS caller and as the TLS agent, the real program in
// between.

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var certSerial atomic.Int64

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(certSerial.Add(1)), Subject: pkix.Name{CommonName: "Switchboard test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue makes a server certificate for localhost and 127.0.0.1 named cn;
// it returns its PEM certificate and key and the pair for tls.Config.
func (ca *testCA) issue(t *testing.T, cn string) (certPEM, keyPEM []byte, pair tls.Certificate) {
	t.Helper()
	return ca.issueFor(t, cn, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)})
}

// issueFor is issue for other names and addresses.
func (ca *testCA) issueFor(t *testing.T, cn string, names []string, ips []net.IP) (certPEM, keyPEM []byte, pair tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(certSerial.Add(1)), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: names, IPAddresses: ips,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	pair, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM, pair
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

func writeTestFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// tlsFiles are the PEM files the node is started with.
type tlsFiles struct{ cert, key, ca string }

// newTLSFiles writes a node certificate named cn, issued by ca, and ca's
// certificate (for --sip-tls-ca) into a temporary directory.
func newTLSFiles(t *testing.T, ca *testCA, cn string) tlsFiles {
	dir := t.TempDir()
	f := tlsFiles{cert: filepath.Join(dir, "node.pem"), key: filepath.Join(dir, "node.key"), ca: filepath.Join(dir, "ca.pem")}
	cert, key, _ := ca.issue(t, cn)
	writeTestFile(t, f.cert, cert)
	writeTestFile(t, f.key, key)
	writeTestFile(t, f.ca, ca.pem)
	return f
}

// withTLS is --sip-tls 127.0.0.1:0 with the files' certificate, key and CA.
func withTLS(f tlsFiles) serverOption {
	return func(c *ServeConfig) {
		c.SIPTLSAddr, c.SIPTLSCert, c.SIPTLSKey, c.SIPTLSCA = "127.0.0.1:0", f.cert, f.key, f.ca
	}
}

// newTLSFixture is a TLS node with one number (no SIPp needed).
func newTLSFixture(t *testing.T, files tlsFiles) *sipFixture {
	t.Helper()
	return newNumberFixture(t, withTLS(files))
}

// sdesOffer is an SDP offer of SRTP with its key in clear text (SDES).
const sdesOffer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 40000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n" +
	"a=rtpmap:0 PCMU/8000\r\n"

// tlsAgent is an agent answering every INVITE over TLS (a sipgo UAS).
type tlsAgent struct {
	addr    string
	mu      sync.Mutex
	invites []*sip.Request
	sni     []string // the server name of each handshake
}

func startTLSAgent(t *testing.T, cert tls.Certificate) *tlsAgent {
	t.Helper()
	a := &tlsAgent{}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("tls-agent"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a.addr = ln.Addr().String()
	port := ln.Addr().(*net.TCPAddr).Port
	conf := &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		a.mu.Lock()
		a.sni = append(a.sni, h.ServerName)
		a.mu.Unlock()
		return &cert, nil
	}}
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		a.mu.Lock()
		a.invites = append(a.invites, req.Clone())
		a.mu.Unlock()
		res := sip.NewResponseFromRequest(req, 200, "OK", req.Body())
		res.To().Params.Add("tag", sip.GenerateTagN(8))
		ct := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: port, UriParams: sip.NewParams()}}
		ct.Address.UriParams.Add("transport", "tls")
		res.AppendHeader(&ct)
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		_ = tx.Respond(res)
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	go srv.ServeTLS(tls.NewListener(ln, conf))
	t.Cleanup(func() { ln.Close(); ua.Close() })
	return a
}

func (a *tlsAgent) received() ([]*sip.Request, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*sip.Request(nil), a.invites...), append([]string(nil), a.sni...)
}

// sipCaller places calls as a carrier would, with sipgo.
type sipCaller struct {
	t  *testing.T
	ua *sipgo.UserAgent
	d  *sipgo.DialogUA
}

// newSIPCaller is a caller whose TLS dials trust roots.
func newSIPCaller(t *testing.T, roots *x509.CertPool) *sipCaller {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("carrier"), sipgo.WithUserAgenTLSConfig(&tls.Config{RootCAs: roots}))
	if err != nil {
		t.Fatal(err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	return &sipCaller{t: t, ua: ua, d: &sipgo.DialogUA{Client: cli,
		ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "carrier", Host: "127.0.0.1", Port: 5999}}}}
}

// invite calls number at addr over transport with body as the offer and
// waits for the final answer: the dialog when answered, else the error
// (a sipgo.ErrDialogResponse for a final status).
func (c *sipCaller) invite(addr, transport, number, body string) (*sipgo.DialogClientSession, error) {
	c.t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	var p int
	fmt.Sscan(port, &p)
	ruri := sip.Uri{Scheme: "sip", User: number, Host: host, Port: p, UriParams: sip.NewParams()}
	ruri.UriParams.Add("transport", transport)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "+2348099990000", Host: "127.0.0.1"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	sess, err := c.d.Invite(ctx, ruri, []byte(body), from, sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		return nil, err
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		sess.Close()
		return nil, err
	}
	if err := sess.Ack(ctx); err != nil {
		c.t.Fatalf("ACK: %v", err)
	}
	return sess, nil
}

// finalStatus is the final status of a refused INVITE.
func finalStatus(t *testing.T, err error) int {
	t.Helper()
	var de *sipgo.ErrDialogResponse
	if !errors.As(err, &de) {
		t.Fatalf("want a final SIP status, got %v", err)
	}
	return de.Res.StatusCode
}

// eventDetail returns the detail of the first event of type typ in a
// call's timeline.
func (f *sipFixture) eventDetail(id, typ string) string {
	f.t.Helper()
	r := f.c.must(200, f.c.do("GET", "/v1/calls/"+id+"/events", nil))
	for _, e := range r.list("events") {
		if ev := e.(map[string]any); ev["type"] == typ {
			s, _ := ev["detail"].(string)
			return s
		}
	}
	f.t.Fatalf("no %s in the timeline: %s", typ, r.Raw)
	return ""
}

// tlsAgentEndpoint creates an agent endpoint reaching a at uri.
func (f *sipFixture) tlsAgentEndpoint(uri string) string {
	return f.endpoint(map[string]any{"name": "tls agent", "type": "agent", "url": uri,
		"provider_config": map[string]any{"provider": "sip"}})
}

// TestSIPTLSCall: a TLS caller, a TLS agent reached by name (SNI), an
// SRTP offer with SDES keys passed unchanged because both legs are TLS,
// TLS advertised in Via and Contact on both legs; the call completes.
func TestSIPTLSCall(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	f := newTLSFixture(t, newTLSFiles(t, ca, "node"))
	_, _, agentCert := ca.issue(t, "agent")
	agent := startTLSAgent(t, agentCert)
	_, agentPort, _ := net.SplitHostPort(agent.addr)
	f.attach(f.tlsAgentEndpoint("sip:bot@localhost:"+agentPort+";transport=tls"), "")

	tlsAddr := f.ts.SIPTLSAddr()
	_, tlsPort, _ := net.SplitHostPort(tlsAddr)
	caller := newSIPCaller(t, ca.pool())
	f.placed++
	sess, err := caller.invite(tlsAddr, "tls", f.number, sdesOffer)
	if err != nil {
		t.Fatalf("TLS call not answered: %v", err)
	}
	if ct := sess.InviteResponse.Contact(); ct == nil || ct.Address.Port != atoi(t, tlsPort) || !strings.EqualFold(paramOf(ct.Address, "transport"), "tls") {
		t.Errorf("the 200's Contact %v does not advertise the TLS listener %s", ct, tlsAddr)
	}
	if string(sess.InviteResponse.Body()) != sdesOffer {
		t.Errorf("the answer is not the agent's SDP unchanged:\n%s", sess.InviteResponse.Body())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sess.Bye(ctx); err != nil {
		t.Fatalf("BYE: %v", err)
	}
	invs, sni := agent.received()
	if len(invs) != 1 {
		t.Fatalf("agent got %d INVITEs", len(invs))
	}
	inv := invs[0]
	if inv.Transport() != "TLS" {
		t.Errorf("agent reached over %s", inv.Transport())
	}
	if len(sni) == 0 || sni[0] != "localhost" {
		t.Errorf("SNI %q, want the URI host localhost", sni)
	}
	if v := inv.Via(); v == nil || v.Transport != "TLS" || v.Port != atoi(t, tlsPort) {
		t.Errorf("the agent's Via %v does not advertise TLS on %s", v, tlsPort)
	}
	if ct := inv.Contact(); ct == nil || ct.Address.Port != atoi(t, tlsPort) || !strings.EqualFold(paramOf(ct.Address, "transport"), "tls") {
		t.Errorf("the agent's Contact %v does not advertise the TLS listener", ct)
	}
	if rr := inv.GetHeaders("Record-Route"); len(rr) != 0 {
		t.Errorf("a B2BUA records no route, got %v", rr)
	}
	if string(inv.Body()) != sdesOffer {
		t.Errorf("SDP changed on the way to the agent:\n%s", inv.Body())
	}
	call := f.call("")
	expectCall(t, call, map[string]any{"status": "completed", "hangup_by": "caller", "to_number": f.number})
}

// TestSIPTLSUntrustedAgent: an agent whose certificate is not accepted
// (another CA's, or for another name) is a failed target: alone, the call
// fails with the TLS reason and the agent never sees the INVITE; with a
// trusted fallback, the call fails over to it.
func TestSIPTLSUntrustedAgent(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	_, _, otherCA := newTestCA(t).issue(t, "rogue")
	_, _, otherName := ca.issueFor(t, "elsewhere", []string{"agent.example"}, nil)
	tests := []struct {
		name   string
		cert   tls.Certificate
		host   string // in the agent's URL
		detail string
	}{
		{"unknown authority", otherCA, "127.0.0.1", "certificate signed by unknown authority"},
		{"another name", otherName, "localhost", "valid for agent.example, not localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newTLSFixture(t, newTLSFiles(t, ca, "node"))
			rogue := startTLSAgent(t, tt.cert)
			_, _, goodCert := ca.issue(t, "agent")
			good := startTLSAgent(t, goodCert)
			_, port, _ := net.SplitHostPort(rogue.addr)
			bad := f.tlsAgentEndpoint("sips:bot@" + tt.host + ":" + port)
			caller := newSIPCaller(t, ca.pool())

			f.attach(bad, "")
			f.placed++
			_, err := caller.invite(f.ts.SIPTLSAddr(), "tls", f.number, sdesOffer)
			if got := finalStatus(t, err); got != 503 {
				t.Errorf("caller got %d, want 503", got)
			}
			call := f.call("")
			expectCall(t, call, map[string]any{"status": "failed", "failure_reason": "agent_tls_failed", "sip_status": 503})
			if d := f.eventDetail(call.str("id"), "call.target_failed"); !strings.Contains(d, "certificate not accepted") || !strings.Contains(d, tt.detail) {
				t.Errorf("target_failed detail %q does not say why the certificate was refused (%s)", d, tt.detail)
			}
			if invs, _ := rogue.received(); len(invs) != 0 {
				t.Errorf("the untrusted agent got the INVITE (and its SRTP keys)")
			}

			fallback := f.tlsAgentEndpoint("sip:bot@" + good.addr + ";transport=tls")
			f.attach(bad, fallback)
			eventually(t, 5*time.Second, "fallback routed", func() bool {
				fb := f.ts.edge.Table().Lookup(f.number).Fallback
				return fb != nil && fb.ID == fallback
			})
			f.placed++
			sess, err := caller.invite(f.ts.SIPTLSAddr(), "tls", f.number, sdesOffer)
			if err != nil {
				t.Fatalf("call not answered by the fallback: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := sess.Bye(ctx); err != nil {
				t.Fatal(err)
			}
			call = f.call("")
			expectCall(t, call, map[string]any{"status": "completed", "endpoint_id": fallback})
			if got := strings.Join(f.timeline(call.str("id")), ","); !strings.Contains(got, "call.target_failed,call.failover") {
				t.Errorf("timeline %s", got)
			}
		})
	}
}

// TestSIPTLSReload: a reload swaps the certificate for new connections,
// keeps the old one when the new files are bad, and drops no connection.
func TestSIPTLSReload(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	files := newTLSFiles(t, ca, "node-1")
	f := newTLSFixture(t, files)
	addr := f.ts.SIPTLSAddr()
	served := func() (*tls.Conn, string) {
		t.Helper()
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool(), ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		return conn, conn.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	old, cn := served()
	defer old.Close()
	if cn != "node-1" {
		t.Fatalf("served %q, want node-1", cn)
	}

	writeTestFile(t, files.cert, []byte("not a certificate"))
	if err := f.ts.ReloadTLS(); err == nil {
		t.Fatal("a bad certificate file reloaded without error")
	}
	if c, cn := served(); cn != "node-1" {
		t.Errorf("after a bad reload served %q, want the previous node-1", cn)
	} else {
		c.Close()
	}
	if n := strings.Count(f.ts.logs.String(), "TLS certificate not reloaded"); n != 1 {
		t.Errorf("the bad reload was logged %d times, want once", n)
	}

	cert, key, _ := ca.issue(t, "node-2")
	writeTestFile(t, files.cert, cert)
	writeTestFile(t, files.key, key)
	if err := f.ts.ReloadTLS(); err != nil {
		t.Fatal(err)
	}
	if c, cn := served(); cn != "node-2" {
		t.Errorf("after the reload served %q, want node-2", cn)
	} else {
		c.Close()
	}
	// The connection made before the reload still carries SIP.
	fmt.Fprintf(old, "OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-reload\r\n"+
		"From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:%s>\r\nCall-ID: reload-probe\r\nCSeq: 1 OPTIONS\r\n"+
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", addr, addr)
	_ = old.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(old).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "SIP/2.0 200") {
		t.Errorf("OPTIONS over the pre-reload connection: %q %v", line, err)
	}
}

// TestSIPTLSRefusesSDESOverPlainLegs: SRTP keys (a=crypto) never cross a
// leg that is not TLS: an offer over UDP is refused with 488, and a TLS
// offer is not relayed to an agent reached over UDP.
func TestSIPTLSRefusesSDESOverPlainLegs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		transport string // the caller's
		agentURI  string
		detail    string // in the timeline's call.target_failed, if any
	}{
		{"offer over UDP", "udp", "sip:bot@127.0.0.1:9;transport=tls", ""},
		{"agent over UDP", "tls", "sip:bot@127.0.0.1:9", "not reached over TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ca := newTestCA(t)
			f := newTLSFixture(t, newTLSFiles(t, ca, "node"))
			f.attach(f.tlsAgentEndpoint(tt.agentURI), "")
			addr := f.ts.SIPAddr()
			if tt.transport == "tls" {
				addr = f.ts.SIPTLSAddr()
			}
			f.placed++
			_, err := newSIPCaller(t, ca.pool()).invite(addr, tt.transport, f.number, sdesOffer)
			if got := finalStatus(t, err); got != 488 {
				t.Errorf("caller got %d, want 488", got)
			}
			call := f.call("")
			expectCall(t, call, map[string]any{"status": "failed", "failure_reason": "srtp_keys_need_tls", "sip_status": 488})
			if tt.detail != "" {
				if d := f.eventDetail(call.str("id"), "call.target_failed"); !strings.Contains(d, tt.detail) {
					t.Errorf("target_failed detail %q", d)
				}
			}
		})
	}
}

// TestSIPTLSFlags: --sip-tls without its certificate and key is refused
// at startup, naming the flags.
func TestSIPTLSFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--sip-tls", ":5061"},
		{"--sip-tls", ":5061", "--sip-tls-cert", "node.pem"},
		{"--sip-tls-key", "node.key", "--sip-tls-cert", "node.pem"},
	} {
		_, err := parseServeFlags(args, func(string) string { return "" }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--sip-tls") || exitCode(err) != 2 {
			t.Errorf("%v: %v", args, err)
		}
	}
	env := map[string]string{"SWITCHBOARD_SIP_TLS": ":5061", "SWITCHBOARD_SIP_TLS_CERT": "c.pem", "SWITCHBOARD_SIP_TLS_KEY": "k.pem", "SWITCHBOARD_SIP_TLS_CA": "ca.pem"}
	c, err := parseServeFlags(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || c.SIPTLSAddr != ":5061" || c.SIPTLSCert != "c.pem" || c.SIPTLSKey != "k.pem" || c.SIPTLSCA != "ca.pem" {
		t.Errorf("from the environment: %+v %v", c, err)
	}
}

// TestSIPTLSBadCertificateAtStartup: a node does not start with a
// certificate it cannot load, and says which flags to fix.
func TestSIPTLSBadCertificateAtStartup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := parseServeFlags([]string{"--database", testDatabase(t), "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0",
		"--call-journal", t.TempDir(), "--sip-tls", "127.0.0.1:0",
		"--sip-tls-cert", filepath.Join(dir, "missing.pem"), "--sip-tls-key", filepath.Join(dir, "missing.key")},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMain(cfg, io.Discard, io.Discard)
	err = m.Open(context.Background())
	m.Close(context.Background())
	if err == nil || !strings.Contains(err.Error(), "--sip-tls-cert") {
		t.Errorf("open with a missing certificate: %v", err)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func paramOf(u sip.Uri, name string) string {
	if u.UriParams == nil {
		return ""
	}
	v, _ := u.UriParams.Get(name)
	return v
}
