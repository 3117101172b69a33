package sipptest

import (
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// The harness tests run the carrier scenarios straight against the agent
// scenarios, no router between them, on addresses of their own (ports are
// free ones, so parallel tests and other SIPps on the box do not collide).
const (
	carrierIP = "127.0.0.100"
	agentIP   = "127.0.0.101"
	called    = "+15551230001"
	caller    = "+15559870001"
)

var oneRow = [][]string{{called, caller}}

// waitAgent is how long an agent may take to finish after its carrier.
const waitAgent = 10 * time.Second

// only returns the single message of msgs, failing the test otherwise.
func only(t *testing.T, what string, msgs []Message) Message {
	t.Helper()
	if len(msgs) != 1 {
		t.Fatalf("%d %s, want 1", len(msgs), what)
	}
	return msgs[0]
}

// sentRequest returns the single request with method that r sent.
func sentRequest(t *testing.T, r Result, method string) Message {
	t.Helper()
	var out []Message
	for _, m := range r.Sent() {
		if m.Method == method {
			out = append(out, m)
		}
	}
	return only(t, "sent "+method, out)
}

// forTransports runs test as parallel subtests over UDP and TCP.
func forTransports(t *testing.T, test func(*testing.T, Transport)) {
	for _, tr := range []Transport{UDP, TCP} {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			test(t, tr)
		})
	}
}

func TestCall(t *testing.T) {
	t.Parallel()
	for _, tr := range []Transport{UDP, TCP} {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			agent := StartUAS(t, UASOptions{Scenario: "uas_answer", IP: agentIP, Transport: tr, Calls: 1})
			carrier := RunUAC(t, UACOptions{Scenario: "uac_call", Target: agent.Addr(), IP: carrierIP, Transport: tr, Rows: oneRow, Vars: map[string]string{"hold": "50"}})
			carrier.ExpectCalls(t, 1, 0)
			got := agent.Wait(waitAgent)
			got.ExpectCalls(t, 1, 0)

			inv := only(t, "INVITEs at the agent", got.Requests("INVITE"))
			wantTransport := map[Transport]string{UDP: "UDP", TCP: "TCP"}[tr]
			if inv.Transport != wantTransport {
				t.Errorf("INVITE came over %s, want %s", inv.Transport, wantTransport)
			}
			if u := URIUser(inv.RequestURI); u != called {
				t.Errorf("Request-URI %q: user %q, want %q", inv.RequestURI, u, called)
			}
			if u := URIUser(inv.Header("To")); u != called {
				t.Errorf("To %q: user %q, want %q", inv.Header("To"), u, called)
			}
			if u := URIUser(inv.Header("f")); u != caller { // compact form lookup
				t.Errorf("From %q: user %q, want %q", inv.Header("From"), u, caller)
			}
			sent := sentRequest(t, carrier, "INVITE")
			if trace := inv.Header("X-Carrier-Trace"); trace == "" || trace != sent.Header("Call-ID") {
				t.Errorf("X-Carrier-Trace %q, want the carrier's Call-ID %q", trace, sent.Header("Call-ID"))
			}
			if !strings.Contains(inv.Body, "m=audio 40000 RTP/AVP 0 8 101") || inv.Body != sent.Body {
				t.Errorf("agent's INVITE body %q, want the carrier's %q", inv.Body, sent.Body)
			}
			only(t, "ACKs at the agent", got.Requests("ACK"))
			only(t, "BYEs at the agent", got.Requests("BYE"))

			ok := only(t, "200s for the INVITE at the carrier", slices.DeleteFunc(carrier.Responses(200), func(m Message) bool {
				_, method := m.CSeq()
				return method != "INVITE"
			}))
			if ok.Header("Content-Type") != "application/sdp" || !strings.Contains(ok.Body, "m=audio 50000") {
				t.Errorf("200 carries %q %q, want the agent's SDP", ok.Header("Content-Type"), ok.Body)
			}
			if len(carrier.Responses(180)) != 1 {
				t.Errorf("carrier got %d 180s, want 1", len(carrier.Responses(180)))
			}
		})
	}
}

