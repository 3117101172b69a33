package switchboard

import (
	"net/netip"
	"strconv"
	"strings"
)

// SIPURI is a parsed sip: or sips: URI of the kind an endpoint dials:
// an optional user, a host, an optional port and URI parameters. Passwords
// in the URI and URI headers (?a=b) are refused: credentials belong in the
// endpoint's write-only credentials, not in a URL that is shown back.
type SIPURI struct {
	Scheme string // "sip" or "sips"
	User   string
	Host   string // hostname, IPv4 or bracketed IPv6
	Port   int    // 0 when absent
	Params []SIPParam
}

// SIPParam is one ;name[=value] URI parameter, in the order given.
type SIPParam struct {
	Name, Value string
}

// Param returns the value of the named parameter (case-insensitive name).
func (u SIPURI) Param(name string) (string, bool) {
	for _, p := range u.Params {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// Transport returns the lower-case transport parameter, or "" when absent.
func (u SIPURI) Transport() string {
	t, _ := u.Param("transport")
	return strings.ToLower(t)
}

// String renders the URI in canonical form.
func (u SIPURI) String() string {
	var b strings.Builder
	b.WriteString(u.Scheme)
	b.WriteByte(':')
	if u.User != "" {
		b.WriteString(u.User)
		b.WriteByte('@')
	}
	b.WriteString(u.Host)
	if u.Port != 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(u.Port))
	}
	for _, p := range u.Params {
		b.WriteByte(';')
		b.WriteString(p.Name)
		if p.Value != "" {
			b.WriteByte('=')
			b.WriteString(p.Value)
		}
	}
	return b.String()
}

// ParseSIPURI parses s as a SIP URI (RFC 3261 §19.1, the subset endpoints need).
func ParseSIPURI(s string) (SIPURI, error) {
	var u SIPURI
	if len(s) > 1024 {
		return u, Errorf(ECodeValidation, "SIP URI is too long")
	}
	scheme, rest, ok := strings.Cut(s, ":")
	scheme = strings.ToLower(scheme)
	if !ok || (scheme != "sip" && scheme != "sips") {
		return u, Errorf(ECodeValidation, "%q is not a SIP URI (it must start with sip: or sips:)", s)
	}
	u.Scheme = scheme
	if strings.ContainsAny(rest, "?> \t\r\n") {
		return u, Errorf(ECodeValidation, "SIP URI %q must not contain headers or spaces", s)
	}
	hostport, params, _ := strings.Cut(rest, ";")
	if at := strings.LastIndexByte(hostport, '@'); at >= 0 {
		u.User, hostport = hostport[:at], hostport[at+1:]
		if u.User == "" {
			return u, Errorf(ECodeValidation, "SIP URI %q has an empty user part", s)
		}
		if strings.Contains(u.User, ":") {
			return u, Errorf(ECodeValidation, "SIP URI %q must not carry a password; use credentials", s)
		}
		if !validSIPUser(u.User) {
			return u, Errorf(ECodeValidation, "SIP URI %q has an invalid user part", s)
		}
	}
	host, port, err := splitSIPHostPort(hostport)
	if err != nil {
		return u, Errorf(ECodeValidation, "SIP URI %q: %s", s, err.Message)
	}
	u.Host, u.Port = host, port
	if params != "" {
		for _, p := range strings.Split(params, ";") {
			name, value, _ := strings.Cut(p, "=")
			if !isSIPToken(name) || (value != "" && !isSIPToken(value)) {
				return u, Errorf(ECodeValidation, "SIP URI %q has an invalid parameter %q", s, p)
			}
			u.Params = append(u.Params, SIPParam{Name: name, Value: value})
		}
	}
	switch u.Transport() {
	case "", "udp", "tcp", "tls":
	default:
		return u, Errorf(ECodeValidation, "SIP URI %q: transport must be udp, tcp or tls", s)
	}
	if u.Scheme == "sips" && u.Transport() == "udp" {
		// sips: asks for TLS on every hop (RFC 3261 §19.1.2); UDP cannot
		// carry it, so the URI contradicts itself.
		return u, Errorf(ECodeValidation, "SIP URI %q: a sips: URI needs a secure transport (tcp or tls), not udp", s)
	}
	return u, nil
}

func splitSIPHostPort(hp string) (string, int, *Error) {
	host, portStr := hp, ""
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return "", 0, Errorf(ECodeValidation, "unterminated IPv6 address")
		}
		host = hp[:end+1]
		if a, err := netip.ParseAddr(hp[1:end]); err != nil || !a.Is6() {
			return "", 0, Errorf(ECodeValidation, "invalid IPv6 address")
		}
		rest := hp[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return "", 0, Errorf(ECodeValidation, "invalid host")
			}
			portStr = rest[1:]
		}
	} else {
		if i := strings.IndexByte(hp, ':'); i >= 0 {
			host, portStr = hp[:i], hp[i+1:]
		}
		if !validHostname(host) {
			return "", 0, Errorf(ECodeValidation, "invalid host %q", host)
		}
	}
	port := 0
	if portStr != "" || strings.HasSuffix(hp, ":") {
		p, err := strconv.Atoi(portStr)
		if err != nil || p < 1 || p > 65535 || portStr[0] == '+' {
			return "", 0, Errorf(ECodeValidation, "invalid port %q", portStr)
		}
		port = p
	}
	return host, port, nil
}

// validHostname accepts DNS names and dotted IPv4 addresses.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func validSIPUser(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-_.!~*'()&=+$,/", c) >= 0:
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isSIPToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-.!%*_+`'~", c) >= 0) {
			return false
		}
	}
	return true
}
