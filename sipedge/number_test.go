package sipedge

import (
	"strings"
	"testing"
	"unicode/utf8"
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