func TestReject(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, agent string
		agentVars   map[string]string
		expect      string
		reason      string
	}{
		{"busy", "uas_busy", nil, "486", "Busy Here"},
		{"503", "uas_503", nil, "503", "Service Unavailable"},
		{"404", "uas_reject", map[string]string{"status": "404"}, "404", "Not Found"},
		{"own reason", "uas_reject", map[string]string{"status": "480", "reason": "Agent Offline"}, "480", "Agent Offline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			agent := StartUAS(t, UASOptions{Scenario: tc.agent, IP: agentIP, Calls: 1, Vars: tc.agentVars})
			carrier := RunUAC(t, UACOptions{Scenario: "uac_expect", Target: agent.Addr(), IP: carrierIP, Rows: oneRow, Vars: map[string]string{"status": tc.expect}})
			carrier.ExpectCalls(t, 1, 0)
			agent.Wait(waitAgent).ExpectCalls(t, 1, 0)

			final := only(t, "final responses", carrier.Responses(0))
			if fmt.Sprint(final.StatusCode) != tc.expect || final.Reason != tc.reason {
				t.Errorf("carrier got %d %s, want %s %s", final.StatusCode, final.Reason, tc.expect, tc.reason)
			}
			// The ACK of a non-2xx final is in the INVITE transaction.
			ack, inv := sentRequest(t, carrier, "ACK"), sentRequest(t, carrier, "INVITE")
			if b := Param(ack.Header("Via"), "branch"); b == "" || b != Param(inv.Header("Via"), "branch") {
				t.Errorf("ACK branch %q, want the INVITE's %q", b, Param(inv.Header("Via"), "branch"))
			}
		})
	}

	// The carrier's check is real: another final status fails its call.
	t.Run("mismatch", func(t *testing.T) {
		t.Parallel()
		agent := StartUAS(t, UASOptions{Scenario: "uas_503", IP: agentIP})
		carrier := RunUAC(t, UACOptions{Scenario: "uac_expect", Target: agent.Addr(), IP: carrierIP, Rows: oneRow, Vars: map[string]string{"status": "486"}})
		carrier.ExpectCalls(t, 0, 1)
		if carrier.Stat("FailedUnexpectedMessage(C)") != 1 {
			t.Errorf("FailedUnexpectedMessage(C) = %q, want 1", carrier.Stats["FailedUnexpectedMessage(C)"])
		}
	})
}

func TestCancel(t *testing.T) {
	t.Parallel()
	forTransports(t, testCancel)
}

func testCancel(t *testing.T, tr Transport) {
	agent := StartUAS(t, UASOptions{Scenario: "uas_ring", IP: agentIP, Transport: tr, Calls: 1})
	carrier := RunUAC(t, UACOptions{Scenario: "uac_cancel", Target: agent.Addr(), IP: carrierIP, Transport: tr, Rows: oneRow, Vars: map[string]string{"ring": "50"}})
	carrier.ExpectCalls(t, 1, 0)
	got := agent.Wait(waitAgent)
	got.ExpectCalls(t, 1, 0)

	cancel := only(t, "CANCELs at the agent", got.Requests("CANCEL"))
	inv := only(t, "INVITEs at the agent", got.Requests("INVITE"))
	if Param(cancel.Header("Via"), "branch") != Param(inv.Header("Via"), "branch") || cancel.RequestURI != inv.RequestURI {
		t.Errorf("CANCEL %s via %s, want the INVITE's %s via %s", cancel.RequestURI, cancel.Header("Via"), inv.RequestURI, inv.Header("Via"))
	}
	terminated := only(t, "487s at the carrier", carrier.Responses(487))
	if n, method := terminated.CSeq(); n != 1 || method != "INVITE" {
		t.Errorf("487 CSeq %q, want 1 INVITE", terminated.Header("CSeq"))
	}
	only(t, "ACKs at the agent", got.Requests("ACK"))
}

