package sipedge

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// calledNumber is the Request-URI user (else the To user) in E.164. It is
// read before a request is known to be well-formed (admitsInvite, in the
// read filter): a request without a To has no number.
func calledNumber(req *sip.Request, country string) (string, error) {
	user := req.Recipient.User
	if to := req.To(); user == "" && to != nil {
		user = to.Address.User
	}
	return normalizeUser(user, country)
}

// callerNumber is the From user in E.164 when it is a number; else the
// number is "" and raw is the user as sent (an anonymous or alphanumeric
// caller), made printable: a record's from_number is a number or nothing.
func callerNumber(req *sip.Request, country string) (number, raw string) {
	from := req.From()
	if from == nil {
		return "", ""
	}
	if n, err := normalizeUser(from.Address.User, country); err == nil {
		return n, ""
	}
	return "", printableUser(from.Address.User)
}

// maxRawCaller bounds the caller's From user kept when it is not a number.
const maxRawCaller = 64

// printableUser is the caller's From user as the call record keeps it when
// it is not a number: anyone can send any bytes there, and the record's
// text must be storable (PostgreSQL refuses NUL and invalid UTF-8) and
// safe to show, so control characters and invalid bytes are dropped and the
// result is cut to maxRawCaller bytes on a character boundary.
func printableUser(u string) string {
	clean := true
	for _, r := range u {
		if r == utf8.RuneError || unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean && len(u) <= maxRawCaller {
		return u
	}
	var b strings.Builder
	for _, r := range u {
		if r == utf8.RuneError || unicode.IsControl(r) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > maxRawCaller {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// visualSeparators are characters carriers leave in dialled numbers.
var visualSeparators = strings.NewReplacer("-", "", ".", "", "(", "", ")", "")

// normalizeUser turns a URI user into E.164, dropping user parameters
// (";npdi", ";rn=") and visual separators carriers leave in.
func normalizeUser(user, country string) (string, error) {
	if i := strings.IndexByte(user, ';'); i >= 0 {
		user = user[:i]
	}
	if plainE164(user) {
		return user, nil // the common case, without a metadata lookup
	}
	user = visualSeparators.Replace(user)
	if strings.HasPrefix(user, "00") {
		user = "+" + user[2:]
	}
	if country == "" && !strings.HasPrefix(user, "+") {
		// Without a default country a bare number is taken as
		// international without its +, the way most carriers send it.
		user = "+" + user
	}
	return switchboard.NormalizeE164(user, country)
}

// plainE164 reports whether s is already "+" and up to 15 digits (E.164's
// limit), the form carriers send and the table is keyed by.
func plainE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
