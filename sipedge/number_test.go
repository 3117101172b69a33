package sipedge

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/emiago/sipgo/sip"
)

func TestPrintableUser(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"sipp", "sipp"},
		{"", ""},
		{"a\x00b", "ab"},
		{"a\x1b[31mb\x7f", "a[31mb"},
		{"bad\xff\xfebytes", "badbytes"},
		{"café", "café"},
		{strings.Repeat("a", 70), strings.Repeat("a", maxRawCaller)},
		// 63 ASCII bytes and a 2-byte character: the character does not fit.
		{strings.Repeat("a", 63) + "é", strings.Repeat("a", 63)},
	} {
		got := printableUser(tc.in)
		if got != tc.want {
			t.Errorf("printableUser(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !utf8.ValidString(got) || len(got) > maxRawCaller {
			t.Errorf("printableUser(%q) = %q: not storable", tc.in, got)
		}
	}
}

// TestCallerNumber: the From user in E.164 when it is a number, else no
// number and the user as sent, made printable.
func TestCallerNumber(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ user, country, number, raw string }{
		{"+2348031234567", "", "+2348031234567", ""},
		{"2348031234567", "", "+2348031234567", ""},
		{"08031234567", "NG", "+2348031234567", ""},
		{"+1-415-555-1234;npdi", "", "+14155551234", ""},
		{"sipp", "", "", "sipp"},
		{"anonymous", "NG", "", "anonymous"},
		{"", "", "", ""},
		{"bad\x00user", "", "", "baduser"},
	} {
		req := sip.NewRequest(sip.INVITE, sip.Uri{User: "+14155550100", Host: "example.com"})
		req.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: tc.user, Host: "carrier.example.com"}})
		number, raw := callerNumber(req, tc.country)
		if number != tc.number || raw != tc.raw {
			t.Errorf("callerNumber(From user %q, %q) = %q, %q; want %q, %q", tc.user, tc.country, number, raw, tc.number, tc.raw)
		}
	}
	if number, raw := callerNumber(sip.NewRequest(sip.INVITE, sip.Uri{Host: "example.com"}), ""); number != "" || raw != "" {
		t.Errorf("callerNumber without From = %q, %q", number, raw)
	}
}
