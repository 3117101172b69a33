package sipedge

import (
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// calledNumber is the Request-URI user (else the To user) in E.164.
func calledNumber(req *sip.Request, country string) (string, error) {
	user := req.Recipient.User
	if user == "" {
		user = req.To().Address.User
	}
	return normalizeUser(user, country)
}

// callerNumber is the From user in E.164 when it is a number, else as sent
// (an anonymous or alphanumeric caller).
func callerNumber(req *sip.Request, country string) string {
	from := req.From()
	if from == nil {
		return ""
	}
	if n, err := normalizeUser(from.Address.User, country); err == nil {
		return n
	}
	u := from.Address.User
	if len(u) > 64 {
		u = u[:64]
	}
	return u
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
