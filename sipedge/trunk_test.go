package sipedge

import (
	"testing"

	"github.com/switchboard-voice/switchboard"
)

// TestTrunkTargets: one target per trunk address, in order, with the
// callee formatted for the trunk behind its tech prefix, and the trunk's
// transport.
func TestTrunkTargets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tr   switchboard.Trunk
		want []string
	}{
		{"e164 over udp", switchboard.Trunk{Address: "sip.telnyx.com", Transport: "udp", NumberFormat: "e164"},
			[]string{"sip:+2348031234567@sip.telnyx.com"}},
		{"no plus, prefix, port, tcp", switchboard.Trunk{Address: "10.0.0.1:5080", Transport: "tcp", NumberFormat: "no_plus", TechPrefix: "11#"},
			[]string{"sip:11#2348031234567@10.0.0.1:5080;transport=tcp"}},
		{"failover, tls, ipv6", switchboard.Trunk{Address: "a.example", FailoverAddresses: []string{"[2001:db8::1]:5061", "b.example"},
			Transport: "tls", NumberFormat: "e164"},
			[]string{"sip:+2348031234567@a.example;transport=tls", "sip:+2348031234567@[2001:db8::1]:5061;transport=tls",
				"sip:+2348031234567@b.example;transport=tls"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := trunkTargets(&tt.tr, "+2348031234567")
			if len(got) != len(tt.want) {
				t.Fatalf("%d targets, want %d: %v", len(got), len(tt.want), got)
			}
			for i, tg := range got {
				if s := tg.uri.String(); s != tt.want[i] {
					t.Errorf("target %d = %s, want %s", i, s, tt.want[i])
				}
				if tg.trunk != &tt.tr || tg.endpoint != nil {
					t.Errorf("target %d is not the trunk's", i)
				}
				if want := map[string]string{"udp": "UDP", "tcp": "TCP", "tls": "TLS"}[tt.tr.Transport]; targetTransport(tg.uri) != want {
					t.Errorf("target %d transport %s, want %s", i, targetTransport(tg.uri), want)
				}
			}
		})
	}
}

// TestTrunkInvite: the INVITE to a trunk carries the caller as the trunk
// formats it in From and in E.164 in P-Asserted-Identity, the trunk's
// headers, our call ID, and the offer or no body at all.
func TestTrunkInvite(t *testing.T) {
	t.Parallel()
	e := &Edge{host: "sb.example.com", contacts: newContacts("sb.example.com", 5060, 0)}
	tr := &switchboard.Trunk{Address: "carrier.example:5070", Transport: "udp", NumberFormat: "no_plus", TechPrefix: "9",
		Headers: map[string]string{"X-Telnyx-Username": "acme", "X-B": "2"}, AuthUsername: "u", AuthPassword: "p"}
	tg := trunkTargets(tr, "+14155550100")[0]
	sdp := []byte("v=0\r\n")
	req := e.trunkInvite(tg, "cid@sb", "+2348031234567", "call_1", sdp)
	checks := map[string]string{
		"Request-URI":           req.Recipient.String(),
		"From user":             req.From().Address.User,
		"To":                    req.To().Address.String(),
		"P-Asserted-Identity":   req.GetHeader("P-Asserted-Identity").Value(),
		"X-Telnyx-Username":     req.GetHeader("X-Telnyx-Username").Value(),
		"X-B":                   req.GetHeader("X-B").Value(),
		"X-Switchboard-Call-Id": req.GetHeader("X-Switchboard-Call-Id").Value(),
		"Call-ID":               req.CallID().Value(),
		"Content-Type":          req.ContentType().Value(),
		"body":                  string(req.Body()),
	}
	want := map[string]string{
		"Request-URI":           "sip:914155550100@carrier.example:5070",
		"From user":             "2348031234567",
		"To":                    "sip:914155550100@carrier.example:5070",
		"P-Asserted-Identity":   "<sip:+2348031234567@sb.example.com>",
		"X-Telnyx-Username":     "acme",
		"X-B":                   "2",
		"X-Switchboard-Call-Id": "call_1",
		"Call-ID":               "cid@sb",
		"Content-Type":          "application/sdp",
		"body":                  "v=0\r\n",
	}
	for k, w := range want {
		if checks[k] != w {
			t.Errorf("%s = %q, want %q", k, checks[k], w)
		}
	}
	if req.From().Params == nil || !req.From().Params.Has("tag") {
		t.Error("From has no tag")
	}
	late := e.trunkInvite(tg, "cid2@sb", "+2348031234567", "call_2", nil)
	if len(late.Body()) != 0 || late.ContentType() != nil {
		t.Errorf("an INVITE without offer has body %q, Content-Type %v", late.Body(), late.ContentType())
	}
	if c := tg.credentials(); c == nil || c.Username != "u" || c.Password != "p" {
		t.Errorf("trunk credentials = %+v", c)
	}
	if c := trunkTargets(&switchboard.Trunk{Address: "x"}, "+1")[0].credentials(); c != nil {
		t.Errorf("a trunk without auth_username has credentials %+v", c)
	}
}

// TestSlots: a limit of live calls per key, none without a limit.
func TestSlots(t *testing.T) {
	t.Parallel()
	var s slots
	if !s.acquire("a", 2) || !s.acquire("a", 2) || s.acquire("a", 2) {
		t.Fatal("the third call of a limit of 2 was let in, or an earlier one refused")
	}
	if !s.acquire("b", 2) {
		t.Error("another key shares the limit")
	}
	s.release("a", 2)
	if s.live("a") != 1 || !s.acquire("a", 2) {
		t.Error("a released slot was not given back")
	}
	for range 100 {
		if !s.acquire("c", 0) {
			t.Fatal("no limit refused a call")
		}
	}
	if s.live("c") != 0 {
		t.Error("calls without a limit are counted")
	}
}
