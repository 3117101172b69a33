package switchboard

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseSIPURIAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want SIPURI
	}{
		{
			name: "ElevenLabs agent",
			in:   "sip:agent@sip.rtc.elevenlabs.io",
			want: SIPURI{Scheme: "sip", User: "agent", Host: "sip.rtc.elevenlabs.io"},
		},
		{
			name: "ElevenLabs default",
			in:   "sip:sip.rtc.elevenlabs.io:5060;transport=tcp",
			want: SIPURI{Scheme: "sip", Host: "sip.rtc.elevenlabs.io", Port: 5060, Params: []SIPParam{{"transport", "tcp"}}},
		},
		{
			name: "sips with IPv6 and port",
			in:   "sips:x@[2001:db8::1]:5061",
			want: SIPURI{Scheme: "sips", User: "x", Host: "[2001:db8::1]", Port: 5061},
		},
		{
			name: "E.164 user at IPv4 over UDP",
			in:   "sip:+14155551234@10.0.0.1;transport=udp",
			want: SIPURI{Scheme: "sip", User: "+14155551234", Host: "10.0.0.1", Params: []SIPParam{{"transport", "udp"}}},
		},
		{
			name: "Vapi",
			in:   "sip:NAME@sip.vapi.ai",
			want: SIPURI{Scheme: "sip", User: "NAME", Host: "sip.vapi.ai"},
		},
		{
			name: "IPv6 without port",
			in:   "sip:[::1]",
			want: SIPURI{Scheme: "sip", Host: "[::1]"},
		},
		{
			name: "upper-case scheme, several params, flag param",
			in:   "SIP:Agent@Example.COM;Transport=TLS;lr",
			want: SIPURI{Scheme: "sip", User: "Agent", Host: "Example.COM", Params: []SIPParam{{"Transport", "TLS"}, {"lr", ""}}},
		},
		{
			name: "escaped user",
			in:   "sip:a%20b@host.example",
			want: SIPURI{Scheme: "sip", User: "a%20b", Host: "host.example"},
		},
		{
			name: "single-label host, highest port",
			in:   "sip:localhost:65535",
			want: SIPURI{Scheme: "sip", Host: "localhost", Port: 65535},
		},
		{
			name: "lowest port",
			in:   "sip:pbx.example.com:1",
			want: SIPURI{Scheme: "sip", Host: "pbx.example.com", Port: 1},
		},
		{
			name: "sips over tcp",
			in:   "sips:agent@sip.example.com;transport=tcp",
			want: SIPURI{Scheme: "sips", User: "agent", Host: "sip.example.com", Params: []SIPParam{{"transport", "tcp"}}},
		},
		{
			name: "LiveKit",
			in:   "sip:proj-123.sip.livekit.cloud;transport=tls",
			want: SIPURI{Scheme: "sip", Host: "proj-123.sip.livekit.cloud", Params: []SIPParam{{"transport", "tls"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSIPURI(tt.in)
			if err != nil {
				t.Fatalf("ParseSIPURI(%q) error: %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseSIPURI(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseSIPURIRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
	}{
		{"empty", ""},
		{"http URL", "http://sip.example.com"},
		{"https URL", "https://sip.example.com/agent"},
		{"tel URI", "tel:+14155551234"},
		{"no scheme", "agent@sip.example.com"},
		{"scheme only", "sip:"},
		{"missing host after user", "sip:agent@"},
		{"missing host before params", "sip:;transport=tcp"},
		{"empty user before @", "sip:@sip.example.com"},
		{"password in URI", "sip:agent:secret@sip.example.com"},
		{"empty password", "sip:agent:@sip.example.com"},
		{"headers", "sip:agent@sip.example.com?a=b"},
		{"header marker alone", "sip:sip.example.com?"},
		{"angle brackets", "<sip:agent@sip.example.com>"},
		{"port zero", "sip:sip.example.com:0"},
		{"port too big", "sip:sip.example.com:70000"},
		{"port 65536", "sip:sip.example.com:65536"},
		{"port not a number", "sip:sip.example.com:abc"},
		{"empty port", "sip:sip.example.com:"},
		{"signed port", "sip:sip.example.com:+5060"},
		{"negative port", "sip:sip.example.com:-1"},
		{"two ports", "sip:sip.example.com:5060:5060"},
		{"transport ws", "sip:sip.example.com;transport=ws"},
		{"transport WSS", "sip:sip.example.com;transport=WSS"},
		{"transport sctp", "sip:sip.example.com;transport=sctp"},
		{"sips over udp", "sips:agent@sip.example.com;transport=udp"},
		{"sips over UDP", "SIPS:agent@sip.example.com:5061;transport=UDP"},
		{"space in host", "sip:sip example.com"},
		{"space after scheme", "sip: sip.example.com"},
		{"space in user", "sip:a b@sip.example.com"},
		{"leading space", " sip:sip.example.com"},
		{"trailing newline", "sip:sip.example.com\n"},
		{"tab", "sip:sip.example.com\t"},
		{"unterminated IPv6", "sip:[2001:db8::1"},
		{"IPv4 in brackets", "sip:[10.0.0.1]"},
		{"junk after IPv6", "sip:[::1]x"},
		{"empty IPv6 port", "sip:[::1]:"},
		{"bare IPv6", "sip:2001:db8::1"},
		{"label starts with dash", "sip:-host.example.com"},
		{"label ends with dash", "sip:host-.example.com"},
		{"empty label", "sip:host..example.com"},
		{"underscore in host", "sip:ho_st.example.com"},
		{"label too long", "sip:" + strings.Repeat("a", 64) + ".example.com"},
		{"bad escape in user", "sip:a%zz@sip.example.com"},
		{"truncated escape in user", "sip:a%2@sip.example.com"},
		{"bracket in user", "sip:a<b@sip.example.com"},
		{"empty param", "sip:sip.example.com;;lr"},
		{"param without name", "sip:sip.example.com;=x"},
		{"param value with equals", "sip:sip.example.com;a=b=c"},
		{"too long", "sip:" + strings.Repeat("a", 1030) + "@sip.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSIPURI(tt.in)
			if err == nil {
				t.Fatalf("ParseSIPURI(%q) = %#v, want an error", tt.in, got)
			}
			if ErrorCode(err) != ECodeValidation {
				t.Fatalf("ParseSIPURI(%q) error code = %q, want %q", tt.in, ErrorCode(err), ECodeValidation)
			}
		})
	}
}

func TestSIPURIString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"ElevenLabs default", "sip:sip.rtc.elevenlabs.io:5060;transport=tcp", "sip:sip.rtc.elevenlabs.io:5060;transport=tcp"},
		{"Retell default", "sip:sip.retellai.com;transport=tcp", "sip:sip.retellai.com;transport=tcp"},
		{"user and host", "sip:agent@sip.rtc.elevenlabs.io", "sip:agent@sip.rtc.elevenlabs.io"},
		{"IPv6", "sips:x@[2001:db8::1]:5061", "sips:x@[2001:db8::1]:5061"},
		{"flag param", "sip:sip.example.com;lr;transport=udp", "sip:sip.example.com;lr;transport=udp"},
		{"scheme lower-cased", "SIPS:agent@sip.example.com", "sips:agent@sip.example.com"},
		{"leading zeros in port dropped", "sip:sip.example.com:05060", "sip:sip.example.com:5060"},
		{"empty trailing params dropped", "sip:sip.example.com;", "sip:sip.example.com"},
		{"param case kept", "sip:sip.example.com;Transport=TCP", "sip:sip.example.com;Transport=TCP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := ParseSIPURI(tt.in)
			if err != nil {
				t.Fatalf("ParseSIPURI(%q) error: %v", tt.in, err)
			}
			got := u.String()
			if got != tt.want {
				t.Fatalf("ParseSIPURI(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
			again, err := ParseSIPURI(got)
			if err != nil {
				t.Fatalf("re-parsing %q: %v", got, err)
			}
			if !reflect.DeepEqual(again, u) {
				t.Fatalf("re-parsing %q = %#v, want %#v", got, again, u)
			}
		})
	}
}

func TestSIPURITransport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"absent", "sip:sip.example.com", ""},
		{"lower", "sip:sip.example.com;transport=tcp", "tcp"},
		{"upper value", "sip:sip.example.com;transport=TCP", "tcp"},
		{"mixed value", "sip:sip.example.com;transport=Tls", "tls"},
		{"upper name", "sip:sip.example.com;TRANSPORT=UDP", "udp"},
		{"after another param", "sip:sip.example.com;lr;transport=udp", "udp"},
		{"other params only", "sip:sip.example.com;lr;maddr=10.0.0.1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := ParseSIPURI(tt.in)
			if err != nil {
				t.Fatalf("ParseSIPURI(%q) error: %v", tt.in, err)
			}
			if got := u.Transport(); got != tt.want {
				t.Fatalf("Transport() of %q = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
