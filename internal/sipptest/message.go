package sipptest

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"
)

// Message is one SIP message from a SIPp -trace_msg log.
type Message struct {
	// Time is when SIPp logged it (local time, microseconds).
	Time time.Time
	// Sent is true for a message SIPp sent, false for one it received.
	Sent bool
	// Transport is "UDP" or "TCP".
	Transport string
	// Method and RequestURI are set for a request.
	Method     string
	RequestURI string
	// StatusCode and Reason are set for a response.
	StatusCode int
	Reason     string
	// Headers are in message order, folded lines joined.
	Headers []Header
	// Body is what follows the blank line after the headers.
	Body string
	// Raw is the whole message as it went on the wire.
	Raw string
}

// Header is one header line of a Message.
type Header struct {
	Name, Value string
}

// IsRequest reports whether m is a request.
func (m Message) IsRequest() bool { return m.Method != "" }

// compactForms maps RFC 3261 (and extension) compact header names to the
// full ones, so that Header("To") also finds "t:".
var compactForms = map[string]string{
	"a": "accept-contact", "b": "referred-by", "c": "content-type",
	"d": "request-disposition", "e": "content-encoding", "f": "from",
	"i": "call-id", "j": "reject-contact", "k": "supported",
	"l": "content-length", "m": "contact", "n": "identity-info",
	"o": "event", "r": "refer-to", "s": "subject", "t": "to",
	"u": "allow-events", "v": "via", "x": "session-expires", "y": "identity",
}

func canonicalHeader(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if full, ok := compactForms[name]; ok {
		return full
	}
	return name
}

