package switchboard

import (
	"testing"
)

func TestNewInventoryNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		raw     string
		country string
		typ     string
		want    *InventoryNumber // nil means an error is expected
	}{
		{
			name: "country inferred from NG number, default type",
			raw:  "+2348012345678",
			want: &InventoryNumber{Number: "+2348012345678", Country: "NG", Type: NumberLocal},
		},
		{
			name: "country inferred from US number",
			raw:  "+1 415 555 1234", typ: NumberMobile,
			want: &InventoryNumber{Number: "+14155551234", Country: "US", Type: NumberMobile},
		},
		{
			name: "country inferred from UK number",
			raw:  "+442071838750", typ: NumberTollFree,
			want: &InventoryNumber{Number: "+442071838750", Country: "GB", Type: NumberTollFree},
		},
		{
			name: "national NG number with explicit country",
			raw:  "08012345678", country: "NG", typ: NumberMobile,
			want: &InventoryNumber{Number: "+2348012345678", Country: "NG", Type: NumberMobile},
		},
		{
			name: "national US number with explicit country",
			raw:  "(415) 555-1234", country: "US",
			want: &InventoryNumber{Number: "+14155551234", Country: "US", Type: NumberLocal},
		},
		{name: "national number without country", raw: "08012345678"},
		{name: "international freephone without country", raw: "+80012345678"},
		{
			name: "number in a range only possible: the country code's main region",
			raw:  "+447700900123",
			want: &InventoryNumber{Number: "+447700900123", Country: "GB", Type: NumberLocal},
		},
		{
			name: "possible number of a shared country code, another region of it",
			raw:  "+15555550100", country: "CA",
			want: &InventoryNumber{Number: "+15555550100", Country: "CA", Type: NumberLocal},
		},
		{name: "possible number, region outside its country code", raw: "+447700900123", country: "FR"},
		{name: "valid number of another country", raw: "+33612345678", country: "DE"},
		{name: "invalid number", raw: "+1234"},
		{name: "empty number", raw: ""},
		{name: "invalid type", raw: "+2348012345678", typ: "fax"},
		{name: "type is case-sensitive", raw: "+2348012345678", typ: "Local"},
		{name: "unknown country", raw: "+2348012345678", country: "XX"},
		{name: "three-letter country", raw: "+2348012345678", country: "NGA"},
		{name: "lower-case country", raw: "+2348012345678", country: "ng"},
		{name: "number with no region and no country", raw: "+80012345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewInventoryNumber(tt.raw, tt.country, tt.typ)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("NewInventoryNumber(%q, %q, %q) = %+v, want an error", tt.raw, tt.country, tt.typ, got)
				}
				if ErrorCode(err) != ECodeValidation {
					t.Fatalf("error code = %q, want %q", ErrorCode(err), ECodeValidation)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewInventoryNumber(%q, %q, %q) error: %v", tt.raw, tt.country, tt.typ, err)
			}
			if *got != *tt.want {
				t.Fatalf("NewInventoryNumber(%q, %q, %q) = %+v, want %+v", tt.raw, tt.country, tt.typ, got, tt.want)
			}
		})
	}
}

func TestValidNumberType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ  string
		want bool
	}{
		{"local", true}, {"mobile", true}, {"toll_free", true},
		{"", false}, {"tollfree", false}, {"MOBILE", false}, {"fax", false},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			t.Parallel()
			if got := ValidNumberType(tt.typ); got != tt.want {
				t.Fatalf("ValidNumberType(%q) = %v, want %v", tt.typ, got, tt.want)
			}
		})
	}
}

// TestNewInventoryNumberCountries derives the country of numbers of many
// countries, as `inventory add NUMBER` does without --country.
func TestNewInventoryNumberCountries(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, want string }{
		{"+447700900123", "GB"}, // Ofcom's drama range: possible, not valid
		{"+442071838750", "GB"},
		{"+4915123456789", "DE"},
		{"+33612345678", "FR"},
		{"+919812345678", "IN"},
		{"+5511987654321", "BR"},
		{"+27821234567", "ZA"},
		{"+254712345678", "KE"},
		{"+14155551234", "US"},
		{"+15555550100", "US"}, // fictional 555-01xx: +1's main region
		{"+16135550123", "CA"},
		{"+2348012345678", "NG"},
		{"+61412345678", "AU"},
		{"+819012345678", "JP"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			got, err := NewInventoryNumber(tt.raw, "", "")
			if err != nil {
				t.Fatalf("NewInventoryNumber(%q) error: %v", tt.raw, err)
			}
			if got.Country != tt.want || got.Number != tt.raw {
				t.Fatalf("NewInventoryNumber(%q) = %s %s, want %s %s", tt.raw, got.Number, got.Country, tt.raw, tt.want)
			}
		})
	}
}
