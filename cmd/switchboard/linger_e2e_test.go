package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard/internal/sipptest"
)

// TestSIPLateRetransmissions runs the real program with finished
// transactions kept only 300 ms (--sip-transaction-linger), and sends the
// retransmissions RFC 3261 lets arrive long after that:
//   - the agent's 200 again, a second after our ACK: it gets the ACK again;
//   - a caller that is slow to ACK: our 200 still reaches it, again, after
//     its INVITE transaction is gone, and the call goes on;
//   - the caller's INVITE again after the call ended: it is answered 482
//     and starts no second call.
//
// It always runs on SQLite: the store plays no part in it.
func TestSIPLateRetransmissions(t *testing.T) {
	t.Parallel()
	sipptest.Require(t)
	const linger = 300 * time.Millisecond
	dbPath := filepath.Join(t.TempDir(), "l.db")
	p := startBinary(t, "--database", dbPath, "--sip-transaction-linger", linger.String(), "--log-level", "debug")
	key := p.bootstrapKey(t)
	api := func(method, path string, body any, want int) map[string]any {
		t.Helper()
		status, out, err := apiCall(p, key, method, path, body)
		if err != nil || status != want {
			t.Fatalf("%s %s: %d %v %v", method, path, status, out, err)
		}
		return out
	}
	// route claims a new number for an agent endpoint reaching uas, and
	// waits for the node's routing table to hold it (the route API reads
	// the database, which is ahead of the table).
	routed := 0
	route := func(uas *sipptest.Process) (number, pnID string) {
		t.Helper()
		number = nextNumber()
		if err := run(context.Background(), []string{"inventory", "add", "--database", dbPath, number},
			func(string) string { return "" }, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		ep := api("POST", "/v1/endpoints", map[string]any{"name": "agent", "type": "agent",
			"url": "sip:bot@" + uas.Addr(), "provider_config": map[string]any{"provider": "sip"}}, 201)["id"]
		pnID = api("POST", "/v1/phone-numbers", map[string]any{"number": number, "endpoint_id": ep}, 201)["id"].(string)
		routed++
		eventually(t, 5*time.Second, "number in the routing table", func() bool {
			return nodeMetric(t, p, "switchboard_routing_numbers") == float64(routed)
		})
		return number, pnID
	}
	calls := func(pnID string) []any {
		t.Helper()
		l := api("GET", "/v1/calls?phone_number_id="+pnID, nil, 200)
		out, _ := l["calls"].([]any)
		return out
	}

	t.Run("agent retransmits its 200", func(t *testing.T) {
		ip := agentIP()
		uas := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: scenarioFile(t, "uas_late_200.xml"), IP: ip,
			Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
		number, pnID := route(uas)
		sipptest.RunUAC(t, sipptest.UACOptions{Scenario: "uac_call", Target: p.sipAddr,
			Rows: [][]string{{number, "+2348099990000"}}, Vars: map[string]string{"hold": "2500"}}).ExpectCalls(t, 1, 0)
		agent := uas.Wait(10 * time.Second)
		agent.ExpectCalls(t, 1, 0)
		if n := len(agent.Requests("ACK")); n != 2 {
			t.Errorf("agent got %d ACKs, want one for its 200 and one for the 200 sent again:\n%s", n, agent.Diagnostics())
		}
		eventually(t, 5*time.Second, "the call recorded as completed by the caller", func() bool {
			l := calls(pnID)
			return len(l) == 1 && l[0].(map[string]any)["status"] == "completed" && l[0].(map[string]any)["hangup_by"] == "caller"
		})
	})

	t.Run("caller slow to ACK, then its INVITE again", func(t *testing.T) {
		ip := agentIP()
		uas := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: ip, Port: sipptest.FreePort(t, "udp", ip), Calls: 1})
		number, pnID := route(uas)
		c := dialRawSIP(t, p.sipAddr)
		c.diagnostics = func() string {
			_, l, _ := apiCall(p, key, "GET", "/v1/calls?phone_number_id="+pnID, nil)
			return fmt.Sprintf("--- calls: %v\n--- switchboard:\n%s", l, p.logs)
		}
		invite := c.request("INVITE", "sip:"+number+"@"+p.sipAddr, "z9hG4bK-late-invite", "", 1,
			"v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n")
		c.send(invite)
		ok := c.expect(5*time.Second, 200, "INVITE")
		answered := time.Now()
		toTag, _ := ok.To().Params.Get("tag")
		// No ACK yet: the 200 comes again, T1 (500 ms) after the first and
		// so after the INVITE transaction (300 ms) is gone.
		c.expect(3*time.Second, 200, "INVITE")
		c.send(c.request("ACK", "sip:"+number+"@"+p.sipAddr, "z9hG4bK-late-ack", toTag, 1, ""))
		st, live, err := apiCall(p, key, "GET", "/v1/calls?phone_number_id="+pnID+"&status=in_progress", nil)
		if err != nil || st != 200 || live["total"] != float64(1) {
			t.Fatalf("after the late ACK the call is not in progress: %d %v %v", st, live, err)
		}
		c.send(c.request("BYE", "sip:"+number+"@"+p.sipAddr, "z9hG4bK-late-bye", toTag, 2, ""))
		c.expect(5*time.Second, 200, "BYE")
		uas.Wait(10*time.Second).ExpectCalls(t, 1, 0)
		eventually(t, 5*time.Second, "the call recorded as completed by the caller", func() bool {
			l := calls(pnID)
			return len(l) == 1 && l[0].(map[string]any)["status"] == "completed" && l[0].(map[string]any)["hangup_by"] == "caller"
		})

		// The INVITE again, as a caller that never saw our 100 might send
		// it: its transaction was let go twice the linger ago at least.
		time.Sleep(time.Until(answered.Add(2 * linger)))
		c.send(invite)
		c.expect(5*time.Second, 482, "INVITE")
		if l := calls(pnID); len(l) != 1 {
			t.Errorf("calls after the INVITE came again: %v, want only the first", l)
		}
		if n := nodeMetric(t, p, `switchboard_sip_invites_refused_total{reason="retransmission"}`); n != 1 {
			t.Errorf("INVITEs refused as retransmissions: %v, want 1", n)
		}
	})
}