func TestAuth(t *testing.T) {
	t.Parallel()
	creds := map[string]string{"username": "alice", "password": "s3cret"}

	t.Run("407", func(t *testing.T) {
		t.Parallel()
		agent := StartUAS(t, UASOptions{Scenario: "uas_auth", IP: agentIP, Calls: 1, Vars: map[string]string{"username": "alice"}})
		carrier := RunUAC(t, UACOptions{Scenario: "uac_call_auth", Target: agent.Addr(), IP: carrierIP, Rows: oneRow, Vars: creds})
		carrier.ExpectCalls(t, 1, 0)
		got := agent.Wait(waitAgent)
		got.ExpectCalls(t, 1, 0)

		invs := got.Requests("INVITE")
		if len(invs) != 2 {
			t.Fatalf("%d INVITEs at the agent, want 2", len(invs))
		}
		if err := invs[1].VerifyDigest("alice", "s3cret"); err != nil {
			t.Errorf("VerifyDigest(right password): %v", err)
		}
		if err := invs[1].VerifyDigest("alice", "wrong"); err == nil {
			t.Error("VerifyDigest(wrong password) = nil")
		}
		if err := invs[0].VerifyDigest("alice", "s3cret"); err == nil {
			t.Error("VerifyDigest of the unauthenticated INVITE = nil")
		}
		if x := invs[1].Header("X-Carrier-Trace"); x != invs[0].Header("X-Carrier-Trace") {
			t.Errorf("X-Carrier-Trace %q on the retried INVITE, want %q", x, invs[0].Header("X-Carrier-Trace"))
		}
	})

	t.Run("407 other user", func(t *testing.T) {
		t.Parallel()
		agent := StartUAS(t, UASOptions{Scenario: "uas_auth", IP: agentIP, Calls: 1, Vars: map[string]string{"username": "alice"}})
		carrier := RunUAC(t, UACOptions{Scenario: "uac_call_auth", Target: agent.Addr(), IP: carrierIP, Rows: oneRow, Vars: map[string]string{"username": "bob", "password": "s3cret"}})
		carrier.ExpectCalls(t, 0, 1)
		agent.Wait(waitAgent).ExpectCalls(t, 0, 1)
		only(t, "403s at the carrier", carrier.Responses(403))
	})

	for _, tc := range []struct {
		name     string
		password string
		ok       bool
	}{{"401", "s3cret", true}, {"401 wrong password", "wrong", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			agent := StartUAS(t, UASOptions{Scenario: "uas_auth_401", IP: agentIP, Calls: 1, Vars: creds})
			carrier := RunUAC(t, UACOptions{Scenario: "uac_call_auth", Target: agent.Addr(), IP: carrierIP, Rows: oneRow, Vars: map[string]string{"username": "alice", "password": tc.password}})
			got := agent.Wait(waitAgent)
			if tc.ok {
				carrier.ExpectCalls(t, 1, 0)
				got.ExpectCalls(t, 1, 0)
				return
			}
			carrier.ExpectCalls(t, 0, 1)
			got.ExpectCalls(t, 0, 1)
			only(t, "403s at the carrier", carrier.Responses(403))
		})
	}
}

func TestByeFirst(t *testing.T) {
	t.Parallel()
	forTransports(t, testByeFirst)
}

func testByeFirst(t *testing.T, tr Transport) {
	agent := StartUAS(t, UASOptions{Scenario: "uas_bye_first", IP: agentIP, Transport: tr, Calls: 1, Vars: map[string]string{"hold": "50"}})
	carrier := RunUAC(t, UACOptions{Scenario: "uac_wait_bye", Target: agent.Addr(), IP: carrierIP, Transport: tr, Rows: oneRow, Vars: map[string]string{"wait": "5000"}})
	carrier.ExpectCalls(t, 1, 0)
	agent.Wait(waitAgent).ExpectCalls(t, 1, 0)

	bye := only(t, "BYEs at the carrier", carrier.Requests("BYE"))
	inv := sentRequest(t, carrier, "INVITE")
	ok := only(t, "200s for the INVITE", slices.DeleteFunc(carrier.Responses(200), func(m Message) bool {
		_, method := m.CSeq()
		return method != "INVITE"
	}))
	// The agent's BYE is in the dialog: to the carrier's Contact, From and
	// To swapped with both tags.
	if URIUser(bye.RequestURI) != caller || URIUser(inv.Header("Contact")) != caller {
		t.Errorf("BYE Request-URI %q, want the INVITE's Contact %q", bye.RequestURI, inv.Header("Contact"))
	}
	if Param(bye.Header("To"), "tag") != Param(inv.Header("From"), "tag") || URIUser(bye.Header("To")) != caller {
		t.Errorf("BYE To %q, want the INVITE's From %q", bye.Header("To"), inv.Header("From"))
	}
	if tag := Param(bye.Header("From"), "tag"); tag == "" || tag != Param(ok.Header("To"), "tag") || URIUser(bye.Header("From")) != called {
		t.Errorf("BYE From %q, want the 200's To %q", bye.Header("From"), ok.Header("To"))
	}
	if bye.Header("Call-ID") != inv.Header("Call-ID") {
		t.Errorf("BYE Call-ID %q, want %q", bye.Header("Call-ID"), inv.Header("Call-ID"))
	}
}