// Header returns the value of the first header called name (matched
// without regard to case or compact form), or "".
func (m Message) Header(name string) string {
	if v := m.HeaderValues(name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// HeaderValues returns the values of every header line called name, in
// order. Comma-separated values on one line are not split.
func (m Message) HeaderValues(name string) []string {
	want := canonicalHeader(name)
	var vs []string
	for _, h := range m.Headers {
		if canonicalHeader(h.Name) == want {
			vs = append(vs, h.Value)
		}
	}
	return vs
}

// CSeq returns the number and method of m's CSeq header.
func (m Message) CSeq() (int, string) {
	num, method, _ := strings.Cut(strings.TrimSpace(m.Header("CSeq")), " ")
	n, _ := strconv.Atoi(num)
	return n, strings.TrimSpace(method)
}

// Param returns the value of the parameter name (case-insensitive) of a
// header value such as `<sip:a@b>;tag=x` or `SIP/2.0/UDP h;branch=z`,
// or "" when absent. Parameters inside <...> belong to the URI and are
// not searched.
func Param(value, name string) string {
	if i := strings.LastIndexByte(value, '>'); i >= 0 {
		value = value[i+1:]
	}
	for _, p := range strings.Split(value, ";")[1:] {
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

// URIUser returns the user part of a SIP or tel URI, given alone
// ("sip:+15551230001@host;transport=tcp") or in a header value
// (`"Bob" <sip:+15551230001@host>;tag=1`); "" when there is none.
func URIUser(s string) string {
	if i := strings.IndexByte(s, '<'); i >= 0 {
		s = s[i+1:]
		if j := strings.IndexByte(s, '>'); j >= 0 {
			s = s[:j]
		}
	}
	s = strings.TrimSpace(s)
	_, rest, ok := strings.Cut(s, ":")
	if !ok {
		return ""
	}
	if strings.HasPrefix(strings.ToLower(s), "tel:") {
		user, _, _ := strings.Cut(rest, ";")
		return user
	}
	user, _, ok := strings.Cut(rest, "@")
	if !ok {
		return ""
	}
	return user
}

// logSeparator starts each entry of a -trace_msg log, followed by a space
// and the time.
const logSeparator = "-----------------------------------------------"

// parseMessageLog parses the entries of a SIPp 3.6.1 -trace_msg log:
//
//	----------------------------------------------- 2026-11-29 02:11:47.312580
//	UDP message received [531] bytes :
//
//	<the message, CRLF line ends>
//
// ("UDP message sent (309 bytes):" for a sent one). The byte count delimits
// the message. Entries of another shape are skipped.
func parseMessageLog(log string) []Message {
	var msgs []Message
	for _, entry := range strings.Split(log, logSeparator+" ")[1:] {
		stamp, rest, ok := strings.Cut(entry, "\n")
		if !ok {
			continue
		}
		info, rest, ok := strings.Cut(rest, "\n")
		if !ok {
			continue
		}
		transport, info, _ := strings.Cut(info, " ")
		var sent bool
		var size string
		switch {
		case strings.HasPrefix(info, "message received ["):
			size, _, _ = strings.Cut(strings.TrimPrefix(info, "message received ["), "]")
		case strings.HasPrefix(info, "message sent ("):
			sent = true
			size, _, _ = strings.Cut(strings.TrimPrefix(info, "message sent ("), " ")
		default:
			continue
		}
		n, err := strconv.Atoi(size)
		if err != nil {
			continue
		}
		rest = strings.TrimPrefix(rest, "\n")
		if n > len(rest) {
			n = len(rest) // a log cut short by a killed SIPp
		}
		t, _ := time.ParseInLocation("2006-01-02 15:04:05.000000", strings.TrimSpace(stamp), time.Local)
		// One entry normally holds one message; a TCP read may hold more.
		raw := rest[:n]
		for strings.TrimSpace(raw) != "" {
			m, tail, ok := parseMessage(raw)
			if !ok {
				break
			}
			m.Time, m.Sent, m.Transport = t, sent, transport
			msgs = append(msgs, m)
			raw = tail
		}
	}
	return msgs
}

// parseMessage parses the SIP message at the start of raw and returns the
// rest of raw after it (after Content-Length bytes of body).
func parseMessage(raw string) (Message, string, bool) {
	raw = strings.TrimLeft(raw, "\r\n")
	head, body, found := strings.Cut(raw, "\r\n\r\n")
	if !found {
		head, body, found = strings.Cut(raw, "\n\n")
	}
	lines := strings.Split(strings.ReplaceAll(head, "\r\n", "\n"), "\n")
	if len(lines) == 0 || lines[0] == "" {
		return Message{}, "", false
	}
	var m Message
	first := strings.SplitN(lines[0], " ", 3)
	if len(first) < 2 {
		return Message{}, "", false
	}
	if strings.HasPrefix(first[0], "SIP/") {
		code, err := strconv.Atoi(first[1])
		if err != nil {
			return Message{}, "", false
		}
		m.StatusCode = code
		if len(first) == 3 {
			m.Reason = first[2]
		}
	} else {
		m.Method, m.RequestURI = first[0], first[1]
	}
	for _, l := range lines[1:] {
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(m.Headers) > 0 {
			m.Headers[len(m.Headers)-1].Value += " " + strings.TrimSpace(l)
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		m.Headers = append(m.Headers, Header{strings.TrimSpace(name), strings.TrimSpace(value)})
	}
	rest := ""
	if !found {
		body = ""
	} else if cl, err := strconv.Atoi(strings.TrimSpace(m.Header("Content-Length"))); err == nil && cl <= len(body) {
		body, rest = body[:cl], body[cl:]
	}
	m.Body = body
	m.Raw = raw[:len(raw)-len(rest)]
	return m, rest, true
}

// retransmissionKey identifies a message and its retransmissions: the
// same direction, Call-ID, CSeq, top Via branch and status.
func (m Message) retransmissionKey() string {
	return fmt.Sprintf("%t|%s|%s|%s|%d", m.Sent, m.Header("Call-ID"), m.Header("CSeq"), Param(m.Header("Via"), "branch"), m.StatusCode)
}

// VerifyDigest checks the digest credentials of request m (its
// Proxy-Authorization header, or else its Authorization header) against
// username and password, as a server that issued the challenge would:
// the response is recomputed from the header's own realm, nonce, uri,
// qop, nc and cnonce (MD5, MD5-sess or SHA-256). It returns nil if they
// match.
func (m Message) VerifyDigest(username, password string) error {
	if !m.IsRequest() {
		return errors.New("not a request")
	}
	h := m.Header("Proxy-Authorization")
	if h == "" {
		h = m.Header("Authorization")
	}
	if h == "" {
		return fmt.Errorf("%s has no Proxy-Authorization or Authorization header", m.Method)
	}
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return fmt.Errorf("credentials use %q, not Digest", scheme)
	}
	p := parseAuthParams(rest)
	if p["username"] != username {
		return fmt.Errorf("username %q, want %q", p["username"], username)
	}
	for _, k := range []string{"realm", "nonce", "uri", "response"} {
		if _, ok := p[k]; !ok {
			return fmt.Errorf("credentials have no %s", k)
		}
	}
	var newHash func() hash.Hash
	algo := p["algorithm"]
	switch strings.ToUpper(algo) {
	case "", "MD5", "MD5-SESS":
		newHash = md5.New
	case "SHA-256", "SHA-256-SESS":
		newHash = sha256.New
	default:
		return fmt.Errorf("unsupported algorithm %q", algo)
	}
	sum := func(parts ...string) string {
		h := newHash()
		h.Write([]byte(strings.Join(parts, ":")))
		return hex.EncodeToString(h.Sum(nil))
	}
	ha1 := sum(username, p["realm"], password)
	if strings.HasSuffix(strings.ToUpper(algo), "-SESS") {
		ha1 = sum(ha1, p["nonce"], p["cnonce"])
	}
	ha2 := sum(m.Method, p["uri"])
	want := sum(ha1, p["nonce"], ha2)
	if qop := p["qop"]; qop != "" {
		if qop != "auth" {
			return fmt.Errorf("unsupported qop %q", qop)
		}
		want = sum(ha1, p["nonce"], p["nc"], p["cnonce"], qop, ha2)
	}
	if !strings.EqualFold(p["response"], want) {
		return fmt.Errorf("response %s does not match the password (want %s)", p["response"], want)
	}
	return nil
}

// parseAuthParams parses `k="v", k2=v2` (commas inside quotes kept).
func parseAuthParams(s string) map[string]string {
	params := map[string]string{}
	for s != "" {
		s = strings.TrimLeft(s, " \t,")
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		rest = strings.TrimLeft(rest, " \t")
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := 1
			for end < len(rest) && rest[end] != '"' {
				if rest[end] == '\\' {
					end++
				}
				end++
			}
			v = strings.ReplaceAll(rest[1:min(end, len(rest))], `\`, "")
			rest = rest[min(end+1, len(rest)):]
		} else {
			v, rest, _ = strings.Cut(rest, ",")
			v = strings.TrimSpace(v)
		}
		params[k] = v
		s = rest
	}
	return params
}
