// Package jsonenc appends JSON strings and times exactly as encoding/json
// writes them (HTML escaping on), without reflection or allocation. The
// hottest encoders are written by hand on top of it: the API's endpoint
// responses (httpapi) and the SIP edge's call journal (sipedge). Their
// tests compare whole documents with json.Marshal; this package's tests
// compare each piece.
package jsonenc

import (
	"time"
	"unicode/utf8"
)

// AppendTime appends t quoted as time.Time.MarshalJSON writes it (RFC 3339
// with nanoseconds, trailing zeros trimmed). ok is false where MarshalJSON
// fails: a year outside [0,9999] or a zone offset of 24 hours or more.
// Times in UTC, which is every time the stores return, take a direct
// path; the others go through time.Time.AppendFormat.
func AppendTime(b []byte, t time.Time) (_ []byte, ok bool) {
	if t.Location() == time.UTC {
		if sec := t.Unix(); minRFC3339 <= sec && sec <= maxRFC3339 {
			return appendUTC(b, sec, t.Nanosecond()), true
		}
		return b, false
	}
	b = append(b, '"')
	n0 := len(b)
	b = t.AppendFormat(b, time.RFC3339Nano)
	// The checks of time.Time.appendStrictRFC3339, on what was appended.
	if len(b)-n0 < len("2006-01-02T15:04:05Z") || b[n0+len("2006")] != '-' {
		return b, false
	}
	if b[len(b)-1] != 'Z' {
		// The sign must be where a two-digit hour puts it, and the hour below 24.
		c := b[len(b)-len("Z07:00")]
		h := b[len(b)-len("07:00"):]
		if '0' <= c && c <= '9' || 10*(h[0]-'0')+(h[1]-'0') >= 24 {
			return b, false
		}
	}
	return append(b, '"'), true
}

// The Unix times of 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the
// range of four-digit years.
const (
	minRFC3339 = -62167219200
	maxRFC3339 = 253402300799
)

// appendUTC appends "YYYY-MM-DDThh:mm:ss[.fraction]Z", quoted, for sec
// seconds since the Unix epoch in [minRFC3339, maxRFC3339] and nsec
// nanoseconds, as time.Time.AppendFormat(time.RFC3339Nano) writes a UTC time.
func appendUTC(b []byte, sec int64, nsec int) []byte {
	days := sec / 86400
	rem := int(sec - days*86400)
	if rem < 0 {
		days--
		rem += 86400
	}
	// Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil
	// inverse), with eras of 400 years starting on 0000-03-01.
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := int(z - era*146097)                             // day of era, [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // year of era, [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // day of year from March 1, [0, 365]
	mp := (5*doy + 2) / 153                                // month from March, [0, 11]
	day := doy - (153*mp+2)/5 + 1
	month := mp + 3
	if mp >= 10 {
		month = mp - 9
	}
	year := yoe + int(era)*400
	if month <= 2 {
		year++
	}

	var buf [len(`"2006-01-02T15:04:05.999999999Z"`)]byte
	buf[0] = '"'
	put2(buf[1:], year/100)
	put2(buf[3:], year%100)
	buf[5] = '-'
	put2(buf[6:], month)
	buf[8] = '-'
	put2(buf[9:], day)
	buf[11] = 'T'
	put2(buf[12:], rem/3600)
	buf[14] = ':'
	put2(buf[15:], rem/60%60)
	buf[17] = ':'
	put2(buf[18:], rem%60)
	n := 20
	if nsec != 0 {
		// Nine digits in independent pieces rather than a chain of
		// divisions by ten; trailing zeros are trimmed below.
		buf[20] = '.'
		hi, lo := nsec/100000, nsec%100000 // 4 + 5 digits
		put2(buf[21:], hi/100)
		put2(buf[23:], hi%100)
		buf[25] = byte('0' + lo/10000)
		put2(buf[26:], lo/100%100)
		put2(buf[28:], lo%100)
		n = 30
		for buf[n-1] == '0' {
			n--
		}
	}
	buf[n] = 'Z'
	buf[n+1] = '"'
	return append(b, buf[:n+2]...)
}

// put2 writes v in [0, 99] as two digits.
func put2(b []byte, v int) {
	_ = b[1]
	b[0] = digitPairs[2*v]
	b[1] = digitPairs[2*v+1]
}

const digitPairs = "00010203040506070809" + "10111213141516171819" + "20212223242526272829" +
	"30313233343536373839" + "40414243444546474849" + "50515253545556575859" + "60616263646566676869" +
	"70717273747576777879" + "80818283848586878889" + "90919293949596979899"

// AppendOptional appends key (the member's name with its separators, such
// as `,"name":`) and s, unless s is empty: a string field with omitempty.
func AppendOptional(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return AppendString(append(b, key...), s)
}

// AppendString appends s as a JSON string exactly as encoding/json does with
// HTML escaping on: ", \ and control characters escaped (\b \f \n \r \t by
// name, the rest as \u00XX), <, > and & as \u003c \u003e \u0026, invalid
// UTF-8 replaced by \ufffd, and U+2028 and U+2029 escaped.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip eight safe bytes at a time (see safe8, inlined by hand).
		for i+8 <= len(s) {
			w := s[i : i+8]
			x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
			if unsafe8(x) != 0 {
				break
			}
			i += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// unsafe8 is non-zero when some byte of x (eight bytes of a string, the
// first in the low byte) is not written as it is by encoding/json: a
// control character, a byte >= 0x80, or one of " \\ < > &. It tests the
// eight at once (SWAR); each term is exact as a whole, which is all that
// is needed.
func unsafe8(x uint64) uint64 {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	bad := x & msb                   // a byte >= 0x80; the terms below assume there is none
	bad |= (x - lsb*0x20) &^ x & msb // a byte < 0x20
	v := (x | lsb*0x02) ^ lsb*'>'    // zero where the byte is < or >
	bad |= (v - lsb) &^ v & msb
	v = (x | lsb*0x04) ^ lsb*'&' // zero where the byte is " or &
	bad |= (v - lsb) &^ v & msb
	v = x ^ lsb*'\\' // zero where the byte is a backslash
	bad |= (v - lsb) &^ v & msb
	return bad
}

const hexDigits = "0123456789abcdef"

// jsonSafe reports the ASCII bytes encoding/json writes as they are with
// HTML escaping on: printable ASCII but ", \, <, > and &.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()
