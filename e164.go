package switchboard

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// NormalizeE164 parses a phone number and returns it in E.164 form
// (+CC…). A number without a leading + is read as a national number of
// defaultRegion (an ISO 3166 alpha-2 code); with no default region such a
// number is rejected. Spaces, dashes, dots and brackets are tolerated on
// input; the output never has them.
func NormalizeE164(raw, defaultRegion string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", Errorf(ECodeValidation, "phone number is empty")
	}
	if len(s) > 32 {
		return "", Errorf(ECodeValidation, "phone number is too long")
	}
	// libphonenumber would read letters as keypad digits and drop
	// extensions; a DID is digits only, so both are refused.
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || strings.IndexByte("+ -.()/", c) >= 0) {
			return "", Errorf(ECodeValidation, "phone number %q may only hold digits, a leading + and separators", raw)
		}
	}
	if strings.LastIndexByte(s, '+') > 0 {
		return "", Errorf(ECodeValidation, "phone number %q has a + after its start", raw)
	}
	if strings.HasPrefix(s, "00") && defaultRegion == "" {
		s = "+" + s[2:]
	}
	region := strings.ToUpper(defaultRegion)
	if !strings.HasPrefix(s, "+") && region == "" {
		return "", Errorf(ECodeValidation, "phone number %q is not in E.164 format (+ and country code)", raw)
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", Errorf(ECodeValidation, "phone number %q is not a valid phone number", raw)
	}
	if !phonenumbers.IsPossibleNumber(num) {
		return "", Errorf(ECodeValidation, "phone number %q is not a possible number", raw)
	}
	out := phonenumbers.Format(num, phonenumbers.E164)
	if len(out) > 16 {
		// E.164 allows 15 digits; libphonenumber's "possible" is looser
		// for some regions (found by fuzzing the SIP edge).
		return "", Errorf(ECodeValidation, "phone number %q has more than 15 digits", raw)
	}
	// A number whose E.164 form reads back as another number (a national
	// prefix stripped twice) is ambiguous; refuse it rather than store it.
	again, err := phonenumbers.Parse(out, "")
	if err != nil || phonenumbers.Format(again, phonenumbers.E164) != out {
		return "", Errorf(ECodeValidation, "phone number %q is ambiguous; send it in E.164 format", raw)
	}
	return out, nil
}

// RegionOfE164 returns the ISO 3166 alpha-2 region of an E.164 number, or
// "" when the number belongs to no single region (+800 freephone). A number
// libphonenumber knows as valid gets the region of its range; one that is
// only possible (a range not yet allocated, or reserved for fiction like the
// UK's +44 7700 900xxx and North America's 555-01xx) gets the main region of
// its country code, which is where such a number is dialled.
func RegionOfE164(e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return ""
	}
	r := phonenumbers.GetRegionCodeForNumber(num)
	if r == "" && phonenumbers.IsPossibleNumber(num) {
		r = phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode()))
	}
	if r == "" || r == "ZZ" || r == "001" {
		return ""
	}
	return r
}

// InRegion reports whether the E.164 number may belong to country: the
// region of a valid number must be country; a number libphonenumber cannot
// place in a range may belong to any region sharing its country code (+1
// is the US, Canada and the Caribbean).
func InRegion(e164, country string) bool {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return false
	}
	if r := phonenumbers.GetRegionCodeForNumber(num); r != "" {
		return r == country
	}
	for _, r := range phonenumbers.GetRegionCodesForCountryCode(int(num.GetCountryCode())) {
		if r == country {
			return true
		}
	}
	return false
}

// ValidCountry reports whether cc is a two-letter upper-case region code
// that libphonenumber knows.
func ValidCountry(cc string) bool {
	if len(cc) != 2 || cc != strings.ToUpper(cc) {
		return false
	}
	return phonenumbers.GetCountryCodeForRegion(cc) != 0
}