// rawSIP is a caller written by hand over UDP, for what SIPp cannot be
// made to do: hold back its ACK and send an INVITE again byte for byte.
type rawSIP struct {
	t           *testing.T
	conn        net.Conn
	callID      string
	got         []string      // the first line of every message received
	diagnostics func() string // more to show when a response does not come
}

func dialRawSIP(t *testing.T, addr string) *rawSIP {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawSIP{t: t, conn: conn, callID: fmt.Sprintf("raw-%d@127.0.0.1", time.Now().UnixNano()),
		diagnostics: func() string { return "" }}
}

// request builds a request of the caller's one dialog.
func (c *rawSIP) request(method, ruri, branch, toTag string, seq int, sdp string) string {
	local := c.conn.LocalAddr().String()
	to := "<" + ruri + ">"
	if toTag != "" {
		to += ";tag=" + toTag
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=%s\r\nMax-Forwards: 70\r\n", method, ruri, local, branch)
	fmt.Fprintf(&b, "From: <sip:+2348099990000@%s>;tag=raw1\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n", local, to, c.callID, seq, method)
	fmt.Fprintf(&b, "Contact: <sip:caller@%s>\r\n", local)
	if sdp != "" {
		b.WriteString("Content-Type: application/sdp\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(sdp), sdp)
	return b.String()
}

func (c *rawSIP) send(msg string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(msg)); err != nil {
		c.t.Fatal(err)
	}
}

// expect reads until a response with status to method arrives, passing
// over the others (100, 180, a 200 retransmitted meanwhile).
func (c *rawSIP) expect(within time.Duration, status int, method string) *sip.Response {
	c.t.Helper()
	return c.expectCSeq(within, status, method, 0)
}

// expectCSeq is expect for the request of CSeq seq (any, if 0).
func (c *rawSIP) expectCSeq(within time.Duration, status int, method string, seq uint32) *sip.Response {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		res, err := c.next(deadline)
		if err != nil {
			c.t.Fatalf("waiting for %d to %s: %v\n--- received: %q\n%s", status, method, err, c.got, c.diagnostics())
		}
		if matches(res, status, method, seq) {
			return res
		}
	}
}

// expectNone fails the test if a response with status to method of CSeq
// seq arrives within d; it returns after d.
func (c *rawSIP) expectNone(d time.Duration, status int, method string, seq uint32) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		res, err := c.next(deadline)
		if err != nil {
			return // the time is up (or the socket is gone): nothing came
		}
		if matches(res, status, method, seq) {
			c.t.Errorf("%d to %s %d came again after it was acknowledged", status, method, seq)
			return
		}
	}
}

// next reads the next message until deadline and returns it if it is a
// response (nil for a request); only a read error is an error. A message
// switchboard sent that does not parse fails the test.
func (c *rawSIP) next(deadline time.Time) (*sip.Response, error) {
	c.t.Helper()
	buf := make([]byte, 65535)
	c.conn.SetReadDeadline(deadline)
	n, err := c.conn.Read(buf)
	if err != nil {
		return nil, err
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
	c.got = append(c.got, line)
	msg, err := sip.ParseMessage(buf[:n])
	if err != nil {
		c.t.Fatalf("unparsable message from switchboard: %v\n%s", err, buf[:n])
	}
	res, _ := msg.(*sip.Response)
	return res, nil
}

// matches reports whether res is a response with status to method, of
// CSeq seq (any, if 0).
func matches(res *sip.Response, status int, method string, seq uint32) bool {
	return res != nil && res.StatusCode == status && res.CSeq() != nil &&
		res.CSeq().MethodName == sip.RequestMethod(method) && (seq == 0 || res.CSeq().SeqNo == seq)
}
