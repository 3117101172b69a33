package sipedge

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/internal/sipptest"
)

// keptRecorder keeps every update it is handed.
type keptRecorder struct {
	discardRecorder
	mu   sync.Mutex
	upds []switchboard.CallUpdate
}

func (r *keptRecorder) Save(u switchboard.CallUpdate) {
	r.mu.Lock()
	r.upds = append(r.upds, u)
	r.mu.Unlock()
}

// calls returns the last update of each call, by call ID.
func (r *keptRecorder) calls() map[string]*switchboard.Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]*switchboard.Call{}
	for _, u := range r.upds {
		out[u.Call.ID] = u.Call
	}
	return out
}

// routeScreenEdge is a screen edge trusting loopback, whose table holds
// +2348030000001 (routed, at most one live call) and +2348030000002
// (inbound disabled).
func routeScreenEdge(t *testing.T) (*Edge, *keptRecorder) {
	t.Helper()
	e := screenEdge(t, "127.0.0.0/8")
	epID := "ep_1"
	e.table = NewTable(staticRouting{
		numbers: []*switchboard.PhoneNumber{
			{ID: "pn_1", OrganizationID: "org_1", E164: "+2348030000001", AllowInbound: true, EndpointID: &epID},
			{ID: "pn_2", OrganizationID: "org_1", E164: "+2348030000002", EndpointID: &epID},
		},
		endpoints: []*switchboard.Endpoint{{ID: epID, OrganizationID: "org_1", Type: switchboard.EndpointAgent,
			Status: switchboard.StatusActive, URL: "sip:agent@127.0.0.1:5090"}},
	})
	if err := e.table.Reload(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	rec := &keptRecorder{}
	e.recorder, e.now, e.idle = rec, switchboard.SystemClock, make(chan struct{})
	close(e.idle)
	e.cfg.MaxCallsPerNumber = 1
	return e, rec
}

// routeInvite is an INVITE of call i to number.
func routeInvite(number string, i int) []byte {
	return []byte(strings.ReplaceAll(string(screenInvite(i, "")), "+2348030000001", number))
}

// TestScreenRoute: a carrier's INVITE the routing table refuses is
// answered in the read filter, recorded, and kept from sipgo; one it
// routes goes on unparsed.
func TestScreenRoute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		data   []byte
		full   bool // the number's one call slot is taken
		answer string
		reason string // the call's failure reason
	}{
		{"a routed number", routeInvite("+2348030000001", 1), false, "", ""},
		{"an unknown number", routeInvite("+2348030009999", 1), false, "SIP/2.0 404 ", "number_not_found"},
		{"inbound disabled", routeInvite("+2348030000002", 1), false, "SIP/2.0 404 ", "inbound_disabled"},
		{"not a number", routeInvite("bob", 1), false, "SIP/2.0 404 ", "number_not_found"},
		{"the number's call limit", routeInvite("+2348030000001", 1), true, "SIP/2.0 503 ", "concurrency_limit"},
		{"a test call", []byte(strings.Replace(string(routeInvite("+2348030009999", 1)), "Content-Length", testCallHeader+": x\r\nContent-Length", 1)), false, "", ""},
		{"a re-INVITE", routeInvite("+2348030009999", 1)[:0:0], false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, rec := routeScreenEdge(t)
			if tt.full {
				e.acquireNumber("+2348030000001")
			}
			data := tt.data
			if len(data) == 0 {
				data = []byte(strings.ReplaceAll(string(screenInvite(1, ";tag=x")), "+2348030000001", "+2348030009999"))
			}
			checkScreen(t, e, data, tt.answer, "")
			calls := rec.calls()
			if tt.reason == "" {
				if len(calls) != 0 {
					t.Errorf("recorded %d calls", len(calls))
				}
				return
			}
			if len(calls) != 1 {
				t.Fatalf("recorded %d calls, want 1", len(calls))
			}
			for _, c := range calls {
				if c.Status != switchboard.CallFailed || c.FailureReason != tt.reason {
					t.Errorf("recorded %s %s, want failed %s", c.Status, c.FailureReason, tt.reason)
				}
			}
			if e.LiveCalls() != 0 {
				t.Errorf("%d live calls", e.LiveCalls())
			}
		})
	}
}

