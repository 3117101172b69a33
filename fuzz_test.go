package switchboard

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func FuzzParseSIPURI(f *testing.F) {
	for _, s := range []string{
		"sip:agent@sip.rtc.elevenlabs.io",
		"sip:sip.rtc.elevenlabs.io:5060;transport=tcp",
		"sips:x@[2001:db8::1]:5061",
		"sip:+14155551234@10.0.0.1;transport=udp",
		"SIP:Agent@Example.COM;Transport=TLS;lr",
		"sip:a%20b@host:05060;",
		"sip:user:pw@host?x=y",
		"http://example.com",
		"sip:[::1]:",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseSIPURI(s)
		if err != nil {
			if ErrorCode(err) != ECodeValidation {
				t.Fatalf("ParseSIPURI(%q) error code %q", s, ErrorCode(err))
			}
			return
		}
		if u.Scheme != "sip" && u.Scheme != "sips" {
			t.Fatalf("ParseSIPURI(%q) scheme %q", s, u.Scheme)
		}
		if u.Host == "" || u.Port < 0 || u.Port > 65535 {
			t.Fatalf("ParseSIPURI(%q) host %q port %d", s, u.Host, u.Port)
		}
		switch u.Transport() {
		case "", "udp", "tcp", "tls":
		default:
			t.Fatalf("ParseSIPURI(%q) accepted transport %q", s, u.Transport())
		}
		out := u.String()
		u2, err := ParseSIPURI(out)
		if err != nil {
			t.Fatalf("ParseSIPURI(%q).String() = %q does not re-parse: %v", s, out, err)
		}
		if !reflect.DeepEqual(u, u2) {
			t.Fatalf("ParseSIPURI(%q) = %#v; re-parse of %q = %#v", s, u, out, u2)
		}
		if out2 := u2.String(); out2 != out {
			t.Fatalf("String() not stable: %q then %q", out, out2)
		}
	})
}

func FuzzNormalizeE164(f *testing.F) {
	for _, c := range [][2]string{
		{"+2348012345678", ""},
		{"+1 (415) 555-1234", ""},
		{"08012345678", "NG"},
		{"(415) 555-1234", "US"},
		{"002348012345678", ""},
		{"+1 800 FLOWERS", ""},
		{"+14155551234 ext 5", ""},
		{"abc", "XX"},
		{"+", ""},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		out, err := NormalizeE164(raw, region)
		if err != nil {
			if ErrorCode(err) != ECodeValidation {
				t.Fatalf("NormalizeE164(%q, %q) error code %q", raw, region, ErrorCode(err))
			}
			return
		}
		if !strings.HasPrefix(out, "+") || len(out) < 2 {
			t.Fatalf("NormalizeE164(%q, %q) = %q, not +digits", raw, region, out)
		}
		for i := 1; i < len(out); i++ {
			if out[i] < '0' || out[i] > '9' {
				t.Fatalf("NormalizeE164(%q, %q) = %q, not +digits", raw, region, out)
			}
		}
		again, err := NormalizeE164(out, "")
		if err != nil {
			t.Fatalf("NormalizeE164(%q, %q) = %q, which does not re-normalise: %v", raw, region, out, err)
		}
		if again != out {
			t.Fatalf("NormalizeE164(%q, %q) = %q, re-normalised to %q", raw, region, out, again)
		}
	})
}

func FuzzCheckAPIKeyFormat(f *testing.F) {
	live, _ := GenerateAPIKey(true)
	test, _ := GenerateAPIKey(false)
	for _, s := range []string{live, test, "", "kros_live_", live[:len(live)-1] + "0", strings.ToUpper(live)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !CheckAPIKeyFormat(s) {
			return
		}
		if len(s) != testKeyLen || !(strings.HasPrefix(s, KeyPrefixLive) || strings.HasPrefix(s, KeyPrefixTest)) {
			t.Fatalf("CheckAPIKeyFormat(%q) = true for a key of the wrong shape", s)
		}
		for i := len(KeyPrefixLive); i < len(s); i++ {
			if strings.IndexByte(base62, s[i]) < 0 {
				t.Fatalf("CheckAPIKeyFormat(%q) = true with non-base62 %q", s, s[i])
			}
		}
	})
}