func TestWaitByeTimesOut(t *testing.T) {
	t.Parallel()
	// uas_answer never hangs up: the carrier's wait for a BYE runs out.
	agent := StartUAS(t, UASOptions{Scenario: "uas_answer", IP: agentIP})
	carrier := RunUAC(t, UACOptions{Scenario: "uac_wait_bye", Target: agent.Addr(), IP: carrierIP, Rows: oneRow, Vars: map[string]string{"wait": "300"}})
	carrier.ExpectCalls(t, 0, 1)
	if carrier.Stat("FailedTimeoutOnRecv(C)") != 1 {
		t.Errorf("FailedTimeoutOnRecv(C) = %q, want 1", carrier.Stats["FailedTimeoutOnRecv(C)"])
	}
	// SIPp aborts the call with a BYE of its own, which the agent takes.
	got := agent.Stop()
	got.ExpectCalls(t, 1, 0)
}

func TestSilent(t *testing.T) {
	t.Parallel()
	agent := StartUAS(t, UASOptions{Scenario: "uas_silent", IP: agentIP, Calls: 1, Vars: map[string]string{"wait": "600"}})
	scenario, err := filepath.Abs("testdata/uac_unanswered.xml")
	if err != nil {
		t.Fatal(err)
	}
	carrier := RunUAC(t, UACOptions{Scenario: scenario, Target: agent.Addr(), IP: carrierIP, Rows: oneRow, ExtraArgs: []string{"-recv_timeout", "600"}})
	carrier.ExpectCalls(t, 1, 0)
	got := agent.Wait(waitAgent)
	got.ExpectCalls(t, 1, 0)
	only(t, "INVITEs at the agent (retransmissions left out)", got.Requests("INVITE"))
	if len(got.All()) < 2 {
		t.Errorf("agent logged %d messages, want the INVITE and its retransmission", len(got.All()))
	}
	if sent := got.Sent(); len(sent) != 0 {
		t.Errorf("silent agent sent %d messages, first %q", len(sent), sent[0].Raw)
	}
}

func TestRate(t *testing.T) {
	t.Parallel()
	const calls = 200
	var rows [][]string
	for i := range 10 {
		rows = append(rows, []string{fmt.Sprintf("+1555123%04d", i), fmt.Sprintf("+1555987%04d", i)})
	}
	agent := StartUAS(t, UASOptions{Scenario: "uas_answer", IP: agentIP, Calls: calls})
	carrier := RunUAC(t, UACOptions{Scenario: "uac_call", Target: agent.Addr(), IP: carrierIP, Rows: rows, Calls: calls, Rate: 100})
	carrier.ExpectCalls(t, calls, 0)
	got := agent.Wait(waitAgent)
	got.ExpectCalls(t, calls, 0)
	t.Logf("retransmissions: carrier %d, agent %d", carrier.Retransmissions, got.Retransmissions)

	traces, users := map[string]bool{}, map[string]bool{}
	for _, inv := range got.Requests("INVITE") {
		traces[inv.Header("X-Carrier-Trace")] = true
		users[URIUser(inv.RequestURI)] = true
	}
	if len(traces) != calls || len(users) != len(rows) {
		t.Errorf("agent saw %d X-Carrier-Trace values and %d called numbers, want %d and %d", len(traces), len(users), calls, len(rows))
	}
}

