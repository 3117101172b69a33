package sipedge

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/switchboard-voice/switchboard"
)

// screenEdge is an edge with just what screen needs, its UDP socket on
// loopback.
func screenEdge(t testing.TB, trusted string) *Edge {
	t.Helper()
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { udp.Close() })
	e := &Edge{cfg: Config{Trusted: []netip.Prefix{netip.MustParsePrefix(trusted)}}, udp: udp, log: slog.New(slog.DiscardHandler),
		refusals: newSourceLimiter(switchboard.SystemClock, refusalRate, refusalBurst, refusalSources), parser: sip.NewParser(),
		recent: newRecentInvites(switchboard.SystemClock, inviteRetention)}
	e.m = newEdgeMetrics(nil, e)
	return e
}

func screenInvite(i int, toTag string) []byte { return screenRequest("INVITE", i, toTag) }

// screenRequest is a request of call screen-i; toTag puts it in a dialog.
func screenRequest(method string, i int, toTag string) []byte {
	return fmt.Appendf(nil, "%[3]s sip:+2348030000001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK%[1]d\r\n"+
		"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:+2348030000001@127.0.0.1>%[2]s\r\nCall-ID: screen-%[1]d\r\nCSeq: 1 %[3]s\r\nContent-Length: 0\r\n\r\n", i, toTag, method)
}

// TestScreen: what the read filter answers itself, keeping it from sipgo,
// and what it lets by.
func TestScreen(t *testing.T) {
	t.Parallel()
	const carrier, elsewhere = "127.0.0.0/8", "10.0.0.0/8"
	tests := []struct {
		name     string
		trusted  string
		draining bool
		data     []byte
		answer   string // the status line it answers with; "" lets it by
		reason   string // the refusal counted, if any
	}{
		{"a carrier's INVITE", carrier, false, screenInvite(1, ""), "", ""},
		{"an untrusted INVITE", elsewhere, false, screenInvite(1, ""), "SIP/2.0 403 Forbidden", "untrusted"},
		{"a carrier's INVITE while draining", carrier, true, screenInvite(1, ""), "SIP/2.0 503 Service Unavailable", "draining"},
		{"an untrusted re-INVITE of a live call (an agent's)", elsewhere, false, screenInvite(1, ";tag=x"), "", ""},
		{"an untrusted re-INVITE of no call", elsewhere, false, screenInvite(2, ";tag=x"), "SIP/2.0 481 ", "untrusted"},
		{"a carrier's re-INVITE while draining", carrier, true, screenInvite(2, ";tag=x"), "", ""},
		{"an untrusted BYE of a live call (an agent's)", elsewhere, false, screenRequest("BYE", 1, ";tag=x"), "", ""},
		{"an untrusted BYE of no call", elsewhere, false, screenRequest("BYE", 2, ";tag=x"), "SIP/2.0 481 ", ""},
		{"an untrusted OPTIONS", elsewhere, false, screenRequest("OPTIONS", 2, ""), "SIP/2.0 200 OK", ""},
		{"a carrier's BYE", carrier, false, screenRequest("BYE", 2, ";tag=x"), "", ""},
		{"a carrier's OPTIONS", carrier, false, screenRequest("OPTIONS", 2, ""), "SIP/2.0 200 OK", ""},
		{"a carrier's OPTIONS while draining", carrier, true, screenRequest("OPTIONS", 2, ""), "SIP/2.0 200 OK", ""},
		{"an untrusted OPTIONS in a live call", elsewhere, false, screenRequest("OPTIONS", 1, ";tag=x"), "SIP/2.0 200 OK", ""},
		{"an untrusted response (an agent's)", elsewhere, false, []byte("SIP/2.0 200 OK\r\n\r\n"), "", ""},
		{"unparseable: left to sipgo", elsewhere, false, []byte("INVITE \x00\x01"), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := screenEdge(t, tt.trusted)
			e.drain.Store(tt.draining)
			e.byB.Store("screen-1", &call{}) // a live call whose agent leg has Call-ID screen-1
			checkScreen(t, e, tt.data, tt.answer, tt.reason)
		})
	}
}

// checkScreen has e screen data from a loopback peer and checks that it
// answers with the status line answer ("": lets it by to sipgo), with a
// To tag, and counts the refusal reason ("": none) once.
func checkScreen(t *testing.T, e *Edge, data []byte, answer, reason string) {
	t.Helper()
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	out, err := e.screen(sip.TransportReadProps{Transport: "UDP", RemoteAddr: peer.LocalAddr()}, data)
	if err != nil {
		t.Fatal(err)
	}
	if answered := len(out) == 0; answered != (answer != "") {
		t.Fatalf("kept from sipgo = %v, want %v", answered, answer != "")
	}
	if answer != "" {
		peer.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 2048)
		n, err := peer.Read(buf)
		if got := string(buf[:n]); err != nil || !strings.HasPrefix(got, answer) || !strings.Contains(got, ";tag=") {
			t.Errorf("answered %q (%v), want %q with a To tag", got, err, answer)
		}
	}
	if reason != "" {
		if n := counterValue(t, e.m.rejected.WithLabelValues(reason)); n != 1 {
			t.Errorf("refused %s counted %v times", reason, n)
		}
	}
}

// TestScreenACK: an untrusted ACK of no call (the ACK of a 403, say) is
// kept from sipgo and not answered.
func TestScreenACK(t *testing.T) {
	t.Parallel()
	e := screenEdge(t, "10.0.0.0/8")
	from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5070}
	out, err := e.screen(sip.TransportReadProps{Transport: "UDP", RemoteAddr: from}, screenRequest("ACK", 2, ";tag=x"))
	if err != nil || len(out) != 0 {
		t.Errorf("an ACK of no call went on to sipgo (%v)", err)
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// BenchmarkScreen is the read filter's work per datagram: nothing for a
// carrier's, one parse and no answer for a flood's beyond its share.
func BenchmarkScreen(b *testing.B) {
	from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5070}
	props := sip.TransportReadProps{Transport: "UDP", RemoteAddr: from}
	for _, bc := range []struct{ name, trusted string }{{"trusted", "127.0.0.0/8"}, {"untrusted", "10.0.0.0/8"}} {
		b.Run(bc.name, func(b *testing.B) {
			e := screenEdge(b, bc.trusted)
			data := screenInvite(1, "")
			b.ReportAllocs()
			for b.Loop() {
				e.screen(props, data)
			}
		})
	}
}
