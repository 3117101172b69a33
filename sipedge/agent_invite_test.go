package sipedge

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// TestBuildInviteHeaders: the agent's INVITE carries the carrier's X-
// headers, the endpoint's headers over the carrier's, the webhook's over
// both (names compared without case), and our X-Switchboard-Call-Id, never
// the carrier's.
func TestBuildInviteHeaders(t *testing.T) {
	t.Parallel()
	req := carrierInvite(t)
	e := &Edge{now: switchboard.SystemClock, host: "127.0.0.1", contacts: map[string]sip.ContactHeader{
		"UDP": {Address: sip.Uri{Scheme: "sip", Host: "127.0.0.1", Port: 5060}},
	}}
	c := e.newCall(req, nil, "+2348031000000")
	u, err := switchboard.ParseSIPURI("sip:agent@127.0.0.1:5090")
	if err != nil {
		t.Fatal(err)
	}
	ep := &switchboard.Endpoint{ID: "ep_1", Headers: map[string]string{"X-Tenant": "acme", "X-Route": "endpoint"}}
	req = c.buildInvite(target{uri: u, headers: [][2]string{{"x-route", "webhook"}}, endpoint: ep}, "b-leg@switchboard")

	values := func(name string) []string {
		var out []string
		for _, h := range req.Headers() {
			if strings.EqualFold(h.Name(), name) {
				out = append(out, h.Value())
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"X-Carrier-Trace", []string{"trace-1"}},
		{"X-Tenant", []string{"acme"}},
		{"X-Route", []string{"webhook"}},
		{"X-Switchboard-Call-Id", []string{c.record.ID}},
		{"X-", []string{"empty-name"}},
		{"P-Asserted-Identity", []string{"<sip:+14155550101@carrier.example>"}},
	} {
		if got := values(tc.name); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// carrierInvite is a carrier's INVITE with the headers the agent's INVITE
// takes from it, and some it must not.
func carrierInvite(tb testing.TB) *sip.Request {
	tb.Helper()
	raw := strings.Join([]string{
		"INVITE sip:+2348031000000@127.0.0.1 SIP/2.0",
		"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds",
		"From: <sip:+14155550101@carrier.example>;tag=1928301774",
		"To: <sip:+2348031000000@127.0.0.1>",
		"Call-ID: a84b4c76e66710@carrier.example",
		"CSeq: 1 INVITE",
		"Max-Forwards: 70",
		"P-Asserted-Identity: <sip:+14155550101@carrier.example>",
		"X-Carrier-Trace: trace-1",
		"x-tenant: from-carrier",
		"X-ROUTE: from-carrier",
		"X-Switchboard-Call-Id: spoofed",
		"X-: empty-name",
		"Content-Length: 0",
		"", "",
	}, "\r\n")
	msg, err := sip.ParseMessage([]byte(raw))
	if err != nil {
		tb.Fatal(err)
	}
	return msg.(*sip.Request)
}
