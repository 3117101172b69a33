package sipedge

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"testing"

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
		refusals: newSourceLimiter(switchboard.SystemClock, refusalRate, refusalBurst, refusalSources), parser: sip.NewParser()}
	e.m = newEdgeMetrics(nil, e)
	return e
}

func screenInvite(i int, toTag string) []byte {
	return fmt.Appendf(nil, "INVITE sip:+2348030000001@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK%[1]d\r\n"+
		"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:+2348030000001@127.0.0.1>%[2]s\r\nCall-ID: screen-%[1]d\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", i, toTag)
}

// TestScreen: what the read filter keeps from sipgo and what it lets by.
func TestScreen(t *testing.T) {
	t.Parallel()
	from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5070}
	tests := []struct {
		name     string
		trusted  string
		draining bool
		data     []byte
		dropped  bool
		reason   string
	}{
		{"a carrier's INVITE", "127.0.0.0/8", false, screenInvite(1, ""), false, ""},
		{"an untrusted INVITE", "10.0.0.0/8", false, screenInvite(1, ""), true, "untrusted"},
		{"a carrier's INVITE while draining", "127.0.0.0/8", true, screenInvite(1, ""), true, "draining"},
		{"an untrusted re-INVITE of a live call (an agent's)", "10.0.0.0/8", false, screenInvite(1, ";tag=x"), false, ""},
		{"an untrusted re-INVITE of no call", "10.0.0.0/8", false, screenInvite(2, ";tag=x"), true, "untrusted"},
		{"a carrier's re-INVITE while draining", "127.0.0.0/8", true, screenInvite(2, ";tag=x"), false, ""},
		{"an untrusted BYE (an agent's)", "10.0.0.0/8", false, []byte("BYE sip:x SIP/2.0\r\n\r\n"), false, ""},
		{"an untrusted response (an agent's)", "10.0.0.0/8", false, []byte("SIP/2.0 200 OK\r\n\r\n"), false, ""},
		{"unparseable: left to sipgo", "10.0.0.0/8", false, []byte("INVITE \x00\x01"), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := screenEdge(t, tt.trusted)
			e.drain.Store(tt.draining)
			e.byB.Store("screen-1", &call{}) // a live call whose agent leg has Call-ID screen-1
			out, err := e.screen(sip.TransportReadProps{Transport: "UDP", RemoteAddr: from}, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if dropped := len(out) == 0; dropped != tt.dropped {
				t.Errorf("dropped = %v, want %v", dropped, tt.dropped)
			}
			if tt.reason != "" {
				if n := counterValue(t, e.m.rejected.WithLabelValues(tt.reason)); n != 1 {
					t.Errorf("refused %s counted %v times", tt.reason, n)
				}
			}
		})
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