func FuzzNewEndpoint(f *testing.F) {
	for _, s := range []string{
		`{"name":"A","type":"agent","provider_config":{"provider":"elevenlabs","agent_id":"ag_1"}}`,
		`{"name":"A","type":"elevenlabs","provider_config":{"elevenlabs_agent_id":"ag_1"},"headers":{"X-T":"1"},"ring_timeout":10}`,
		`{"name":"A","type":"vapi","url":"sip:bot@sip.vapi.ai","provider_config":{"assistant_id":"as","credential_id":"c"}}`,
		`{"name":"A","type":"retell","provider_config":{"retell_agent_id":"r"}}`,
		`{"name":"A","type":"livekit","provider_config":{"livekit_sip_uri":"sip:p.sip.livekit.cloud","agent_name":"x"}}`,
		`{"name":"A","type":"custom_sip","url":"sips:x@[2001:db8::1]:5061","credentials":{"username":"u","password":"p"}}`,
		`{"name":"W","type":"webhook","url":"https://example.com/hook","status":"inactive"}`,
		`{"name":"W","type":"webhook","url":"https://example.com","provider_config":{}}`,
		`{"name":"","type":""}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in EndpointInput
		if json.Unmarshal([]byte(body), &in) != nil {
			return
		}
		e, err := NewEndpoint(in)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Code != ECodeValidation {
				t.Fatalf("NewEndpoint(%s) error %v is not a validation error", body, err)
			}
			if field, _ := se.Details["field"].(string); field == "" {
				t.Fatalf("NewEndpoint(%s) error %v names no field", body, err)
			}
			return
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("NewEndpoint(%s) succeeded but Validate fails: %v", body, err)
		}
		switch e.Type {
		case EndpointWebhook:
			if e.ProviderConfig != nil || !strings.HasPrefix(e.Secret, "whsec_") {
				t.Fatalf("NewEndpoint(%s) webhook = %+v", body, e)
			}
		case EndpointAgent:
			if e.ProviderConfig == nil || e.Secret != "" || DefaultProviderURL(e.Provider()) == "" && e.URL == "" {
				t.Fatalf("NewEndpoint(%s) agent = %+v", body, e)
			}
		default:
			t.Fatalf("NewEndpoint(%s) type %q", body, e.Type)
		}
		if _, err := json.Marshal(e); err != nil {
			t.Fatalf("marshal: %v", err)
		}
		// An empty patch is a no-op.
		same, err := e.Apply(EndpointPatch{})
		if err != nil || !reflect.DeepEqual(same, e) {
			t.Fatalf("Apply(empty) on %+v = %+v, %v", e, same, err)
		}
		// Submitting the stored form again gives the same endpoint.
		rt := e.RingTimeout
		again := EndpointInput{Name: e.Name, Type: e.Type, URL: e.URL, Status: e.Status, Headers: e.Headers, RingTimeout: &rt}
		if e.ProviderConfig != nil {
			b, _ := json.Marshal(e.ProviderConfig)
			if err := json.Unmarshal(b, &again.ProviderConfig); err != nil {
				t.Fatal(err)
			}
		}
		if e.Credentials != nil {
			again.Credentials = &CredentialsInput{Username: e.Credentials.Username, Password: e.Credentials.Password}
		}
		e2, err := NewEndpoint(again)
		if err != nil {
			t.Fatalf("NewEndpoint(%s) = %+v, but its stored form is rejected: %v", body, e, err)
		}
		e2.Secret = e.Secret
		if !reflect.DeepEqual(e, e2) {
			t.Fatalf("NewEndpoint(%s) = %+v; stored form re-created as %+v", body, e, e2)
		}
	})
}
