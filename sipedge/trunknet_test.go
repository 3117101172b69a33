package sipedge

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/switchboard-voice/switchboard"
)

// TestScreenTrunkNetworks: a source outside --sip-trusted but in a trunk's
// inbound networks reaches its own organisation's numbers, and nobody
// else's (DESIGN §10).
func TestScreenTrunkNetworks(t *testing.T) {
	t.Parallel()
	const ours, theirs = "+2348030000001", "+2348030000002"
	routing := staticRouting{
		numbers: []*switchboard.PhoneNumber{
			{ID: "pn_1", OrganizationID: "org_a", E164: ours, AllowInbound: true},
			{ID: "pn_2", OrganizationID: "org_b", E164: theirs, AllowInbound: true},
		},
		trunks: []*switchboard.Trunk{{ID: "tr_a", OrganizationID: "org_a", Status: switchboard.StatusActive, InboundAddresses: []string{"127.0.0.0/8"}}},
	}
	to := func(data []byte, num string) []byte { return bytes.ReplaceAll(data, []byte(ours), []byte(num)) }
	tests := []struct {
		name     string
		draining bool
		data     []byte
		answer   string // "" lets it by
		reason   string
	}{
		{"an INVITE to the trunk's organisation's number", false, screenInvite(1, ""), "", ""},
		{"an INVITE to another organisation's number", false, to(screenInvite(1, ""), theirs), "SIP/2.0 403 Forbidden", "untrusted"},
		{"an INVITE to a number nobody holds", false, to(screenInvite(1, ""), "+2348030000009"), "SIP/2.0 403 Forbidden", "untrusted"},
		{"an INVITE to its organisation's number while draining", true, screenInvite(1, ""), "SIP/2.0 503 Service Unavailable", "draining"},
		{"an INVITE with no number and no To", false, []byte("INVITE sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n" +
			"From: <sip:a@127.0.0.1>;tag=1\r\nCall-ID: screen-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"), "SIP/2.0 403 Forbidden", "untrusted"},
		{"a BYE of no call (sipgo answers it)", false, screenRequest("BYE", 2, ";tag=x"), "", ""},
		{"the ACK of a refused INVITE", false, screenRequest("ACK", 2, ";tag=x"), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := screenEdge(t, "10.0.0.0/8")
			e.table = NewTable(routing)
			if err := e.table.Reload(t.Context(), ""); err != nil {
				t.Fatal(err)
			}
			e.drain.Store(tt.draining)
			checkScreen(t, e, tt.data, tt.answer, tt.reason)
		})
	}
}

// TestTableTrunkNetworks: the table keeps each organisation's trunk
// networks with its numbers, and a reload of one organisation replaces
// only its own.
func TestTableTrunkNetworks(t *testing.T) {
	t.Parallel()
	a, b := netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("198.51.100.7")
	src := &staticRouting{
		numbers: []*switchboard.PhoneNumber{
			{ID: "pn_1", OrganizationID: "org_a", E164: "+2348030000001"},
			{ID: "pn_2", OrganizationID: "org_b", E164: "+2348030000002"},
		},
		trunks: []*switchboard.Trunk{
			{ID: "tr_a", OrganizationID: "org_a", Status: switchboard.StatusActive, InboundAddresses: []string{"192.0.2.0/24"}},
			{ID: "tr_b", OrganizationID: "org_b", Status: switchboard.StatusActive, InboundAddresses: []string{"198.51.100.0/24"}},
			{ID: "tr_off", OrganizationID: "org_b", Status: switchboard.StatusInactive, InboundAddresses: []string{"192.0.2.0/24"}},
		},
	}
	tb := NewTable(src)
	if err := tb.Reload(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	check := func(what string, num string, addr netip.Addr, want bool) {
		t.Helper()
		if got := tb.TrunkTrusts(num, addr); got != want {
			t.Errorf("%s: TrunkTrusts(%s, %s) = %v, want %v", what, num, addr, got, want)
		}
	}
	check("own number", "+2348030000001", a, true)
	check("another's number", "+2348030000001", b, false)
	check("another's number", "+2348030000002", a, false)
	check("own number", "+2348030000002", b, true)
	check("no such number", "+2348030000003", a, false)
	if !tb.TrunkSource(a) || !tb.TrunkSource(b) || tb.TrunkSource(netip.MustParseAddr("203.0.113.1")) {
		t.Errorf("TrunkSource: %v %v", tb.TrunkSource(a), tb.TrunkSource(b))
	}

	// org_a's trunk goes: a reload of org_a forgets its network only.
	src.trunks = src.trunks[1:]
	if err := tb.Reload(t.Context(), "org_a"); err != nil {
		t.Fatal(err)
	}
	check("own number, trunk gone", "+2348030000001", a, false)
	check("the other organisation's", "+2348030000002", b, true)
	if tb.TrunkSource(a) || !tb.TrunkSource(b) {
		t.Errorf("TrunkSource after the reload: %v %v", tb.TrunkSource(a), tb.TrunkSource(b))
	}
}

// TestTableOutbound: the table gives each number the trunk SelectTrunk
// chose among its own organisation's trunks, decided at load, and a
// reload follows a change of trunks.
func TestTableOutbound(t *testing.T) {
	t.Parallel()
	pinned := "tr_b2"
	src := &staticRouting{
		numbers: []*switchboard.PhoneNumber{
			{ID: "pn_1", OrganizationID: "org_a", E164: "+2348030000001"},
			{ID: "pn_2", OrganizationID: "org_b", E164: "+2348030000002"},
			{ID: "pn_3", OrganizationID: "org_b", E164: "+2348030000003", TrunkID: &pinned},
			{ID: "pn_4", OrganizationID: "org_c", E164: "+2348030000004"},
		},
		trunks: []*switchboard.Trunk{
			{ID: "tr_a", OrganizationID: "org_a", Status: switchboard.StatusActive},
			{ID: "tr_b1", OrganizationID: "org_b", Status: switchboard.StatusActive, Default: true},
			{ID: "tr_b2", OrganizationID: "org_b", Status: switchboard.StatusActive},
		},
	}
	tb := NewTable(src)
	if err := tb.Reload(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	check := func(num, wantTrunk, wantWhy string) {
		t.Helper()
		pn, tr, why := tb.Outbound(num)
		got := ""
		if tr != nil {
			got = tr.ID
		}
		if pn == nil || pn.E164 != num || got != wantTrunk || why != wantWhy {
			t.Errorf("Outbound(%s) = %v, %q, %q; want the number, %q, %q", num, pn, got, why, wantTrunk, wantWhy)
		}
	}
	check("+2348030000001", "tr_a", switchboard.TrunkOnlyActive)
	check("+2348030000002", "tr_b1", switchboard.TrunkDefault)
	check("+2348030000003", "tr_b2", switchboard.TrunkOfNumber)
	check("+2348030000004", "", switchboard.NoTrunkNone) // org_a's trunk is not org_c's
	if pn, tr, _ := tb.Outbound("+2348030000009"); pn != nil || tr != nil {
		t.Errorf("Outbound of a number nobody holds = %v, %v", pn, tr)
	}

	src.trunks[2] = &switchboard.Trunk{ID: "tr_b2", OrganizationID: "org_b", Status: switchboard.StatusInactive}
	if err := tb.Reload(t.Context(), "org_b"); err != nil {
		t.Fatal(err)
	}
	check("+2348030000003", "", switchboard.NoTrunkInactive)
	check("+2348030000001", "tr_a", switchboard.TrunkOnlyActive)
}
