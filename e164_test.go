package switchboard

import (
	"strings"
	"testing"
)

func TestNormalizeE164(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		raw    string
		region string
		want   string // "" means an error is expected
	}{
		{name: "E.164 Nigeria", raw: "+2348012345678", want: "+2348012345678"},
		{name: "E.164 US", raw: "+14155551234", want: "+14155551234"},
		{name: "E.164 UK", raw: "+442071838750", want: "+442071838750"},
		{name: "E.164 ignores default region", raw: "+442071838750", region: "NG", want: "+442071838750"},
		{name: "surrounding whitespace", raw: "  +14155551234\t", want: "+14155551234"},
		{name: "spaces", raw: "+234 801 234 5678", want: "+2348012345678"},
		{name: "dashes", raw: "+1-415-555-1234", want: "+14155551234"},
		{name: "brackets", raw: "+1 (415) 555-1234", want: "+14155551234"},
		{name: "dots", raw: "+1.415.555.1234", want: "+14155551234"},
		{name: "national NG with region", raw: "08012345678", region: "NG", want: "+2348012345678"},
		{name: "national US with region", raw: "(415) 555-1234", region: "US", want: "+14155551234"},
		{name: "region is case-insensitive", raw: "08012345678", region: "ng", want: "+2348012345678"},
		{name: "00 international prefix", raw: "002348012345678", want: "+2348012345678"},
		{name: "00 international prefix with spaces", raw: "00 44 20 7183 8750", want: "+442071838750"},
		{name: "00 with a region whose IDD is 00", raw: "00442071838750", region: "GB", want: "+442071838750"},

		{name: "empty", raw: ""},
		{name: "only spaces", raw: "   "},
		{name: "only letters", raw: "abc"},
		{name: "only plus", raw: "+"},
		{name: "letters in a number (vanity)", raw: "+1 800 FLOWERS"},
		{name: "letters at the end", raw: "+1415555CALL"},
		{name: "extension is not E.164", raw: "+14155551234 ext 5"},
		{name: "no plus and no region", raw: "8012345678"},
		{name: "national number without region", raw: "08012345678"},
		{name: "unknown region for national number", raw: "08012345678", region: "XX"},
		{name: "too long string", raw: "+" + strings.Repeat("1", 40)},
		{name: "too many digits", raw: "+1415555123456789"},
		{name: "too short", raw: "+1234"},
		{name: "unknown country code", raw: "+99912345678"},
		{name: "country code zero", raw: "+0123456789"},
		{name: "tel URI", raw: "tel:+14155551234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizeE164(tt.raw, tt.region)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("NormalizeE164(%q, %q) = %q, want an error", tt.raw, tt.region, got)
				}
				if ErrorCode(err) != ECodeValidation {
					t.Fatalf("NormalizeE164(%q, %q) error code = %q, want %q", tt.raw, tt.region, ErrorCode(err), ECodeValidation)
				}
				return
			}
			if err != nil {
				t.Fatalf("NormalizeE164(%q, %q) error: %v", tt.raw, tt.region, err)
			}
			if got != tt.want {
				t.Fatalf("NormalizeE164(%q, %q) = %q, want %q", tt.raw, tt.region, got, tt.want)
			}
		})
	}
}

func TestRegionOfE164(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, number, want string
	}{
		{name: "Nigeria", number: "+2348012345678", want: "NG"},
		{name: "US", number: "+14155551234", want: "US"},
		{name: "UK", number: "+442071838750", want: "GB"},
		{name: "UK drama range: possible, not valid", number: "+447700900123", want: "GB"},
		{name: "NANP fictional 555-01xx: +1's main region", number: "+15555550100", want: "US"},
		{name: "international freephone has no region", number: "+80012345678", want: ""},
		{name: "garbage", number: "hello", want: ""},
		{name: "empty", number: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := RegionOfE164(tt.number); got != tt.want {
				t.Fatalf("RegionOfE164(%q) = %q, want %q", tt.number, got, tt.want)
			}
		})
	}
}

func TestValidCountry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cc   string
		want bool
	}{
		{"NG", true},
		{"US", true},
		{"GB", true},
		{"ng", false},
		{"Ng", false},
		{"XX", false},
		{"ZZ", false},
		{"UK", false},
		{"USA", false},
		{"001", false},
		{"", false},
		{"N", false},
	}
	for _, tt := range tests {
		t.Run(tt.cc, func(t *testing.T) {
			t.Parallel()
			if got := ValidCountry(tt.cc); got != tt.want {
				t.Fatalf("ValidCountry(%q) = %v, want %v", tt.cc, got, tt.want)
			}
		})
	}
}

// TestNormalizeE164TooLong: libphonenumber calls some 16-digit numbers
// possible; E.164 stops at 15 digits (found by fuzzing the SIP edge).
func TestNormalizeE164TooLong(t *testing.T) {
	t.Parallel()
	if got, err := NormalizeE164("+2341000000000000", ""); err == nil {
		t.Errorf("NormalizeE164 accepted 16 digits: %s", got)
	}
}
