package switchboard

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestValidateTrunkAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in string
		ok bool
	}{
		{"sip.telnyx.com", true},
		{"sip.telnyx.com:5060", true},
		{"example.pstn.twilio.com:5061", true},
		{"192.0.2.1", true},
		{"192.0.2.1:5080", true},
		{"[2001:db8::1]", true},
		{"[2001:db8::1]:5060", true},
		{"carrier.", true},
		{"", false},
		{"sip:sip.telnyx.com", false},
		{"SIPS:sip.telnyx.com", false},
		{"udp://sip.telnyx.com", false},
		{"user@sip.telnyx.com", false},
		{"sip.telnyx.com;transport=tcp", false},
		{"sip.telnyx.com:0", false},
		{"sip.telnyx.com:65536", false},
		{"sip.telnyx.com:", false},
		{"sip.telnyx.com:abc", false},
		{"2001:db8::1", false}, // an IPv6 address needs brackets
		{"[2001:db8::1", false},
		{"0.0.0.0", false},
		{"-bad.example.com", false},
		{"bad_host.example.com", false},
		{"a b", false},
		{strings.Repeat("a", 256), false},
	}
	for _, tt := range tests {
		err := ValidateTrunkAddress(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateTrunkAddress(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
		if err != nil && ErrorCode(err) != ECodeValidation {
			t.Errorf("ValidateTrunkAddress(%q) code = %s, want VALIDATION_ERROR", tt.in, ErrorCode(err))
		}
	}
}

func TestNormalizeInboundAddress(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7/32"},
		{" 192.0.2.7 ", "192.0.2.7/32"},
		{"192.0.2.7/24", "192.0.2.0/24"},
		{"10.1.2.3/8", "10.0.0.0/8"},
		{"2001:db8::1", "2001:db8::1/128"},
		{"2001:db8:1::/48", "2001:db8:1::/48"},
		{"::ffff:192.0.2.7", "192.0.2.7/32"},
		{"::ffff:192.0.2.0/120", "192.0.2.0/24"},
		{"0.0.0.0/0", ""},
		{"10.0.0.0/7", ""},
		{"2001::/16", ""},
		{"192.0.2.300", ""},
		{"192.0.2.0/33", ""},
		{"fe80::1%eth0", ""},
		{"example.com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeInboundAddress(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("NormalizeInboundAddress(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeInboundAddress(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNewTrunk(t *testing.T) {
	t.Parallel()
	base := func() TrunkInput { return TrunkInput{Name: "Telnyx", Address: "sip.telnyx.com"} }
	tests := []struct {
		name      string
		edit      func(*TrunkInput)
		wantField string // "" means valid
	}{
		{"minimal", func(*TrunkInput) {}, ""},
		{"every field", func(in *TrunkInput) {
			*in = TrunkInput{Name: "T", Address: "192.0.2.1:5060", FailoverAddresses: []string{"192.0.2.2"}, Transport: "TLS",
				AuthUsername: "u", AuthPassword: "p", Headers: map[string]string{"X-Telnyx-Username": "u"},
				NumberFormat: "no_plus", TechPrefix: "123#*", MaxConcurrentCalls: 5, Status: "inactive", Default: true,
				InboundAddresses: []string{"192.0.2.0/24"}}
		}, ""},
		{"no name", func(in *TrunkInput) { in.Name = " " }, "name"},
		{"long name", func(in *TrunkInput) { in.Name = strings.Repeat("n", MaxTrunkName+1) }, "name"},
		{"no address", func(in *TrunkInput) { in.Address = "" }, "address"},
		{"sip: address", func(in *TrunkInput) { in.Address = "sip:sip.telnyx.com" }, "address"},
		{"bad failover", func(in *TrunkInput) { in.FailoverAddresses = []string{"sip:x"} }, "failover_addresses"},
		{"failover repeats address", func(in *TrunkInput) { in.FailoverAddresses = []string{"sip.telnyx.com"} }, "failover_addresses"},
		{"failover twice", func(in *TrunkInput) { in.FailoverAddresses = []string{"a.example", "a.example"} }, "failover_addresses"},
		{"too many failovers", func(in *TrunkInput) { in.FailoverAddresses = []string{"a.e", "b.e", "c.e", "d.e", "e.e"} }, "failover_addresses"},
		{"transport", func(in *TrunkInput) { in.Transport = "sctp" }, "transport"},
		{"password without username", func(in *TrunkInput) { in.AuthPassword = "p" }, "auth_password"},
		{"username without password", func(in *TrunkInput) { in.AuthUsername = "u" }, "auth_password"},
		{"quote in username", func(in *TrunkInput) { in.AuthUsername, in.AuthPassword = `u"`, "p" }, "auth_username"},
		{"newline in password", func(in *TrunkInput) { in.AuthUsername, in.AuthPassword = "u", "p\r\n" }, "auth_password"},
		{"non X- header", func(in *TrunkInput) { in.Headers = map[string]string{"Via": "x"} }, "headers.Via"},
		{"reserved header", func(in *TrunkInput) { in.Headers = map[string]string{"X-Switchboard-Call": "x"} }, "headers.X-Switchboard-Call"},
		{"number format", func(in *TrunkInput) { in.NumberFormat = "national" }, "number_format"},
		{"tech prefix", func(in *TrunkInput) { in.TechPrefix = "12a" }, "tech_prefix"},
		{"long tech prefix", func(in *TrunkInput) { in.TechPrefix = strings.Repeat("1", 17) }, "tech_prefix"},
		{"negative concurrency", func(in *TrunkInput) { in.MaxConcurrentCalls = -1 }, "max_concurrent_calls"},
		{"status", func(in *TrunkInput) { in.Status = "paused" }, "status"},
		{"bad inbound", func(in *TrunkInput) { in.InboundAddresses = []string{"192.0.2.0/24", "nope"} }, "inbound_addresses"},
		{"too wide inbound", func(in *TrunkInput) { in.InboundAddresses = []string{"0.0.0.0/0"} }, "inbound_addresses"},
	}
	for _, tt := range tests {
		in := base()
		tt.edit(&in)
		tr, err := NewTrunk(in)
		if tt.wantField == "" {
			if err != nil {
				t.Errorf("%s: NewTrunk = %v, want valid", tt.name, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != ECodeValidation || e.Details["field"] != tt.wantField {
			t.Errorf("%s: NewTrunk = %+v, %v; want VALIDATION_ERROR on %s", tt.name, tr, err, tt.wantField)
		}
	}

	tr, err := NewTrunk(TrunkInput{Name: " T ", Address: "sip.telnyx.com", InboundAddresses: []string{"192.0.2.9", "192.0.2.9/32", "198.51.100.1/24"}})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Name != "T" || tr.Transport != TransportUDP || tr.NumberFormat != NumberFormatE164 || tr.Status != StatusActive ||
		!slices.Equal(tr.InboundAddresses, []string{"192.0.2.9/32", "198.51.100.0/24"}) {
		t.Errorf("defaults and normalisation: %+v", tr)
	}
}

func TestTrunkApply(t *testing.T) {
	t.Parallel()
	cur, err := NewTrunk(TrunkInput{Name: "T", Address: "a.example", Transport: "tcp", AuthUsername: "u", AuthPassword: "p",
		NumberFormat: "no_plus", TechPrefix: "9", MaxConcurrentCalls: 3, Default: true})
	if err != nil {
		t.Fatal(err)
	}
	// null restores the defaults and clears the optional fields.
	n, err := cur.Apply(TrunkPatch{
		Transport: Optional[string]{Set: true, Null: true}, NumberFormat: Optional[string]{Set: true, Null: true},
		TechPrefix: Optional[string]{Set: true, Null: true}, MaxConcurrentCalls: Optional[int]{Set: true, Null: true},
		AuthUsername: Optional[string]{Set: true, Null: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n.Transport != TransportUDP || n.NumberFormat != NumberFormatE164 || n.TechPrefix != "" || n.MaxConcurrentCalls != 0 ||
		n.AuthUsername != "" || n.AuthPassword != "" || !n.Default {
		t.Errorf("after nulls: %+v", n)
	}
	if cur.Transport != "tcp" || cur.AuthPassword != "p" {
		t.Errorf("Apply changed its receiver: %+v", cur)
	}
	// A new password alone keeps the username.
	n, err = cur.Apply(TrunkPatch{AuthPassword: Optional[string]{Set: true, Value: "q"}})
	if err != nil || n.AuthUsername != "u" || n.AuthPassword != "q" {
		t.Errorf("new password: %+v, %v", n, err)
	}
	for _, p := range []TrunkPatch{
		{Name: Optional[string]{Set: true, Null: true}},
		{Address: Optional[string]{Set: true, Null: true}},
		{Default: Optional[bool]{Set: true, Null: true}},
		{AuthPassword: Optional[string]{Set: true, Null: true}}, // the username stays: one without the other
		{Address: Optional[string]{Set: true, Value: "sip:a.example"}},
	} {
		if _, err := cur.Apply(p); ErrorCode(err) != ECodeValidation {
			t.Errorf("Apply(%+v) = %v, want VALIDATION_ERROR", p, err)
		}
	}
}

func TestTrunkJSONHidesPassword(t *testing.T) {
	t.Parallel()
	tr, err := NewTrunk(TrunkInput{Name: "T", Address: "a.example", AuthUsername: "u", AuthPassword: "hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "hunter2") || m["has_auth_password"] != true || m["auth_username"] != "u" {
		t.Errorf("JSON = %s; want no password and has_auth_password true", b)
	}
	for _, k := range []string{"failover_addresses", "inbound_addresses"} {
		if l, ok := m[k].([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %v, want []", k, m[k])
		}
	}
	if h, ok := m["headers"].(map[string]any); !ok || len(h) != 0 {
		t.Errorf("headers = %v, want {}", m["headers"])
	}
	tr.AuthUsername, tr.AuthPassword = "", ""
	if b, _ := json.Marshal(tr); !strings.Contains(string(b), `"has_auth_password":false`) {
		t.Errorf("JSON without a password = %s", b)
	}
}

func TestSelectTrunk(t *testing.T) {
	t.Parallel()
	trunk := func(id, status string, def bool) *Trunk { return &Trunk{ID: id, Status: status, Default: def} }
	a := trunk("trk_a", StatusActive, false)
	b := trunk("trk_b", StatusActive, false)
	d := trunk("trk_d", StatusActive, true)
	off := trunk("trk_off", StatusInactive, false)
	offDefault := trunk("trk_offd", StatusInactive, true)
	num := func(id string) *PhoneNumber {
		if id == "" {
			return &PhoneNumber{}
		}
		return &PhoneNumber{TrunkID: &id}
	}
	tests := []struct {
		name       string
		pn         *PhoneNumber
		trunks     []*Trunk
		want       *Trunk
		wantReason string
	}{
		{"the number's trunk", num("trk_b"), []*Trunk{a, b, d}, b, TrunkOfNumber},
		{"the number's trunk even when another is default", num("trk_a"), []*Trunk{a, d}, a, TrunkOfNumber},
		{"the number's trunk is inactive", num("trk_off"), []*Trunk{a, off}, nil, NoTrunkInactive},
		{"the number's trunk is gone", num("trk_gone"), []*Trunk{a}, nil, NoTrunkNumberTrunk},
		{"the only active trunk", num(""), []*Trunk{off, a}, a, TrunkOnlyActive},
		{"the only active trunk, not default", num(""), []*Trunk{a, offDefault}, a, TrunkOnlyActive},
		{"the default among several", num(""), []*Trunk{a, d, b}, d, TrunkDefault},
		{"several, no default", num(""), []*Trunk{a, b}, nil, NoTrunkNoDefault},
		{"several, the default inactive", num(""), []*Trunk{a, b, offDefault}, nil, NoTrunkNoDefault},
		{"no trunks", num(""), nil, nil, NoTrunkNone},
		{"only inactive trunks", num(""), []*Trunk{off, offDefault}, nil, NoTrunkNone},
		{"no number", nil, []*Trunk{a}, a, TrunkOnlyActive},
	}
	for _, tt := range tests {
		got, reason := SelectTrunk(tt.pn, tt.trunks)
		if got != tt.want || reason != tt.wantReason {
			t.Errorf("%s: SelectTrunk = %v, %s; want %v, %s", tt.name, got, reason, tt.want, tt.wantReason)
		}
	}
}

// TestFormatTrunkNumber: e164 keeps the +, no_plus drops it.
func TestFormatTrunkNumber(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ format, want string }{
		{NumberFormatE164, "+14155550100"}, {NumberFormatNoPlus, "14155550100"}, {"", "+14155550100"},
	} {
		if got := FormatTrunkNumber(&Trunk{NumberFormat: tt.format}, "+14155550100"); got != tt.want {
			t.Errorf("FormatTrunkNumber(%q) = %q, want %q", tt.format, got, tt.want)
		}
	}
}

// TestTrunkJSONRoundTrip: a trunk read back from the API's view says
// whether it has a password, without the password.
func TestTrunkJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, pw := range []string{"", "s3cret"} {
		b, err := json.Marshal(&Trunk{ID: "trk_1", Name: "t", AuthPassword: pw})
		if err != nil {
			t.Fatal(err)
		}
		var back Trunk
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		again, _ := json.Marshal(&back)
		if back.HasAuthPassword != (pw != "") || back.AuthPassword != "" || back.ID != "trk_1" || string(again) != string(b) {
			t.Errorf("password %q: %s read back as %+v, written again as %s", pw, b, back, again)
		}
	}
}