func TestStartUASBusyPort(t *testing.T) {
	t.Parallel()
	Require(t)
	// A UAS whose port is taken must fail loudly, not hang.
	c, err := net.ListenPacket("udp", net.JoinHostPort(agentIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	port := c.LocalAddr().(*net.UDPAddr).Port
	ft := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		StartUAS(ft, UASOptions{Scenario: "uas_answer", IP: agentIP, Port: port, Calls: 1})
	}()
	<-done
	if !strings.Contains(ft.msg, "exited before listening") {
		t.Errorf("StartUAS on a busy port: %q, want it to report SIPp's exit", ft.msg)
	}
}

// fatalRecorder records a Fatalf and ends the goroutine, as testing.T does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestPrepareScenario(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		scenario string
		vars     map[string]string
		err      string
	}{
		{"uac_nonesuch", nil, "unknown scenario"},
		{"uac_call", map[string]string{"hodl": "1"}, `takes no variable "hodl"`},
		{"uac_expect", nil, `needs the variable "status"`},
		{"uac_expect", map[string]string{"status": "200"}, "not a non-2xx"},
		{"uac_call", map[string]string{"hold": "1s"}, "milliseconds"},
		{"uas_reject", map[string]string{"status": "486", "reason": "a\r\nb"}, "line break"},
		{"uas_auth_401", map[string]string{"username": "a"}, `needs the variable "password"`},
		{"/nonexistent/x.xml", nil, "scenario file"},
	} {
		if _, _, err := prepareScenario(dir, tc.scenario, tc.vars); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("prepareScenario(%s, %v) = %v, want an error with %q", tc.scenario, tc.vars, err, tc.err)
		}
	}

	// Every built-in renders to well-formed XML, its variables where SIPp
	// reads them.
	required := map[string]string{"status": "486", "username": "a.l+ice", "password": "p"}
	for _, name := range slices.Sorted(maps.Keys(builtins)) {
		vars := map[string]string{}
		for k, p := range builtins[name].params {
			if p.required {
				vars[k] = required[k]
			}
		}
		path, args, err := prepareScenario(dir, name, vars)
		if err != nil {
			t.Errorf("prepareScenario(%s, %v): %v", name, vars, err)
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "{{") {
			t.Errorf("%s: template action left in %s", name, path)
		}
		d := xml.NewDecoder(strings.NewReader(string(b)))
		d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // the files are ASCII
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Errorf("%s: %v", name, err)
				break
			}
		}
		switch name {
		case "uac_call":
			if !slices.Equal(args, []string{"-d", "100"}) {
				t.Errorf("uac_call args %q, want -d 100", args)
			}
		case "uas_busy":
			if !strings.Contains(string(b), "SIP/2.0 486 Busy Here") {
				t.Errorf("uas_busy does not send 486 Busy Here")
			}
		case "uas_auth":
			if !strings.Contains(string(b), `username=&quot;a\.l\+ice&quot;`) {
				t.Errorf("uas_auth: username not quoted for the regexp")
			}
		}
	}

	// The files that need no template run under bare SIPp.
	for _, name := range []string{"uac_call", "uac_call_auth", "uac_cancel", "uac_wait_bye", "uas_answer", "uas_ring", "uas_silent", "uas_auth_401", "uas_bye_first"} {
		b, err := scenarioFS.ReadFile("scenarios/" + builtins[name].file)
		if err != nil || strings.Contains(string(b), "{{") {
			t.Errorf("scenarios/%s: %v, or it is a template", builtins[name].file, err)
		}
	}
}

// A -trace_msg log as SIPp 3.6.1 writes it: LF between entries, the
// messages' own CRLF inside.
var sampleLog = strings.Join([]string{
	"----------------------------------------------- 2026-11-29 02:11:47.312580",
	"UDP message received [%d] bytes :",
	"",
	"%s",
	"----------------------------------------------- 2026-11-29 02:11:47.312876",
	"TCP message sent (%d bytes):",
	"",
	"%s",
	"",
}, "\n")

const (
	sampleInvite = "INVITE sip:+15551230001@127.0.0.11:5090;transport=udp SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1\r\n" +
		"f: \"Bob\" <sip:+15559870001@127.0.0.1>;tag=abc\r\n" +
		"To: <sip:+15551230001@127.0.0.11>\r\n" +
		"X-Long: one\r\n two\r\n" +
		"Content-Length: 10\r\n\r\n" +
		"v=0\r\ns=-\r\n"
	sampleRinging = "SIP/2.0 180 Ringing\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n"
)

