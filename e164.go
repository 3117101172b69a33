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
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// RegionOfE164 returns the ISO 3166 alpha-2 region of an E.164 number, or
// "" when the number belongs to no single region.
func RegionOfE164(e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return ""
	}
	r := phonenumbers.GetRegionCodeForNumber(num)
	if r == "ZZ" || r == "001" {
		return ""
	}
	return r
}

// ValidCountry reports whether cc is a two-letter upper-case region code
// that libphonenumber knows.
func ValidCountry(cc string) bool {
	if len(cc) != 2 || cc != strings.ToUpper(cc) {
		return false
	}
	return phonenumbers.GetCountryCodeForRegion(cc) != 0
}