// TestScreenRouteRetransmission: a refused INVITE sent again is answered
// again with the same To tag, and recorded once.
func TestScreenRouteRetransmission(t *testing.T) {
	t.Parallel()
	e, rec := routeScreenEdge(t)
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	props := sip.TransportReadProps{Transport: "UDP", RemoteAddr: peer.LocalAddr()}
	var tags []string
	for range 2 {
		if out, err := e.screen(props, routeInvite("+2348030009999", 7)); err != nil || len(out) != 0 {
			t.Fatalf("went on to sipgo (%v)", err)
		}
		peer.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 2048)
		n, err := peer.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := sip.ParseMessage(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		res := msg.(*sip.Response)
		tag, _ := res.To().Params.Get("tag")
		if res.StatusCode != 404 || tag == "" {
			t.Fatalf("answered %d, To tag %q", res.StatusCode, tag)
		}
		tags = append(tags, tag)
	}
	if tags[0] != tags[1] {
		t.Errorf("To tags %q then %q", tags[0], tags[1])
	}
	if n := len(rec.calls()); n != 1 {
		t.Errorf("recorded %d calls, want 1", n)
	}
}

// TestRequestUser: the Request-URI user read from the request line.
func TestRequestUser(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		line, user string
		ok         bool
	}{
		{"INVITE sip:+2348030000001@10.0.0.1 SIP/2.0\r\n", "+2348030000001", true},
		{"INVITE sip:+2348030000001;npdi@10.0.0.1:5060;transport=udp SIP/2.0\r\n", "+2348030000001;npdi", true},
		{"INVITE sip:10.0.0.1 SIP/2.0\r\n", "", false},
		{"INVITE tel:+2348030000001 SIP/2.0\r\n", "", false},
		{"INVITE sips:+2348030000001@10.0.0.1 SIP/2.0\r\n", "", false},
		{"INVITE sip:%2B2348030000001@10.0.0.1 SIP/2.0\r\n", "", false},
		{"INVITE sip:10.0.0.1 SIP/2.0\r\nTo: <sip:a@b>\r\n", "", false},
	} {
		user, ok := requestUser([]byte(tc.line))
		if user != tc.user || ok != tc.ok {
			t.Errorf("requestUser(%q) = %q, %v; want %q, %v", tc.line, user, ok, tc.user, tc.ok)
		}
	}
}

// TestSIPStatelessRefusal: SIPp as a trusted carrier calls a number no
// one holds and sends its INVITE again after the 404, then an OPTIONS.
// Each INVITE gets one 404, never resent (no transaction holds it), with
// the same To tag; the call is recorded once; the OPTIONS gets 200.
func TestSIPStatelessRefusal(t *testing.T) {
	t.Parallel()
	rec := &keptRecorder{}
	o := startOrigEdge(t, func(c *Config) {
		c.Trusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		c.OpenRecorder = func(context.Context, string) (switchboard.CallRecorder, error) { return rec, nil }
	})
	r := sipptest.RunUAC(t, sipptest.UACOptions{Scenario: scenario("carrier_refused_again"), Target: o.Addr(), IP: "127.0.3.1",
		Rows: [][]string{{"+2348030009999", "+14155550101"}}})
	r.ExpectCalls(t, 1, 0)
	var refusals []sipptest.Message // every one: Responses leaves retransmissions out
	for _, m := range r.All() {
		if !m.Sent && m.StatusCode == 404 {
			refusals = append(refusals, m)
		}
	}
	if len(refusals) != 2 {
		t.Fatalf("got %d 404s, want 2 (one per INVITE, none resent)", len(refusals))
	}
	if a, b := refusals[0].Header("To"), refusals[1].Header("To"); a != b || !strings.Contains(a, ";tag=") {
		t.Errorf("To %q then %q", a, b)
	}
	if n := len(r.Responses(200)); n != 1 {
		t.Errorf("got %d 200s to the OPTIONS", n)
	}
	calls := rec.calls()
	if len(calls) != 1 {
		t.Fatalf("recorded %d calls, want 1", len(calls))
	}
	for _, c := range calls {
		if c.Status != switchboard.CallFailed || c.FailureReason != "number_not_found" || c.SIPStatus != 404 {
			t.Errorf("recorded %+v", c)
		}
	}
}