func TestParseMessageLog(t *testing.T) {
	t.Parallel()
	log := fmt.Sprintf(sampleLog, len(sampleInvite), sampleInvite, len(sampleRinging), sampleRinging)
	msgs := parseMessageLog(log)
	if len(msgs) != 2 {
		t.Fatalf("parsed %d messages, want 2", len(msgs))
	}
	inv, ring := msgs[0], msgs[1]
	if inv.Sent || inv.Transport != "UDP" || inv.Method != "INVITE" || inv.RequestURI != "sip:+15551230001@127.0.0.11:5090;transport=udp" {
		t.Errorf("INVITE parsed as %+v", inv)
	}
	if want := time.Date(2026, 11, 29, 2, 11, 47, 312580000, time.Local); !inv.Time.Equal(want) {
		t.Errorf("Time %v, want %v", inv.Time, want)
	}
	if inv.Body != "v=0\r\ns=-\r\n" || inv.Raw != sampleInvite {
		t.Errorf("body %q raw %q", inv.Body, inv.Raw)
	}
	if inv.Header("from") != `"Bob" <sip:+15559870001@127.0.0.1>;tag=abc` || inv.Header("X-Long") != "one two" {
		t.Errorf("headers %+v", inv.Headers)
	}
	if Param(inv.Header("From"), "tag") != "abc" || Param(inv.Header("Via"), "branch") != "z9hG4bK-1" {
		t.Errorf("Param: tag %q branch %q", Param(inv.Header("From"), "tag"), Param(inv.Header("Via"), "branch"))
	}
	if !ring.Sent || ring.Transport != "TCP" || ring.StatusCode != 180 || ring.Reason != "Ringing" || ring.Body != "" {
		t.Errorf("180 parsed as %+v", ring)
	}
	if n, m := ring.CSeq(); n != 7 || m != "INVITE" {
		t.Errorf("CSeq() = %d %q", n, m)
	}
}

func TestURIUser(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"sip:+15551230001@host:5060;transport=tcp": "+15551230001",
		`"Bob" <sip:bob@host>;tag=1`:               "bob",
		"<sips:alice@host>":                        "alice",
		"tel:+15551230001;phone-context=x":         "+15551230001",
		"sip:host:5060":                            "",
		"":                                         "",
	} {
		if got := URIUser(in); got != want {
			t.Errorf("URIUser(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVerifyDigest(t *testing.T) {
	t.Parallel()
	// The worked example of RFC 2617 section 3.5.
	m := Message{Method: "GET", Headers: []Header{{"Authorization", `Digest username="Mufasa", realm="testrealm@host.com", ` +
		`nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, ` +
		`cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"`}}}
	if err := m.VerifyDigest("Mufasa", "Circle Of Life"); err != nil {
		t.Errorf("VerifyDigest: %v", err)
	}
	if err := m.VerifyDigest("Mufasa", "circle of life"); err == nil {
		t.Error("VerifyDigest(wrong password) = nil")
	}
	if err := m.VerifyDigest("Simba", "Circle Of Life"); err == nil {
		t.Error("VerifyDigest(wrong user) = nil")
	}
}

func TestProcIP(t *testing.T) {
	t.Parallel()
	want := net.IPv4(127, 0, 0, 11)
	word := binary.NativeEndian.Uint32(want.To4())
	got, err := procIP(fmt.Sprintf("%08X", word))
	if err != nil || !got.Equal(want) {
		t.Errorf("procIP = %v, %v; want %v", got, err, want)
	}
}

// TestNoZeroPause: SIPp is never asked for a 0-ms plain pause.
func TestNoZeroPause(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want []string }{
		{[]string{"-m", "1"}, []string{"-m", "1", "-d", "1"}},
		{[]string{"-d", "0", "-m", "1"}, []string{"-d", "1", "-m", "1"}},
		{[]string{"-d", "100"}, []string{"-d", "100"}},
	} {
		if got := noZeroPause(slices.Clone(tc.in)); !slices.Equal(got, tc.want) {
			t.Errorf("noZeroPause(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
